package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"go.yaml.in/yaml/v3"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/store"
	"github.com/dvmm/dvmm/internal/store/postgres"
	"github.com/dvmm/dvmm/internal/store/postgres/pgtest"
	"github.com/dvmm/dvmm/internal/vsphere"
	"github.com/dvmm/dvmm/internal/vsphere/simproc"
)

// TestMain lets scripts run dvmm as a real process: the test binary
// re-executes itself as dvmm.
func TestMain(m *testing.M) {
	testscript.Main(cleanupAfter{m}, map[string]func(){
		"dvmm": func() {
			if f := os.Getenv("DVMM_TEST_CLOCK_FILE"); f != "" {
				clockOverride = fileClock{path: f}
			}
			os.Exit(Main(remoteArgs(os.Args[1:]), os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

// cleanupAfter removes what the tests built once they have run.
type cleanupAfter struct{ m *testing.M }

func (c cleanupAfter) Run() int {
	defer simproc.Cleanup()
	return c.m.Run()
}

// TestScript runs the scripts with dvmm on the database file.
func TestScript(t *testing.T) {
	testscript.Run(t, scriptParams(nil))
}

// TestScriptRemote runs the same scripts with every command that has an
// API sent through a dvmm API server (see script_remote_test.go): both
// ways must give the same output and exit codes.
func TestScriptRemote(t *testing.T) {
	testscript.Run(t, scriptParams(startRemote))
}

// TestScriptPostgres runs the same scripts with dvmm on a PostgreSQL
// database of each script's own. Lines about the SQLite file itself (its
// mode, a missing or foreign file) run under the condition [!postgres].
func TestScriptPostgres(t *testing.T) {
	pgtest.Require(t)
	p := scriptParams(func(env *testscript.Env) error {
		url, drop, err := pgtest.CreateDatabase()
		if err != nil {
			return err
		}
		env.Defer(drop)
		env.Setenv("DVMM_DB", url)
		return nil
	})
	p.Condition = func(cond string) (bool, error) {
		if cond == "postgres" {
			return true, nil
		}
		return scriptCondition(cond)
	}
	testscript.Run(t, p)
}

// scriptCondition answers the scripts' conditions other than [postgres]
// (is the database PostgreSQL): [pg] is whether PostgreSQL's server
// binaries are here, for scripts that start a database of their own. CI
// must have them: there, a missing server fails the script.
func scriptCondition(cond string) (bool, error) {
	if cond != "pg" {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	_, ok := pgtest.BinDir()
	if !ok && os.Getenv("CI") != "" {
		return false, fmt.Errorf("no PostgreSQL server binaries, and CI is set: install PostgreSQL (apt-get install -y postgresql)")
	}
	return ok, nil
}

// scriptParams are the scripts' settings; extra, when given, adds to each
// script's setup.
func scriptParams(extra func(env *testscript.Env) error) testscript.Params {
	return testscript.Params{
		Condition: func(cond string) (bool, error) {
			if cond == "postgres" {
				return false, nil
			}
			return scriptCondition(cond)
		},
		Dir:                 filepath.Join("..", "..", "testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       os.Getenv("DVMM_UPDATE_SCRIPTS") != "",
		Setup: func(env *testscript.Env) error {
			home := filepath.Join(env.WorkDir, "home")
			env.Setenv("HOME", home)
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
			env.Setenv("XDG_DATA_HOME", filepath.Join(home, ".local", "share"))
			env.Setenv("DVMM_DB", filepath.Join(env.WorkDir, "dvmm.db"))
			env.Setenv("DVMM_TEST_CLOCK_FILE", filepath.Join(env.WorkDir, ".clock"))
			env.Setenv("NO_COLOR", "")
			// A race-built dvmm would otherwise sleep a second at every exit.
			env.Setenv("GORACE", "atexit_sleep_ms=0")
			env.Values["sim"] = &simHolder{}
			env.Values["bg"] = map[string]*bgProc{}
			env.Values["notify"] = &notifyReceivers{}
			if extra != nil {
				return extra(env)
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"events":    cmdEvents,
			"exits":     cmdExits,
			"sleep":     cmdSleep,
			"signal":    cmdSignal,
			"waitevent": cmdWaitEvent,
			"setid":     cmdSetID,
			"jsonok":    cmdJSONOK,
			"yamlok":    cmdYAMLOK,
			"sim":       cmdSim,
			"vcvms":     cmdVCVMs,
			"vcwait":    cmdVCWait,
			"vcchange":  cmdVCChange,
			"vcpeak":    cmdVCPeak,
			"nosecret":  cmdNoSecret,
			"freeport":  cmdFreePort,
			"hung":      cmdHung,
			"waithttp":  cmdWaitHTTP,
			"api":       cmdAPI,
			"setjson":   cmdSetJSON,
			"waitjson":  cmdWaitJSON,
			"startbg":   cmdStartBG,
			"waitfile":  cmdWaitFile,
			"stopbg":    cmdStopBG,
			"pgdb":      cmdPGDB,
			"clock":     cmdClock,
			"olddb":     cmdOldDB,
			"webhook":   cmdWebhook,
			"smtpd":     cmdSMTPD,
		},
	}
}

// pgdb NAME: sets $NAME to the URL of a new, empty dvmm database on the
// test binary's PostgreSQL cluster, dropped when the script ends.
func cmdPGDB(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: pgdb NAME")
	}
	skip, err := pgtest.Ensure()
	ts.Check(err)
	if skip != "" {
		ts.Fatalf("pgdb: %s (guard the script with [!pg] skip)", skip)
	}
	url, drop, err := pgtest.CreateDatabase()
	ts.Check(err)
	ts.Defer(drop)
	ts.Setenv(args[0], url)
}

// eventLog is what the scripts' helpers read of either store.
type eventLog interface {
	CountEvents(ctx context.Context) (int64, error)
	ForEachEvent(ctx context.Context, fn func(app.Event) error) error
	Close() error
}

// openLog opens the database a script uses, SQLite or PostgreSQL.
func openLog(ctx context.Context, where string) (eventLog, error) {
	if postgres.IsURL(where) {
		return postgres.Open(ctx, where)
	}
	return store.Open(ctx, where)
}

// exits CODE PROG ARGS...: runs PROG and checks its exit code; stdout and
// stderr are kept for the next stdout/stderr checks.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROG ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("usage: exits CODE PROG ARGS...")
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// signal NAME TEXT: sends SIGNAL NAME (TERM, INT, KILL) to every process of
// this user whose command line contains TEXT (Linux only: it reads /proc).
// testscript's own kill knows only INT and KILL.
func cmdSignal(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: signal TERM|INT|KILL TEXT")
	}
	sig, ok := map[string]syscall.Signal{"TERM": syscall.SIGTERM, "INT": syscall.SIGINT, "KILL": syscall.SIGKILL}[args[0]]
	if !ok {
		ts.Fatalf("signal: unknown signal %s", args[0])
	}
	procs, err := filepath.Glob("/proc/[0-9]*/cmdline")
	ts.Check(err)
	sent := 0
	for _, p := range procs {
		data, err := os.ReadFile(p)
		if err != nil || !strings.Contains(strings.ReplaceAll(string(data), "\x00", " "), args[1]) {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if err != nil || pid == os.Getpid() {
			continue
		}
		if syscall.Kill(pid, sig) == nil {
			sent++
		}
	}
	if sent == 0 {
		ts.Fatalf("signal: no process matches %q", args[1])
	}
}

// sleep D: waits for a duration, e.g. for a lease to run out.
func cmdSleep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sleep DURATION")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	time.Sleep(d)
}

// waitevent TYPE TIMEOUT [TEXT]: waits until the log holds an event of
// TYPE (whose JSON data contains TEXT).
func cmdWaitEvent(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 && len(args) != 3 {
		ts.Fatalf("usage: waitevent TYPE TIMEOUT [TEXT]")
	}
	text := ""
	if len(args) == 3 {
		text = args[2]
	}
	d, err := time.ParseDuration(args[1])
	ts.Check(err)
	ctx := context.Background()
	db, err := openLog(ctx, ts.Getenv("DVMM_DB"))
	ts.Check(err)
	defer db.Close()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		found := false
		ts.Check(db.ForEachEvent(ctx, func(e app.Event) error {
			if e.Type != args[0] || found {
				return nil
			}
			data, err := json.Marshal(e.Data)
			found = err == nil && strings.Contains(string(data), text)
			return err
		}))
		if found {
			return
		}
	}
	ts.Fatalf("no %s event with %q within %s", args[0], text, d)
}

// events N: the event log holds exactly N events.
func cmdEvents(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: events N")
	}
	want, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil {
		ts.Fatalf("usage: events N")
	}
	ctx := context.Background()
	db, err := openLog(ctx, ts.Getenv("DVMM_DB"))
	ts.Check(err)
	defer db.Close()
	n, err := db.CountEvents(ctx)
	ts.Check(err)
	if ts.Getenv("DVMM_TEST_API") != "" {
		// Run the remote way, the harness's accounts and tokens are in
		// the log too; they are not the script's.
		ts.Check(db.ForEachEvent(ctx, func(e app.Event) error {
			if e.StreamType == app.StreamUser && e.Meta.Actor == "script-operator" {
				n--
			}
			return nil
		}))
	}
	if (n == want) == neg {
		ts.Fatalf("event log holds %d events, want %s%d", n, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

// setid NAME: sets $NAME to the first line of the last command's stdout.
func cmdSetID(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: setid NAME")
	}
	out := strings.TrimSpace(ts.ReadFile("stdout"))
	if i := strings.IndexByte(out, '\n'); i >= 0 {
		out = out[:i]
	}
	if out == "" {
		ts.Fatalf("stdout is empty")
	}
	ts.Setenv(args[0], out)
}

// jsonok FILE: FILE parses as JSON.
func cmdJSONOK(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: jsonok FILE")
	}
	var v any
	err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &v)
	if (err == nil) == neg {
		ts.Fatalf("json of %s: %v", args[0], err)
	}
}

// yamlok FILE [JSONFILE]: FILE parses as YAML, each of its documents a
// mapping or a sequence; with JSONFILE, FILE holds the same data as the
// JSON in JSONFILE: same field names, values and types.
func cmdYAMLOK(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: yamlok FILE [JSONFILE]")
	}
	dec := yaml.NewDecoder(strings.NewReader(ts.ReadFile(args[0])))
	var docs []any
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			ts.Fatalf("yaml of %s: %v", args[0], err)
		}
		if k := n.Content[0].Kind; k != yaml.MappingNode && k != yaml.SequenceNode {
			ts.Fatalf("yaml of %s: a document is not a mapping or a sequence", args[0])
		}
		var v any
		ts.Check(n.Decode(&v))
		docs = append(docs, v)
	}
	if len(docs) == 0 {
		ts.Fatalf("yaml of %s: no document", args[0])
	}
	if len(args) == 1 {
		return
	}
	if len(docs) != 1 {
		ts.Fatalf("yamlok: %s holds %d documents; comparing needs one", args[0], len(docs))
	}
	// Through JSON, so that YAML's ints and JSON's float64s compare equal.
	data, err := json.Marshal(docs[0])
	ts.Check(err)
	var fromYAML, fromJSON any
	ts.Check(json.Unmarshal(data, &fromYAML))
	if err := json.Unmarshal([]byte(ts.ReadFile(args[1])), &fromJSON); err != nil {
		ts.Fatalf("json of %s: %v", args[1], err)
	}
	if !reflect.DeepEqual(fromYAML, fromJSON) {
		ts.Fatalf("%s and %s differ:\nyaml: %s\njson: %s", args[0], args[1], data, ts.ReadFile(args[1]))
	}
}

// sim [-clone-delay D] [-clone-task-delay D] [-ip-delay D] [-docker-bridge]
// [-drop-clone-identity] [-template-disk GB]: starts a vCenter simulator
// for the script (see vsphere.SimOptions) and exports VC_URL, VC_USER,
// VC_PASSWORD, VC_PASSWORD_FILE, VC_THUMBPRINT and VC_CA_FILE.
func cmdSim(ts *testscript.TestScript, neg bool, args []string) {
	const usage = "usage: sim [-clone-delay D] [-clone-task-delay D] [-ip-delay D] [-docker-bridge] [-drop-clone-identity] [-template-disk GB]"
	if neg {
		ts.Fatalf(usage)
	}
	var opts vsphere.SimOptions
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-docker-bridge":
			opts.DockerBridge = true
			continue
		case "-drop-clone-identity":
			opts.DropCloneIdentity = true
			continue
		}
		if i+1 == len(args) {
			ts.Fatalf(usage)
		}
		i++
		if args[i-1] == "-template-disk" {
			gb, err := strconv.Atoi(args[i])
			if err != nil {
				ts.Fatalf("sim: bad size %q", args[i])
			}
			opts.TemplateDiskGB = gb
			continue
		}
		d, err := time.ParseDuration(args[i])
		if err != nil {
			ts.Fatalf("sim: bad duration %q", args[i])
		}
		switch args[i-1] {
		case "-clone-delay":
			opts.CloneDelay = d
		case "-clone-task-delay":
			opts.CloneTaskDelay = d
		case "-ip-delay":
			opts.IPDelay = d
		default:
			ts.Fatalf(usage)
		}
	}
	sim, err := simproc.Start(context.Background(), opts)
	ts.Check(err)
	ts.Defer(sim.Close)
	pw := filepath.Join(ts.Getenv("WORK"), "vc-password")
	ts.Check(os.WriteFile(pw, []byte(sim.Password()), 0o600))
	s := sim.Settings("dvmm")
	for k, v := range map[string]string{"VC_URL": sim.URL(), "VC_USER": sim.Username(), "VC_PASSWORD": sim.Password(),
		"VC_PASSWORD_FILE": pw, "VC_THUMBPRINT": sim.Thumbprint(), "VC_CA_FILE": sim.CAFile(),
		"VC_DATACENTER": s.Datacenter, "VC_CLUSTER": s.Cluster, "VC_DATASTORE": s.Datastore,
		"VC_NETWORK": s.Network, "VC_TEMPLATE": s.Template} {
		ts.Setenv(k, v)
	}
	ts.Value("sim").(*simHolder).sim = sim
}

// simHolder carries a script's simulator from 'sim' to 'vcvms'.
type simHolder struct{ sim *simproc.Sim }

// vcvms FOLDER N [CPUS MEMORY_MB]: the simulator holds N VMs below FOLDER,
// each with that many vCPUs and that much memory when given.
func cmdVCVMs(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 && len(args) != 4 {
		ts.Fatalf("usage: vcvms FOLDER N [CPUS MEMORY_MB]")
	}
	sim := ts.Value("sim").(*simHolder).sim
	if sim == nil {
		ts.Fatalf("vcvms: no simulator; run 'sim' first")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	vms, err := sim.ListVMs(context.Background(), args[0])
	ts.Check(err)
	if (len(vms) == want) == neg {
		ts.Fatalf("simulator has %d VMs below %s, want %d: %+v", len(vms), args[0], want, vms)
	}
	if len(args) == 4 {
		cpus, _ := strconv.Atoi(args[2])
		mem, _ := strconv.Atoi(args[3])
		for _, vm := range vms {
			if vm.CPUs != cpus || vm.MemoryMB != mem {
				ts.Fatalf("VM %s has %d vCPU and %d MB, want %d and %d", vm.Name, vm.CPUs, vm.MemoryMB, cpus, mem)
			}
		}
	}
}

// vcchange NAME CHANGE...: changes a VM in the simulator behind dvmm's
// back, as an operator in vCenter would: power-off, power-on, destroy,
// rename=NEW, resize=CPUS,MEMORY_MB, ip=ADDRESS.
func cmdVCChange(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: vcchange NAME CHANGE...")
	}
	sim := ts.Value("sim").(*simHolder).sim
	if sim == nil {
		ts.Fatalf("vcchange: no simulator; run 'sim' first")
	}
	for _, c := range args[1:] {
		if err := sim.ChangeVM(context.Background(), args[0], c); err != nil {
			ts.Fatalf("vcchange %s %s: %v", args[0], c, err)
		}
	}
}

// vcwait calls METHOD N TIMEOUT: waits until the simulator has received N
// calls of METHOD (e.g. CloneVM_Task), counted as they arrive.
// vcwait vms FOLDER N TIMEOUT: waits until it holds N VMs below FOLDER.
// Scripts wait on these instead of sleeping for "long enough".
func cmdVCWait(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 || (args[0] != "calls" && args[0] != "vms") {
		ts.Fatalf("usage: vcwait calls|vms METHOD|FOLDER N TIMEOUT")
	}
	sim := ts.Value("sim").(*simHolder).sim
	if sim == nil {
		ts.Fatalf("vcwait: no simulator; run 'sim' first")
	}
	want, err := strconv.Atoi(args[2])
	ts.Check(err)
	d, err := time.ParseDuration(args[3])
	ts.Check(err)
	ctx := context.Background()
	got := 0
	for deadline := time.Now().Add(d); ; time.Sleep(20 * time.Millisecond) {
		if args[0] == "calls" {
			got, err = sim.Calls(ctx, args[1])
		} else {
			got, err = sim.CountVMs(ctx, args[1])
		}
		ts.Check(err)
		if got >= want {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("vcwait: %d %s of %s after %s, want %d", got, args[0], args[1], d, want)
		}
	}
}

// nosecret SECRET FILE...: none of the files holds the secret, nor its
// base64 or hex forms. A folder is searched file by file. When the
// script's database is a PostgreSQL one, every row of it is searched too.
func cmdNoSecret(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: nosecret SECRET FILE...")
	}
	forms := secretForms(args[0])
	check := func(where, data string) {
		for _, f := range forms {
			if strings.Contains(data, f) {
				ts.Fatalf("%s holds the secret (as %q)", where, f)
			}
		}
	}
	for _, name := range args[1:] {
		if name == "stdout" || name == "stderr" {
			check(name, ts.ReadFile(name))
			continue
		}
		path := ts.MkAbs(name)
		_ = filepath.Walk(path, func(p string, fi os.FileInfo, err error) error {
			if err != nil || fi.IsDir() {
				return nil
			}
			data, err := os.ReadFile(p)
			ts.Check(err)
			check(p, string(data))
			return nil
		})
	}
	if url := ts.Getenv("DVMM_DB"); postgres.IsURL(url) {
		check("the PostgreSQL database", pgRows(ts, url))
	}
}

// pgRows is every row of every table of the database, as text.
func pgRows(ts *testscript.TestScript, url string) string {
	db, err := sql.Open("pgx", url)
	ts.Check(err)
	defer db.Close()
	ctx := context.Background()
	tables, err := db.QueryContext(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = current_schema()`)
	ts.Check(err)
	var names []string
	for tables.Next() {
		var n string
		ts.Check(tables.Scan(&n))
		names = append(names, n)
	}
	ts.Check(tables.Err())
	tables.Close()
	if len(names) == 0 {
		ts.Fatalf("the PostgreSQL database has no tables")
	}
	var b strings.Builder
	for _, n := range names {
		rows, err := db.QueryContext(ctx, `SELECT t::text FROM `+n+` t`)
		ts.Check(err)
		for rows.Next() {
			var line string
			ts.Check(rows.Scan(&line))
			b.WriteString(line + "\n")
		}
		ts.Check(rows.Err())
		rows.Close()
	}
	return b.String()
}

// secretForms lists the ways a secret could leak in text: as is, and in
// its base64 and hex forms.
func secretForms(s string) []string {
	b := []byte(s)
	return []string{s, base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b), hex.EncodeToString(b)}
}

// vcpeak MAX: the simulator never had more than MAX clone and power
// tasks in flight at once, and had at least one.
func cmdVCPeak(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: vcpeak MAX")
	}
	sim := ts.Value("sim").(*simHolder).sim
	if sim == nil {
		ts.Fatalf("vcpeak: no simulator; run 'sim' first")
	}
	limit, err := strconv.Atoi(args[0])
	ts.Check(err)
	peak, err := sim.PeakInFlight(context.Background(), false)
	ts.Check(err)
	ts.Logf("peak of clone and power tasks in flight: %d", peak)
	if peak < 1 || peak > limit {
		ts.Fatalf("peak of tasks in flight %d, want between 1 and %d", peak, limit)
	}
}

// olddb FILE: copies the database an earlier dvmm wrote (the v1 fixture of
// internal/store/testdata) to FILE.
func cmdOldDB(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: olddb FILE")
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "internal", "store", "testdata", "v1", "dvmm.db"))
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), data, 0o600))
}

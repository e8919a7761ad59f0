package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/store"
	"github.com/dvmm/dvmm/internal/store/postgres/pgtest"
	"github.com/dvmm/dvmm/internal/vsphere"
	"github.com/dvmm/dvmm/internal/vsphere/simproc"
)

// harness runs dvmm against one database in a temporary folder: in this
// process (run, must) or as a real process (command). In-process runs
// read the environment, so tests using a harness cannot run in parallel.
type harness struct {
	t   testing.TB
	dir string
	db  string
	env []string // the environment of dvmm processes
}

// result is what one dvmm run gave.
type result struct {
	code        int
	out, errOut string
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	return newHarnessOn(t, "")
}

// newHarnessOn is newHarness on the database db names: a PostgreSQL URL,
// or "" for a SQLite file in the harness's folder.
func newHarnessOn(t testing.TB, db string) *harness {
	t.Helper()
	dir := t.TempDir()
	if db == "" {
		db = filepath.Join(dir, "data", "dvmm.db")
	}
	h := &harness{t: t, dir: dir, db: db}
	vars := map[string]string{
		"HOME":            dir,
		"XDG_CONFIG_HOME": filepath.Join(dir, "config"),
		"XDG_DATA_HOME":   filepath.Join(dir, "data"),
		"DVMM_DB":         h.db,
		"NO_COLOR":        "1",
		"DVMM_TENANT":     "", "DVMM_USER": "", "DVMM_OUTPUT": "", "DVMM_CONFIG": "", "DVMM_SECRET_KEY": "", "DVMM_NO_COLOR": "",
	}
	for k, v := range vars {
		t.Setenv(k, v)
	}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, set := vars[k]; !set && !strings.HasPrefix(k, "DVMM_") && k != "GORACE" {
			h.env = append(h.env, kv)
		}
	}
	for k, v := range vars {
		h.env = append(h.env, k+"="+v)
	}
	// Under -race, a process sleeps a second at exit unless told not to.
	h.env = append(h.env, "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	return h
}

// run runs dvmm in this process.
func (h *harness) run(args ...string) result {
	var out, errOut bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errOut)
	return result{code: code, out: out.String(), errOut: errOut.String()}
}

// must runs dvmm in this process and returns its trimmed stdout; any exit
// but 0 fails the test.
func (h *harness) must(args ...string) string {
	h.t.Helper()
	r := h.run(args...)
	if r.code != 0 {
		h.t.Fatalf("dvmm %s: exit %d: %s", strings.Join(args, " "), r.code, r.errOut)
	}
	return strings.TrimSpace(r.out)
}

// dvmmPath is the test binary acting as dvmm, which testscript.Main put
// first in PATH.
func dvmmPath(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("dvmm")
	if err != nil {
		t.Fatalf("no dvmm in PATH: %v", err)
	}
	if !strings.Contains(p, "testscript-main") {
		t.Fatalf("dvmm in PATH is %s, not this test binary", p)
	}
	return p
}

// command is dvmm as a real process, with the harness's environment.
func (h *harness) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, dvmmPath(h.t), args...)
	cmd.Env = h.env
	cmd.Dir = h.dir
	return cmd
}

// proc runs dvmm as a real process and waits for it.
func (h *harness) proc(args ...string) result {
	h.t.Helper()
	var out, errOut bytes.Buffer
	cmd := h.command(context.Background(), args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		h.t.Fatalf("dvmm %s: %v", strings.Join(args, " "), err)
	}
	return result{code: code, out: out.String(), errOut: errOut.String()}
}

// logState is the event log as it stands: its size, last sequence and
// every event as stored.
type logState struct {
	count, last int64
	rows        []byte
}

func (h *harness) log() logState {
	h.t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, h.db)
	if err != nil {
		h.t.Fatal(err)
	}
	defer s.Close()
	n, err := s.CountEvents(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	last, err := s.LastSeq(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	return logState{count: n, last: last, rows: eventRows(h.t, s)}
}

func (l logState) equal(o logState) bool {
	return l.count == o.count && l.last == o.last && bytes.Equal(l.rows, o.rows)
}

// testDB is what tests read of either store beyond the application's
// ports.
type testDB interface {
	database
	ForEachEvent(ctx context.Context, fn func(app.Event) error) error
	CountEvents(ctx context.Context) (int64, error)
}

// open opens the harness's database, SQLite or PostgreSQL.
func (h *harness) open() testDB {
	h.t.Helper()
	db, err := openDatabase(context.Background(), h.db)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = db.Close() })
	return db.(testDB)
}

// backends runs test once on a SQLite file and once on a PostgreSQL
// database of its own.
func backends(t *testing.T, test func(t *testing.T, h *harness)) {
	t.Run("sqlite", func(t *testing.T) { test(t, newHarness(t)) })
	t.Run("postgres", func(t *testing.T) { test(t, newHarnessOn(t, pgtest.NewDatabase(t))) })
}

// startSim starts a vCenter simulator for the test and writes its password
// to a file outside the harness's folder.
func (h *harness) startSim(name string) (*simproc.Sim, string) {
	h.t.Helper()
	return h.startSimWith(name, vsphere.SimOptions{})
}

func (h *harness) startSimWith(name string, opts vsphere.SimOptions) (*simproc.Sim, string) {
	h.t.Helper()
	sim, err := simproc.Start(context.Background(), opts)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(sim.Close)
	pw := filepath.Join(h.t.TempDir(), name+"-password") // apart from what dvmm writes
	if err := os.WriteFile(pw, []byte(sim.Password()+"\n"), 0o600); err != nil {
		h.t.Fatal(err)
	}
	return sim, pw
}

// vmwareSet is 'vmware set' pointing at sim, trusted by its thumbprint.
func vmwareSet(sim *simproc.Sim, passwordFile string) []string {
	s := sim.Settings("dvmm")
	return []string{"vmware", "set", "--url", sim.URL(), "--username", sim.Username(), "--password-file", passwordFile,
		"--datacenter", s.Datacenter, "--cluster", s.Cluster, "--datastore", s.Datastore, "--network", s.Network,
		"--template", s.Template, "--folder", "dvmm", "--thumbprint", sim.Thumbprint()}
}

// in prefixes args with the global flags of a tenant and user.
func in(tenant, user string, args ...string) []string {
	return append([]string{"--tenant", tenant, "--user", user}, args...)
}

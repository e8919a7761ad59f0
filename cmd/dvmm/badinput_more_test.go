package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadInputMore extends TestBadInput with more kinds of bad input:
// other look-alikes and invisible characters, control bytes and invalid
// UTF-8 in every text, numbers that are not numbers, ids of every wrong
// shape on every command that takes one, more URLs, config files and
// database paths. Each gets one line on stderr, the documented exit code,
// nothing on stdout, and leaves the event log exactly as it was.
func TestBadInputMore(t *testing.T) {
	h := newHarness(t)
	t.Setenv("DVMM_TENANT", "acme")
	h.must("tenant", "create", "acme", "--admin", "alice")
	h.must("--user", "alice", "--tenant", "acme", "project", "create", "shop")
	h.must("--user", "alice", "tenant", "add-member", "acme", "bob")
	id := h.must("--user", "bob", "request", "create", "--name", "web-01", "--project", "shop", "--justification", "load tests for the shop")

	dir := h.dir
	write := func(name, body string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pw := write("pw", "secret-pw\n", 0o600)
	emptyPW := write("empty-pw", "\n", 0o600)
	notDB := write("not-a-db", strings.Repeat("this is not SQLite\n", 100), 0o600)
	aFile := write("a-file", "x", 0o600)
	cfgDir := filepath.Join(dir, "cfg-dir")
	if err := os.Mkdir(cfgDir, 0o700); err != nil {
		t.Fatal(err)
	}
	configs := map[string]string{
		"number.yaml":    "tenant: 7\n",
		"map.yaml":       "tenant: {name: acme}\n",
		"duplicate.yaml": "tenant: acme\ntenant: globex\n",
		"top-list.yaml":  "- tenant\n- acme\n",
		"binary.yaml":    "\x00\x01\x02\xff\xfe",
		"tabs.yaml":      "tenant:\n\t- acme\n",
		"nested.yaml":    "db:\n  path: /tmp/x.db\n",
		"output.yaml":    "output: xml\n",
		"bool-str.yaml":  "no-color: \"yes\"\n",
		"alias.yaml":     "a: &a [*a]\n",
	}
	for name, body := range configs {
		write(name, body, 0o600)
	}
	cfg := func(name string) []string {
		return []string{"--config", filepath.Join(dir, name), "--user", "bob", "request", "list"}
	}
	create := func(name, size, project, justification string) []string {
		return []string{"--user", "bob", "request", "create", "--name", name, "--size", size, "--project", project, "--justification", justification}
	}
	const just = "load tests for the shop"
	vmware := func(extra ...string) []string {
		args := []string{"--user", "alice", "vmware", "set", "--url", "https://vc.example/sdk", "--username", "u", "--password-file", pw,
			"--datacenter", "DC0", "--cluster", "C0", "--datastore", "DS", "--network", "VM Network", "--template", "tpl"}
		for i := 0; i+1 < len(extra); i += 2 {
			replaced := false
			for j := range args {
				if args[j] == extra[i] {
					args[j+1], replaced = extra[i+1], true
				}
			}
			if !replaced {
				args = append(args, extra[i], extra[i+1])
			}
		}
		if len(extra)%2 == 1 {
			args = append(args, extra[len(extra)-1])
		}
		return args
	}
	idCmds := [][]string{
		{"--user", "alice", "request", "show"}, {"--user", "alice", "request", "approve"}, {"--user", "alice", "request", "cancel"},
		{"--user", "alice", "request", "retry"}, {"--user", "alice", "vm", "status"},
	}

	cases := []badInput{
		{"name fullwidth look-alike", create("ｗｅｂ-02", "M", "shop", just), ExitInvalid},
		{"name greek omicron look-alike", create("web-\u03bf2", "M", "shop", just), ExitInvalid},
		{"name zero-width space", create("web\u200b-02", "M", "shop", just), ExitInvalid},
		{"name right-to-left override", create("web-\u202e20", "M", "shop", just), ExitInvalid},
		{"name trailing newline", create("web-02\n", "M", "shop", just), ExitInvalid},
		{"name tab", create("web\t02", "M", "shop", just), ExitInvalid},
		{"name emoji", create("web-🚀", "M", "shop", just), ExitInvalid},
		{"name dot", create("web.02", "M", "shop", just), ExitInvalid},
		{"name underscore", create("web_02", "M", "shop", just), ExitInvalid},
		{"name only dashes", create("---", "M", "shop", just), ExitInvalid},
		{"name invalid UTF-8", create("web-\xff\xfe", "M", "shop", just), ExitInvalid},
		{"name glob", create("web-*", "M", "shop", just), ExitInvalid},
		{"name path", create("../web-02", "M", "shop", just), ExitInvalid},
		{"name 1 MB", create(strings.Repeat("a", 1<<20), "M", "shop", just), ExitInvalid},
		{"size NUL", create("web-02", "M\x00", "shop", just), ExitInvalid},
		{"size look-alike", create("web-02", "Ｍ", "shop", just), ExitInvalid},
		{"size lower with space", create("web-02", " m", "shop", just), ExitInvalid},
		{"project NUL", create("web-02", "M", "sh\x00op", just), ExitInvalid},
		{"project too long", create("web-02", "M", strings.Repeat("p", 64), just), ExitInvalid},
		{"project space", create("web-02", "M", "my shop", just), ExitInvalid},
		{"project unicode", create("web-02", "M", "shöp", just), ExitInvalid},
		{"justification NUL", create("web-02", "M", "shop", "load tests\x00 for the shop"), ExitInvalid},
		{"justification invalid UTF-8", create("web-02", "M", "shop", "load tests \xff\xfe for the shop"), ExitInvalid},
		{"justification just over the limit", create("web-02", "M", "shop", strings.Repeat("j", 2001)), ExitInvalid},
		{"justification nine characters and spaces", create("web-02", "M", "shop", "   123456789   "), ExitInvalid},
		{"reason NUL", []string{"--user", "alice", "request", "reject", id, "--reason", "not in budget\x00 this quarter"}, ExitInvalid},
		{"reason blank", []string{"--user", "alice", "request", "reject", id, "--reason", "                "}, ExitInvalid},
		{"reason invalid UTF-8", []string{"--user", "alice", "request", "reject", id, "--reason", "not in budget \xff this quarter"}, ExitInvalid},
		{"reason 10 MB", []string{"--user", "alice", "request", "reject", id, "--reason", strings.Repeat("r", 10<<20)}, ExitInvalid},
		{"reason missing", []string{"--user", "alice", "request", "reject", id}, ExitInvalid},
		{"version NaN", []string{"--user", "alice", "request", "approve", id, "--expect-version", "NaN"}, ExitInvalid},
		{"version float", []string{"--user", "alice", "request", "approve", id, "--expect-version", "1.0"}, ExitInvalid},
		{"version exponent", []string{"--user", "alice", "request", "approve", id, "--expect-version", "1e3"}, ExitInvalid},
		{"version empty", []string{"--user", "alice", "request", "approve", id, "--expect-version", ""}, ExitInvalid},
		{"version int64 overflow", []string{"--user", "alice", "request", "approve", id, "--expect-version", "9223372036854775808"}, ExitInvalid},
		{"version largest int64", []string{"--user", "alice", "request", "approve", id, "--expect-version", "9223372036854775807"}, ExitConflict},
		{"reject version negative", []string{"--user", "alice", "request", "reject", id, "--reason", "not in this quarter's budget", "--expect-version", "-5"}, ExitInvalid},
		{"url ftp", vmware("--url", "ftp://vc.example/sdk"), ExitInvalid},
		{"url file", vmware("--url", "file:///etc/passwd"), ExitInvalid},
		{"url scheme only", vmware("--url", "https://"), ExitInvalid},
		{"url bad port", vmware("--url", "https://vc.example:99999/sdk"), ExitInvalid},
		{"url port zero", vmware("--url", "https://vc.example:0/sdk"), ExitInvalid},
		{"url port without host", vmware("--url", "https://:443/sdk"), ExitInvalid},
		{"url credentials", vmware("--url", "https://admin:hunter2@vc.example/sdk"), ExitInvalid},
		{"url NUL", vmware("--url", "https://vc.example/sd\x00k"), ExitInvalid},
		{"url newline", vmware("--url", "https://vc.example/sdk\nhttps://evil.example/sdk"), ExitInvalid},
		{"url empty", vmware("--url", ""), ExitInvalid},
		{"password file empty", vmware("--password-file", emptyPW), ExitInvalid},
		{"password file is a folder", vmware("--password-file", dir), ExitInvalid},
		{"password env unset", vmware("--password-file", "", "--password-env", "DVMM_TEST_NO_SUCH_VARIABLE"), ExitInvalid},
		{"password two sources", vmware("--password-env", "HOME"), ExitInvalid},
		{"password flag value", vmware("--password", "hunter2"), ExitInvalid},
		{"tls two ways", vmware("--thumbprint", "AA:BB", "--insecure"), ExitInvalid},
		{"ip timeout negative", vmware("--ip-timeout", "-1s"), ExitInvalid},
		{"ip timeout two days", vmware("--ip-timeout", "48h"), ExitInvalid},
		{"template blank", vmware("--template", "   "), ExitInvalid},
		{"datastore NUL", vmware("--datastore", "DS\x00"), ExitInvalid},
		{"no cluster nor pool", vmware("--cluster", ""), ExitInvalid},
		{"config tenant a number", cfg("number.yaml"), ExitInvalid},
		{"config tenant a map", cfg("map.yaml"), ExitInvalid},
		{"config duplicate key", cfg("duplicate.yaml"), ExitInvalid},
		{"config a list", cfg("top-list.yaml"), ExitInvalid},
		{"config binary", cfg("binary.yaml"), ExitInvalid},
		{"config tabs", cfg("tabs.yaml"), ExitInvalid},
		{"config nested key", cfg("nested.yaml"), ExitInvalid},
		{"config output unknown", cfg("output.yaml"), ExitInvalid},
		{"config bool as string", cfg("bool-str.yaml"), ExitInvalid},
		{"config recursive alias", cfg("alias.yaml"), ExitInvalid},
		{"config is a folder", []string{"--config", cfgDir, "--user", "bob", "request", "list"}, ExitInvalid},
		{"db not a database", []string{"--db", notDB, "--user", "bob", "request", "list"}, ExitInvalid},
		{"db below a file", []string{"--db", filepath.Join(aFile, "x.db"), "--user", "bob", "request", "list"}, ExitInvalid},
		{"tenant name uppercase", []string{"--user", "alice", "tenant", "create", "Globex"}, ExitInvalid},
		{"tenant name NUL", []string{"--user", "alice", "tenant", "create", "glo\x00bex"}, ExitInvalid},
		{"tenant name look-alike", []string{"--user", "alice", "tenant", "create", "аcme"}, ExitInvalid},
		{"tenant exists", []string{"--user", "alice", "tenant", "create", "acme"}, ExitConflict},
		{"project name uppercase", []string{"--user", "alice", "project", "create", "Shop"}, ExitInvalid},
		{"project name NUL", []string{"--user", "alice", "project", "create", "sh\x00op"}, ExitInvalid},
		{"project name look-alike", []string{"--user", "alice", "project", "create", "ѕhop"}, ExitInvalid},
		{"project exists", []string{"--user", "alice", "project", "create", "shop"}, ExitConflict},
		{"project by a user", []string{"--user", "bob", "project", "create", "lab"}, ExitForbidden},
		{"project no name", []string{"--user", "alice", "project", "create"}, ExitInvalid},
		{"project unknown", []string{"--user", "bob", "project", "show", "nope"}, ExitNotFound},
		{"project with live requests", []string{"--user", "alice", "project", "archive", "shop"}, ExitConflict},
		{"project member unknown", []string{"--user", "alice", "project", "add-member", "shop", "zoe"}, ExitNotFound},
		{"project access unknown", []string{"--user", "alice", "project", "access", "some"}, ExitInvalid},
		{"request in unknown project", []string{"--user", "bob", "request", "create", "--name", "web-09", "--project", "nope", "--justification", "load tests for the shop"}, ExitNotFound},
		{"quota of unknown project", []string{"--user", "alice", "quota", "set", "--project", "nope", "--vms", "2"}, ExitNotFound},
		{"member name sql", []string{"--user", "alice", "tenant", "add-member", "acme", "x');--"}, ExitInvalid},
		{"member by a user", []string{"--user", "bob", "tenant", "add-member", "acme", "carol"}, ExitForbidden},
		{"global tenant NUL", []string{"--tenant", "ac\x00me", "--user", "bob", "request", "list"}, ExitInvalid},
		{"global user look-alike", []string{"--user", "bоb", "request", "list"}, ExitInvalid},
		{"queue retry zero", []string{"--user", "alice", "queue", "retry", "0"}, ExitInvalid},
		{"queue retry negative", []string{"--user", "alice", "queue", "retry", "-3"}, ExitInvalid},
		{"queue retry overflow", []string{"--user", "alice", "queue", "retry", "99999999999999999999"}, ExitInvalid},
		{"queue retry unknown", []string{"--user", "alice", "queue", "retry", "424242"}, ExitNotFound},
		{"queue retry by a user", []string{"--user", "bob", "queue", "retry", "1"}, ExitForbidden},
		{"serve lease zero", []string{"serve", "--once", "--lease", "0s"}, ExitInvalid},
		{"serve workers too many", []string{"serve", "--once", "--workers", "65"}, ExitInvalid},
		{"serve log format", []string{"serve", "--once", "--log-format", "xml"}, ExitInvalid},
		{"list limit not a number", []string{"--user", "bob", "request", "list", "--limit", "ten"}, ExitInvalid},
		{"list project look-alike", []string{"--user", "bob", "request", "list", "--project", "ѕhop"}, ExitInvalid},
		{"two ids", []string{"--user", "alice", "request", "approve", id, id}, ExitInvalid},
		{"extra argument", []string{"--user", "bob", "request", "list", "extra"}, ExitInvalid},
		{"extra argument to serve", []string{"serve", "x"}, ExitInvalid},
	}
	for _, c := range idCmds {
		verb := strings.Join(c[2:], " ")
		for _, bad := range []struct {
			kind, id string
			code     int
		}{
			{"uppercase", strings.ToUpper(id), ExitNotFound},
			{"with NUL", id[:4] + "\x00" + id[4:], ExitNotFound},
			{"glob", id[:3] + "*", ExitNotFound},
			{"sql", id[:3] + "' OR '1'='1", ExitNotFound},
			{"1000 characters", strings.Repeat(id, 63), ExitNotFound},
			{"look-alike", "аbcd", ExitNotFound},
			{"too long by one", id + "a", ExitNotFound},
		} {
			cases = append(cases, badInput{verb + " id " + bad.kind, append(append([]string{}, c...), bad.id), bad.code})
		}
	}

	before := h.log()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.run(tc.args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %q", r.code, tc.code, clipForLog(r.errOut))
			}
			if n := strings.Count(r.errOut, "\n"); n != 1 || !strings.HasPrefix(r.errOut, "dvmm: ") {
				t.Errorf("stderr should be one line starting with 'dvmm: ', got %q", clipForLog(r.errOut))
			}
			if len(r.errOut) > 400 {
				t.Errorf("stderr line is %d bytes long", len(r.errOut))
			}
			if strings.ContainsRune(r.errOut, 0) {
				t.Errorf("stderr holds a NUL byte: %q", clipForLog(r.errOut))
			}
			if r.out != "" {
				t.Errorf("stdout not empty: %q", clipForLog(r.out))
			}
			if after := h.log(); !after.equal(before) {
				t.Errorf("event log changed: %d events (was %d), last seq %d (was %d)", after.count, before.count, after.last, before.last)
				before = after // one failure, not one per case that follows
			}
		})
	}
	if _, err := os.Stat(filepath.Join(aFile, "x.db")); err == nil {
		t.Error("a database was made below a file")
	}
	t.Logf("%d more bad inputs tried", len(cases))
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/store"
)

// TestBadInput drives the CLI in-process with input it must refuse: each
// gets one line on stderr, the documented exit code, and leaves the event
// log exactly as it was (same count, same last sequence, same file bytes).
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "dvmm.db")
	t.Setenv("HOME", dir)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	t.Setenv("DVMM_DB", db)
	t.Setenv("DVMM_TENANT", "acme")
	t.Setenv("NO_COLOR", "1")
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(args, strings.NewReader(""), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	mustRun := func(args ...string) string {
		t.Helper()
		code, out, errOut := run(args...)
		if code != 0 {
			t.Fatalf("dvmm %v: exit %d: %s", args, code, errOut)
		}
		return strings.TrimSpace(out)
	}
	mustRun("tenant", "create", "acme", "--admin", "alice")
	mustRun("--user", "alice", "tenant", "add-member", "acme", "bob")
	mustRun("tenant", "create", "globex", "--admin", "gina")
	mustRun("--user", "alice", "--tenant", "acme", "project", "create", "shop")
	mustRun("--user", "gina", "--tenant", "globex", "project", "create", "shop")
	other := mustRun("--tenant", "globex", "--user", "gina", "request", "create", "--name", "web-01", "--project", "shop", "--justification", "a request of globex")
	id := mustRun("--user", "bob", "request", "create", "--name", "web-01", "--project", "shop", "--justification", "load tests for the shop")
	approved := mustRun("--user", "bob", "request", "create", "--name", "web-02", "--project", "shop", "--justification", "load tests for the shop")
	mustRun("--user", "alice", "request", "approve", approved)
	rejected := mustRun("--user", "bob", "request", "create", "--name", "web-04", "--project", "shop", "--justification", "load tests for the shop")
	mustRun("--user", "alice", "request", "reject", rejected, "--reason", "not in this quarter's budget")

	files := map[string]string{
		"bad.yaml":     "tenant: [acme\n",
		"unknown.yaml": "tenant: acme\ncolour: blue\n",
		"types.yaml":   "no-color: maybe\n",
		"list.yaml":    "tenant: [a, b]\n",
		"pw":           "secret-pw\n",
		"key.pem":      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "big"), bytes.Repeat([]byte("x"), 10<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	roDir := filepath.Join(dir, "ro")
	if err := os.Mkdir(roDir, 0o500); err != nil {
		t.Fatal(err)
	}
	huge := strings.Repeat("x", 10<<20)
	create := func(name, size, project, justification string) []string {
		return []string{"--user", "bob", "request", "create", "--name", name, "--size", size, "--project", project, "--justification", justification}
	}
	const just = "load tests for the shop"
	vmware := func(url string) []string {
		return []string{"--user", "alice", "vmware", "set", "--url", url, "--username", "u", "--password-file", filepath.Join(dir, "pw"),
			"--datacenter", "DC0", "--cluster", "C0", "--datastore", "DS", "--network", "VM Network", "--template", "tpl"}
	}

	cases := []badInput{
		{"name empty", create("", "M", "shop", just), ExitInvalid},
		{"name too long", create(strings.Repeat("a", 64), "M", "shop", just), ExitInvalid},
		{"name uppercase", create("Web-03", "M", "shop", just), ExitInvalid},
		{"name leading dash", create("-web", "M", "shop", just), ExitInvalid},
		{"name trailing dash", create("web-", "M", "shop", just), ExitInvalid},
		{"name double dash", create("we--b", "M", "shop", just), ExitInvalid},
		{"name cyrillic look-alike", create("wеb-03", "M", "shop", just), ExitInvalid},
		{"name space", create("web 03", "M", "shop", just), ExitInvalid},
		{"name shell metachars", create("web$(id)", "M", "shop", just), ExitInvalid},
		{"name sql metachars", create("web');drop table events;--", "M", "shop", just), ExitInvalid},
		{"name NUL", create("web\x0003", "M", "shop", just), ExitInvalid},
		{"name two chars", create("ab", "M", "shop", just), ExitInvalid},
		{"size unknown", create("web-03", "XXL", "shop", just), ExitInvalid},
		{"size number", create("web-03", "100", "shop", just), ExitInvalid},
		{"size metachar", create("web-03", "S;", "shop", just), ExitInvalid},
		{"project empty", create("web-03", "M", "", just), ExitInvalid},
		{"project uppercase", create("web-03", "M", "Shop", just), ExitInvalid},
		{"project path", create("web-03", "M", "shop/../x", just), ExitInvalid},
		{"justification short", create("web-03", "M", "shop", "short"), ExitInvalid},
		{"justification blank", create("web-03", "M", "shop", "              "), ExitInvalid},
		{"justification 10 MB", create("web-03", "M", "shop", huge), ExitInvalid},
		{"name taken", create("web-01", "M", "shop", just), ExitConflict},
		{"reason short", []string{"--user", "alice", "request", "reject", id, "--reason", "no"}, ExitInvalid},
		{"reason too long", []string{"--user", "alice", "request", "reject", id, "--reason", strings.Repeat("r", 501)}, ExitInvalid},
		{"ip timeout sub-second", append(vmware("https://vc.example/sdk"), "--ip-timeout", "500ms"), ExitInvalid},
		{"ip timeout fraction", append(vmware("https://vc.example/sdk"), "--ip-timeout", "1.5s"), ExitInvalid},
		{"ip timeout zero", append(vmware("https://vc.example/sdk"), "--ip-timeout", "0s"), ExitInvalid},
		{"ip timeout 2 days", append(vmware("https://vc.example/sdk"), "--ip-timeout", "48h"), ExitInvalid},
		{"approve timeout zero", []string{"--user", "alice", "request", "approve", id, "--wait", "--timeout", "0s"}, ExitInvalid},
		{"approve timeout negative", []string{"--user", "alice", "request", "approve", id, "--wait", "--timeout", "-5s"}, ExitInvalid},
		{"retry timeout 2 days", []string{"--user", "alice", "request", "retry", approved, "--wait", "--timeout", "48h"}, ExitInvalid},
		{"vm status timeout zero", []string{"--user", "bob", "vm", "status", id, "--timeout", "0s"}, ExitInvalid},
		{"watch interval 2h", []string{"--user", "bob", "request", "show", id, "--watch", "--interval", "2h"}, ExitInvalid},
		{"doctor timeout 1h", []string{"doctor", "--timeout", "1h"}, ExitInvalid},
		{"lease too short", []string{"serve", "--once", "--lease", "1s"}, ExitInvalid},
		{"lease sub-second", []string{"serve", "--once", "--lease", "500ms"}, ExitInvalid},
		{"lease too long", []string{"serve", "--once", "--lease", "2h"}, ExitInvalid},
		{"poll zero", []string{"serve", "--once", "--poll", "0s"}, ExitInvalid},
		{"poll too long", []string{"serve", "--once", "--poll", "3h"}, ExitInvalid},
		{"grace negative", []string{"serve", "--once", "--grace", "-1s"}, ExitInvalid},
		{"reconcile too often", []string{"serve", "--reconcile-every", "1s"}, ExitInvalid},
		{"version zero", []string{"--user", "alice", "request", "approve", id, "--expect-version", "0"}, ExitInvalid},
		{"reject version zero", []string{"--user", "alice", "request", "reject", id, "--reason", "not in this quarter", "--expect-version", "0"}, ExitInvalid},
		{"justification forges a field", create("web-03", "M", "shop", "load tests\nStatus         APPROVED"), ExitInvalid},
		{"justification forges a timeline line", create("web-03", "M", "shop", "load tests\r\n  2026-01-01 10:00:00  Approved by alice"), ExitInvalid},
		{"justification line separator", create("web-03", "M", "shop", "load tests\u2028Status APPROVED"), ExitInvalid},
		{"justification escape sequence", create("web-03", "M", "shop", "\x1b[2J\x1b[Hload tests for the shop"), ExitInvalid},
		{"justification title sequence", create("web-03", "M", "shop", "\x1b]0;approved\x07 load tests for the shop"), ExitInvalid},
		{"justification C1 CSI", create("web-03", "M", "shop", "\u009b31m load tests for the shop"), ExitInvalid},
		{"justification DEL", create("web-03", "M", "shop", "load tests\x7f\x7f\x7f for the shop"), ExitInvalid},
		{"justification zero-width only", create("web-03", "M", "shop", strings.Repeat("\u200b", 20)), ExitInvalid},
		{"justification no-break spaces", create("web-03", "M", "shop", strings.Repeat("\u00a0", 20)), ExitInvalid},
		{"justification ideographic spaces", create("web-03", "M", "shop", strings.Repeat("\u3000", 20)), ExitInvalid},
		{"justification padded with invisibles", create("web-03", "M", "shop", "ok\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b"), ExitInvalid},
		{"justification direction marks", create("web-03", "M", "shop", "ok\u200e\u200f\u200e\u200f\u200e\u200f\u200e\u200f\u200e"), ExitInvalid},
		{"reason forges a line", []string{"--user", "alice", "request", "reject", id, "--reason", "not now\n2026-01-01 10:00:00  Approved by alice"}, ExitInvalid},
		{"reason bell", []string{"--user", "alice", "request", "reject", id, "--reason", "not in this quarter\a\a"}, ExitInvalid},
		{"reason invisible", []string{"--user", "alice", "request", "reject", id, "--reason", strings.Repeat("\u2060", 12)}, ExitInvalid},
		{"version negative", []string{"--user", "alice", "request", "approve", id, "--expect-version", "-1"}, ExitInvalid},
		{"version huge", []string{"--user", "alice", "request", "approve", id, "--expect-version", "99999999999999999999"}, ExitInvalid},
		{"version not a number", []string{"--user", "alice", "request", "approve", id, "--expect-version", "two"}, ExitInvalid},
		{"version stale", []string{"--user", "alice", "request", "approve", id, "--expect-version", "7"}, ExitConflict},
		{"id malformed", []string{"--user", "alice", "request", "approve", "../../etc/passwd"}, ExitNotFound},
		{"id unknown", []string{"--user", "alice", "request", "approve", "zzzzzzzzzzzzzzzz"}, ExitNotFound},
		{"id empty", []string{"--user", "alice", "request", "approve", ""}, ExitInvalid},
		{"id other tenant", []string{"--user", "alice", "request", "approve", other}, ExitNotFound},
		{"id other tenant cancel", []string{"--user", "bob", "request", "cancel", other}, ExitNotFound},
		{"approve own tenant by user", []string{"--user", "bob", "request", "approve", id}, ExitForbidden},
		{"cancel rejected", []string{"--user", "bob", "request", "cancel", rejected}, ExitConflict},
		{"give up failed", []string{"--user", "alice", "request", "give-up", approved, "--reason", "the lab vCenter is gone"}, ExitConflict},
		{"give up pending", []string{"--user", "alice", "request", "give-up", id, "--reason", "the lab vCenter is gone"}, ExitConflict},
		{"give up by requester", []string{"--user", "bob", "request", "give-up", approved, "--reason", "the lab vCenter is gone"}, ExitForbidden},
		{"give up without reason", []string{"--user", "alice", "request", "give-up", approved}, ExitInvalid},
		{"retry pending", []string{"--user", "alice", "request", "retry", id}, ExitConflict},
		{"url http", vmware("http://vc.example/sdk"), ExitInvalid},
		{"url 3000 characters", vmware("https://vc.example/" + strings.Repeat("a", 3000)), ExitInvalid},
		{"folder empty part", append(vmware("https://vc.example/sdk"), "--folder", "dvmm//x"), ExitInvalid},
		{"folder dot", append(vmware("https://vc.example/sdk"), "--folder", "./dvmm"), ExitInvalid},
		{"folder dot dot", append(vmware("https://vc.example/sdk"), "--folder", "dvmm/../other"), ExitInvalid},
		{"folder trailing slash", append(vmware("https://vc.example/sdk"), "--folder", "dvmm/"), ExitInvalid},
		{"thumbprint short", append(vmware("https://vc.example/sdk"), "--thumbprint", "AA:BB"), ExitInvalid},
		{"thumbprint not hex", append(vmware("https://vc.example/sdk"), "--thumbprint", strings.Repeat("ZZ:", 19)+"ZZ"), ExitInvalid},
		{"thumbprint odd colons", append(vmware("https://vc.example/sdk"), "--thumbprint", strings.Repeat("A", 38)+":AA"), ExitInvalid},
		{"ca file missing", append(vmware("https://vc.example/sdk"), "--ca-file", filepath.Join(dir, "nope.pem")), ExitInvalid},
		{"ca file not PEM", append(vmware("https://vc.example/sdk"), "--ca-file", filepath.Join(dir, "pw")), ExitInvalid},
		{"ca file a directory", append(vmware("https://vc.example/sdk"), "--ca-file", dir), ExitInvalid},
		{"ca file a device", append(vmware("https://vc.example/sdk"), "--ca-file", "/dev/zero"), ExitInvalid},
		{"ca file PEM key, no certificate", append(vmware("https://vc.example/sdk"), "--ca-file", filepath.Join(dir, "key.pem")), ExitInvalid},
		{"url no host", vmware("https:///sdk"), ExitInvalid},
		{"url spaces", vmware("https://vc example/sdk"), ExitInvalid},
		{"url not a url", vmware("::::"), ExitInvalid},
		{"password file missing", append(vmware("https://vc.example/sdk")[:10], "--password-file", filepath.Join(dir, "nope")), ExitInvalid},
		{"password file a directory", append(vmware("https://vc.example/sdk")[:10], "--password-file", dir), ExitInvalid},
		{"password file a FIFO", append(vmware("https://vc.example/sdk")[:10], "--password-file", filepath.Join(dir, "fifo")), ExitInvalid},
		{"password file a device", append(vmware("https://vc.example/sdk")[:10], "--password-file", "/dev/zero"), ExitInvalid},
		{"password file 10 MB", append(vmware("https://vc.example/sdk")[:10], "--password-file", filepath.Join(dir, "big")), ExitInvalid},
		{"config a directory", []string{"--config", dir, "request", "list"}, ExitInvalid},
		{"config a FIFO", []string{"--config", filepath.Join(dir, "fifo"), "request", "list"}, ExitInvalid},
		{"config a device", []string{"--config", "/dev/zero", "request", "list"}, ExitInvalid},
		{"config 10 MB", []string{"--config", filepath.Join(dir, "big"), "request", "list"}, ExitInvalid},
		{"user data a FIFO", append(create("web-03", "M", "shop", just), "--user-data", filepath.Join(dir, "fifo")), ExitInvalid},
		{"user data 10 MB", append(create("web-03", "M", "shop", just), "--user-data", filepath.Join(dir, "big")), ExitInvalid},
		{"config bad yaml", []string{"--config", filepath.Join(dir, "bad.yaml"), "request", "list"}, ExitInvalid},
		{"config unknown key", []string{"--config", filepath.Join(dir, "unknown.yaml"), "request", "list"}, ExitInvalid},
		{"config wrong type", []string{"--config", filepath.Join(dir, "types.yaml"), "request", "list"}, ExitInvalid},
		{"config list for string", []string{"--config", filepath.Join(dir, "list.yaml"), "request", "list"}, ExitInvalid},
		{"config missing", []string{"--config", filepath.Join(dir, "missing.yaml"), "request", "list"}, ExitInvalid},
		{"db is a directory", []string{"--db", dir, "--user", "bob", "request", "list"}, ExitInvalid},
		{"db in read-only folder", []string{"--db", filepath.Join(roDir, "x.db"), "--user", "bob", "request", "list"}, ExitUnavailable},
		{"output unknown", []string{"--user", "bob", "request", "list", "-o", "xml"}, ExitInvalid},
		{"status unknown", []string{"--user", "bob", "request", "list", "--status", "done"}, ExitInvalid},
		{"limit negative", []string{"--user", "bob", "request", "list", "--limit", "-1"}, ExitInvalid},
		{"unknown flag", []string{"--user", "bob", "request", "list", "--colour"}, ExitInvalid},
		{"unknown command", []string{"request", "approvee", id}, ExitInvalid},
		{"unknown top command", []string{"requests", "list"}, ExitInvalid},
		{"role unknown", []string{"--user", "alice", "tenant", "add-member", "acme", "carol", "--role", "root"}, ExitInvalid},
		{"user bad", []string{"--user", "Bob Smith", "request", "list"}, ExitInvalid},
		{"tenant unknown", []string{"--tenant", "nope", "--user", "bob", "request", "list"}, ExitNotFound},
		{"not a member", []string{"--user", "mallory", "request", "list"}, ExitForbidden},
		{"serve workers zero", []string{"serve", "--once", "--workers", "0"}, ExitInvalid},
		{"queue retry not a number", []string{"--user", "alice", "queue", "retry", "abc"}, ExitInvalid},
		{"quota set by a user", []string{"--user", "bob", "quota", "set", "--vms", "1"}, ExitForbidden},
		{"quota negative", []string{"--user", "alice", "quota", "set", "--cpus", "-4"}, ExitInvalid},
		{"quota too large", []string{"--user", "alice", "quota", "set", "--disk-gb", "99999999"}, ExitInvalid},
		{"quota not a number", []string{"--user", "alice", "quota", "set", "--vms", "ten"}, ExitInvalid},
		{"quota project path", []string{"--user", "alice", "quota", "show", "--project", "../shop"}, ExitInvalid},
		{"dry run name taken", append(create("web-01", "M", "shop", just), "--dry-run"), ExitConflict},
		{"power unknown action", []string{"--user", "bob", "vm", "power", "sideways", id}, ExitInvalid},
		{"power pending request", []string{"--user", "bob", "vm", "power", "off", id}, ExitConflict},
		{"power unknown VM", []string{"--user", "bob", "vm", "power", "off", "no-such-vm"}, ExitNotFound},
		{"resize unknown size", []string{"--user", "bob", "vm", "resize", id, "--size", "XXL"}, ExitInvalid},
		{"resize pending request", []string{"--user", "bob", "vm", "resize", id, "--size", "L"}, ExitConflict},
		{"decommission pending request", []string{"--user", "bob", "vm", "decommission", id, "--reason", "the load tests are over"}, ExitConflict},
		{"decommission reason control chars", []string{"--user", "bob", "vm", "decommission", id, "--reason", "done\x1b[2J and gone"}, ExitInvalid},
		{"approve decommission nobody asked", []string{"--user", "alice", "vm", "approve-decommission", approved}, ExitConflict},
		{"audit export no format", []string{"audit", "export"}, ExitInvalid},
		{"audit export bad time", []string{"audit", "export", "--format", "csv", "--since", "last week"}, ExitInvalid},
		{"audit export bad tenant", []string{"audit", "export", "--format", "csv", "--tenant", "Acme!"}, ExitInvalid},
		{"migrate to a file", []string{"admin", "migrate", "--to", filepath.Join(dir, "other.db")}, ExitInvalid},
		{"migrate to a bad URL", []string{"admin", "migrate", "--to", "postgres://u:pw@[::1"}, ExitInvalid},
	}
	if os.Geteuid() == 0 {
		// root writes into a read-only folder anyway: the case proves nothing there.
		kept := cases[:0]
		for _, c := range cases {
			if c.name != "db in read-only folder" {
				kept = append(kept, c)
			}
		}
		cases = kept
	}
	ctx := context.Background()
	snapshot := func() (int64, int64, []byte) {
		s, err := store.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		n, err := s.CountEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		last, err := s.LastSeq(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n, last, eventRows(t, s)
	}
	count, last, rows := snapshot()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %q", code, tc.code, clipForLog(errOut))
			}
			if n := strings.Count(errOut, "\n"); n != 1 || !strings.HasPrefix(errOut, "dvmm: ") {
				t.Errorf("stderr should be one line starting with 'dvmm: ', got %q", clipForLog(errOut))
			}
			if len(errOut) > 400 {
				t.Errorf("stderr line is %d bytes long", len(errOut))
			}
			if out != "" && code != 0 {
				t.Errorf("stdout not empty: %q", clipForLog(out))
			}
			n, l, r := snapshot()
			if n != count || l != last || !bytes.Equal(r, rows) {
				t.Errorf("event log changed: %d events (was %d), last seq %d (was %d)", n, count, l, last)
			}
		})
	}
	t.Logf("%d bad inputs tried", len(cases))
}

type badInput struct {
	name string
	args []string
	code int
}

// eventRows is every event of the log as stored, to compare byte for byte.
func eventRows(t testing.TB, s *store.DB) []byte {
	t.Helper()
	var buf bytes.Buffer
	err := s.ForEachEvent(context.Background(), func(e app.Event) error {
		data, err := app.EncodePayload(e.Data)
		if err != nil {
			return err
		}
		fmt.Fprintf(&buf, "%d %s %s/%s v%d %s %s %s\n", e.Seq, e.TenantID, e.StreamType, e.StreamID, e.Version, e.Type, e.At.Format(time.RFC3339Nano), data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func clipForLog(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

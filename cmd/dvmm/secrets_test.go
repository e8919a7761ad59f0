package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dvmm/dvmm/internal/store"
	"github.com/dvmm/dvmm/internal/vsphere"
)

// The vCenter passwords of the secrets test. Their characters are ones
// that JSON and URLs escape, so that the escaped forms are searched too.
const (
	goodPassword  = "Tr0ub4dor&3<dvmm>-correct"
	wrongPassword = "Wr0ng&Pa55<dvmm>-horse"
)

// leakForms lists the ways a secret could show up in text: as is, in
// base64 (every alphabet, padded or not), hex, JSON- and URL-escaped.
func leakForms(s string) []string {
	forms := secretForms(s)
	j, _ := json.Marshal(s)
	return append(forms, strings.ToUpper(hex.EncodeToString([]byte(s))), strings.Trim(string(j), `"`),
		url.QueryEscape(s), url.PathEscape(s))
}

// TestSecretsNeverLeak runs a whole flow with a vCenter password (set from a
// file, an environment variable and stdin; test; approve --wait; serve with
// JSON and text logs; every read command with -o json; refusals and
// failures, a wrong password included), each as a real dvmm process, then
// searches every output, every file dvmm wrote (database, WAL, key folder)
// for both passwords in all their forms: none may be found. The database,
// its WAL and the key file are 0600 and their folders 0700, although dvmm
// ran with umask 000.
func TestSecretsNeverLeak(t *testing.T) {
	old := syscall.Umask(0)
	t.Cleanup(func() { syscall.Umask(old) })
	h := newHarness(t)
	sim, _ := h.startSimWith("vc", vsphere.SimOptions{Password: goodPassword})
	// The password files live apart from the folders searched below.
	secrets := t.TempDir()
	good, wrong := filepath.Join(secrets, "good"), filepath.Join(secrets, "wrong")
	for f, pw := range map[string]string{good: goodPassword, wrong: wrongPassword} {
		if err := os.WriteFile(f, []byte(pw+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	h.env = append(h.env, "VC_PASSWORD="+goodPassword, "DVMM_TENANT=acme")
	setWith := func(source ...string) []string {
		args := vmwareSet(sim, good)
		for i, a := range args {
			if a == "--password-file" {
				args = append(append(args[:i:i], source...), args[i+2:]...)
				break
			}
		}
		return args
	}

	type output struct{ cmd, text string }
	var outputs []output // every stdout and stderr of every run
	run := func(stdin string, want int, args ...string) result {
		t.Helper()
		var out, errOut bytes.Buffer
		cmd := h.command(context.Background(), args...)
		cmd.Stdin = strings.NewReader(stdin)
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		if err != nil {
			code = cmd.ProcessState.ExitCode()
		}
		outputs = append(outputs, output{"dvmm " + strings.Join(args, " "), out.String() + errOut.String()})
		if code != want {
			t.Fatalf("dvmm %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out.String(), errOut.String())
		}
		return result{code: code, out: out.String(), errOut: errOut.String()}
	}
	ok := func(args ...string) result { t.Helper(); return run("", 0, args...) }

	// Keep a connection open, so the WAL stays on disk to be searched.
	ctx := context.Background()
	ok("tenant", "create", "acme", "--admin", "alice")
	ok("--user", "alice", "--tenant", "acme", "project", "create", "shop")
	keep, err := store.Open(ctx, h.db)
	if err != nil {
		t.Fatal(err)
	}
	defer keep.Close()
	ok("--user", "alice", "tenant", "add-member", "acme", "bob")

	// set, from each source, and with JSON output
	ok(append([]string{"--user", "alice"}, setWith("--password-env", "VC_PASSWORD")...)...)
	run(goodPassword+"\n", 0, append([]string{"--user", "alice", "-o", "json"}, setWith("--password-stdin")...)...)
	// a wrong password, then the right one again from its file
	ok(append([]string{"--user", "alice", "-o", "json"}, setWith("--password-file", wrong)...)...)
	run("", ExitUnavailable, "--user", "alice", "vmware", "test")
	run("", ExitUnavailable, "--user", "alice", "vmware", "test", "-o", "json")
	wreq := strings.TrimSpace(ok("--user", "bob", "request", "create", "--name", "web-00", "--size", "S", "--project", "shop", "--justification", "secrets tests of dvmm").out)
	run("", ExitFailed, "--user", "alice", "request", "approve", wreq, "--wait")
	run("", 0, "--user", "alice", "request", "retry", wreq) // queued; serve below meets the wrong password
	run("", ExitFailed, "serve", "--once", "--log-format", "json")
	ok(append([]string{"--user", "alice"}, setWith("--password-file", good)...)...)

	// refusals that are handed the password
	run("", ExitInvalid, append([]string{"--user", "alice"}, append(setWith("--password-file", good), "--password="+goodPassword)...)...)
	run("", ExitInvalid, append([]string{"--user", "alice"}, append(setWith("--password-file", good), "--password", goodPassword)...)...)
	for _, bad := range []string{"https://%s@vc.example/sdk", "https://%s@vc.example:99999/sdk", "https://%s@vc example/sdk", "https://%s@/sdk",
		"http://%s@vc.example/sdk", "https://%s@vc.example/sdk\n"} {
		for _, userinfo := range []string{url.UserPassword("u", goodPassword).String(), "u:" + goodPassword} {
			run("", ExitInvalid, "--user", "alice", "vmware", "set", "--url", fmt.Sprintf(bad, userinfo), "--username", "u", "--password-file", good,
				"--datacenter", "DC0", "--cluster", "C0", "--datastore", "DS", "--network", "N", "--template", "T")
		}
	}
	run("", ExitInvalid, append([]string{"--user", "alice"}, setWith("--password-file", good, "--password-env", "VC_PASSWORD")...)...)
	run(goodPassword+"\n", ExitForbidden, append([]string{"--user", "bob"}, setWith("--password-stdin")...)...)

	// the whole flow with the right password
	ok("--user", "alice", "vmware", "test")
	ok("--user", "alice", "vmware", "test", "-o", "json")
	ok("--user", "bob", "vmware", "show")
	ok("--user", "bob", "vmware", "show", "-o", "json")
	var ids []string
	for _, name := range []string{"web-01", "web-02", "web-03"} {
		ids = append(ids, strings.TrimSpace(ok("--user", "bob", "request", "create", "--name", name, "--size", "S", "--project", "shop", "--justification", "secrets tests of dvmm").out))
	}
	ok("--user", "alice", "-o", "json", "request", "approve", ids[0], "--wait")
	ok("--user", "alice", "request", "approve", ids[1])
	ok("--user", "alice", "request", "approve", ids[2])
	if r := ok("serve", "--once", "--log-format", "json"); !strings.Contains(r.errOut, `"msg":"provisioning"`) {
		t.Fatalf("serve logged no provisioning line to search:\n%s", r.errOut)
	}
	ok("--user", "alice", "request", "retry", wreq)
	ok("serve", "--once", "--log-format", "text")
	for _, id := range append(ids, wreq) {
		ok("--user", "bob", "request", "show", id, "-o", "json")
		ok("--user", "bob", "vm", "status", id, "-o", "json")
		ok("--user", "bob", "request", "show", id)
	}
	for _, args := range [][]string{{"request", "list"}, {"vm", "list"}, {"queue", "list"}, {"tenant", "list"}} {
		ok(append([]string{"--user", "alice", "-o", "json"}, args...)...)
		ok(append([]string{"--user", "alice"}, args...)...)
	}
	ok("admin", "rebuild")
	ok("--user", "alice", "vmware", "show", "-o", "json")

	// The flow did use the password: a VM exists and the sealed password is stored.
	if n, err := sim.CountVMs(ctx, "dvmm"); err != nil || n != 4 {
		t.Fatalf("the simulator holds %d VMs (%v), want 4", n, err)
	}
	if sealed, err := keep.Secret(ctx, "acme", "vcenter-password"); err != nil || len(sealed) == 0 {
		t.Fatalf("no sealed password is stored: %v", err)
	}

	// Search. The search itself must find what it looks for.
	forms := append(leakForms(goodPassword), leakForms(wrongPassword)...)
	find := func(data []byte) string {
		for _, f := range forms {
			if bytes.Contains(data, []byte(f)) {
				return f
			}
		}
		return ""
	}
	if find([]byte("xx"+leakForms(goodPassword)[2]+"xx")) == "" {
		t.Fatal("the search does not find a base64 form of the password")
	}
	for _, o := range outputs {
		if f := find([]byte(o.text)); f != "" {
			t.Errorf("the output of %s holds the password (as %q):\n%s", o.cmd, f, o.text)
		}
	}
	if _, err := os.Stat(h.db + "-wal"); err != nil {
		t.Fatalf("no WAL to search: %v", err)
	}
	files := 0
	err = filepath.WalkDir(h.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		if f := find(data); f != "" {
			t.Errorf("%s holds the password (as %q)", p, f)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Modes: the database, WAL, shared memory and key files are the
	// owner's only, and so are their folders.
	key := filepath.Join(h.dir, "config", "dvmm", "secret.key")
	for _, c := range []struct {
		path string
		mode fs.FileMode
	}{
		{h.db, 0o600}, {h.db + "-wal", 0o600}, {h.db + "-shm", 0o600}, {filepath.Dir(h.db), 0o700},
		{key, 0o600}, {filepath.Dir(key), 0o700},
	} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if got := fi.Mode().Perm(); got != c.mode {
			t.Errorf("%s has mode %o, want %o", c.path, got, c.mode)
		}
	}
	t.Logf("%d outputs and %d files searched for %d forms of two passwords", len(outputs), files, len(forms))
}

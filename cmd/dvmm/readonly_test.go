package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReadOnlyDatabase: a database path the user cannot write (in a
// read-only folder, or a read-only file) is refused with one line on
// stderr and exit 6 (unavailable), and nothing is created or changed.
// Root writes anywhere, so under root the dvmm processes run as nobody.
func TestReadOnlyDatabase(t *testing.T) {
	h := newHarness(t)
	base, err := os.MkdirTemp("", "dvmm-readonly-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = filepath.Walk(base, func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.IsDir() {
				_ = os.Chmod(p, 0o700)
			}
			return nil
		})
		_ = os.RemoveAll(base)
	})
	bin := dvmmPath(t)
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		// nobody must be able to run the binary: copy it out of the
		// owner-only folder testscript put it in.
		copied := filepath.Join(base, "dvmm")
		copyFile(t, bin, copied, 0o755)
		bin, cred = copied, &syscall.Credential{Uid: 65534, Gid: 65534}
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}

	// A real database, then made read-only with its folder.
	roDB := filepath.Join(base, "db", "dvmm.db")
	h.must("--db", roDB, "tenant", "create", "acme", "--admin", "alice")
	roFolder := filepath.Join(base, "ro")
	for _, d := range []string{roFolder} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for p, mode := range map[string]os.FileMode{roDB: 0o444, filepath.Dir(roDB): 0o555, roFolder: 0o555} {
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	dbBytes, err := os.ReadFile(roDB)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		args []string
	}{
		{"new database in a read-only folder", []string{"--db", filepath.Join(roFolder, "x.db"), "--user", "alice", "tenant", "create", "acme"}},
		{"write to a read-only database", []string{"--db", roDB, "--tenant", "acme", "--user", "alice", "tenant", "add-member", "acme", "bob"}},
		{"read a read-only database", []string{"--db", roDB, "--tenant", "acme", "--user", "alice", "request", "list"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			cmd := exec.Command(bin, c.args...)
			cmd.Env = append(append([]string{}, h.env...), "HOME="+base, "XDG_CONFIG_HOME="+base, "XDG_DATA_HOME="+base)
			cmd.Dir = base
			cmd.Stdout, cmd.Stderr = &out, &errOut
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
			err := cmd.Run()
			if cmd.ProcessState == nil {
				t.Fatalf("dvmm did not start: %v", err)
			}
			if code := cmd.ProcessState.ExitCode(); code != ExitUnavailable {
				t.Errorf("exit %d, want %d; stderr %q", code, ExitUnavailable, errOut.String())
			}
			e := errOut.String()
			if strings.Count(e, "\n") != 1 || !strings.HasPrefix(e, "dvmm: cannot open database ") || out.Len() != 0 {
				t.Errorf("want one line on stderr naming the database, nothing on stdout; got %q and %q", e, out.String())
			}
		})
	}
	if _, err := os.Stat(filepath.Join(roFolder, "x.db")); err == nil {
		t.Error("a database was made in the read-only folder")
	}
	if after, err := os.ReadFile(roDB); err != nil || !bytes.Equal(after, dbBytes) {
		t.Errorf("the read-only database changed (%v)", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(roDB)); len(entries) != 1 {
		t.Errorf("the read-only database's folder holds %d files, want only the database", len(entries))
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

package safefile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/safefile"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(write("target", "via link"), link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		max        int64
		want       string // data, or the error's reason
		ok         bool
	}{
		{"OK", write("ok", "secret\n"), 100, "secret\n", true},
		{"Empty", write("empty", ""), 100, "", true},
		{"AtTheCap", write("cap", strings.Repeat("x", 100)), 100, strings.Repeat("x", 100), true},
		{"SymlinkToFile", link, 100, "via link", true},
		{"OverTheCap", write("big", strings.Repeat("x", 101)), 100, "is larger than 100 bytes", false},
		{"OverTheCapKiB", write("bigk", strings.Repeat("x", 4097)), 4096, "is larger than 4 KiB", false},
		{"Missing", filepath.Join(dir, "nope"), 100, "does not exist", false},
		{"Directory", dir, 100, "is a directory, not a file", false},
		{"FIFO", fifo, 100, "is a FIFO, not a regular file", false},
		{"CharDevice", "/dev/zero", 100, "is a device, not a regular file", false},
		{"NullDevice", "/dev/null", 100, "is a device, not a regular file", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan struct{})
			var data []byte
			var err error
			go func() { data, err = safefile.ReadFile(tc.path, tc.max); close(done) }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("ReadFile blocked")
			}
			if tc.ok {
				if err != nil || string(data) != tc.want {
					t.Fatalf("ReadFile = %q, %v; want %q", data, err, tc.want)
				}
				return
			}
			var e *safefile.Error
			if !errors.As(err, &e) || e.Reason != tc.want || e.Path != tc.path {
				t.Fatalf("ReadFile = %q, %v; want the error %q for %s", data, err, tc.want, tc.path)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q spans lines", err)
			}
		})
	}
}

func TestReadStdin(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = w.WriteString("from a pipe\n"); w.Close() }()
	data, err := safefile.ReadStdin(r, 100)
	if err != nil || string(data) != "from a pipe\n" {
		t.Fatalf("ReadStdin(pipe) = %q, %v", data, err)
	}

	r2, w2, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = w2.WriteString(strings.Repeat("x", 101)); w2.Close() }()
	if _, err := safefile.ReadStdin(r2, 100); err == nil || err.Error() != "standard input is larger than 100 bytes" {
		t.Fatalf("ReadStdin(big pipe) = %v", err)
	}

	zero, err := os.Open("/dev/zero")
	if err != nil {
		t.Fatal(err)
	}
	defer zero.Close()
	if _, err := safefile.ReadStdin(zero, 100); err == nil || err.Error() != "standard input is a device, not a regular file" {
		t.Fatalf("ReadStdin(/dev/zero) = %v", err)
	}

	if data, err := safefile.ReadStdin(strings.NewReader("reader"), 100); err != nil || string(data) != "reader" {
		t.Fatalf("ReadStdin(reader) = %q, %v", data, err)
	}
}

package secret_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dvmm/dvmm/internal/secret"
)

func TestSealOpenRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "conf", "secret.key")
	box, err := secret.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key mode = %o, want 600", fi.Mode().Perm())
	}
	sealed, err := box.Seal([]byte("s3cret-pw"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("s3cret-pw")) {
		t.Fatal("sealed bytes contain the plaintext")
	}
	again, err := secret.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := again.Open(sealed)
	if err != nil || string(pt) != "s3cret-pw" {
		t.Fatalf("Open = %q, %v", pt, err)
	}
}

func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	a, _ := secret.LoadOrCreate(filepath.Join(dir, "a.key"))
	b, _ := secret.LoadOrCreate(filepath.Join(dir, "b.key"))
	sealed, _ := a.Seal([]byte("pw"))
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1
	for name, in := range map[string][]byte{"other key": nil, "tampered": tampered, "short": {1, 2}, "empty": {}} {
		t.Run(name, func(t *testing.T) {
			box, data := a, in
			if name == "other key" {
				box, data = b, sealed
			}
			if _, err := box.Open(data); err == nil {
				t.Fatal("Open succeeded")
			}
		})
	}
}

func TestKeyReadableByOthersRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.key")
	if _, err := secret.LoadOrCreate(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := secret.LoadOrCreate(path); err == nil {
		t.Fatal("a world-readable key was accepted")
	}
}

// Each way a key file can be wrong says what is wrong, and Load never
// makes a key.
func TestLoadSaysWhatIsWrong(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.key")
	if _, err := secret.LoadOrCreate(good); err != nil {
		t.Fatal(err)
	}
	write := func(name, data string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	others := write("others.key", "00", 0o600)
	if err := os.Chmod(others, 0o640); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, path, want string }{
		{"Missing", filepath.Join(dir, "none.key"), "secret key does not exist: "},
		{"Directory", dir, "is a directory, not a file"},
		{"Device", "/dev/zero", "is a device, not a regular file"},
		{"ReadableByOthers", others, "is readable by others (mode 640)"},
		{"NotHex", write("text.key", "not a key at all\n", 0o600), "is malformed: it is not a 64-digit hex key"},
		{"Short", write("short.key", "abcd\n", 0o600), "is malformed"},
		{"Huge", write("huge.key", strings.Repeat("ab", 5000), 0o600), "is larger than 4 KiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := secret.Load(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "password") {
				t.Fatalf("Load(%s) = %v, want an error saying %q", tc.path, err, tc.want)
			}
			if tc.name == "Missing" && !errors.Is(err, secret.ErrNoKey) {
				t.Fatalf("Load of a missing key = %v, want ErrNoKey", err)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "none.key")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("Load made a key")
	}
	if _, err := secret.Load(good); err != nil {
		t.Fatalf("Load(good) = %v", err)
	}
}

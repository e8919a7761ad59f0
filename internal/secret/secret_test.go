package secret_test

import (
	"bytes"
	"os"
	"path/filepath"
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

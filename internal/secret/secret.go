// Package secret seals small secrets (the vCenter password) at rest with
// AES-256-GCM under a key kept in a file of its own, beside the config,
// readable only by its owner. The database holds only the sealed bytes, so
// a copy of the database alone reveals nothing.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dvmm/dvmm/internal/safefile"
)

// Box seals and opens secrets with one key. It implements app.SecretBox.
type Box struct {
	aead cipher.AEAD
}

const keyLen = 32

// version prefixes sealed bytes so the format can change later.
const version byte = 1

// ErrNoKey says the key file does not exist (Load never makes one).
var ErrNoKey = errors.New("secret key does not exist")

// LoadOrCreate reads the key at path, creating a new random one (mode 0600,
// folder 0700) when the file does not exist.
func LoadOrCreate(path string) (*Box, error) {
	b, err := Load(path)
	if errors.Is(err, ErrNoKey) {
		return create(path)
	}
	return b, err
}

// Load reads the key at path. Each way a key file can be wrong has its own
// message: missing (ErrNoKey), a directory or device, unreadable, readable
// by others, or not a key.
func Load(path string) (*Box, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoKey, path)
	}
	if err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secret key %s is readable by others (mode %o): run chmod 600 on it", path, fi.Mode().Perm())
	}
	data, err := safefile.ReadFile(path, safefile.MaxKey)
	if err != nil {
		return nil, fmt.Errorf("secret key %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) != keyLen {
		return nil, fmt.Errorf("secret key %s is malformed: it is not a 64-digit hex key", path)
	}
	return New(key)
}

func create(path string) (*Box, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cannot create folder for secret key: %w", err)
	}
	key := make([]byte, keyLen)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		// Another process made it first: use theirs.
		return Load(path)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot create secret key %s: %w", path, err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return New(key)
}

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != keyLen {
		return nil, errors.New("secret key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext with a fresh nonce.
func (b *Box) Seal(plaintext []byte) ([]byte, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := append([]byte{version}, nonce...)
	return b.aead.Seal(out, nonce, plaintext, nil), nil
}

// Open decrypts what Seal made; a wrong key or tampered bytes fail.
func (b *Box) Open(sealed []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < 1+n || sealed[0] != version {
		return nil, errors.New("sealed secret has an unknown format")
	}
	pt, err := b.aead.Open(nil, sealed[1:1+n], sealed[1+n:], nil)
	if err != nil {
		return nil, errors.New("sealed secret cannot be opened with this key")
	}
	return pt, nil
}

// Package auth holds the primitives of dvmm's identities: password hashes
// (argon2id), personal API tokens (random secrets stored as SHA-256
// hashes) and a login throttle. It knows nothing of users, tenants or
// storage; the application decides who may do what.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost settings. DefaultParams follow RFC 9106's
// second recommendation scaled to a small server: 64 MiB, 2 passes,
// 2 lanes (about 60 ms on one core of a 2-core machine).
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// DefaultParams is what new hashes use.
var DefaultParams = Params{Memory: 64 * 1024, Time: 2, Threads: 2, SaltLen: 16, KeyLen: 32}

// MaxPasswordLen bounds what is hashed: argon2 takes any length, but a
// megabyte "password" is a way to burn CPU, not a password.
const MaxPasswordLen = 1024

// ErrMalformedHash says a stored hash is not one this package wrote.
var ErrMalformedHash = errors.New("malformed password hash")

// HashPassword returns an encoded argon2id hash of password in the PHC
// string format: $argon2id$v=19$m=65536,t=2,p=2$<salt>$<hash>.
func HashPassword(password string, p Params) (string, error) {
	if len(password) > MaxPasswordLen {
		return "", fmt.Errorf("password longer than %d bytes", MaxPasswordLen)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches encoded, comparing in
// constant time. A malformed hash is an error, never a match.
func VerifyPassword(encoded, password string) (bool, error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	if len(password) > MaxPasswordLen {
		// Still spend the time a real check takes, so a long guess
		// answers like a wrong one.
		argon2.IDKey([]byte(password[:MaxPasswordLen]), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
		return false, nil
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// dummyHash is checked against when a login names no known user, so that
// an unknown user and a wrong password take the same time.
var dummyHash = func() string {
	h, err := HashPassword("dvmm dummy password: never matches a login", DefaultParams)
	if err != nil {
		panic(err)
	}
	return h
}()

// VerifyNobody spends the time of one VerifyPassword with DefaultParams and
// returns false: the answer for a user who does not exist or is disabled.
func VerifyNobody(password string) bool {
	_, _ = VerifyPassword(dummyHash, password)
	return false
}

// NeedsRehash reports whether encoded was made with other parameters
// than p, so a successful login can store a fresh hash.
func NeedsRehash(encoded string, p Params) bool {
	got, salt, key, err := decodeHash(encoded)
	if err != nil {
		return true
	}
	return got.Memory != p.Memory || got.Time != p.Time || got.Threads != p.Threads ||
		uint32(len(salt)) != p.SaltLen || uint32(len(key)) != p.KeyLen
}

func decodeHash(encoded string) (Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return Params{}, nil, nil, ErrMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return Params{}, nil, nil, ErrMalformedHash
	}
	var p Params
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil || n != 3 {
		return Params{}, nil, nil, ErrMalformedHash
	}
	// Bounds keep a damaged or hostile hash from asking for gigabytes.
	if p.Memory < 8 || p.Memory > 1<<20 || p.Time < 1 || p.Time > 10 || p.Threads < 1 || p.Threads > 16 {
		return Params{}, nil, nil, ErrMalformedHash
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil || len(salt) < 8 || len(salt) > 64 {
		return Params{}, nil, nil, ErrMalformedHash
	}
	key, err := enc.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return Params{}, nil, nil, ErrMalformedHash
	}
	return p, salt, key, nil
}

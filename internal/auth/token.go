package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"strings"
)

// A personal API token reads dvmm_<id>_<secret>. The id (10 characters)
// names the token in lists and logs and finds its record; the secret (32
// random bytes) is shown once and stored only as its SHA-256 hash. A
// secret of 256 random bits needs no slow hash: nobody can guess it, so a
// stolen table of hashes gives nothing to try.
const tokenPrefix = "dvmm_"

var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// ErrMalformedToken says a presented token does not have the token's form.
var ErrMalformedToken = errors.New("malformed token")

// NewToken makes a token; it returns the text to give the user once, its
// id, and the hash to store.
func NewToken() (text, id, hash string, err error) {
	idBytes := make([]byte, 6)
	secret := make([]byte, 32)
	if _, err := rand.Read(idBytes); err != nil {
		return "", "", "", err
	}
	if _, err := rand.Read(secret); err != nil {
		return "", "", "", err
	}
	id = tokenEncoding.EncodeToString(idBytes)
	s := tokenEncoding.EncodeToString(secret)
	return tokenPrefix + id + "_" + s, id, hashSecret(s), nil
}

// ParseToken splits a presented token into its id and secret.
func ParseToken(text string) (id, secret string, err error) {
	rest, ok := strings.CutPrefix(text, tokenPrefix)
	if !ok {
		return "", "", ErrMalformedToken
	}
	id, secret, ok = strings.Cut(rest, "_")
	if !ok || len(id) != 10 || len(secret) != 52 || !isBase32(id) || !isBase32(secret) {
		return "", "", ErrMalformedToken
	}
	return id, secret, nil
}

// TokenMatches reports, in constant time, whether secret hashes to stored.
func TokenMatches(stored, secret string) bool {
	return subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(stored)) == 1
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func isBase32(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '2' && r <= '7') {
			return false
		}
	}
	return true
}

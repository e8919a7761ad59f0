package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/auth"
)

// fast keeps the tests quick; the format and logic are the same.
var fast = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestPasswordHash(t *testing.T) {
	h, err := auth.HashPassword("correct horse", fast)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(h, "correct horse") {
		t.Fatalf("hash %q", h)
	}
	h2, _ := auth.HashPassword("correct horse", fast)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, tc := range []struct {
		name, password string
		want           bool
	}{
		{"OK", "correct horse", true},
		{"Wrong", "correct horsE", false},
		{"Empty", "", false},
		{"Prefix", "correct", false},
		{"Longer", "correct horse ", false},
		{"TooLong", strings.Repeat("x", auth.MaxPasswordLen+1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := auth.VerifyPassword(h, tc.password)
			if err != nil || got != tc.want {
				t.Fatalf("VerifyPassword = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	if _, err := auth.HashPassword(strings.Repeat("x", auth.MaxPasswordLen+1), fast); err == nil {
		t.Fatal("a password over the limit was hashed")
	}
}

func TestMalformedHashes(t *testing.T) {
	good, _ := auth.HashPassword("pw", fast)
	parts := strings.Split(good, "$")
	for _, bad := range []string{
		"", "plain", "$argon2i$v=19$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=18$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=99999999,t=1,p=1$" + parts[4] + "$" + parts[5], // gigabytes
		"$argon2id$v=19$m=64,t=0,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=1$!!$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=1$" + parts[4] + "$",
		good + "$extra",
	} {
		if ok, err := auth.VerifyPassword(bad, "pw"); ok || err == nil {
			t.Errorf("VerifyPassword(%q) = %v, %v; want an error", bad, ok, err)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	h, _ := auth.HashPassword("pw", fast)
	if auth.NeedsRehash(h, fast) {
		t.Error("a hash with the current parameters needs a rehash")
	}
	if !auth.NeedsRehash(h, auth.DefaultParams) || !auth.NeedsRehash("junk", fast) {
		t.Error("a hash with other parameters, or a malformed one, needs no rehash")
	}
}

func TestVerifyNobody(t *testing.T) {
	if auth.VerifyNobody("anything") {
		t.Fatal("VerifyNobody matched")
	}
}

func TestTokens(t *testing.T) {
	text, id, hash, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, "dvmm_"+id+"_") || strings.Contains(hash, text[len("dvmm_"+id+"_"):]) {
		t.Fatalf("token %q id %q hash %q", text, id, hash)
	}
	gotID, secret, err := auth.ParseToken(text)
	if err != nil || gotID != id || !auth.TokenMatches(hash, secret) {
		t.Fatalf("ParseToken = %q, %q, %v", gotID, secret, err)
	}
	other, _, _, _ := auth.NewToken()
	if other == text {
		t.Fatal("two tokens are equal")
	}
	_, otherSecret, _ := auth.ParseToken(other)
	if auth.TokenMatches(hash, otherSecret) {
		t.Fatal("another token's secret matches")
	}
	for _, bad := range []string{"", "dvmm_", "bearer " + text, text + "x", text[:len(text)-1], strings.ToUpper(text),
		"dvmm_" + id + "-" + secret, "dvmm_" + id + "_" + secret[:51] + "1", "xxxx_" + id + "_" + secret} {
		if _, _, err := auth.ParseToken(bad); err == nil {
			t.Errorf("ParseToken(%q) accepted", bad)
		}
	}
}

func TestThrottle(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := auth.NewThrottle(func() time.Time { return now })
	th.First, th.Max = time.Second, 8*time.Second
	if d := th.Wait("bob"); d != 0 {
		t.Fatalf("a fresh key waits %s", d)
	}
	for i, want := range []time.Duration{1, 2, 4, 8, 8} {
		if d := th.Failed("bob"); d != want*time.Second {
			t.Fatalf("failure %d: wait %s, want %s", i+1, d, want*time.Second)
		}
	}
	if d := th.Wait("bob"); d != 8*time.Second {
		t.Fatalf("wait %s right after a failure, want 8s", d)
	}
	if d := th.Wait("alice"); d != 0 {
		t.Fatalf("another key waits %s", d)
	}
	now = now.Add(5 * time.Second)
	if d := th.Wait("bob"); d != 3*time.Second {
		t.Fatalf("wait %s after 5s, want 3s", d)
	}
	now = now.Add(3 * time.Second)
	if d := th.Wait("bob"); d != 0 {
		t.Fatalf("wait %s once the time is over, want 0", d)
	}
	th.Succeeded("bob")
	if d := th.Failed("bob"); d != time.Second {
		t.Fatalf("after a success the first failure waits %s, want 1s", d)
	}

	th.Free = 2
	for i, want := range []time.Duration{0, 0, 1, 2} {
		if d := th.Failed("shared-address"); d != want*time.Second {
			t.Fatalf("with 2 free failures, failure %d waits %s, want %s", i+1, d, want*time.Second)
		}
	}
	// Quiet for longer than Max: the count starts again.
	now = now.Add(9 * time.Second)
	if d := th.Failed("shared-address"); d != 0 {
		t.Fatalf("after a quiet spell a failure waits %s, want 0", d)
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadInputNotify: bad notification channels and ids get one line on
// stderr, the documented exit code, nothing on stdout, and leave the
// event log as it was.
func TestBadInputNotify(t *testing.T) {
	h := newHarness(t)
	t.Setenv("DVMM_TENANT", "acme")
	h.must("tenant", "create", "acme", "--admin", "alice")
	h.must("--user", "alice", "tenant", "add-member", "acme", "bob")
	write := func(name, body string) string {
		p := filepath.Join(h.dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	secret := write("secret", "hook-secret\n")
	empty := write("empty", "\n")
	notPEM := write("not-pem", "hello\n")
	hook := func(url string, more ...string) []string {
		return append([]string{"--user", "alice", "notify", "add", "webhook", url}, more...)
	}
	mail := func(more ...string) []string {
		args := map[string]string{"--smtp": "mail.example:587", "--from": "dvmm@example.com", "--to": "{user}@example.com", "--events": "ready"}
		out := []string{"--user", "alice", "notify", "add", "email"}
		for i := 0; i+1 < len(more); i += 2 {
			args[more[i]] = more[i+1]
		}
		for k, v := range args {
			if v != "-" {
				out = append(out, k, v)
			}
		}
		return out
	}
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"webhook by a user", []string{"--user", "bob", "notify", "add", "webhook", "https://hooks.example/", "--events", "ready", "--secret-file", secret}, ExitForbidden},
		{"webhook no events", hook("https://hooks.example/", "--secret-file", secret), ExitInvalid},
		{"webhook unknown event", hook("https://hooks.example/", "--events", "ready,lunch", "--secret-file", secret), ExitInvalid},
		{"webhook event NUL", hook("https://hooks.example/", "--events", "rea\x00dy", "--secret-file", secret), ExitInvalid},
		{"webhook no secret", hook("https://hooks.example/", "--events", "ready"), ExitInvalid},
		{"webhook empty secret", hook("https://hooks.example/", "--events", "ready", "--secret-file", empty), ExitInvalid},
		{"webhook secret is a folder", hook("https://hooks.example/", "--events", "ready", "--secret-file", h.dir), ExitInvalid},
		{"webhook url ftp", hook("ftp://hooks.example/", "--events", "ready", "--secret-file", secret), ExitInvalid},
		{"webhook url newline", hook("https://hooks.example/\nhttps://evil.example/", "--events", "ready", "--secret-file", secret), ExitInvalid},
		{"webhook url credentials", hook("https://u:p@hooks.example/", "--events", "ready", "--secret-file", secret), ExitInvalid},
		{"webhook no url", []string{"--user", "alice", "notify", "add", "webhook", "--events", "ready", "--secret-file", secret}, ExitInvalid},
		{"email no port", mail("--smtp", "mail.example"), ExitInvalid},
		{"email port zero", mail("--smtp", "mail.example:0"), ExitInvalid},
		{"email bad sender", mail("--from", "dvmm at example"), ExitInvalid},
		{"email bad recipient", mail("--to", "ops"), ExitInvalid},
		{"email no recipient", mail("--to", "-"), ExitInvalid},
		{"email password without user", mail("--password-file", secret), ExitInvalid},
		{"email password without TLS", mail("--username", "u", "--password-file", secret, "--no-tls", "true"), ExitInvalid},
		{"email CA not PEM", mail("--ca-file", notPEM), ExitInvalid},
		{"email unknown event", mail("--events", "approved,sunset"), ExitInvalid},
		{"remove unknown", []string{"--user", "alice", "notify", "remove", "zzzz"}, ExitNotFound},
		{"remove by a user", []string{"--user", "bob", "notify", "remove", "zzzz"}, ExitForbidden},
		{"test unknown", []string{"--user", "alice", "notify", "test", "zzzz"}, ExitNotFound},
		{"list by a user", []string{"--user", "bob", "notify", "list"}, ExitForbidden},
	}
	before := h.log()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.run(tc.args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %q", r.code, tc.code, clipForLog(r.errOut))
			}
			if n := strings.Count(r.errOut, "\n"); n != 1 || !strings.HasPrefix(r.errOut, "dvmm: ") {
				t.Errorf("stderr should be one line starting with 'dvmm: ', got %q", clipForLog(r.errOut))
			}
			if strings.Contains(r.errOut, "hook-secret") {
				t.Errorf("stderr shows the secret: %q", r.errOut)
			}
			if r.out != "" {
				t.Errorf("stdout not empty: %q", clipForLog(r.out))
			}
			if after := h.log(); !after.equal(before) {
				t.Errorf("event log changed: %d events (was %d)", after.count, before.count)
				before = after
			}
		})
	}
}

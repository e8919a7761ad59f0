package main

import (
	"strings"
	"testing"
)

// TestBadInputLeases: bad input to the lease commands gets one line on
// stderr, the documented exit code, nothing on stdout, and leaves the
// event log as it was.
func TestBadInputLeases(t *testing.T) {
	h := newHarness(t)
	t.Setenv("DVMM_TENANT", "acme")
	h.must("tenant", "create", "acme", "--admin", "alice")
	h.must("--user", "alice", "tenant", "add-member", "acme", "bob")
	h.must("--user", "alice", "lease", "policy", "set", "--default", "30d", "--max", "90d", "--grace", "7d")
	h.must("--user", "alice", "project", "create", "shop")
	id := h.must("--user", "bob", "request", "create", "--name", "web-01", "--project", "shop", "--justification", "load tests for the shop")
	id = strings.TrimSpace(id)
	create := func(lease string) []string {
		return []string{"--user", "bob", "request", "create", "--name", "web-02", "--project", "shop", "--justification", "load tests for the shop", "--lease", lease}
	}
	policy := func(args ...string) []string {
		return append([]string{"--user", "alice", "lease", "policy", "set"}, args...)
	}
	cases := []badInput{
		{"lease past the most", create("91d"), ExitInvalid},
		{"lease without unit", create("30"), ExitInvalid},
		{"lease in weeks", create("2w"), ExitInvalid},
		{"lease zero", create("0d"), ExitInvalid},
		{"lease negative", create("-1d"), ExitInvalid},
		{"lease NUL", create("3\x00d"), ExitInvalid},
		{"lease overflow", create("99999999999999999999d"), ExitInvalid},
		{"policy by a user", []string{"--user", "bob", "lease", "policy", "set", "--default", "1d", "--max", "2d", "--grace", "0d"}, ExitForbidden},
		{"policy without grace", policy("--default", "30d", "--max", "90d"), ExitInvalid},
		{"policy default past max", policy("--default", "91d", "--max", "90d", "--grace", "7d"), ExitInvalid},
		{"policy none and values", policy("--none", "--default", "30d"), ExitInvalid},
		{"policy grace too long", policy("--default", "30d", "--max", "90d", "--grace", "366d"), ExitInvalid},
		{"policy hours", policy("--default", "12h", "--max", "90d", "--grace", "7d"), ExitInvalid},
		{"extend a pending VM", []string{"--user", "bob", "vm", "extend", id, "--by", "1d"}, ExitConflict},
		{"extend without days", []string{"--user", "bob", "vm", "extend", id}, ExitInvalid},
		{"extend by zero", []string{"--user", "bob", "vm", "extend", id, "--by", "0d"}, ExitInvalid},
		{"extend unknown VM", []string{"--user", "bob", "vm", "extend", "nope-99", "--by", "1d"}, ExitNotFound},
		{"approve nothing", []string{"--user", "alice", "vm", "approve-extension", id}, ExitConflict},
		{"reject without reason", []string{"--user", "alice", "vm", "reject-extension", id}, ExitInvalid},
		{"expiring in hours", []string{"--user", "bob", "vm", "list", "--expiring", "12h"}, ExitInvalid},
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

package postgres_test

import (
	"strings"
	"testing"

	"github.com/dvmm/dvmm/internal/store/postgres"
)

// The password of a database URL never shows in what Redact returns.
func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://dvmm:S3cret-pw@db.example:5432/dvmm", "postgres://dvmm@db.example:5432/dvmm"},
		{"postgres://dvmm@db.example/dvmm", "postgres://dvmm@db.example/dvmm"},
		{"postgres://db.example/dvmm?sslmode=require&password=S3cret-pw", "postgres://db.example/dvmm?sslmode=require"},
		{"postgresql://u:S3cret-pw@/dvmm?host=/run/pg&password=S3cret-pw", "postgresql://u@/dvmm?host=%2Frun%2Fpg"},
		{"postgres://u:S3cret-pw@%zz/db", "postgres://(a URL that does not parse)"},
	} {
		got := postgres.Redact(tc.in)
		if got != tc.want || strings.Contains(got, "S3cret") {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

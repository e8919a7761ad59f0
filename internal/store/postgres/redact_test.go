package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dvmm/dvmm/internal/app"
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

// TestUnreachableServerSaysWhy: a server nobody listens for gives one
// line that says why, without the URL's password.
func TestUnreachableServerSaysWhy(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://dvmm:s3cret-pw@127.0.0.1:1/dvmm?connect_timeout=5")
	msg := app.ErrorMessage(err)
	if app.ErrorKind(err) != app.KindUnavailable || strings.Contains(msg, "\n") || strings.Contains(msg, "s3cret-pw") ||
		!strings.Contains(msg, "connection refused") {
		t.Fatalf("opening an unreachable server: %s (%s)", msg, app.ErrorKind(err))
	}
}

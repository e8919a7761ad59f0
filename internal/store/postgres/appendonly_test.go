package postgres_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/store/postgres"
	"github.com/dvmm/dvmm/internal/store/postgres/pgtest"
)

// TestEventsAreAppendOnly: the events table refuses UPDATE, DELETE and
// TRUNCATE by triggers, even to the tables' owner, which dvmm's database
// user usually is (revoked rights would not bind an owner).
func TestEventsAreAppendOnly(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Append(ctx, 0, []app.Event{cancelled("r1")}); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, stmt := range []string{
		`UPDATE events SET data = '{}'`,
		`DELETE FROM events`,
		`TRUNCATE events`,
	} {
		_, err := raw.ExecContext(ctx, stmt)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused as append-only", stmt, err)
		}
	}
	if n, err := db.CountEvents(ctx); err != nil || n != 1 {
		t.Errorf("the log holds %d events (%v), want 1", n, err)
	}
}

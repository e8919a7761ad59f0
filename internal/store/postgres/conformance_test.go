package postgres_test

import (
	"context"
	"testing"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/store/postgres"
	"github.com/dvmm/dvmm/internal/store/postgres/pgtest"
	"github.com/dvmm/dvmm/internal/store/storetest"
)

// open gives each test a database of its own on the test binary's cluster.
func open(tb testing.TB, o postgres.Options) *postgres.DB {
	tb.Helper()
	db, err := postgres.OpenWith(context.Background(), pgtest.NewDatabase(tb), o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// TestConformance runs the suite every store passes. The suite drives
// time by hand, so the queue compares the times it passes (CallerClock);
// the server's clock has tests of its own (clock_test.go).
func TestConformance(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) app.Store { return open(tb, postgres.Options{CallerClock: true}) })
}

// TestUpgradeAtOnce: two servers open one database of an earlier version
// at the same moment; each of its projects is made once.
func TestUpgradeAtOnce(t *testing.T) {
	url := pgtest.NewDatabase(t)
	var dbs []app.Store
	for range 2 {
		db, err := postgres.OpenWith(context.Background(), url, postgres.Options{CallerClock: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		dbs = append(dbs, db)
	}
	storetest.UpgradeAtOnce(t, dbs[0], dbs[1])
}

package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/store"
)

// TestFullDatabaseSaysDiskFull: SQLite's own "database or disk is full"
// (SQLITE_FULL, here from a page limit on a real file) maps to the one
// full-disk message, a KindUnavailable (exit 6). The script disk_full
// covers the forms a file size limit gives: the shared-memory file and
// the write-ahead log that cannot grow.
func TestFullDatabaseSaysDiskFull(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "full.db")
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	for _, stmt := range []string{`CREATE TABLE t (data TEXT)`, `PRAGMA max_page_count = 3`} {
		if _, err := raw.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	_, err = raw.ExecContext(ctx, `INSERT INTO t (data) VALUES (?)`, strings.Repeat("x", 64<<10))
	if err == nil {
		t.Fatal("an insert beyond the page limit went through")
	}
	mapped := store.DBError(err)
	if app.ErrorKind(mapped) != app.KindUnavailable || !strings.Contains(app.ErrorMessage(mapped), "the disk holding the database is full") {
		t.Errorf("SQLite said %q; dvmm says %q (%s), want the full-disk message, unavailable", err, app.ErrorMessage(mapped), app.ErrorKind(mapped))
	}
}

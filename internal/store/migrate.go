package store

import (
	"context"
	"embed"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dvmm/dvmm/internal/app"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the embedded migrations in name order. A file's
// version is the number its name starts with (0001_init.sql is 1).
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var ms []migration
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		digits, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(digits)
		if err != nil || v <= 0 {
			return nil, internal("migration %s does not start with a version number", base)
		}
		if len(ms) > 0 && ms[len(ms)-1].version >= v {
			return nil, internal("migration %s repeats or goes back on version %d", base, v)
		}
		body, err := migrationFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(body)})
	}
	return ms, nil
}

// migrate applies the migrations this database lacks, each in its own
// transaction, so a failure leaves the schema at the last good version.
// Two processes opening a new file at once are serialised by the write
// lock, and the second finds the work done.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.sql.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return dbError(err)
	}
	ms, err := migrations()
	if err != nil {
		return err
	}
	current, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if latest := ms[len(ms)-1].version; current > latest {
		return app.Errorf(app.KindInvalid, "database %s has schema version %d, newer than this dvmm knows (%d): upgrade dvmm", db.path, current, latest)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		err := db.update(ctx, func(tx *Tx) error {
			var n int
			if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil || n > 0 {
				return err
			}
			// Not a prepared statement: a migration is a script of many.
			if _, err := tx.sql.ExecContext(ctx, m.sql); err != nil {
				return internal("migration %s failed: %s", m.name, app.FirstLine(err.Error()))
			}
			// When the schema changed is the file's own bookkeeping, read
			// by no rule: it happens at Open, before any App and its clock.
			_, err := tx.exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, formatTime(time.Now()))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// SchemaVersion is the version of the last migration applied.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, dbError(err)
}

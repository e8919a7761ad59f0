package postgres

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

// migrations lists the embedded migrations in name order; a file's
// version is the number its name starts with. They are PostgreSQL's own:
// the SQLite store's files use SQLite's dialect.
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

// LatestSchemaVersion is the schema version this build migrates to.
func LatestSchemaVersion() (int, error) {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0, err
	}
	return ms[len(ms)-1].version, nil
}

// migrate applies the migrations the database lacks, all in one
// transaction under an advisory lock: processes starting at once wait for
// each other, and the later ones find the work done. PostgreSQL's DDL is
// transactional, so a failure leaves the schema as it was.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	stx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return dbError(err)
	}
	defer func() { _ = stx.Rollback() }()
	if _, err := stx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLock)); err != nil {
		return dbError(err)
	}
	if _, err := stx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return dbError(err)
	}
	var current int
	if err := stx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return dbError(err)
	}
	if latest := ms[len(ms)-1].version; current > latest {
		return app.Errorf(app.KindInvalid, "database %s has schema version %d, newer than this dvmm knows (%d): upgrade dvmm", db.redacted, current, latest)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		if _, err := stx.ExecContext(ctx, m.sql); err != nil {
			return internal("migration %s failed: %s", m.name, app.FirstLine(app.ErrorMessage(dbError(err))))
		}
		// The schema's own bookkeeping, read by no rule (see the SQLite store).
		if _, err := stx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			m.version, m.name, formatTime(time.Now())); err != nil {
			return dbError(err)
		}
	}
	return dbError(stx.Commit())
}

// SchemaVersion is the version of the last migration applied.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

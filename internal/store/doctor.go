package store

import (
	"fmt"

	"context"
	"github.com/dvmm/dvmm/internal/app"
	"strings"
)

// LatestSchemaVersion is the schema version this build migrates to.
func LatestSchemaVersion() (int, error) {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0, err
	}
	return ms[len(ms)-1].version, nil
}

// IntegrityCheck runs SQLite's integrity_check over the whole file. It
// returns nil when the file is sound, else an error quoting the first
// problems SQLite reports.
func (db *DB) IntegrityCheck(ctx context.Context) error {
	rows, err := db.sql.QueryContext(ctx, `PRAGMA integrity_check(10)`)
	if err != nil {
		return dbError(err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return dbError(err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return dbError(err)
	}
	if len(problems) > 0 {
		return internal("integrity check failed: %s", app.FirstLine(strings.Join(problems, "; ")))
	}
	return nil
}

// JournalMode is the file's journal mode; dvmm sets "wal".
func (db *DB) JournalMode(ctx context.Context) (string, error) {
	var mode string
	err := db.sql.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode)
	return strings.ToLower(mode), dbError(err)
}

// HealthChecks look inside the open database: its schema version, its
// integrity and its journal mode, one app.Check each.
func (db *DB) HealthChecks(ctx context.Context) []app.Check {
	var checks []app.Check
	add := func(name string, ok bool, format string, args ...any) {
		checks = append(checks, app.Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
	}
	latest, err := LatestSchemaVersion()
	if err != nil {
		add("schema", false, "%s", app.ErrorMessage(err))
	} else if v, err := db.SchemaVersion(ctx); err != nil {
		add("schema", false, "%s", app.ErrorMessage(err))
	} else if v != latest {
		add("schema", false, "version %d, this dvmm expects %d", v, latest)
	} else {
		add("schema", true, "version %d, the latest", v)
	}
	if err := db.IntegrityCheck(ctx); err != nil {
		add("integrity", false, "%s", app.ErrorMessage(err))
	} else {
		add("integrity", true, "integrity_check found nothing wrong")
	}
	n, damaged, err := db.DecodeAll(ctx)
	checks = append(checks, app.EventsCheck(n, damaged, err))
	if mode, err := db.JournalMode(ctx); err != nil {
		add("journal", false, "%s", app.ErrorMessage(err))
	} else if mode != "wal" {
		add("journal", false, "journal mode is %s, not wal: is the file on a network file system?", mode)
	} else {
		add("journal", true, "WAL")
	}
	return checks
}

// DecodeAll reads every event payload of the log as the application
// would, and returns how many there are and the first damaged ones, each
// named by its sequence number.
func (db *DB) DecodeAll(ctx context.Context) (int, []string, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT seq, type, data FROM events ORDER BY seq`)
	if err != nil {
		return 0, nil, dbError(err)
	}
	defer rows.Close()
	return app.DecodeRows(rows, dbError)
}

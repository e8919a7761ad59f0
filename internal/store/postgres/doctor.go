package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/dvmm/dvmm/internal/app"
)

// HealthChecks report the connection (server version, without the URL's
// password), the schema version and, when the server has replicas or is
// one, how far replication lags.
func (db *DB) HealthChecks(ctx context.Context) []app.Check {
	var checks []app.Check
	add := func(name string, ok bool, format string, args ...any) {
		checks = append(checks, app.Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
	}
	var version string
	if err := db.queryRow(ctx, `SELECT current_setting('server_version')`).Scan(&version); err != nil {
		add("connection", false, "%s: %s", db.redacted, app.ErrorMessage(err))
		return checks
	}
	add("connection", true, "%s, PostgreSQL %s", db.redacted, version)

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
	n, damaged, err := db.DecodeAll(ctx)
	checks = append(checks, app.EventsCheck(n, damaged, err))

	var standby bool
	if err := db.queryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&standby); err != nil {
		add("replication", false, "%s", app.ErrorMessage(err))
		return checks
	}
	if standby {
		// dvmm writes: a standby cannot serve it, but say how far behind it is.
		var lag sql.NullFloat64
		err := db.queryRow(ctx, `SELECT EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())`).Scan(&lag)
		if err != nil {
			add("replication", false, "%s", app.ErrorMessage(err))
		} else {
			add("replication", false, "this server is a read-only standby (replay %s behind its primary): point the database setting at the primary", seconds(lag))
		}
		return checks
	}
	rows, err := db.query(ctx, `SELECT COALESCE(application_name, ''), COALESCE(state, ''), EXTRACT(EPOCH FROM replay_lag) FROM pg_stat_replication ORDER BY application_name`)
	if err != nil {
		add("replication", false, "%s", app.ErrorMessage(err))
		return checks
	}
	defer rows.Close()
	var (
		lines []string
		worst time.Duration
	)
	for rows.Next() {
		var (
			name, state string
			lag         sql.NullFloat64
		)
		if err := rows.Scan(&name, &state, &lag); err != nil {
			add("replication", false, "%s", app.ErrorMessage(dbError(err)))
			return checks
		}
		if lag.Valid {
			worst = max(worst, time.Duration(lag.Float64*float64(time.Second)))
		}
		lines = append(lines, fmt.Sprintf("%s (%s) replay lag %s", app.Clip(name, 40), state, seconds(lag)))
	}
	if err := rows.Err(); err != nil {
		add("replication", false, "%s", app.ErrorMessage(dbError(err)))
		return checks
	}
	switch {
	case len(lines) == 0:
		add("replication", true, "no replica")
	case worst > 30*time.Second:
		add("replication", false, "%s: a replica is more than 30 s behind", strings.Join(lines, "; "))
	default:
		add("replication", true, "%s", strings.Join(lines, "; "))
	}
	return checks
}

func seconds(v sql.NullFloat64) string {
	if !v.Valid {
		return "unknown"
	}
	return (time.Duration(v.Float64 * float64(time.Second))).Round(time.Millisecond).String()
}

// DecodeAll reads every event payload of the log as the application
// would, and returns how many there are and the first damaged ones, each
// named by its sequence number.
func (db *DB) DecodeAll(ctx context.Context) (int, []string, error) {
	rows, err := db.query(ctx, `SELECT seq, type, data FROM events ORDER BY seq`)
	if err != nil {
		return 0, nil, dbError(err)
	}
	defer rows.Close()
	return app.DecodeRows(rows, dbError)
}

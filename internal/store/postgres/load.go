package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/dvmm/dvmm/internal/app"
)

// Rows are one table's rows as another store reads them: column values in
// the order of its columns (pgx.CopyFromSource, with Close).
type Rows interface {
	Next() bool
	Values() ([]any, error)
	Err() error
	Close() error
}

// Dump opens one table of the source for Load.
type Dump func(table string) (columns []string, rows Rows, err error)

// identities are the tables whose key the database hands out, with the
// column: after a copy their counters continue after the copied rows.
var identities = map[string]string{"events": "seq", "commands": "id"}

// Load copies tables from another dvmm database into this one, which
// must hold no row of them yet, in one transaction under the write lock:
// a failed copy leaves nothing behind. Rows go through PostgreSQL's COPY,
// streamed, so the log is never held in memory. The read models are not
// copied: rebuild them from the events afterwards. It returns how many
// rows each table received.
func (db *DB) Load(ctx context.Context, tables []string, dump Dump) (map[string]int64, error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, dbError(err)
	}
	defer conn.Close()
	copied := map[string]int64{}
	err = conn.Raw(func(driverConn any) error {
		pc := driverConn.(*stdlib.Conn).Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return dbError(err)
		}
		defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(writeLock)); err != nil {
			return dbError(err)
		}
		for _, table := range tables {
			var n int64
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM `+pgx.Identifier{table}.Sanitize()).Scan(&n); err != nil {
				return dbError(err)
			}
			if n > 0 {
				return app.Errorf(app.KindConflict, "database %s already holds %d rows of %s: migrate copies only into an empty dvmm database", db.redacted, n, table)
			}
		}
		for _, table := range tables {
			n, err := copyTable(ctx, tx, table, dump)
			if err != nil {
				return err
			}
			copied[table] = n
			if col, ok := identities[table]; ok {
				q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', '%s'), COALESCE(MAX(%s), 0) + 1, false) FROM %s`, table, col, col, table)
				if _, err := tx.Exec(ctx, q); err != nil {
					return dbError(err)
				}
			}
		}
		return dbError(tx.Commit(ctx))
	})
	if err != nil {
		return nil, err
	}
	return copied, nil
}

func copyTable(ctx context.Context, tx pgx.Tx, table string, dump Dump) (int64, error) {
	cols, rows, err := dump(table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, rows)
	if err != nil {
		if rerr := rows.Err(); rerr != nil {
			return 0, rerr
		}
		return 0, app.Errorf(app.KindInvalid, "copying %s: %s", table, app.FirstLine(app.ErrorMessage(dbError(err))))
	}
	return n, nil
}

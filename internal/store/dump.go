package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/dvmm/dvmm/internal/app"
)

// CopiedTables hold what the events do not derive, and the events
// themselves: 'dvmm admin migrate' copies them row by row into another
// store, which rebuilds its read models from the events.
var CopiedTables = []string{"events", "secrets", "credentials", "commands"}

// TableRows are the rows of one table, read in primary-key order, one
// at a time: a copy streams them rather than holding the table in memory.
type TableRows struct {
	Columns []string
	rows    *sql.Rows
	values  []any
	err     error
}

// Dump opens the rows of one of CopiedTables.
func (db *DB) Dump(ctx context.Context, table string) (*TableRows, error) {
	if !slices.Contains(CopiedTables, table) {
		return nil, app.Errorf(app.KindInternal, "dump: %s is not a table that is copied", table)
	}
	rows, err := db.sql.QueryContext(ctx, fmt.Sprintf(`SELECT * FROM %s ORDER BY 1, 2`, table))
	if err != nil {
		return nil, dbError(err)
	}
	cols, err := rows.Columns()
	if err != nil {
		rows.Close()
		return nil, dbError(err)
	}
	return &TableRows{Columns: cols, rows: rows}, nil
}

// Next moves to the next row.
func (r *TableRows) Next() bool {
	if r.err != nil || !r.rows.Next() {
		return false
	}
	vals := make([]any, len(r.Columns))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := r.rows.Scan(ptrs...); err != nil {
		r.err = dbError(err)
		return false
	}
	r.values = vals
	return true
}

// Values are the current row's, column by column.
func (r *TableRows) Values() ([]any, error) { return r.values, r.err }

// Err is the first error of the walk.
func (r *TableRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return dbError(r.rows.Err())
}

// Close ends the walk.
func (r *TableRows) Close() error { return r.rows.Close() }

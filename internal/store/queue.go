package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/dvmm/dvmm/internal/app"
)

const commandColumns = `id, key, type, tenant, request_id, payload, status, attempts, next_run_at,
	claimed_by, lease_until, last_error, correlation_id, created_at`

// Enqueue adds a command unless one with its key exists. The key makes
// dispatch idempotent: a process manager that reacts twice to the same
// event enqueues once.
func (tx *Tx) Enqueue(ctx context.Context, c app.Command) (bool, error) {
	if c.Key == "" || c.Type == "" {
		return false, internal("enqueue: a command needs a key and a type")
	}
	if c.Status == "" {
		c.Status = app.CommandPending
	}
	if c.NextRunAt.IsZero() {
		c.NextRunAt = tx.now
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = tx.now
	}
	payload := string(c.Payload)
	if payload == "" {
		payload = "{}"
	}
	res, err := tx.exec(ctx, `INSERT INTO commands (key, type, tenant, request_id, payload, status, attempts, next_run_at,
			last_error, correlation_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO NOTHING`,
		c.Key, c.Type, c.Tenant, c.RequestID, payload, string(c.Status), c.Attempts, formatTime(c.NextRunAt),
		c.LastError, c.Correlation, formatTime(c.CreatedAt), formatTime(tx.now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, dbError(err)
}

// A command is due when it is pending, its time has come and nobody holds
// a live lease on it.
const dueCondition = `status = 'pending' AND next_run_at <= ? AND (lease_until IS NULL OR lease_until < ?)`

// Claim leases the oldest due command to worker. Under SQLite the write
// lock makes pick-and-mark atomic; PostgreSQL would add FOR UPDATE SKIP
// LOCKED to the inner SELECT.
func (db *DB) Claim(ctx context.Context, worker string, now time.Time, lease time.Duration) (app.Command, bool, error) {
	at := formatTime(now)
	return db.claim(ctx, `UPDATE commands SET claimed_by = ?, lease_until = ?, updated_at = ?
		WHERE id = (SELECT id FROM commands WHERE `+dueCondition+` ORDER BY next_run_at, id LIMIT 1)
		RETURNING `+commandColumns,
		worker, formatTime(now.Add(lease)), at, at, at)
}

// ClaimByKey leases the command with that key, if it is due.
func (db *DB) ClaimByKey(ctx context.Context, key, worker string, now time.Time, lease time.Duration) (app.Command, bool, error) {
	at := formatTime(now)
	return db.claim(ctx, `UPDATE commands SET claimed_by = ?, lease_until = ?, updated_at = ?
		WHERE key = ? AND `+dueCondition+`
		RETURNING `+commandColumns,
		worker, formatTime(now.Add(lease)), at, key, at, at)
}

func (db *DB) claim(ctx context.Context, query string, args ...any) (app.Command, bool, error) {
	var (
		c     app.Command
		found bool
	)
	err := db.update(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, query, args...)
		if err != nil {
			return err
		}
		cs, err := scanCommands(rows)
		if err != nil || len(cs) == 0 {
			return err
		}
		c, found = cs[0], true
		return nil
	})
	return c, found, err
}

// Renew extends the lease worker holds on a command.
func (db *DB) Renew(ctx context.Context, id int64, worker string, until time.Time) error {
	return db.update(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE commands SET lease_until = ?, updated_at = ?
			WHERE id = ? AND claimed_by = ? AND status = 'pending' AND lease_until IS NOT NULL`,
			formatTime(until), formatTime(tx.now), id, worker)
		return tx.expectOne(ctx, res, err, id, "is not leased to "+clip(worker, 40))
	})
}

// Release gives a lease back without spending an attempt, so the command
// is due again at once.
func (db *DB) Release(ctx context.Context, id int64, worker string) error {
	return db.update(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE commands SET claimed_by = NULL, lease_until = NULL, updated_at = ?
			WHERE id = ? AND claimed_by = ? AND status = 'pending' AND lease_until IS NOT NULL`,
			formatTime(tx.now), id, worker)
		return tx.expectOne(ctx, res, err, id, "is not leased to "+clip(worker, 40))
	})
}

// FinishCommand marks a pending command done or failed. It keeps
// claimed_by as a record of the worker that ran it.
func (tx *Tx) FinishCommand(ctx context.Context, id int64, status app.CommandStatus, lastError string) error {
	if status != app.CommandDone && status != app.CommandFailed {
		return internal("finish command %d: status %q is not done or failed", id, status)
	}
	// The run that ends a command is an attempt too.
	res, err := tx.exec(ctx, `UPDATE commands SET status = ?, last_error = ?, lease_until = NULL, attempts = attempts + 1, updated_at = ?
		WHERE id = ? AND status = 'pending'`,
		string(status), lastError, formatTime(tx.now), id)
	return tx.expectOne(ctx, res, err, id, "is no longer pending")
}

// RescheduleCommand puts a pending command back in the queue at a later
// time and releases its lease.
func (tx *Tx) RescheduleCommand(ctx context.Context, id int64, at time.Time, spent bool, lastError string) error {
	add := 0
	if spent {
		add = 1
	}
	res, err := tx.exec(ctx, `UPDATE commands SET next_run_at = ?, attempts = attempts + ?, last_error = ?,
			claimed_by = NULL, lease_until = NULL, updated_at = ?
		WHERE id = ? AND status = 'pending'`,
		formatTime(at), add, lastError, formatTime(tx.now), id)
	return tx.expectOne(ctx, res, err, id, "is no longer pending")
}

// expectOne turns an update that matched no row into not found or, when
// the command exists, a conflict saying why.
func (tx *Tx) expectOne(ctx context.Context, res sql.Result, err error, id int64, why string) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil || n == 1 {
		return dbError(err)
	}
	var exists int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM commands WHERE id = ?`, id).Scan(&exists); err != nil {
		return err
	}
	if exists == 0 {
		return app.Errorf(app.KindNotFound, "command %d not found", id)
	}
	return app.Errorf(app.KindConflict, "command %d %s", id, why)
}

// ListCommands lists the commands of a tenant ("" for all), newest first.
func (db *DB) ListCommands(ctx context.Context, tenant string) ([]app.Command, error) {
	var (
		rows *sql.Rows
		err  error
	)
	if tenant == "" {
		rows, err = db.query(ctx, `SELECT `+commandColumns+` FROM commands ORDER BY id DESC`)
	} else {
		rows, err = db.query(ctx, `SELECT `+commandColumns+` FROM commands WHERE tenant = ? ORDER BY id DESC`, tenant)
	}
	if err != nil {
		return nil, err
	}
	cs, err := scanCommands(rows)
	if cs == nil && err == nil {
		cs = []app.Command{}
	}
	return cs, err
}

func scanCommands(rows *sql.Rows) ([]app.Command, error) {
	defer rows.Close()
	var out []app.Command
	for rows.Next() {
		var (
			c                     app.Command
			payload, status       string
			next, created         string
			claimedBy, leaseUntil sql.NullString
		)
		if err := rows.Scan(&c.ID, &c.Key, &c.Type, &c.Tenant, &c.RequestID, &payload, &status, &c.Attempts, &next,
			&claimedBy, &leaseUntil, &c.LastError, &c.Correlation, &created); err != nil {
			return nil, dbError(err)
		}
		c.Payload, c.Status, c.ClaimedBy = json.RawMessage(payload), app.CommandStatus(status), claimedBy.String
		var err error
		if c.NextRunAt, err = parseTime(next); err != nil {
			return nil, err
		}
		if c.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		if leaseUntil.Valid {
			if c.LeaseUntil, err = parseTime(leaseUntil.String); err != nil {
				return nil, err
			}
		}
		out = append(out, c)
	}
	return out, dbError(rows.Err())
}

package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/dvmm/dvmm/internal/app"
)

// The queue is the SQLite store's with two differences.
//
// Row locks: a claim picks its command with FOR UPDATE SKIP LOCKED, so
// workers of many processes claim different commands at once, and none
// waits for a row another is taking. Claims, renewals and releases run
// outside the write lock; inside a use case's transaction they hold it
// too, which is harmless.
//
// One clock: every time the queue compares (next run, lease expiry) is
// the database server's clock, never a machine's own. The port passes the
// caller's now with each call; this store reads the server's clock in the
// same transaction and moves every time the caller passed by the
// difference, so "due in 10 s" or "leased for a minute" keeps its length
// but is measured on the server. A machine whose clock is an hour behind
// then neither takes a command whose lease is still running nor sees due
// work as not yet due, and a command enqueued by a machine an hour ahead
// is due at once. Times kept as records (created_at) are the caller's.

const commandColumns = `id, key, type, tenant, request_id, payload, status, attempts, next_run_at,
	claimed_by, lease_until, last_error, correlation_id, created_at, slot, slot_limit`

// clock returns the time queue comparisons use and how far it is ahead of
// the caller's clock.
func (tx *Tx) clock(ctx context.Context, caller time.Time) (time.Time, time.Duration, error) {
	if tx.db.opts.CallerClock {
		return caller, 0, nil
	}
	var now time.Time
	if err := tx.queryRow(ctx, `SELECT clock_timestamp()`).Scan(&now); err != nil {
		return time.Time{}, 0, err
	}
	now = now.UTC()
	return now, now.Sub(caller), nil
}

// Enqueue adds a command unless one with its key exists.
func (tx *Tx) Enqueue(ctx context.Context, c app.Command) (bool, error) {
	if c.Key == "" || c.Type == "" {
		return false, internal("enqueue: a command needs a key and a type")
	}
	if c.NextRunAt.IsZero() || c.CreatedAt.IsZero() {
		return false, internal("enqueue %s: a command needs its run and creation times", c.Key)
	}
	if c.Slot != "" && c.SlotLimit < 1 {
		return false, internal("enqueue %s: a slot needs a limit", c.Key)
	}
	if c.Status == "" {
		c.Status = app.CommandPending
	}
	payload := string(c.Payload)
	if payload == "" {
		payload = "{}"
	}
	_, shift, err := tx.clock(ctx, c.CreatedAt)
	if err != nil {
		return false, err
	}
	res, err := tx.exec(ctx, `INSERT INTO commands (key, type, tenant, request_id, payload, status, attempts, next_run_at,
			last_error, correlation_id, created_at, updated_at, slot, slot_limit)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO NOTHING`,
		c.Key, c.Type, c.Tenant, c.RequestID, payload, string(c.Status), c.Attempts, formatTime(c.NextRunAt.Add(shift)),
		c.LastError, c.Correlation, formatTime(c.CreatedAt), formatTime(c.CreatedAt), c.Slot, c.SlotLimit)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, dbError(err)
	}
	if n == 1 {
		if err := tx.notify(ctx, notifyQueue); err != nil {
			return false, err
		}
	}
	return n == 1, nil
}

// Enqueue adds a command in a transaction of its own.
func (db *DB) Enqueue(ctx context.Context, c app.Command) (bool, error) {
	var added bool
	err := db.queueTx(ctx, func(tx *Tx) error {
		var err error
		added, err = tx.Enqueue(ctx, c)
		return err
	})
	return added, err
}

const dueCondition = `status = 'pending' AND next_run_at <= ? AND (lease_until IS NULL OR lease_until < ?)`

// slotFree holds when the command's slot has fewer live leases than its
// limit (the SQLite store's condition). Claims take claimLock first, so
// two processes cannot both count a free place and both take it.
const slotFree = `(slot = '' OR (SELECT COUNT(*) FROM commands held
	WHERE held.slot = commands.slot AND held.status = 'pending' AND held.lease_until >= ?) < slot_limit)`

// claimLock serialises claims across processes: the count of a slot's
// live leases and the lease it gives are then one step.
const claimLock = 0x64766d6f

// Claim leases the oldest due command, or the one with c.Key, to c.Worker.
func (tx *Tx) Claim(ctx context.Context, c app.Claim) (app.Command, bool, error) {
	if c.Worker == "" || c.Now.IsZero() || c.Lease <= 0 {
		return app.Command{}, false, internal("claim: a worker, a time and a lease are needed")
	}
	if _, err := tx.exec(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(claimLock)); err != nil {
		return app.Command{}, false, err
	}
	now, _, err := tx.clock(ctx, c.Now)
	if err != nil {
		return app.Command{}, false, err
	}
	at := formatTime(now)
	var rows *sql.Rows
	if c.Key == "" {
		rows, err = tx.query(ctx, `UPDATE commands SET claimed_by = ?, lease_until = ?, updated_at = ?
			WHERE id = (SELECT id FROM commands WHERE `+dueCondition+` AND `+slotFree+` ORDER BY next_run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
			RETURNING `+commandColumns,
			c.Worker, formatTime(now.Add(c.Lease)), at, at, at, at)
	} else {
		rows, err = tx.query(ctx, `UPDATE commands SET claimed_by = ?, lease_until = ?, updated_at = ?
			WHERE key = ? AND `+dueCondition+` AND `+slotFree+`
			RETURNING `+commandColumns,
			c.Worker, formatTime(now.Add(c.Lease)), at, c.Key, at, at, at)
	}
	if err != nil {
		return app.Command{}, false, err
	}
	cs, err := scanCommands(rows)
	if err != nil || len(cs) == 0 {
		return app.Command{}, false, err
	}
	return cs[0], true, nil
}

// Claim leases a command in a transaction of its own.
func (db *DB) Claim(ctx context.Context, c app.Claim) (app.Command, bool, error) {
	var (
		cmd   app.Command
		found bool
	)
	err := db.queueTx(ctx, func(tx *Tx) error {
		var err error
		cmd, found, err = tx.Claim(ctx, c)
		return err
	})
	return cmd, found, err
}

// Throttled lists the due commands held back by their slot's limit.
func (tx *Tx) Throttled(ctx context.Context, now time.Time) ([]app.Command, error) {
	srv, _, err := tx.clock(ctx, now)
	if err != nil {
		return nil, err
	}
	at := formatTime(srv)
	rows, err := tx.query(ctx, `SELECT `+commandColumns+` FROM commands
		WHERE slot <> '' AND `+dueCondition+` AND NOT `+slotFree+` ORDER BY next_run_at, id`, at, at, at)
	if err != nil {
		return nil, err
	}
	return scanCommands(rows)
}

// Throttled lists the due commands held back by their slot's limit.
func (db *DB) Throttled(ctx context.Context, now time.Time) ([]app.Command, error) {
	var out []app.Command
	err := db.queueTx(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.Throttled(ctx, now)
		return err
	})
	return out, err
}

// Renew extends the lease worker holds on a command.
func (tx *Tx) Renew(ctx context.Context, id int64, worker string, now, until time.Time) error {
	srv, shift, err := tx.clock(ctx, now)
	if err != nil {
		return err
	}
	res, err := tx.exec(ctx, `UPDATE commands SET lease_until = ?, updated_at = ?
		WHERE id = ? AND claimed_by = ? AND status = 'pending' AND lease_until IS NOT NULL`,
		formatTime(until.Add(shift)), formatTime(srv), id, worker)
	return tx.expectOne(ctx, res, err, id, "is not leased to "+app.Clip(worker, 40))
}

// Renew extends a lease in a transaction of its own.
func (db *DB) Renew(ctx context.Context, id int64, worker string, now, until time.Time) error {
	return db.queueTx(ctx, func(tx *Tx) error { return tx.Renew(ctx, id, worker, now, until) })
}

// Release gives a lease back without spending an attempt.
func (tx *Tx) Release(ctx context.Context, id int64, worker string, now time.Time) error {
	srv, _, err := tx.clock(ctx, now)
	if err != nil {
		return err
	}
	res, err := tx.exec(ctx, `UPDATE commands SET claimed_by = NULL, lease_until = NULL, updated_at = ?
		WHERE id = ? AND claimed_by = ? AND status = 'pending' AND lease_until IS NOT NULL`,
		formatTime(srv), id, worker)
	if err := tx.expectOne(ctx, res, err, id, "is not leased to "+app.Clip(worker, 40)); err != nil {
		return err
	}
	return tx.notify(ctx, notifyQueue)
}

// Release gives a lease back in a transaction of its own.
func (db *DB) Release(ctx context.Context, id int64, worker string, now time.Time) error {
	return db.queueTx(ctx, func(tx *Tx) error { return tx.Release(ctx, id, worker, now) })
}

// Finish marks a pending command done or failed, or puts it back in the
// queue at o.RunAt, releasing its lease.
func (tx *Tx) Finish(ctx context.Context, id int64, o app.Outcome) error {
	if o.At.IsZero() {
		return internal("finish command %d: no time given", id)
	}
	srv, shift, err := tx.clock(ctx, o.At)
	if err != nil {
		return err
	}
	var res sql.Result
	switch o.Status {
	case app.CommandDone, app.CommandFailed:
		res, err = tx.exec(ctx, `UPDATE commands SET status = ?, last_error = ?, lease_until = NULL, attempts = attempts + 1, updated_at = ?
			WHERE id = ? AND status = 'pending'`,
			string(o.Status), o.Error, formatTime(srv), id)
	case app.CommandPending:
		if o.RunAt.IsZero() {
			return internal("finish command %d: pending again, but with no time to run", id)
		}
		add := 0
		if o.Spent {
			add = 1
		}
		res, err = tx.exec(ctx, `UPDATE commands SET next_run_at = ?, attempts = attempts + ?, last_error = ?,
				claimed_by = NULL, lease_until = NULL, updated_at = ?
			WHERE id = ? AND status = 'pending'`,
			formatTime(o.RunAt.Add(shift)), add, o.Error, formatTime(srv), id)
	default:
		return internal("finish command %d: status %q is not done, failed or pending", id, o.Status)
	}
	if err := tx.expectOne(ctx, res, err, id, "is no longer pending"); err != nil {
		return err
	}
	return tx.notify(ctx, notifyQueue)
}

// Finish settles a command in a transaction of its own.
func (db *DB) Finish(ctx context.Context, id int64, o app.Outcome) error {
	return db.update(ctx, func(tx *Tx) error { return tx.Finish(ctx, id, o) })
}

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
	return listCommands(ctx, db, tenant)
}

// ListCommands lists commands as this transaction sees them.
func (tx *Tx) ListCommands(ctx context.Context, tenant string) ([]app.Command, error) {
	return listCommands(ctx, tx, tenant)
}

func listCommands(ctx context.Context, q queryer, tenant string) ([]app.Command, error) {
	var (
		rows *sql.Rows
		err  error
	)
	if tenant == "" {
		rows, err = q.query(ctx, `SELECT `+commandColumns+` FROM commands ORDER BY id DESC`)
	} else {
		rows, err = q.query(ctx, `SELECT `+commandColumns+` FROM commands WHERE tenant = ? ORDER BY id DESC`, tenant)
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
			&claimedBy, &leaseUntil, &c.LastError, &c.Correlation, &created, &c.Slot, &c.SlotLimit); err != nil {
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

// Package postgres keeps dvmm's state in a PostgreSQL database, for teams
// that run several 'serve' machines: the same tables, read models, queue
// and secrets as the SQLite store (package store), behind the same ports.
//
// The SQL is the SQLite store's wherever the two engines agree: queries
// are written with ? placeholders, which run rewrites to $1, $2…, and
// times are the same fixed-width UTC text, so a method added to the SQLite
// store is ported by copying it. What differs is said where it differs:
// the write lock (Update), the queue's clock and row locks (queue.go),
// errors by SQLSTATE (errors.go), wake-ups (notify.go) and the schema.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/dvmm/dvmm/internal/app"
)

var (
	_ app.Store         = (*DB)(nil)
	_ app.HealthChecker = (*DB)(nil)
	_ app.Wakeups       = (*DB)(nil)
)

// maxConns bounds the pool of one process. Several serve machines each
// hold their own; PostgreSQL's max_connections must cover them all.
const maxConns = 16

// writeLock is the key of the transaction-level advisory lock every write
// transaction takes first. It gives PostgreSQL what SQLite's single writer
// gives: one write transaction at a time, in every process, so that
//   - a decision read inside Update (is this name taken? is the request
//     still pending approval?) cannot be overtaken by another writer
//     before it commits, and
//   - sequence numbers are handed out in commit order. A sequence alone is
//     not commit order: a transaction that took seq 7 may commit after one
//     that took seq 8, and a reader that saw 8 would skip 7 for ever.
//     Under the lock, seq is taken and the transaction committed before
//     the next writer takes its first seq, and PostgreSQL makes a commit
//     visible before it releases the lock.
//
// The queue's own moves outside a use case (claims, renewals, releases)
// do not take it: they touch single rows and use row locks (FOR UPDATE
// SKIP LOCKED), so workers of many machines claim in parallel.
// Writes are milliseconds long (no vCenter call runs inside one), so the
// serialisation costs little beside a clone.
const writeLock = 0x64766d6d // "dvmm"

// migrateLock serialises schema migrations of processes starting at once.
const migrateLock = 0x64766d6e

// Options change how the store keeps time.
type Options struct {
	// CallerClock compares queue times on the times the caller passes, as
	// the SQLite store does, instead of on the database server's clock.
	// Only for the store conformance suite, which drives time by hand.
	CallerClock bool
}

// DB is an open dvmm database on a PostgreSQL server.
type DB struct {
	url      string // as given, with the password: only to connect
	redacted string
	sql      *sql.DB
	opts     Options

	mu    sync.Mutex
	wake  *waker
	close []func()
}

// IsURL reports whether a database setting names a PostgreSQL database
// rather than a SQLite file.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Redact returns the database URL without its password, for messages:
// the password is left out, not masked, so nothing of it shows.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "postgres://(a URL that does not parse)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.User(u.User.Username())
		}
	}
	q := u.Query()
	if q.Has("password") {
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Open connects to the database at the URL and applies pending schema
// migrations. The URL's password appears in no error.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	return OpenWith(ctx, rawURL, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, rawURL string, o Options) (*DB, error) {
	red := Redact(rawURL)
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		// pgx's message may quote the URL; say only what is wrong with it.
		return nil, app.Errorf(app.KindInvalid, "cannot open database %s: the URL is not a valid PostgreSQL connection string", red)
	}
	sdb := stdlib.OpenDB(*cfg)
	sdb.SetMaxOpenConns(maxConns)
	sdb.SetMaxIdleConns(maxConns)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{url: rawURL, redacted: red, sql: sdb, opts: o}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := sdb.PingContext(pctx); err != nil {
		_ = sdb.Close()
		return nil, openError(red, err)
	}
	if err := db.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the pool and the wake-up listener.
func (db *DB) Close() error {
	db.mu.Lock()
	fns := db.close
	db.close = nil
	db.mu.Unlock()
	for _, f := range fns {
		f()
	}
	return db.sql.Close()
}

// Path is the database URL without its password.
func (db *DB) Path() string { return db.redacted }

// Update runs fn in one write transaction under the write lock,
// committing if fn returns nil. fn's error comes back unchanged.
func (db *DB) Update(ctx context.Context, fn func(app.Tx) error) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.commit()
}

func (db *DB) update(ctx context.Context, fn func(*Tx) error) error {
	return db.Update(ctx, func(t app.Tx) error { return fn(t.(*Tx)) })
}

func (db *DB) begin(ctx context.Context) (*Tx, error) {
	stx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, dbError(err)
	}
	if _, err := stx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(writeLock)); err != nil {
		_ = stx.Rollback()
		return nil, dbError(err)
	}
	return &Tx{ctx: ctx, db: db, sql: stx}, nil
}

// queueTx runs fn in a transaction without the write lock, for the
// queue's single-row moves that row locks keep apart.
func (db *DB) queueTx(ctx context.Context, fn func(*Tx) error) error {
	stx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return dbError(err)
	}
	tx := &Tx{ctx: ctx, db: db, sql: stx}
	defer tx.rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.commit()
}

// rebind turns the ? placeholders of the shared SQL into $1, $2…. No
// query of the store has a ? inside a literal.
func rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (db *DB) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := db.sql.QueryContext(ctx, rebind(query), args...)
	return rows, dbError(err)
}

func (db *DB) queryRow(ctx context.Context, query string, args ...any) row {
	return row{row: db.sql.QueryRowContext(ctx, rebind(query), args...)}
}

// Tx is one write transaction; it implements app.Tx.
type Tx struct {
	ctx  context.Context
	db   *DB
	sql  *sql.Tx
	done bool
}

var _ app.Tx = (*Tx)(nil)

func (tx *Tx) commit() error {
	if tx.done {
		return nil
	}
	tx.done = true
	err := tx.sql.Commit()
	if errors.Is(err, sql.ErrTxDone) && tx.ctx.Err() != nil {
		return tx.ctx.Err()
	}
	return dbError(err)
}

func (tx *Tx) rollback() {
	if tx.done {
		return
	}
	tx.done = true
	_ = tx.sql.Rollback()
}

func (tx *Tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := tx.sql.QueryContext(ctx, rebind(query), args...)
	return rows, dbError(err)
}

func (tx *Tx) queryRow(ctx context.Context, query string, args ...any) row {
	return row{row: tx.sql.QueryRowContext(ctx, rebind(query), args...)}
}

func (tx *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := tx.sql.ExecContext(ctx, rebind(query), args...)
	return res, dbError(err)
}

// notify wakes the listeners of every process when this transaction
// commits (PostgreSQL delivers NOTIFY at commit, and not on rollback).
func (tx *Tx) notify(ctx context.Context, what string) error {
	_, err := tx.exec(ctx, `SELECT pg_notify(?, ?)`, notifyChannel, what)
	return err
}

type queryer interface {
	query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	queryRow(ctx context.Context, query string, args ...any) row
}

type row struct {
	row *sql.Row
	err error
}

func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return dbError(r.row.Scan(dest...))
}

// timeLayout is the SQLite store's: fixed width, so times compare as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, internal("bad time %q in the database", s)
	}
	return t.UTC(), nil
}

// Package store keeps dvmm's state in one SQLite file: the append-only
// event log, the read models derived from it, the command queue and the
// sealed secrets. It implements app.Store and knows nothing of vSphere or
// the CLI.
package store

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

var (
	_ app.Store         = (*DB)(nil)
	_ app.HealthChecker = (*DB)(nil)
)

// busyTimeout is how long a writer waits for another one, in this process
// or another, before it reports the database busy.
const busyTimeout = 10 * time.Second

// maxConns bounds the pool. WAL lets readers run beside the one writer,
// so several connections keep a long write from starving the queries.
const maxConns = 8

// DB is an open dvmm database.
type DB struct {
	path string
	sql  *sql.DB

	// writer admits one write transaction of this process at a time. SQLite
	// allows only one anyway; queueing here spares the busy handler's
	// sleep-and-poll between goroutines of the same process.
	writer chan struct{}

	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// Open opens the database at path, creating it (0600, in a 0700 folder)
// if it does not exist, and applies pending schema migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, app.Coded(app.KindInvalid, app.CodeNoDatabasePath, "no database path given")
	}
	if err := prepareFile(path); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, app.Errorf(app.KindInvalid, "cannot open database %s: %v", path, err)
	}
	sdb, err := sql.Open("sqlite", dsn(abs))
	if err != nil {
		return nil, app.Errorf(app.KindInternal, "cannot open database %s: %v", path, err)
	}
	sdb.SetMaxOpenConns(maxConns)
	// Idle connections are kept: a new one re-runs the pragmas and loses
	// its prepared statements.
	sdb.SetMaxIdleConns(maxConns)
	db := &DB{
		path:   path,
		sql:    sdb,
		writer: make(chan struct{}, 1),
		stmts:  map[string]*sql.Stmt{},
	}
	if err := sdb.PingContext(ctx); err != nil {
		_ = sdb.Close()
		return nil, openError(path, err)
	}
	if err := db.migrate(ctx); err != nil {
		_ = db.Close()
		if k := app.ErrorKind(err); k == app.KindInternal {
			return nil, openError(path, err)
		}
		return nil, err
	}
	return db, nil
}

// dsn names the file as a URI so that no character of the path is taken
// for a parameter. Every connection of the pool runs these pragmas.
func dsn(abs string) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busyTimeout.Milliseconds(), 10)+")")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "mmap_size(1073741824)")
	q.Set("_txlock", "immediate") // writers take the lock at BEGIN, never upgrade later
	return u.String() + "?" + q.Encode()
}

// checkOurs refuses a file that is not a dvmm database before anything
// writes to it: opening it the usual way would switch its journal mode
// and create tables in another program's database. It reads the file as
// immutable, so not even a lock or a -shm file is made.
func checkOurs(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fileError(path, err)
	}
	header := make([]byte, 16)
	_, herr := io.ReadFull(f, header)
	f.Close()
	if herr != nil || string(header) != "SQLite format 3\x00" {
		return app.Coded(app.KindInvalid, app.CodeNotOurDatabase, "cannot open database %s: it is not a dvmm database", app.Clip(path, 80))
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fileError(path, err)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: "immutable=1&mode=ro"}
	ro, err := sql.Open("sqlite", u.String())
	if err != nil {
		return fileError(path, err)
	}
	defer ro.Close()
	tables := map[string]bool{}
	rows, err := ro.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		// An immutable read of a database another process is writing
		// can fail: refuse only on evidence, and let the open decide.
		return nil
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return dbError(err)
		}
		tables[name] = true
	}
	if err := rows.Err(); err != nil {
		return dbError(err)
	}
	if len(tables) > 0 && (!tables["schema_migrations"] || !tables["events"]) {
		return app.Coded(app.KindInvalid, app.CodeNotOurDatabase, "cannot open database %s: it is not a dvmm database but another program's SQLite database, left as it was", app.Clip(path, 80))
	}
	return nil
}

// prepareFile creates the database file ourselves so its mode does not
// depend on the umask: SQLite gives the -wal and -shm files the mode of
// the database file.
func prepareFile(path string) error {
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		return app.Errorf(app.KindInvalid, "cannot open database %s: it is a directory", path)
	case err == nil:
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return fileError(path, err)
		}
		if err := f.Close(); err != nil {
			return fileError(path, err)
		}
		if fi.Size() == 0 {
			return nil
		}
		return checkOurs(path)
	case !errors.Is(err, fs.ErrNotExist):
		return fileError(path, err)
	}
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fileError(path, err)
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return fileError(path, err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return prepareFile(path) // another process created it first
	}
	if err != nil {
		return fileError(path, err)
	}
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return fileError(path, err)
	}
	return f.Close()
}

func fileError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	kind := app.KindUnavailable
	if !errors.Is(err, fs.ErrPermission) {
		kind = app.KindInvalid
	}
	return &app.Error{Kind: kind, Message: "cannot open database " + path + ": " + err.Error(), Err: err}
}

// Close closes the database. SQLite checkpoints the WAL into the file when
// its last connection closes.
func (db *DB) Close() error {
	db.mu.Lock()
	for q, s := range db.stmts {
		_ = s.Close()
		delete(db.stmts, q)
	}
	db.mu.Unlock()
	return db.sql.Close()
}

// Path is the database file as given to Open.
func (db *DB) Path() string { return db.path }

// Update runs fn in one write transaction, committing if fn returns nil.
// fn's error comes back unchanged, so app errors keep their kind.
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

// update is Update for the store's own writes.
func (db *DB) update(ctx context.Context, fn func(*Tx) error) error {
	return db.Update(ctx, func(t app.Tx) error { return fn(t.(*Tx)) })
}

func (db *DB) begin(ctx context.Context) (*Tx, error) {
	timer := time.NewTimer(busyTimeout)
	defer timer.Stop()
	select {
	case db.writer <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-timer.C:
		return nil, errBusy(nil)
	}
	stx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		<-db.writer
		return nil, dbError(err)
	}
	return &Tx{ctx: ctx, db: db, sql: stx, stmts: map[string]*sql.Stmt{}}, nil
}

// prepare returns the pool-wide prepared statement of query. database/sql
// prepares it again on each connection the first time it runs there.
func (db *DB) prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if s, ok := db.stmts[query]; ok {
		return s, nil
	}
	s, err := db.sql.PrepareContext(ctx, query)
	if err != nil {
		return nil, dbError(err)
	}
	db.stmts[query] = s
	return s, nil
}

func (db *DB) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := db.prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := s.QueryContext(ctx, args...)
	return rows, dbError(err)
}

func (db *DB) queryRow(ctx context.Context, query string, args ...any) row {
	s, err := db.prepare(ctx, query)
	if err != nil {
		return row{err: err}
	}
	return row{row: s.QueryRowContext(ctx, args...)}
}

// Tx is one write transaction; it implements app.Tx. Like *sql.Tx it is
// for one goroutine at a time.
type Tx struct {
	ctx   context.Context
	db    *DB
	sql   *sql.Tx
	stmts map[string]*sql.Stmt
	done  bool
}

var _ app.Tx = (*Tx)(nil)

func (tx *Tx) commit() error {
	if tx.done {
		return nil
	}
	tx.done = true
	defer func() { <-tx.db.writer }()
	err := tx.sql.Commit()
	if errors.Is(err, sql.ErrTxDone) && tx.ctx.Err() != nil {
		// database/sql rolled back when ctx ended; say why.
		return tx.ctx.Err()
	}
	return dbError(err)
}

func (tx *Tx) rollback() {
	if tx.done {
		return
	}
	tx.done = true
	defer func() { <-tx.db.writer }()
	_ = tx.sql.Rollback()
}

func (tx *Tx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := tx.stmts[query]; ok {
		return s, nil
	}
	s, err := tx.db.prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	s = tx.sql.StmtContext(ctx, s)
	tx.stmts[query] = s
	return s, nil
}

func (tx *Tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := tx.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := s.QueryContext(ctx, args...)
	return rows, dbError(err)
}

func (tx *Tx) queryRow(ctx context.Context, query string, args ...any) row {
	s, err := tx.stmt(ctx, query)
	if err != nil {
		return row{err: err}
	}
	return row{row: s.QueryRowContext(ctx, args...)}
}

func (tx *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := tx.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	res, err := s.ExecContext(ctx, args...)
	return res, dbError(err)
}

// queryer is what reads need, so that one function serves a query on the
// pool and the same query inside a write transaction.
type queryer interface {
	query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	queryRow(ctx context.Context, query string, args ...any) row
}

// row is a *sql.Row that can also carry a failure to prepare.
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

// timeLayout has a fixed width so that times compare correctly as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, internal("bad time %q in the database", s)
	}
	return t.UTC(), nil
}

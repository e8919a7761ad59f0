package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/dvmm/dvmm/internal/app"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dbError turns a driver error into an app error, so that the CLI can
// tell "try again" from "this is a bug". App errors, sql.ErrNoRows and
// cancellations pass through unchanged.
func dbError(err error) error {
	if err == nil {
		return nil
	}
	var ae *app.Error
	if errors.As(err, &ae) || errors.Is(err, sql.ErrNoRows) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	switch sqliteCode(err) {
	case sqlite3.SQLITE_IOERR_WRITE, sqlite3.SQLITE_IOERR_SHMSIZE, sqlite3.SQLITE_IOERR_SHMMAP,
		sqlite3.SQLITE_IOERR_TRUNCATE, sqlite3.SQLITE_IOERR_FSYNC:
		// How SQLite says a file could not grow or be written out,
		// most often a full disk: the WAL, or its shared-memory file
		// that it maps and extends.
		return &app.Error{Kind: app.KindUnavailable, Message: diskFull, Err: err}
	}
	switch sqliteCode(err) & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return errBusy(err)
	case sqlite3.SQLITE_FULL:
		return &app.Error{Kind: app.KindUnavailable, Message: diskFull, Err: err}
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_CANTOPEN:
		return &app.Error{Kind: app.KindUnavailable, Message: "the database cannot be written: " + app.FirstLine(err.Error()), Err: err}
	case sqlite3.SQLITE_IOERR:
		return &app.Error{Kind: app.KindUnavailable, Message: "disk I/O error on the database: " + app.FirstLine(err.Error()), Err: err}
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		// The same kind (exit 2) as a damaged file found at open time:
		// one exit code and one kind of message for a damaged database.
		return &app.Error{Kind: app.KindInvalid, Message: "the database is damaged or not a dvmm database: " + app.FirstLine(err.Error()), Err: err}
	}
	return &app.Error{Kind: app.KindInternal, Message: "database error: " + app.FirstLine(err.Error()), Err: err}
}

// diskFull is the one message of every way SQLite reports a full disk.
const diskFull = "the disk holding the database is full (or cannot be written): free some space and try again"

func errBusy(err error) error {
	return &app.Error{Kind: app.KindUnavailable, Message: "database is busy: try again", Err: err}
}

// sqliteCode is the extended result code of err, or 0 if SQLite did not
// report it.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

func isUniqueViolation(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_UNIQUE || sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// openError names the file: at open time the path is what the user can fix.
func openError(path string, err error) error {
	switch sqliteCode(err) & 0xff {
	case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
		return &app.Error{Kind: app.KindInvalid, Message: "cannot open database " + path + ": it is not a dvmm database", Err: err}
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return errBusy(err)
	}
	mapped := dbError(err)
	kind := app.ErrorKind(mapped)
	if kind == app.KindInternal {
		kind = app.KindUnavailable
	}
	msg := app.FirstLine(app.ErrorMessage(err))
	if app.ErrorMessage(mapped) == diskFull {
		// Opening extends the shared-memory file: a full disk shows
		// here first, and says so as it does anywhere else.
		msg = diskFull
	}
	return &app.Error{Kind: kind, Message: "cannot open database " + app.Clip(path, 80) + ": " + msg, Err: err}
}

func internal(format string, args ...any) error {
	return app.Errorf(app.KindInternal, format, args...)
}

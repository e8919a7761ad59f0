package postgres

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dvmm/dvmm/internal/app"
)

// SQLSTATEs dvmm tells apart. Errors are classified by code, never by
// the words of a message.
const (
	uniqueViolation      = "23505"
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
	lockNotAvailable     = "55P03"
	diskFull             = "53100"
	outOfMemory          = "53200"
	tooManyConnections   = "53300"
	readOnlyTransaction  = "25006"
	insufficientPriv     = "42501"
	invalidPassword      = "28P01"
	invalidAuthorization = "28000"
	invalidCatalogName   = "3D000"
	adminShutdown        = "57P01"
	cannotConnectNow     = "57P03"
)

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func isUniqueViolation(err error) bool { return sqlState(err) == uniqueViolation }

// dbError turns a driver error into an app error. App errors,
// sql.ErrNoRows and cancellations pass through unchanged.
func dbError(err error) error {
	if err == nil {
		return nil
	}
	var ae *app.Error
	if errors.As(err, &ae) || errors.Is(err, sql.ErrNoRows) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		// No answer from the server: it is down, restarting or unreachable.
		// pgx spreads one failure over several lines ("failed to
		// connect to …:" then the reason): keep them all, on one line.
		return &app.Error{Kind: app.KindUnavailable, Message: "the PostgreSQL server cannot be reached (is it running, and is the URL's host right?): " +
			app.Clip(strings.Join(strings.Fields(safeMessage(err)), " "), 300), Err: err}
	}
	switch pe.Code {
	case serializationFailure, deadlockDetected, lockNotAvailable, tooManyConnections, adminShutdown, cannotConnectNow:
		return &app.Error{Kind: app.KindUnavailable, Message: "database is busy: try again", Err: err}
	case diskFull, outOfMemory:
		return &app.Error{Kind: app.KindUnavailable, Message: "the PostgreSQL server is out of space: " + app.FirstLine(pe.Message), Err: err}
	case readOnlyTransaction, insufficientPriv:
		return &app.Error{Kind: app.KindUnavailable, Message: "the database cannot be written: " + app.FirstLine(pe.Message), Err: err}
	}
	return &app.Error{Kind: app.KindInternal, Message: "database error: " + app.FirstLine(pe.Message) + " (SQLSTATE " + pe.Code + ")", Err: err}
}

// safeMessage is an error's text. pgx quotes neither the password nor the
// whole URL in a connection error, only host, user and database.
func safeMessage(err error) string { return err.Error() }

// openError names the database, without its password.
func openError(redacted string, err error) error {
	switch sqlState(err) {
	case invalidPassword, invalidAuthorization:
		return &app.Error{Kind: app.KindUnavailable, Message: "cannot open database " + redacted + ": the server refused the user or password", Err: err}
	case invalidCatalogName:
		return &app.Error{Kind: app.KindInvalid, Message: "cannot open database " + redacted + ": no such database on the server", Err: err}
	}
	return &app.Error{Kind: app.KindUnavailable, Message: "cannot open database " + redacted + ": " + app.FirstLine(app.ErrorMessage(dbError(err))), Err: err}
}

func internal(format string, args ...any) error {
	return app.Errorf(app.KindInternal, format, args...)
}

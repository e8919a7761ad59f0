package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/dvmm/dvmm/internal/app"
)

// Exit codes. This table is the one place error kinds become exit codes;
// README.md lists the same.
const (
	ExitOK          = 0
	ExitInternal    = 1
	ExitInvalid     = 2
	ExitNotFound    = 3
	ExitConflict    = 4
	ExitForbidden   = 5
	ExitUnavailable = 6
	ExitFailed      = 7 // the work ran and its outcome is FAILED
	ExitNoVM        = 8 // a watched request ended without a VM: REJECTED or CANCELLED
	ExitInterrupted = 130
)

var exitCodes = map[app.Kind]int{
	app.KindInvalid:     ExitInvalid,
	app.KindNotFound:    ExitNotFound,
	app.KindConflict:    ExitConflict,
	app.KindForbidden:   ExitForbidden,
	app.KindUnavailable: ExitUnavailable,
	app.KindInternal:    ExitInternal,
}

// exitError carries an exit code without a kind, e.g. a FAILED outcome.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// usageError marks a mistake in flags or arguments.
func usageError(format string, args ...any) error {
	return &app.Error{Kind: app.KindInvalid, Message: fmt.Sprintf(format, args...)}
}

// reportError prints err as one line on stderr and returns its exit code.
func reportError(w io.Writer, err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(w, "dvmm: "+app.FirstLine(ee.msg))
		}
		return ee.code
	}
	kind := app.ErrorKind(err)
	msg := errorText(err)
	if kind == app.KindInternal {
		msg = "internal error: " + err.Error()
	}
	fmt.Fprintln(w, "dvmm: "+app.FirstLine(msg))
	return exitCodes[kind]
}

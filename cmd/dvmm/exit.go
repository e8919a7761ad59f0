package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/errmap"
	"github.com/dvmm/dvmm/internal/textsafe"
)

// Exit codes: errmap holds the one table of error kinds to exit codes
// (and HTTP statuses); README.md lists the same.
const (
	ExitOK          = errmap.ExitOK
	ExitInternal    = errmap.ExitInternal
	ExitInvalid     = errmap.ExitInvalid
	ExitNotFound    = errmap.ExitNotFound
	ExitConflict    = errmap.ExitConflict
	ExitForbidden   = errmap.ExitForbidden
	ExitUnavailable = errmap.ExitUnavailable
	ExitFailed      = errmap.ExitFailed
	ExitNoVM        = errmap.ExitNoVM
	ExitMissing     = errmap.ExitMissing
	ExitInterrupted = errmap.ExitInterrupted
)

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
			fmt.Fprintln(w, "dvmm: "+textsafe.Escape(app.FirstLine(ee.msg)))
		}
		return ee.code
	}
	kind := app.ErrorKind(err)
	msg := errorText(err)
	if kind == app.KindInternal {
		msg = "internal error: " + err.Error()
	}
	// Messages quote what a user or vCenter said: shown escaped.
	fmt.Fprintln(w, "dvmm: "+textsafe.Escape(app.FirstLine(msg)))
	return errmap.Exit(kind)
}

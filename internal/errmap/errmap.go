// Package errmap is the one table that turns an error's kind into what an
// edge answers with: the CLI's exit code and the HTTP API's status. Both
// edges read it, so the same refusal means the same thing everywhere.
package errmap

import (
	"net/http"

	"github.com/dvmm/dvmm/internal/app"
)

// Exit codes of the CLI (README.md lists the same).
const (
	ExitOK          = 0
	ExitInternal    = 1
	ExitInvalid     = 2
	ExitNotFound    = 3
	ExitConflict    = 4
	ExitForbidden   = 5
	ExitUnavailable = 6
	ExitFailed      = 7   // the work ran and its outcome is FAILED
	ExitNoVM        = 8   // a watched request ended without a VM: REJECTED or CANCELLED
	ExitMissing     = 9   // the VM is recorded, and vCenter answered that it is gone
	ExitInterrupted = 130 // Ctrl-C
)

type answer struct {
	exit   int
	status int
}

var byKind = map[app.Kind]answer{
	app.KindInvalid:         {ExitInvalid, http.StatusBadRequest},
	app.KindUnauthenticated: {ExitForbidden, http.StatusUnauthorized},
	app.KindForbidden:       {ExitForbidden, http.StatusForbidden},
	app.KindNotFound:        {ExitNotFound, http.StatusNotFound},
	app.KindConflict:        {ExitConflict, http.StatusConflict},
	app.KindUnavailable:     {ExitUnavailable, http.StatusServiceUnavailable},
	app.KindInternal:        {ExitInternal, http.StatusInternalServerError},
}

// Exit is the CLI's exit code for an error kind; unknown kinds are internal.
func Exit(k app.Kind) int {
	if a, ok := byKind[k]; ok {
		return a.exit
	}
	return ExitInternal
}

// Status is the HTTP status for an error kind; unknown kinds are internal.
func Status(k app.Kind) int {
	if a, ok := byKind[k]; ok {
		return a.status
	}
	return http.StatusInternalServerError
}

// KindOfStatus turns an API error status back into a kind, for the remote
// CLI: the same refusal gives the same exit code as locally.
func KindOfStatus(status int) app.Kind {
	for k, a := range byKind {
		if a.status == status && k != app.KindUnauthenticated {
			return k
		}
	}
	if status == http.StatusUnauthorized {
		return app.KindUnauthenticated
	}
	switch {
	case status == http.StatusTooManyRequests, status >= 502 && status <= 504:
		return app.KindUnavailable
	case status >= 400 && status < 500:
		return app.KindInvalid
	}
	return app.KindInternal
}

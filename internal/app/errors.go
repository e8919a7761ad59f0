// Package app is the core of dvmm: aggregates, events, commands, the
// provisioning process manager, domain errors and the ports the adapters
// implement. It imports no SQL driver, no govmomi and no CLI library.
package app

import (
	"errors"
	"fmt"
)

// Kind says what sort of failure an error is; each edge (the CLI's exit
// codes, logs) maps kinds once.
type Kind string

const (
	KindInvalid   Kind = "invalid"
	KindNotFound  Kind = "not_found"
	KindConflict  Kind = "conflict"
	KindForbidden Kind = "forbidden"
	// KindUnauthenticated: no identity was proven (a wrong password, a
	// missing, unknown, revoked or expired token).
	KindUnauthenticated Kind = "unauthenticated"
	KindUnavailable     Kind = "unavailable"
	KindInternal        Kind = "internal"
)

// Error is a domain error: a kind, a stable code an edge can key advice
// on (the CLI adds flags and commands to try, an HTTP API its own words),
// and a neutral message that names no flag and no command.
type Error struct {
	Kind    Kind
	Code    string // stable; "" means the kind says it all
	Message string
	Err     error // optional cause, never shown instead of Message
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds a domain error of the given kind.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Coded builds a domain error of the given kind and code.
func Coded(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Stable error codes, for errors whose kind alone does not say which
// advice fits. Never change one: edges key on them.
const (
	CodeNoTenant            = "no_tenant"
	CodeNoUser              = "no_user"
	CodeRequestNotFound     = "request_not_found"
	CodeTenantNotFound      = "tenant_not_found"
	CodeVMNotFound          = "vm_not_found"
	CodeStaleVersion        = "stale_version"
	CodeVMwareNotConfigured = "vmware_not_configured"
	CodeBadCommandID        = "bad_command_id"
	CodeStoppedWaiting      = "stopped_waiting"
	CodeUserInURL           = "user_in_url"
	CodeTrustConflict       = "trust_conflict"
	CodePasswordRequired    = "password_required"
	CodeNoDatabasePath      = "no_database_path"
	CodeAlreadyMember       = "already_member"
	CodeLastAdmin           = "last_admin"
	CodeNoDatabase          = "no_database"
	CodeNotOurDatabase      = "not_our_database"
	CodeSecretKey           = "secret_key"
	CodeQuotaExceeded       = "quota_exceeded"
)

// ErrorCode returns the stable code of err: an Error's code or else its
// kind, a Fault's code, or "internal".
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Code != "" {
			return e.Code
		}
		return string(e.Kind)
	}
	var f *Fault
	if errors.As(err, &f) {
		return f.Code
	}
	return string(KindInternal)
}

// ErrorKind returns the kind of err; errors that carry none are internal.
func ErrorKind(err error) Kind {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	var f *Fault
	if errors.As(err, &f) {
		if f.Transient {
			return KindUnavailable
		}
		return KindInvalid
	}
	return KindInternal
}

// ErrorMessage returns the user-facing message of err.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// Fault is a failure reported by the hypervisor, classified as transient
// (retry later) or permanent (fail the request now).
type Fault struct {
	Code      string // e.g. TEMPLATE_NOT_FOUND, VCENTER_UNREACHABLE
	Message   string // one line, no secrets
	Transient bool
	Err       error
}

func (f *Fault) Error() string { return f.Message }
func (f *Fault) Unwrap() error { return f.Err }

// Fault codes the adapters and the process manager use.
const (
	FaultVMwareNotConfigured   = "VMWARE_NOT_CONFIGURED"
	FaultUnreachable           = "VCENTER_UNREACHABLE"
	FaultTimeout               = "TIMEOUT"
	FaultBusy                  = "VCENTER_BUSY"
	FaultNotAuthenticated      = "NOT_AUTHENTICATED"
	FaultBadCredentials        = "BAD_CREDENTIALS"
	FaultSecretKey             = "SECRET_KEY"
	FaultTemplateNotFound      = "TEMPLATE_NOT_FOUND"
	FaultInventoryNotFound     = "INVENTORY_NOT_FOUND"
	FaultInsufficientResources = "INSUFFICIENT_RESOURCES"
	FaultTLS                   = "TLS_VERIFICATION_FAILED"
	FaultNameTaken             = "NAME_TAKEN"
	FaultTemplateDiskTooLarge  = "TEMPLATE_DISK_TOO_LARGE"
	FaultIPPoolExhausted       = "IP_POOL_EXHAUSTED"
	FaultGivenUp               = "GIVEN_UP"
	FaultVsphere               = "VSPHERE_ERROR"
)

// AsFault returns err as a *Fault, wrapping unknown errors as permanent.
func AsFault(err error) *Fault {
	var f *Fault
	if errors.As(err, &f) {
		return f
	}
	return &Fault{Code: FaultVsphere, Message: err.Error(), Err: err}
}

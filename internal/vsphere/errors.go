package vsphere

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dvmm/dvmm/internal/app"
)

// where says which vCenter and user an error is about.
type where struct {
	host     string
	user     string
	password string // only to scrub it from messages
}

// classify turns an error of govmomi, the network or the context into an
// *app.Fault: transient when trying again later may work (connectivity,
// timeouts, a busy vCenter), permanent otherwise. Faults pass unchanged,
// and so does a progress callback's error (see stopped).
func classify(err error, w where) error {
	if err == nil {
		return nil
	}
	var f *app.Fault
	var s *stopped
	if errors.As(err, &f) || errors.As(err, &s) {
		return err
	}
	f = classifyFault(err, w)
	f.Message = scrub(f.Message, w.password)
	if f.Err == nil {
		f.Err = err
	}
	return f
}

func classifyFault(err error, w where) *app.Fault {
	vc := "vCenter " + w.host
	transient := func(code, format string, args ...any) *app.Fault {
		return &app.Fault{Code: code, Message: fmt.Sprintf(format, args...), Transient: true}
	}
	permanent := func(code, format string, args ...any) *app.Fault {
		return &app.Fault{Code: code, Message: fmt.Sprintf(format, args...)}
	}

	// The context: the caller's deadline or cancellation.
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return transient(app.FaultTimeout, "%s did not answer in time", vc)
	case errors.Is(err, context.Canceled):
		return transient(app.FaultTimeout, "the call to %s was cancelled", vc)
	}

	// TLS: an untrusted certificate will not fix itself.
	var tpe *thumbprintError
	if errors.As(err, &tpe) {
		return permanent(app.FaultTLS, "vCenter certificate is not trusted: the certificate of %s has the thumbprint %s, not the configured one", w.host, tpe.got)
	}
	if isCertificateError(err) {
		return permanent(app.FaultTLS, "vCenter certificate is not trusted (%s)", w.host)
	}

	// vSphere faults, by type.
	var vim types.BaseMethodFault
	if isAs(err, &vim) {
		return classifyVimFault(err, w)
	}

	// find's lookups name the missing object.
	var nf *find.NotFoundError
	if errors.As(err, &nf) {
		return permanent(app.FaultInventoryNotFound, "%s not found in %s", strings.ReplaceAll(nf.Error(), " not found", ""), vc)
	}

	// The network.
	var dns *net.DNSError
	if errors.As(err, &dns) {
		if dns.IsTemporary || dns.IsTimeout {
			return transient(app.FaultUnreachable, "%s is unreachable: name lookup of %s failed for now", vc, dns.Name)
		}
		// A host that does not exist is a mistake in the settings, not an
		// outage: fail rather than wait for it forever.
		return &app.Fault{Code: app.FaultUnreachable, Err: err, Message: fmt.Sprintf("%s is unreachable: no such host %s: check the vCenter URL", vc, dns.Name)}
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return transient(app.FaultUnreachable, "%s is unreachable: connection refused", vc)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED):
		return transient(app.FaultUnreachable, "%s is unreachable: connection reset", vc)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return transient(app.FaultUnreachable, "%s is unreachable: no route to host", vc)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return transient(app.FaultUnreachable, "%s is unreachable: connection closed", vc)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return transient(app.FaultTimeout, "%s did not answer in time", vc)
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return transient(app.FaultUnreachable, "%s is unreachable: %s", vc, op.Err)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if t, ok := ue.Err.(interface{ Temporary() bool }); ok && t.Temporary() {
			return transient(app.FaultUnreachable, "%s is unreachable: %s", vc, ue.Err)
		}
		msg := ue.Err.Error()
		if strings.HasPrefix(msg, "503") || strings.HasPrefix(msg, "502") || strings.HasPrefix(msg, "504") {
			return transient(app.FaultUnreachable, "%s is unavailable: HTTP %s", vc, msg)
		}
		if strings.HasPrefix(msg, "404") {
			return permanent(app.FaultVsphere, "%s answered HTTP %s: check the URL (https://host/sdk)", vc, msg)
		}
	}
	return permanent(app.FaultVsphere, "%s: %s", vc, firstLine(err.Error()))
}

// classifyVimFault maps a vSphere fault by its type.
func classifyVimFault(err error, w where) *app.Fault {
	vc := "vCenter " + w.host
	msg := vimMessage(err)
	transient := func(code, format string, args ...any) *app.Fault {
		return &app.Fault{Code: code, Message: fmt.Sprintf(format, args...), Transient: true}
	}
	permanent := func(code, format string, args ...any) *app.Fault {
		return &app.Fault{Code: code, Message: fmt.Sprintf(format, args...)}
	}

	var dup *types.DuplicateName
	var ires types.BaseInsufficientResourcesFault
	var mof *types.ManagedObjectNotFound
	var perm types.BaseNoPermission
	switch {
	case fault.Is(err, &types.InvalidLogin{}):
		return permanent(app.FaultBadCredentials, "vCenter rejected the login for user %s (%s): check the username and password", w.user, w.host)
	case fault.Is(err, &types.NotAuthenticated{}):
		return transient(app.FaultNotAuthenticated, "%s ended the session of user %s and logging in again did not help", vc, w.user)
	case fault.IsTransientError(err), fault.Is(err, &types.HostNotConnected{}):
		return transient(app.FaultBusy, "%s is busy: %s", vc, msg)
	case isAs(err, &ires), fault.Is(err, &types.NoDiskSpace{}), fault.Is(err, &types.InsufficientStorageSpace{}):
		return permanent(app.FaultInsufficientResources, "%s has not enough resources for the VM: %s", vc, msg)
	case isAs(err, &dup):
		return permanent(app.FaultNameTaken, "a VM or folder named %q already exists there and was not made for this request: rename or remove it", dup.Name)
	case isAs(err, &mof):
		return permanent(app.FaultInventoryNotFound, "%s: an inventory object (%s) no longer exists", vc, mof.Obj.Value)
	case isAs(err, &perm):
		return permanent(app.FaultVsphere, "%s: user %s lacks the privilege %s", vc, w.user, perm.GetNoPermission().PrivilegeId)
	case fault.Is(err, &types.RequestCanceled{}):
		return transient(app.FaultTimeout, "%s cancelled the task", vc)
	}
	return permanent(app.FaultVsphere, "%s: %s", vc, msg)
}

// isAs reports whether err carries a fault of target's type, and sets it.
func isAs(err error, target any) bool {
	_, ok := fault.As(err, target)
	return ok
}

// vimMessage is the most useful one-line text of a vSphere fault.
func vimMessage(err error) string {
	msg := ""
	fault.In(err, func(f types.BaseMethodFault, localized string, _ []types.LocalizableMessage) bool {
		if localized != "" && msg == "" {
			msg = localized
		}
		return false
	})
	if msg == "" {
		msg = err.Error()
		msg = strings.TrimPrefix(msg, "ServerFaultCode: ")
	}
	return firstLine(msg)
}

// isCertificateError reports whether err says the server's certificate is
// not trusted (unknown authority, wrong name, expired, wrong thumbprint).
func isCertificateError(err error) bool {
	var verr *tls.CertificateVerificationError
	var inval x509.CertificateInvalidError
	var hostErr x509.HostnameError
	var unknown x509.UnknownAuthorityError
	switch {
	case errors.As(err, &verr), errors.As(err, &inval), errors.As(err, &hostErr), errors.As(err, &unknown):
		return true
	case soap.IsCertificateUntrusted(err):
		return true
	}
	var tpe *thumbprintError
	if errors.As(err, &tpe) {
		return true
	}
	// govmomi's thumbprint check returns a plain error.
	return strings.Contains(err.Error(), "thumbprint does not match")
}

// isNotAuthenticated reports a session that vCenter no longer knows.
func isNotAuthenticated(err error) bool {
	if err == nil {
		return false
	}
	var s *stopped
	var f *app.Fault
	if errors.As(err, &s) || errors.As(err, &f) {
		return false
	}
	return fault.Is(err, &types.NotAuthenticated{})
}

// isConnectivity reports a failure that says vCenter cannot be reached:
// the kind the circuit breaker counts.
func isConnectivity(err error) bool {
	var f *app.Fault
	if !errors.As(err, &f) || !f.Transient {
		return false
	}
	if errors.Is(f.Err, context.Canceled) {
		return false
	}
	return f.Code == app.FaultUnreachable || f.Code == app.FaultTimeout
}

// stopped carries a progress callback's error through the adapter
// unchanged.
type stopped struct{ err error }

func (s *stopped) Error() string { return s.err.Error() }
func (s *stopped) Unwrap() error { return s.err }

func firstLine(s string) string { return app.Clip(app.FirstLine(s), 300) }

// scrub removes a password from a message, should anything have echoed it.
func scrub(msg, password string) string {
	if len(password) < 3 {
		return msg
	}
	return strings.ReplaceAll(msg, password, "********")
}

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
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/vmware/govmomi/task"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dvmm/dvmm/internal/app"
)

// soapFault is a fault as govmomi returns it from a SOAP call.
func soapFault(f types.BaseMethodFault) error {
	sf := &soap.Fault{Code: "ServerFaultCode", String: fmt.Sprintf("%T", f)}
	sf.Detail.Fault = f
	return soap.WrapSoapFault(sf)
}

// taskFault is a fault as govmomi returns it from a task wait.
func taskFault(f types.BaseMethodFault, msg string) error {
	return task.Error{LocalizedMethodFault: &types.LocalizedMethodFault{Fault: f, LocalizedMessage: msg}}
}

// dialErr is what net/http returns when a connection cannot be made.
func dialErr(err error) error {
	return &url.Error{Op: "Post", URL: "https://vc.example/sdk",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", err)}}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	w := where{host: "vc.example", user: "svc-dvmm", password: "s3cret-pw"}
	progressErr := errors.New("the attempt is over")
	already := &app.Fault{Code: app.FaultTemplateNotFound, Message: "template x not found"}

	tests := []struct {
		name      string
		err       error
		code      string
		transient bool
		msg       string // a regexp the message matches
	}{
		{"ConnectionRefused", dialErr(syscall.ECONNREFUSED), app.FaultUnreachable, true, `^vCenter vc.example is unreachable: connection refused$`},
		{"ConnectionReset", &url.Error{Op: "Post", Err: syscall.ECONNRESET}, app.FaultUnreachable, true, `connection reset`},
		{"NoRoute", dialErr(syscall.EHOSTUNREACH), app.FaultUnreachable, true, `no route`},
		{"EOF", &url.Error{Op: "Post", Err: io.EOF}, app.FaultUnreachable, true, `connection closed`},
		{"DNS", &url.Error{Op: "Post", Err: &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "vc.example", IsNotFound: true}}},
			app.FaultUnreachable, false, `no such host vc.example: check the vCenter URL`},
		{"NetTimeout", &url.Error{Op: "Post", Err: &net.OpError{Op: "read", Err: timeoutErr{}}}, app.FaultTimeout, true, `did not answer in time`},
		{"Deadline", fmt.Errorf("wait: %w", context.DeadlineExceeded), app.FaultTimeout, true, `did not answer in time`},
		{"Cancelled", context.Canceled, app.FaultTimeout, true, `cancelled`},
		{"HTTP503", &url.Error{Op: "Post", Err: errors.New("503 Service Unavailable")}, app.FaultUnreachable, true, `unavailable`},
		{"HTTP404", &url.Error{Op: "Post", Err: errors.New("404 Not Found")}, app.FaultVsphere, false, `check the URL`},
		{"UnknownAuthority", &url.Error{Op: "Post", Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}},
			app.FaultTLS, false, `^vCenter certificate is not trusted \(vc.example\)$`},
		{"WrongHostname", &url.Error{Op: "Post", Err: x509.HostnameError{Certificate: &x509.Certificate{}, Host: "vc"}}, app.FaultTLS, false, `not trusted`},
		{"Expired", x509.CertificateInvalidError{Reason: x509.Expired}, app.FaultTLS, false, `not trusted`},
		{"WrongThumbprint", &url.Error{Op: "Post", Err: &thumbprintError{host: "vc.example:443", got: "AA:BB"}}, app.FaultTLS, false, `thumbprint AA:BB`},
		{"InvalidLogin", soapFault(&types.InvalidLogin{}), app.FaultBadCredentials, false, `^vCenter rejected the login for user svc-dvmm \(vc.example\)`},
		{"NotAuthenticated", soapFault(&types.NotAuthenticated{}), app.FaultNotAuthenticated, true, `session`},
		{"TaskInProgress", soapFault(&types.TaskInProgress{}), app.FaultBusy, true, `busy`},
		{"HostCommunication", taskFault(&types.HostCommunication{}, "host is not responding"), app.FaultBusy, true, `host is not responding`},
		{"ConcurrentAccess", taskFault(&types.ConcurrentAccess{}, "changed meanwhile"), app.FaultBusy, true, `busy`},
		{"InsufficientResources", taskFault(&types.InsufficientResourcesFault{}, "not enough"), app.FaultInsufficientResources, false, `not enough`},
		{"InsufficientMemory", taskFault(&types.InsufficientMemoryResourcesFault{}, "no memory"), app.FaultInsufficientResources, false, `no memory`},
		{"NoDiskSpace", taskFault(&types.NoDiskSpace{Datastore: "ds1"}, "no space on ds1"), app.FaultInsufficientResources, false, `no space on ds1`},
		{"DuplicateName", taskFault(&types.DuplicateName{Name: "web-01"}, "dup"), app.FaultNameTaken, false, `"web-01" already exists`},
		{"NoPermission", soapFault(&types.NoPermission{PrivilegeId: "VirtualMachine.Provisioning.Clone"}), app.FaultVsphere, false, `lacks the privilege VirtualMachine.Provisioning.Clone`},
		{"ManagedObjectNotFound", soapFault(&types.ManagedObjectNotFound{Obj: types.ManagedObjectReference{Type: "VirtualMachine", Value: "vm-9"}}), app.FaultInventoryNotFound, false, `vm-9`},
		{"InvalidArgument", taskFault(&types.InvalidArgument{InvalidProperty: "spec"}, "A specified parameter was not correct: spec"), app.FaultVsphere, false, `parameter was not correct`},
		{"UnknownError", errors.New("something odd"), app.FaultVsphere, false, `something odd`},
		{"PasswordScrubbed", errors.New("login s3cret-pw refused"), app.FaultVsphere, false, `login \*+ refused`},
		{"FaultUnchanged", already, app.FaultTemplateNotFound, false, `^template x not found$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify(tt.err, w)
			var f *app.Fault
			if !errors.As(err, &f) {
				t.Fatalf("classify(%v) = %T, want *app.Fault", tt.err, err)
			}
			if f.Code != tt.code || f.Transient != tt.transient {
				t.Errorf("classify(%v) = %s transient=%v (%q), want %s transient=%v", tt.err, f.Code, f.Transient, f.Message, tt.code, tt.transient)
			}
			if !regexp.MustCompile(tt.msg).MatchString(f.Message) {
				t.Errorf("message %q does not match %q", f.Message, tt.msg)
			}
			if strings.Contains(f.Message, w.password) {
				t.Errorf("message %q holds the password", f.Message)
			}
		})
	}

	t.Run("ProgressErrorUnchanged", func(t *testing.T) {
		err := classify(&stopped{progressErr}, w)
		var s *stopped
		if !errors.As(err, &s) || s.err != progressErr {
			t.Fatalf("classify(stopped) = %v, want it unchanged", err)
		}
	})
	t.Run("Nil", func(t *testing.T) {
		if err := classify(nil, w); err != nil {
			t.Fatalf("classify(nil) = %v", err)
		}
	})
}

func TestIsConnectivity(t *testing.T) {
	w := where{host: "vc.example", user: "u"}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"Refused", classify(dialErr(syscall.ECONNREFUSED), w), true},
		{"Timeout", classify(&url.Error{Op: "Post", Err: &net.OpError{Op: "read", Err: timeoutErr{}}}, w), true},
		{"CancelledByCaller", classify(context.Canceled, w), false},
		{"Busy", classify(soapFault(&types.TaskInProgress{}), w), false},
		{"BadCredentials", classify(soapFault(&types.InvalidLogin{}), w), false},
		{"TemplateNotFound", &app.Fault{Code: app.FaultTemplateNotFound}, false},
		{"ProgressError", &stopped{errors.New("over")}, false},
		{"Nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isConnectivity(tt.err); got != tt.want {
				t.Errorf("isConnectivity(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestIsNotAuthenticated(t *testing.T) {
	if !isNotAuthenticated(soapFault(&types.NotAuthenticated{})) {
		t.Error("NotAuthenticated fault not recognised")
	}
	if !isNotAuthenticated(fmt.Errorf("find: %w", soapFault(&types.NotAuthenticated{}))) {
		t.Error("wrapped NotAuthenticated fault not recognised")
	}
	if isNotAuthenticated(soapFault(&types.NoPermission{})) || isNotAuthenticated(soapFault(&types.InvalidLogin{})) {
		t.Error("another fault taken for NotAuthenticated")
	}
}

func TestInstanceUUID(t *testing.T) {
	a, b := InstanceUUID("req-1"), InstanceUUID("req-2")
	if a != InstanceUUID("req-1") {
		t.Fatal("InstanceUUID is not deterministic")
	}
	if a == b {
		t.Fatal("two requests share an instance UUID")
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(a) {
		t.Fatalf("InstanceUUID = %q, want a version 5 UUID", a)
	}
}

func TestNormalizeThumbprint(t *testing.T) {
	tests := []struct{ in, want string }{
		{"aa:bb:cc", "AA:BB:CC"},
		{"AABBCC", "AA:BB:CC"},
		{" aa bb cc ", "AA:BB:CC"},
		{"AA:BB:CC", "AA:BB:CC"},
	}
	for _, tt := range tests {
		if got := normalizeThumbprint(tt.in); got != tt.want {
			t.Errorf("normalizeThumbprint(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCleanFolder(t *testing.T) {
	tests := []struct{ in, want string }{
		{"dvmm/acme/shop", "dvmm/acme/shop"},
		{"/dvmm//acme/ ", "dvmm/acme"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := cleanFolder(tt.in); got != tt.want {
			t.Errorf("cleanFolder(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

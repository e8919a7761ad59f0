package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/store/memstore"
	"github.com/dvmm/dvmm/internal/store/storetest"
)

func TestClip(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"web-01", 6, "web-01"},
		{"web-012", 6, "web-01…"},
		{"a\x00b\x7fc\n", 10, "a?b?c?"},
		{"\xff\xfeok", 10, "?ok"},
		{"ünïcödé", 3, "ünï…"},
		{"a b~", 4, "a b~"},
		{"", 0, ""},
	} {
		if got := app.Clip(c.in, c.n); got != c.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestShortIDAndFirstLine(t *testing.T) {
	for in, want := range map[string]string{"abcdefghij": "abcdefgh", "abcdefgh": "abcdefgh", "abc": "abc"} {
		if got := app.ShortID(in); got != want {
			t.Errorf("ShortID(%q) = %q", in, got)
		}
	}
	for in, want := range map[string]string{"  one  \ntwo": "one", "one": "one", "\n\n two \n": "two", "": ""} {
		if got := app.FirstLine(in); got != want {
			t.Errorf("FirstLine(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestQuoteInMessages: user input in a message is quoted and cut to a
// short, printable form.
func TestQuoteInMessages(t *testing.T) {
	_, err := app.ParseStatus(strings.Repeat("x", 30))
	if want := `unknown status "` + strings.Repeat("x", 20) + `…"`; !strings.Contains(app.ErrorMessage(err), want) {
		t.Errorf("message %q does not contain %q", app.ErrorMessage(err), want)
	}
	_, err = app.ParseStatus(strings.Repeat("x", 20))
	if want := `"` + strings.Repeat("x", 20) + `"`; !strings.Contains(app.ErrorMessage(err), want) {
		t.Errorf("message %q does not contain %q", app.ErrorMessage(err), want)
	}
	_, err = app.ParseStatus("a\"b")
	if !strings.Contains(app.ErrorMessage(err), `"a\"b"`) {
		t.Errorf("message %q", app.ErrorMessage(err))
	}
}

func TestErrorKindsAndCodes(t *testing.T) {
	wrapped := fmt.Errorf("while approving: %w", app.Coded(app.KindConflict, app.CodeStaleVersion, "changed"))
	for _, c := range []struct {
		name string
		err  error
		kind app.Kind
		code string
		msg  string
	}{
		{"Nil", nil, "", "", ""},
		{"Coded", wrapped, app.KindConflict, app.CodeStaleVersion, "changed"},
		{"KindOnly", app.Errorf(app.KindForbidden, "no %s", "way"), app.KindForbidden, "forbidden", "no way"},
		{"TransientFault", &app.Fault{Code: app.FaultBusy, Message: "busy", Transient: true}, app.KindUnavailable, app.FaultBusy, "busy"},
		{"PermanentFault", &app.Fault{Code: app.FaultTLS, Message: "untrusted"}, app.KindInvalid, app.FaultTLS, "untrusted"},
		{"Other", errors.New("disk on fire"), app.KindInternal, "internal", "disk on fire"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := app.ErrorKind(c.err); got != c.kind {
				t.Errorf("kind %q, want %q", got, c.kind)
			}
			if got := app.ErrorCode(c.err); got != c.code {
				t.Errorf("code %q, want %q", got, c.code)
			}
			if c.err != nil && app.ErrorMessage(c.err) != c.msg {
				t.Errorf("message %q, want %q", app.ErrorMessage(c.err), c.msg)
			}
		})
	}
	cause := errors.New("cause")
	if e := (&app.Error{Kind: app.KindInternal, Message: "m", Err: cause}); !errors.Is(e, cause) || e.Error() != "m" {
		t.Error("Error does not keep its cause")
	}
	if f := (&app.Fault{Message: "m", Err: cause}); !errors.Is(f, cause) || f.Error() != "m" {
		t.Error("Fault does not keep its cause")
	}
	if f := app.AsFault(cause); f.Code != app.FaultVsphere || f.Transient || f.Message != "cause" || !errors.Is(f, cause) {
		t.Errorf("AsFault of a plain error: %+v", f)
	}
}

func TestVMIdentity(t *testing.T) {
	if app.VMID("abc") != "vm-abc" || app.RequestIDOfVM("vm-abc") != "abc" {
		t.Fatal("VMID and RequestIDOfVM do not undo each other")
	}
	for _, id := range []string{"vm-", "abc", "vmabc", "VM-abc"} {
		if got := app.RequestIDOfVM(id); got != id {
			t.Errorf("RequestIDOfVM(%q) = %q, want it unchanged", id, got)
		}
	}
	vm := app.NewVM("r1", nil)
	if vm.Started() || vm.Status() != "" {
		t.Fatal("a VM without events has started")
	}
	if got := vm.Start(app.VMSpec{Name: "web-01"}, 1); len(got) != 1 {
		t.Fatalf("start: %v", got)
	}
	started := app.NewVM("r1", []app.Event{{Data: app.VMProvisioningStarted{Attempt: 1}, Version: 1}})
	if !started.Started() || started.Start(app.VMSpec{}, 1) != nil || started.Start(app.VMSpec{}, 2) != nil {
		t.Fatal("a running VM starts an attempt")
	}
	failed := app.NewVM("r1", []app.Event{{Data: app.VMProvisioningStarted{Attempt: 1}, Version: 1},
		{Data: app.VMProvisioningFailed{Attempt: 1}, Version: 2}})
	if failed.Start(app.VMSpec{}, 1) != nil || len(failed.Start(app.VMSpec{}, 2)) != 1 {
		t.Fatal("a failed VM starts its attempt again, or not the next one")
	}
}

func TestStatusTerminal(t *testing.T) {
	for s, want := range map[app.Status]bool{app.StatusPending: false, app.StatusApproved: false, app.StatusProvisioning: false,
		app.StatusReady: true, app.StatusFailed: true, app.StatusRejected: true, app.StatusCancelled: true} {
		if s.Terminal() != want {
			t.Errorf("%s terminal: %v", s, !want)
		}
	}
}

func TestVMwareDefaults(t *testing.T) {
	if got := (app.VMwareSettings{}).IPTimeout(); got != 2*time.Minute {
		t.Errorf("default IP timeout %v", got)
	}
	if got := (app.VMwareSettings{IPTimeoutSec: 90}).IPTimeout(); got != 90*time.Second {
		t.Errorf("IP timeout %v", got)
	}
	tg := app.Target{Settings: app.VMwareSettings{URL: "https://vc/sdk", Username: "svc"}, Password: "secret"}
	if s := tg.String(); s != "svc@https://vc/sdk" {
		t.Errorf("target %q", s)
	}
}

// TestStoredPasswordFaults: when the vCenter password cannot be had, the
// request fails for bad credentials, and vCenter is never asked.
func TestStoredPasswordFaults(t *testing.T) {
	for _, c := range []struct {
		name   string
		spoil  func(w *world)
		reason string
	}{
		{"Missing", func(w *world) {
			w.must(w.store.Update(w.ctx, func(tx app.Tx) error { return tx.PutSecret(w.ctx, "globex", "x", nil, t0) }))
			w.app.Vault = missingSecret{w.store}
		}, "no vCenter password is stored for tenant acme"},
		{"Unreadable", func(w *world) {
			w.must(w.store.PutSecret(w.ctx, "acme", app.SecretPassword, []byte("garbage"), t0))
		}, "the stored vCenter password cannot be opened with this secret key"},
		{"NoKey", func(w *world) { w.app.Secrets = nil }, "no secret key is available to open the stored vCenter password"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			w.vmware()
			c.spoil(w)
			r := w.create(w.bob, "web-01")
			_, err := w.app.Approve(w.ctx, w.alice, r.ID, 0)
			w.must(err)
			v, err := w.app.Drive(w.ctx, w.alice, r.ID, time.Minute, nil)
			w.must(err)
			if v.Status != app.StatusFailed || v.VM.ErrorCode != app.FaultBadCredentials || v.VM.Error != c.reason {
				t.Fatalf("%+v", v.VM)
			}
			checks, err := w.app.TestVMware(w.ctx, w.alice)
			w.must(err)
			if len(checks) != 1 || checks[0].OK || checks[0].Detail != c.reason || checks[0].Code != app.FaultBadCredentials {
				t.Fatalf("checks %+v", checks)
			}
			diag, err := w.app.DiagnoseVMware(w.ctx, "acme")
			w.must(err)
			if !reflect.DeepEqual(diag, checks) {
				t.Fatalf("doctor %+v, vmware test %+v", diag, checks)
			}
			if len(w.hv.Calls) != 0 {
				t.Fatalf("vCenter asked without a password: %v", w.hv.Calls)
			}
		})
	}
}

// missingSecret is a store that has lost the tenant's password.
type missingSecret struct{ app.Store }

func (missingSecret) Secret(context.Context, string, string) ([]byte, error) {
	return nil, app.Errorf(app.KindNotFound, "no secret")
}

func TestDiagnoseVMware(t *testing.T) {
	w := newWorld(t)
	_, err := w.app.DiagnoseVMware(w.ctx, "acme")
	w.wantKind(err, app.KindNotFound)
	w.vmware()
	checks, err := w.app.DiagnoseVMware(w.ctx, "acme")
	w.must(err)
	if len(checks) != 1 || !checks[0].OK || w.hv.Password != "s3cret" {
		t.Fatalf("checks %+v", checks)
	}
	w.app.Hypervisor = nil
	_, err = w.app.DiagnoseVMware(w.ctx, "acme")
	w.wantKind(err, app.KindUnavailable)
	_, err = w.app.TestVMware(w.ctx, w.bob)
	w.wantKind(err, app.KindUnavailable)
}

// TestRebuildUseCase: the read models derived again from the log are the
// ones kept as it grew, and a failing projection changes nothing.
func TestRebuildUseCase(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	storetest.Seed(t, s, nil)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// JSON, so that a VM is compared by value, not by its pointer.
	snapshot := func() string {
		all, err := s.ListRequests(ctx, app.RequestFilter{})
		must(err)
		parts := []any{all}
		for _, v := range all {
			tl, err := s.Timeline(ctx, v.ID)
			must(err)
			parts = append(parts, tl)
		}
		tenants, err := s.Tenants(ctx)
		must(err)
		b, err := json.Marshal(append(parts, tenants))
		must(err)
		return string(b)
	}
	before := snapshot()
	must(app.New(s, nil, nil).Rebuild(ctx))
	if after := snapshot(); after != before {
		t.Fatalf("after rebuild\n%s\nbefore\n%s", after, before)
	}
	boom := errors.New("boom")
	broken := app.New(brokenProjections{Store: s, err: boom}, nil, nil)
	if err := broken.Rebuild(ctx); !errors.Is(err, boom) {
		t.Fatalf("rebuild with a broken projection: %v", err)
	}
	if after := snapshot(); after != before {
		t.Fatal("a failed rebuild changed the read models")
	}
}

// brokenProjections fails every write of a tenant's read model.
type brokenProjections struct {
	app.Store
	err error
}

func (s brokenProjections) Update(ctx context.Context, fn func(app.Tx) error) error {
	return s.Store.Update(ctx, func(tx app.Tx) error { return fn(brokenTx{Tx: tx, err: s.err}) })
}

type brokenTx struct {
	app.Tx
	err error
}

func (tx brokenTx) PutTenant(context.Context, app.TenantView) error { return tx.err }

// TestTextLimits: a text of exactly the allowed length passes, one more
// character does not.
func TestTextLimits(t *testing.T) {
	create := func(justification, network string) error {
		_, err := app.NewRequest("r1", "acme", nil).Create("bob", app.NewRequestInput{Name: "web-01", Project: "shop",
			Justification: justification, Network: network})
		return err
	}
	for _, c := range []struct {
		name                   string
		justification, network string
		ok                     bool
	}{
		{"JustificationMin", strings.Repeat("j", app.MinJustification), "", true},
		{"JustificationShort", strings.Repeat("j", app.MinJustification-1), "", false},
		{"JustificationMax", strings.Repeat("j", app.MaxJustification), "", true},
		{"JustificationLong", strings.Repeat("j", app.MaxJustification+1), "", false},
		{"NetworkMax", "load tests", strings.Repeat("n", 80), true},
		{"NetworkLong", "load tests", strings.Repeat("n", 81), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := create(c.justification, c.network)
			if (err == nil) != c.ok {
				t.Fatalf("error %v, want ok %v", err, c.ok)
			}
			if err != nil && app.ErrorKind(err) != app.KindInvalid {
				t.Fatalf("kind %s", app.ErrorKind(err))
			}
		})
	}
}

// TestTenantUseCases: a tenant made without a named admin is the actor's,
// and each use case returns the tenant as it now is.
func TestTenantUseCases(t *testing.T) {
	w := newWorld(t)
	v, err := w.app.CreateTenant(w.ctx, app.Actor{User: "ivy"}, "initech", "")
	w.must(err)
	want := app.TenantView{Name: "initech", Members: []app.Member{{User: "ivy", Role: app.RoleAdmin}}, Version: 1, CreatedAt: t0, UsageCounted: true, ProjectsKnown: true}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("created %+v, want %+v", v, want)
	}
	v, err = w.app.AddMember(w.ctx, app.Actor{User: "ivy"}, "initech", "joe", app.RoleUser)
	w.must(err)
	if v.Version != 2 || len(v.Members) != 2 || v.Members[1] != (app.Member{User: "joe", Role: app.RoleUser}) {
		t.Fatalf("after add-member %+v", v)
	}
	_, err = w.app.AddMember(w.ctx, app.Actor{User: "joe"}, "initech", "kim", app.RoleUser)
	w.wantKind(err, app.KindForbidden)
	_, err = w.app.AddMember(w.ctx, app.Actor{}, "initech", "kim", app.RoleUser)
	w.wantKind(err, app.KindInvalid)
	_, err = w.app.CreateTenant(w.ctx, app.Actor{User: "ivy"}, "initech", "ivy")
	w.wantKind(err, app.KindConflict)
}

package app_test

import (
	"context"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
)

func TestDecideDrift(t *testing.T) {
	rec := app.VMView{VCenterName: "web-01", CPUs: 2, MemoryGB: 4, PowerState: "poweredOn", IP: "10.0.0.5"}
	same := app.Machine{Name: "web-01", CPUs: 2, MemoryMB: 4096, PowerState: "poweredOn", IP: "10.0.0.5"}
	with := func(f func(m *app.Machine)) app.Machine { m := same; f(&m); return m }
	gone := rec
	gone.Missing = true
	tests := []struct {
		name  string
		rec   app.VMView
		live  app.Machine
		found bool
		want  []app.Payload
	}{
		{"unchanged", rec, same, true, nil},
		{"deleted", rec, app.Machine{}, false, []app.Payload{app.VMDriftObserved{Change: app.DriftDeleted, From: "web-01"}}},
		{"deleted, already known", gone, app.Machine{}, false, nil},
		{"renamed", rec, with(func(m *app.Machine) { m.Name = "old-web" }), true,
			[]app.Payload{app.VMDriftObserved{Change: app.DriftRenamed, From: "web-01", To: "old-web"}}},
		{"resized", rec, with(func(m *app.Machine) { m.CPUs, m.MemoryMB = 4, 8192 }), true,
			[]app.Payload{app.VMDriftObserved{Change: app.DriftResized, From: "2 vCPU, 4 GB", To: "4 vCPU, 8 GB", CPUs: 4, MemoryMB: 8192}}},
		{"memory in MB", rec, with(func(m *app.Machine) { m.MemoryMB = 4100 }), true,
			[]app.Payload{app.VMDriftObserved{Change: app.DriftResized, From: "2 vCPU, 4 GB", To: "2 vCPU, 4100 MB", CPUs: 2, MemoryMB: 4100}}},
		{"powered off", rec, with(func(m *app.Machine) { m.PowerState = "poweredOff" }), true,
			[]app.Payload{app.VMDriftObserved{Change: app.DriftPower, From: "poweredOn", To: "poweredOff"}}},
		{"new IP", rec, with(func(m *app.Machine) { m.IP = "10.0.0.9" }), true,
			[]app.Payload{app.VMDriftObserved{Change: app.DriftIP, From: "10.0.0.5", To: "10.0.0.9"}}},
		{"no IP reported is no change", rec, with(func(m *app.Machine) { m.IP = "" }), true, nil},
		{"seen again after deleted", gone, same, true, []app.Payload{
			app.VMDriftObserved{Change: app.DriftRenamed, To: "web-01"},
			app.VMDriftObserved{Change: app.DriftResized, From: "0 vCPU, 0 GB", To: "2 vCPU, 4 GB", CPUs: 2, MemoryMB: 4096},
			app.VMDriftObserved{Change: app.DriftPower, To: "poweredOn"},
			app.VMDriftObserved{Change: app.DriftIP, To: "10.0.0.5"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := app.DecideDrift(tt.rec, tt.live, tt.found); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestReconcile(t *testing.T) {
	w := newWorld(t)
	w.vmware()
	r := w.create(w.bob, "web-01")
	_, err := w.app.Approve(w.ctx, w.alice, r.ID, 0)
	w.must(err)
	w.drain()

	_, err = w.app.Reconcile(w.ctx, w.bob, false)
	w.wantKind(err, app.KindForbidden)
	_, err = w.app.Reconcile(w.ctx, app.Actor{User: "alice", Tenant: "acme", Remote: true}, true)
	w.wantKind(err, app.KindForbidden)

	// An unreadable vCenter is reported, never taken for deleted VMs.
	before := w.events()
	w.hv.SurveyFn = func(ctx context.Context, tg app.Target) ([]app.SurveyedVM, error) {
		return nil, &app.Fault{Code: app.FaultUnreachable, Message: "vCenter vc is unreachable", Transient: true}
	}
	res, err := w.app.Reconcile(w.ctx, w.alice, false)
	w.must(err)
	if len(res.Tenants) != 1 || res.Tenants[0].Error != "vCenter vc is unreachable" || len(res.Tenants[0].Drifted) != 0 {
		t.Fatalf("reconcile with vCenter down: %+v", res)
	}
	if n := w.events(); n != before {
		t.Fatalf("reconcile with vCenter down appended %d events", n-before)
	}

	// The VM is gone: recorded once, however often a reconcile runs.
	w.hv.SurveyFn = func(ctx context.Context, tg app.Target) ([]app.SurveyedVM, error) { return nil, nil }
	for i := 0; i < 3; i++ {
		res, err = w.app.Reconcile(w.ctx, app.Actor{User: "root"}, true)
		w.must(err)
		if want := map[bool]int{true: 1, false: 0}[i == 0]; len(res.Tenants[0].Drifted) != want {
			t.Fatalf("pass %d found %+v, want %d drifted", i, res.Tenants[0].Drifted, want)
		}
	}
	if n := w.events(); n != before+1 {
		t.Fatalf("three passes appended %d events, want 1", n-before)
	}
	v, err := w.app.Views.Request(w.ctx, r.ID)
	w.must(err)
	if v.Status != app.StatusReady || !v.VM.Missing {
		t.Fatalf("after the VM was deleted: %+v %+v", v, v.VM)
	}
}

// A request given up while vCenter was down loses its queued work at
// once; the VM its attempt made is removed when the removal runs.
func TestGiveUpRemovesTheVM(t *testing.T) {
	w := newWorld(t)
	w.vmware()
	r := w.create(w.bob, "web-01")
	w.hv.ProvisionFn = func(ctx context.Context, tg app.Target, spec app.MachineSpec, progress func(app.Stage) error) (app.Machine, error) {
		w.hv.Plant(spec.RequestID, app.Machine{Name: spec.Name, MoRef: "vm-partial"})
		return app.Machine{}, &app.Fault{Code: app.FaultUnreachable, Message: "vCenter vc is unreachable", Transient: true}
	}
	_, err := w.app.Approve(w.ctx, w.alice, r.ID, 0)
	w.must(err)
	w.drain()
	before := w.events()
	_, err = w.app.GiveUp(w.ctx, w.bob, r.ID, "the lab vCenter is gone for good")
	w.wantKind(err, app.KindForbidden)
	if w.events() != before {
		t.Fatal("a refused give-up changed the log")
	}
	v, err := w.app.GiveUp(w.ctx, w.alice, r.ID, "the lab vCenter is gone for good")
	w.must(err)
	if v.Status != app.StatusCancelled {
		t.Fatalf("given up: %s", v.Status)
	}
	w.hv.ProvisionFn = nil
	w.drain()
	if _, ok := w.hv.Made(r.ID); ok {
		t.Fatal("the VM of the given-up request is still there")
	}
	tl := strings.Join(w.timeline(r.ID), "\n")
	for _, want := range []string{"Given up by alice: the lab vCenter is gone for good", "Partial VM removed: removed after the request was given up"} {
		if !strings.Contains(tl, want) {
			t.Errorf("timeline lacks %q:\n%s", want, tl)
		}
	}
	if calls := w.hv.CallsTo("provision"); len(calls) != 1 {
		t.Errorf("provision calls %v: the dropped work ran again", calls)
	}
}

// flakyStore fails every write transaction while failing is set, as a
// database locked past its busy timeout or a full disk.
type flakyStore struct {
	app.Transactor
	failing atomic.Bool
}

func (s *flakyStore) Update(ctx context.Context, fn func(app.Tx) error) error {
	if s.failing.Load() {
		return app.Errorf(app.KindUnavailable, "database is locked")
	}
	return s.Transactor.Update(ctx, fn)
}

// A failure of dvmm's own store while the vSphere work runs is transient
// for that work: the request does not fail, the VM made is not removed,
// no attempt is spent, and the next run adopts the VM.
func TestStoreFailureDuringWorkIsTransient(t *testing.T) {
	w := newWorld(t)
	w.vmware()
	fs := &flakyStore{Transactor: w.store}
	w.app.Store = fs
	r := w.create(w.bob, "web-01")
	w.hv.ProvisionFn = func(ctx context.Context, tg app.Target, spec app.MachineSpec, progress func(app.Stage) error) (app.Machine, error) {
		w.hv.Plant(spec.RequestID, app.Machine{Name: spec.Name, MoRef: "vm-made", IP: "10.0.0.5", CPUs: spec.CPUs, MemoryMB: spec.MemoryMB})
		fs.failing.Store(true) // the clone is made; now the store stops answering
		return app.Machine{}, progress(app.StageCloning)
	}
	_, err := w.app.Approve(w.ctx, w.alice, r.ID, 0)
	w.must(err)
	w.drain()
	fs.failing.Store(false)
	if v := w.request(r.ID); v.Status != app.StatusProvisioning {
		t.Fatalf("after a store failure the request is %s", v.Status)
	}
	if calls := w.hv.CallsTo("remove"); len(calls) != 0 {
		t.Fatalf("a VM was removed over a store failure: %v", calls)
	}
	c := w.command(app.CreateVMKey(r.ID, 1))
	if c.Status != app.CommandPending || c.Attempts != 0 {
		t.Fatalf("command %+v: want pending, no attempt spent", c)
	}
	// The store answers again: the next run finds the VM made.
	w.hv.ProvisionFn = nil
	w.clock.Advance(5 * time.Minute) // the lease of the run that could not settle runs out
	w.drain()
	if v := w.request(r.ID); v.Status != app.StatusReady {
		t.Fatalf("after the store came back: %s", v.Status)
	}
}

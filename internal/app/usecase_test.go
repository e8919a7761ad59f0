package app_test

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/app/apptest"
	"github.com/dvmm/dvmm/internal/contract"
	"github.com/dvmm/dvmm/internal/store/memstore"
	"github.com/dvmm/dvmm/internal/store/storetest"
)

// t0 is where every fake clock of these tests starts.
var t0 = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

// world is the core wired to the in-memory store, a fake clock and a
// fake hypervisor, with tenant acme (alice admin; bob and carol users)
// and tenant globex (zed admin).
type world struct {
	t     *testing.T
	ctx   context.Context
	store *memstore.Store
	clock *apptest.Clock
	hv    *apptest.Hypervisor
	app   *app.App

	alice, bob, carol, zed app.Actor
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, ctx: context.Background(), store: memstore.New(), clock: apptest.NewClock(t0), hv: &apptest.Hypervisor{},
		alice: app.Actor{User: "alice", Tenant: "acme", CorrelationID: "corr-a"}, bob: app.Actor{User: "bob", Tenant: "acme"},
		carol: app.Actor{User: "carol", Tenant: "acme"}, zed: app.Actor{User: "zed", Tenant: "globex"}}
	w.app = app.New(w.store, w.hv, apptest.Sealer{})
	w.app.Clock = w.clock
	w.app.Retries = app.RetryPolicy{Base: 10 * time.Second, Max: 40 * time.Second, MaxAttempts: 3, Wait: 15 * time.Second}
	_, err := w.app.CreateTenant(w.ctx, w.alice, "acme", "alice")
	w.must(err)
	_, err = w.app.AddMember(w.ctx, w.alice, "acme", "bob", app.RoleUser)
	w.must(err)
	_, err = w.app.AddMember(w.ctx, w.alice, "acme", "carol", app.RoleUser)
	w.must(err)
	_, err = w.app.CreateTenant(w.ctx, w.zed, "globex", "zed")
	w.must(err)
	for _, p := range []string{"shop", "web", "lab", "blog", "other"} {
		_, err = w.app.CreateProject(w.ctx, w.alice, p)
		w.must(err)
	}
	_, err = w.app.CreateProject(w.ctx, app.Actor{User: "zed", Tenant: "globex"}, "shop")
	w.must(err)
	return w
}

func (w *world) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) wantKind(err error, kind app.Kind) {
	w.t.Helper()
	if got := app.ErrorKind(err); got != kind {
		w.t.Fatalf("error kind %q (%v), want %q", got, err, kind)
	}
}

func (w *world) vmware() {
	w.t.Helper()
	_, err := w.app.SetVMware(w.ctx, w.alice, storetest.VMwareSettings(), "s3cret")
	w.must(err)
}

func (w *world) create(actor app.Actor, name string) app.RequestView {
	w.t.Helper()
	v, err := w.app.CreateRequest(w.ctx, actor, app.NewRequestInput{Name: name, Size: "S", Project: "shop", Justification: "load tests for the shop"})
	w.must(err)
	return v
}

func (w *world) request(id string) app.RequestView {
	w.t.Helper()
	v, err := w.store.Request(w.ctx, id)
	w.must(err)
	return v
}

func (w *world) timeline(id string) []string {
	w.t.Helper()
	tl, err := w.store.Timeline(w.ctx, id)
	w.must(err)
	var out []string
	for _, e := range tl {
		out = append(out, contract.TimelineText(e))
	}
	return out
}

// events counts the log, to show a refusal changed nothing.
func (w *world) events() int {
	w.t.Helper()
	all, err := w.store.ReadLog(w.ctx, 0, 1<<20)
	w.must(err)
	return len(all)
}

// command returns the queued command with key.
func (w *world) command(key string) app.Command {
	w.t.Helper()
	cmds, err := w.store.ListCommands(w.ctx, "")
	w.must(err)
	for _, c := range cmds {
		if c.Key == key {
			return c
		}
	}
	w.t.Fatalf("no command %s in %+v", key, cmds)
	return app.Command{}
}

func (w *world) drain() app.ServeResult {
	w.t.Helper()
	res, err := w.app.Drain(w.ctx, "w1", 1, time.Minute)
	w.must(err)
	return res
}

func stages() []string {
	return []string{"Cloning template", "Configuring CPU, memory and disk", "Powering on", "Waiting for network"}
}

func TestCreateRequestUseCase(t *testing.T) {
	w := newWorld(t)
	t.Run("OK", func(t *testing.T) {
		v := w.create(w.bob, "web-01")
		if v.Status != app.StatusPending || v.Version != 1 || v.Requester != "bob" || v.Tenant != "acme" || !v.CreatedAt.Equal(t0) {
			t.Fatalf("created %+v", v)
		}
		if got := w.timeline(v.ID); !reflect.DeepEqual(got, []string{"Request created"}) {
			t.Fatalf("timeline %q", got)
		}
	})
	before := w.events()
	for _, c := range []struct {
		name  string
		actor app.Actor
		req   string
		kind  app.Kind
	}{
		{"ErrNameTaken", w.carol, "web-01", app.KindConflict},
		{"ErrNotMember", app.Actor{User: "zed", Tenant: "acme"}, "web-02", app.KindForbidden},
		{"ErrNoTenant", app.Actor{User: "bob"}, "web-02", app.KindInvalid},
		{"ErrNoUser", app.Actor{Tenant: "acme"}, "web-02", app.KindInvalid},
		{"ErrUnknownTenant", app.Actor{User: "bob", Tenant: "initech"}, "web-02", app.KindNotFound},
		{"ErrBadName", w.bob, "Web_01", app.KindInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := w.app.CreateRequest(w.ctx, c.actor, app.NewRequestInput{Name: c.req, Size: "S", Project: "shop", Justification: "load tests for the shop"})
			w.wantKind(err, c.kind)
		})
	}
	if w.events() != before {
		t.Fatal("a refused request changed the log")
	}
	t.Run("OKSameNameOtherProjectOrTenant", func(t *testing.T) {
		_, err := w.app.CreateRequest(w.ctx, w.bob, app.NewRequestInput{Name: "web-01", Project: "web", Justification: "load tests for the shop"})
		w.must(err)
		w.create(w.zed, "web-01")
	})
}

func TestApproveUseCase(t *testing.T) {
	t.Run("Refusals", func(t *testing.T) {
		w := newWorld(t)
		r := w.create(w.bob, "web-01")
		own := w.create(w.alice, "web-02")
		before := w.events()
		_, err := w.app.Approve(w.ctx, w.carol, r.ID, 0)
		w.wantKind(err, app.KindForbidden)
		_, err = w.app.Approve(w.ctx, w.alice, own.ID, 0)
		w.wantKind(err, app.KindForbidden)
		_, err = w.app.Approve(w.ctx, w.alice, r.ID, 7)
		w.wantKind(err, app.KindConflict)
		_, err = w.app.Approve(w.ctx, w.zed, r.ID, 0)
		w.wantKind(err, app.KindNotFound)
		_, err = w.app.Approve(w.ctx, w.alice, "", 0)
		w.wantKind(err, app.KindInvalid)
		_, err = w.app.Approve(w.ctx, w.alice, "NOT-AN-ID", 0)
		w.wantKind(err, app.KindNotFound)
		if w.events() != before {
			t.Fatal("a refused approval changed the log")
		}
		_, err = w.app.Approve(w.ctx, w.alice, r.ID, 1)
		w.must(err)
		_, err = w.app.Approve(w.ctx, w.alice, r.ID, 0)
		w.wantKind(err, app.KindConflict)
	})

	t.Run("OKWithoutVmwareFailsAtOnce", func(t *testing.T) {
		w := newWorld(t)
		r := w.create(w.bob, "web-01")
		v, err := w.app.Approve(w.ctx, w.alice, r.ID[:4], 0)
		w.must(err)
		if v.Status != app.StatusFailed || v.VM == nil || v.VM.ErrorCode != app.FaultVMwareNotConfigured || v.DecidedBy != "alice" {
			t.Fatalf("approved without VMware: %+v", v)
		}
		want := []string{"Request created", "Approved by alice", "Provisioning started", "VMware not configured"}
		if got := w.timeline(r.ID); !reflect.DeepEqual(got, want) {
			t.Fatalf("timeline %q, want %q", got, want)
		}
		c := w.command("ProvisionVm:" + r.ID + ":1")
		if c.Status != app.CommandDone || c.Attempts != 1 || c.ClaimedBy != "approve" || c.Correlation != "corr-a" {
			t.Fatalf("ProvisionVm %+v", c)
		}
		cmds, _ := w.store.ListCommands(w.ctx, "acme")
		if len(cmds) != 1 {
			t.Fatalf("no VMware, yet vSphere work was queued: %+v", cmds)
		}
	})

	t.Run("OKQueuesTheVsphereWork", func(t *testing.T) {
		w := newWorld(t)
		w.vmware()
		r := w.create(w.bob, "web-01")
		v, err := w.app.Approve(w.ctx, w.alice, r.ID, 0)
		w.must(err)
		if v.Status != app.StatusProvisioning || v.VM.Attempt != 1 || v.VM.CPUs != 2 || v.Network != "VM Network" {
			t.Fatalf("approved %+v", v)
		}
		c := w.command(app.CreateVMKey(r.ID, 1))
		if c.Status != app.CommandPending || !c.NextRunAt.Equal(t0) || c.Tenant != "acme" || c.RequestID != r.ID || c.Type != app.CmdCreateVM {
			t.Fatalf("CreateVm %+v", c)
		}
		if len(w.hv.Calls) != 0 {
			t.Fatalf("approve without --wait called vCenter: %v", w.hv.Calls)
		}
		res := w.drain()
		if res != (app.ServeResult{Ran: 1}) {
			t.Fatalf("drain %+v", res)
		}
		v = w.request(r.ID)
		if v.Status != app.StatusReady || v.VM.IP != "10.0.0.5" || v.VM.MoRef != "vm-web-01" {
			t.Fatalf("after serve %+v", v)
		}
		if w.hv.Password != "s3cret" {
			t.Fatalf("vCenter got password %q", w.hv.Password)
		}
		m, _ := w.hv.Made(r.ID)
		if m.Folder != "dvmm/acme/shop" || m.CPUs != 2 || m.MemoryMB != 4096 {
			t.Fatalf("made %+v", m)
		}
		if c := w.command(app.CreateVMKey(r.ID, 1)); c.Status != app.CommandDone || c.Attempts != 1 {
			t.Fatalf("CreateVm after serve %+v", c)
		}
	})
}

func TestRejectCancelUseCase(t *testing.T) {
	w := newWorld(t)
	r := w.create(w.bob, "web-01")
	_, err := w.app.Reject(w.ctx, w.alice, r.ID, "short", 0)
	w.wantKind(err, app.KindInvalid)
	_, err = w.app.Reject(w.ctx, w.bob, r.ID, "not in this quarter's budget", 0)
	w.wantKind(err, app.KindForbidden)
	v, err := w.app.Reject(w.ctx, w.alice, r.ID, "not in this quarter's budget", 1)
	w.must(err)
	if v.Status != app.StatusRejected || v.Reason != "not in this quarter's budget" || v.Version != 2 {
		t.Fatalf("rejected %+v", v)
	}
	_, err = w.app.Cancel(w.ctx, w.bob, r.ID)
	w.wantKind(err, app.KindConflict)

	c := w.create(w.bob, "web-01") // the name is free again
	_, err = w.app.Cancel(w.ctx, w.carol, c.ID)
	w.wantKind(err, app.KindForbidden)
	v, err = w.app.Cancel(w.ctx, w.bob, c.ID)
	w.must(err)
	if v.Status != app.StatusCancelled {
		t.Fatalf("cancelled %+v", v)
	}
	if got := w.timeline(c.ID); !reflect.DeepEqual(got, []string{"Request created", "Cancelled by bob"}) {
		t.Fatalf("timeline %q", got)
	}
}

func TestRetryUseCase(t *testing.T) {
	w := newWorld(t)
	r := w.create(w.bob, "web-01")
	_, err := w.app.Retry(w.ctx, w.alice, r.ID)
	w.wantKind(err, app.KindConflict) // pending
	_, err = w.app.Approve(w.ctx, w.alice, r.ID, 0)
	w.must(err)
	_, err = w.app.Retry(w.ctx, w.bob, r.ID)
	w.wantKind(err, app.KindForbidden)
	w.vmware()
	v, err := w.app.Retry(w.ctx, w.alice, r.ID)
	w.must(err)
	if v.Status != app.StatusProvisioning || v.VM.Attempt != 2 || v.VM.ErrorCode != "" {
		t.Fatalf("retried %+v", v)
	}
	_, err = w.app.Retry(w.ctx, w.alice, r.ID)
	w.wantKind(err, app.KindConflict) // provisioning
	v, err = w.app.Drive(w.ctx, w.alice, r.ID, time.Minute, nil)
	w.must(err)
	if v.Status != app.StatusReady {
		t.Fatalf("driven %+v", v)
	}
	want := append([]string{"Request created", "Approved by alice", "Provisioning started", "VMware not configured",
		"Retry requested by alice", "Provisioning started (attempt 2)"}, stages()...)
	want = append(want, "VM ready (IP 10.0.0.5)")
	if got := w.timeline(r.ID); !reflect.DeepEqual(got, want) {
		t.Fatalf("timeline\n%q\nwant\n%q", got, want)
	}
}

func TestDriveUseCase(t *testing.T) {
	t.Run("OKReportsEachChange", func(t *testing.T) {
		w := newWorld(t)
		w.vmware()
		r := w.create(w.bob, "web-01")
		_, err := w.app.Approve(w.ctx, w.alice, r.ID, 0)
		w.must(err)
		var seen []app.Status
		v, err := w.app.Drive(w.ctx, w.alice, r.ID, time.Minute, func(v app.RequestView) { seen = append(seen, v.Status) })
		w.must(err)
		if v.Status != app.StatusReady || !reflect.DeepEqual(seen, []app.Status{app.StatusProvisioning, app.StatusReady}) {
			t.Fatalf("drive ended %s after %v", v.Status, seen)
		}
	})

	t.Run("OKPermanentFailureRemovesThePartialVM", func(t *testing.T) {
		w := newWorld(t)
		w.vmware()
		r := w.create(w.bob, "web-01")
		w.hv.ProvisionFn = func(_ context.Context, _ app.Target, spec app.MachineSpec, progress func(app.Stage) error) (app.Machine, error) {
			w.hv.Plant(spec.RequestID, app.Machine{MoRef: "vm-half"})
			if err := progress(app.StageCloning); err != nil {
				return app.Machine{}, err
			}
			return app.Machine{}, &app.Fault{Code: app.FaultInsufficientResources, Message: "no room on the datastore"}
		}
		_, err := w.app.Approve(w.ctx, w.alice, r.ID, 0)
		w.must(err)
		v, err := w.app.Drive(w.ctx, w.alice, r.ID, time.Minute, nil)
		w.must(err)
		if v.Status != app.StatusFailed || v.VM.ErrorCode != app.FaultInsufficientResources || v.VM.Error != "no room on the datastore" {
			t.Fatalf("failed %+v", v)
		}
		if _, left := w.hv.Made(r.ID); left || len(w.hv.CallsTo("remove")) != 1 {
			t.Fatalf("partial VM left behind; calls %v", w.hv.Calls)
		}
		want := []string{"Request created", "Approved by alice", "Provisioning started", "Cloning template",
			"Partial VM removed: cleaned up after the failure", "Provisioning failed: no room on the datastore"}
		if got := w.timeline(r.ID); !reflect.DeepEqual(got, want) {
			t.Fatalf("timeline\n%q\nwant\n%q", got, want)
		}
		c := w.command(app.CreateVMKey(r.ID, 1))
		if c.Status != app.CommandFailed || c.LastError != "no room on the datastore" || c.Attempts != 1 {
			t.Fatalf("command %+v", c)
		}
	})

	t.Run("OKRemovalFailureStillFails", func(t *testing.T) {
		w := newWorld(t)
		w.vmware()
		r := w.create(w.bob, "web-01")
		w.hv.ProvisionFn = func(context.Context, app.Target, app.MachineSpec, func(app.Stage) error) (app.Machine, error) {
			return app.Machine{}, &app.Fault{Code: app.FaultTemplateNotFound, Message: "no template"}
		}
		w.hv.FindFn = func(context.Context, app.Target, string) (app.Machine, bool, error) {
			return app.Machine{}, false, &app.Fault{Code: app.FaultUnreachable, Message: "gone", Transient: true}
		}
		_, err := w.app.Approve(w.ctx, w.alice, r.ID, 0)
		w.must(err)
		v, err := w.app.Drive(w.ctx, w.alice, r.ID, time.Minute, nil)
		w.must(err)
		if v.Status != app.StatusFailed || len(w.hv.CallsTo("remove")) != 0 {
			t.Fatalf("%+v, calls %v", v, w.hv.Calls)
		}
	})

	t.Run("ErrStoppedWaiting", func(t *testing.T) {
		w := newWorld(t)
		w.vmware()
		r := w.create(w.bob, "web-01")
		_, err := w.app.Approve(w.ctx, w.alice, r.ID, 0)
		w.must(err)
		// Another worker holds the work, so Drive can only wait.
		if _, ok, err := w.store.Claim(w.ctx, app.Claim{Worker: "serve", Key: app.CreateVMKey(r.ID, 1), Now: t0, Lease: time.Hour}); err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		ctx, cancel := context.WithCancel(w.ctx)
		done := make(chan error)
		go func() { _, err := w.app.Drive(ctx, w.alice, r.ID, time.Minute, nil); done <- err }()
		w.clock.BlockUntil(1) // Drive waits for its next look
		cancel()
		err = <-done
		w.wantKind(err, app.KindUnavailable)
		if len(w.hv.Calls) != 0 {
			t.Fatalf("drive ran work another worker holds: %v", w.hv.Calls)
		}
	})
}

// TestRetrySchedule drives a transient failure through its retries on a
// fake clock: no run before its time, each delay from the policy.
func TestRetrySchedule(t *testing.T) {
	w := newWorld(t)
	w.vmware()
	r := w.create(w.bob, "web-01")
	fails := 2
	w.hv.ProvisionFn = func(ctx context.Context, tg app.Target, spec app.MachineSpec, progress func(app.Stage) error) (app.Machine, error) {
		if fails > 0 {
			fails--
			return app.Machine{}, &app.Fault{Code: app.FaultBusy, Message: "vCenter busy", Transient: true}
		}
		return (&apptest.Hypervisor{}).Provision(ctx, tg, spec, progress)
	}
	_, err := w.app.Approve(w.ctx, w.alice, r.ID, 0)
	w.must(err)
	key := app.CreateVMKey(r.ID, 1)

	w.drain()
	c := w.command(key)
	if !c.NextRunAt.Equal(t0.Add(10*time.Second)) || c.Attempts != 1 || c.LastError != "vCenter busy" || c.Status != app.CommandPending {
		t.Fatalf("after the first failure %+v", c)
	}
	w.clock.Set(t0.Add(9 * time.Second))
	if res := w.drain(); res.Ran != 0 {
		t.Fatal("ran before the retry was due")
	}
	w.clock.Set(t0.Add(10 * time.Second))
	w.drain()
	c = w.command(key)
	if !c.NextRunAt.Equal(t0.Add(30*time.Second)) || c.Attempts != 2 {
		t.Fatalf("after the second failure %+v", c)
	}
	w.clock.Set(t0.Add(30 * time.Second))
	w.drain()
	v := w.request(r.ID)
	if v.Status != app.StatusReady {
		t.Fatalf("after the third run %+v", v)
	}
	want := []string{"Request created", "Approved by alice", "Provisioning started",
		"Retry 2/3 in 10s: vCenter busy", "Retry 3/3 in 20s: vCenter busy"}
	want = append(append(want, stages()...), "VM ready (IP 10.0.0.5)")
	if got := w.timeline(r.ID); !reflect.DeepEqual(got, want) {
		t.Fatalf("timeline\n%q\nwant\n%q", got, want)
	}
	if c := w.command(key); c.Attempts != 3 || c.Status != app.CommandDone {
		t.Fatalf("command %+v", c)
	}

	t.Run("FailsAfterTheLastAttempt", func(t *testing.T) {
		r := w.create(w.bob, "web-02")
		fails = 99
		_, err := w.app.Approve(w.ctx, w.alice, r.ID, 0)
		w.must(err)
		for i := range 3 {
			w.clock.Advance(time.Minute)
			if res := w.drain(); res.Ran != 1 || res.Failed != btoi(i == 2) {
				t.Fatalf("run %d: %+v", i, res)
			}
		}
		v := w.request(r.ID)
		if v.Status != app.StatusFailed || v.VM.ErrorCode != app.FaultBusy {
			t.Fatalf("%+v", v)
		}
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestWaitForVCenter: while vCenter is unreachable the work waits,
// spending no attempt, and the timeline says so once.
func TestWaitForVCenter(t *testing.T) {
	w := newWorld(t)
	w.vmware()
	r := w.create(w.bob, "web-01")
	down := true
	w.hv.ProvisionFn = func(ctx context.Context, tg app.Target, spec app.MachineSpec, progress func(app.Stage) error) (app.Machine, error) {
		if down {
			return app.Machine{}, &app.Fault{Code: app.FaultUnreachable, Message: "vCenter unreachable", Transient: true}
		}
		return (&apptest.Hypervisor{}).Provision(ctx, tg, spec, progress)
	}
	_, err := w.app.Approve(w.ctx, w.alice, r.ID, 0)
	w.must(err)
	key := app.CreateVMKey(r.ID, 1)
	for i := range 5 {
		w.drain()
		c := w.command(key)
		if c.Attempts != 0 || !c.NextRunAt.Equal(w.clock.Now().Add(15*time.Second)) {
			t.Fatalf("wait %d: %+v", i, c)
		}
		w.clock.Advance(15 * time.Second)
	}
	items, err := w.app.ListQueue(w.ctx, w.alice)
	w.must(err)
	if items[0].State != "pending" {
		t.Fatalf("queue state %s, want pending once the wait is over", items[0].State)
	}
	down = false
	w.drain()
	want := append([]string{"Request created", "Approved by alice", "Provisioning started", "Waiting for vCenter: vCenter unreachable"}, stages()...)
	want = append(want, "VM ready (IP 10.0.0.5)")
	if got := w.timeline(r.ID); !reflect.DeepEqual(got, want) {
		t.Fatalf("timeline\n%q\nwant\n%q", got, want)
	}
}

// TestLeaseLost: a worker whose lease ran out and was taken stops its copy
// of the command when its renewal fails; no sleeping, the clock is moved.
func TestLeaseLost(t *testing.T) {
	w := newWorld(t)
	w.vmware()
	r := w.create(w.bob, "web-01")
	started := make(chan struct{})
	stopped := make(chan error, 1)
	w.hv.ProvisionFn = func(ctx context.Context, _ app.Target, _ app.MachineSpec, _ func(app.Stage) error) (app.Machine, error) {
		close(started)
		<-ctx.Done()
		stopped <- ctx.Err()
		return app.Machine{}, ctx.Err()
	}
	_, err := w.app.Approve(w.ctx, w.alice, r.ID, 0)
	w.must(err)
	done := make(chan app.ServeResult)
	go func() {
		res, err := w.app.Serve(w.ctx, app.ServeOptions{Worker: "w1", Lease: 30 * time.Second, Once: true})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	<-started
	w.clock.BlockUntil(1) // the renewal, due at a third of the lease
	c, ok, err := w.store.Claim(w.ctx, app.Claim{Worker: "w2", Now: t0.Add(31 * time.Second), Lease: time.Minute})
	if err != nil || !ok || c.Key != app.CreateVMKey(r.ID, 1) {
		t.Fatalf("the expired lease was not taken: %+v %v %v", c, ok, err)
	}
	w.clock.Advance(10 * time.Second)
	if err := <-stopped; !errors.Is(err, context.Canceled) {
		t.Fatalf("the first worker's copy ended with %v", err)
	}
	res := <-done
	if res != (app.ServeResult{Ran: 1}) {
		t.Fatalf("serve %+v", res)
	}
	if c := w.command(app.CreateVMKey(r.ID, 1)); c.ClaimedBy != "w2" || c.Status != app.CommandPending {
		t.Fatalf("the command left the new worker: %+v", c)
	}
}

// TestLeaseRenewed: while work runs, its lease is renewed at a third of
// its length, so no other worker can take it.
func TestLeaseRenewed(t *testing.T) {
	w := newWorld(t)
	w.vmware()
	r := w.create(w.bob, "web-01")
	release := make(chan struct{})
	started := make(chan struct{})
	w.hv.ProvisionFn = func(ctx context.Context, tg app.Target, spec app.MachineSpec, progress func(app.Stage) error) (app.Machine, error) {
		close(started)
		<-release
		return (&apptest.Hypervisor{}).Provision(ctx, tg, spec, progress)
	}
	_, err := w.app.Approve(w.ctx, w.alice, r.ID, 0)
	w.must(err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := w.app.Serve(w.ctx, app.ServeOptions{Worker: "w1", Lease: 30 * time.Second, Once: true}); err != nil {
			t.Error(err)
		}
	}()
	<-started
	for range 4 {
		w.clock.BlockUntil(1)
		w.clock.Advance(10 * time.Second)
	}
	w.clock.BlockUntil(1) // the fifth renewal waits: the fourth is stored
	c := w.command(app.CreateVMKey(r.ID, 1))
	if !c.LeaseUntil.Equal(t0.Add(70 * time.Second)) {
		t.Fatalf("lease until %v, want renewed to %v", c.LeaseUntil, t0.Add(70*time.Second))
	}
	if _, ok, _ := w.store.Claim(w.ctx, app.Claim{Worker: "w2", Now: w.clock.Now(), Lease: time.Minute}); ok {
		t.Fatal("another worker took a renewed lease")
	}
	close(release)
	<-done
	if v := w.request(r.ID); v.Status != app.StatusReady {
		t.Fatalf("%+v", v)
	}
}

// TestServeShutdown: work still running when the grace period ends is
// stopped and its lease given back at once.
func TestServeShutdown(t *testing.T) {
	w := newWorld(t)
	w.vmware()
	r := w.create(w.bob, "web-01")
	started := make(chan struct{})
	w.hv.ProvisionFn = func(ctx context.Context, _ app.Target, _ app.MachineSpec, _ func(app.Stage) error) (app.Machine, error) {
		close(started)
		<-ctx.Done()
		return app.Machine{}, ctx.Err()
	}
	_, err := w.app.Approve(w.ctx, w.alice, r.ID, 0)
	w.must(err)
	ctx, cancel := context.WithCancel(w.ctx)
	done := make(chan app.ServeResult)
	go func() {
		res, err := w.app.Serve(ctx, app.ServeOptions{Worker: "w1", Lease: time.Minute, Grace: 5 * time.Second})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	<-started
	cancel()
	// Waiting: the lease renewal, and the grace period (one worker, so
	// no idle poll).
	if at := w.clock.BlockUntil(2); at.After(t0.Add(20 * time.Second)) {
		t.Fatalf("earliest wait at %v", at)
	}
	w.clock.Advance(5 * time.Second)
	res := <-done
	if res != (app.ServeResult{Ran: 1, Released: 1}) {
		t.Fatalf("serve %+v", res)
	}
	c := w.command(app.CreateVMKey(r.ID, 1))
	if c.ClaimedBy != "" || !c.LeaseUntil.IsZero() || c.Attempts != 0 {
		t.Fatalf("not released: %+v", c)
	}
}

func TestRunCommandBadInput(t *testing.T) {
	w := newWorld(t)
	for _, c := range []app.Command{
		{Key: "k1", Type: "Frobnicate", Tenant: "acme", NextRunAt: t0, CreatedAt: t0},
		{Key: "k2", Type: app.CmdProvisionVM, Tenant: "acme", Payload: []byte(`{"attempt":"one"}`), NextRunAt: t0, CreatedAt: t0},
		{Key: "k3", Type: app.CmdCreateVM, Tenant: "acme", Payload: []byte(`[`), NextRunAt: t0, CreatedAt: t0},
	} {
		_, err := w.store.Enqueue(w.ctx, c)
		w.must(err)
	}
	if res := w.drain(); res != (app.ServeResult{Ran: 3}) {
		t.Fatalf("drain %+v", res)
	}
	for key, want := range map[string]string{"k1": "unknown command type Frobnicate", "k2": "bad payload: ", "k3": "bad payload: "} {
		c := w.command(key)
		if c.Status != app.CommandFailed || !strings.HasPrefix(c.LastError, want) {
			t.Errorf("%s: %+v, want failed with %q", key, c, want)
		}
	}
}

func TestProvisionVMTwiceChangesNothing(t *testing.T) {
	w := newWorld(t)
	w.vmware()
	r := w.create(w.bob, "web-01")
	_, err := w.app.Approve(w.ctx, w.alice, r.ID, 0)
	w.must(err)
	before := w.events()
	c := w.command("ProvisionVm:" + r.ID + ":1")
	w.must(w.app.RunCommand(w.ctx, c, "again"))
	if w.events() != before {
		t.Fatal("a second ProvisionVm appended events")
	}
	cmds, _ := w.store.ListCommands(w.ctx, "")
	if len(cmds) != 2 {
		t.Fatalf("a second ProvisionVm queued more work: %+v", cmds)
	}
}

func TestShowAndListUseCases(t *testing.T) {
	w := newWorld(t)
	next := []string{"aaaabbbbccccdddd", "aaaaeeeeffffgggg"}
	w.app.NewID = func() string { id := next[0]; next = next[1:]; return id }
	r1 := w.create(w.bob, "web-01")
	w.clock.Advance(time.Second)
	w.create(w.carol, "web-02")
	v, tl, err := w.app.ShowRequest(w.ctx, w.bob, r1.ID)
	w.must(err)
	if v.ID != r1.ID || len(tl) != 1 || tl[0].Actor != "bob" || contract.TimelineText(tl[0]) != "Request created" {
		t.Fatalf("show %+v %+v", v, tl)
	}
	tl, err = w.app.RequestTimeline(w.ctx, w.carol, r1.ID[:6])
	w.must(err)
	if len(tl) != 1 || contract.TimelineText(tl[0]) != "Request created" {
		t.Fatalf("timeline %+v", tl)
	}
	_, err = w.app.RequestTimeline(w.ctx, w.zed, r1.ID)
	w.wantKind(err, app.KindNotFound)
	_, _, err = w.app.ShowRequest(w.ctx, w.bob, "aaaa")
	w.wantKind(err, app.KindInvalid)
	_, _, err = w.app.ShowRequest(w.ctx, w.zed, r1.ID)
	w.wantKind(err, app.KindNotFound)
	_, _, err = w.app.ShowRequest(w.ctx, app.Actor{User: "zed", Tenant: "acme"}, r1.ID)
	w.wantKind(err, app.KindForbidden)

	list, err := w.app.ListRequests(w.ctx, w.bob, app.RequestFilter{Tenant: "globex"})
	w.must(err)
	if len(list) != 2 || list[0].Name != "web-02" {
		t.Fatalf("list %+v: want acme's two, newest first, whatever tenant the filter names", list)
	}
	mine, err := w.app.ListRequests(w.ctx, w.bob, app.RequestFilter{Requester: "bob"})
	w.must(err)
	if len(mine) != 1 {
		t.Fatalf("mine %+v", mine)
	}
	_, err = w.app.ListRequests(w.ctx, w.bob, app.RequestFilter{Limit: -1})
	w.wantKind(err, app.KindInvalid)
	_, err = w.app.ListRequests(w.ctx, w.bob, app.RequestFilter{Project: "Bad Project"})
	w.wantKind(err, app.KindInvalid)
	tenants, err := w.app.Tenants(w.ctx)
	w.must(err)
	if len(tenants) != 2 || tenants[0].Name != "acme" || len(tenants[0].Members) != 3 {
		t.Fatalf("tenants %+v", tenants)
	}
}

func TestVMwareUseCases(t *testing.T) {
	w := newWorld(t)
	_, err := w.app.ShowVMware(w.ctx, w.bob)
	w.wantKind(err, app.KindNotFound)
	_, err = w.app.SetVMware(w.ctx, w.bob, storetest.VMwareSettings(), "pw")
	w.wantKind(err, app.KindForbidden)
	w.vmware()
	s, err := w.app.ShowVMware(w.ctx, w.bob)
	w.must(err)
	if !s.HasPassword || s.Template != "ubuntu-22.04-template" {
		t.Fatalf("settings %+v", s)
	}
	sealed, err := w.store.Secret(w.ctx, "acme", app.SecretPassword)
	w.must(err)
	if string(sealed) != "sealed:s3cret" {
		t.Fatalf("stored %q, want the sealed password", sealed)
	}
	checks, err := w.app.TestVMware(w.ctx, w.bob)
	w.must(err)
	if len(checks) != 1 || !checks[0].OK || w.hv.Password != "s3cret" {
		t.Fatalf("checks %+v with password %q", checks, w.hv.Password)
	}

	r := w.create(w.bob, "web-01")
	_, err = w.app.Approve(w.ctx, w.alice, r.ID, 0)
	w.must(err)
	w.drain()
	for _, ref := range []string{r.ID, r.ID[:5], app.VMID(r.ID), "web-01"} {
		v, live, err := w.app.VMStatus(w.ctx, w.bob, ref, time.Second)
		w.must(err)
		if v.ID != r.ID || live.Machine == nil || live.Machine.MoRef != "vm-web-01" || live.Missing || live.Error != "" {
			t.Fatalf("vm status %s: %+v %+v", ref, v, live)
		}
	}
	_, _, err = w.app.VMStatus(w.ctx, w.bob, "web-99", time.Second)
	w.wantKind(err, app.KindNotFound)
	_, _, err = w.app.VMStatus(w.ctx, w.zed, r.ID, time.Second)
	w.wantKind(err, app.KindNotFound)
	vms, err := w.app.ListVMs(w.ctx, w.bob)
	w.must(err)
	if len(vms) != 1 || vms[0].ID != r.ID {
		t.Fatalf("vms %+v", vms)
	}
}

func TestQueueUseCases(t *testing.T) {
	w := newWorld(t)
	w.vmware()
	busy := w.create(w.bob, "web-01")
	failed := w.create(w.bob, "web-02")
	w.hv.ProvisionFn = func(ctx context.Context, tg app.Target, spec app.MachineSpec, progress func(app.Stage) error) (app.Machine, error) {
		if spec.Name == "web-01" {
			return app.Machine{}, &app.Fault{Code: app.FaultBusy, Message: "busy", Transient: true}
		}
		return app.Machine{}, &app.Fault{Code: app.FaultTemplateNotFound, Message: "no template"}
	}
	for _, r := range []app.RequestView{busy, failed} {
		_, err := w.app.Approve(w.ctx, w.alice, r.ID, 0)
		w.must(err)
	}
	w.drain()
	items, err := w.app.ListQueue(w.ctx, w.bob)
	w.must(err)
	states := map[string]string{}
	ids := map[string]string{}
	for _, it := range items {
		states[it.Key] = it.State
		ids[it.Key] = itoa(it.ID)
	}
	wantStates := map[string]string{"ProvisionVm:" + busy.ID + ":1": "done", "ProvisionVm:" + failed.ID + ":1": "done",
		app.CreateVMKey(busy.ID, 1): "waiting", app.CreateVMKey(failed.ID, 1): "failed"}
	if !reflect.DeepEqual(states, wantStates) {
		t.Fatalf("states %v, want %v", states, wantStates)
	}
	_, err = w.app.RetryCommand(w.ctx, w.bob, ids[app.CreateVMKey(busy.ID, 1)])
	w.wantKind(err, app.KindForbidden)
	for _, bad := range []string{"x", "0", "-3"} {
		_, err = w.app.RetryCommand(w.ctx, w.alice, bad)
		w.wantKind(err, app.KindInvalid)
	}
	_, err = w.app.RetryCommand(w.ctx, w.alice, "999")
	w.wantKind(err, app.KindNotFound)
	_, err = w.app.RetryCommand(w.ctx, w.alice, ids["ProvisionVm:"+busy.ID+":1"])
	w.wantKind(err, app.KindConflict)

	it, err := w.app.RetryCommand(w.ctx, w.alice, ids[app.CreateVMKey(busy.ID, 1)])
	w.must(err)
	if it.State != "pending" || !it.NextRunAt.Equal(t0) || it.Attempts != 1 {
		t.Fatalf("a waiting command made due: %+v", it)
	}
	w.hv.ProvisionFn = nil
	it, err = w.app.RetryCommand(w.ctx, w.alice, ids[app.CreateVMKey(failed.ID, 1)])
	w.must(err)
	if it.State != "failed" {
		t.Fatalf("retrying a failed command changed it: %+v", it)
	}
	if v := w.request(failed.ID); v.Status != app.StatusProvisioning || v.VM.Attempt != 2 {
		t.Fatalf("retry of the failed command's request: %+v", v)
	}
	w.drain()
	if v := w.request(failed.ID); v.Status != app.StatusReady {
		t.Fatalf("the retried request after serve: %+v", v)
	}
	// A command running under a live lease cannot be retried.
	_, err = w.store.Enqueue(w.ctx, app.Command{Key: "running", Type: app.CmdCreateVM, Tenant: "acme", NextRunAt: t0, CreatedAt: t0})
	w.must(err)
	c, ok, err := w.store.Claim(w.ctx, app.Claim{Worker: "w9", Now: t0, Lease: time.Hour})
	if err != nil || !ok {
		t.Fatalf("claim %v %v", ok, err)
	}
	_, err = w.app.RetryCommand(w.ctx, w.alice, itoa(c.ID))
	w.wantKind(err, app.KindConflict)
	b, err := w.app.QueueBacklog(w.ctx, "acme")
	w.must(err)
	if b.Running != 1 || b.Failed != 1 {
		t.Fatalf("backlog %+v", b)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestStoreHealth(t *testing.T) {
	w := newWorld(t)
	checks := w.app.StoreHealth(w.ctx)
	if len(checks) != 1 || !checks[0].OK {
		t.Fatalf("checks %+v", checks)
	}
	if got := app.New(nil, nil, nil).StoreHealth(w.ctx); got != nil {
		t.Fatalf("a store without checks reported %+v", got)
	}
}

// failingQueue is a queue whose claims fail, as when the store is gone.
type failingQueue struct {
	app.CommandQueue
	err error
}

func (q failingQueue) Claim(context.Context, app.Claim) (app.Command, bool, error) {
	return app.Command{}, false, q.err
}

// serve --once gives up on a store that fails its claims: the work stays
// queued for the next run.
func TestServeOnceStopsOnStoreFailure(t *testing.T) {
	w := newWorld(t)
	boom := errors.New("store gone")
	w.app.Queue = failingQueue{CommandQueue: w.store, err: boom}
	res, err := w.app.Serve(w.ctx, app.ServeOptions{Worker: "w1", Workers: 3, Lease: time.Minute, Once: true})
	if !errors.Is(err, boom) || res != (app.ServeResult{}) {
		t.Fatalf("serve %+v %v, want the store's error", res, err)
	}
}

// flakyQueue fails its first claims, as a database busy for a while.
type flakyQueue struct {
	app.CommandQueue
	fails atomic.Int32
}

func (q *flakyQueue) Claim(ctx context.Context, c app.Claim) (app.Command, bool, error) {
	if q.fails.Add(-1) >= 0 {
		return app.Command{}, false, errors.New("database is locked")
	}
	return q.CommandQueue.Claim(ctx, c)
}

// A long-running serve keeps its workers through claims that fail: each
// worker waits a poll and claims again, and the work runs once the store
// answers.
func TestServeSurvivesFailingClaims(t *testing.T) {
	w := newWorld(t)
	w.vmware()
	r := w.create(w.bob, "web-01")
	_, err := w.app.Approve(w.ctx, w.alice, r.ID, 0)
	w.must(err)
	q := &flakyQueue{CommandQueue: w.store}
	q.fails.Store(1 << 20)
	w.app.Queue = q
	ctx, cancel := context.WithCancel(w.ctx)
	done := make(chan error)
	go func() {
		_, err := w.app.Serve(ctx, app.ServeOptions{Worker: "w1", Workers: 3, Lease: time.Minute, Poll: time.Second, Grace: time.Second})
		done <- err
	}()
	// Every worker fails and waits a poll, many times over: none stops.
	for range 20 {
		w.clock.BlockUntil(3)
		w.clock.Advance(time.Second)
	}
	q.fails.Store(0) // the store answers again
	for w.request(r.ID).Status != app.StatusReady {
		w.clock.BlockUntil(3)
		w.clock.Advance(time.Second)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}

// settingsGone is a store that no longer has the tenant's VMware settings.
type settingsGone struct{ app.Queries }

func (settingsGone) VMwareSettings(context.Context, string) (app.VMwareSettings, error) {
	return app.VMwareSettings{}, app.Errorf(app.KindNotFound, "no settings")
}

// TestSettingsGoneBeforeTheWork: work queued while VMware was set, run
// after its settings went, fails the request as not configured.
func TestSettingsGoneBeforeTheWork(t *testing.T) {
	w := newWorld(t)
	w.vmware()
	r := w.create(w.bob, "web-01")
	_, err := w.app.Approve(w.ctx, w.alice, r.ID, 0)
	w.must(err)
	w.app.Views = settingsGone{w.store}
	w.drain()
	v := w.request(r.ID)
	if v.Status != app.StatusFailed || v.VM.ErrorCode != app.FaultVMwareNotConfigured || v.VM.Error != "VMware is not configured for tenant acme" {
		t.Fatalf("%+v", v.VM)
	}
	if len(w.hv.Calls) != 0 {
		t.Fatalf("vCenter called without settings: %v", w.hv.Calls)
	}
}

package app_test

import (
	"context"
	"testing"

	"github.com/dvmm/dvmm/internal/app"
)

// ready makes a READY request of bob's.
func (w *world) ready(name string) app.RequestView {
	w.t.Helper()
	v := w.create(w.bob, name)
	_, err := w.app.Approve(w.ctx, w.alice, v.ID, 1)
	w.must(err)
	w.drain()
	if got := w.request(v.ID); got.Status != app.StatusReady {
		w.t.Fatalf("%s is %s, want ready", name, got.Status)
	}
	return w.request(v.ID)
}

// TestDecommissionRefuses: who may ask and approve, and when.
func TestDecommissionRefuses(t *testing.T) {
	w := newWorld(t)
	w.vmware()
	_, err := w.app.AddMember(w.ctx, w.alice, "acme", "dora", app.RoleAdmin)
	w.must(err)
	dora := app.Actor{User: "dora", Tenant: "acme"}
	r := w.ready("web-01")
	pending := w.create(w.bob, "web-02")
	before := w.events()
	for _, tc := range []struct {
		name string
		do   func() error
		kind app.Kind
	}{
		{"another user asks", func() error { _, err := w.app.RequestDecommission(w.ctx, w.carol, r.ID, "not mine to ask"); return err }, app.KindForbidden},
		{"a reason too short", func() error { _, err := w.app.RequestDecommission(w.ctx, w.bob, r.ID, "done"); return err }, app.KindInvalid},
		{"a VM not made yet", func() error {
			_, err := w.app.RequestDecommission(w.ctx, w.bob, pending.ID, "the load tests are over")
			return err
		}, app.KindConflict},
		{"approved before anyone asked", func() error { _, err := w.app.ApproveDecommission(w.ctx, w.alice, r.ID); return err }, app.KindConflict},
		{"a VM of another tenant", func() error { _, err := w.app.RequestDecommission(w.ctx, w.zed, r.ID, "not mine to ask"); return err }, app.KindNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) { w.wantKind(tc.do(), tc.kind) })
	}
	if w.events() != before {
		t.Fatal("a refused decommission changed the log")
	}
	_, err = w.app.RequestDecommission(w.ctx, w.alice, r.ID, "the load tests are over")
	w.must(err)
	_, err = w.app.RequestDecommission(w.ctx, w.bob, r.ID, "the load tests are over")
	w.wantKind(err, app.KindConflict) // asked once
	_, err = w.app.ApproveDecommission(w.ctx, w.alice, r.ID)
	w.wantKind(err, app.KindForbidden) // no one approves their own ask
	_, err = w.app.ApproveDecommission(w.ctx, w.bob, r.ID)
	w.wantKind(err, app.KindForbidden) // a user approves nothing
	_, err = w.app.ApproveDecommission(w.ctx, dora, r.ID)
	w.must(err)
	_, err = w.app.ApproveDecommission(w.ctx, dora, r.ID)
	w.wantKind(err, app.KindConflict)
}

// TestDecommission: asked, approved, removed; the request ends
// DECOMMISSIONED with a timeline that says who asked, who approved and
// when the VM went; its quota share and name are free; a run that finds
// the VM gone already records the end all the same.
func TestDecommission(t *testing.T) {
	w := newWorld(t)
	w.vmware()
	_, err := w.app.SetQuota(w.ctx, w.alice, "", app.Amount{VMs: 2})
	w.must(err)
	a, b := w.ready("web-01"), w.ready("web-02")
	_, err = w.app.RequestDecommission(w.ctx, w.bob, "web-01", "the load tests are over")
	w.must(err)
	v, err := w.app.ApproveDecommission(w.ctx, w.alice, a.ID)
	w.must(err)
	if v.Status != app.StatusDecommissioning || v.Decommission == nil || v.Decommission.RequestedBy != "bob" || v.Decommission.ApprovedBy != "alice" {
		t.Fatalf("after approval: %+v", v)
	}
	w.drain()
	if _, ok := w.hv.Made(a.ID); ok {
		t.Fatal("the VM is still in vCenter")
	}
	got := w.request(a.ID)
	if got.Status != app.StatusDecommissioned || got.VM.MoRef != "" {
		t.Fatalf("after the work: %+v", got)
	}
	tl := w.timeline(a.ID)
	want := []string{"Decommission asked for by bob: the load tests are over", "Decommission approved by alice", "VM decommissioned: powered off and removed from vCenter"}
	if len(tl) < 3 || tl[len(tl)-3] != want[0] || tl[len(tl)-2] != want[1] || tl[len(tl)-1] != want[2] {
		t.Fatalf("timeline ends %q, want %q", tl, want)
	}
	q, err := w.app.ShowQuota(w.ctx, w.bob, "")
	w.must(err)
	if q.Used.VMs != 1 {
		t.Fatalf("after the decommission the tenant holds %d VMs, want 1", q.Used.VMs)
	}
	w.create(w.bob, "web-01") // the name is free again

	// A VM gone from vCenter already: decommissioned without error.
	w.hv.RemoveFn = nil
	_, err = w.app.RequestDecommission(w.ctx, w.bob, b.ID, "the load tests are over")
	w.must(err)
	_, err = w.app.ApproveDecommission(w.ctx, w.alice, b.ID)
	w.must(err)
	w.hv.FindFn = func(context.Context, app.Target, string) (app.Machine, bool, error) { return app.Machine{}, false, nil }
	w.drain()
	if got := w.request(b.ID); got.Status != app.StatusDecommissioned {
		t.Fatalf("a VM already gone: %s", got.Status)
	}
	if tl := w.timeline(b.ID); tl[len(tl)-1] != "VM decommissioned (it was already gone from vCenter)" {
		t.Fatalf("timeline ends %q", tl[len(tl)-1])
	}
	if c := w.command(app.DecommissionKey(b.ID)); c.Status != app.CommandDone || c.Attempts != 1 {
		t.Fatalf("the decommission command: %+v", c)
	}
}

// TestDecommissionWaitsForVCenter: while vCenter does not answer, the
// work waits without failing the decommission; it ends once vCenter
// answers.
func TestDecommissionWaitsForVCenter(t *testing.T) {
	w := newWorld(t)
	w.vmware()
	r := w.ready("web-01")
	_, err := w.app.RequestDecommission(w.ctx, w.bob, r.ID, "the load tests are over")
	w.must(err)
	_, err = w.app.ApproveDecommission(w.ctx, w.alice, r.ID)
	w.must(err)
	w.hv.FindFn = func(context.Context, app.Target, string) (app.Machine, bool, error) {
		return app.Machine{}, false, &app.Fault{Code: app.FaultUnreachable, Message: "vCenter unreachable", Transient: true}
	}
	w.drain()
	if got := w.request(r.ID); got.Status != app.StatusDecommissioning {
		t.Fatalf("with vCenter down: %s, want decommissioning", got.Status)
	}
	w.hv.FindFn = nil
	w.clock.Advance(w.app.Retries.Wait)
	w.drain()
	if got := w.request(r.ID); got.Status != app.StatusDecommissioned {
		t.Fatalf("once vCenter answers: %s, want decommissioned", got.Status)
	}
}

package app_test

import (
	"context"
	"testing"

	"github.com/dvmm/dvmm/internal/app"
)

// TestPowerRetriesThenFails: a transient fault is retried with the
// provisioning's backoff, spending attempts; after the last the action is
// recorded as failed. A permanent fault fails at once.
func TestPowerRetriesThenFails(t *testing.T) {
	w := newWorld(t)
	w.vmware()
	r := w.ready("web-01")
	calls := 0
	w.hv.PowerFn = func(context.Context, app.Target, string, string, app.PowerAction) (string, error) {
		calls++
		return "", &app.Fault{Code: app.FaultBusy, Message: "vCenter busy", Transient: true}
	}
	_, key, err := w.app.PowerVM(w.ctx, w.bob, r.ID, app.PowerOff)
	w.must(err)
	for i := 0; i < w.app.Retries.MaxAttempts; i++ {
		w.drain()
		w.clock.Advance(w.app.Retries.Max)
	}
	c := w.command(key)
	if c.Status != app.CommandFailed || c.Attempts != w.app.Retries.MaxAttempts || calls != w.app.Retries.MaxAttempts {
		t.Fatalf("after %d busy answers: %+v", calls, c)
	}
	tl := w.timeline(r.ID)
	if got := tl[len(tl)-1]; got != "Power off failed: vCenter busy" {
		t.Fatalf("timeline ends %q", got)
	}
	w.hv.PowerFn = func(context.Context, app.Target, string, string, app.PowerAction) (string, error) {
		return "", &app.Fault{Code: app.FaultBadCredentials, Message: "permission denied"}
	}
	_, key, err = w.app.PowerVM(w.ctx, w.alice, r.ID, app.PowerOn)
	w.must(err)
	w.drain()
	if c := w.command(key); c.Status != app.CommandFailed || c.Attempts != 1 {
		t.Fatalf("a permanent fault: %+v", c)
	}
	// Once decommissioning, a VM is not switched.
	w.hv.PowerFn = nil
	_, err = w.app.RequestDecommission(w.ctx, w.bob, r.ID, "the load tests are over")
	w.must(err)
	_, err = w.app.ApproveDecommission(w.ctx, w.alice, r.ID)
	w.must(err)
	_, _, err = w.app.PowerVM(w.ctx, w.bob, r.ID, app.PowerOn)
	w.wantKind(err, app.KindConflict)
}

package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
)

// TestLeaseDue: the step due at a time, from the lease alone: only the
// latest warning still due, never a warning after the end, the
// decommission once the grace period has passed since the power-off.
func TestLeaseDue(t *testing.T) {
	end := time.Date(2031, 3, 31, 9, 0, 0, 0, time.UTC)
	off := end.Add(time.Hour)
	for _, tc := range []struct {
		name   string
		lease  app.LeaseView
		live   bool
		at     time.Time
		step   app.LeaseStep
		warned int
	}{
		{"long before the end", app.LeaseView{ExpiresAt: end}, true, end.Add(-8 * app.Day), app.LeaseNothing, 0},
		{"7 days before", app.LeaseView{ExpiresAt: end}, true, end.Add(-7 * app.Day), app.LeaseWarn, 7},
		{"7-day warning given", app.LeaseView{ExpiresAt: end, WarnedDays: 7}, true, end.Add(-3 * app.Day), app.LeaseNothing, 0},
		{"1 day before", app.LeaseView{ExpiresAt: end, WarnedDays: 7}, true, end.Add(-app.Day), app.LeaseWarn, 1},
		{"down past the 7-day one: only the 1-day one", app.LeaseView{ExpiresAt: end}, true, end.Add(-time.Hour), app.LeaseWarn, 1},
		{"1-day warning given", app.LeaseView{ExpiresAt: end, WarnedDays: 1}, true, end.Add(-time.Minute), app.LeaseNothing, 0},
		{"the end", app.LeaseView{ExpiresAt: end, WarnedDays: 1}, true, end, app.LeaseExpire, 0},
		{"down past the end: no warning, the end", app.LeaseView{ExpiresAt: end}, true, end.Add(20 * app.Day), app.LeaseExpire, 0},
		{"ended, not yet off", app.LeaseView{ExpiresAt: end, GraceDays: 7, ExpiredAt: end}, true, end.Add(30 * app.Day), app.LeaseNothing, 0},
		{"off, in grace", app.LeaseView{ExpiresAt: end, GraceDays: 7, ExpiredAt: end, GraceFrom: off}, true, off.Add(7*app.Day - time.Second), app.LeaseNothing, 0},
		{"grace over since the power-off", app.LeaseView{ExpiresAt: end, GraceDays: 7, ExpiredAt: end, GraceFrom: off}, true, off.Add(7 * app.Day), app.LeaseDecommission, 0},
		{"no grace", app.LeaseView{ExpiresAt: end, ExpiredAt: end, GraceFrom: off}, true, off, app.LeaseDecommission, 0},
		{"VM not live", app.LeaseView{ExpiresAt: end}, false, end.Add(time.Hour), app.LeaseNothing, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			step, days := tc.lease.Due(tc.live, tc.at)
			if step != tc.step || days != tc.warned {
				t.Fatalf("Due = %v, %d; want %v, %d", step, days, tc.step, tc.warned)
			}
		})
	}
}

// TestLeasePolicyRefuses: who sets a policy and what it may say; a
// refusal changes nothing.
func TestLeasePolicyRefuses(t *testing.T) {
	w := newWorld(t)
	before := w.events()
	for _, tc := range []struct {
		name  string
		actor app.Actor
		p     app.LeasePolicy
		kind  app.Kind
	}{
		{"a user", w.bob, app.LeasePolicy{DefaultDays: 30, MaxDays: 90, GraceDays: 7}, app.KindForbidden},
		{"default past the most", w.alice, app.LeasePolicy{DefaultDays: 91, MaxDays: 90, GraceDays: 7}, app.KindInvalid},
		{"no most", w.alice, app.LeasePolicy{DefaultDays: 30, GraceDays: 7}, app.KindInvalid},
		{"grace too long", w.alice, app.LeasePolicy{DefaultDays: 30, MaxDays: 90, GraceDays: 400}, app.KindInvalid},
		{"negative grace", w.alice, app.LeasePolicy{DefaultDays: 30, MaxDays: 90, GraceDays: -1}, app.KindInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.app.SetLeasePolicy(w.ctx, tc.actor, tc.p)
			w.wantKind(err, tc.kind)
		})
	}
	if w.events() != before {
		t.Fatal("a refused policy changed the log")
	}
}

// TestParseLeaseDays: whole days only, within bounds.
func TestParseLeaseDays(t *testing.T) {
	for _, tc := range []struct {
		in     string
		zeroOK bool
		want   int
		ok     bool
	}{
		{"30d", false, 30, true}, {"0d", true, 0, true}, {"0d", false, 0, false}, {"30", false, 0, false},
		{"2w", false, 0, false}, {"-1d", true, 0, false}, {"3650d", false, 3650, true}, {"3651d", false, 0, false}, {"", false, 0, false},
	} {
		got, err := app.ParseLeaseDays("--lease", tc.in, tc.zeroOK)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseLeaseDays(%q, %v) = %d, %v", tc.in, tc.zeroOK, got, err)
		}
	}
}

// TestLeaseLifecycle: a lease set at READY; extensions within the most
// and past it; warnings, the end and the decommission each taken once
// however many ticks run.
func TestLeaseLifecycle(t *testing.T) {
	w := newWorld(t)
	w.vmware()
	_, err := w.app.AddMember(w.ctx, w.alice, "acme", "dora", app.RoleAdmin)
	w.must(err)
	dora := app.Actor{User: "dora", Tenant: "acme"}
	_, err = w.app.SetLeasePolicy(w.ctx, w.alice, app.LeasePolicy{DefaultDays: 10, MaxDays: 20, GraceDays: 2})
	w.must(err)
	_, err = w.app.CreateRequest(w.ctx, w.bob, app.NewRequestInput{Name: "web-09", Project: "shop", Justification: "load tests for the shop", LeaseDays: 21})
	w.wantKind(err, app.KindInvalid)
	r := w.ready("web-01")
	ready := w.clock.Now()
	l := w.request(r.ID).Lease
	if l == nil || !l.ExpiresAt.Equal(ready.Add(10*app.Day)) || !l.MaxUntil.Equal(ready.Add(20*app.Day)) {
		t.Fatalf("lease at READY: %+v", l)
	}

	// Extensions: within the most at once; past it asked, and decided by
	// an admin who neither owns the VM nor asked.
	_, err = w.app.ExtendLease(w.ctx, w.carol, r.ID, 1)
	w.wantKind(err, app.KindForbidden)
	v, err := w.app.ExtendLease(w.ctx, w.bob, r.ID, 5)
	w.must(err)
	if !v.Lease.ExpiresAt.Equal(ready.Add(15 * app.Day)) {
		t.Fatalf("extended to %v", v.Lease.ExpiresAt)
	}
	v, err = w.app.ExtendLease(w.ctx, w.alice, r.ID, 6)
	w.must(err)
	if v.Lease.Extension == nil || !v.Lease.ExpiresAt.Equal(ready.Add(15*app.Day)) {
		t.Fatalf("past the most: %+v", v.Lease)
	}
	_, err = w.app.ApproveLeaseExtension(w.ctx, w.alice, r.ID)
	w.wantKind(err, app.KindForbidden)
	_, err = w.app.ApproveLeaseExtension(w.ctx, w.bob, r.ID)
	w.wantKind(err, app.KindForbidden)
	_, err = w.app.RejectLeaseExtension(w.ctx, dora, r.ID, "no")
	w.wantKind(err, app.KindInvalid)
	v, err = w.app.ApproveLeaseExtension(w.ctx, dora, r.ID)
	w.must(err)
	end := ready.Add(21 * app.Day)
	if v.Lease.Extension != nil || !v.Lease.ExpiresAt.Equal(end) {
		t.Fatalf("approved: %+v", v.Lease)
	}

	tick := func(times int) {
		t.Helper()
		for range times {
			_, err := w.app.LeaseTick(w.ctx)
			w.must(err)
			w.drain()
		}
	}
	w.clock.Set(end.Add(-7 * app.Day))
	tick(2)
	w.clock.Set(end.Add(-app.Day))
	tick(2)
	w.clock.Set(end)
	tick(2)
	if got := w.request(r.ID); got.VM.PowerState != "poweredOff" || !got.Lease.GraceFrom.Equal(end) {
		t.Fatalf("after the end: power %s, lease %+v", got.VM.PowerState, got.Lease)
	}
	w.clock.Set(end.Add(2*app.Day - time.Second))
	tick(1)
	if got := w.request(r.ID); got.Status != app.StatusReady {
		t.Fatalf("in the grace period: %s", got.Status)
	}
	w.clock.Set(end.Add(2 * app.Day))
	tick(2)
	if got := w.request(r.ID); got.Status != app.StatusDecommissioned || got.Lease.NextActionAt != (time.Time{}) {
		t.Fatalf("after the grace period: %s, %+v", got.Status, got.Lease)
	}
	tl := strings.Join(w.timeline(r.ID), "\n")
	for _, line := range []string{"Lease warning: expires within 7 days", "Lease warning: expires within 1 day,", "Lease expired on", "Lease grace period over"} {
		if n := strings.Count(tl, line); n != 1 {
			t.Errorf("%q %d times in\n%s", line, n, tl)
		}
	}
	// Decommissioned by the lease: the name is free again.
	w.create(w.bob, "web-01")
}

// TestLeaseWithoutPolicy: no policy, no lease.
func TestLeaseWithoutPolicy(t *testing.T) {
	w := newWorld(t)
	w.vmware()
	r := w.ready("web-01")
	if r.Lease != nil {
		t.Fatalf("lease without a policy: %+v", r.Lease)
	}
	_, err := w.app.ExtendLease(w.ctx, w.bob, r.ID, 5)
	w.wantKind(err, app.KindConflict)
}

package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/app/apptest"
)

// testLeases: the due-lease query finds exactly the VMs whose next lease
// step is due, earliest first, up to its limit; and lease ticks run at
// once by several workers take each step once.
func testLeases(t *testing.T, open Open) {
	ctx := context.Background()
	t0 := T0.UTC()
	setup := func(t *testing.T, n int) (app.Store, *app.App, *apptest.Clock, []string) {
		s := open(t)
		clock := apptest.NewClock(t0)
		a := app.New(s, &apptest.Hypervisor{}, apptest.Sealer{})
		a.Clock = clock
		alice := app.Actor{User: "alice", Tenant: "acme"}
		bob := app.Actor{User: "bob", Tenant: "acme"}
		_, err := a.CreateTenant(ctx, alice, "acme", "alice")
		must(t, err)
		_, err = a.AddMember(ctx, alice, "acme", "bob", app.RoleUser)
		must(t, err)
		_, err = a.SetVMware(ctx, alice, VMwareSettings(), "s3cret")
		must(t, err)
		_, err = a.SetLeasePolicy(ctx, alice, app.LeasePolicy{DefaultDays: 10, MaxDays: 30, GraceDays: 1})
		must(t, err)
		_, err = a.CreateProject(ctx, alice, "shop")
		must(t, err)
		var ids []string
		for i := range n {
			v, err := a.CreateRequest(ctx, bob, app.NewRequestInput{Name: fmt.Sprintf("web-%02d", i), Project: "shop",
				Justification: "load tests for the shop", LeaseDays: 10 + i})
			must(t, err)
			_, err = a.Approve(ctx, alice, v.ID, 0)
			must(t, err)
			_, err = a.Drive(ctx, alice, v.ID, time.Minute, nil)
			must(t, err)
			ids = append(ids, v.ID)
		}
		return s, a, clock, ids
	}

	t.Run("OKDueLeases", func(t *testing.T) {
		s, _, _, ids := setup(t, 3)
		due := func(at time.Time, limit int) []string {
			t.Helper()
			ds, err := s.DueLeases(ctx, at, limit)
			must(t, err)
			var out []string
			for _, d := range ds {
				if d.Tenant != "acme" {
					t.Fatalf("due lease of tenant %q", d.Tenant)
				}
				out = append(out, d.RequestID)
			}
			return out
		}
		// VM i's first step (its 7-day warning) falls due 3+i days in.
		for _, tc := range []struct {
			at    time.Time
			limit int
			want  []string
		}{
			{t0.Add(3*app.Day - time.Hour), 10, nil},
			{t0.Add(3*app.Day + time.Hour), 10, ids[:1]},
			{t0.Add(5*app.Day + time.Hour), 10, ids},
			{t0.Add(5*app.Day + time.Hour), 2, ids[:2]},
		} {
			if got := due(tc.at, tc.limit); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("due at %s (limit %d) = %v, want %v", tc.at, tc.limit, got, tc.want)
			}
		}
	})

	t.Run("OKOnceWithManyWorkers", func(t *testing.T) {
		s, a, clock, ids := setup(t, 2)
		count := func(typ string) int {
			t.Helper()
			all, err := s.ReadLog(ctx, 0, 1<<20)
			must(t, err)
			n := 0
			for _, e := range all {
				if e.Type == typ {
					n++
				}
			}
			return n
		}
		ticks := func() {
			t.Helper()
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := a.LeaseTick(ctx)
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				must(t, err)
			}
		}
		// Past both warnings of both VMs and the end of the first: one
		// step each, however many tick.
		clock.Set(t0.Add(10*app.Day + time.Hour))
		ticks()
		ticks()
		if w, e := count(app.EvVMLeaseWarning), count(app.EvVMLeaseExpired); w != 1 || e != 1 {
			t.Fatalf("%d warnings and %d ends, want 1 and 1", w, e)
		}
		_, err := a.Drain(ctx, "w1", 1, time.Minute)
		must(t, err)
		clock.Set(t0.Add(12 * app.Day))
		ticks()
		ticks()
		if n := count(app.EvRequestLeaseDecommissionDone); n != 1 {
			t.Fatalf("%d lease decommissions, want 1", n)
		}
		v, err := s.Request(ctx, ids[0])
		must(t, err)
		if v.Status != app.StatusDecommissioning {
			t.Fatalf("%s after the grace period, want decommissioning", v.Status)
		}
	})
}

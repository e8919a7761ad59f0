package apptest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/app/apptest"
)

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))

func fired(ch <-chan time.Time) (time.Time, bool) {
	select {
	case at := <-ch:
		return at, true
	default:
		return time.Time{}, false
	}
}

func TestClock(t *testing.T) {
	c := apptest.NewClock(t0)
	if !c.Now().Equal(t0) || c.Now().Location() != time.UTC {
		t.Fatalf("now %v, want %v in UTC", c.Now(), t0)
	}
	if at, ok := fired(c.After(0)); !ok || !at.Equal(t0) {
		t.Fatalf("After(0) fired %v %v, want at once", at, ok)
	}
	ten := c.After(10 * time.Second)
	twenty := c.After(20 * time.Second)
	if at := c.BlockUntil(2); !at.Equal(t0.Add(10 * time.Second)) {
		t.Fatalf("earliest wait at %v", at)
	}
	c.Advance(9 * time.Second)
	if _, ok := fired(ten); ok {
		t.Fatal("fired before its time")
	}
	c.Advance(time.Second)
	if at, ok := fired(ten); !ok || !at.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("at its time: %v %v", at, ok)
	}
	if _, ok := fired(twenty); ok {
		t.Fatal("the later wait fired early")
	}
	c.Set(t0) // never back
	if !c.Now().Equal(t0.Add(10 * time.Second)) {
		t.Fatalf("moved back to %v", c.Now())
	}
	c.Set(t0.Add(time.Hour))
	if _, ok := fired(twenty); !ok {
		t.Fatal("a wait long due did not fire")
	}
	done := make(chan time.Time)
	go func() { done <- c.BlockUntil(1) }()
	c.After(time.Minute)
	if at := <-done; !at.Equal(t0.Add(time.Hour + time.Minute)) {
		t.Fatalf("BlockUntil woke with %v", at)
	}
}

func TestHypervisor(t *testing.T) {
	ctx := context.Background()
	h := &apptest.Hypervisor{}
	tg := app.Target{Tenant: "acme", Password: "pw"}
	var stages []app.Stage
	m, err := h.Provision(ctx, tg, app.MachineSpec{RequestID: "r1", Name: "web-01", Folder: "f", CPUs: 2, MemoryMB: 4096},
		func(s app.Stage) error { stages = append(stages, s); return nil })
	if err != nil || m.MoRef != "vm-web-01" || m.InstanceUUID != "uuid-r1" || m.CPUs != 2 || m.MemoryMB != 4096 || m.Folder != "f" || len(stages) != 4 {
		t.Fatalf("provision %+v %v after %v", m, err, stages)
	}
	stop := errors.New("stop")
	if _, err := h.Provision(ctx, tg, app.MachineSpec{RequestID: "r2"}, func(app.Stage) error { return stop }); err != stop {
		t.Fatalf("a failing progress gave %v", err)
	}
	if _, ok := h.Made("r2"); ok {
		t.Fatal("a stopped provisioning made a VM")
	}
	if found, ok, err := h.Find(ctx, tg, "r1"); err != nil || !ok || found != m {
		t.Fatalf("find %+v %v %v", found, ok, err)
	}
	if err := h.Remove(ctx, tg, "r1"); err != nil {
		t.Fatal(err)
	}
	if err := h.Remove(ctx, tg, "r1"); err == nil {
		t.Fatal("removed a VM twice")
	}
	h.Plant("r3", app.Machine{MoRef: "vm-x"})
	h.Plant("r4", app.Machine{MoRef: "vm-y"})
	if got, ok := h.Made("r3"); !ok || got.MoRef != "vm-x" {
		t.Fatalf("planted %+v %v", got, ok)
	}
	fresh := &apptest.Hypervisor{}
	fresh.Plant("r1", app.Machine{MoRef: "vm-z"})
	if got, ok := fresh.Made("r1"); !ok || got.MoRef != "vm-z" {
		t.Fatalf("planted on a fresh hypervisor: %+v %v", got, ok)
	}
	if checks := h.Check(ctx, tg); len(checks) != 1 || !checks[0].OK {
		t.Fatalf("checks %+v", checks)
	}
	if got := h.CallsTo("remove"); len(got) != 2 || got[0] != "remove r1" {
		t.Fatalf("remove calls %v", got)
	}
	if len(h.Calls) != 6 || h.Password != "pw" {
		t.Fatalf("calls %v, password %q", h.Calls, h.Password)
	}
	h.CheckFn = func(context.Context, app.Target) []app.Check { return nil }
	h.FindFn = func(context.Context, app.Target, string) (app.Machine, bool, error) {
		return app.Machine{}, false, stop
	}
	h.RemoveFn = func(context.Context, app.Target, string) error { return stop }
	if h.Check(ctx, tg) != nil {
		t.Fatal("CheckFn not used")
	}
	if _, _, err := h.Find(ctx, tg, "r3"); err != stop {
		t.Fatal("FindFn not used")
	}
	if err := h.Remove(ctx, tg, "r3"); err != stop {
		t.Fatal("RemoveFn not used")
	}
}

func TestSealer(t *testing.T) {
	s := apptest.Sealer{}
	sealed, err := s.Seal([]byte("pw"))
	if err != nil || string(sealed) != "sealed:pw" {
		t.Fatalf("%q %v", sealed, err)
	}
	if open, err := s.Open(sealed); err != nil || string(open) != "pw" {
		t.Fatalf("%q %v", open, err)
	}
	if _, err := s.Open([]byte("pw")); err == nil {
		t.Fatal("opened what it did not seal")
	}
}

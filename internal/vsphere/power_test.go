package vsphere_test

import (
	"context"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/vsphere"
)

// TestPower switches a VM of the simulator off, off again (left alone),
// on, and restarts it, each time reading the state vCenter reports; a
// request without a VM is a permanent fault.
func TestPower(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := startSim(t, vsphere.SimOptions{IPDelay: 50 * time.Millisecond})
	c := newClient(t, vsphere.Options{})
	tg := sim.Target("acme", "dvmm")
	m, err := c.Provision(ctx, tg, machineSpec("req-1", "web-01"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		action app.PowerAction
		moref  string
		want   string
	}{
		{app.PowerOff, m.MoRef, "poweredOff"},
		{app.PowerOff, m.MoRef, "poweredOff"},
		{app.PowerOn, "", "poweredOn"}, // found by the request, without a moref
		{app.PowerRestart, m.MoRef, "poweredOn"},
		{app.PowerOff, m.MoRef, "poweredOff"},
		{app.PowerRestart, m.MoRef, "poweredOn"}, // a restart of a VM that is off powers it on
	} {
		state, err := c.Power(ctx, tg, "req-1", tc.moref, tc.action)
		if err != nil || state != tc.want {
			t.Fatalf("power %s: %q, %v; want %s", tc.action, state, err, tc.want)
		}
		found, ok, err := c.Find(ctx, tg, "req-1")
		if err != nil || !ok || found.PowerState != tc.want {
			t.Fatalf("after power %s vCenter says %q (%v, %v)", tc.action, found.PowerState, ok, err)
		}
	}
	_, err = c.Power(ctx, tg, "req-never", "", app.PowerOn)
	if f := asFault(t, err); f.Transient || f.Code != app.FaultInventoryNotFound {
		t.Fatalf("power of a request without a VM: %+v", f)
	}
}

// TestResize: a VM that is on is resized only when a restart is allowed;
// then vCenter reports the new CPU, memory and disk, and the VM is on
// again. Growing the disk alone needs no restart.
func TestResize(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := startSim(t, vsphere.SimOptions{IPDelay: 50 * time.Millisecond})
	c := newClient(t, vsphere.Options{})
	tg := sim.Target("acme", "dvmm")
	m, err := c.Provision(ctx, tg, machineSpec("req-1", "web-01"), nil) // 4 vCPU, 8 GB, 100 GB
	if err != nil {
		t.Fatal(err)
	}
	big := app.ResizeSpec{CPUs: 8, MemoryMB: 16384, DiskGB: 200}
	_, _, err = c.Resize(ctx, tg, "req-1", m.MoRef, big)
	if f := asFault(t, err); f.Transient || f.Code != app.FaultRestartNeeded {
		t.Fatalf("resize of a VM that is on without a restart: %+v", f)
	}
	big.AllowRestart = true
	got, restarted, err := c.Resize(ctx, tg, "req-1", m.MoRef, big)
	if err != nil || !restarted || got.CPUs != 8 || got.MemoryMB != 16384 || got.PowerState != "poweredOn" {
		t.Fatalf("resize with a restart: %+v, restarted %v, %v", got, restarted, err)
	}
	bigger := app.ResizeSpec{CPUs: 8, MemoryMB: 16384, DiskGB: 300}
	if _, restarted, err := c.Resize(ctx, tg, "req-1", m.MoRef, bigger); err != nil || restarted {
		t.Fatalf("growing the disk alone: restarted %v, %v", restarted, err)
	}
}

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

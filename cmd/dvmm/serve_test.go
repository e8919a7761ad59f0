package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
	"github.com/dvmm/dvmm/internal/store"
	"github.com/dvmm/dvmm/internal/vsphere"
	"github.com/dvmm/dvmm/internal/vsphere/simproc"
)

// fastRetries keeps the retry schedule's shape at test speed.
func fastRetries() app.RetryPolicy {
	return app.RetryPolicy{Base: 20 * time.Millisecond, Max: 100 * time.Millisecond, MaxAttempts: 5, Wait: 50 * time.Millisecond}
}

// drainUntil drains until every request is terminal or the deadline passes.
func (f *flow) drainUntil(ids ...string) {
	f.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		f.drain()
		done := true
		for _, id := range ids {
			v, err := f.db.Request(f.ctx, id)
			if err != nil {
				f.t.Fatal(err)
			}
			if !v.Status.Terminal() {
				done = false
			}
		}
		if done {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	f.t.Fatalf("requests %v did not finish in time", ids)
}

func (f *flow) timeline(id string) string {
	f.t.Helper()
	tl, err := f.db.Timeline(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	var lines []string
	for _, e := range tl {
		lines = append(lines, contract.TimelineText(e))
	}
	return strings.Join(lines, "\n")
}

// fault makes the simulator fail calls of a method (see simproc.Sim.Fault).
func (f *flow) fault(method string, count int, fault types.BaseMethodFault) {
	f.t.Helper()
	if err := f.sim.Fault(method, count, fault); err != nil {
		f.t.Fatal(err)
	}
}

func (f *flow) approved(name string) string {
	f.t.Helper()
	r := f.request(name)
	if _, err := f.app.Approve(f.ctx, f.alice, r.ID, 1); err != nil {
		f.t.Fatal(err)
	}
	return r.ID
}

func TestTransientFaultsAreRetried(t *testing.T) {
	f := newFlow(t)
	f.app.Retries = fastRetries()
	f.fault("CloneVM_Task", 2, &types.TaskInProgress{})
	id := f.approved("web-01")
	f.drainUntil(id)
	v, _ := f.db.Request(f.ctx, id)
	if v.Status != app.StatusReady {
		t.Fatalf("status %s, want ready; timeline:\n%s", v.Status, f.timeline(id))
	}
	tl := f.timeline(id)
	for _, want := range []string{"Retry 2/5 in 0s: ", "Retry 3/5 in 0s: ", "VM ready"} {
		if !strings.Contains(tl, want) {
			t.Errorf("timeline lacks %q:\n%s", want, tl)
		}
	}
	if n := f.vmsInVCenter(); n != 1 {
		t.Fatalf("%d VMs, want 1", n)
	}
}

func TestPermanentFaultFailsAtOnceAndCleansUp(t *testing.T) {
	f := newFlow(t)
	f.app.Retries = fastRetries()
	// The clone succeeds, powering on fails for want of resources: the
	// partly made VM must go.
	f.fault("PowerOnVM_Task", 0, &types.InsufficientMemoryResourcesFault{})
	id := f.approved("web-01")
	f.drainUntil(id)
	v, _ := f.db.Request(f.ctx, id)
	if v.Status != app.StatusFailed || v.VM.ErrorCode != app.FaultInsufficientResources {
		t.Fatalf("status %s code %s, want failed INSUFFICIENT_RESOURCES", v.Status, v.VM.ErrorCode)
	}
	tl := f.timeline(id)
	if strings.Contains(tl, "Retry") || !strings.Contains(tl, "Partial VM removed") {
		t.Fatalf("timeline:\n%s", tl)
	}
	if n := f.vmsInVCenter(); n != 0 {
		t.Fatalf("%d VMs left in vCenter, want 0", n)
	}
}

func TestLastAttemptFailsTheRequest(t *testing.T) {
	f := newFlow(t)
	f.app.Retries = fastRetries()
	f.fault("CloneVM_Task", 0, &types.TaskInProgress{})
	id := f.approved("web-01")
	f.drainUntil(id)
	v, _ := f.db.Request(f.ctx, id)
	if v.Status != app.StatusFailed || v.VM.ErrorCode != app.FaultBusy {
		t.Fatalf("status %s code %v", v.Status, v.VM)
	}
	tl := f.timeline(id)
	if !strings.Contains(tl, "Retry 5/5") || strings.Contains(tl, "Retry 6/5") || !strings.Contains(tl, "Provisioning failed: ") {
		t.Fatalf("timeline:\n%s", tl)
	}
}

func TestVCenterDownWaitsWithoutSpendingAttempts(t *testing.T) {
	f := newFlow(t)
	f.app.Retries = fastRetries()
	f.hv = vsphere.New(vsphere.Options{BreakerCooldown: 100 * time.Millisecond})
	t.Cleanup(func() { f.hv.Close() })
	f.app.Hypervisor = f.hv
	// Settings that survive a restart of the simulator (a new certificate).
	s := f.sim.Settings("dvmm")
	s.Thumbprint, s.Insecure = "", true
	u := f.sim.URL()
	f.must(f.app.SetVMware(f.ctx, f.alice, s, f.sim.Password()))
	listen := strings.TrimSuffix(strings.TrimPrefix(u, "https://"), "/sdk")
	password := f.sim.Password()
	f.sim.Close()

	id := f.approved("web-01")
	for i := 0; i < 8; i++ {
		f.drain()
		time.Sleep(60 * time.Millisecond)
	}
	v, _ := f.db.Request(f.ctx, id)
	if v.Status != app.StatusProvisioning {
		t.Fatalf("status %s while vCenter is down, want provisioning", v.Status)
	}
	cmds, _ := f.db.ListCommands(f.ctx, "acme")
	for _, c := range cmds {
		if c.Type == app.CmdCreateVM && c.Attempts != 0 {
			t.Fatalf("%d attempts spent while vCenter was down", c.Attempts)
		}
	}
	if tl := f.timeline(id); strings.Count(tl, "Waiting for vCenter") != 1 {
		t.Fatalf("timeline should say once that it waits:\n%s", tl)
	}

	// vCenter is back.
	sim, err := simproc.Start(f.ctx, vsphere.SimOptions{Listen: listen, Username: s.Username, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	f.sim = sim
	f.drainUntil(id)
	v, _ = f.db.Request(f.ctx, id)
	if v.Status != app.StatusReady {
		t.Fatalf("status %s after vCenter came back:\n%s", v.Status, f.timeline(id))
	}
	if n := f.vmsInVCenter(); n != 1 {
		t.Fatalf("%d VMs, want 1", n)
	}
}

// Two workers with their own database handles and vCenter clients, as two
// serve processes have, drain 20 approvals: every request READY once, 20
// VMs, and no command run twice.
func TestTwoServersShareTheQueue(t *testing.T) {
	f := newFlow(t)
	var ids []string
	for i := 0; i < 20; i++ {
		ids = append(ids, f.approved(fmt.Sprintf("web-%02d", i)))
	}
	ctx, cancel := context.WithTimeout(f.ctx, 90*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for n := 0; n < 2; n++ {
		db, err := store.Open(ctx, filepath.Join(filepath.Dir(f.db.Path()), "dvmm.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		hv := vsphere.New(vsphere.Options{})
		defer hv.Close()
		a := app.New(db, hv, f.app.Secrets)
		wg.Add(1)
		go func(worker string) {
			defer wg.Done()
			if _, err := a.Serve(ctx, app.ServeOptions{Worker: worker, Workers: 4, Lease: 30 * time.Second, Once: true}); err != nil {
				t.Error(err)
			}
		}(fmt.Sprintf("serve-%d", n))
	}
	wg.Wait()
	for _, id := range ids {
		v, err := f.db.Request(ctx, id)
		if err != nil || v.Status != app.StatusReady {
			t.Fatalf("request %s: %s %v", id, v.Status, err)
		}
		for typ, want := range map[string]int{app.EvVMProvisioningStarted: 1, app.EvVMProvisioned: 1, app.EvVMProvisioningProgress: 5} { // 4 stages and the clone task
			if n := f.vmEvents(id, typ); n != want {
				t.Fatalf("request %s has %d %s events, want %d (a command ran twice?)", id, n, typ, want)
			}
		}
	}
	if n := f.vmsInVCenter(); n != 20 {
		t.Fatalf("%d VMs in vCenter, want 20", n)
	}
}

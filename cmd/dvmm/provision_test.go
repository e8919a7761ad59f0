package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
	"github.com/dvmm/dvmm/internal/secret"
	"github.com/dvmm/dvmm/internal/store"
	"github.com/dvmm/dvmm/internal/vsphere"
	"github.com/dvmm/dvmm/internal/vsphere/simproc"
)

// flow wires the application to a real SQLite file and a simulator.
type flow struct {
	t     testing.TB
	ctx   context.Context
	db    *store.DB
	sim   *simproc.Sim
	hv    *vsphere.Client
	app   *app.App
	alice app.Actor
	bob   app.Actor
}

func newFlow(t testing.TB) *flow { return newFlowWith(t, vsphere.SimOptions{}) }

func newFlowWith(t testing.TB, opts vsphere.SimOptions) *flow {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "dvmm.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sim, err := simproc.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	hv := vsphere.New(vsphere.Options{})
	t.Cleanup(func() { hv.Close() })
	box, err := secret.LoadOrCreate(filepath.Join(dir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	f := &flow{t: t, ctx: ctx, db: db, sim: sim, hv: hv, app: app.New(db, hv, box),
		alice: app.Actor{User: "alice", Tenant: "acme"}, bob: app.Actor{User: "bob", Tenant: "acme"}}
	f.must(f.app.CreateTenant(ctx, f.alice, "acme", "alice"))
	f.must(f.app.AddMember(ctx, f.alice, "acme", "bob", app.RoleUser))
	f.must(f.app.CreateProject(ctx, app.Actor{User: "alice", Tenant: "acme"}, "shop"))
	f.must(f.app.SetVMware(ctx, f.alice, sim.Settings("dvmm"), sim.Password()))
	return f
}

func (f *flow) must(_ any, err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *flow) request(name string) app.RequestView {
	f.t.Helper()
	v, err := f.app.CreateRequest(f.ctx, f.bob, app.NewRequestInput{Name: name, Size: "S", Project: "shop", Justification: "tests of the provisioning flow"})
	if err != nil {
		f.t.Fatal(err)
	}
	return v
}

func (f *flow) vmEvents(requestID string, eventType string) int {
	f.t.Helper()
	events, err := f.db.LoadStream(f.ctx, app.StreamVM, app.VMID(requestID))
	if err != nil {
		f.t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Type == eventType {
			n++
		}
	}
	return n
}

func (f *flow) vmsInVCenter() int {
	f.t.Helper()
	n, err := f.sim.CountVMs(f.ctx, "dvmm")
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *flow) drain() {
	f.t.Helper()
	if _, err := f.app.Drain(f.ctx, "test", 2, 30e9); err != nil {
		f.t.Fatal(err)
	}
}

// Running the ProvisionVM handler twice makes one VM aggregate and one VM.
func TestProvisionVMHandlerTwice(t *testing.T) {
	f := newFlow(t)
	r := f.request("web-01")
	v, err := f.app.Approve(f.ctx, f.alice, r.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != app.StatusProvisioning {
		t.Fatalf("after approve: %s, want provisioning", v.Status)
	}
	cmds, err := f.db.ListCommands(f.ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	var provision app.Command
	for _, c := range cmds {
		if c.Type == app.CmdProvisionVM {
			provision = c
		}
	}
	if provision.ID == 0 {
		t.Fatalf("no ProvisionVm command among %+v", cmds)
	}
	// As if a second process picked up the same command again.
	for i := 0; i < 2; i++ {
		if err := f.app.RunCommand(f.ctx, provision, "again"); err != nil {
			t.Fatal(err)
		}
	}
	f.drain()
	if n := f.vmEvents(r.ID, app.EvVMProvisioningStarted); n != 1 {
		t.Fatalf("%d VmProvisioningStarted events, want 1", n)
	}
	if n := f.vmsInVCenter(); n != 1 {
		t.Fatalf("%d VMs in vCenter, want 1", n)
	}
	got, _, err := f.app.ShowRequest(f.ctx, f.bob, r.ID)
	if err != nil || got.Status != app.StatusReady {
		t.Fatalf("request %s, %v; want ready", got.Status, err)
	}
}

// A VM that an earlier attempt made, whose events were never written
// (the process died between the clone and the append), is adopted.
func TestVMFromEarlierAttemptIsAdopted(t *testing.T) {
	f := newFlow(t)
	r := f.request("web-02")
	if _, err := f.app.Approve(f.ctx, f.alice, r.ID, 1); err != nil {
		t.Fatal(err)
	}
	// The earlier attempt: the same clone, straight through the adapter.
	target := f.sim.Target("acme", "dvmm")
	spec := app.MachineSpecFor(target, r.ID, app.VMSpec{Name: "web-02", CPUs: 2, MemoryGB: 4, DiskGB: 50, Project: "shop", Network: target.Settings.Network})
	if _, err := f.hv.Provision(f.ctx, target, spec, func(app.Stage) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if n := f.vmsInVCenter(); n != 1 {
		t.Fatalf("%d VMs before the drain, want 1", n)
	}
	f.drain()
	if n := f.vmsInVCenter(); n != 1 {
		t.Fatalf("%d VMs in vCenter, want 1 (adopted)", n)
	}
	v, tl, err := f.app.ShowRequest(f.ctx, f.bob, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != app.StatusReady {
		t.Fatalf("status %s, want ready", v.Status)
	}
	var lines []string
	for _, e := range tl {
		lines = append(lines, contract.TimelineText(e))
	}
	all := strings.Join(lines, "\n")
	if !strings.Contains(all, "Found the VM of an earlier attempt") || !strings.Contains(all, "adopted") {
		t.Fatalf("timeline does not say the VM was adopted:\n%s", all)
	}
}

package vsphere_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/vsphere"
)

// nicMAC is the MAC of a VM's only NIC, as vCenter has it.
func nicMAC(tb testing.TB, devices []types.BaseVirtualDevice) string {
	tb.Helper()
	nics := object.VirtualDeviceList(devices).SelectByType((*types.VirtualEthernetCard)(nil))
	if len(nics) != 1 {
		tb.Fatalf("VM has %d NICs, want 1", len(nics))
	}
	return nics[0].(types.BaseVirtualEthernetCard).GetVirtualEthernetCard().MacAddress
}

// A guest running Docker lists its docker0 bridge first (vCenter then
// shows the bridge's address as the VM's IP) and link-local addresses
// before the leased ones: READY carries the addresses of the NIC on the
// requested network, and says which NIC.
func TestProvisionAddressOfRequestedNIC(t *testing.T) {
	t.Parallel()
	for _, docker := range []bool{false, true} {
		t.Run(map[bool]string{false: "PlainGuest", true: "DockerBridgeFirst"}[docker], func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			sim := startSim(t, vsphere.SimOptions{IPDelay: 50 * time.Millisecond, DockerBridge: docker})
			c := newClient(t, vsphere.Options{})
			tg := sim.Target("acme", "dvmm")
			m, err := c.Provision(ctx, tg, machineSpec("req-1", "web-01"), nil)
			if err != nil {
				t.Fatal(err)
			}
			vm := vmAt(t, observer(t, sim), "dvmm/acme/shop/web-01")
			mac := nicMAC(t, vm.Config.Hardware.Device)
			if !strings.HasPrefix(m.IP, "10.0.") || !strings.HasPrefix(m.IPv6, "2001:db8::") || m.MAC != mac {
				t.Errorf("machine has IP %q, IPv6 %q on NIC %q; want 10.0.x.y and 2001:db8:: on %s", m.IP, m.IPv6, m.MAC, mac)
			}
			var onNIC []string
			for _, g := range vm.Guest.Net {
				if g.MacAddress == mac {
					onNIC = g.IpAddress
				}
			}
			if !slices.Contains(onNIC, m.IP) || !slices.Contains(onNIC, m.IPv6) {
				t.Errorf("the guest reports %v on %s, which lacks %s or %s", onNIC, mac, m.IP, m.IPv6)
			}
			if docker && (vm.Guest.IpAddress != "172.17.0.1" || len(vm.Guest.Net) != 2 || vm.Guest.Net[0].MacAddress == mac) {
				t.Errorf("the simulator reports guest IP %q and NICs %+v, want the docker bridge first", vm.Guest.IpAddress, vm.Guest.Net)
			}
			found, ok, err := c.Find(ctx, tg, "req-1")
			if err != nil || !ok || found.IP != m.IP || found.IPv6 != m.IPv6 || found.MAC != mac {
				t.Errorf("Find = %+v, %v, %v; want the addresses Provision gave", found, ok, err)
			}
			again, err := c.Provision(ctx, tg, machineSpec("req-1", "web-01"), nil)
			if err != nil || !again.Adopted || again.IP != m.IP || again.MAC != mac {
				t.Errorf("second Provision = %+v, %v; want the same addresses", again, err)
			}
		})
	}
}

// cloneTasks records the clone tasks a Provision reports. With die, it
// records the first and then fails as a process that dies while vCenter
// clones: its context ends (kill) and nothing more happens. With fail, it
// cannot record it (a database error, an attempt that is over).
type cloneTasks struct {
	mu     sync.Mutex
	tasks  []string
	die    bool
	fail   bool
	cancel context.CancelFunc
}

var errDied = errors.New("the process died")

func (r *cloneTasks) started(task string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		return errDied
	}
	r.tasks = append(r.tasks, task)
	if r.die {
		r.cancel()
		return errDied
	}
	return nil
}

func (r *cloneTasks) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.tasks)
}

// Some vCenters ignore the instance UUID and extraConfig of a clone spec.
// Whenever the process dies, the next attempt adopts the clone — through
// the clone task it recorded, or the request id written onto the VM after
// the clone — and there is only ever one VM, never a NAME_TAKEN.
func TestProvisionIgnoredCloneIdentity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		dieAt     string // "task": once the clone task is recorded; "record": recording it fails; else a stage
		keepTask  bool   // the next attempt knows the recorded task
		wantTasks int
	}{
		{"DiedWhileCloning", "task", true, 1},
		{"TaskNotRecorded", "record", false, 0},
		{"DiedBeforeConfiguring", string(app.StageConfiguring), false, 1},
		{"DiedBeforeConfiguringTaskKnown", string(app.StageConfiguring), true, 1},
		{"DiedWaitingForNetwork", string(app.StageWaitingNetwork), false, 1},
		{"NeverDied", "", false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			sim := startSim(t, vsphere.SimOptions{IPDelay: 50 * time.Millisecond, DropCloneIdentity: true})
			c := newClient(t, vsphere.Options{})
			tg := sim.Target("acme", "dvmm")
			pctx, cancel := context.WithCancel(ctx)
			defer cancel()
			rec := &cloneTasks{die: tt.dieAt == "task", fail: tt.dieAt == "record", cancel: cancel}
			spec := machineSpec("req-1", "web-01")
			spec.CloneStarted = rec.started
			progress := func(s app.Stage) error {
				if string(s) == tt.dieAt {
					return errDied
				}
				return nil
			}
			first, err := c.Provision(pctx, tg, spec, progress)
			if tt.dieAt == "" {
				if err != nil || first.InstanceUUID == vsphere.InstanceUUID("req-1") {
					t.Fatalf("Provision = %+v, %v; want a VM with an instance UUID of vCenter's choosing", first, err)
				}
			} else if err != errDied {
				t.Fatalf("Provision = %v, want the process to die", err)
			}
			if got := rec.get(); len(got) != tt.wantTasks || len(got) > 0 && !strings.HasPrefix(got[0], "task-") {
				t.Fatalf("clone tasks recorded = %v", got)
			}
			if tt.dieAt == "task" {
				// Dead while vCenter clones: nothing tagged the clone.
				if n, err := sim.Calls(ctx, "ReconfigVM_Task"); err != nil || n != 0 {
					t.Fatalf("%d reconfigurations (%v) after the process died", n, err)
				}
			}

			// The next attempt, in a new process.
			next := machineSpec("req-1", "web-01")
			if tt.keepTask {
				next.CloneTask = rec.get()[0]
			}
			rec.mu.Lock()
			rec.fail = false
			rec.mu.Unlock()
			next.CloneStarted = rec.started
			var st stages
			m, err := newClient(t, vsphere.Options{}).Provision(ctx, tg, next, st.report)
			if err != nil {
				t.Fatalf("next Provision: %v", err)
			}
			if !m.Adopted || m.IP == "" || m.PowerState != "poweredOn" || m.CPUs != 4 {
				t.Errorf("next Provision = %+v, want the clone adopted and finished", m)
			}
			if got := st.get(); len(got) == 0 || got[0] != app.StageAdopting {
				t.Errorf("stages = %v, want adopting first", got)
			}
			if got := rec.get(); len(got) != tt.wantTasks {
				t.Errorf("clone tasks = %v: the next attempt cloned again", got)
			}
			if n, err := sim.Calls(ctx, "CloneVM_Task"); err != nil || n != 1 {
				t.Errorf("the simulator received %d clones (%v), want 1", n, err)
			}
			if n := countVMs(t, sim, "dvmm"); n != 1 {
				t.Errorf("simulator has %d VMs, want 1", n)
			}
			vm := vmAt(t, observer(t, sim), "dvmm/acme/shop/web-01")
			if vm.Config.InstanceUuid == vsphere.InstanceUUID("req-1") || extraConfig(vm, vsphere.RequestIDKey) != "req-1" {
				t.Errorf("VM has instance UUID %s and request id %q; want vCenter's UUID and the request id tagged after the clone",
					vm.Config.InstanceUuid, extraConfig(vm, vsphere.RequestIDKey))
			}
			if m.MoRef != vm.Self.Value || m.InstanceUUID != vm.Config.InstanceUuid {
				t.Errorf("machine %s %s, vCenter %s %s", m.MoRef, m.InstanceUUID, vm.Self.Value, vm.Config.InstanceUuid)
			}
		})
	}
}

// A recorded clone task that vCenter no longer knows (it keeps tasks for
// a while only), or that is not a clone task, is no reason to stop: the
// attempt looks further, and clones when there is nothing to adopt.
func TestProvisionForgottenCloneTask(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := startSim(t, vsphere.SimOptions{IPDelay: 50 * time.Millisecond, DropCloneIdentity: true})
	c := newClient(t, vsphere.Options{})
	tg := sim.Target("acme", "dvmm")
	rec := &cloneTasks{}
	tests := []struct{ name, task string }{
		{"Forgotten", "task-987654"},
		{"NotATask", "vm-1"},
		{"AnotherRequestsTask", ""}, // the clone task of the first VM
	}
	for i, tt := range tests {
		spec := machineSpec("req-"+tt.name, fmt.Sprintf("web-%02d", i+1))
		spec.CloneTask = tt.task
		if tt.task == "" {
			spec.CloneTask = rec.get()[0]
		}
		spec.CloneStarted = rec.started
		m, err := c.Provision(ctx, tg, spec, nil)
		if err != nil || m.Adopted || m.Name != spec.Name {
			t.Fatalf("%s: Provision = %+v, %v; want a new VM", tt.name, m, err)
		}
	}
	if n := countVMs(t, sim, "dvmm"); n != len(tests) {
		t.Errorf("simulator has %d VMs, want %d", n, len(tests))
	}
}

// The template's disk grows to the size's; a template disk larger than
// the size is refused before anything is cloned.
func TestProvisionDisk(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		templateGB int
		sizeGB     int
		wantGB     int64 // 0: refused
	}{
		{"Grown", 20, 100, 100},
		{"SameSize", 100, 100, 100},
		{"TemplateLarger", 200, 100, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			sim := startSim(t, vsphere.SimOptions{IPDelay: 50 * time.Millisecond, TemplateDiskGB: tt.templateGB})
			spec := machineSpec("req-1", "web-01")
			spec.DiskGB = tt.sizeGB
			var st stages
			_, err := newClient(t, vsphere.Options{}).Provision(ctx, sim.Target("acme", "dvmm"), spec, st.report)
			if tt.wantGB == 0 {
				f := asFault(t, err)
				want := `the disk of template "ubuntu-22.04-template" (200 GB) is larger than the 100 GB the size gives`
				if f.Code != app.FaultTemplateDiskTooLarge || f.Transient || !strings.Contains(f.Message, want) {
					t.Errorf("fault = %s transient=%v %q, want permanent %s with %q", f.Code, f.Transient, f.Message, app.FaultTemplateDiskTooLarge, want)
				}
				if n, err := sim.Calls(ctx, "CloneVM_Task"); err != nil || n != 0 || len(st.get()) != 0 {
					t.Errorf("%d clones (%v) and stages %v before the refusal, want none", n, err, st.get())
				}
				if n := countVMs(t, sim, ""); n != 0 {
					t.Errorf("simulator has %d VMs, want 0", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			vm := vmAt(t, observer(t, sim), "dvmm/acme/shop/web-01")
			disks := object.VirtualDeviceList(vm.Config.Hardware.Device).SelectByType((*types.VirtualDisk)(nil))
			if len(disks) != 1 || disks[0].(*types.VirtualDisk).CapacityInKB != tt.wantGB*1024*1024 {
				t.Errorf("disks = %+v, want one of %d GB", disks, tt.wantGB)
			}
		})
	}
}

// Live status looks a VM up by its recorded moref and instance UUID
// first, and tells a VM gone from vCenter (not found, no error) from a
// vCenter that cannot be read (an error).
func TestFindRecorded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := startSim(t, vsphere.SimOptions{IPDelay: 50 * time.Millisecond})
	obs := observer(t, sim)
	c := newClient(t, vsphere.Options{})
	tg := sim.Target("acme", "dvmm")

	// A VM that only its record identifies: vCenter chose its instance
	// UUID, and its request id tag is gone.
	spec := machineSpec("req-1", "web-01")
	ref := bareClone(t, obs, spec, "", false)
	vm := object.NewVirtualMachine(obs, ref)
	untag, err := vm.Reconfigure(ctx, types.VirtualMachineConfigSpec{ExtraConfig: []types.BaseOptionValue{
		&types.OptionValue{Key: vsphere.RequestIDKey, Value: ""}}})
	if err != nil || untag.Wait(ctx) != nil {
		t.Fatalf("untag: %v", err)
	}
	uuid := vmAt(t, obs, "dvmm/acme/shop/web-01").Config.InstanceUuid

	if _, ok, err := c.Find(ctx, tg, "req-1"); ok || err != nil {
		t.Fatalf("Find without the record = %v, %v; want not found", ok, err)
	}
	tests := []struct {
		name, moref, uuid string
		found             bool
	}{
		{"MoRef", ref.Value, "", false}, // the moref alone does not prove the VM is the request's
		{"MoRefAndUUID", ref.Value, uuid, true},
		{"UUID", "", uuid, true},
		{"StaleMoRef", "vm-999999", uuid, true},
		{"Nothing", "vm-999999", "", false},
	}
	for _, tt := range tests {
		m, ok, err := c.FindRecorded(ctx, tg, "req-1", tt.moref, tt.uuid)
		if err != nil || ok != tt.found || ok && (m.MoRef != ref.Value || m.Folder != "dvmm/acme/shop") {
			t.Errorf("%s: FindRecorded = %+v, %v, %v; want found=%v", tt.name, m, ok, err, tt.found)
		}
	}

	destroy, err := vm.Destroy(ctx)
	if err != nil || destroy.Wait(ctx) != nil {
		t.Fatalf("destroy: %v", err)
	}
	if m, ok, err := c.FindRecorded(ctx, tg, "req-1", ref.Value, uuid); ok || err != nil {
		t.Errorf("FindRecorded of a destroyed VM = %+v, %v, %v; want not found and no error", m, ok, err)
	}

	sim.Close()
	_, ok, err := c.FindRecorded(ctx, tg, "req-1", ref.Value, uuid)
	if f := asFault(t, err); ok || f.Code != app.FaultUnreachable || !f.Transient {
		t.Errorf("FindRecorded with vCenter down = %v, %+v; want transient %s", ok, f, app.FaultUnreachable)
	}
}

// The simulator wrapper's own quirks, in this process where the race
// detector sees them: per-NIC DHCP with a Docker bridge first, a clone
// spec's identity dropped, a template disk of the given size.
func TestSimulatorQuirksInProcess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := startLocalSim(t, vsphere.SimOptions{IPDelay: 50 * time.Millisecond, DockerBridge: true, DropCloneIdentity: true, TemplateDiskGB: 30})
	obs := observer(t, sim)
	tmpl := vmAt(t, obs, vsphere.SimTemplate)
	disks := object.VirtualDeviceList(tmpl.Config.Hardware.Device).SelectByType((*types.VirtualDisk)(nil))
	if len(disks) != 1 || disks[0].(*types.VirtualDisk).CapacityInKB != 30*1024*1024 {
		t.Errorf("template disks = %+v, want one of 30 GB", disks)
	}
	m, err := newClient(t, vsphere.Options{}).Provision(ctx, sim.Target("acme", "dvmm"), machineSpec("req-1", "web-01"), nil)
	if err != nil {
		t.Fatal(err)
	}
	vm := vmAt(t, obs, "dvmm/acme/shop/web-01")
	mac := nicMAC(t, vm.Config.Hardware.Device)
	if len(vm.Guest.Net) != 2 || vm.Guest.Net[0].IpAddress[0] != "172.17.0.1" || vm.Guest.Net[1].MacAddress != mac ||
		vm.Guest.IpAddress != "172.17.0.1" || vm.Guest.HostName != "web-01" {
		t.Errorf("guest = %s %s %+v, want the docker bridge first, then the VM's NIC", vm.Guest.IpAddress, vm.Guest.HostName, vm.Guest.Net)
	}
	if got := vm.Guest.Net[1].IpAddress; len(got) != 4 || got[2] != m.IP || got[3] != m.IPv6 {
		t.Errorf("the VM's NIC reports %v, want two link-local addresses, then %s and %s", got, m.IP, m.IPv6)
	}
	if vm.Config.InstanceUuid == vsphere.InstanceUUID("req-1") || m.InstanceUUID != vm.Config.InstanceUuid {
		t.Errorf("instance UUID %s (machine %s): the clone spec's was not dropped", vm.Config.InstanceUuid, m.InstanceUUID)
	}
	if n := sim.Calls("ReconfigVM_Task"); n != 1 || extraConfig(vm, vsphere.RequestIDKey) != "req-1" {
		t.Errorf("%d reconfigurations and request id %q, want one: the tag after the clone", n, extraConfig(vm, vsphere.RequestIDKey))
	}
}

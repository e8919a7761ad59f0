package vsphere_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/vsphere"
)

// bare is plain govmomi against the simulator, with every inventory
// object resolved once: the baseline Provision is measured against.
type bare struct {
	c        *vim25.Client
	template *object.VirtualMachine
	hw       types.VirtualHardware
	folder   *object.Folder
	pool     types.ManagedObjectReference
	ds       types.ManagedObjectReference
	backing  types.BaseVirtualDeviceBackingInfo
}

func newBare(tb testing.TB, c *vim25.Client, folder string) *bare {
	tb.Helper()
	ctx := context.Background()
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	f := find.NewFinder(c, false)
	dc, err := f.Datacenter(ctx, vsphere.SimDatacenter)
	must(err)
	f.SetDatacenter(dc)
	b := &bare{c: c}
	b.template, err = f.VirtualMachine(ctx, vsphere.SimTemplate)
	must(err)
	var tvm mo.VirtualMachine
	must(b.template.Properties(ctx, b.template.Reference(), []string{"config.hardware"}, &tvm))
	b.hw = tvm.Config.Hardware
	cr, err := f.ClusterComputeResource(ctx, vsphere.SimCluster)
	must(err)
	pool, err := cr.ResourcePool(ctx)
	must(err)
	b.pool = pool.Reference()
	ds, err := f.Datastore(ctx, vsphere.SimDatastore)
	must(err)
	b.ds = ds.Reference()
	network, err := f.Network(ctx, vsphere.SimNetwork)
	must(err)
	b.backing, err = network.EthernetCardBackingInfo(ctx)
	must(err)
	folders, err := dc.Folders(ctx)
	must(err)
	b.folder = folders.VmFolder
	si := object.NewSearchIndex(c)
	for _, name := range splitPath(folder) {
		ref, err := si.FindChild(ctx, b.folder, name)
		must(err)
		if ref != nil {
			b.folder = ref.(*object.Folder)
			continue
		}
		b.folder, err = b.folder.CreateFolder(ctx, name)
		must(err)
	}
	return b
}

func splitPath(p string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			if i > start {
				out = append(out, p[start:i])
			}
			start = i + 1
		}
	}
	return out
}

// clone makes the VM of spec with one CloneVM_Task carrying the same
// config as Provision's; with powerOn it then powers it on and waits for
// its IP, as Provision does.
func (b *bare) clone(tb testing.TB, spec app.MachineSpec, instanceUUID string, powerOn bool) types.ManagedObjectReference {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	devices := object.VirtualDeviceList(b.hw.Device)
	nic := devices.SelectByType((*types.VirtualEthernetCard)(nil))[0]
	nic.(types.BaseVirtualEthernetCard).GetVirtualEthernetCard().Backing = b.backing
	disk := devices.SelectByType((*types.VirtualDisk)(nil))[0].(*types.VirtualDisk)
	disk.CapacityInKB = int64(spec.DiskGB) * 1024 * 1024
	disk.CapacityInBytes = disk.CapacityInKB * 1024
	config := &types.VirtualMachineConfigSpec{
		NumCPUs: int32(spec.CPUs), MemoryMB: int64(spec.MemoryMB), InstanceUuid: instanceUUID,
		ExtraConfig: []types.BaseOptionValue{&types.OptionValue{Key: vsphere.RequestIDKey, Value: spec.RequestID}},
		DeviceChange: []types.BaseVirtualDeviceConfigSpec{
			&types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: nic},
			&types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: disk},
		},
	}
	task, err := b.template.Clone(ctx, b.folder, spec.Name, types.VirtualMachineCloneSpec{
		Location: types.VirtualMachineRelocateSpec{Pool: &b.pool, Datastore: &b.ds}, Config: config})
	if err != nil {
		tb.Fatal(err)
	}
	info, err := task.WaitForResult(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	ref := info.Result.(types.ManagedObjectReference)
	if !powerOn {
		return ref
	}
	vm := object.NewVirtualMachine(b.c, ref)
	task, err = vm.PowerOn(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	if err := task.Wait(ctx); err != nil {
		tb.Fatal(err)
	}
	if _, err := vm.WaitForIP(ctx, true); err != nil {
		tb.Fatal(err)
	}
	return ref
}

// benchSim is the simulator of the benchmarks: DHCP answers 100ms after
// power-on, clones take no extra time.
func benchSim(b *testing.B) *vsphere.Simulator {
	return startLocalSim(b, vsphere.SimOptions{IPDelay: 100 * time.Millisecond})
}

// BenchmarkBareClone is one VM made with plain govmomi and everything
// resolved beforehand: CloneVM_Task with Provision's config, power on,
// wait for the IP.
func BenchmarkBareClone(b *testing.B) {
	sim := benchSim(b)
	bb := newBare(b, observer(b, sim), "bench")
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		spec := machineSpec(fmt.Sprintf("bare-%d", i), fmt.Sprintf("bare-%d", i))
		bb.clone(b, spec, vsphere.InstanceUUID(spec.RequestID), true)
	}
}

// BenchmarkProvision is one VM made by Client.Provision for a fresh
// request: lookups, idempotency checks, clone, power on, IP wait.
func BenchmarkProvision(b *testing.B) {
	sim := benchSim(b)
	c := newClient(b, vsphere.Options{})
	tg := sim.Target("acme", "dvmm")
	ctx := context.Background()
	if _, err := c.Provision(ctx, tg, machineSpec("warm-up", "warm-up"), nil); err != nil {
		b.Fatal(err) // logs in and makes the folders once, as a running serve has
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		spec := machineSpec(fmt.Sprintf("req-%d", i), fmt.Sprintf("web-%d", i))
		if _, err := c.Provision(ctx, tg, spec, nil); err != nil {
			b.Fatal(err)
		}
	}
}

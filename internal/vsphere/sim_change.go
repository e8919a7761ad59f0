package vsphere

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// ChangeVM changes a VM behind dvmm's back, as an operator in vCenter
// would: change is "power-off", "power-on", "destroy", "rename=NEW",
// "resize=CPUS,MEMORY_MB" or "ip=ADDRESS" (the guest reports a new IPv4
// address on its first NIC). It is for tests of drift and live status.
func (s *Simulator) ChangeVM(ctx context.Context, name, change string) error {
	list, err := find.NewFinder(s.local, false).VirtualMachineList(ctx, "/"+SimDatacenter+"/vm/...")
	if err != nil {
		return err
	}
	var vm *object.VirtualMachine
	for _, v := range list {
		if v.Name() == name {
			vm = v
		}
	}
	if vm == nil {
		return fmt.Errorf("no VM named %q", name)
	}
	op, arg, _ := strings.Cut(change, "=")
	run := func(t *object.Task, err error) error {
		if err != nil {
			return err
		}
		return t.Wait(ctx)
	}
	switch op {
	case "power-off":
		return run(vm.PowerOff(ctx))
	case "power-on":
		return run(vm.PowerOn(ctx))
	case "destroy":
		if st, err := vm.PowerState(ctx); err == nil && st == types.VirtualMachinePowerStatePoweredOn {
			if err := run(vm.PowerOff(ctx)); err != nil {
				return err
			}
		}
		return run(vm.Destroy(ctx))
	case "rename":
		return run(vm.Rename(ctx, arg))
	case "resize":
		c, m, ok := strings.Cut(arg, ",")
		cpus, err1 := strconv.Atoi(c)
		mem, err2 := strconv.Atoi(m)
		if !ok || err1 != nil || err2 != nil {
			return fmt.Errorf("resize=CPUS,MEMORY_MB, not %q", arg)
		}
		return run(vm.Reconfigure(ctx, types.VirtualMachineConfigSpec{NumCPUs: int32(cpus), MemoryMB: int64(mem)}))
	case "ip":
		return s.setGuestIP(ctx, vm.Reference(), arg)
	}
	return fmt.Errorf("unknown change %q", change)
}

// setGuestIP makes the guest report addr as its first NIC's IPv4 address,
// under the VM's lock, as the simulated DHCP does.
func (s *Simulator) setGuestIP(ctx context.Context, ref types.ManagedObjectReference, addr string) error {
	reg := s.model.Map()
	vm, ok := reg.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return fmt.Errorf("no VM %s", ref.Value)
	}
	sctx := &simulator.Context{Context: ctx, Map: reg}
	var err error
	reg.WithLock(sctx, vm, func() {
		if vm.Guest == nil || len(vm.Guest.Net) == 0 {
			err = fmt.Errorf("VM %s reports no NIC", ref.Value)
			return
		}
		nets := append([]types.GuestNicInfo(nil), vm.Guest.Net...)
		nets[0].IpAddress, nets[0].IpConfig = []string{addr}, nil
		reg.Update(sctx, vm, []types.PropertyChange{
			{Name: "guest.net", Val: nets},
			{Name: "guest.ipAddress", Val: addr},
			{Name: "summary.guest.ipAddress", Val: addr},
		})
	})
	return err
}

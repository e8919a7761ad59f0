package vsphere

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dvmm/dvmm/internal/app"
)

var _ app.PowerSwitch = (*Client)(nil)

// Power switches the VM made for a request on or off, or resets it, and
// returns its power state after. It finds the VM by the recorded moref
// first (checked to be this request's), then as Find does. A VM already in
// the asked state is left alone; a restart of a VM that is off powers it
// on. The operations are hard ones (power on, power off, reset): they need
// nothing from the guest.
func (c *Client) Power(ctx context.Context, t app.Target, requestID, moref string, action app.PowerAction) (string, error) {
	var state string
	err := c.do(ctx, t, true, func(ctx context.Context, s *conn) error {
		vm, err := s.findRequestVM(ctx, requestID, moref, "")
		if err != nil {
			return err
		}
		if vm == nil {
			return &app.Fault{Code: app.FaultInventoryNotFound, Message: fmt.Sprintf("the VM of request %s is not in vCenter", app.ShortID(requestID))}
		}
		cur, err := powerState(ctx, vm)
		if err != nil {
			return err
		}
		var start func(context.Context) (*object.Task, error)
		switch {
		case action == app.PowerOff && cur != types.VirtualMachinePowerStatePoweredOff:
			start = vm.PowerOff
		case action == app.PowerOn && cur != types.VirtualMachinePowerStatePoweredOn,
			action == app.PowerRestart && cur != types.VirtualMachinePowerStatePoweredOn:
			start = vm.PowerOn
		case action == app.PowerRestart:
			start = vm.Reset
		}
		if start != nil {
			if err := s.wait(ctx, start); err != nil && !fault.Is(err, &types.InvalidPowerState{}) {
				return err
			}
		}
		after, err := powerState(ctx, vm)
		state = string(after)
		return err
	})
	return state, err
}

func powerState(ctx context.Context, vm *object.VirtualMachine) (types.VirtualMachinePowerState, error) {
	var mvm mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"runtime.powerState"}, &mvm); err != nil {
		return "", err
	}
	return mvm.Runtime.PowerState, nil
}

var _ app.Resizer = (*Client)(nil)

// Resize gives the VM made for a request the size of spec and returns it
// as vCenter then reports it, with whether it was restarted. CPU and
// memory change only while the VM is off (hot add may be disabled): a VM
// that is on is powered off, reconfigured and powered on again when
// spec.AllowRestart, and otherwise the resize fails (permanently) saying
// so. The disk only grows, and grows online.
func (c *Client) Resize(ctx context.Context, t app.Target, requestID, moref string, spec app.ResizeSpec) (app.Machine, bool, error) {
	var (
		m         app.Machine
		restarted bool
	)
	err := c.do(ctx, t, true, func(ctx context.Context, s *conn) error {
		vm, err := s.findRequestVM(ctx, requestID, moref, "")
		if err != nil {
			return err
		}
		if vm == nil {
			return &app.Fault{Code: app.FaultInventoryNotFound, Message: fmt.Sprintf("the VM of request %s is not in vCenter", app.ShortID(requestID))}
		}
		var mvm mo.VirtualMachine
		if err := vm.Properties(ctx, vm.Reference(), []string{"config.hardware", "runtime.powerState"}, &mvm); err != nil {
			return err
		}
		if mvm.Config == nil {
			return &app.Fault{Code: app.FaultVsphere, Message: "vCenter gave no hardware of the VM"}
		}
		hw := mvm.Config.Hardware
		on := mvm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn
		ms := app.MachineSpec{CPUs: spec.CPUs, MemoryMB: spec.MemoryMB, DiskGB: spec.DiskGB}
		needsOff := int(hw.NumCPU) != spec.CPUs || int(hw.MemoryMB) != spec.MemoryMB
		if on && needsOff {
			if !spec.AllowRestart {
				return &app.Fault{Code: app.FaultRestartNeeded,
					Message: "the VM is on, and its CPU and memory change only while it is off: ask again allowing a restart"}
			}
			if err := s.wait(ctx, vm.PowerOff); err != nil && !fault.Is(err, &types.InvalidPowerState{}) {
				return err
			}
			restarted = true
		}
		if change := resize(hw, ms, on && !restarted); change != nil {
			if err := s.wait(ctx, func(ctx context.Context) (*object.Task, error) { return vm.Reconfigure(ctx, *change) }); err != nil {
				return err
			}
		}
		if restarted {
			if err := s.wait(ctx, vm.PowerOn); err != nil && !fault.Is(err, &types.InvalidPowerState{}) {
				return err
			}
		}
		m, err = s.machine(ctx, vm, false, nil)
		return err
	})
	return m, restarted, err
}

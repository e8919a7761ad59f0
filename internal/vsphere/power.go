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

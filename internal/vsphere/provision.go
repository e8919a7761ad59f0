package vsphere

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/task"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dvmm/dvmm/internal/app"
)

// RequestIDKey is the extraConfig key that carries the id of the request a
// VM was made for.
const RequestIDKey = "dvmm.request-id"

// uuidNamespace is the UUID v5 namespace of dvmm's instance UUIDs.
var uuidNamespace = [16]byte{0x6f, 0x1d, 0x2c, 0x4e, 0x8a, 0x53, 0x4b, 0x0e, 0x9d, 0x61, 0x27, 0xc3, 0x5a, 0xe4, 0x90, 0x17}

// InstanceUUID is the vCenter instance UUID of the VM made for a request:
// a name-based UUID (version 5, SHA-1) of "dvmm:"+requestID, so every
// attempt, in any process, looks for and makes the same VM.
func InstanceUUID(requestID string) string {
	h := sha1.New()
	h.Write(uuidNamespace[:])
	h.Write([]byte("dvmm:" + requestID))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// machineProps are the VM properties a Machine is made of.
var machineProps = []string{"name", "config.instanceUuid", "config.template", "config.hardware.numCPU",
	"config.hardware.memoryMB", "config.hardware.device", "runtime.powerState", "guest.ipAddress", "guest.net", "guest.hostName"}

// toMachine converts what vCenter says of a VM. Its addresses are those
// of the first of nics that has one; nil nics means the VM's own NICs in
// device order.
func toMachine(vm mo.VirtualMachine, nics []nicID) app.Machine {
	m := app.Machine{Name: vm.Name, MoRef: vm.Self.Value, PowerState: string(vm.Runtime.PowerState)}
	if vm.Config != nil {
		m.InstanceUUID = vm.Config.InstanceUuid
		m.CPUs = int(vm.Config.Hardware.NumCPU)
		m.MemoryMB = int(vm.Config.Hardware.MemoryMB)
		if nics == nil {
			nics = vmNICs(object.VirtualDeviceList(vm.Config.Hardware.Device), "", nil)
		}
	}
	if vm.Guest != nil {
		a := guestAddress(vm.Guest.Net, vm.Guest.IpAddress, nics)
		m.IP, m.IPv6, m.MAC, m.Hostname = a.IPv4, a.IPv6, a.MAC, vm.Guest.HostName
	}
	return m
}

// Provision makes the VM of spec, or adopts the one an earlier attempt made
// for the same request, sizes it, powers it on and waits (up to
// spec.IPTimeout) for its IP. Past that deadline it returns the VM with
// no IP. An error of progress or spec.CloneStarted stops it and comes back
// unchanged.
func (c *Client) Provision(ctx context.Context, t app.Target, spec app.MachineSpec, progress func(app.Stage) error) (app.Machine, error) {
	var m app.Machine
	err := c.do(ctx, t, true, func(ctx context.Context, s *conn) error {
		var err error
		m, err = s.provision(ctx, spec, progress)
		return err
	})
	var st *stopped
	if errors.As(err, &st) {
		return app.Machine{}, st.err
	}
	return m, err
}

// Find looks up the VM made for a request, by its instance UUID, or else
// by the request id in its extraConfig below the tenant folders.
func (c *Client) Find(ctx context.Context, t app.Target, requestID string) (app.Machine, bool, error) {
	return c.FindRecorded(ctx, t, requestID, "", "")
}

// FindRecorded looks up the VM made for a request by what was recorded of
// it first: its moref, then its instance UUID (either may be ""), then as
// Find does. A VM that is gone from vCenter is not found (false, no
// error); an error says vCenter could not be asked.
func (c *Client) FindRecorded(ctx context.Context, t app.Target, requestID, moref, instanceUUID string) (app.Machine, bool, error) {
	var m app.Machine
	var found bool
	err := c.do(ctx, t, true, func(ctx context.Context, s *conn) error {
		found = false
		vm, err := s.findRequestVM(ctx, requestID, moref, instanceUUID)
		if err != nil || vm == nil {
			return err
		}
		m, err = s.machine(ctx, vm, true, nil)
		if isGone(err) {
			return nil // destroyed since it was found
		}
		found = err == nil
		return err
	})
	if err != nil {
		return app.Machine{}, false, err
	}
	return m, found, nil
}

// Remove powers off and deletes the VM made for a request; a request
// without a VM is not an error.
func (c *Client) Remove(ctx context.Context, t app.Target, requestID string) error {
	return c.do(ctx, t, true, func(ctx context.Context, s *conn) error {
		vm, err := s.findRequestVM(ctx, requestID, "", "")
		if err != nil || vm == nil {
			return err
		}
		var mvm mo.VirtualMachine
		if err := vm.Properties(ctx, vm.Reference(), []string{"name", "runtime.powerState"}, &mvm); err != nil {
			return err
		}
		if mvm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
			if err := s.wait(ctx, func(ctx context.Context) (*object.Task, error) { return vm.PowerOff(ctx) }); err != nil &&
				!fault.Is(err, &types.InvalidPowerState{}) {
				return err
			}
		}
		if err := s.wait(ctx, func(ctx context.Context) (*object.Task, error) { return vm.Destroy(ctx) }); err != nil {
			return err
		}
		s.c.log.Info("removed VM", slog.String("vm", mvm.Name), slog.String("moref", vm.Reference().Value), slog.String("request_id", requestID))
		return nil
	})
}

// provision is Provision within a session.
func (s *conn) provision(ctx context.Context, spec app.MachineSpec, progress func(app.Stage) error) (app.Machine, error) {
	report := func(st app.Stage) error {
		if progress == nil {
			return nil
		}
		if err := progress(st); err != nil {
			return &stopped{err}
		}
		return nil
	}
	inv, err := s.inventory(ctx)
	if err != nil {
		return app.Machine{}, err
	}
	vm, err := s.earlierVM(ctx, inv, spec)
	if err != nil {
		return app.Machine{}, err
	}
	adopted := vm != nil
	if adopted {
		s.c.log.Info("adopting the VM of an earlier attempt", slog.String("request_id", spec.RequestID), slog.String("moref", vm.Reference().Value))
		if err := report(app.StageAdopting); err != nil {
			return app.Machine{}, err
		}
	} else {
		plan, err := s.plan(ctx, inv, spec, InstanceUUID(spec.RequestID))
		if err != nil {
			return app.Machine{}, err
		}
		folder, err := inv.folder(ctx, spec.Folder, true)
		if err != nil {
			return app.Machine{}, err
		}
		if err := report(app.StageCloning); err != nil {
			return app.Machine{}, err
		}
		ref, err := s.clone(ctx, plan, folder, spec)
		if fault.Is(err, &types.DuplicateName{}) {
			// A concurrent attempt may have made it just now.
			if vm, _ = s.findRequestVM(ctx, spec.RequestID, "", ""); vm != nil {
				adopted = true
				err = nil
			}
		}
		if err != nil {
			return app.Machine{}, err
		}
		if !adopted {
			vm = object.NewVirtualMachine(s.vc, ref)
			s.c.log.Info("cloned VM", slog.String("vm", spec.Name), slog.String("moref", ref.Value), slog.String("template", s.settings.Template))
		}
	}
	if err := s.tag(ctx, vm, spec); err != nil {
		return app.Machine{}, err
	}
	return s.finish(ctx, inv, vm, spec, adopted, report)
}

// earlierVM finds the VM an earlier attempt made for spec's request: the
// result of the clone task it recorded, then the VM with the request's
// instance UUID or request id, then a VM of that name in the folder that
// carries the request id. A VM of that name that was made for another
// request, or not by dvmm, is a permanent fault.
func (s *conn) earlierVM(ctx context.Context, inv *inventory, spec app.MachineSpec) (*object.VirtualMachine, error) {
	if spec.CloneTask != "" {
		vm, err := s.taskVM(ctx, spec.CloneTask, spec.RequestID)
		if err != nil || vm != nil {
			return vm, err
		}
	}
	vm, err := s.findRequestVM(ctx, spec.RequestID, "", "")
	if err != nil || vm != nil {
		return vm, err
	}
	folder, err := inv.folder(ctx, spec.Folder, false)
	if err != nil || folder == nil {
		return nil, err
	}
	return s.namedVM(ctx, folder, spec)
}

// taskVM returns the VM a clone task made for requestID, waiting for the
// task if it still runs; nil when the task failed, vCenter no longer knows
// it (it keeps tasks for a while only), its VM is gone or carries the id
// of another request.
func (s *conn) taskVM(ctx context.Context, id, requestID string) (*object.VirtualMachine, error) {
	ref := types.ManagedObjectReference{Type: "Task", Value: id}
	var mt mo.Task
	err := property.DefaultCollector(s.vc).RetrieveOne(ctx, ref, []string{"info"}, &mt)
	if isGone(err) {
		s.c.log.Info("vCenter no longer knows the clone task of an earlier attempt", slog.String("task", id))
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	info := mt.Info
	if info.State == types.TaskInfoStateQueued || info.State == types.TaskInfoStateRunning {
		tctx, cancel := context.WithTimeout(ctx, s.c.opts.TaskTimeout)
		defer cancel()
		res, err := object.NewTask(s.vc, ref).WaitForResult(tctx)
		var failed task.Error
		if errors.As(err, &failed) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		info = *res
	}
	vmRef, ok := info.Result.(types.ManagedObjectReference)
	if info.State != types.TaskInfoStateSuccess || !ok {
		return nil, nil
	}
	var mvm mo.VirtualMachine
	if err := property.DefaultCollector(s.vc).RetrieveOne(ctx, vmRef, []string{"config.extraConfig"}, &mvm); err != nil {
		if isGone(err) {
			return nil, nil
		}
		return nil, err
	}
	if mvm.Config == nil {
		return nil, nil
	}
	if owner := extraConfig(mvm.Config.ExtraConfig, RequestIDKey); owner != "" && owner != requestID {
		s.c.log.Warn("the recorded clone task made the VM of another request", slog.String("task", id),
			slog.String("moref", vmRef.Value), slog.String("request_id", requestID), slog.String("owner", owner))
		return nil, nil
	}
	return object.NewVirtualMachine(s.vc, vmRef), nil
}

// clone starts the clone, has spec.CloneStarted record its task, and
// waits for it.
func (s *conn) clone(ctx context.Context, plan *clonePlan, folder *object.Folder, spec app.MachineSpec) (types.ManagedObjectReference, error) {
	tctx, cancel := context.WithTimeout(ctx, s.c.opts.TaskTimeout)
	defer cancel()
	t, err := plan.template.Clone(tctx, folder, spec.Name, plan.spec)
	if err != nil {
		return types.ManagedObjectReference{}, err
	}
	// The task is recorded before it is waited for: should this process
	// die now, the next attempt finds the clone through it, whatever
	// vCenter made of the spec's instance UUID and extraConfig.
	if spec.CloneStarted != nil {
		if err := spec.CloneStarted(t.Reference().Value); err != nil {
			// The task is not recorded, or this attempt is over, yet the
			// clone goes on in vCenter. Unless this process is stopping,
			// see it through and tag it, so that the next attempt finds it.
			var ref types.ManagedObjectReference
			if ctx.Err() == nil && s.waitTask(tctx, t, &ref) == nil {
				if terr := s.tag(ctx, object.NewVirtualMachine(s.vc, ref), spec); terr != nil {
					s.c.log.Warn("could not tag a clone whose task was not recorded", slog.String("moref", ref.Value), slog.String("error", terr.Error()))
				}
			}
			return types.ManagedObjectReference{}, &stopped{err}
		}
	}
	var ref types.ManagedObjectReference
	err = s.waitTask(tctx, t, &ref)
	return ref, err
}

// tag makes sure the VM carries the request id in its extraConfig. The
// clone spec asks for it, but some vCenters drop or replace a clone spec's
// extraConfig and instance UUID; the tag is then what lets a later
// attempt find the VM.
func (s *conn) tag(ctx context.Context, vm *object.VirtualMachine, spec app.MachineSpec) error {
	var mvm mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"config.instanceUuid", "config.extraConfig"}, &mvm); err != nil {
		return err
	}
	if mvm.Config == nil {
		return &app.Fault{Code: app.FaultVsphere, Message: fmt.Sprintf("vCenter %s reports no configuration for VM %s", s.w.host, vm.Reference().Value)}
	}
	owner := extraConfig(mvm.Config.ExtraConfig, RequestIDKey)
	if owner == spec.RequestID {
		return nil
	}
	if owner != "" {
		return &app.Fault{Code: app.FaultNameTaken,
			Message: fmt.Sprintf("VM %s in vCenter %s belongs to request %s, not %s", vm.Reference().Value, s.w.host, owner, spec.RequestID)}
	}
	s.c.log.Warn("vCenter dropped the request id of the clone spec: tagging the VM", slog.String("vm", spec.Name),
		slog.String("moref", vm.Reference().Value), slog.String("instance_uuid", mvm.Config.InstanceUuid),
		slog.String("requested_uuid", InstanceUUID(spec.RequestID)))
	change := types.VirtualMachineConfigSpec{ExtraConfig: []types.BaseOptionValue{
		&types.OptionValue{Key: RequestIDKey, Value: spec.RequestID},
		&types.OptionValue{Key: "dvmm.tenant", Value: spec.Tenant},
	}}
	return s.wait(ctx, func(ctx context.Context) (*object.Task, error) { return vm.Reconfigure(ctx, change) })
}

// finish makes sure a cloned or adopted VM has its size, is powered on
// and has an IP, or the IP deadline passed.
func (s *conn) finish(ctx context.Context, inv *inventory, vm *object.VirtualMachine, spec app.MachineSpec, adopted bool, report func(app.Stage) error) (app.Machine, error) {
	var mvm mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"config.hardware", "runtime.powerState", "guest.ipAddress", "guest.net"}, &mvm); err != nil {
		return app.Machine{}, err
	}
	if mvm.Config == nil {
		return app.Machine{}, &app.Fault{Code: app.FaultVsphere, Message: fmt.Sprintf("vCenter %s reports no configuration for VM %s", s.w.host, vm.Reference().Value)}
	}
	poweredOn := mvm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn
	change := resize(mvm.Config.Hardware, spec, poweredOn)
	if !adopted || change != nil {
		if err := report(app.StageConfiguring); err != nil {
			return app.Machine{}, err
		}
	}
	if change != nil {
		if err := s.wait(ctx, func(ctx context.Context) (*object.Task, error) { return vm.Reconfigure(ctx, *change) }); err != nil {
			return app.Machine{}, err
		}
	}
	if !poweredOn {
		if err := report(app.StagePoweringOn); err != nil {
			return app.Machine{}, err
		}
		err := s.wait(ctx, func(ctx context.Context) (*object.Task, error) { return vm.PowerOn(ctx) })
		if err != nil && !isAlreadyOn(err) {
			return app.Machine{}, err
		}
	}
	nics := s.requestedNICs(ctx, inv, spec, object.VirtualDeviceList(mvm.Config.Hardware.Device))
	var guestNet []types.GuestNicInfo
	var guestIP string
	if mvm.Guest != nil {
		guestNet, guestIP = mvm.Guest.Net, mvm.Guest.IpAddress
	}
	if !adopted || !poweredOn || guestAddress(guestNet, guestIP, nics).IPv4 == "" {
		if err := report(app.StageWaitingNetwork); err != nil {
			return app.Machine{}, err
		}
		timeout := spec.IPTimeout
		if timeout <= 0 {
			timeout = app.DefaultIPTimeout
		}
		if err := s.waitAddressUntil(ctx, vm, nics, timeout, spec.Name); err != nil {
			return app.Machine{}, err
		}
	}
	m, err := s.machine(ctx, vm, adopted, nics)
	if err != nil {
		return app.Machine{}, err
	}
	m.Adopted = adopted
	if m.Folder == "" {
		m.Folder = spec.Folder
	}
	return m, nil
}

// requestedNICs are the VM's NICs on the network spec asks for (all its
// NICs when none is, or the network cannot be looked up).
func (s *conn) requestedNICs(ctx context.Context, inv *inventory, spec app.MachineSpec, devices object.VirtualDeviceList) []nicID {
	name := spec.Network
	if name == "" {
		name = s.settings.Network
	}
	var ref *types.ManagedObjectReference
	if n, err := inv.network(ctx, name); err == nil {
		r := n.Reference()
		ref = &r
	}
	return vmNICs(devices, name, ref)
}

// waitAddressUntil waits up to timeout for the guest's address. A
// connection that drops meanwhile is a connection problem: the wait goes
// on over a new connection until the deadline. At the deadline vCenter is
// asked once more, so that "no IP" is what vCenter says, never what a
// silent network made it look like: if it does not answer, that is the
// error.
func (s *conn) waitAddressUntil(ctx context.Context, vm *object.VirtualMachine, nics []nicID, timeout time.Duration, name string) error {
	ipctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		err := s.waitAddress(ipctx, vm, nics)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		if ipctx.Err() != nil {
			break
		}
		if !isConnectivity(classify(err, s.w)) {
			return err
		}
		s.c.log.Warn("connection lost while waiting for the VM's IP; waiting on", slog.String("vm", name), slog.String("error", err.Error()), slog.Duration("in", time.Second))
		select {
		case <-ipctx.Done():
		case <-time.After(time.Second):
		}
	}
	actx, acancel := context.WithTimeout(ctx, 30*time.Second)
	defer acancel()
	m, err := s.machine(actx, vm, false, nics)
	if err != nil {
		return err // vCenter does not answer: not a VM without an IP
	}
	if m.IP == "" {
		s.c.log.Info("no IP before the deadline: the VM is ready with its IP pending", slog.String("vm", name), slog.Duration("waited", timeout))
	}
	return nil
}

// waitAddress waits until the guest reports a global unicast IPv4
// address on one of nics.
func (s *conn) waitAddress(ctx context.Context, vm *object.VirtualMachine, nics []nicID) error {
	var guestNet []types.GuestNicInfo
	var guestIP string
	return property.Wait(ctx, property.DefaultCollector(s.vc), vm.Reference(), []string{"guest.net", "guest.ipAddress"},
		func(changes []types.PropertyChange) bool {
			for _, c := range changes {
				switch c.Name {
				case "guest.net":
					guestNet = nil
					if a, ok := c.Val.(types.ArrayOfGuestNicInfo); ok {
						guestNet = a.GuestNicInfo
					}
				case "guest.ipAddress":
					guestIP, _ = c.Val.(string)
				}
			}
			return guestAddress(guestNet, guestIP, nics).IPv4 != ""
		})
}

// resize returns the reconfiguration that gives hw the size of spec, or
// nil when it has it. CPU and memory change only while powered off (hot
// add may be off); the system disk only grows.
func resize(hw types.VirtualHardware, spec app.MachineSpec, poweredOn bool) *types.VirtualMachineConfigSpec {
	var change types.VirtualMachineConfigSpec
	dirty := false
	if !poweredOn {
		if spec.CPUs > 0 && int(hw.NumCPU) != spec.CPUs {
			change.NumCPUs = int32(spec.CPUs)
			change.NumCoresPerSocket = coresPerSocket(hw, spec.CPUs)
			dirty = true
		}
		if spec.MemoryMB > 0 && int(hw.MemoryMB) != spec.MemoryMB {
			change.MemoryMB = int64(spec.MemoryMB)
			dirty = true
		}
	}
	if d := growDisk(object.VirtualDeviceList(hw.Device), spec.DiskGB); d != nil {
		change.DeviceChange = append(change.DeviceChange, d)
		dirty = true
	}
	if !dirty {
		return nil
	}
	return &change
}

// coresPerSocket keeps the template's cores per socket unless they do not
// divide the new CPU count; then it asks for one core per socket.
func coresPerSocket(hw types.VirtualHardware, cpus int) *int32 {
	if hw.NumCoresPerSocket != nil && *hw.NumCoresPerSocket > 0 && int32(cpus)%*hw.NumCoresPerSocket != 0 {
		return types.NewInt32(1)
	}
	return nil
}

// diskKB is the capacity of the first disk, the one a clone grows.
func diskKB(devices object.VirtualDeviceList) int64 {
	disks := devices.SelectByType((*types.VirtualDisk)(nil))
	if len(disks) == 0 {
		return 0
	}
	disk := disks[0].(*types.VirtualDisk)
	if disk.CapacityInBytes > 0 {
		return disk.CapacityInBytes / 1024
	}
	return disk.CapacityInKB
}

// gbString writes a capacity in KB as GB: "20 GB", "20.5 GB".
func gbString(kb int64) string {
	return strconv.FormatFloat(float64(kb)/(1024*1024), 'f', -1, 64) + " GB"
}

// growDisk edits the first disk to diskGB when it is smaller; it never
// shrinks one (plan refuses a template whose disk is larger).
func growDisk(devices object.VirtualDeviceList, diskGB int) types.BaseVirtualDeviceConfigSpec {
	disks := devices.SelectByType((*types.VirtualDisk)(nil))
	if len(disks) == 0 || diskGB <= 0 {
		return nil
	}
	disk := disks[0].(*types.VirtualDisk)
	want := int64(diskGB) * 1024 * 1024
	if diskKB(devices) >= want {
		return nil
	}
	disk.CapacityInKB = want
	disk.CapacityInBytes = want * 1024
	return &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: disk}
}

func isAlreadyOn(err error) bool {
	var ips *types.InvalidPowerState
	if _, ok := fault.As(err, &ips); ok {
		return ips.ExistingState == types.VirtualMachinePowerStatePoweredOn
	}
	return false
}

// clonePlan is what a clone needs, resolved before anything changes.
type clonePlan struct {
	template *object.VirtualMachine
	spec     types.VirtualMachineCloneSpec
}

// plan resolves the template, pool, datastore and network and builds the
// clone spec: size, instance UUID, request id and NIC in one go.
func (s *conn) plan(ctx context.Context, inv *inventory, spec app.MachineSpec, uuid string) (*clonePlan, error) {
	set := s.settings
	tmpl, err := inv.template(ctx)
	if err != nil {
		return nil, err
	}
	var tvm mo.VirtualMachine
	if err := tmpl.Properties(ctx, tmpl.Reference(), []string{"config.hardware"}, &tvm); err != nil {
		return nil, err
	}
	if tvm.Config == nil {
		return nil, &app.Fault{Code: app.FaultTemplateNotFound, Message: fmt.Sprintf("template %q has no configuration in vCenter %s", set.Template, s.w.host)}
	}
	pool, err := inv.pool(ctx)
	if err != nil {
		return nil, err
	}
	ds, err := inv.datastore(ctx)
	if err != nil {
		return nil, err
	}
	networkName := spec.Network
	if networkName == "" {
		networkName = set.Network
	}
	network, err := inv.network(ctx, networkName)
	if err != nil {
		return nil, err
	}
	backing, err := network.EthernetCardBackingInfo(ctx)
	if err != nil {
		return nil, err
	}

	config := &types.VirtualMachineConfigSpec{
		InstanceUuid: uuid,
		Annotation:   fmt.Sprintf("Made by dvmm for request %s of tenant %s.", spec.RequestID, spec.Tenant),
		ExtraConfig: []types.BaseOptionValue{
			&types.OptionValue{Key: RequestIDKey, Value: spec.RequestID},
			&types.OptionValue{Key: "dvmm.tenant", Value: spec.Tenant},
		},
	}
	hw := tvm.Config.Hardware
	devices := object.VirtualDeviceList(hw.Device)
	if have := diskKB(devices); spec.DiskGB > 0 && have > int64(spec.DiskGB)*1024*1024 {
		// vSphere cannot shrink a disk: refuse before anything is made.
		return nil, &app.Fault{Code: app.FaultTemplateDiskTooLarge,
			Message: fmt.Sprintf("the disk of template %q (%s) is larger than the %d GB the size gives: choose a larger size or a template with a smaller disk",
				set.Template, gbString(have), spec.DiskGB)}
	}
	if spec.CPUs > 0 {
		config.NumCPUs = int32(spec.CPUs)
		config.NumCoresPerSocket = coresPerSocket(hw, spec.CPUs)
	}
	if spec.MemoryMB > 0 {
		config.MemoryMB = int64(spec.MemoryMB)
	}
	if nics := devices.SelectByType((*types.VirtualEthernetCard)(nil)); len(nics) > 0 {
		nic := nics[0]
		card := nic.(types.BaseVirtualEthernetCard).GetVirtualEthernetCard()
		card.Backing = backing
		if card.Connectable == nil {
			card.Connectable = &types.VirtualDeviceConnectInfo{}
		}
		card.Connectable.StartConnected = true
		config.DeviceChange = append(config.DeviceChange, &types.VirtualDeviceConfigSpec{
			Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: nic})
	} else {
		nic, err := devices.CreateEthernetCard("vmxnet3", backing)
		if err != nil {
			return nil, err
		}
		config.DeviceChange = append(config.DeviceChange, &types.VirtualDeviceConfigSpec{
			Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: nic})
	}
	if d := growDisk(devices, spec.DiskGB); d != nil {
		config.DeviceChange = append(config.DeviceChange, d)
	}
	if len(spec.UserData) > 0 {
		// cloud-init's VMware datasource reads these two keys.
		config.ExtraConfig = append(config.ExtraConfig,
			&types.OptionValue{Key: "guestinfo.userdata", Value: base64.StdEncoding.EncodeToString(spec.UserData)},
			&types.OptionValue{Key: "guestinfo.userdata.encoding", Value: "base64"})
	}
	poolRef, dsRef := pool.Reference(), ds.Reference()
	return &clonePlan{template: tmpl, spec: types.VirtualMachineCloneSpec{
		Location:      types.VirtualMachineRelocateSpec{Pool: &poolRef, Datastore: &dsRef},
		Config:        config,
		Customization: customization(spec),
	}}, nil
}

// customization is the guest customization of a new VM: its host name
// is its name, and its NIC takes DHCP or the address leased for it.
func customization(spec app.MachineSpec) *types.CustomizationSpec {
	hostname := spec.Hostname
	if hostname == "" {
		hostname = spec.Name
	}
	adapter := types.CustomizationIPSettings{Ip: &types.CustomizationDhcpIpGenerator{}}
	global := types.CustomizationGlobalIPSettings{}
	if ip := spec.StaticIP; ip != nil {
		adapter = types.CustomizationIPSettings{Ip: &types.CustomizationFixedIp{IpAddress: ip.Address},
			SubnetMask: prefixMask(ip.Prefix), DnsServerList: ip.DNS}
		if ip.Gateway != "" {
			adapter.Gateway = []string{ip.Gateway}
		}
		global.DnsServerList = ip.DNS
	}
	return &types.CustomizationSpec{
		Identity: &types.CustomizationLinuxPrep{HostName: &types.CustomizationFixedName{Name: hostname},
			HwClockUTC: types.NewBool(true)},
		GlobalIPSettings: global,
		NicSettingMap:    []types.CustomizationAdapterMapping{{Adapter: adapter}},
	}
}

// prefixMask is the dotted IPv4 mask of a prefix length.
func prefixMask(prefix int) string {
	m := net.CIDRMask(prefix, 32)
	return net.IP(m).String()
}

// namedVM returns the VM named spec.Name in folder when it was made for
// spec's request; another VM of that name is a permanent fault.
func (s *conn) namedVM(ctx context.Context, folder *object.Folder, spec app.MachineSpec) (*object.VirtualMachine, error) {
	ref, kind, err := s.childNamed(ctx, folder, spec.Name)
	if err != nil || ref == nil {
		return nil, err
	}
	if kind != "VirtualMachine" {
		return nil, &app.Fault{Code: app.FaultNameTaken, Message: fmt.Sprintf("%q in folder %s is not a VM: choose another name", spec.Name, spec.Folder)}
	}
	vm := object.NewVirtualMachine(s.vc, *ref)
	var mvm mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"config.extraConfig"}, &mvm); err != nil {
		return nil, err
	}
	owner := ""
	if mvm.Config != nil {
		owner = extraConfig(mvm.Config.ExtraConfig, RequestIDKey)
	}
	if owner == spec.RequestID {
		return vm, nil
	}
	who := "was not made by dvmm"
	if owner != "" {
		who = "belongs to request " + owner
	}
	return nil, &app.Fault{Code: app.FaultNameTaken,
		Message: fmt.Sprintf("a VM named %s already exists in folder %s and %s: choose another name or remove that VM", spec.Name, spec.Folder, who)}
}

// childNamed finds a folder's child by name through the property
// collector. SearchIndex.FindChild would do, but vcsim panics (and then
// deadlocks) in it when a clone into the same folder is half made, and
// several workers clone into a project's folder at once.
func (s *conn) childNamed(ctx context.Context, folder *object.Folder, name string) (*types.ManagedObjectReference, string, error) {
	var f mo.Folder
	if err := folder.Properties(ctx, folder.Reference(), []string{"childEntity"}, &f); err != nil {
		return nil, "", err
	}
	if len(f.ChildEntity) == 0 {
		return nil, "", nil
	}
	objects := make([]types.ObjectSpec, len(f.ChildEntity))
	kinds := map[string]bool{}
	for i, ref := range f.ChildEntity {
		objects[i] = types.ObjectSpec{Obj: ref}
		kinds[ref.Type] = true
	}
	var props []types.PropertySpec
	for kind := range kinds {
		props = append(props, types.PropertySpec{Type: kind, PathSet: []string{"name"}})
	}
	res, err := property.DefaultCollector(s.vc).RetrieveProperties(ctx, types.RetrieveProperties{
		SpecSet: []types.PropertyFilterSpec{{ObjectSet: objects, PropSet: props}},
	})
	if err != nil {
		return nil, "", err
	}
	for _, oc := range res.Returnval {
		for _, p := range oc.PropSet {
			if p.Name == "name" && p.Val == name {
				ref := oc.Obj
				return &ref, ref.Type, nil
			}
		}
	}
	return nil, "", nil
}

func extraConfig(opts []types.BaseOptionValue, key string) string {
	for _, o := range opts {
		if v := o.GetOptionValue(); v != nil && v.Key == key {
			s, _ := v.Value.(string)
			return s
		}
	}
	return ""
}

// findByUUID looks a VM up by instance UUID, in all datacenters.
func (s *conn) findByUUID(ctx context.Context, uuid string) (*object.VirtualMachine, error) {
	instance := true
	ref, err := object.NewSearchIndex(s.vc).FindByUuid(ctx, nil, uuid, true, &instance)
	if err != nil || ref == nil {
		return nil, err
	}
	vm, ok := ref.(*object.VirtualMachine)
	if !ok {
		return nil, nil
	}
	return vm, nil
}

// findRequestVM finds the VM of a request by what was recorded of it
// (moref, instance UUID; either may be ""), then by the request's
// instance UUID, then, should vCenter have dropped or changed that, by the
// request id in the extraConfig of the VMs below the configured folder. It
// returns nil when there is none.
func (s *conn) findRequestVM(ctx context.Context, requestID, moref, instanceUUID string) (*object.VirtualMachine, error) {
	uuid := InstanceUUID(requestID)
	if moref != "" {
		ref := types.ManagedObjectReference{Type: "VirtualMachine", Value: moref}
		var mvm mo.VirtualMachine
		err := property.DefaultCollector(s.vc).RetrieveOne(ctx, ref, []string{"config.instanceUuid", "config.extraConfig"}, &mvm)
		if err != nil && !isGone(err) {
			return nil, err
		}
		// A moref names an object in one vCenter only: it is this
		// request's VM when the VM says so.
		if err == nil && mvm.Config != nil && (extraConfig(mvm.Config.ExtraConfig, RequestIDKey) == requestID ||
			mvm.Config.InstanceUuid == uuid || instanceUUID != "" && mvm.Config.InstanceUuid == instanceUUID) {
			return object.NewVirtualMachine(s.vc, ref), nil
		}
	}
	uuids := []string{uuid}
	if instanceUUID != "" && instanceUUID != uuid {
		uuids = []string{instanceUUID, uuid}
	}
	for _, u := range uuids {
		vm, err := s.findByUUID(ctx, u)
		if err != nil || vm != nil {
			return vm, err
		}
	}
	return s.findTagged(ctx, requestID)
}

// findTagged finds the VM that carries requestID in its extraConfig below
// the configured folder.
func (s *conn) findTagged(ctx context.Context, requestID string) (*object.VirtualMachine, error) {
	inv, err := s.inventory(ctx)
	if err != nil {
		return nil, err
	}
	base, err := inv.folder(ctx, s.settings.Folder, false)
	if err != nil || base == nil {
		return nil, err
	}
	m := view.NewManager(s.vc)
	v, err := m.CreateContainerView(ctx, base.Reference(), []string{"VirtualMachine"}, true)
	if err != nil {
		return nil, err
	}
	defer func() { _ = v.Destroy(context.WithoutCancel(ctx)) }()
	var content []types.ObjectContent
	key := fmt.Sprintf("config.extraConfig[%q]", RequestIDKey)
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{key}, &content); err != nil {
		return nil, err
	}
	for _, oc := range content {
		for _, p := range oc.PropSet {
			if ov, ok := p.Val.(types.OptionValue); ok && ov.Value == requestID {
				return object.NewVirtualMachine(s.vc, oc.Obj), nil
			}
			if ov, ok := p.Val.(*types.OptionValue); ok && ov.Value == requestID {
				return object.NewVirtualMachine(s.vc, oc.Obj), nil
			}
		}
	}
	return nil, nil
}

// isGone reports vCenter saying an object does not exist (any more).
func isGone(err error) bool {
	return err != nil && fault.Is(err, &types.ManagedObjectNotFound{})
}

// machine reads what vCenter says of a VM now, and with withFolder where
// in the inventory it is. Its addresses are those of nics (nil: any of
// its NICs).
func (s *conn) machine(ctx context.Context, vm *object.VirtualMachine, withFolder bool, nics []nicID) (app.Machine, error) {
	var mvm mo.VirtualMachine
	if err := property.DefaultCollector(s.vc).RetrieveOne(ctx, vm.Reference(), machineProps, &mvm); err != nil {
		return app.Machine{}, err
	}
	m := toMachine(mvm, nics)
	if !withFolder {
		return m, nil
	}
	if p, err := find.InventoryPath(ctx, s.vc, vm.Reference()); err == nil {
		// "/DC/vm/dvmm/acme/shop/web-01" → "dvmm/acme/shop"
		parts := strings.Split(strings.TrimPrefix(path.Dir(p), "/"), "/")
		for i, part := range parts {
			if part == "vm" && i > 0 {
				m.Folder = strings.Join(parts[i+1:], "/")
				break
			}
		}
	}
	return m, nil
}

// wait starts a task and waits for it, within the task deadline; with a
// result pointer it stores the task's result there.
func (s *conn) wait(ctx context.Context, start func(context.Context) (*object.Task, error), result ...*types.ManagedObjectReference) error {
	tctx, cancel := context.WithTimeout(ctx, s.c.opts.TaskTimeout)
	defer cancel()
	t, err := start(tctx)
	if err != nil {
		return err
	}
	var ref *types.ManagedObjectReference
	if len(result) > 0 {
		ref = result[0]
	}
	return s.waitTask(tctx, t, ref)
}

// waitTask waits for a started task; with a result pointer it stores the
// task's result there.
func (s *conn) waitTask(ctx context.Context, t *object.Task, result *types.ManagedObjectReference) error {
	info, err := t.WaitForResult(ctx)
	if err != nil {
		return err
	}
	if result != nil {
		ref, ok := info.Result.(types.ManagedObjectReference)
		if !ok {
			return &app.Fault{Code: app.FaultVsphere, Message: fmt.Sprintf("vCenter %s task %s returned no object", s.w.host, info.Name)}
		}
		*result = ref
	}
	return nil
}

// nicID names one NIC of a VM as the guest reports it: its MAC and the
// name of the network it is on.
type nicID struct{ MAC, Network string }

// address is where a VM can be reached: its global unicast addresses on
// one NIC. MAC is "" when they come from guest.ipAddress, which does not
// say which NIC holds it.
type address struct{ IPv4, IPv6, MAC string }

// guestAddress picks the addresses of the first of nics (in order of
// preference) that has a global unicast IPv4 address in the guest's
// per-NIC data (guest.net), matched by MAC or else by network name. The
// guest lists loopback, link-local and other interfaces' addresses too (a
// Docker bridge is often first, and is then what guest.ipAddress holds),
// so those never count. Only a guest that reports no per-NIC data at all
// falls back to guest.ipAddress.
func guestAddress(net []types.GuestNicInfo, ipAddress string, nics []nicID) address {
	if len(net) == 0 {
		var a address
		if ip := usableIP(ipAddress); ip != nil {
			if ip.To4() != nil {
				a.IPv4 = ip.String()
			} else {
				a.IPv6 = ip.String()
			}
		}
		return a
	}
	var best address
	for _, nic := range nics {
		for _, g := range guestNICs(net, nic) {
			a := address{MAC: strings.ToLower(g.MacAddress)}
			if a.MAC == "" {
				a.MAC = strings.ToLower(nic.MAC)
			}
			for _, s := range nicIPs(g) {
				ip := usableIP(s)
				switch {
				case ip == nil:
				case ip.To4() != nil && a.IPv4 == "":
					a.IPv4 = ip.String()
				case ip.To4() == nil && a.IPv6 == "":
					a.IPv6 = ip.String()
				}
			}
			if a.IPv4 != "" {
				return a
			}
			if best.IPv6 == "" && a.IPv6 != "" {
				best = a
			}
		}
	}
	return best
}

// guestNICs are the entries of guest.net that are nic: by MAC, or, when
// no entry has its MAC, by network name.
func guestNICs(net []types.GuestNicInfo, nic nicID) []types.GuestNicInfo {
	var out []types.GuestNicInfo
	if nic.MAC != "" {
		for _, g := range net {
			if strings.EqualFold(g.MacAddress, nic.MAC) {
				out = append(out, g)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	if nic.Network != "" {
		for _, g := range net {
			if g.Network == nic.Network {
				out = append(out, g)
			}
		}
	}
	return out
}

// nicIPs lists a guest NIC's addresses: its ipAddress list, then those of
// its IP configuration.
func nicIPs(g types.GuestNicInfo) []string {
	ips := slices.Clone(g.IpAddress)
	if g.IpConfig != nil {
		for _, a := range g.IpConfig.IpAddress {
			ips = append(ips, a.IpAddress)
		}
	}
	return ips
}

// usableIP parses an address a guest reports ("10.0.0.5",
// "fe80::1%eth0", "2001:db8::5/64") and returns it when it is global
// unicast: not loopback, link-local, multicast or unspecified.
func usableIP(s string) net.IP {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "%/"); i >= 0 {
		s = s[:i]
	}
	ip := net.ParseIP(s)
	if ip == nil || !ip.IsGlobalUnicast() {
		return nil
	}
	return ip
}

// vmNICs lists a VM's virtual NICs in device order, those on network
// first (by moref when netRef is set, else by name).
func vmNICs(devices object.VirtualDeviceList, networkName string, netRef *types.ManagedObjectReference) []nicID {
	var on, others []nicID
	for _, d := range devices.SelectByType((*types.VirtualEthernetCard)(nil)) {
		card := d.(types.BaseVirtualEthernetCard).GetVirtualEthernetCard()
		id := nicID{MAC: card.MacAddress}
		match := false
		switch b := card.Backing.(type) {
		case *types.VirtualEthernetCardNetworkBackingInfo:
			id.Network = b.DeviceName
			match = netRef != nil && b.Network != nil && b.Network.Value == netRef.Value ||
				netRef == nil && networkName != "" && b.DeviceName == networkName
		case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
			match = netRef != nil && b.Port.PortgroupKey == netRef.Value
		case *types.VirtualEthernetCardOpaqueNetworkBackingInfo:
			match = netRef == nil && networkName != "" && b.OpaqueNetworkId == networkName
		}
		if match {
			id.Network = networkName
			on = append(on, id)
		} else {
			others = append(others, id)
		}
	}
	if len(on) > 0 {
		// Only the NIC on the requested network may give the VM's address.
		return on
	}
	return others
}

package vsphere

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
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
	"config.hardware.memoryMB", "runtime.powerState", "guest.ipAddress", "guest.hostName"}

func toMachine(vm mo.VirtualMachine) app.Machine {
	m := app.Machine{Name: vm.Name, MoRef: vm.Self.Value, PowerState: string(vm.Runtime.PowerState)}
	if vm.Config != nil {
		m.InstanceUUID = vm.Config.InstanceUuid
		m.CPUs = int(vm.Config.Hardware.NumCPU)
		m.MemoryMB = int(vm.Config.Hardware.MemoryMB)
	}
	if vm.Guest != nil {
		m.IP, m.Hostname = vm.Guest.IpAddress, vm.Guest.HostName
	}
	return m
}

// Provision makes the VM of spec, or adopts the one an earlier attempt made
// for the same request, sizes it, powers it on and waits (up to
// spec.IPTimeout) for its IP. Past that deadline it returns the VM with
// no IP. An error of progress stops it and comes back unchanged.
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
	var m app.Machine
	var found bool
	err := c.do(ctx, t, true, func(ctx context.Context, s *conn) error {
		vm, err := s.findRequestVM(ctx, requestID)
		if err != nil || vm == nil {
			found = false
			return err
		}
		m, err = s.machine(ctx, vm, true)
		found = err == nil
		return err
	})
	return m, found, err
}

// Remove powers off and deletes the VM made for a request; a request
// without a VM is not an error.
func (c *Client) Remove(ctx context.Context, t app.Target, requestID string) error {
	return c.do(ctx, t, true, func(ctx context.Context, s *conn) error {
		vm, err := s.findRequestVM(ctx, requestID)
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
	uuid := InstanceUUID(spec.RequestID)
	inv, err := s.inventory(ctx)
	if err != nil {
		return app.Machine{}, err
	}
	vm, err := s.findByUUID(ctx, uuid)
	if err != nil {
		return app.Machine{}, err
	}
	var folder *object.Folder
	if vm == nil {
		// The same name in the folder may be this request's VM with
		// another instance UUID, or somebody else's VM.
		if folder, err = inv.folder(ctx, spec.Folder, false); err != nil {
			return app.Machine{}, err
		}
		if folder != nil {
			if vm, err = s.namedVM(ctx, folder, spec); err != nil {
				return app.Machine{}, err
			}
		}
	}
	adopted := vm != nil
	if adopted {
		s.c.log.Info("adopting the VM of an earlier attempt", slog.String("request_id", spec.RequestID), slog.String("moref", vm.Reference().Value))
		if err := report(app.StageAdopting); err != nil {
			return app.Machine{}, err
		}
	} else {
		plan, err := s.plan(ctx, inv, spec, uuid)
		if err != nil {
			return app.Machine{}, err
		}
		if folder == nil {
			if folder, err = inv.folder(ctx, spec.Folder, true); err != nil {
				return app.Machine{}, err
			}
		}
		if err := report(app.StageCloning); err != nil {
			return app.Machine{}, err
		}
		var ref types.ManagedObjectReference
		err = s.wait(ctx, func(ctx context.Context) (*object.Task, error) {
			return plan.template.Clone(ctx, folder, spec.Name, plan.spec)
		}, &ref)
		if fault.Is(err, &types.DuplicateName{}) {
			// A concurrent attempt may have made it just now.
			if vm, _ = s.findByUUID(ctx, uuid); vm != nil {
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
	return s.finish(ctx, vm, spec, adopted, report)
}

// finish makes sure a cloned or adopted VM has its size, is powered on
// and has an IP, or the IP deadline passed.
func (s *conn) finish(ctx context.Context, vm *object.VirtualMachine, spec app.MachineSpec, adopted bool, report func(app.Stage) error) (app.Machine, error) {
	var mvm mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"config.hardware", "runtime.powerState", "guest.ipAddress"}, &mvm); err != nil {
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
	if mvm.Guest == nil || mvm.Guest.IpAddress == "" || !adopted {
		if err := report(app.StageWaitingNetwork); err != nil {
			return app.Machine{}, err
		}
		timeout := spec.IPTimeout
		if timeout <= 0 {
			timeout = app.DefaultIPTimeout
		}
		ipctx, cancel := context.WithTimeout(ctx, timeout)
		_, err := vm.WaitForIP(ipctx, true)
		cancel()
		if err != nil {
			if ctx.Err() != nil || ipctx.Err() == nil {
				return app.Machine{}, err
			}
			s.c.log.Info("no IP before the deadline: the VM is ready with its IP pending", slog.String("vm", spec.Name), slog.Duration("waited", timeout))
		}
	}
	m, err := s.machine(ctx, vm, adopted)
	if err != nil {
		return app.Machine{}, err
	}
	m.Adopted = adopted
	if m.Folder == "" {
		m.Folder = spec.Folder
	}
	return m, nil
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

// growDisk edits the first disk to diskGB when it is smaller.
func growDisk(devices object.VirtualDeviceList, diskGB int) types.BaseVirtualDeviceConfigSpec {
	disks := devices.SelectByType((*types.VirtualDisk)(nil))
	if len(disks) == 0 || diskGB <= 0 {
		return nil
	}
	disk := disks[0].(*types.VirtualDisk)
	want := int64(diskGB) * 1024 * 1024
	have := disk.CapacityInKB
	if disk.CapacityInBytes > 0 {
		have = disk.CapacityInBytes / 1024
	}
	if have >= want {
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
	if spec.CPUs > 0 {
		config.NumCPUs = int32(spec.CPUs)
		config.NumCoresPerSocket = coresPerSocket(hw, spec.CPUs)
	}
	if spec.MemoryMB > 0 {
		config.MemoryMB = int64(spec.MemoryMB)
	}
	devices := object.VirtualDeviceList(hw.Device)
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
	poolRef, dsRef := pool.Reference(), ds.Reference()
	return &clonePlan{template: tmpl, spec: types.VirtualMachineCloneSpec{
		Location: types.VirtualMachineRelocateSpec{Pool: &poolRef, Datastore: &dsRef},
		Config:   config,
	}}, nil
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

// findRequestVM finds the VM of a request by instance UUID or, should
// vCenter have changed that, by the request id in the extraConfig of the
// VMs below the configured folder.
func (s *conn) findRequestVM(ctx context.Context, requestID string) (*object.VirtualMachine, error) {
	vm, err := s.findByUUID(ctx, InstanceUUID(requestID))
	if err != nil || vm != nil {
		return vm, err
	}
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

// machine reads what vCenter says of a VM now, and with withFolder where
// in the inventory it is.
func (s *conn) machine(ctx context.Context, vm *object.VirtualMachine, withFolder bool) (app.Machine, error) {
	var mvm mo.VirtualMachine
	if err := property.DefaultCollector(s.vc).RetrieveOne(ctx, vm.Reference(), machineProps, &mvm); err != nil {
		return app.Machine{}, err
	}
	m := toMachine(mvm)
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
	task, err := start(tctx)
	if err != nil {
		return err
	}
	info, err := task.WaitForResult(tctx)
	if err != nil {
		return err
	}
	if len(result) > 0 {
		ref, ok := info.Result.(types.ManagedObjectReference)
		if !ok {
			return &app.Fault{Code: app.FaultVsphere, Message: fmt.Sprintf("vCenter %s task %s returned no object", s.w.host, info.Name)}
		}
		*result[0] = ref
	}
	return nil
}

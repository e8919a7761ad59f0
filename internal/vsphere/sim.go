package vsphere

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dvmm/dvmm/internal/app"
)

// Inventory names of the simulated vCenter (those of govmomi's VPX model).
const (
	SimDatacenter = "DC0"
	SimCluster    = "DC0_C0"
	SimDatastore  = "LocalDS_0"
	SimNetwork    = "VM Network"
	SimTemplate   = "ubuntu-22.04-template"
	SimUsername   = "administrator@vsphere.local"
)

// SimOptions configures an embedded simulator. The zero value is usable.
type SimOptions struct {
	// Listen is the address of the HTTPS SOAP endpoint; default 127.0.0.1:0.
	Listen string
	// Username and Password are the only credentials the simulator
	// accepts; defaults: administrator@vsphere.local and a random password.
	Username string
	Password string
	// IPDelay is how long a VM that powers on waits for its IP address
	// (the emulated DHCP); default 300ms, negative means never.
	IPDelay time.Duration
	// CloneDelay makes each CloneVM_Task call that much slower.
	CloneDelay time.Duration
	// MethodDelays make each call of the named SOAP methods that much
	// slower (a vCenter that stops answering after login, say).
	MethodDelays map[string]time.Duration
	// CloneTaskDelay makes each clone task run that much longer after
	// vCenter accepted it and returned the task, as a real clone does. It
	// sets vcsim's task delay, which is process-wide: a simulator with it
	// must be the only one in its process (simproc runs each in its own).
	CloneTaskDelay time.Duration
	// DockerBridge makes each guest report its NICs as a guest running
	// Docker does: a docker0 bridge first in guest.net (and its address
	// as guest.ipAddress), and link-local addresses before the leased
	// ones on the real NIC.
	DockerBridge bool
	// DropCloneIdentity makes the simulator ignore the instance UUID and
	// extraConfig of a clone spec, as some vCenters do: the clone gets an
	// instance UUID of vCenter's choosing and no request id.
	DropCloneIdentity bool
	// TemplateDiskGB is the size of the template's disk; default 20.
	TemplateDiskGB int
	// Dir holds the CA file; default a temporary directory removed by Close.
	Dir string
	// Logger receives the simulator's own lines; default none.
	Logger *slog.Logger
}

// Simulator is an embedded vCenter (govmomi's vcsim) serving SOAP over
// HTTPS with a self-signed certificate, a template to clone and DHCP: a
// VM that powers on gets an IP address after SimOptions.IPDelay. It is
// for 'dvmm demo', 'dvmm sim' and tests; the DHCP emulation lives here
// only, never in Client.
//
// Each Simulator has its own inventory (govmomi v0.56.0 keeps the object
// registry per model), so several may run in one process at once; only
// their start is serialised (see createMu).
type Simulator struct {
	model    *simulator.Model
	server   *simulator.Server
	local    *vim25.Client // in-process client, no session, no network
	url      string
	username string
	password string
	thumb    string
	caFile   string
	tmpDir   string
	log      *slog.Logger
	dhcp     *dhcp

	callsMu sync.Mutex
	calls   map[string]int // SOAP calls received, by method
	// Clone and power tasks in flight: from the SOAP call's arrival to
	// the task's end, and the most seen at once.
	inFlight, peakInFlight int

	counted     bool // in running
	taskDelayed bool // set vcsim's task delay

	closeOnce sync.Once
}

// createMu serialises building simulator inventories: govmomi v0.56.0
// updates a package-level license (simulator.EvalLicense) while it builds
// one, a data race when two simulators start at once. Running ones do not
// share state.
var createMu sync.Mutex

// Under createMu: how many simulators run in this process, and whether
// one of them set vcsim's process-wide task delay.
var (
	running     int
	taskDelayed bool
)

// StartSimulator builds the inventory, creates the template and starts
// serving. Close stops it.
func StartSimulator(ctx context.Context, o SimOptions) (sim *Simulator, err error) {
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.Username == "" {
		o.Username = SimUsername
	}
	if o.Password == "" {
		o.Password = randomPassword()
	}
	if o.IPDelay == 0 {
		o.IPDelay = 300 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	host, _, err := net.SplitHostPort(o.Listen)
	if err != nil {
		return nil, fmt.Errorf("simulator listen address %q: %w", o.Listen, err)
	}

	s := &Simulator{username: o.Username, password: o.Password, log: o.Logger, calls: map[string]int{}}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()

	dir := o.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "dvmm-sim-"); err != nil {
			return nil, err
		}
		s.tmpDir = dir
	}
	cert, certPEM, err := selfSignedCert(host)
	if err != nil {
		return nil, fmt.Errorf("simulator certificate: %w", err)
	}
	s.caFile = filepath.Join(dir, "vcsim-ca.pem")
	if err := os.WriteFile(s.caFile, certPEM, 0o600); err != nil {
		return nil, err
	}
	s.thumb = soap.ThumbprintSHA256(cert.Leaf)

	m := simulator.VPX()
	m.Machine = 0 // no sample VMs: the template is the only one
	if o.CloneDelay > 0 || len(o.MethodDelays) > 0 {
		// Per-service SOAP delays: they slow the call itself, hold no
		// inventory lock and touch no global.
		m.DelayConfig.MethodDelay = map[string]int{}
		for method, d := range o.MethodDelays {
			m.DelayConfig.MethodDelay[method] = int(d / time.Millisecond)
		}
		if o.CloneDelay > 0 {
			m.DelayConfig.MethodDelay["CloneVM_Task"] = int(o.CloneDelay / time.Millisecond)
		}
	}
	createMu.Lock()
	if o.CloneTaskDelay > 0 && running > 0 || taskDelayed {
		createMu.Unlock()
		return nil, errors.New("a simulator with a clone task delay must be the only one in its process")
	}
	if o.CloneTaskDelay > 0 {
		// "LockHandoff" 0: the task takes the template's lock after its
		// delay, not before, so vCenter can be read while it clones.
		simulator.TaskDelay.MethodDelay = map[string]int{"CloneVm": int(o.CloneTaskDelay / time.Millisecond), "LockHandoff": 0}
		taskDelayed = true
		s.taskDelayed = true
	}
	running++
	s.counted = true
	err = m.Create()
	createMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("simulator inventory: %w", err)
	}
	s.model = m
	// Count each call as it arrives, before any delay or fault: tests wait
	// for "the clone has reached vCenter" instead of sleeping.
	m.Map().Handler = func(_ *simulator.Context, method *simulator.Method) (mo.Reference, types.BaseMethodFault) {
		s.callsMu.Lock()
		s.calls[method.Name]++
		if limitedTask[method.Name] != "" {
			s.inFlight++
			s.peakInFlight = max(s.peakInFlight, s.inFlight)
		}
		s.callsMu.Unlock()
		if o.DropCloneIdentity {
			dropCloneIdentity(method)
		}
		return nil, nil
	}

	s.local, err = vim25.NewClient(ctx, m.Service)
	if err != nil {
		return nil, err
	}
	if o.TemplateDiskGB <= 0 {
		o.TemplateDiskGB = 20
	}
	if err := s.createTemplate(ctx, o.TemplateDiskGB); err != nil {
		return nil, fmt.Errorf("simulator template: %w", err)
	}
	m.Map().AddHandler(&taskWatch{s: s, self: types.ManagedObjectReference{Type: "TaskWatch", Value: "taskwatch-1"}})
	if o.IPDelay > 0 {
		s.dhcp = newDHCP(m.Map(), o.IPDelay, o.DockerBridge, o.Logger)
		m.Map().AddHandler(s.dhcp)
	}

	m.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	m.Service.Listen = &url.URL{Host: o.Listen, User: url.UserPassword(o.Username, o.Password)}
	if s.server, err = newServer(m.Service); err != nil {
		return nil, err
	}
	u := *s.server.URL
	u.User = nil
	if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
		// Serve the URL under the name we were asked to listen on, which
		// the certificate covers.
		u.Host = net.JoinHostPort(host, u.Port())
	}
	s.url = u.String()
	s.log.Info("vCenter simulator started", slog.String("url", s.url))
	return s, nil
}

// newServer starts serving; vcsim panics when it cannot listen.
func newServer(svc *simulator.Service) (srv *simulator.Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("simulator cannot listen on %s: %v", svc.Listen.Host, r)
		}
	}()
	return svc.NewServer(), nil
}

// URL of the SOAP endpoint, e.g. https://127.0.0.1:8989/sdk.
func (s *Simulator) URL() string { return s.url }

// Username the simulator accepts.
func (s *Simulator) Username() string { return s.username }

// Password the simulator accepts.
func (s *Simulator) Password() string { return s.password }

// Thumbprint is the SHA-256 thumbprint of the simulator's certificate.
func (s *Simulator) Thumbprint() string { return s.thumb }

// CAFile is a PEM file with the simulator's self-signed certificate.
func (s *Simulator) CAFile() string { return s.caFile }

// Settings returns VMware settings that point at the simulator, verified
// by thumbprint, with VMs made below folder.
func (s *Simulator) Settings(folder string) app.VMwareSettings {
	return app.VMwareSettings{
		URL: s.url, Username: s.username, Datacenter: SimDatacenter, Cluster: SimCluster,
		Datastore: SimDatastore, Network: SimNetwork, Template: SimTemplate, Folder: folder,
		Thumbprint: s.thumb, IPTimeoutSec: 30, HasPassword: true,
	}
}

// Target is Settings with the password, as the app hands it to a Hypervisor.
func (s *Simulator) Target(tenant, folder string) app.Target {
	return app.Target{Tenant: tenant, Settings: s.Settings(folder), Password: s.password}
}

// Fault makes the next count calls of a SOAP method (e.g. "CloneVM_Task")
// fail with f; count 0 means every call until ClearFaults.
func (s *Simulator) Fault(method string, count int, f types.BaseMethodFault) {
	s.model.Service.AddFaultRule(&simulator.FaultInjectionRule{
		MethodName: method, ObjectType: "*", ObjectName: "*", Probability: 1,
		FaultType: simulator.FaultTypeCustom, Fault: f, MaxCount: count, Enabled: true,
	})
}

// ClearFaults removes every fault added by Fault.
func (s *Simulator) ClearFaults() { s.model.Service.ClearFaultRules() }

// CountVMs counts the VMs (not templates) below a folder path relative to
// the datacenter's VM folder, at any depth. A missing folder has none.
func (s *Simulator) CountVMs(ctx context.Context, folder string) (int, error) {
	vms, err := s.ListVMs(ctx, folder)
	return len(vms), err
}

// ListVMs lists the VMs (not templates) below a folder path relative to
// the datacenter's VM folder, at any depth, as vCenter sees them now.
func (s *Simulator) ListVMs(ctx context.Context, folder string) ([]app.Machine, error) {
	base := "/" + SimDatacenter + "/vm"
	if p := cleanFolder(folder); p != "" {
		base += "/" + p
	}
	f := find.NewFinder(s.local, false)
	list, err := f.VirtualMachineList(ctx, base+"/...")
	if err != nil {
		var nf *find.NotFoundError
		if errors.As(err, &nf) {
			return nil, nil
		}
		return nil, err
	}
	refs := make([]types.ManagedObjectReference, len(list))
	paths := map[types.ManagedObjectReference]string{}
	for i, vm := range list {
		refs[i] = vm.Reference()
		paths[refs[i]] = vm.InventoryPath
	}
	var mvms []mo.VirtualMachine
	if err := property.DefaultCollector(s.local).Retrieve(ctx, refs, machineProps, &mvms); err != nil {
		return nil, err
	}
	var out []app.Machine
	for _, mvm := range mvms {
		if mvm.Config != nil && mvm.Config.Template {
			continue
		}
		m := toMachine(mvm, nil)
		m.Folder = strings.TrimPrefix(path.Dir(paths[mvm.Self]), "/"+SimDatacenter+"/vm/")
		out = append(out, m)
	}
	return out, nil
}

// Calls counts the SOAP calls of a method (e.g. "CloneVM_Task") that the
// simulator has received so far, counted before any delay or fault;
// method "*" counts every call (the round trips a client made).
func (s *Simulator) Calls(method string) int {
	s.callsMu.Lock()
	defer s.callsMu.Unlock()
	if method == "*" {
		n := 0
		for _, c := range s.calls {
			n += c
		}
		return n
	}
	return s.calls[method]
}

// limitedTask maps the SOAP methods whose tasks dvmm limits per vCenter
// to the names vcsim gives their tasks.
var limitedTask = map[string]string{"CloneVM_Task": "CloneVm", "PowerOnVM_Task": "PowerOn", "PowerOffVM_Task": "PowerOff"}

// PeakInFlight is the most clone and power tasks the simulator had in
// flight at once (from the call's arrival to the task's end); reset
// starts counting again.
func (s *Simulator) PeakInFlight(reset bool) int {
	s.callsMu.Lock()
	defer s.callsMu.Unlock()
	p := s.peakInFlight
	if reset {
		s.peakInFlight = s.inFlight
	}
	return p
}

// taskWatch sees tasks end, for PeakInFlight.
type taskWatch struct {
	s    *Simulator
	self types.ManagedObjectReference
}

func (w *taskWatch) Reference() types.ManagedObjectReference                       { return w.self }
func (w *taskWatch) PutObject(*simulator.Context, mo.Reference)                    {}
func (w *taskWatch) RemoveObject(*simulator.Context, types.ManagedObjectReference) {}

func (w *taskWatch) UpdateObject(_ *simulator.Context, obj mo.Reference, changes []types.PropertyChange) {
	t, ok := obj.(*mo.Task) // handlers see the managed object, not vcsim's wrapper
	if !ok || t.Info.Name == "" {
		return
	}
	for _, c := range changes {
		if c.Name != "info.state" || (c.Val != types.TaskInfoStateSuccess && c.Val != types.TaskInfoStateError) {
			continue
		}
		for _, name := range limitedTask {
			if t.Info.Name == name {
				w.s.callsMu.Lock()
				w.s.inFlight--
				w.s.callsMu.Unlock()
				return
			}
		}
	}
}

// Close stops the server and removes the simulator's files.
func (s *Simulator) Close() {
	s.closeOnce.Do(func() {
		if s.dhcp != nil {
			s.dhcp.stop()
		}
		if s.server != nil {
			s.server.Close()
		}
		if s.model != nil {
			s.model.Remove()
		}
		createMu.Lock()
		if s.counted {
			running--
		}
		if s.taskDelayed {
			simulator.TaskDelay.MethodDelay = nil
			taskDelayed = false
		}
		createMu.Unlock()
		if s.tmpDir != "" {
			_ = os.RemoveAll(s.tmpDir)
		}
	})
}

// createTemplate makes the VM template clones are made from: 2 vCPU,
// 2 GB, a thin disk of diskGB on a paravirtual SCSI controller and a
// vmxnet3 NIC on the VM Network.
func (s *Simulator) createTemplate(ctx context.Context, diskGB int) error {
	f := find.NewFinder(s.local, false)
	dc, err := f.Datacenter(ctx, SimDatacenter)
	if err != nil {
		return err
	}
	f.SetDatacenter(dc)
	folders, err := dc.Folders(ctx)
	if err != nil {
		return err
	}
	cluster, err := f.ClusterComputeResource(ctx, SimCluster)
	if err != nil {
		return err
	}
	pool, err := cluster.ResourcePool(ctx)
	if err != nil {
		return err
	}
	ds, err := f.Datastore(ctx, SimDatastore)
	if err != nil {
		return err
	}
	network, err := f.Network(ctx, SimNetwork)
	if err != nil {
		return err
	}
	backing, err := network.EthernetCardBackingInfo(ctx)
	if err != nil {
		return err
	}
	var devices object.VirtualDeviceList
	scsi, err := devices.CreateSCSIController("pvscsi")
	if err != nil {
		return err
	}
	devices = append(devices, scsi)
	disk := devices.CreateDisk(scsi.(types.BaseVirtualController), ds.Reference(), ds.Path(SimTemplate+"/"+SimTemplate+".vmdk"))
	disk.CapacityInKB = int64(diskGB) * 1024 * 1024
	devices = append(devices, disk)
	nic, err := devices.CreateEthernetCard("vmxnet3", backing)
	if err != nil {
		return err
	}
	devices = append(devices, nic)
	changes, err := devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)
	if err != nil {
		return err
	}
	spec := types.VirtualMachineConfigSpec{
		Name: SimTemplate, GuestId: string(types.VirtualMachineGuestOsIdentifierUbuntu64Guest),
		NumCPUs: 2, MemoryMB: 2048, DeviceChange: changes,
		Files: &types.VirtualMachineFileInfo{VmPathName: "[" + SimDatastore + "]"},
	}
	task, err := folders.VmFolder.CreateVM(ctx, spec, pool, nil)
	if err != nil {
		return err
	}
	info, err := task.WaitForResult(ctx)
	if err != nil {
		return err
	}
	vm := object.NewVirtualMachine(s.local, info.Result.(types.ManagedObjectReference))
	return vm.MarkAsTemplate(ctx)
}

// dropCloneIdentity removes the instance UUID and extraConfig from a
// CloneVM_Task's spec before vcsim sees it.
func dropCloneIdentity(method *simulator.Method) {
	req, ok := method.Body.(*types.CloneVM_Task)
	if !ok || req.Spec.Config == nil {
		return
	}
	req.Spec.Config.InstanceUuid = ""
	req.Spec.Config.ExtraConfig = nil
}

// dhcp is the simulator's DHCP server: it watches the inventory through
// the registry's own change handlers and, when a VM powers on, gives it
// addresses (and a host name) after a delay, as VMware Tools would report
// them: per NIC in guest.net, where the first NIC gets an IPv4 and an
// IPv6 address, and in guest.ipAddress.
type dhcp struct {
	self   types.ManagedObjectReference
	reg    *simulator.Registry
	delay  time.Duration
	docker bool
	log    *slog.Logger

	mu      sync.Mutex
	leases  map[types.ManagedObjectReference]int
	next    int
	stopped bool
	wg      sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc
}

func newDHCP(reg *simulator.Registry, delay time.Duration, docker bool, log *slog.Logger) *dhcp {
	ctx, cancel := context.WithCancel(context.Background())
	return &dhcp{
		self: types.ManagedObjectReference{Type: "DvmmDHCP", Value: "dhcp-0"},
		reg:  reg, delay: delay, docker: docker, log: log,
		leases: map[types.ManagedObjectReference]int{}, next: 10,
		ctx: ctx, cancel: cancel,
	}
}

func (d *dhcp) Reference() types.ManagedObjectReference { return d.self }

func (d *dhcp) PutObject(*simulator.Context, mo.Reference) {}

func (d *dhcp) RemoveObject(_ *simulator.Context, ref types.ManagedObjectReference) {
	d.mu.Lock()
	delete(d.leases, ref)
	d.mu.Unlock()
}

// UpdateObject runs with the VM locked: it only schedules the lease.
func (d *dhcp) UpdateObject(_ *simulator.Context, obj mo.Reference, changes []types.PropertyChange) {
	vm, ok := obj.(*mo.VirtualMachine)
	if !ok {
		return
	}
	for _, c := range changes {
		if c.Name == "runtime.powerState" && c.Val == types.VirtualMachinePowerStatePoweredOn {
			d.schedule(vm.Self, vm.Name)
			return
		}
	}
}

func (d *dhcp) schedule(ref types.ManagedObjectReference, name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return
	}
	n, ok := d.leases[ref]
	if !ok {
		n = d.next
		d.next++
		d.leases[ref] = n
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		select {
		case <-d.ctx.Done():
			return
		case <-time.After(d.delay):
		}
		d.lease(ref, name, n)
	}()
}

// leaseIPs are the addresses of lease n: 10.0.0.11, 2001:db8::b, …
func leaseIPs(n int) (v4, v6 string) {
	return fmt.Sprintf("10.0.%d.%d", n/250, n%250+1), fmt.Sprintf("2001:db8::%x", n+1)
}

// Docker's default bridge, as a guest running Docker reports it.
const (
	dockerMAC = "02:42:ac:11:00:01"
	dockerIP  = "172.17.0.1"
)

// lease sets the guest addresses of a VM that is still powered on. It
// changes the VM in the registry, under the VM's lock, as vcsim's own
// handlers do: guest.net cannot be set through the API.
func (d *dhcp) lease(ref types.ManagedObjectReference, name string, n int) {
	vm, ok := d.reg.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return // destroyed meanwhile
	}
	v4, v6 := leaseIPs(n)
	sctx := &simulator.Context{Context: d.ctx, Map: d.reg}
	leased := false
	d.reg.WithLock(sctx, vm, func() {
		if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn || vm.Guest == nil {
			return
		}
		if len(vm.Guest.Net) > 0 && vm.Guest.Net[0].IpConfig != nil && len(vm.Guest.Net[0].IpConfig.IpAddress) > 0 {
			return // guest customization gave the NIC a fixed address: no DHCP lease
		}
		var nets []types.GuestNicInfo
		primary := v4
		if d.docker {
			nets = append(nets, types.GuestNicInfo{Network: "", MacAddress: dockerMAC, Connected: true, DeviceConfigId: -1,
				IpAddress: []string{dockerIP, "fe80::42:acff:fe11:1"}})
			primary = dockerIP
		}
		for i, g := range vm.Guest.Net {
			g.IpAddress, g.IpConfig = nil, nil
			if i == 0 {
				g.IpAddress = []string{v4, v6}
				if d.docker {
					g.IpAddress = []string{"fe80::250:56ff:fe00:" + strconv.FormatInt(int64(n), 16), "169.254.7.9", v4, v6}
				}
			}
			nets = append(nets, g)
		}
		d.reg.Update(sctx, vm, []types.PropertyChange{
			{Name: "guest.net", Val: nets},
			{Name: "guest.ipAddress", Val: primary},
			{Name: "summary.guest.ipAddress", Val: primary},
			{Name: "guest.hostName", Val: name},
			{Name: "summary.guest.hostName", Val: name},
		})
		leased = true
	})
	if leased {
		d.log.Debug("simulated DHCP lease", slog.String("vm", name), slog.String("ip", v4), slog.String("ipv6", v6))
	}
}

func (d *dhcp) stop() {
	d.mu.Lock()
	d.stopped = true
	d.mu.Unlock()
	d.cancel()
	d.wg.Wait()
}

// selfSignedCert makes an ECDSA certificate for the loopback names and
// the host the simulator listens on (all local addresses when that is
// unspecified). It is its own CA, so its PEM works as a CA file.
func selfSignedCert(listenHost string) (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "dvmm vCenter simulator", Organization: []string{"dvmm"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(5 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if ip := net.ParseIP(listenHost); ip != nil {
		if ip.IsUnspecified() {
			if addrs, err := net.InterfaceAddrs(); err == nil {
				for _, a := range addrs {
					if n, ok := a.(*net.IPNet); ok {
						tmpl.IPAddresses = append(tmpl.IPAddresses, n.IP)
					}
				}
			}
		} else {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		}
	} else if listenHost != "" {
		tmpl.DNSNames = append(tmpl.DNSNames, listenHost)
	}
	if name, err := os.Hostname(); err == nil && name != "" {
		tmpl.DNSNames = append(tmpl.DNSNames, name)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

func randomPassword() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "sim-" + hex.EncodeToString(b)
}

// ExpireSessions ends every client session, as vCenter does when a session
// times out or an admin terminates it; it returns how many it ended.
func (s *Simulator) ExpireSessions(ctx context.Context) (int, error) {
	sm := s.local.ServiceContent.SessionManager
	var msm mo.SessionManager
	if err := property.DefaultCollector(s.local).RetrieveOne(ctx, *sm, []string{"sessionList"}, &msm); err != nil {
		return 0, err
	}
	var ids []string
	for _, us := range msm.SessionList {
		ids = append(ids, us.Key)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	_, err := methods.TerminateSession(ctx, s.local, &types.TerminateSession{This: *sm, SessionId: ids})
	return len(ids), err
}

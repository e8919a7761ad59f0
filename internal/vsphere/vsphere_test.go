package vsphere_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/vsphere"
	"github.com/dvmm/dvmm/internal/vsphere/simproc"
)

// TestMain removes the simulator program that simproc builds.
func TestMain(m *testing.M) {
	code := m.Run()
	simproc.Cleanup()
	os.Exit(code)
}

// startSim starts a simulator in a process of its own (see simproc: the
// simulator has data races of its own that -race would report) that the
// test closes.
func startSim(tb testing.TB, o vsphere.SimOptions) *simproc.Sim {
	tb.Helper()
	sim, err := simproc.Start(context.Background(), o)
	if err != nil {
		tb.Fatalf("start simulator: %v", err)
	}
	tb.Cleanup(sim.Close)
	return sim
}

// startLocalSim starts a simulator in this process, for the tests of the
// simulator wrapper's own code, which the race detector must see. They
// run one vCenter task at a time, so the simulator's own races stay
// asleep.
func startLocalSim(tb testing.TB, o vsphere.SimOptions) *vsphere.Simulator {
	tb.Helper()
	sim, err := vsphere.StartSimulator(context.Background(), o)
	if err != nil {
		tb.Fatalf("start simulator: %v", err)
	}
	tb.Cleanup(sim.Close)
	return sim
}

// simulator is what tests use of a simulator, in this process or not.
type simulator interface {
	URL() string
	Username() string
	Password() string
	CountVMs(ctx context.Context, folder string) (int, error)
}

// newClient returns a Client that the test closes.
func newClient(tb testing.TB, o vsphere.Options) *vsphere.Client {
	c := vsphere.New(o)
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

func machineSpec(requestID, name string) app.MachineSpec {
	return app.MachineSpec{RequestID: requestID, Tenant: "acme", Name: name, Folder: "dvmm/acme/shop",
		CPUs: 4, MemoryMB: 8192, DiskGB: 100, IPTimeout: 20 * time.Second}
}

// stages records the stages Provision reports.
type stages struct {
	mu   sync.Mutex
	list []app.Stage
}

func (s *stages) report(st app.Stage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = append(s.list, st)
	return nil
}

func (s *stages) get() []app.Stage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.list)
}

// asFault fails the test unless err is an *app.Fault.
func asFault(tb testing.TB, err error) *app.Fault {
	tb.Helper()
	var f *app.Fault
	if !errors.As(err, &f) {
		tb.Fatalf("error %v (%T) is not an *app.Fault", err, err)
	}
	return f
}

// observer is a separate govmomi session on the simulator, to see what
// vCenter holds independently of the Client under test.
func observer(tb testing.TB, sim simulator) *vim25.Client {
	tb.Helper()
	ctx := context.Background()
	u, err := soap.ParseURL(sim.URL())
	if err != nil {
		tb.Fatal(err)
	}
	u.User = url.UserPassword(sim.Username(), sim.Password())
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		tb.Fatalf("observer login: %v", err)
	}
	tb.Cleanup(func() { _ = c.Logout(context.Background()) })
	return c.Client
}

// vmAt reads the VM at an inventory path below DC0/vm.
func vmAt(tb testing.TB, c *vim25.Client, path string) mo.VirtualMachine {
	tb.Helper()
	ctx := context.Background()
	vm, err := find.NewFinder(c, false).VirtualMachine(ctx, "/DC0/vm/"+path)
	if err != nil {
		tb.Fatalf("find VM %s: %v", path, err)
	}
	var mvm mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"name", "config", "runtime", "guest", "network"}, &mvm); err != nil {
		tb.Fatal(err)
	}
	return mvm
}

func extraConfig(vm mo.VirtualMachine, key string) string {
	for _, o := range vm.Config.ExtraConfig {
		if v := o.GetOptionValue(); v.Key == key {
			s, _ := v.Value.(string)
			return s
		}
	}
	return ""
}

func countVMs(tb testing.TB, sim simulator, folder string) int {
	tb.Helper()
	n, err := sim.CountVMs(context.Background(), folder)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func TestProvision(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := startSim(t, vsphere.SimOptions{IPDelay: 100 * time.Millisecond})
	c := newClient(t, vsphere.Options{})
	var st stages

	m, err := c.Provision(ctx, sim.Target("acme", "dvmm"), machineSpec("req-1", "web-01"), st.report)
	if err != nil {
		t.Fatalf("Provision: %v", err)
	}
	want := []app.Stage{app.StageCloning, app.StageConfiguring, app.StagePoweringOn, app.StageWaitingNetwork}
	if got := st.get(); !slices.Equal(got, want) {
		t.Errorf("stages = %v, want %v", got, want)
	}
	if m.Name != "web-01" || m.Folder != "dvmm/acme/shop" || m.CPUs != 4 || m.MemoryMB != 8192 ||
		m.PowerState != "poweredOn" || m.IP == "" || m.Hostname != "web-01" || m.Adopted ||
		!strings.HasPrefix(m.MoRef, "vm-") || m.InstanceUUID != vsphere.InstanceUUID("req-1") {
		t.Errorf("machine = %+v", m)
	}

	// What vCenter holds, seen through another session.
	vm := vmAt(t, observer(t, sim), "dvmm/acme/shop/web-01")
	if vm.Self.Value != m.MoRef {
		t.Errorf("VM at the path is %s, Provision said %s", vm.Self.Value, m.MoRef)
	}
	if vm.Config.Hardware.NumCPU != 4 || vm.Config.Hardware.MemoryMB != 8192 {
		t.Errorf("vCenter has %d vCPU and %d MB, want 4 and 8192", vm.Config.Hardware.NumCPU, vm.Config.Hardware.MemoryMB)
	}
	if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn || vm.Guest.IpAddress != m.IP {
		t.Errorf("vCenter has power %s and IP %q, want poweredOn and %q", vm.Runtime.PowerState, vm.Guest.IpAddress, m.IP)
	}
	if vm.Config.InstanceUuid != vsphere.InstanceUUID("req-1") || extraConfig(vm, vsphere.RequestIDKey) != "req-1" {
		t.Errorf("vCenter has instance UUID %s and request id %q", vm.Config.InstanceUuid, extraConfig(vm, vsphere.RequestIDKey))
	}
	if vm.Config.Template {
		t.Error("the clone is a template")
	}
	devices := object.VirtualDeviceList(vm.Config.Hardware.Device)
	disks := devices.SelectByType((*types.VirtualDisk)(nil))
	if len(disks) == 0 || disks[0].(*types.VirtualDisk).CapacityInKB != 100*1024*1024 {
		t.Errorf("system disk = %+v, want 100 GB", disks)
	}
	if nics := devices.SelectByType((*types.VirtualEthernetCard)(nil)); len(nics) != 1 {
		t.Errorf("VM has %d NICs, want 1", len(nics))
	} else if b, ok := nics[0].GetVirtualDevice().Backing.(*types.VirtualEthernetCardNetworkBackingInfo); !ok || b.DeviceName != "VM Network" {
		t.Errorf("NIC backing = %#v, want the VM Network", nics[0].GetVirtualDevice().Backing)
	}
	if n := countVMs(t, sim, "dvmm"); n != 1 {
		t.Errorf("simulator has %d VMs below dvmm, want 1", n)
	}
}

func TestProvisionTwiceMakesOneVM(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := startSim(t, vsphere.SimOptions{IPDelay: 50 * time.Millisecond})
	c := newClient(t, vsphere.Options{})
	tg := sim.Target("acme", "dvmm")

	first, err := c.Provision(ctx, tg, machineSpec("req-1", "web-01"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var st stages
	second, err := c.Provision(ctx, tg, machineSpec("req-1", "web-01"), st.report)
	if err != nil {
		t.Fatal(err)
	}
	if !second.Adopted || second.MoRef != first.MoRef || second.IP != first.IP || second.Folder != "dvmm/acme/shop" {
		t.Errorf("second Provision = %+v, want the first VM %+v adopted", second, first)
	}
	if got := st.get(); !slices.Equal(got, []app.Stage{app.StageAdopting}) {
		t.Errorf("stages of the second Provision = %v, want only adopting", got)
	}
	if n := countVMs(t, sim, "dvmm"); n != 1 {
		t.Errorf("simulator has %d VMs, want 1", n)
	}
	if c.Logins() != 1 {
		t.Errorf("the client logged in %d times, want 1 session for both calls", c.Logins())
	}
}

// A new process (a new Client) finds the VM an earlier attempt cloned but
// never powered on, and finishes it.
func TestProvisionAdoptsEarlierAttempt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := startSim(t, vsphere.SimOptions{IPDelay: 50 * time.Millisecond})
	obs := observer(t, sim)
	spec := machineSpec("req-crash", "db-01")
	// The earlier attempt: cloned with the request's instance UUID, then died.
	ref := bareClone(t, obs, spec, vsphere.InstanceUUID(spec.RequestID), false)

	var st stages
	m, err := newClient(t, vsphere.Options{}).Provision(ctx, sim.Target("acme", "dvmm"), spec, st.report)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Adopted || m.MoRef != ref.Value || m.PowerState != "poweredOn" || m.IP == "" || m.CPUs != 4 {
		t.Errorf("machine = %+v, want %s adopted, powered on, with an IP", m, ref.Value)
	}
	want := []app.Stage{app.StageAdopting, app.StagePoweringOn, app.StageWaitingNetwork}
	if got := st.get(); !slices.Equal(got, want) {
		t.Errorf("stages = %v, want %v", got, want)
	}
	if n := countVMs(t, sim, "dvmm"); n != 1 {
		t.Errorf("simulator has %d VMs, want 1", n)
	}
}

// Should vCenter have given the VM another instance UUID, the request id
// in its extraConfig still identifies it.
func TestProvisionAdoptsByRequestID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := startSim(t, vsphere.SimOptions{IPDelay: 50 * time.Millisecond})
	obs := observer(t, sim)
	spec := machineSpec("req-moved", "app-01")
	ref := bareClone(t, obs, spec, "", false)
	c := newClient(t, vsphere.Options{})
	tg := sim.Target("acme", "dvmm")

	found, ok, err := c.Find(ctx, tg, spec.RequestID)
	if err != nil || !ok || found.MoRef != ref.Value || found.Folder != "dvmm/acme/shop" {
		t.Fatalf("Find = %+v, %v, %v; want %s", found, ok, err, ref.Value)
	}
	m, err := c.Provision(ctx, tg, spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Adopted || m.MoRef != ref.Value {
		t.Errorf("machine = %+v, want %s adopted", m, ref.Value)
	}
	if n := countVMs(t, sim, "dvmm"); n != 1 {
		t.Errorf("simulator has %d VMs, want 1", n)
	}
}

func TestProvisionNameTaken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := startSim(t, vsphere.SimOptions{IPDelay: 50 * time.Millisecond})
	c := newClient(t, vsphere.Options{})
	tg := sim.Target("acme", "dvmm")
	if _, err := c.Provision(ctx, tg, machineSpec("req-a", "web-01"), nil); err != nil {
		t.Fatal(err)
	}
	_, err := c.Provision(ctx, tg, machineSpec("req-b", "web-01"), nil)
	f := asFault(t, err)
	if f.Transient || !strings.Contains(f.Message, "web-01 already exists") || !strings.Contains(f.Message, "req-a") {
		t.Errorf("fault = %+v, want a permanent fault naming the VM and its request", f)
	}
	if n := countVMs(t, sim, "dvmm"); n != 1 {
		t.Errorf("simulator has %d VMs, want 1", n)
	}
}

func TestProvisionNotFound(t *testing.T) {
	t.Parallel()
	sim := startSim(t, vsphere.SimOptions{})
	c := newClient(t, vsphere.Options{})
	tests := []struct {
		name   string
		change func(*app.VMwareSettings)
		code   string
		msg    string
	}{
		{"Template", func(s *app.VMwareSettings) { s.Template = "no-such-template" }, app.FaultTemplateNotFound,
			`template "no-such-template" not found in datacenter DC0`},
		{"Datacenter", func(s *app.VMwareSettings) { s.Datacenter = "DC9" }, app.FaultInventoryNotFound, `datacenter "DC9" not found`},
		{"Cluster", func(s *app.VMwareSettings) { s.Cluster = "C9" }, app.FaultInventoryNotFound, `cluster "C9" not found`},
		{"ResourcePool", func(s *app.VMwareSettings) { s.ResourcePool = "RP9" }, app.FaultInventoryNotFound, `resource pool "RP9" not found`},
		{"Datastore", func(s *app.VMwareSettings) { s.Datastore = "DS9" }, app.FaultInventoryNotFound, `datastore "DS9" not found`},
		{"Network", func(s *app.VMwareSettings) { s.Network = "NET9" }, app.FaultInventoryNotFound, `network "NET9" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := sim.Target("acme", "dvmm")
			tt.change(&tg.Settings)
			var st stages
			_, err := c.Provision(context.Background(), tg, machineSpec("req-"+tt.name, "vm-"+strings.ToLower(tt.name)), st.report)
			f := asFault(t, err)
			if f.Code != tt.code || f.Transient || !strings.Contains(f.Message, tt.msg) {
				t.Errorf("fault = %s transient=%v %q, want %s permanent with %q", f.Code, f.Transient, f.Message, tt.code, tt.msg)
			}
			if len(st.get()) != 0 {
				t.Errorf("stages %v reported before the failure", st.get())
			}
		})
	}
	if n := countVMs(t, sim, ""); n != 0 {
		t.Errorf("simulator has %d VMs left over, want 0", n)
	}
}

func TestWrongPassword(t *testing.T) {
	t.Parallel()
	sim := startSim(t, vsphere.SimOptions{})
	c := newClient(t, vsphere.Options{})
	tg := sim.Target("acme", "dvmm")
	tg.Password = "Wr0ng-Pa55word!"
	_, err := c.Provision(context.Background(), tg, machineSpec("req-1", "web-01"), nil)
	f := asFault(t, err)
	if f.Code != app.FaultBadCredentials || f.Transient {
		t.Errorf("fault = %+v, want permanent %s", f, app.FaultBadCredentials)
	}
	if !strings.Contains(f.Message, "vCenter rejected the login for user "+sim.Username()) {
		t.Errorf("message %q does not name the user", f.Message)
	}
	for _, s := range []string{f.Message, err.Error(), tg.String(), c.String()} {
		if strings.Contains(s, tg.Password) {
			t.Errorf("%q holds the password", s)
		}
	}
	checks := c.Check(context.Background(), tg)
	if len(checks) != 1 || checks[0].OK || strings.Contains(checks[0].Detail, tg.Password) {
		t.Errorf("checks = %+v, want one failed login without the password", checks)
	}
	// A client that logged in with the right password shares no session
	// with a wrong one.
	if _, _, err := c.Find(context.Background(), sim.Target("acme", "dvmm"), "req-x"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Find(context.Background(), tg, "req-x"); asFault(t, err).Code != app.FaultBadCredentials {
		t.Errorf("the wrong password got in: %v", err)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	sim := startSim(t, vsphere.SimOptions{})
	tests := []struct {
		name string
		tls  func(*app.VMwareSettings)
		code string // "" for success
	}{
		{"Untrusted", func(s *app.VMwareSettings) { s.Thumbprint = "" }, app.FaultTLS},
		{"Thumbprint", func(*app.VMwareSettings) {}, ""},
		{"ThumbprintLowercaseNoColons", func(s *app.VMwareSettings) {
			s.Thumbprint = strings.ToLower(strings.ReplaceAll(s.Thumbprint, ":", ""))
		}, ""},
		{"WrongThumbprint", func(s *app.VMwareSettings) { s.Thumbprint = strings.Repeat("AB:", 31) + "AB" }, app.FaultTLS},
		{"CAFile", func(s *app.VMwareSettings) { s.Thumbprint, s.CAFile = "", sim.CAFile() }, ""},
		{"MissingCAFile", func(s *app.VMwareSettings) { s.Thumbprint, s.CAFile = "", sim.CAFile()+".missing" }, app.FaultTLS},
		{"Insecure", func(s *app.VMwareSettings) { s.Thumbprint, s.Insecure = "", true }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, vsphere.Options{})
			tg := sim.Target("acme", "dvmm")
			tt.tls(&tg.Settings)
			_, found, err := c.Find(context.Background(), tg, "req-none")
			if tt.code == "" {
				if err != nil || found {
					t.Fatalf("Find = %v, %v; want nothing found and no error", found, err)
				}
				for _, ch := range c.Check(context.Background(), tg) {
					if !ch.OK {
						t.Errorf("check %s failed: %s", ch.Name, ch.Detail)
					}
				}
				return
			}
			f := asFault(t, err)
			if f.Code != tt.code || f.Transient || !strings.Contains(f.Message, "not") {
				t.Errorf("fault = %+v, want permanent %s", f, tt.code)
			}
			if tt.name == "Untrusted" && !strings.Contains(f.Message, "vCenter certificate is not trusted") ||
				tt.name == "Untrusted" && f.Code != app.FaultTLS {
				t.Errorf("fault %+v does not say the certificate is not trusted", f)
			}
		})
	}
}

func TestIPTimeout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := startSim(t, vsphere.SimOptions{IPDelay: 1500 * time.Millisecond})
	c := newClient(t, vsphere.Options{})
	tg := sim.Target("acme", "dvmm")
	spec := machineSpec("req-slow", "web-01")
	spec.IPTimeout = 100 * time.Millisecond
	m, err := c.Provision(ctx, tg, spec, nil)
	if err != nil {
		t.Fatalf("Provision: %v", err)
	}
	if m.IP != "" || m.PowerState != "poweredOn" || m.MoRef == "" {
		t.Errorf("machine = %+v, want powered on with the IP pending", m)
	}
	// The simulated DHCP answers later; Find sees it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, ok, err := c.Find(ctx, tg, spec.RequestID)
		if err != nil || !ok {
			t.Fatalf("Find = %v, %v", ok, err)
		}
		if got.IP != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the VM never got an IP")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestSimulatorWithoutDHCP(t *testing.T) {
	t.Parallel()
	sim := startLocalSim(t, vsphere.SimOptions{IPDelay: -1})
	spec := machineSpec("req-nodhcp", "web-01")
	spec.IPTimeout = 300 * time.Millisecond
	m, err := newClient(t, vsphere.Options{}).Provision(context.Background(), sim.Target("acme", "dvmm"), spec, nil)
	if err != nil || m.IP != "" {
		t.Fatalf("Provision = %+v, %v; want a VM with its IP pending", m, err)
	}
}

func TestProgressErrorStops(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := startSim(t, vsphere.SimOptions{IPDelay: 50 * time.Millisecond})
	c := newClient(t, vsphere.Options{})
	tg := sim.Target("acme", "dvmm")
	over := errors.New("the attempt is no longer running")
	stopAt := func(stage app.Stage) func(app.Stage) error {
		return func(s app.Stage) error {
			if s == stage {
				return over
			}
			return nil
		}
	}
	if _, err := c.Provision(ctx, tg, machineSpec("req-1", "web-01"), stopAt(app.StageCloning)); err != over {
		t.Fatalf("Provision = %v, want the progress error unchanged", err)
	}
	if n := countVMs(t, sim, "dvmm"); n != 0 {
		t.Fatalf("%d VMs made after stopping before the clone", n)
	}
	if _, err := c.Provision(ctx, tg, machineSpec("req-1", "web-01"), stopAt(app.StagePoweringOn)); err != over {
		t.Fatalf("Provision = %v, want the progress error unchanged", err)
	}
	m, ok, err := c.Find(ctx, tg, "req-1")
	if err != nil || !ok || m.PowerState != "poweredOff" {
		t.Fatalf("Find = %+v, %v, %v; want the clone, powered off", m, ok, err)
	}
}

func TestRemove(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := startSim(t, vsphere.SimOptions{IPDelay: 50 * time.Millisecond})
	c := newClient(t, vsphere.Options{})
	tg := sim.Target("acme", "dvmm")
	if _, err := c.Provision(ctx, tg, machineSpec("req-1", "web-01"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Provision(ctx, tg, machineSpec("req-2", "web-02"), nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Remove(ctx, tg, "req-1"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, ok, err := c.Find(ctx, tg, "req-1"); ok || err != nil {
		t.Errorf("Find after Remove = %v, %v", ok, err)
	}
	if err := c.Remove(ctx, tg, "req-1"); err != nil {
		t.Errorf("Remove of a removed VM = %v, want nil", err)
	}
	if err := c.Remove(ctx, tg, "req-never"); err != nil {
		t.Errorf("Remove of a request without VM = %v, want nil", err)
	}
	vms, err := sim.ListVMs(ctx, "dvmm")
	if err != nil || len(vms) != 1 || vms[0].Name != "web-02" {
		t.Errorf("VMs left = %+v, %v; want web-02 only", vms, err)
	}
}

func TestCircuitBreaker(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := startSim(t, vsphere.SimOptions{IPDelay: 50 * time.Millisecond})
	c := newClient(t, vsphere.Options{BreakerFailures: 2, BreakerCooldown: time.Minute})
	tg := sim.Target("acme", "dvmm")

	// Permanent faults are answers: they never open the circuit.
	bad := tg
	bad.Settings.Template = "no-such-template"
	for range 4 {
		if _, err := c.Provision(ctx, bad, machineSpec("req-bad", "bad-01"), nil); asFault(t, err).Code != app.FaultTemplateNotFound {
			t.Fatalf("Provision = %v, want %s", err, app.FaultTemplateNotFound)
		}
	}
	if _, err := c.Provision(ctx, tg, machineSpec("req-1", "web-01"), nil); err != nil {
		t.Fatalf("Provision after permanent faults: %v", err)
	}

	sim.Close()
	for i := range 2 {
		_, err := c.Provision(ctx, tg, machineSpec("req-2", "web-02"), nil)
		f := asFault(t, err)
		if f.Code != app.FaultUnreachable || !f.Transient || strings.Contains(f.Message, "circuit open") {
			t.Fatalf("call %d with vCenter down = %+v, want transient %s", i+1, f, app.FaultUnreachable)
		}
	}
	_, err := c.Provision(ctx, tg, machineSpec("req-2", "web-02"), nil)
	f := asFault(t, err)
	if f.Code != app.FaultUnreachable || !f.Transient || !strings.Contains(f.Message, "(circuit open)") {
		t.Fatalf("call with the circuit open = %+v, want transient %s saying the circuit is open", f, app.FaultUnreachable)
	}
	if _, _, err := c.Find(ctx, tg, "req-2"); !strings.Contains(asFault(t, err).Message, "circuit open") {
		t.Errorf("Find with the circuit open = %v", err)
	}
}

func TestCircuitHalfOpens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := startSim(t, vsphere.SimOptions{})
	c := newClient(t, vsphere.Options{BreakerFailures: 1, BreakerCooldown: 200 * time.Millisecond})
	down := sim.Target("acme", "dvmm")
	down.Settings.URL = "https://127.0.0.1:1/sdk" // nothing listens there
	for range 2 {
		_, _, _ = c.Find(ctx, down, "req-1")
	}
	if _, _, err := c.Find(ctx, down, "req-1"); !strings.Contains(asFault(t, err).Message, "circuit open") {
		t.Fatalf("Find = %v, want the circuit open", err)
	}
	time.Sleep(300 * time.Millisecond)
	_, _, err := c.Find(ctx, down, "req-1")
	if f := asFault(t, err); strings.Contains(f.Message, "circuit open") || f.Code != app.FaultUnreachable {
		t.Fatalf("Find after the cooldown = %+v, want a real try", f)
	}
	// Another vCenter has its own circuit.
	if _, _, err := c.Find(ctx, sim.Target("acme", "dvmm"), "req-1"); err != nil {
		t.Fatalf("Find on a healthy vCenter = %v", err)
	}
}

func TestSessionReuseAndExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := startSim(t, vsphere.SimOptions{IPDelay: 50 * time.Millisecond})
	c := newClient(t, vsphere.Options{})
	tg := sim.Target("acme", "dvmm")
	for i, name := range []string{"web-01", "web-02"} {
		if _, err := c.Provision(ctx, tg, machineSpec("req-"+name, name), nil); err != nil {
			t.Fatal(err)
		}
		if c.Logins() != 1 {
			t.Fatalf("after %d Provision calls the client logged in %d times, want 1", i+1, c.Logins())
		}
	}
	n, err := sim.ExpireSessions(ctx)
	if err != nil || n == 0 {
		t.Fatalf("ExpireSessions = %d, %v", n, err)
	}
	m, err := c.Provision(ctx, tg, machineSpec("req-web-03", "web-03"), nil)
	if err != nil || m.IP == "" {
		t.Fatalf("Provision after the session expired = %+v, %v", m, err)
	}
	if c.Logins() != 2 {
		t.Errorf("the client logged in %d times, want 2 (once more after the expiry)", c.Logins())
	}
	if n := countVMs(t, sim, "dvmm"); n != 3 {
		t.Errorf("simulator has %d VMs, want 3", n)
	}
}

func TestConcurrentProvision(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := startSim(t, vsphere.SimOptions{IPDelay: 100 * time.Millisecond})
	c := newClient(t, vsphere.Options{})
	tg := sim.Target("acme", "dvmm")
	names := []string{"web-01", "web-02", "web-03", "web-04", "web-05"}
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			spec := machineSpec("req-"+name, name)
			if i%2 == 1 {
				spec.Folder = "dvmm/acme/blog" // racing to create sibling folders
			}
			_, errs[i] = c.Provision(ctx, tg, spec, nil)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if n := countVMs(t, sim, "dvmm/acme"); n != len(names) {
		t.Errorf("simulator has %d VMs, want %d", n, len(names))
	}
	if c.Logins() != 1 {
		t.Errorf("the client logged in %d times, want 1", c.Logins())
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := startSim(t, vsphere.SimOptions{})
	c := newClient(t, vsphere.Options{})
	tg := sim.Target("acme", "dvmm")

	checks := c.Check(ctx, tg)
	var names []string
	for _, ch := range checks {
		names = append(names, ch.Name)
		if !ch.OK {
			t.Errorf("check %s failed: %s", ch.Name, ch.Detail)
		}
	}
	want := []string{"login", "datacenter", "cluster", "datastore", "network", "template", "folder"}
	if !slices.Equal(names, want) {
		t.Errorf("checks = %v, want %v", names, want)
	}
	if last := checks[len(checks)-1]; !strings.Contains(last.Detail, "will be created") {
		t.Errorf("folder check = %+v, want it to say the folder will be created", last)
	}

	tg.Settings.Datastore = "DS9"
	tg.Settings.Template = "gone"
	failed := map[string]bool{}
	for _, ch := range c.Check(ctx, tg) {
		if !ch.OK {
			failed[ch.Name] = true
			if !strings.Contains(ch.Detail, "not found") {
				t.Errorf("check %s = %q, want it to say what is missing", ch.Name, ch.Detail)
			}
		}
	}
	if len(failed) != 2 || !failed["datastore"] || !failed["template"] {
		t.Errorf("failed checks = %v, want datastore and template", failed)
	}
}

func TestInjectedFaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := startSim(t, vsphere.SimOptions{IPDelay: 50 * time.Millisecond})
	c := newClient(t, vsphere.Options{BreakerFailures: 1})
	tg := sim.Target("acme", "dvmm")

	if err := sim.Fault("CloneVM_Task", 1, &types.InsufficientResourcesFault{}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Provision(ctx, tg, machineSpec("req-1", "web-01"), nil)
	if f := asFault(t, err); f.Code != app.FaultInsufficientResources || f.Transient {
		t.Errorf("fault = %+v, want permanent %s", f, app.FaultInsufficientResources)
	}
	if err := sim.Fault("PowerOnVM_Task", 1, &types.TaskInProgress{}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Provision(ctx, tg, machineSpec("req-1", "web-01"), nil)
	if f := asFault(t, err); f.Code != app.FaultBusy || !f.Transient {
		t.Errorf("fault = %+v, want transient %s", f, app.FaultBusy)
	}
	// A busy vCenter is reachable: the circuit stays closed, and the
	// retry adopts the clone of the failed attempt.
	m, err := c.Provision(ctx, tg, machineSpec("req-1", "web-01"), nil)
	if err != nil || !m.Adopted || m.IP == "" {
		t.Errorf("retry = %+v, %v; want the clone adopted and finished", m, err)
	}
	if err := sim.ClearFaults(); err != nil {
		t.Fatal(err)
	}
}

func TestTwoSimulators(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := startLocalSim(t, vsphere.SimOptions{IPDelay: 50 * time.Millisecond})
	b := startLocalSim(t, vsphere.SimOptions{IPDelay: 50 * time.Millisecond})
	c := newClient(t, vsphere.Options{})
	if _, err := c.Provision(ctx, a.Target("acme", "dvmm"), machineSpec("req-1", "web-01"), nil); err != nil {
		t.Fatal(err)
	}
	if na, nb := countVMs(t, a, "dvmm"), countVMs(t, b, "dvmm"); na != 1 || nb != 0 {
		t.Errorf("simulators hold %d and %d VMs, want 1 and 0", na, nb)
	}
	if a.URL() == b.URL() || a.Password() == b.Password() || a.Thumbprint() == b.Thumbprint() {
		t.Error("two simulators share a URL, password or certificate")
	}
	if c.Logins() != 1 {
		t.Errorf("logins = %d, want 1", c.Logins())
	}
}

// bareClone clones the simulator's template the way Provision does, with
// plain govmomi: into dvmm/acme/shop, sized like spec, with the request id
// in extraConfig and the given instance UUID ("" lets vCenter choose).
// With powerOn it also powers the clone on.
func bareClone(tb testing.TB, c *vim25.Client, spec app.MachineSpec, instanceUUID string, powerOn bool) types.ManagedObjectReference {
	tb.Helper()
	b := newBare(tb, c, spec.Folder)
	return b.clone(tb, spec, instanceUUID, powerOn)
}

func TestSimulatorListenError(t *testing.T) {
	t.Parallel()
	a := startLocalSim(t, vsphere.SimOptions{})
	u, err := url.Parse(a.URL())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vsphere.StartSimulator(context.Background(), vsphere.SimOptions{Listen: u.Host}); err == nil ||
		!strings.Contains(err.Error(), "cannot listen") {
		t.Fatalf("StartSimulator on a used port = %v, want an error", err)
	}
}

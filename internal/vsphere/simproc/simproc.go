// Package simproc runs dvmm's vCenter simulator (vsphere.Simulator) in a
// child process built without the race detector, for tests.
//
// Why a process: tests run with -race, and govmomi v0.56.0's simulator has
// data races between its own concurrent tasks (a CloneVM_Task writing a
// datastore while a ReconfigVM_Task reads it, for one). In the test's own
// process those fail any test that makes VMs concurrently, at random. In a
// child process built without -race they cannot, while all of dvmm's code
// under test keeps running in the race-built test process; nothing about
// the concurrency a test drives changes.
//
// The child is the program in ./vcsimd, built once per test process with
// 'go build' (cached by Go's build cache). It takes orders as JSON lines on
// its standard input and answers each with one JSON line; closing its input
// stops it.
package simproc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sync"
	"time"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/vsphere"
)

// StartOrder is the first line the child reads: how to start the simulator.
type StartOrder struct {
	Listen     string        `json:"listen,omitempty"`
	Username   string        `json:"username,omitempty"`
	Password   string        `json:"password,omitempty"`
	IPDelay    time.Duration `json:"ip_delay,omitempty"`
	CloneDelay time.Duration `json:"clone_delay,omitempty"`

	CloneTaskDelay    time.Duration `json:"clone_task_delay,omitempty"`
	DockerBridge      bool          `json:"docker_bridge,omitempty"`
	DropCloneIdentity bool          `json:"drop_clone_identity,omitempty"`
	TemplateDiskGB    int           `json:"template_disk_gb,omitempty"`

	MethodDelays map[string]time.Duration `json:"method_delays,omitempty"`
}

// Options is the simulator's options as a start order.
func (o StartOrder) Options() vsphere.SimOptions {
	return vsphere.SimOptions{Listen: o.Listen, Username: o.Username, Password: o.Password,
		IPDelay: o.IPDelay, CloneDelay: o.CloneDelay, CloneTaskDelay: o.CloneTaskDelay, DockerBridge: o.DockerBridge,
		DropCloneIdentity: o.DropCloneIdentity, TemplateDiskGB: o.TemplateDiskGB, MethodDelays: o.MethodDelays}
}

// Order is one later line: something to do to the running simulator.
type Order struct {
	Op     string          `json:"op"` // fault, clear-faults, list-vms, calls, expire-sessions, change-vm
	Method string          `json:"method,omitempty"`
	Count  int             `json:"count,omitempty"`
	Fault  string          `json:"fault,omitempty"`  // the vim25 type name of the fault, e.g. TaskInProgress
	Fields json.RawMessage `json:"fields,omitempty"` // the fault's fields
	Folder string          `json:"folder,omitempty"` // for list-vms
	Name   string          `json:"name,omitempty"`   // for change-vm: the VM
	Change string          `json:"change,omitempty"` // for change-vm: see vsphere.Simulator.ChangeVM
}

// Reply answers the start order or an order.
type Reply struct {
	Error    string        `json:"error,omitempty"`
	Started  *Started      `json:"started,omitempty"`
	Machines []app.Machine `json:"machines,omitempty"`
	Count    int           `json:"count,omitempty"`
}

// Started says where the simulator listens and how to log in.
type Started struct {
	URL        string `json:"url"`
	Username   string `json:"username"`
	Password   string `json:"password"`
	Thumbprint string `json:"thumbprint"`
	CAFile     string `json:"ca_file"`
}

// Serve carries out one order on sim; the child calls it.
func Serve(ctx context.Context, sim *vsphere.Simulator, o Order) Reply {
	switch o.Op {
	case "fault":
		t, ok := types.TypeFunc()(o.Fault)
		if !ok {
			return Reply{Error: "unknown fault type " + o.Fault}
		}
		v := reflect.New(t)
		if len(o.Fields) > 0 {
			if err := json.Unmarshal(o.Fields, v.Interface()); err != nil {
				return Reply{Error: "fault fields: " + err.Error()}
			}
		}
		f, ok := v.Interface().(types.BaseMethodFault)
		if !ok {
			return Reply{Error: o.Fault + " is not a method fault"}
		}
		sim.Fault(o.Method, o.Count, f)
		return Reply{}
	case "clear-faults":
		sim.ClearFaults()
		return Reply{}
	case "list-vms":
		vms, err := sim.ListVMs(ctx, o.Folder)
		if err != nil {
			return Reply{Error: err.Error()}
		}
		return Reply{Machines: vms}
	case "calls":
		return Reply{Count: sim.Calls(o.Method)}
	case "peak":
		return Reply{Count: sim.PeakInFlight(o.Count != 0)}
	case "change-vm":
		if err := sim.ChangeVM(ctx, o.Name, o.Change); err != nil {
			return Reply{Error: err.Error()}
		}
		return Reply{}
	case "expire-sessions":
		n, err := sim.ExpireSessions(ctx)
		if err != nil {
			return Reply{Error: err.Error()}
		}
		return Reply{Count: n}
	}
	return Reply{Error: "unknown order " + o.Op}
}

// Sim is a simulator running in a child process. Its methods mirror those
// of vsphere.Simulator that tests use.
type Sim struct {
	started Started
	cmd     *exec.Cmd
	exited  chan struct{}

	mu    sync.Mutex // one order at a time
	in    io.WriteCloser
	out   *bufio.Reader
	close sync.Once
}

// environ is the environment the test process started with: tests change
// HOME and the like, and 'go build' must still find its caches.
var environ = os.Environ()

var (
	buildOnce sync.Once
	buildDir  string
	buildPath string
	buildErr  error
)

// binary builds vcsimd once per process, without -race.
func binary() (string, error) {
	buildOnce.Do(func() {
		// 'go test' puts the go command of its toolchain first on PATH.
		goBin, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("building the simulator: %w", err)
			return
		}
		if buildDir, buildErr = os.MkdirTemp("", "dvmm-vcsimd-"); buildErr != nil {
			return
		}
		buildPath = filepath.Join(buildDir, "vcsimd")
		cmd := exec.Command(goBin, "build", "-o", buildPath, "github.com/dvmm/dvmm/internal/vsphere/simproc/vcsimd")
		cmd.Env = environ
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building the simulator: %v\n%s", err, out)
		}
	})
	return buildPath, buildErr
}

// Cleanup removes the built simulator; TestMain calls it after the tests.
func Cleanup() {
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
}

// Start starts a simulator in a child process. Of o, all but Dir and
// Logger are honoured.
func Start(ctx context.Context, o vsphere.SimOptions) (*Sim, error) {
	bin, err := binary()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Sim{cmd: cmd, in: in, out: bufio.NewReader(outPipe), exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.exited) }()
	r, err := s.send(ctx, StartOrder{Listen: o.Listen, Username: o.Username, Password: o.Password,
		IPDelay: o.IPDelay, CloneDelay: o.CloneDelay, CloneTaskDelay: o.CloneTaskDelay, DockerBridge: o.DockerBridge,
		DropCloneIdentity: o.DropCloneIdentity, TemplateDiskGB: o.TemplateDiskGB, MethodDelays: o.MethodDelays})
	if err == nil && r.Started == nil {
		err = errors.New("the simulator process did not say where it listens")
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	s.started = *r.Started
	return s, nil
}

// send writes one order and reads its reply.
func (s *Sim) send(ctx context.Context, order any) (Reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	data, err := json.Marshal(order)
	if err != nil {
		return Reply{}, err
	}
	if _, err := s.in.Write(append(data, '\n')); err != nil {
		return Reply{}, fmt.Errorf("simulator process: %w", err)
	}
	type result struct {
		line []byte
		err  error
	}
	got := make(chan result, 1)
	go func() {
		line, err := s.out.ReadBytes('\n')
		got <- result{line, err}
	}()
	var res result
	select {
	case res = <-got:
	case <-ctx.Done():
		// A reply may still come and would answer the next order: the
		// process is of no more use. Killing it ends the reader too.
		_ = s.cmd.Process.Kill()
		return Reply{}, ctx.Err()
	}
	if res.err != nil {
		return Reply{}, fmt.Errorf("simulator process: %w", res.err)
	}
	var r Reply
	if err := json.Unmarshal(res.line, &r); err != nil {
		return Reply{}, fmt.Errorf("simulator process reply %q: %w", res.line, err)
	}
	if r.Error != "" {
		return r, errors.New(r.Error)
	}
	return r, nil
}

// URL of the SOAP endpoint.
func (s *Sim) URL() string { return s.started.URL }

// Username the simulator accepts.
func (s *Sim) Username() string { return s.started.Username }

// Password the simulator accepts.
func (s *Sim) Password() string { return s.started.Password }

// Thumbprint of the simulator's certificate.
func (s *Sim) Thumbprint() string { return s.started.Thumbprint }

// CAFile is a PEM file with the simulator's certificate; it lasts as long
// as the process.
func (s *Sim) CAFile() string { return s.started.CAFile }

// Settings returns VMware settings that point at the simulator, verified
// by thumbprint, with VMs made below folder.
func (s *Sim) Settings(folder string) app.VMwareSettings {
	return app.VMwareSettings{
		URL: s.URL(), Username: s.Username(), Datacenter: vsphere.SimDatacenter, Cluster: vsphere.SimCluster,
		Datastore: vsphere.SimDatastore, Network: vsphere.SimNetwork, Template: vsphere.SimTemplate, Folder: folder,
		Thumbprint: s.Thumbprint(), IPTimeoutSec: 30, HasPassword: true,
	}
}

// Target is Settings with the password.
func (s *Sim) Target(tenant, folder string) app.Target {
	return app.Target{Tenant: tenant, Settings: s.Settings(folder), Password: s.Password()}
}

// Fault makes the next count calls of a SOAP method fail with f; count 0
// means every call until ClearFaults.
func (s *Sim) Fault(method string, count int, f types.BaseMethodFault) error {
	fields, err := json.Marshal(f)
	if err != nil {
		return err
	}
	_, err = s.send(context.Background(), Order{Op: "fault", Method: method, Count: count,
		Fault: reflect.TypeOf(f).Elem().Name(), Fields: fields})
	return err
}

// ClearFaults removes every fault added by Fault.
func (s *Sim) ClearFaults() error {
	_, err := s.send(context.Background(), Order{Op: "clear-faults"})
	return err
}

// ListVMs lists the VMs below a folder path relative to the datacenter's
// VM folder, at any depth.
func (s *Sim) ListVMs(ctx context.Context, folder string) ([]app.Machine, error) {
	r, err := s.send(ctx, Order{Op: "list-vms", Folder: folder})
	return r.Machines, err
}

// PeakInFlight is the most clone and power tasks the simulator had in
// flight at once; reset starts counting again.
func (s *Sim) PeakInFlight(ctx context.Context, reset bool) (int, error) {
	n := 0
	if reset {
		n = 1
	}
	r, err := s.send(ctx, Order{Op: "peak", Count: n})
	return r.Count, err
}

// ChangeVM changes a VM behind dvmm's back (see vsphere.Simulator.ChangeVM).
func (s *Sim) ChangeVM(ctx context.Context, name, change string) error {
	_, err := s.send(ctx, Order{Op: "change-vm", Name: name, Change: change})
	return err
}

// CountVMs counts the VMs below a folder path.
func (s *Sim) CountVMs(ctx context.Context, folder string) (int, error) {
	vms, err := s.ListVMs(ctx, folder)
	return len(vms), err
}

// Calls counts the SOAP calls of a method the simulator has received.
func (s *Sim) Calls(ctx context.Context, method string) (int, error) {
	r, err := s.send(ctx, Order{Op: "calls", Method: method})
	return r.Count, err
}

// ExpireSessions ends every client session; it returns how many it ended.
func (s *Sim) ExpireSessions(ctx context.Context) (int, error) {
	r, err := s.send(ctx, Order{Op: "expire-sessions"})
	return r.Count, err
}

// Close stops the simulator: its input ends, and a process that does not
// stop within ten seconds is killed.
func (s *Sim) Close() {
	s.close.Do(func() {
		_ = s.in.Close()
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	})
}

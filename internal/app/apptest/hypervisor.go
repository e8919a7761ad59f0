package apptest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/dvmm/dvmm/internal/app"
)

// Hypervisor is an app.Hypervisor whose methods are functions a test
// sets; an unset one succeeds: Provision reports every stage and makes
// the VM, Find finds what Provision made, Remove forgets it. It records
// the calls it got.
type Hypervisor struct {
	ProvisionFn func(ctx context.Context, t app.Target, spec app.MachineSpec, progress func(app.Stage) error) (app.Machine, error)
	FindFn      func(ctx context.Context, t app.Target, requestID string) (app.Machine, bool, error)
	RemoveFn    func(ctx context.Context, t app.Target, requestID string) error
	CheckFn     func(ctx context.Context, t app.Target) []app.Check
	SurveyFn    func(ctx context.Context, t app.Target) ([]app.SurveyedVM, error)
	PowerFn     func(ctx context.Context, t app.Target, requestID, moref string, action app.PowerAction) (string, error)
	ResizeFn    func(ctx context.Context, t app.Target, requestID, moref string, spec app.ResizeSpec) (app.Machine, bool, error)

	mu       sync.Mutex
	made     map[string]app.Machine
	Calls    []string // "provision <request>", "find <request>", "remove <request>", "check <tenant>"
	Password string   // the password of the last call
}

var (
	_ app.Hypervisor  = (*Hypervisor)(nil)
	_ app.Inspector   = (*Hypervisor)(nil)
	_ app.PowerSwitch = (*Hypervisor)(nil)
	_ app.Resizer     = (*Hypervisor)(nil)
)

// Resize runs ResizeFn, or gives the VM Provision made the new size (an
// unknown one is a permanent fault).
func (h *Hypervisor) Resize(ctx context.Context, t app.Target, requestID, moref string, spec app.ResizeSpec) (app.Machine, bool, error) {
	h.record("resize "+requestID, t)
	if h.ResizeFn != nil {
		return h.ResizeFn(ctx, t, requestID, moref, spec)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	m, ok := h.made[requestID]
	if !ok {
		return app.Machine{}, false, &app.Fault{Code: app.FaultInventoryNotFound, Message: "the VM of request " + requestID + " is not in vCenter"}
	}
	m.CPUs, m.MemoryMB = spec.CPUs, spec.MemoryMB
	h.made[requestID] = m
	return m, false, nil
}

// Power runs PowerFn, or switches the VM Provision made (an unknown one
// is a permanent fault).
func (h *Hypervisor) Power(ctx context.Context, t app.Target, requestID, moref string, action app.PowerAction) (string, error) {
	h.record("power "+string(action)+" "+requestID, t)
	if h.PowerFn != nil {
		return h.PowerFn(ctx, t, requestID, moref, action)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	m, ok := h.made[requestID]
	if !ok {
		return "", &app.Fault{Code: app.FaultInventoryNotFound, Message: "the VM of request " + requestID + " is not in vCenter"}
	}
	m.PowerState = "poweredOn"
	if action == app.PowerOff {
		m.PowerState = "poweredOff"
	}
	h.made[requestID] = m
	return m.PowerState, nil
}

func (h *Hypervisor) record(call string, t app.Target) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.Calls = append(h.Calls, call)
	h.Password = t.Password
}

// CallsTo returns the recorded calls that start with prefix.
func (h *Hypervisor) CallsTo(prefix string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, c := range h.Calls {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// Provision runs ProvisionFn, or makes the VM.
func (h *Hypervisor) Provision(ctx context.Context, t app.Target, spec app.MachineSpec, progress func(app.Stage) error) (app.Machine, error) {
	h.record("provision "+spec.RequestID, t)
	if h.ProvisionFn != nil {
		return h.ProvisionFn(ctx, t, spec, progress)
	}
	for _, s := range []app.Stage{app.StageCloning, app.StageConfiguring, app.StagePoweringOn, app.StageWaitingNetwork} {
		if err := progress(s); err != nil {
			return app.Machine{}, err
		}
	}
	m := app.Machine{Name: spec.Name, Folder: spec.Folder, MoRef: "vm-" + spec.Name, InstanceUUID: "uuid-" + spec.RequestID,
		IP: "10.0.0.5", CPUs: spec.CPUs, MemoryMB: spec.MemoryMB, PowerState: "poweredOn"}
	h.mu.Lock()
	if h.made == nil {
		h.made = map[string]app.Machine{}
	}
	h.made[spec.RequestID] = m
	h.mu.Unlock()
	return m, nil
}

// Made reports the VM Provision made for a request, if any.
func (h *Hypervisor) Made(requestID string) (app.Machine, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m, ok := h.made[requestID]
	return m, ok
}

// Plant makes the hypervisor hold a VM for a request, as a crashed or
// failed attempt leaves one.
func (h *Hypervisor) Plant(requestID string, m app.Machine) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.made == nil {
		h.made = map[string]app.Machine{}
	}
	h.made[requestID] = m
}

// Find runs FindFn, or finds what Provision made.
func (h *Hypervisor) Find(ctx context.Context, t app.Target, requestID string) (app.Machine, bool, error) {
	h.record("find "+requestID, t)
	if h.FindFn != nil {
		return h.FindFn(ctx, t, requestID)
	}
	m, ok := h.Made(requestID)
	return m, ok, nil
}

// FindRecorded finds as Find does; what was recorded changes nothing here.
func (h *Hypervisor) FindRecorded(ctx context.Context, t app.Target, requestID, moref, instanceUUID string) (app.Machine, bool, error) {
	return h.Find(ctx, t, requestID)
}

// Survey lists what Provision made and Plant planted, in request order.
func (h *Hypervisor) Survey(ctx context.Context, t app.Target) ([]app.SurveyedVM, error) {
	h.record("survey "+t.Tenant, t)
	if h.SurveyFn != nil {
		return h.SurveyFn(ctx, t)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]app.SurveyedVM, 0, len(h.made))
	for id, m := range h.made {
		out = append(out, app.SurveyedVM{RequestID: id, Machine: m})
	}
	slices.SortFunc(out, func(a, b app.SurveyedVM) int { return strings.Compare(a.RequestID, b.RequestID) })
	return out, nil
}

// Remove runs RemoveFn, or forgets what Provision made.
func (h *Hypervisor) Remove(ctx context.Context, t app.Target, requestID string) error {
	h.record("remove "+requestID, t)
	if h.RemoveFn != nil {
		return h.RemoveFn(ctx, t, requestID)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.made[requestID]; !ok {
		return errors.New("no VM for " + requestID)
	}
	delete(h.made, requestID)
	return nil
}

// Check runs CheckFn, or reports one passing check.
func (h *Hypervisor) Check(ctx context.Context, t app.Target) []app.Check {
	h.record("check "+t.Tenant, t)
	if h.CheckFn != nil {
		return h.CheckFn(ctx, t)
	}
	return []app.Check{{Name: "login", OK: true, Detail: "ok"}}
}

// Sealer is an app.SecretBox that only marks what it sealed: a store must
// keep the bytes, not understand them.
type Sealer struct{}

func (Sealer) Seal(p []byte) ([]byte, error) { return append([]byte("sealed:"), p...), nil }

func (Sealer) Open(s []byte) ([]byte, error) {
	if !strings.HasPrefix(string(s), "sealed:") {
		return nil, errors.New("not sealed here")
	}
	return s[len("sealed:"):], nil
}

package app

// Stage of the vSphere work, recorded as it happens.
type Stage string

const (
	StageCloning        Stage = "cloning"
	StageConfiguring    Stage = "configuring"
	StagePoweringOn     Stage = "powering-on"
	StageWaitingNetwork Stage = "waiting-for-network"
	StageAdopting       Stage = "adopting"
	// StageWaitingSlot is shown while the work waits for a task slot of
	// its vCenter; it is projected, never reported by an adapter.
	StageWaitingSlot Stage = "waiting-for-slot"
)

// VMID is the id of the VM aggregate of a request: derived, so a second
// ProvisionVM for the same request finds the same aggregate.
func VMID(requestID string) string { return "vm-" + requestID }

// RequestIDOfVM undoes VMID.
func RequestIDOfVM(vmID string) string {
	if len(vmID) > 3 && vmID[:3] == "vm-" {
		return vmID[3:]
	}
	return vmID
}

// VM is the aggregate of the machine made for one request.
type VM struct {
	id        string
	version   int
	requestID string
	status    Status // "" before it starts; provisioning, ready or failed
	attempt   int
	spec      VMSpec
	moref     string
	cloneTask string
	waiting   bool
	slotWait  bool // the timeline says it waits for a task slot
	// resize is a resize asked for and not yet done or failed.
	resize         *VMResizeRequested
	resizeApproved bool
	// lease is the VM's lease, nil when it has none.
	lease *LeaseView
}

// NewVM rebuilds a VM from its events.
func NewVM(requestID string, events []Event) *VM {
	v := &VM{id: VMID(requestID), requestID: requestID}
	for _, e := range events {
		v.apply(e)
	}
	return v
}

func (v *VM) apply(e Event) {
	v.version = e.Version
	_, v.slotWait = e.Data.(VMWaitingForSlot)
	v.lease = applyLease(v.lease, e)
	switch p := e.Data.(type) {
	case VMProvisioningStarted:
		v.status, v.attempt, v.spec, v.waiting = StatusProvisioning, p.Attempt, p.Spec, false
	case VMProvisioningProgressed:
		v.waiting = false
		if p.Task != "" {
			v.cloneTask = p.Task
		}
	case VMProvisioned:
		v.status, v.moref, v.waiting = StatusReady, p.MoRef, false
	case VMProvisioningFailed:
		v.status, v.waiting = StatusFailed, false
	case VMWaitingForVCenter:
		v.waiting = true
	case VMRemoved:
		v.moref, v.cloneTask = "", ""
	case VMDecommissioned:
		v.status, v.moref, v.cloneTask = StatusDecommissioned, "", ""
	case VMResizeRequested:
		v.resize, v.resizeApproved = &p, false
	case VMResizeApproved:
		v.resizeApproved = true
	case VMResized:
		v.spec.Size, v.spec.CPUs, v.spec.MemoryGB, v.spec.DiskGB = p.Size, p.CPUs, p.MemoryGB, p.DiskGB
		v.resize, v.resizeApproved = nil, false
	case VMResizeFailed:
		v.resize, v.resizeApproved = nil, false
	}
}

func (v *VM) ID() string     { return v.id }
func (v *VM) Version() int   { return v.version }
func (v *VM) Status() Status { return v.status }
func (v *VM) Attempt() int   { return v.attempt }
func (v *VM) Spec() VMSpec   { return v.spec }
func (v *VM) Waiting() bool  { return v.waiting }

// WaitingForSlot: the last thing recorded is that it waits for a task slot.
func (v *VM) WaitingForSlot() bool { return v.slotWait }
func (v *VM) MoRef() string        { return v.moref }
func (v *VM) Started() bool        { return v.status != "" }
func (v *VM) RequestID() string    { return v.requestID }

// CloneTask is the last clone task recorded and not since removed.
func (v *VM) CloneTask() string { return v.cloneTask }

// Start decides the start of attempt n. Starting an attempt that has
// already started is a no-op, which makes ProvisionVM idempotent.
func (v *VM) Start(spec VMSpec, attempt int) []Payload {
	if attempt <= v.attempt {
		return nil
	}
	if v.status == StatusProvisioning || v.status == StatusReady {
		return nil
	}
	return []Payload{VMProvisioningStarted{RequestID: v.requestID, Spec: spec, Attempt: attempt}}
}

// Running reports whether attempt is the one in progress.
func (v *VM) Running(attempt int) bool {
	return v.status == StatusProvisioning && v.attempt == attempt
}

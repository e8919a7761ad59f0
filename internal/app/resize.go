package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Day-2 resize: the requester (or an admin) asks for another size of a
// READY VM; an admin other than the VM's requester and the asker approves,
// as for a new VM; then queued vSphere work reconfigures it. The quota is
// checked for the difference at the ask and again at the approval. CPU and
// memory change only while a VM is off (hot add may be disabled): a VM
// that is on is powered off and on again only when the ask allowed a
// restart; otherwise the resize fails and says so. A disk only grows, so a
// size with a smaller disk is refused.

const (
	EvVMResizeRequested = "vm.resize_requested"
	EvVMResizeApproved  = "vm.resize_approved"
	EvVMResized         = "vm.resized"
	EvVMResizeFailed    = "vm.resize_failed"

	// CmdResizeVM runs an approved resize.
	CmdResizeVM = "ResizeVm"

	// FaultRestartNeeded: the VM is on and may not be restarted.
	FaultRestartNeeded = "RESTART_NEEDED"
)

// VMResizeRequested asks for a new size.
type VMResizeRequested struct {
	By           string `json:"by"`
	Size         string `json:"size"`
	CPUs         int    `json:"cpus"`
	MemoryGB     int    `json:"memory_gb"`
	DiskGB       int    `json:"disk_gb"`
	AllowRestart bool   `json:"allow_restart,omitempty"`
}

// VMResizeApproved approves the ask.
type VMResizeApproved struct {
	By string `json:"by"`
}

// VMResized records the new size in vCenter.
type VMResized struct {
	Size      string `json:"size"`
	CPUs      int    `json:"cpus"`
	MemoryGB  int    `json:"memory_gb"`
	DiskGB    int    `json:"disk_gb"`
	Restarted bool   `json:"restarted,omitempty"`
}

// VMResizeFailed records that the resize could not be done.
type VMResizeFailed struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (VMResizeRequested) EventType() string { return EvVMResizeRequested }
func (VMResizeApproved) EventType() string  { return EvVMResizeApproved }
func (VMResized) EventType() string         { return EvVMResized }
func (VMResizeFailed) EventType() string    { return EvVMResizeFailed }

// ResizeView is a resize asked for and not yet done.
type ResizeView struct {
	RequestedBy  string `json:"requested_by"`
	Size         string `json:"size"`
	AllowRestart bool   `json:"allow_restart,omitempty"`
	ApprovedBy   string `json:"approved_by,omitempty"`
}

// ResizeSpec is the size a Resizer gives a VM.
type ResizeSpec struct {
	CPUs         int
	MemoryMB     int
	DiskGB       int
	AllowRestart bool
}

// Resizer reconfigures the VM made for a request (found by its recorded
// moref first) and returns it as vCenter then reports it, with whether it
// was restarted.
type Resizer interface {
	Resize(ctx context.Context, t Target, requestID, moref string, spec ResizeSpec) (Machine, bool, error)
}

// ResizeVMWork is the payload of CmdResizeVM.
type ResizeVMWork struct {
	RequestID string            `json:"request_id"`
	TenantID  string            `json:"tenant_id"`
	MoRef     string            `json:"moref"`
	Ask       VMResizeRequested `json:"ask"`
}

// AskResize decides an ask for a new size.
func (r *Request) AskResize(tenant *Tenant, actor, size string, allowRestart bool, vm *VM) ([]Payload, Amount, error) {
	if err := tenant.RequireMember(actor); err != nil {
		return nil, Amount{}, err
	}
	if r.created.Requester != actor && tenant.Role(actor) != RoleAdmin {
		return nil, Amount{}, Errorf(KindForbidden, "only %s or an admin of %s can resize this VM", r.created.Requester, r.tenant)
	}
	to, err := LookupSize(size)
	if err != nil {
		return nil, Amount{}, err
	}
	if vm.Status() != StatusReady || r.decommissionBy != "" {
		return nil, Amount{}, Errorf(KindConflict, "request %s is %s: only a READY VM can be resized", ShortID(r.id), statusOf(r, vm))
	}
	if vm.resize != nil {
		return nil, Amount{}, Errorf(KindConflict, "a resize of request %s to %s is already asked for", ShortID(r.id), vm.resize.Size)
	}
	cur := vm.Spec()
	if to.Name == cur.Size {
		return nil, Amount{}, Errorf(KindConflict, "the VM of request %s is %s already", ShortID(r.id), cur.Size)
	}
	if to.DiskGB < cur.DiskGB {
		return nil, Amount{}, Errorf(KindInvalid, "a VM's disk only grows: %s has %d GB of disk, the VM %d", to.Name, to.DiskGB, cur.DiskGB)
	}
	delta := Amount{CPUs: to.CPUs - cur.CPUs, MemoryGB: to.MemoryGB - cur.MemoryGB, DiskGB: to.DiskGB - cur.DiskGB}
	return []Payload{VMResizeRequested{By: actor, Size: to.Name, CPUs: to.CPUs, MemoryGB: to.MemoryGB, DiskGB: to.DiskGB, AllowRestart: allowRestart}}, delta, nil
}

// ApproveResize decides the approval: an admin, neither the VM's
// requester nor the one who asked.
func (r *Request) ApproveResize(tenant *Tenant, actor string, vm *VM) ([]Payload, Amount, error) {
	if err := tenant.RequireAdmin(actor, "approve resizes"); err != nil {
		return nil, Amount{}, err
	}
	ask := vm.resize
	switch {
	case ask == nil:
		return nil, Amount{}, Errorf(KindConflict, "no one asked to resize request %s", ShortID(r.id))
	case vm.resizeApproved:
		return nil, Amount{}, Errorf(KindConflict, "the resize of request %s is already approved", ShortID(r.id))
	case ask.By == actor || r.created.Requester == actor:
		return nil, Amount{}, Errorf(KindForbidden, "you cannot approve a resize of your own VM or that you asked for: another admin of %s must do it", r.tenant)
	}
	cur := vm.Spec()
	delta := Amount{CPUs: ask.CPUs - cur.CPUs, MemoryGB: ask.MemoryGB - cur.MemoryGB, DiskGB: ask.DiskGB - cur.DiskGB}
	return []Payload{VMResizeApproved{By: actor}}, delta, nil
}

// ResizeKey is the queue key of the resize asked at the VM's version.
func ResizeKey(requestID string, vmVersion int) string {
	return fmt.Sprintf("resize:%s:%d", requestID, vmVersion)
}

// AskResize asks for a new size of the VM of ref; the quota must have
// room for the difference.
func (a *App) AskResize(ctx context.Context, actor Actor, ref, size string, allowRestart bool) (RequestView, error) {
	return a.decideVM(ctx, actor, ref, func(tx Tx, r *Request, t *Tenant, vm *VM) error {
		payloads, delta, err := r.AskResize(t, actor.User, size, allowRestart, vm)
		if err != nil {
			return err
		}
		usage, err := usageOf(ctx, tx, actor.Tenant)
		if err != nil {
			return err
		}
		if err := checkQuota(t, usage, r.Created().Project, positive(delta), false); err != nil {
			return err
		}
		_, err = a.record(ctx, tx, actor.Tenant, StreamVM, vm.ID(), vm.Version(), a.meta(actor), payloads...)
		return err
	})
}

// ApproveResize approves the ask (the quota checked again against what
// approved requests hold) and queues the reconfiguration.
func (a *App) ApproveResize(ctx context.Context, actor Actor, ref string) (RequestView, error) {
	return a.decideVM(ctx, actor, ref, func(tx Tx, r *Request, t *Tenant, vm *VM) error {
		payloads, delta, err := r.ApproveResize(t, actor.User, vm)
		if err != nil {
			return err
		}
		usage, err := usageOf(ctx, tx, actor.Tenant)
		if err != nil {
			return err
		}
		if err := checkQuota(t, usage, r.Created().Project, positive(delta), true); err != nil {
			return err
		}
		events, err := a.record(ctx, tx, actor.Tenant, StreamVM, vm.ID(), vm.Version(), a.meta(actor), payloads...)
		if err != nil {
			return err
		}
		var slot string
		var limit int
		if s := t.VMware(); s != nil {
			slot, limit = s.TaskSlot(), s.TaskLimit()
		}
		return a.enqueueIn(ctx, tx, ResizeKey(r.ID(), events[len(events)-1].Version), CmdResizeVM, actor, r.ID(),
			ResizeVMWork{RequestID: r.ID(), TenantID: actor.Tenant, MoRef: vm.moref, Ask: *vm.resize}, a.Now(), slot, limit)
	})
}

// positive keeps what grows: a smaller size needs no room.
func positive(a Amount) Amount {
	return Amount{VMs: max(a.VMs, 0), CPUs: max(a.CPUs, 0), MemoryGB: max(a.MemoryGB, 0), DiskGB: max(a.DiskGB, 0)}
}

// handleResizeVM runs an approved resize, retrying transient faults like
// a power action.
func (a *App) handleResizeVM(ctx context.Context, cmd Command) error {
	var p ResizeVMWork
	if err := json.Unmarshal(cmd.Payload, &p); err != nil {
		return a.finish(ctx, cmd.ID, Outcome{Status: CommandFailed, Error: "bad payload: " + err.Error()})
	}
	rz, ok := a.Hypervisor.(Resizer)
	if !ok {
		return errors.New("no resizer is wired into this process")
	}
	ask := p.Ask
	return a.runVMWork(ctx, cmd, p.RequestID, p.TenantID, "resize", func(t Target) (Payload, error) {
		_, restarted, err := rz.Resize(ctx, t, p.RequestID, p.MoRef, ResizeSpec{CPUs: ask.CPUs, MemoryMB: ask.MemoryGB * 1024, DiskGB: ask.DiskGB, AllowRestart: ask.AllowRestart})
		return VMResized{Size: ask.Size, CPUs: ask.CPUs, MemoryGB: ask.MemoryGB, DiskGB: ask.DiskGB, Restarted: restarted}, err
	}, func(f *Fault) Payload {
		return VMResizeFailed{Code: f.Code, Message: strings.TrimSpace(f.Message)}
	})
}

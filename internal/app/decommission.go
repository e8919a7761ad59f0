package app

import (
	"context"
	"strings"
)

// Decommission: the end of a VM's life, decided like its beginning. The
// requester (or an admin) asks, with a reason; another admin approves (no
// one approves their own ask); then queued vSphere work powers the VM off
// and destroys it, through the same leases, retries and per-vCenter limit
// as provisioning. The request ends DECOMMISSIONED: its name, its share of
// the quotas and its leased address are free again. A VM already gone from
// vCenter is decommissioned without error, and the work is idempotent: a
// run that finds nothing left to remove records the end all the same.

const (
	EvRequestDecommissionRequested = "request.decommission_requested"
	EvRequestDecommissionApproved  = "request.decommission_approved"
	EvVMDecommissioned             = "vm.decommissioned"

	// StatusDecommissioning: approved for decommission, its VM being
	// removed. It still holds its share of the quotas.
	StatusDecommissioning Status = "decommissioning"
	// StatusDecommissioned: its VM is gone; the request holds nothing.
	StatusDecommissioned Status = "decommissioned"
)

// RequestDecommissionRequested asks for a READY VM's removal.
type RequestDecommissionRequested struct {
	By     string `json:"by"`
	Reason string `json:"reason"`
}

// RequestDecommissionApproved approves the ask.
type RequestDecommissionApproved struct {
	By string `json:"by"`
}

// VMDecommissioned records that the VM is gone: removed now (MoRef), or
// found gone already.
type VMDecommissioned struct {
	MoRef       string `json:"moref,omitempty"`
	AlreadyGone bool   `json:"already_gone,omitempty"`
}

func (RequestDecommissionRequested) EventType() string { return EvRequestDecommissionRequested }
func (RequestDecommissionApproved) EventType() string  { return EvRequestDecommissionApproved }
func (VMDecommissioned) EventType() string             { return EvVMDecommissioned }

// DecommissionView is what the request's read model shows of a
// decommission.
type DecommissionView struct {
	RequestedBy string `json:"requested_by"`
	Reason      string `json:"reason"`
	ApprovedBy  string `json:"approved_by,omitempty"`
}

// RequestDecommission decides an ask to decommission the request's VM: by
// its requester or an admin, while the VM is READY, once.
func (r *Request) RequestDecommission(tenant *Tenant, actor, reason string, vm *VM) ([]Payload, error) {
	if err := tenant.RequireMember(actor); err != nil {
		return nil, err
	}
	if r.created.Requester != actor && tenant.Role(actor) != RoleAdmin {
		return nil, Errorf(KindForbidden, "only %s or an admin of %s can ask to decommission this VM", r.created.Requester, r.tenant)
	}
	if err := validateProse("reason", reason, MinReason, MaxReason); err != nil {
		return nil, err
	}
	if r.decommissionBy != "" {
		return nil, Errorf(KindConflict, "the decommission of request %s was already asked for by %s", ShortID(r.id), r.decommissionBy)
	}
	if vm.Status() != StatusReady {
		return nil, Errorf(KindConflict, "request %s is %s: only a READY VM can be decommissioned", ShortID(r.id), statusOf(r, vm))
	}
	return []Payload{RequestDecommissionRequested{By: actor, Reason: strings.TrimSpace(reason)}}, nil
}

// ApproveDecommission decides the approval of an ask: by an admin who did
// not ask for it.
func (r *Request) ApproveDecommission(tenant *Tenant, actor string) ([]Payload, error) {
	if err := tenant.RequireAdmin(actor, "approve decommissions"); err != nil {
		return nil, err
	}
	switch {
	case r.decommissionBy == "":
		return nil, Errorf(KindConflict, "no one asked to decommission request %s", ShortID(r.id))
	case r.decommissionApproved:
		return nil, Errorf(KindConflict, "the decommission of request %s is already approved", ShortID(r.id))
	case r.decommissionBy == actor:
		return nil, Errorf(KindForbidden, "you cannot approve the decommission you asked for: another admin of %s must do it", r.tenant)
	}
	return []Payload{RequestDecommissionApproved{By: actor}}, nil
}

// RequestDecommission asks to decommission the VM of ref (a request id,
// VM id or VM name).
func (a *App) RequestDecommission(ctx context.Context, actor Actor, ref, reason string) (RequestView, error) {
	return a.decideVM(ctx, actor, ref, func(tx Tx, r *Request, t *Tenant, vm *VM) error {
		payloads, err := r.RequestDecommission(t, actor.User, reason, vm)
		if err != nil {
			return err
		}
		_, err = a.record(ctx, tx, actor.Tenant, StreamRequest, r.ID(), r.Version(), a.meta(actor), payloads...)
		return err
	})
}

// ApproveDecommission approves the ask and queues the VM's removal.
func (a *App) ApproveDecommission(ctx context.Context, actor Actor, ref string) (RequestView, error) {
	return a.decideVM(ctx, actor, ref, func(tx Tx, r *Request, t *Tenant, _ *VM) error {
		payloads, err := r.ApproveDecommission(t, actor.User)
		if err != nil {
			return err
		}
		if _, err := a.record(ctx, tx, actor.Tenant, StreamRequest, r.ID(), r.Version(), a.meta(actor), payloads...); err != nil {
			return err
		}
		var slot string
		var limit int
		if s := t.VMware(); s != nil {
			slot, limit = s.TaskSlot(), s.TaskLimit()
		}
		return a.enqueueIn(ctx, tx, DecommissionKey(r.ID()), CmdRemoveVM, actor, r.ID(),
			RemoveVM{RequestID: r.ID(), TenantID: actor.Tenant, Decommission: true}, a.Now(), slot, limit)
	})
}

// DecommissionKey is the queue key of a request's decommission: one per
// request, whoever approves and however often.
func DecommissionKey(requestID string) string { return "decommission:" + requestID }

// decideVM runs decide on the request that ref names, with its tenant and
// VM, in one transaction, and returns the request as it then is.
func (a *App) decideVM(ctx context.Context, actor Actor, ref string, decide func(Tx, *Request, *Tenant, *VM) error) (RequestView, error) {
	if _, err := a.memberOf(ctx, actor); err != nil {
		return RequestView{}, err
	}
	id, err := a.resolveVM(ctx, actor, ref)
	if err != nil {
		return RequestView{}, err
	}
	var view RequestView
	err = a.Store.Update(ctx, func(tx Tx) error {
		t, err := loadTenant(ctx, tx, actor.Tenant)
		if err != nil {
			return err
		}
		r, err := loadRequestFor(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		evs, err := tx.LoadStream(ctx, StreamVM, VMID(id))
		if err != nil {
			return err
		}
		if err := decide(tx, r, t, NewVM(id, evs)); err != nil {
			return err
		}
		view, err = tx.Request(ctx, id)
		return err
	})
	return view, err
}

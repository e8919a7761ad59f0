package app

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Inspector reads what vCenter says of the VMs dvmm made, without
// changing anything there. It is a port of its own, apart from the
// Hypervisor that makes and removes VMs.
type Inspector interface {
	// FindRecorded looks up a request's VM by what was recorded of it
	// first: its moref, then its instance UUID (either may be ""), then
	// its request tag. A VM gone from vCenter is not found (false, no
	// error); an error says vCenter could not be asked.
	FindRecorded(ctx context.Context, t Target, requestID, moref, instanceUUID string) (Machine, bool, error)
	// Survey reads every VM below the tenant's folders that carries a
	// request id, in one pass.
	Survey(ctx context.Context, t Target) ([]SurveyedVM, error)
}

// SurveyedVM is one VM a survey found, with the request it was made for.
type SurveyedVM struct {
	RequestID string
	Machine   Machine
}

// LiveVM is what vCenter says of a recorded VM now.
type LiveVM struct {
	// Machine is the VM as vCenter has it; nil unless vCenter answered
	// and the VM exists.
	Machine *Machine
	// Missing: vCenter answered, and the recorded VM is not there.
	Missing bool
	// Error says why vCenter could not be read; "" when it was, or
	// when it was not asked (no VM recorded yet).
	Error string
}

// VMStatus returns a request's VM as recorded, and as vCenter sees it now
// (within timeout). It looks the VM up by its recorded moref and instance
// UUID before anything else.
func (a *App) VMStatus(ctx context.Context, actor Actor, ref string, timeout time.Duration) (RequestView, LiveVM, error) {
	if _, err := a.memberOf(ctx, actor); err != nil {
		return RequestView{}, LiveVM{}, err
	}
	id, err := a.resolveVM(ctx, actor, ref)
	if err != nil {
		return RequestView{}, LiveVM{}, err
	}
	v, err := a.Views.Request(ctx, id)
	if err != nil {
		return v, LiveVM{}, err
	}
	if v.Tenant != actor.Tenant {
		return RequestView{}, LiveVM{}, notFound(ref)
	}
	if v.VM == nil || v.VM.MoRef == "" {
		return v, LiveVM{}, nil
	}
	if a.Inspector == nil {
		return v, LiveVM{Error: "this process cannot reach vCenter"}, nil
	}
	t, err := a.target(ctx, actor.Tenant)
	if err != nil {
		return v, LiveVM{Error: AsFault(err).Message}, nil
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	m, found, err := a.Inspector.FindRecorded(cctx, t, id, v.VM.MoRef, v.VM.InstanceUUID)
	switch {
	case err != nil && cctx.Err() != nil && ctx.Err() == nil:
		return v, LiveVM{Error: fmt.Sprintf("vCenter did not answer within %s", timeout)}, nil
	case err != nil:
		return v, LiveVM{Error: AsFault(err).Message}, nil
	case !found:
		return v, LiveVM{Missing: true}, nil
	}
	return v, LiveVM{Machine: &m}, nil
}

// Drift is a kind of change made to a VM outside dvmm.
type Drift string

const (
	DriftDeleted Drift = "deleted"
	DriftRenamed Drift = "renamed"
	DriftResized Drift = "resized"
	DriftPower   Drift = "power"
	DriftIP      Drift = "ip"
)

// VMDriftObserved records a change to a READY VM that was made outside
// dvmm, as a reconcile found it. Nothing was changed in vCenter.
type VMDriftObserved struct {
	Change   Drift  `json:"change"`
	From     string `json:"from,omitempty"`
	To       string `json:"to,omitempty"`
	CPUs     int    `json:"cpus,omitempty"`
	MemoryMB int    `json:"memory_mb,omitempty"`
}

// EvVMDriftObserved is the stored name of VMDriftObserved.
const EvVMDriftObserved = "vm.drift_observed"

func (VMDriftObserved) EventType() string { return EvVMDriftObserved }

// DecideDrift compares what is recorded of a READY VM with what vCenter
// says now (found false: vCenter answered and the VM is gone), and
// returns an event for each difference. A VM already known to be gone
// yields nothing more until it is seen again.
func DecideDrift(rec VMView, live Machine, found bool) []Payload {
	if !found {
		if rec.Missing {
			return nil
		}
		return []Payload{VMDriftObserved{Change: DriftDeleted, From: rec.VCenterName}}
	}
	var out []Payload
	if rec.Missing {
		// Seen again (restored from a backup, say): every field is news.
		rec.VCenterName, rec.CPUs, rec.MemoryGB, rec.PowerState, rec.IP = "", 0, 0, "", ""
	}
	if live.Name != rec.VCenterName {
		out = append(out, VMDriftObserved{Change: DriftRenamed, From: rec.VCenterName, To: live.Name})
	}
	if live.CPUs != rec.CPUs || live.MemoryMB != rec.MemoryGB*1024 {
		out = append(out, VMDriftObserved{Change: DriftResized, From: sizeText(rec.CPUs, rec.MemoryGB*1024),
			To: sizeText(live.CPUs, live.MemoryMB), CPUs: live.CPUs, MemoryMB: live.MemoryMB})
	}
	if live.PowerState != rec.PowerState {
		out = append(out, VMDriftObserved{Change: DriftPower, From: rec.PowerState, To: live.PowerState})
	}
	// A guest that reports no address (tools stopped, powered off) has
	// not changed its address: only a new address is drift.
	if live.IP != "" && live.IP != rec.IP {
		out = append(out, VMDriftObserved{Change: DriftIP, From: rec.IP, To: live.IP})
	}
	return out
}

func sizeText(cpus, memoryMB int) string {
	if memoryMB%1024 == 0 {
		return fmt.Sprintf("%d vCPU, %d GB", cpus, memoryMB/1024)
	}
	return fmt.Sprintf("%d vCPU, %d MB", cpus, memoryMB)
}

// ReconcileResult says what a reconcile found.
type ReconcileResult struct {
	Tenants []TenantReconcile `json:"tenants"`
}

// TenantReconcile is a reconcile of one tenant's READY VMs.
type TenantReconcile struct {
	Tenant  string       `json:"tenant"`
	Checked int          `json:"checked"`
	Drifted []DriftFound `json:"drifted"`
	Error   string       `json:"error,omitempty"` // vCenter could not be read: nothing was recorded
}

// DriftFound is the changes found on one VM.
type DriftFound struct {
	RequestID string            `json:"request_id"`
	Name      string            `json:"name"`
	Changes   []VMDriftObserved `json:"changes"`
}

// Reconcile compares the READY VMs of the actor's tenant (all tenants
// with all) with vCenter and records what changed outside dvmm. It
// changes nothing in vCenter. A tenant whose vCenter cannot be read is
// reported and skipped: an unreadable vCenter is never taken for deleted
// VMs.
func (a *App) Reconcile(ctx context.Context, actor Actor, all bool) (ReconcileResult, error) {
	var tenants []string
	if all {
		if err := requireOperator(actor, "reconcile every tenant"); err != nil {
			return ReconcileResult{}, err
		}
		ts, err := a.Views.Tenants(ctx)
		if err != nil {
			return ReconcileResult{}, err
		}
		for _, t := range ts {
			if t.VMware {
				tenants = append(tenants, t.Name)
			}
		}
	} else {
		t, err := a.memberOf(ctx, actor)
		if err != nil {
			return ReconcileResult{}, err
		}
		if err := t.RequireAdmin(actor.User, "reconcile VMs"); err != nil {
			return ReconcileResult{}, err
		}
		tenants = []string{actor.Tenant}
	}
	res := ReconcileResult{Tenants: []TenantReconcile{}}
	for _, tenant := range tenants {
		tr, err := a.reconcileTenant(ctx, actor, tenant)
		if err != nil {
			return res, err
		}
		res.Tenants = append(res.Tenants, tr)
	}
	return res, nil
}

func (a *App) reconcileTenant(ctx context.Context, actor Actor, tenant string) (TenantReconcile, error) {
	out := TenantReconcile{Tenant: tenant, Drifted: []DriftFound{}}
	ready, err := a.Views.ListRequests(ctx, RequestFilter{Tenant: tenant, Status: StatusReady, HasVM: true})
	if err != nil || len(ready) == 0 {
		return out, err
	}
	if a.Inspector == nil {
		out.Error = "this process cannot reach vCenter"
		return out, nil
	}
	t, err := a.target(ctx, tenant)
	var f *Fault
	if errors.As(err, &f) {
		out.Error = f.Message
		return out, nil
	}
	if err != nil {
		return out, err
	}
	seen, err := a.Inspector.Survey(ctx, t)
	if err != nil {
		out.Error = AsFault(err).Message
		return out, nil
	}
	byRequest := make(map[string]Machine, len(seen))
	for _, s := range seen {
		byRequest[s.RequestID] = s.Machine
	}
	meta := a.meta(actor)
	for _, v := range ready {
		if v.VM == nil || v.VM.MoRef == "" {
			continue
		}
		out.Checked++
		live, found := byRequest[v.ID]
		if len(DecideDrift(*v.VM, live, found)) == 0 {
			continue
		}
		// Decided again in the transaction, on the view as it is there:
		// two reconciles at once (two serve machines) record a change once.
		var changes []Payload
		err := a.Store.Update(ctx, func(tx Tx) error {
			cur, err := tx.Request(ctx, v.ID)
			if err != nil || cur.Status != StatusReady || cur.VM == nil {
				return err // it moved on since the list was read
			}
			changes = DecideDrift(*cur.VM, live, found)
			if len(changes) == 0 {
				return nil
			}
			evs, err := tx.LoadStream(ctx, StreamVM, VMID(v.ID))
			if err != nil {
				return err
			}
			vm := NewVM(v.ID, evs)
			_, err = a.record(ctx, tx, tenant, StreamVM, vm.ID(), vm.Version(), meta, changes...)
			return err
		})
		if ErrorKind(err) == KindConflict {
			continue // a provisioning step came first; the next pass sees it
		}
		if err != nil {
			return out, err
		}
		if len(changes) == 0 {
			continue
		}
		d := DriftFound{RequestID: v.ID, Name: v.Name}
		for _, c := range changes {
			d.Changes = append(d.Changes, c.(VMDriftObserved))
		}
		out.Drifted = append(out.Drifted, d)
	}
	return out, nil
}

// ReconcileEvery reconciles every tenant each period until ctx ends, as
// 'serve' does; what it finds is in the log and on the timelines.
func (a *App) ReconcileEvery(ctx context.Context, every time.Duration) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.Clock.After(every):
		}
		res, err := a.Reconcile(ctx, Actor{User: "dvmm"}, true)
		if err != nil {
			if ctx.Err() == nil {
				a.Log.Warn("reconcile failed", "error", err.Error())
			}
			continue
		}
		for _, t := range res.Tenants {
			if t.Error != "" {
				a.Log.Warn("reconcile: vCenter could not be read", "tenant", t.Tenant, "error", t.Error)
				continue
			}
			a.Log.Info("reconciled", "tenant", t.Tenant, "checked", t.Checked, "changed", len(t.Drifted))
		}
	}
}

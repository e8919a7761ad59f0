package apiclient

import (
	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
)

// The API speaks package contract's shapes; the CLI renders the
// application's views. These turn the one back into the other, field by
// field, so a command prints the same whichever way it ran.

func toRequest(r contract.Request) app.RequestView {
	return app.RequestView{ID: r.ID, Tenant: r.Tenant, Name: r.Name, Project: r.Project, Size: r.Size, CPUs: r.CPUs,
		MemoryGB: r.MemoryGB, DiskGB: r.DiskGB, Network: r.Network, Justification: r.Justification, UserDataBytes: r.UserDataBytes, Requester: r.Requester,
		Status: r.Status, Version: r.Version, DecidedBy: r.DecidedBy, Reason: r.Reason, CreatedAt: r.CreatedAt,
		UpdatedAt: r.UpdatedAt, VM: toVM(r.VM), Decommission: r.Decommission, Resize: r.Resize, Lease: r.Lease}
}

func toRequests(rs []contract.Request) []app.RequestView {
	out := make([]app.RequestView, 0, len(rs))
	for _, r := range rs {
		out = append(out, toRequest(r))
	}
	return out
}

func toVM(v *contract.VM) *app.VMView {
	if v == nil {
		return nil
	}
	return &app.VMView{ID: v.ID, Status: v.Status, Stage: v.Stage, Attempt: v.Attempt, VCenterName: v.VCenterName, Folder: v.Folder,
		MoRef: v.MoRef, InstanceUUID: v.InstanceUUID, IP: v.IP, CPUs: v.CPUs, MemoryGB: v.MemoryGB, PowerState: v.PowerState,
		Missing: v.Missing, ErrorCode: v.ErrorCode, Error: v.Error}
}

// toTimeline keeps each step's words: the server worded them already.
func toTimeline(tl []contract.TimelineEntry, requestID string) []app.TimelineEntry {
	out := make([]app.TimelineEntry, 0, len(tl))
	for _, e := range tl {
		out = append(out, app.TimelineEntry{Seq: e.Seq, RequestID: requestID, At: e.At, Actor: e.Actor, Data: contract.Worded{Text: e.Text}})
	}
	return out
}

func toMachine(m *contract.Machine) *app.Machine {
	if m == nil {
		return nil
	}
	return &app.Machine{Name: m.Name, Folder: m.Folder, MoRef: m.MoRef, InstanceUUID: m.InstanceUUID, IP: m.IP,
		IPv6: m.IPv6, MAC: m.MAC, Hostname: m.Hostname, CPUs: m.CPUs, MemoryMB: m.MemoryMB, PowerState: m.PowerState, Adopted: m.Adopted}
}

func toTenant(t contract.Tenant) app.TenantView {
	out := app.TenantView{Name: t.Name, Version: t.Version, CreatedAt: t.CreatedAt, VMware: t.VMwareConfigured}
	for _, m := range t.Members {
		out.Members = append(out.Members, app.Member{User: m.User, Role: m.Role})
	}
	return out
}

func toQueueItem(q contract.QueueItem) app.QueueItem {
	return app.QueueItem{State: q.State, Command: app.Command{ID: q.ID, Key: q.Key, Type: q.Type, Tenant: q.Tenant,
		RequestID: q.RequestID, Payload: q.Payload, Status: q.Status, Attempts: q.Attempts, NextRunAt: q.NextRunAt,
		ClaimedBy: q.ClaimedBy, LeaseUntil: q.LeaseUntil, LastError: q.LastError, Correlation: q.Correlation, CreatedAt: q.CreatedAt}}
}

func toReconcile(r contract.Reconcile) app.ReconcileResult {
	out := app.ReconcileResult{Tenants: make([]app.TenantReconcile, 0, len(r.Tenants))}
	for _, t := range r.Tenants {
		at := app.TenantReconcile{Tenant: t.Tenant, Checked: t.Checked, Error: t.Error, Drifted: make([]app.DriftFound, 0, len(t.Drifted))}
		for _, d := range t.Drifted {
			f := app.DriftFound{RequestID: d.RequestID, Name: d.Name}
			for _, c := range d.Changes {
				f.Changes = append(f.Changes, app.VMDriftObserved{Change: c.Change, From: c.From, To: c.To, CPUs: c.CPUs, MemoryMB: c.MemoryMB})
			}
			at.Drifted = append(at.Drifted, f)
		}
		out.Tenants = append(out.Tenants, at)
	}
	return out
}

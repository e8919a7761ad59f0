package app

import (
	"slices"
	"time"
)

// RequestView is the read model of a request and its VM, as list and show
// present it. Version is the request stream's version: the one approve and
// reject check.
type RequestView struct {
	ID            string `json:"id"`
	Tenant        string `json:"tenant"`
	Name          string `json:"name"`
	Project       string `json:"project"`
	Size          string `json:"size"`
	CPUs          int    `json:"cpus"`
	MemoryGB      int    `json:"memory_gb"`
	DiskGB        int    `json:"disk_gb"`
	Network       string `json:"network,omitempty"`
	Justification string `json:"justification"`
	Requester     string `json:"requester"`
	// UserDataBytes is the size of the request's cloud-init user data;
	// the data itself is passed to the guest, never shown.
	UserDataBytes int       `json:"user_data_bytes,omitempty"`
	Status        Status    `json:"status"`
	Version       int       `json:"version"`
	DecidedBy     string    `json:"decided_by,omitempty"`
	Reason        string    `json:"reason,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	VM            *VMView   `json:"vm,omitempty"`
	// Decommission is set once someone asked to decommission the VM.
	Decommission *DecommissionView `json:"decommission,omitempty"`
	// Resize is a resize asked for and not yet done.
	Resize *ResizeView `json:"resize,omitempty"`
	// Lease is the VM's lease, set when it became READY; nil: it never
	// expires.
	Lease *LeaseView `json:"lease,omitempty"`
}

// VMView is what dvmm knows of the VM made for a request.
type VMView struct {
	ID           string `json:"id"`
	Status       Status `json:"status"`
	Stage        Stage  `json:"stage,omitempty"`
	Attempt      int    `json:"attempt"`
	VCenterName  string `json:"vcenter_name,omitempty"`
	Folder       string `json:"folder,omitempty"`
	MoRef        string `json:"moref,omitempty"`
	InstanceUUID string `json:"instance_uuid,omitempty"`
	IP           string `json:"ip,omitempty"`
	CPUs         int    `json:"cpus"`
	MemoryGB     int    `json:"memory_gb"`
	PowerState   string `json:"power_state,omitempty"`
	// Missing: a reconcile found the VM gone from vCenter.
	Missing   bool   `json:"missing,omitempty"`
	ErrorCode string `json:"error_code,omitempty"`
	Error     string `json:"error,omitempty"`
}

// TimelineEntry is one step of a request's history, kept as data: the
// event's type and fields, when and by whom. Each edge words it for its
// readers (contract.TimelineText).
type TimelineEntry struct {
	Seq       int64
	RequestID string
	At        time.Time
	Actor     string
	Type      string
	Data      Payload
}

// Member of a tenant.
type Member struct {
	User string `json:"user"`
	Role Role   `json:"role"`
}

// TenantView is the read model of a tenant.
type TenantView struct {
	Name      string    `json:"name"`
	Members   []Member  `json:"members"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	VMware    bool      `json:"vmware_configured"`
	// Usage is what the tenant's requests hold, by project ("" for the
	// whole tenant), kept by the projection of request events once
	// UsageCounted (tenants recorded before quotas are counted at first
	// use).
	Usage        map[string]Usage `json:"usage,omitempty"`
	UsageCounted bool             `json:"usage_counted,omitempty"`
	// Projects are the tenant's projects by name.
	Projects map[string]ProjectView `json:"projects,omitempty"`
	// ProjectsMembersOnly: requesters may ask only in their projects.
	ProjectsMembersOnly bool `json:"projects_members_only,omitempty"`
	// ProjectsKnown: every project the tenant's requests name is a
	// project (set at creation; a tenant of an earlier version once its
	// projects are upgraded).
	ProjectsKnown bool `json:"projects_known,omitempty"`
}

// ProjectRequest folds an event of a request's or VM's stream into the
// request's read model. It is pure: the same events give the same view,
// which is what makes a rebuild from the log possible.
func ProjectRequest(v *RequestView, e Event) {
	v.UpdatedAt = e.At
	if v.Lease != nil {
		// The lease changes in place below: never the caller's copy.
		l := *v.Lease
		v.Lease = &l
	}
	if e.StreamType == StreamRequest {
		v.Version = e.Version
	}
	switch p := e.Data.(type) {
	case RequestCreated:
		*v = RequestView{ID: e.StreamID, Tenant: e.TenantID, Name: p.Name, Project: p.Project, Size: p.Size,
			CPUs: p.CPUs, MemoryGB: p.MemoryGB, DiskGB: p.DiskGB, Network: p.Network, Justification: p.Justification,
			Requester: p.Requester, Status: StatusPending, Version: e.Version, CreatedAt: e.At, UpdatedAt: e.At,
			UserDataBytes: len(p.UserData)}
	case RequestApproved:
		v.Status, v.DecidedBy = StatusApproved, p.By
	case RequestRejected:
		v.Status, v.DecidedBy, v.Reason = StatusRejected, p.By, p.Reason
	case RequestCancelled:
		v.Status = StatusCancelled
	case VMProvisioningStarted:
		v.Status = StatusProvisioning
		if v.VM == nil {
			v.VM = &VMView{ID: e.StreamID}
		}
		v.VM.Status, v.VM.Attempt, v.VM.Stage = StatusProvisioning, p.Attempt, ""
		v.VM.CPUs, v.VM.MemoryGB = p.Spec.CPUs, p.Spec.MemoryGB
		v.VM.ErrorCode, v.VM.Error = "", ""
		if v.Network == "" {
			v.Network = p.Spec.Network
		}
	case VMProvisioningProgressed:
		if v.VM != nil {
			v.VM.Stage = p.Stage
		}
	case VMProvisioned:
		v.Status = StatusReady
		if v.VM != nil {
			v.VM.Status, v.VM.Stage = StatusReady, ""
			v.VM.VCenterName, v.VM.MoRef, v.VM.InstanceUUID, v.VM.IP = p.VCenterName, p.MoRef, p.InstanceUUID, p.IP
			v.VM.PowerState = "poweredOn"
		}
	case VMProvisioningFailed:
		v.Status = StatusFailed
		if v.VM != nil {
			v.VM.Status, v.VM.ErrorCode, v.VM.Error = StatusFailed, p.Code, p.Message
		}
	case VMRemoved:
		if v.VM != nil {
			v.VM.MoRef, v.VM.PowerState = "", ""
		}
	case VMResizeRequested:
		v.Resize = &ResizeView{RequestedBy: p.By, Size: p.Size, AllowRestart: p.AllowRestart}
	case VMResizeApproved:
		if v.Resize != nil {
			v.Resize.ApprovedBy = p.By
		}
	case VMResized:
		v.Size, v.CPUs, v.MemoryGB, v.DiskGB, v.Resize = p.Size, p.CPUs, p.MemoryGB, p.DiskGB, nil
		if v.VM != nil {
			v.VM.CPUs, v.VM.MemoryGB = p.CPUs, p.MemoryGB
		}
	case VMResizeFailed:
		v.Resize = nil
	case VMPowerChanged:
		if v.VM != nil {
			v.VM.PowerState = p.State
		}
	case RequestDecommissionRequested:
		v.Decommission = &DecommissionView{RequestedBy: p.By, Reason: p.Reason}
	case RequestDecommissionApproved:
		v.Status = StatusDecommissioning
		if v.Decommission != nil {
			v.Decommission.ApprovedBy = p.By
		}
	case VMDecommissioned:
		v.Status = StatusDecommissioned
		if v.VM != nil {
			v.VM.Status, v.VM.Stage, v.VM.MoRef, v.VM.PowerState = StatusDecommissioned, "", "", ""
		}
	case VMWaitingForSlot:
		if v.VM != nil {
			v.VM.Stage = StageWaitingSlot
		}
	case VMDriftObserved:
		if v.VM != nil {
			projectDrift(v.VM, p)
		}
	case RequestLeaseDecommissioned:
		v.Status = StatusDecommissioning
		v.Decommission = &DecommissionView{RequestedBy: SystemActor, Reason: "lease expired", ApprovedBy: SystemActor}
	}
	if e.StreamType == StreamVM {
		v.Lease = applyLease(v.Lease, e)
	}
	if v.Lease != nil {
		v.Lease.NextActionAt = v.Lease.nextAction(v.Status == StatusReady)
	}
}

// ProjectTenant folds a tenant event into the tenant's read model.
func ProjectTenant(v *TenantView, e Event) {
	v.Version = e.Version
	switch p := e.Data.(type) {
	case TenantCreated:
		*v = TenantView{Name: p.Name, Members: []Member{{User: p.Admin, Role: RoleAdmin}}, Version: e.Version, CreatedAt: e.At, UsageCounted: true, ProjectsKnown: true}
	case TenantMemberAdded:
		for i := range v.Members {
			if v.Members[i].User == p.User {
				v.Members[i].Role = p.Role
				return
			}
		}
		v.Members = append(v.Members, Member(p))
	case TenantMemberRoleChanged:
		for i := range v.Members {
			if v.Members[i].User == p.User {
				v.Members[i].Role = p.To
			}
		}
	case TenantMemberRemoved:
		v.Members = slices.DeleteFunc(v.Members, func(m Member) bool { return m.User == p.User })
	case VMwareConfigured:
		v.VMware = true
	case TenantProjectAccessSet:
		v.ProjectsMembersOnly = p.MembersOnly
	}
}

// projectDrift folds a change found outside dvmm into the VM's view.
func projectDrift(vm *VMView, d VMDriftObserved) {
	if d.Change == DriftDeleted {
		vm.Missing, vm.PowerState = true, ""
		return
	}
	vm.Missing = false
	switch d.Change {
	case DriftRenamed:
		vm.VCenterName = d.To
	case DriftResized:
		vm.CPUs, vm.MemoryGB = d.CPUs, d.MemoryMB/1024
	case DriftPower:
		vm.PowerState = d.To
	case DriftIP:
		vm.IP = d.To
	}
}

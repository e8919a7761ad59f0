// Package contract holds the JSON shapes users script against: a request
// (with its timeline), a VM's status, a queue item, a tenant and the
// doctor report. The CLI prints them and an HTTP API serves the same, so
// each field is listed here on purpose; the read models in internal/app
// are storage and may change without changing these.
package contract

import (
	"encoding/json"
	"time"

	"github.com/dvmm/dvmm/internal/app"
)

// Request is one request and its VM, as 'request list', 'create',
// 'approve', 'reject' and 'cancel' print it.
type Request struct {
	ID            string     `json:"id"`
	Tenant        string     `json:"tenant"`
	Name          string     `json:"name"`
	Project       string     `json:"project"`
	Size          string     `json:"size"`
	CPUs          int        `json:"cpus"`
	MemoryGB      int        `json:"memory_gb"`
	DiskGB        int        `json:"disk_gb"`
	Network       string     `json:"network,omitempty"`
	Justification string     `json:"justification"`
	UserDataBytes int        `json:"user_data_bytes,omitempty"` // the size of its cloud-init user data, never the data
	Requester     string     `json:"requester"`
	Status        app.Status `json:"status"`
	Version       int        `json:"version"`
	DecidedBy     string     `json:"decided_by,omitempty"`
	Reason        string     `json:"reason,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	VM            *VM        `json:"vm,omitempty"`
	// Decommission: who asked to remove the VM, why, and who approved.
	Decommission *app.DecommissionView `json:"decommission,omitempty"`
	// Resize: a resize asked for and not yet done.
	Resize *app.ResizeView `json:"resize,omitempty"`
	// Lease: when the VM expires (set when it became READY); none: never.
	Lease *app.LeaseView `json:"lease,omitempty"`
}

// VM is what dvmm recorded of a request's VM.
type VM struct {
	ID           string     `json:"id"`
	Status       app.Status `json:"status"`
	Stage        app.Stage  `json:"stage,omitempty"`
	Attempt      int        `json:"attempt"`
	VCenterName  string     `json:"vcenter_name,omitempty"`
	Folder       string     `json:"folder,omitempty"`
	MoRef        string     `json:"moref,omitempty"`
	InstanceUUID string     `json:"instance_uuid,omitempty"`
	IP           string     `json:"ip,omitempty"`
	CPUs         int        `json:"cpus"`
	MemoryGB     int        `json:"memory_gb"`
	PowerState   string     `json:"power_state,omitempty"`
	Missing      bool       `json:"missing,omitempty"` // a reconcile found it gone from vCenter
	ErrorCode    string     `json:"error_code,omitempty"`
	Error        string     `json:"error,omitempty"`
}

// TimelineEntry is one line of a request's history.
type TimelineEntry struct {
	Seq   int64     `json:"seq"`
	At    time.Time `json:"at"`
	Actor string    `json:"actor,omitempty"`
	Text  string    `json:"text"`
}

// RequestWithTimeline is what 'request show' prints.
type RequestWithTimeline struct {
	Request
	Timeline []TimelineEntry `json:"timeline"`
}

// Machine is what vCenter says of a VM now.
type Machine struct {
	Name         string `json:"name"`
	Folder       string `json:"folder,omitempty"`
	MoRef        string `json:"moref"`
	InstanceUUID string `json:"instance_uuid"`
	IP           string `json:"ip,omitempty"`
	IPv6         string `json:"ipv6,omitempty"`
	MAC          string `json:"mac,omitempty"` // of the NIC on the requested network
	Hostname     string `json:"hostname,omitempty"`
	CPUs         int    `json:"cpus"`
	MemoryMB     int    `json:"memory_mb"`
	PowerState   string `json:"power_state"`
	Adopted      bool   `json:"adopted,omitempty"`
}

// VMStatus is what 'vm status' prints, and 'vm list' an array of.
type VMStatus struct {
	ID        string     `json:"id"`
	RequestID string     `json:"request_id"`
	Name      string     `json:"name"`
	Status    app.Status `json:"status"`
	Version   int        `json:"version"`
	Recorded  *VM        `json:"recorded,omitempty"`
	Live      *Machine   `json:"live,omitempty"`
	Source    string     `json:"source"` // vcenter or recorded
	// MissingInVCenter: vCenter answered and the recorded VM is gone.
	MissingInVCenter bool `json:"missing_in_vcenter,omitempty"`
	// VCenterError says why vCenter could not be read.
	VCenterError string `json:"vcenter_error,omitempty"`
	// ExpiresAt is the end of the VM's lease; absent: it never expires.
	ExpiresAt time.Time      `json:"expires_at,omitzero"`
	Lease     *app.LeaseView `json:"lease,omitempty"`
}

// QueueItem is a queued command as 'queue list' prints it.
type QueueItem struct {
	ID          int64             `json:"id"`
	Key         string            `json:"key"`
	Type        string            `json:"type"`
	Tenant      string            `json:"tenant"`
	RequestID   string            `json:"request_id"`
	Payload     json.RawMessage   `json:"payload"`
	Status      app.CommandStatus `json:"status"`
	Attempts    int               `json:"attempts"`
	NextRunAt   time.Time         `json:"next_run_at"`
	ClaimedBy   string            `json:"claimed_by,omitempty"`
	LeaseUntil  time.Time         `json:"lease_until,omitzero"`
	LastError   string            `json:"last_error,omitempty"`
	Correlation string            `json:"correlation_id,omitempty"`
	CreatedAt   time.Time         `json:"created_at"`
	State       string            `json:"state"` // pending, running, waiting, done, failed
}

// Member of a tenant.
type Member struct {
	User string   `json:"user"`
	Role app.Role `json:"role"`
}

// Tenant is what 'tenant list', 'create' and 'add-member' print.
type Tenant struct {
	Name             string    `json:"name"`
	Members          []Member  `json:"members"`
	Version          int       `json:"version"`
	CreatedAt        time.Time `json:"created_at"`
	VMwareConfigured bool      `json:"vmware_configured"`
}

// Check outcomes of the doctor report.
const (
	CheckOK   = "ok"
	CheckWarn = "warn"
	CheckFail = "fail"
)

// Check is one line of the doctor report.
type Check struct {
	Name   string `json:"name"`
	Status string `json:"status"` // ok, warn or fail
	Detail string `json:"detail"`
}

// DoctorReport is what 'doctor' prints.
type DoctorReport struct {
	OK     bool    `json:"ok"`
	Checks []Check `json:"checks"`
}

// NewRequest is the contract of a request's read model.
func NewRequest(v app.RequestView) Request {
	return Request{ID: v.ID, Tenant: v.Tenant, Name: v.Name, Project: v.Project, Size: v.Size, CPUs: v.CPUs,
		MemoryGB: v.MemoryGB, DiskGB: v.DiskGB, Network: v.Network, Justification: v.Justification, UserDataBytes: v.UserDataBytes, Requester: v.Requester,
		Status: v.Status, Version: v.Version, DecidedBy: v.DecidedBy, Reason: v.Reason, CreatedAt: v.CreatedAt,
		UpdatedAt: v.UpdatedAt, VM: newVM(v.VM), Decommission: v.Decommission, Resize: v.Resize, Lease: v.Lease}
}

// NewRequests is NewRequest of each, never nil (JSON []).
func NewRequests(vs []app.RequestView) []Request {
	out := make([]Request, 0, len(vs))
	for _, v := range vs {
		out = append(out, NewRequest(v))
	}
	return out
}

func newVM(v *app.VMView) *VM {
	if v == nil {
		return nil
	}
	return &VM{ID: v.ID, Status: v.Status, Stage: v.Stage, Attempt: v.Attempt, VCenterName: v.VCenterName, Folder: v.Folder,
		MoRef: v.MoRef, InstanceUUID: v.InstanceUUID, IP: v.IP, CPUs: v.CPUs, MemoryGB: v.MemoryGB, PowerState: v.PowerState,
		Missing: v.Missing, ErrorCode: v.ErrorCode, Error: v.Error}
}

// NewRequestWithTimeline is a request and its timeline, oldest first.
func NewRequestWithTimeline(v app.RequestView, tl []app.TimelineEntry) RequestWithTimeline {
	out := RequestWithTimeline{Request: NewRequest(v), Timeline: make([]TimelineEntry, 0, len(tl))}
	for _, e := range tl {
		out.Timeline = append(out.Timeline, TimelineEntry{Seq: e.Seq, At: e.At, Actor: e.Actor, Text: TimelineText(e)})
	}
	return out
}

// NewVMStatus is a request's VM as recorded, and as vCenter sees it now
// when it answered.
func NewVMStatus(v app.RequestView, lv app.LiveVM) VMStatus {
	out := VMStatus{ID: app.VMID(v.ID), RequestID: v.ID, Name: v.Name, Status: v.Status, Version: v.Version,
		Recorded: newVM(v.VM), Source: "recorded", MissingInVCenter: lv.Missing, VCenterError: lv.Error, Lease: v.Lease}
	if v.Lease != nil {
		out.ExpiresAt = v.Lease.ExpiresAt
	}
	if live := lv.Machine; live != nil {
		out.Source = "vcenter"
		out.Live = &Machine{Name: live.Name, Folder: live.Folder, MoRef: live.MoRef, InstanceUUID: live.InstanceUUID, IP: live.IP,
			IPv6: live.IPv6, MAC: live.MAC, Hostname: live.Hostname, CPUs: live.CPUs, MemoryMB: live.MemoryMB, PowerState: live.PowerState, Adopted: live.Adopted}
	}
	return out
}

// NewQueueItems is the contract of queued commands, never nil.
func NewQueueItems(items []app.QueueItem) []QueueItem {
	out := make([]QueueItem, 0, len(items))
	for _, it := range items {
		out = append(out, NewQueueItem(it))
	}
	return out
}

// NewQueueItem is the contract of one queued command.
func NewQueueItem(it app.QueueItem) QueueItem {
	c := it.Command
	return QueueItem{ID: c.ID, Key: c.Key, Type: c.Type, Tenant: c.Tenant, RequestID: c.RequestID, Payload: c.Payload,
		Status: c.Status, Attempts: c.Attempts, NextRunAt: c.NextRunAt, ClaimedBy: c.ClaimedBy, LeaseUntil: c.LeaseUntil,
		LastError: c.LastError, Correlation: c.Correlation, CreatedAt: c.CreatedAt, State: it.State}
}

// NewTenant is the contract of a tenant's read model.
func NewTenant(v app.TenantView) Tenant {
	out := Tenant{Name: v.Name, Members: make([]Member, 0, len(v.Members)), Version: v.Version, CreatedAt: v.CreatedAt, VMwareConfigured: v.VMware}
	for _, m := range v.Members {
		out.Members = append(out.Members, Member{User: m.User, Role: m.Role})
	}
	return out
}

// NewTenants is NewTenant of each, never nil.
func NewTenants(vs []app.TenantView) []Tenant {
	out := make([]Tenant, 0, len(vs))
	for _, v := range vs {
		out = append(out, NewTenant(v))
	}
	return out
}

// Reconcile is what 'vm reconcile' reports.
type Reconcile struct {
	Tenants []ReconcileTenant `json:"tenants"`
}

// ReconcileTenant is the reconcile of one tenant's READY VMs.
type ReconcileTenant struct {
	Tenant  string      `json:"tenant"`
	Checked int         `json:"checked"`
	Drifted []DriftedVM `json:"drifted"`
	Error   string      `json:"error,omitempty"` // vCenter could not be read: nothing was recorded
}

// DriftedVM is a VM changed outside dvmm, and how.
type DriftedVM struct {
	RequestID string  `json:"request_id"`
	Name      string  `json:"name"`
	Changes   []Drift `json:"changes"`
}

// Drift is one change found on a VM, with its timeline words.
type Drift struct {
	Change   app.Drift `json:"change"`
	From     string    `json:"from,omitempty"`
	To       string    `json:"to,omitempty"`
	CPUs     int       `json:"cpus,omitempty"`
	MemoryMB int       `json:"memory_mb,omitempty"`
	Text     string    `json:"text"`
}

// NewReconcile is the contract of a reconcile's result, never with nil lists.
func NewReconcile(r app.ReconcileResult) Reconcile {
	out := Reconcile{Tenants: make([]ReconcileTenant, 0, len(r.Tenants))}
	for _, t := range r.Tenants {
		ct := ReconcileTenant{Tenant: t.Tenant, Checked: t.Checked, Error: t.Error, Drifted: make([]DriftedVM, 0, len(t.Drifted))}
		for _, d := range t.Drifted {
			vm := DriftedVM{RequestID: d.RequestID, Name: d.Name, Changes: make([]Drift, 0, len(d.Changes))}
			for _, c := range d.Changes {
				vm.Changes = append(vm.Changes, Drift{Change: c.Change, From: c.From, To: c.To, CPUs: c.CPUs, MemoryMB: c.MemoryMB, Text: driftLine(c)})
			}
			ct.Drifted = append(ct.Drifted, vm)
		}
		out.Tenants = append(out.Tenants, ct)
	}
	return out
}

// Quota is what 'quota show' and 'quota set' print: a tenant's (or a
// project's) limits, what its requests hold, and of that what PENDING
// requests reserve. A limit of 0 is no limit.
type Quota struct {
	Tenant   string     `json:"tenant"`
	Project  string     `json:"project,omitempty"`
	Limits   app.Amount `json:"limits"`
	Used     app.Amount `json:"used"`
	Reserved app.Amount `json:"reserved"`
}

// NewQuota is the contract of a quota view.
func NewQuota(q app.QuotaView) Quota {
	return Quota{Tenant: q.Tenant, Project: q.Project, Limits: q.Limits, Used: q.Used, Reserved: q.Pending}
}

// QuotaView is the quota view of a contract.
func (q Quota) QuotaView() app.QuotaView {
	return app.QuotaView{Tenant: q.Tenant, Project: q.Project, Limits: q.Limits, Used: q.Used, Pending: q.Reserved}
}

// RequestPreview is what 'request create --dry-run' prints: the request
// it would make and the quotas after it, the tenant's then its project's.
type RequestPreview struct {
	Request Request `json:"request"`
	Quotas  []Quota `json:"quotas"`
}

// NewRequestPreview is the contract of a preview.
func NewRequestPreview(v app.RequestView, qs []app.QuotaView) RequestPreview {
	out := RequestPreview{Request: NewRequest(v), Quotas: make([]Quota, 0, len(qs))}
	for _, q := range qs {
		out.Quotas = append(out.Quotas, NewQuota(q))
	}
	return out
}

// PowerResult is what 'vm power' prints: the request, the action, and
// whether it is queued ("pending"), "done" or "failed" (with the reason).
type PowerResult struct {
	Request Request         `json:"request"`
	Action  app.PowerAction `json:"action"`
	Status  string          `json:"status"`
	Error   string          `json:"error,omitempty"`
}

// NewPowerResult is the contract of a power result.
func NewPowerResult(r app.PowerResult) PowerResult {
	return PowerResult{Request: NewRequest(r.Request), Action: r.Action, Status: string(r.Status), Error: r.Error}
}

// AuditRecord is one event as 'audit export' gives it: when, who, from
// where, whose, about which request, what, and the event's own fields.
// The cloud-init user data of a request is given by its size only, as
// everywhere else.
type AuditRecord struct {
	Seq           int64       `json:"seq"`
	Time          time.Time   `json:"time"`
	Actor         string      `json:"actor"`
	Source        string      `json:"source,omitempty"`
	Tenant        string      `json:"tenant,omitempty"`
	Request       string      `json:"request,omitempty"`
	Stream        string      `json:"stream"`
	Type          string      `json:"type"`
	CorrelationID string      `json:"correlation_id,omitempty"`
	Fields        app.Payload `json:"fields"`
}

// createdForAudit is a request's creation without its user data.
type createdForAudit struct {
	app.RequestCreated
	UserData      []byte `json:"user_data,omitempty"`
	UserDataBytes int    `json:"user_data_bytes,omitempty"`
}

// NewAuditRecord is the audit record of an event.
func NewAuditRecord(e app.Event) AuditRecord {
	r := AuditRecord{Seq: e.Seq, Time: e.At, Actor: e.Meta.Actor, Source: e.Meta.Source, Tenant: e.TenantID,
		Stream: e.StreamType + "/" + e.StreamID, Type: e.Type, CorrelationID: e.Meta.CorrelationID, Fields: e.Data}
	switch e.StreamType {
	case app.StreamRequest:
		r.Request = e.StreamID
	case app.StreamVM:
		r.Request = app.RequestIDOfVM(e.StreamID)
	}
	if c, ok := e.Data.(app.RequestCreated); ok {
		r.Fields = createdForAudit{RequestCreated: c, UserDataBytes: len(c.UserData)}
	}
	return r
}

// LeasePolicy is a tenant's lease policy, as 'lease policy show' prints
// it; all zero: none, its VMs never expire.
type LeasePolicy struct {
	Tenant      string `json:"tenant"`
	DefaultDays int    `json:"default_days"`
	MaxDays     int    `json:"max_days"`
	GraceDays   int    `json:"grace_days"`
	Expires     bool   `json:"expires"`
}

// NewLeasePolicy is the contract of a tenant's lease policy.
func NewLeasePolicy(tenant string, p app.LeasePolicy) LeasePolicy {
	return LeasePolicy{Tenant: tenant, DefaultDays: p.DefaultDays, MaxDays: p.MaxDays, GraceDays: p.GraceDays, Expires: !p.None()}
}

// Project is what 'project create|archive|restore|add-member|remove-member'
// print: a project of a tenant, active or archived.
type Project struct {
	ID        string    `json:"id"` // the project's name: it names it within its tenant
	Name      string    `json:"name"`
	Status    string    `json:"status"` // active or archived
	Members   []string  `json:"members"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	// Upgrade: dvmm made the project for a name an earlier version
	// recorded only on requests or quotas.
	Upgrade bool `json:"upgrade,omitempty"`
	Version int  `json:"version"`
}

// NewProject is the contract of a project view.
func NewProject(p app.ProjectView) Project {
	status := "active"
	if p.Archived {
		status = "archived"
	}
	members := p.Members
	if members == nil {
		members = []string{}
	}
	return Project{ID: p.Name, Name: p.Name, Status: status, Members: members, CreatedBy: p.CreatedBy, CreatedAt: p.CreatedAt, Upgrade: p.Upgrade, Version: p.Version}
}

// ProjectView is the project view of a contract.
func (p Project) ProjectView() app.ProjectView {
	var members []string
	if len(p.Members) > 0 {
		members = p.Members
	}
	return app.ProjectView{Name: p.Name, Archived: p.Status == "archived", Members: members, CreatedBy: p.CreatedBy, CreatedAt: p.CreatedAt, Upgrade: p.Upgrade, Version: p.Version}
}

// ProjectList is what 'project list' prints: the tenant's projects and
// whether its requesters may ask only in the projects they belong to.
type ProjectList struct {
	MembersOnly bool      `json:"members_only"`
	Projects    []Project `json:"projects"`
}

// NewProjectList is the contract of a tenant's projects.
func NewProjectList(ps []app.ProjectView, membersOnly bool) ProjectList {
	out := ProjectList{MembersOnly: membersOnly, Projects: make([]Project, 0, len(ps))}
	for _, p := range ps {
		out.Projects = append(out.Projects, NewProject(p))
	}
	return out
}

// ProjectDetail is what 'project show' prints: the project, its quota and
// usage, and how many of its requests are live (pending, approved,
// provisioning, ready, failed or decommissioning).
type ProjectDetail struct {
	Project
	Quota        Quota `json:"quota"`
	LiveRequests int   `json:"live_requests"`
}

// NewProjectDetail is the contract of a project's detail.
func NewProjectDetail(d app.ProjectDetail) ProjectDetail {
	return ProjectDetail{Project: NewProject(d.ProjectView), Quota: NewQuota(d.Quota), LiveRequests: d.Live}
}

// ProjectDetail is the detail of a contract.
func (d ProjectDetail) ProjectDetail() app.ProjectDetail {
	return app.ProjectDetail{ProjectView: d.Project.ProjectView(), Quota: d.Quota.QuotaView(), Live: d.LiveRequests}
}

// ProjectAccess is what 'project access' prints.
type ProjectAccess struct {
	MembersOnly bool `json:"members_only"`
}

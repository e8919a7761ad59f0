package app

import "strings"

// Status of a request, as users see it.
type Status string

const (
	StatusPending      Status = "pending"
	StatusApproved     Status = "approved"
	StatusRejected     Status = "rejected"
	StatusCancelled    Status = "cancelled"
	StatusProvisioning Status = "provisioning"
	StatusReady        Status = "ready"
	StatusFailed       Status = "failed"
)

// Statuses lists every status, in lifecycle order.
var Statuses = []Status{StatusPending, StatusApproved, StatusProvisioning, StatusReady, StatusFailed, StatusRejected, StatusCancelled,
	StatusDecommissioning, StatusDecommissioned}

// ParseStatus accepts a status name in any case.
func ParseStatus(s string) (Status, error) {
	for _, st := range Statuses {
		if strings.EqualFold(string(st), s) {
			return st, nil
		}
	}
	return "", Errorf(KindInvalid, "unknown status %s: use pending, approved, provisioning, ready, failed, rejected, cancelled, decommissioning or decommissioned", quote(s, 20))
}

// Live statuses hold a name: a new request may not reuse it in the same
// tenant and project.
func (s Status) Live() bool {
	return s != StatusRejected && s != StatusCancelled && s != StatusDecommissioned
}

// Terminal statuses end a watch.
func (s Status) Terminal() bool {
	return s == StatusReady || s == StatusFailed || s == StatusRejected || s == StatusCancelled || s == StatusDecommissioned
}

// Request is the aggregate of a VM request. Its stream holds the decisions
// of people; provisioning progress lives in the VM aggregate.
type Request struct {
	id      string
	tenant  string
	version int
	status  Status
	created RequestCreated
	// decommissionBy asked to decommission the VM; decommissionApproved
	// once an admin approved.
	decommissionBy       string
	decommissionApproved bool
}

// NewRequest rebuilds a request from its events.
func NewRequest(id, tenant string, events []Event) *Request {
	r := &Request{id: id, tenant: tenant}
	for _, e := range events {
		r.apply(e)
	}
	return r
}

func (r *Request) apply(e Event) {
	r.version = e.Version
	switch p := e.Data.(type) {
	case RequestCreated:
		r.created = p
		r.status = StatusPending
	case RequestApproved:
		r.status = StatusApproved
	case RequestRejected:
		r.status = StatusRejected
	case RequestCancelled:
		r.status = StatusCancelled
	case RequestDecommissionRequested:
		r.decommissionBy = p.By
	case RequestDecommissionApproved:
		r.decommissionApproved = true
	case RequestLeaseDecommissioned:
		r.decommissionBy, r.decommissionApproved = SystemActor, true
	}
}

func (r *Request) ID() string              { return r.id }
func (r *Request) Version() int            { return r.version }
func (r *Request) Status() Status          { return r.status }
func (r *Request) Created() RequestCreated { return r.created }
func (r *Request) Exists() bool            { return r.version > 0 }

// NewRequestInput is what a user asks for.
type NewRequestInput struct {
	Name          string
	Size          string
	Project       string
	Network       string
	Justification string
	// UserData is cloud-init user data for the guest; at most MaxUserData bytes.
	UserData []byte
	// LeaseDays is the lease asked for; 0 takes the tenant's default.
	LeaseDays int
}

// MaxUserData caps a request's cloud-init user data: vCenter keeps it in
// the VM's extraConfig, which is not meant for large files.
const MaxUserData = 32 * 1024

// Create decides a new request.
func (r *Request) Create(requester string, in NewRequestInput) ([]Payload, error) {
	if r.Exists() {
		return nil, Errorf(KindConflict, "request %s already exists", r.id)
	}
	if err := ValidateName(in.Name); err != nil {
		return nil, err
	}
	if in.Size == "" {
		in.Size = DefaultSize
	}
	size, err := LookupSize(in.Size)
	if err != nil {
		return nil, err
	}
	if err := ValidateSlug("project", in.Project); err != nil {
		return nil, err
	}
	if in.Network != "" {
		if err := validateText("network", in.Network, 1, 80); err != nil {
			return nil, err
		}
	}
	if err := validateProse("justification", in.Justification, MinJustification, MaxJustification); err != nil {
		return nil, err
	}
	if len(in.UserData) > MaxUserData {
		return nil, Errorf(KindInvalid, "user data is %d bytes: at most %d (32 KiB) fit", len(in.UserData), MaxUserData)
	}
	if in.LeaseDays < 0 || in.LeaseDays > MaxLeaseDays {
		return nil, Errorf(KindInvalid, "a lease lasts from 1 to %d days", MaxLeaseDays)
	}
	return []Payload{RequestCreated{
		Name: in.Name, Size: size.Name, CPUs: size.CPUs, MemoryGB: size.MemoryGB, DiskGB: size.DiskGB,
		Project: in.Project, Network: in.Network, Justification: strings.TrimSpace(in.Justification),
		Requester: requester, UserData: in.UserData, LeaseDays: in.LeaseDays,
	}}, nil
}

// decide checks what approve and reject have in common.
func (r *Request) decide(tenant *Tenant, actor, verb string, expected int) error {
	if err := tenant.RequireAdmin(actor, verb+" requests"); err != nil {
		return err
	}
	if r.created.Requester == actor {
		return Errorf(KindForbidden, "you cannot %s your own request: another admin of %s must do it", verb, r.tenant)
	}
	if r.status != StatusPending {
		return Errorf(KindConflict, "request %s is %s, not pending: it cannot be %s", ShortID(r.id), r.status, pastTense(verb))
	}
	if expected > 0 && expected != r.version {
		return Coded(KindConflict, CodeStaleVersion, "request %s changed since you saw it (version %d, now %d)", ShortID(r.id), expected, r.version)
	}
	return nil
}

// Approve decides an approval. expected is the version the admin saw, or 0
// when they gave none.
func (r *Request) Approve(tenant *Tenant, actor string, expected int) ([]Payload, error) {
	if err := r.decide(tenant, actor, "approve", expected); err != nil {
		return nil, err
	}
	return []Payload{RequestApproved{By: actor, SeenVersion: r.version}}, nil
}

// Reject decides a rejection with a reason.
func (r *Request) Reject(tenant *Tenant, actor, reason string, expected int) ([]Payload, error) {
	if err := validateProse("reason", reason, MinReason, MaxReason); err != nil {
		return nil, err
	}
	if err := r.decide(tenant, actor, "reject", expected); err != nil {
		return nil, err
	}
	return []Payload{RequestRejected{By: actor, Reason: strings.TrimSpace(reason)}}, nil
}

// Cancel decides a cancellation: only while pending, by the requester or an admin.
func (r *Request) Cancel(tenant *Tenant, actor string, vm *VM) ([]Payload, error) {
	if err := tenant.RequireMember(actor); err != nil {
		return nil, err
	}
	if r.created.Requester != actor && tenant.Role(actor) != RoleAdmin {
		return nil, Errorf(KindForbidden, "only %s or an admin of %s can cancel this request", r.created.Requester, r.tenant)
	}
	// A FAILED request can be withdrawn too: that frees its name.
	failed := r.status == StatusApproved && vm != nil && vm.Status() == StatusFailed
	if r.status != StatusPending && !failed {
		return nil, Errorf(KindConflict, "request %s is %s: only a pending or failed request can be cancelled", ShortID(r.id), statusOf(r, vm))
	}
	return []Payload{RequestCancelled{By: actor}}, nil
}

// GiveUp decides that an admin gives up an approved request whose work
// cannot finish (its vCenter stays unreachable, say): the request ends
// CANCELLED and its attempt ends, so no worker goes on with it.
func (r *Request) GiveUp(tenant *Tenant, actor, reason string, vm *VM) (request, machine []Payload, err error) {
	if err := tenant.RequireAdmin(actor, "give up requests"); err != nil {
		return nil, nil, err
	}
	if err := validateProse("reason", reason, MinReason, MaxReason); err != nil {
		return nil, nil, err
	}
	if r.status != StatusApproved || vm != nil && vm.Status() != StatusProvisioning && vm.Started() {
		return nil, nil, Errorf(KindConflict, "request %s is %s: only a request whose provisioning runs can be given up", ShortID(r.id), statusOf(r, vm))
	}
	if vm != nil && vm.Status() == StatusProvisioning {
		machine = []Payload{VMProvisioningFailed{Code: FaultGivenUp, Message: "given up by " + actor + ": " + strings.TrimSpace(reason), Attempt: vm.Attempt()}}
	}
	return []Payload{RequestCancelled{By: actor, GaveUp: true, Reason: strings.TrimSpace(reason)}}, machine, nil
}

// Spec is the VM the request asks for; network falls back to the tenant default.
func (r *Request) Spec(defaultNetwork string) VMSpec {
	c := r.created
	network := c.Network
	if network == "" {
		network = defaultNetwork
	}
	return VMSpec{Name: c.Name, Size: c.Size, CPUs: c.CPUs, MemoryGB: c.MemoryGB, DiskGB: c.DiskGB, Project: c.Project, Network: network}
}

func pastTense(verb string) string {
	if strings.HasSuffix(verb, "e") {
		return verb + "d"
	}
	return verb + "ed"
}

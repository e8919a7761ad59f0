package app

import (
	"encoding/json"
	"fmt"
	"time"
)

// Stream types of the event log.
const (
	StreamTenant  = "tenant"
	StreamRequest = "request"
	StreamVM      = "vm"
	// StreamProject ("project") is declared with projects.
)

// Metadata travels with every event.
type Metadata struct {
	Actor         string `json:"actor,omitempty"`
	CorrelationID string `json:"correlation_id,omitempty"`
	CausationID   string `json:"causation_id,omitempty"`
	// Source is the client address of an API call; empty on the CLI.
	Source string `json:"source,omitempty"`
}

// Event is one entry of the log. Seq and Version are set by the store.
type Event struct {
	Seq        int64
	TenantID   string
	StreamType string
	StreamID   string
	Version    int
	Type       string
	Data       Payload
	Meta       Metadata
	At         time.Time
}

// Payload is the typed body of an event; EventType is its stable name.
type Payload interface{ EventType() string }

// Event type names. They are stored in the log: never rename one.
const (
	EvTenantCreated           = "tenant.created"
	EvTenantMemberAdded       = "tenant.member_added"
	EvVMwareConfigured        = "tenant.vmware_configured"
	EvRequestCreated          = "request.created"
	EvRequestApproved         = "request.approved"
	EvRequestRejected         = "request.rejected"
	EvRequestCancelled        = "request.cancelled"
	EvRequestRetryRequested   = "request.retry_requested"
	EvVMProvisioningStarted   = "vm.provisioning_started"
	EvVMProvisioningProgress  = "vm.provisioning_progressed"
	EvVMProvisioned           = "vm.provisioned"
	EvVMProvisioningFailed    = "vm.provisioning_failed"
	EvVMRetryScheduled        = "vm.retry_scheduled"
	EvVMWaitingForVCenter     = "vm.waiting_for_vcenter"
	EvVMRemoved               = "vm.removed"
	EvVMWaitingForSlot        = "vm.waiting_for_slot"
	EvTenantMemberRoleChanged = "tenant.member_role_changed"
	EvTenantMemberRemoved     = "tenant.member_removed"
	EvVMCleanupFailed         = "vm.cleanup_failed"
)

// VMCleanupFailed records that the VM of a given-up request could not be
// removed: someone must remove it in vCenter.
type VMCleanupFailed struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (VMCleanupFailed) EventType() string { return EvVMCleanupFailed }

// TenantMemberRoleChanged records a member's new role, and the old one.
type TenantMemberRoleChanged struct {
	User string `json:"user"`
	From Role   `json:"from"`
	To   Role   `json:"to"`
}

// TenantMemberRemoved records that a user left the tenant.
type TenantMemberRemoved struct {
	User string `json:"user"`
	Role Role   `json:"role"`
}

func (TenantMemberRoleChanged) EventType() string { return EvTenantMemberRoleChanged }
func (TenantMemberRemoved) EventType() string     { return EvTenantMemberRemoved }

type TenantCreated struct {
	Name  string `json:"name"`
	Admin string `json:"admin"`
}

type TenantMemberAdded struct {
	User string `json:"user"`
	Role Role   `json:"role"`
}

// VMwareConfigured records the tenant's vCenter settings. The password is
// never part of it: only whether one is stored, and its key id.
type VMwareConfigured struct {
	Settings VMwareSettings `json:"settings"`
}

type RequestCreated struct {
	Name          string `json:"name"`
	Size          string `json:"size"`
	CPUs          int    `json:"cpus"`
	MemoryGB      int    `json:"memory_gb"`
	DiskGB        int    `json:"disk_gb"`
	Project       string `json:"project"`
	Network       string `json:"network,omitempty"`
	Justification string `json:"justification"`
	Requester     string `json:"requester"`
	UserData      []byte `json:"user_data,omitempty"`
	// LeaseDays is the lease asked for; 0 (and events from before
	// leases) take the tenant's default when the VM becomes READY.
	LeaseDays int `json:"lease_days,omitempty"`
}

type RequestApproved struct {
	By          string `json:"by"`
	SeenVersion int    `json:"seen_version"`
}

type RequestRejected struct {
	By     string `json:"by"`
	Reason string `json:"reason"`
}

type RequestCancelled struct {
	By string `json:"by"`
	// GaveUp: an admin gave up the request while its work ran; its
	// queued work was dropped and its VM, if one was made, is removed.
	GaveUp bool   `json:"gave_up,omitempty"`
	Reason string `json:"reason,omitempty"`
}

type RequestRetryRequested struct {
	By      string `json:"by"`
	Attempt int    `json:"attempt"`
}

// VMSpec is what the VM is made of.
type VMSpec struct {
	Name     string `json:"name"`
	Size     string `json:"size"`
	CPUs     int    `json:"cpus"`
	MemoryGB int    `json:"memory_gb"`
	DiskGB   int    `json:"disk_gb"`
	Project  string `json:"project"`
	Network  string `json:"network,omitempty"`
}

type VMProvisioningStarted struct {
	RequestID string `json:"request_id"`
	Spec      VMSpec `json:"spec"`
	Attempt   int    `json:"attempt"`
}

type VMProvisioningProgressed struct {
	Stage   Stage  `json:"stage"`
	Task    string `json:"task,omitempty"` // the clone task, once vCenter accepted it
	Attempt int    `json:"attempt"`
}

type VMProvisioned struct {
	VCenterName  string `json:"vcenter_name"`
	MoRef        string `json:"moref"`
	InstanceUUID string `json:"instance_uuid"`
	IP           string `json:"ip,omitempty"`
	IPv6         string `json:"ipv6,omitempty"`
	MAC          string `json:"mac,omitempty"`
	Hostname     string `json:"hostname,omitempty"`
	Adopted      bool   `json:"adopted,omitempty"`
	Attempt      int    `json:"attempt"`
}

type VMProvisioningFailed struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Attempt   int    `json:"attempt"`
	Transient bool   `json:"transient"`
}

type VMRetryScheduled struct {
	Attempt      int    `json:"attempt"`
	MaxAttempts  int    `json:"max_attempts"`
	DelaySeconds int    `json:"delay_seconds"`
	Reason       string `json:"reason"`
}

type VMWaitingForVCenter struct {
	Reason string `json:"reason"`
}

// VMWaitingForSlot records that the vSphere work waits for one of the
// vCenter's task slots: other work holds all of them. Waiting spends no
// attempt.
type VMWaitingForSlot struct {
	VCenter string `json:"vcenter"`
	Limit   int    `json:"limit"`
}

type VMRemoved struct {
	MoRef  string `json:"moref"`
	Reason string `json:"reason"`
}

func (TenantCreated) EventType() string            { return EvTenantCreated }
func (TenantMemberAdded) EventType() string        { return EvTenantMemberAdded }
func (VMwareConfigured) EventType() string         { return EvVMwareConfigured }
func (RequestCreated) EventType() string           { return EvRequestCreated }
func (RequestApproved) EventType() string          { return EvRequestApproved }
func (RequestRejected) EventType() string          { return EvRequestRejected }
func (RequestCancelled) EventType() string         { return EvRequestCancelled }
func (RequestRetryRequested) EventType() string    { return EvRequestRetryRequested }
func (VMProvisioningStarted) EventType() string    { return EvVMProvisioningStarted }
func (VMProvisioningProgressed) EventType() string { return EvVMProvisioningProgress }
func (VMProvisioned) EventType() string            { return EvVMProvisioned }
func (VMProvisioningFailed) EventType() string     { return EvVMProvisioningFailed }
func (VMRetryScheduled) EventType() string         { return EvVMRetryScheduled }
func (VMWaitingForVCenter) EventType() string      { return EvVMWaitingForVCenter }
func (VMRemoved) EventType() string                { return EvVMRemoved }
func (VMWaitingForSlot) EventType() string         { return EvVMWaitingForSlot }

// eventTypes is the one table of event types, in the order they were
// introduced: each stored name and how its payload is decoded. Decoding,
// the list of types and the tests all read it.
func eventTypes() []struct {
	name   string
	decode func([]byte) (Payload, error)
} {
	return []struct {
		name   string
		decode func([]byte) (Payload, error)
	}{
		{EvTenantCreated, decodeAs[TenantCreated]},
		{EvTenantMemberAdded, decodeAs[TenantMemberAdded]},
		{EvVMwareConfigured, decodeAs[VMwareConfigured]},
		{EvRequestCreated, decodeAs[RequestCreated]},
		{EvRequestApproved, decodeAs[RequestApproved]},
		{EvRequestRejected, decodeAs[RequestRejected]},
		{EvRequestCancelled, decodeAs[RequestCancelled]},
		{EvRequestRetryRequested, decodeAs[RequestRetryRequested]},
		{EvVMProvisioningStarted, decodeAs[VMProvisioningStarted]},
		{EvVMProvisioningProgress, decodeAs[VMProvisioningProgressed]},
		{EvVMProvisioned, decodeAs[VMProvisioned]},
		{EvVMProvisioningFailed, decodeAs[VMProvisioningFailed]},
		{EvVMRetryScheduled, decodeAs[VMRetryScheduled]},
		{EvVMWaitingForVCenter, decodeAs[VMWaitingForVCenter]},
		{EvVMRemoved, decodeAs[VMRemoved]},
		{EvUserCreated, decodeAs[UserCreated]},
		{EvUserPasswordSet, decodeAs[UserPasswordSet]},
		{EvUserDisabled, decodeAs[UserDisabled]},
		{EvUserPlatformAdminGranted, decodeAs[UserPlatformAdminGranted]},
		{EvUserTokenCreated, decodeAs[UserTokenCreated]},
		{EvUserTokenRevoked, decodeAs[UserTokenRevoked]},
		{EvVMDriftObserved, decodeAs[VMDriftObserved]},
		{EvVMWaitingForSlot, decodeAs[VMWaitingForSlot]},
		{EvTenantIPPoolAdded, decodeAs[TenantIPPoolAdded]},
		{EvTenantIPPoolRemoved, decodeAs[TenantIPPoolRemoved]},
		{EvTenantAddressLeased, decodeAs[TenantAddressLeased]},
		{EvTenantAddressReleased, decodeAs[TenantAddressReleased]},
		{EvTenantMemberRoleChanged, decodeAs[TenantMemberRoleChanged]},
		{EvTenantMemberRemoved, decodeAs[TenantMemberRemoved]},
		{EvVMCleanupFailed, decodeAs[VMCleanupFailed]},
		{EvTenantQuotaSet, decodeAs[TenantQuotaSet]},
		{EvRequestDecommissionRequested, decodeAs[RequestDecommissionRequested]},
		{EvRequestDecommissionApproved, decodeAs[RequestDecommissionApproved]},
		{EvVMDecommissioned, decodeAs[VMDecommissioned]},
		{EvVMPowerRequested, decodeAs[VMPowerRequested]},
		{EvVMPowerChanged, decodeAs[VMPowerChanged]},
		{EvVMPowerFailed, decodeAs[VMPowerFailed]},
		{EvVMResizeRequested, decodeAs[VMResizeRequested]},
		{EvVMResizeApproved, decodeAs[VMResizeApproved]},
		{EvVMResized, decodeAs[VMResized]},
		{EvVMResizeFailed, decodeAs[VMResizeFailed]},
		{EvNotifyChannelAdded, decodeAs[NotifyChannelAdded]},
		{EvNotifyChannelRemoved, decodeAs[NotifyChannelRemoved]},
		{EvTenantLeasePolicySet, decodeAs[TenantLeasePolicySet]},
		{EvVMLeaseSet, decodeAs[VMLeaseSet]},
		{EvVMLeaseWarning, decodeAs[VMLeaseWarning]},
		{EvVMLeaseExpired, decodeAs[VMLeaseExpired]},
		{EvVMLeaseExtended, decodeAs[VMLeaseExtended]},
		{EvVMLeaseExtensionRequested, decodeAs[VMLeaseExtensionRequested]},
		{EvVMLeaseExtensionRejected, decodeAs[VMLeaseExtensionRejected]},
		{EvRequestLeaseDecommissionDone, decodeAs[RequestLeaseDecommissioned]},
		{EvProjectCreated, decodeAs[ProjectCreated]},
		{EvProjectArchived, decodeAs[ProjectArchived]},
		{EvProjectRestored, decodeAs[ProjectRestored]},
		{EvProjectMemberAdded, decodeAs[ProjectMemberAdded]},
		{EvProjectMemberRemoved, decodeAs[ProjectMemberRemoved]},
		{EvTenantProjectAccessSet, decodeAs[TenantProjectAccessSet]},
	}
}

// DecodePayload turns a stored event back into its typed payload.
func DecodePayload(eventType string, data []byte) (Payload, error) {
	for _, t := range eventTypes() {
		if t.name == eventType {
			return t.decode(data)
		}
	}
	return nil, fmt.Errorf("unknown event type %s", quote(eventType, 60))
}

func decodeAs[T Payload](data []byte) (Payload, error) {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", v.EventType(), err)
	}
	return v, nil
}

// EventTypes lists every known event type (for tests and tools).
func EventTypes() []string {
	var out []string
	for _, t := range eventTypes() {
		out = append(out, t.name)
	}
	return out
}

// EncodePayload turns a payload into the JSON stored in the log.
func EncodePayload(p Payload) ([]byte, error) {
	return json.Marshal(p)
}

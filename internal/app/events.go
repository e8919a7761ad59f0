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
)

// Metadata travels with every event.
type Metadata struct {
	Actor         string `json:"actor,omitempty"`
	CorrelationID string `json:"correlation_id,omitempty"`
	CausationID   string `json:"causation_id,omitempty"`
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
	EvTenantCreated          = "tenant.created"
	EvTenantMemberAdded      = "tenant.member_added"
	EvVmwareConfigured       = "tenant.vmware_configured"
	EvRequestCreated         = "request.created"
	EvRequestApproved        = "request.approved"
	EvRequestRejected        = "request.rejected"
	EvRequestCancelled       = "request.cancelled"
	EvRequestRetryRequested  = "request.retry_requested"
	EvVmProvisioningStarted  = "vm.provisioning_started"
	EvVmProvisioningProgress = "vm.provisioning_progressed"
	EvVmProvisioned          = "vm.provisioned"
	EvVmProvisioningFailed   = "vm.provisioning_failed"
	EvVmRetryScheduled       = "vm.retry_scheduled"
	EvVmWaitingForVCenter    = "vm.waiting_for_vcenter"
	EvVmRemoved              = "vm.removed"
)

type TenantCreated struct {
	Name  string `json:"name"`
	Admin string `json:"admin"`
}

type TenantMemberAdded struct {
	User string `json:"user"`
	Role Role   `json:"role"`
}

// VmwareConfigured records the tenant's vCenter settings. The password is
// never part of it: only whether one is stored, and its key id.
type VmwareConfigured struct {
	Settings VmwareSettings `json:"settings"`
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
}

type RequestRetryRequested struct {
	By      string `json:"by"`
	Attempt int    `json:"attempt"`
}

// VmSpec is what the VM is made of.
type VmSpec struct {
	Name     string `json:"name"`
	Size     string `json:"size"`
	CPUs     int    `json:"cpus"`
	MemoryGB int    `json:"memory_gb"`
	DiskGB   int    `json:"disk_gb"`
	Project  string `json:"project"`
	Network  string `json:"network,omitempty"`
}

type VmProvisioningStarted struct {
	RequestID string `json:"request_id"`
	Spec      VmSpec `json:"spec"`
	Attempt   int    `json:"attempt"`
}

type VmProvisioningProgressed struct {
	Stage   Stage `json:"stage"`
	Attempt int   `json:"attempt"`
}

type VmProvisioned struct {
	VCenterName  string `json:"vcenter_name"`
	MoRef        string `json:"moref"`
	InstanceUUID string `json:"instance_uuid"`
	IP           string `json:"ip,omitempty"`
	Hostname     string `json:"hostname,omitempty"`
	Adopted      bool   `json:"adopted,omitempty"`
	Attempt      int    `json:"attempt"`
}

type VmProvisioningFailed struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Attempt   int    `json:"attempt"`
	Transient bool   `json:"transient"`
}

type VmRetryScheduled struct {
	Attempt      int    `json:"attempt"`
	MaxAttempts  int    `json:"max_attempts"`
	DelaySeconds int    `json:"delay_seconds"`
	Reason       string `json:"reason"`
}

type VmWaitingForVCenter struct {
	Reason string `json:"reason"`
}

type VmRemoved struct {
	MoRef  string `json:"moref"`
	Reason string `json:"reason"`
}

func (TenantCreated) EventType() string            { return EvTenantCreated }
func (TenantMemberAdded) EventType() string        { return EvTenantMemberAdded }
func (VmwareConfigured) EventType() string         { return EvVmwareConfigured }
func (RequestCreated) EventType() string           { return EvRequestCreated }
func (RequestApproved) EventType() string          { return EvRequestApproved }
func (RequestRejected) EventType() string          { return EvRequestRejected }
func (RequestCancelled) EventType() string         { return EvRequestCancelled }
func (RequestRetryRequested) EventType() string    { return EvRequestRetryRequested }
func (VmProvisioningStarted) EventType() string    { return EvVmProvisioningStarted }
func (VmProvisioningProgressed) EventType() string { return EvVmProvisioningProgress }
func (VmProvisioned) EventType() string            { return EvVmProvisioned }
func (VmProvisioningFailed) EventType() string     { return EvVmProvisioningFailed }
func (VmRetryScheduled) EventType() string         { return EvVmRetryScheduled }
func (VmWaitingForVCenter) EventType() string      { return EvVmWaitingForVCenter }
func (VmRemoved) EventType() string                { return EvVmRemoved }

// DecodePayload turns a stored event back into its typed payload. This
// switch is the one place that maps stored type names to Go types.
func DecodePayload(eventType string, data []byte) (Payload, error) {
	switch eventType {
	case EvTenantCreated:
		return decodeAs[TenantCreated](data)
	case EvTenantMemberAdded:
		return decodeAs[TenantMemberAdded](data)
	case EvVmwareConfigured:
		return decodeAs[VmwareConfigured](data)
	case EvRequestCreated:
		return decodeAs[RequestCreated](data)
	case EvRequestApproved:
		return decodeAs[RequestApproved](data)
	case EvRequestRejected:
		return decodeAs[RequestRejected](data)
	case EvRequestCancelled:
		return decodeAs[RequestCancelled](data)
	case EvRequestRetryRequested:
		return decodeAs[RequestRetryRequested](data)
	case EvVmProvisioningStarted:
		return decodeAs[VmProvisioningStarted](data)
	case EvVmProvisioningProgress:
		return decodeAs[VmProvisioningProgressed](data)
	case EvVmProvisioned:
		return decodeAs[VmProvisioned](data)
	case EvVmProvisioningFailed:
		return decodeAs[VmProvisioningFailed](data)
	case EvVmRetryScheduled:
		return decodeAs[VmRetryScheduled](data)
	case EvVmWaitingForVCenter:
		return decodeAs[VmWaitingForVCenter](data)
	case EvVmRemoved:
		return decodeAs[VmRemoved](data)
	case EvUserCreated:
		return decodeAs[UserCreated](data)
	case EvUserPasswordSet:
		return decodeAs[UserPasswordSet](data)
	case EvUserDisabled:
		return decodeAs[UserDisabled](data)
	case EvUserPlatformAdminGranted:
		return decodeAs[UserPlatformAdminGranted](data)
	case EvUserTokenCreated:
		return decodeAs[UserTokenCreated](data)
	case EvUserTokenRevoked:
		return decodeAs[UserTokenRevoked](data)
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
	return []string{EvTenantCreated, EvTenantMemberAdded, EvVmwareConfigured, EvRequestCreated,
		EvRequestApproved, EvRequestRejected, EvRequestCancelled, EvRequestRetryRequested,
		EvVmProvisioningStarted, EvVmProvisioningProgress, EvVmProvisioned, EvVmProvisioningFailed,
		EvVmRetryScheduled, EvVmWaitingForVCenter, EvVmRemoved,
		EvUserCreated, EvUserPasswordSet, EvUserDisabled, EvUserPlatformAdminGranted, EvUserTokenCreated, EvUserTokenRevoked}
}

// EncodePayload turns a payload into the JSON stored in the log.
func EncodePayload(p Payload) ([]byte, error) {
	return json.Marshal(p)
}

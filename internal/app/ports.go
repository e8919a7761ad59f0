package app

import (
	"context"
	"encoding/json"
	"time"
)

// Store is the event log with its read models, queue and secrets. Update
// runs fn in one write transaction: everything fn does commits together or
// not at all.
type Store interface {
	Update(ctx context.Context, fn func(Tx) error) error
	// Rebuild drops every read model and replays the whole log through
	// project, in one transaction.
	Rebuild(ctx context.Context, project func(ctx context.Context, tx Tx, e Event) error) error
	Queries
	Queue
}

// Tx is one write transaction. Now is frozen when it begins.
type Tx interface {
	Now() time.Time
	// LoadStream returns the events of one stream, oldest first.
	LoadStream(ctx context.Context, streamType, streamID string) ([]Event, error)
	// Append adds events to one stream. expected is the stream's version
	// the caller decided on; if the stream moved on, Append returns a
	// KindConflict error. It returns the events with Seq, Version and At set.
	Append(ctx context.Context, expected int, events []Event) ([]Event, error)

	GetRequest(ctx context.Context, id string) (RequestView, error)
	PutRequest(ctx context.Context, v RequestView) error
	// LiveRequestNamed finds a live request with that name in the tenant's project.
	LiveRequestNamed(ctx context.Context, tenant, project, name string) (string, bool, error)
	AddTimeline(ctx context.Context, e TimelineEntry) error
	GetTenant(ctx context.Context, name string) (TenantView, error)
	PutTenant(ctx context.Context, v TenantView) error
	PutVmwareSettings(ctx context.Context, tenant string, s VmwareSettings) error

	// PutSecret stores a sealed secret; it is not an event and is never projected.
	PutSecret(ctx context.Context, tenant, name string, sealed []byte) error
	// PutCredential stores a password or token hash; like a secret it is
	// not an event and is never projected.
	PutCredential(ctx context.Context, c Credential) error

	// Enqueue adds a command unless one with the same key exists; it
	// reports whether it added one.
	Enqueue(ctx context.Context, c Command) (bool, error)
	// FinishCommand marks a claimed command done or failed.
	FinishCommand(ctx context.Context, id int64, status CommandStatus, lastError string) error
	// RescheduleCommand puts a claimed command back in the queue at a
	// later time, counting an attempt when spent is true.
	RescheduleCommand(ctx context.Context, id int64, at time.Time, spent bool, lastError string) error
}

// Queries read the read models outside a write transaction.
type Queries interface {
	Request(ctx context.Context, id string) (RequestView, error)
	// ResolveRequestID turns a unique id prefix into an id of the tenant's
	// requests; other tenants' requests are not found.
	ResolveRequestID(ctx context.Context, tenant, prefix string) (string, error)
	ListRequests(ctx context.Context, f RequestFilter) ([]RequestView, error)
	Timeline(ctx context.Context, requestID string) ([]TimelineEntry, error)
	Tenant(ctx context.Context, name string) (TenantView, error)
	Tenants(ctx context.Context) ([]TenantView, error)
	VmwareSettings(ctx context.Context, tenant string) (VmwareSettings, error)
	Secret(ctx context.Context, tenant, name string) ([]byte, error)
	// Credential reads a password or token hash; KindNotFound when none.
	Credential(ctx context.Context, kind CredentialKind, id string) (Credential, error)
	LoadEvents(ctx context.Context, streamType, streamID string) ([]Event, error)
}

// RequestFilter narrows a request list. Zero fields match everything.
type RequestFilter struct {
	Tenant    string
	Status    Status
	Requester string
	Project   string
	HasVM     bool
	Limit     int
}

// Queue is the command queue (an outbox with leases).
type Queue interface {
	// Claim leases one due command (pending, next_run_at <= now, lease
	// expired) to worker, or returns false when none is due.
	Claim(ctx context.Context, worker string, now time.Time, lease time.Duration) (Command, bool, error)
	// ClaimByKey leases the command with that key if it is due.
	ClaimByKey(ctx context.Context, key, worker string, now time.Time, lease time.Duration) (Command, bool, error)
	// Renew extends a lease the worker holds.
	Renew(ctx context.Context, id int64, worker string, until time.Time) error
	// Release gives a lease back without spending an attempt.
	Release(ctx context.Context, id int64, worker string) error
	ListCommands(ctx context.Context, tenant string) ([]Command, error)
}

// CommandStatus of a queued command.
type CommandStatus string

const (
	CommandPending CommandStatus = "pending"
	CommandDone    CommandStatus = "done"
	CommandFailed  CommandStatus = "failed"
)

// Command types.
const (
	CmdProvisionVm = "ProvisionVm"
	CmdCreateVm    = "CreateVm"
)

// Command is a unit of queued work.
type Command struct {
	ID          int64           `json:"id"`
	Key         string          `json:"key"`
	Type        string          `json:"type"`
	Tenant      string          `json:"tenant"`
	RequestID   string          `json:"request_id"`
	Payload     json.RawMessage `json:"payload"`
	Status      CommandStatus   `json:"status"`
	Attempts    int             `json:"attempts"`
	NextRunAt   time.Time       `json:"next_run_at"`
	ClaimedBy   string          `json:"claimed_by,omitempty"`
	LeaseUntil  time.Time       `json:"lease_until,omitzero"`
	LastError   string          `json:"last_error,omitempty"`
	Correlation string          `json:"correlation_id,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
}

// ProvisionVm is the command the process manager dispatches on approval.
type ProvisionVm struct {
	RequestID string `json:"request_id"`
	TenantID  string `json:"tenant_id"`
	VmSpec    VmSpec `json:"vm_spec"`
	Attempt   int    `json:"attempt"`
}

// CreateVm is the vSphere work of one provisioning attempt.
type CreateVm struct {
	RequestID string `json:"request_id"`
	TenantID  string `json:"tenant_id"`
	Attempt   int    `json:"attempt"`
}

// SecretBox seals secrets at rest.
type SecretBox interface {
	Seal(plaintext []byte) ([]byte, error)
	Open(sealed []byte) ([]byte, error)
}

// MachineSpec is what the hypervisor makes.
type MachineSpec struct {
	RequestID string
	Tenant    string
	Name      string // vCenter name
	Folder    string // inventory path relative to the datacenter's vm folder
	CPUs      int
	MemoryMB  int
	DiskGB    int
	Network   string
	IPTimeout time.Duration
}

// Machine is what the hypervisor reports of a VM.
type Machine struct {
	Name         string `json:"name"`
	Folder       string `json:"folder,omitempty"`
	MoRef        string `json:"moref"`
	InstanceUUID string `json:"instance_uuid"`
	IP           string `json:"ip,omitempty"`
	Hostname     string `json:"hostname,omitempty"`
	CPUs         int    `json:"cpus"`
	MemoryMB     int    `json:"memory_mb"`
	PowerState   string `json:"power_state"`
	Adopted      bool   `json:"adopted,omitempty"`
}

// Check is one line of 'vmware test'.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Hypervisor is the port to vCenter. Errors are *Fault values, classified
// as transient or permanent.
type Hypervisor interface {
	// Provision makes the VM of spec, or adopts the one an earlier attempt
	// made for the same request, and reports stages as it goes.
	Provision(ctx context.Context, t Target, spec MachineSpec, progress func(Stage) error) (Machine, error)
	// Find looks up the VM made for a request; false when there is none.
	Find(ctx context.Context, t Target, requestID string) (Machine, bool, error)
	// Remove deletes the VM made for a request, if any.
	Remove(ctx context.Context, t Target, requestID string) error
	// Check logs in and checks the inventory objects the settings name.
	Check(ctx context.Context, t Target) []Check
}

// Clock gives the time; tests fix it.
type Clock func() time.Time

// CredentialKind says what a credential hashes.
type CredentialKind string

const (
	CredentialPassword CredentialKind = "password" // ID is the user name
	CredentialToken    CredentialKind = "token"    // ID is the token's public id
)

// Credential is the hash that proves an identity: an argon2id password
// hash or the SHA-256 of a token's secret. It never enters the event log.
type Credential struct {
	Kind CredentialKind
	ID   string
	User string
	Hash string
}

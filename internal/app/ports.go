package app

import (
	"context"
	"encoding/json"
	"time"
)

// The store's ports. Each has one job; a use case takes the narrowest
// that serves it. A Tx offers all of them bound to one transaction; a
// Store offers them outside one (each write its own transaction) and opens
// transactions with Update. A store reads no clock for what it keeps:
// event, run, lease and secret times come in arguments or values, from the
// App's clock (a schema migration's own date is the one exception).

// EventLog is the append-only log of events.
type EventLog interface {
	// Append adds events to one stream. expected is the stream's version
	// the caller decided on; if the stream moved on, Append returns a
	// KindConflict error. It returns the events with Seq and Version set;
	// each event's At is kept as given.
	Append(ctx context.Context, expected int, events []Event) ([]Event, error)
	// LoadStream returns the events of one stream, oldest first.
	LoadStream(ctx context.Context, streamType, streamID string) ([]Event, error)
	// ReadLog returns up to limit events with Seq > after, in Seq order.
	ReadLog(ctx context.Context, after int64, limit int) ([]Event, error)
}

// Queries read the read models.
type Queries interface {
	Request(ctx context.Context, id string) (RequestView, error)
	// ResolveRequestID turns a unique id prefix into an id of the tenant's
	// requests; other tenants' requests are not found.
	ResolveRequestID(ctx context.Context, tenant, prefix string) (string, error)
	ListRequests(ctx context.Context, f RequestFilter) ([]RequestView, error)
	// LiveRequestNamed finds a live request with that name in the tenant's project.
	LiveRequestNamed(ctx context.Context, tenant, project, name string) (string, bool, error)
	Timeline(ctx context.Context, requestID string) ([]TimelineEntry, error)
	Tenant(ctx context.Context, name string) (TenantView, error)
	Tenants(ctx context.Context) ([]TenantView, error)
	VMwareSettings(ctx context.Context, tenant string) (VMwareSettings, error)
	// DueLeases lists up to limit VMs whose lease's next action time
	// (RequestView.Lease.NextActionAt) is at or before now, earliest
	// first, by an index on that time.
	DueLeases(ctx context.Context, now time.Time, limit int) ([]LeaseDue, error)
}

// Projections write the read models; only Project and Rebuild use them.
type Projections interface {
	PutRequest(ctx context.Context, v RequestView) error
	AddTimeline(ctx context.Context, e TimelineEntry) error
	PutTenant(ctx context.Context, v TenantView) error
	PutVMwareSettings(ctx context.Context, tenant string, s VMwareSettings) error
	// ResetReadModels drops every read model, before a rebuild.
	ResetReadModels(ctx context.Context) error
}

// CommandQueue is the command queue: an outbox with leases.
type CommandQueue interface {
	// Enqueue adds a command unless one with the same key exists; it
	// reports whether it added one.
	Enqueue(ctx context.Context, c Command) (bool, error)
	// Claim leases one due command (pending, next run at or before
	// c.Now, no live lease, and fewer than its SlotLimit live leases on
	// commands of its Slot), the one with c.Key if given, or returns
	// false when none is due. The slot check and the lease are one
	// atomic step, across every process that shares the store.
	Claim(ctx context.Context, c Claim) (Command, bool, error)
	// Renew extends a lease the worker holds until until.
	Renew(ctx context.Context, id int64, worker string, now, until time.Time) error
	// Finish ends a pending command (done or failed) or puts it back in
	// the queue for later (pending), releasing its lease either way.
	Finish(ctx context.Context, id int64, o Outcome) error
	// Release gives a lease back without spending an attempt.
	Release(ctx context.Context, id int64, worker string, now time.Time) error
	// ListCommands lists a tenant's commands ("" for all), newest first.
	ListCommands(ctx context.Context, tenant string) ([]Command, error)
	// Throttled lists the commands that are due at now but held back
	// because their slot has SlotLimit live leases already.
	Throttled(ctx context.Context, now time.Time) ([]Command, error)
}

// Claim says which command a worker leases, when and for how long.
type Claim struct {
	Worker string
	Key    string // "" for the oldest due command
	Now    time.Time
	Lease  time.Duration
}

// Outcome is how a run of a command ended.
type Outcome struct {
	Status CommandStatus // done, failed, or pending to run again at RunAt
	At     time.Time     // when the run ended
	RunAt  time.Time     // for pending: the next run
	Spent  bool          // for pending: the run counts as an attempt
	Error  string
}

// SecretStore keeps sealed secrets. They are not events and are never projected.
type SecretStore interface {
	PutSecret(ctx context.Context, tenant, name string, sealed []byte, at time.Time) error
	Secret(ctx context.Context, tenant, name string) ([]byte, error)
}

// CredentialStore keeps password and token hashes. Like secrets they are
// not events and are never projected: the log records only that a
// password changed or a token was made.
type CredentialStore interface {
	PutCredential(ctx context.Context, c Credential) error
	// Credential reads a password or token hash; KindNotFound when none.
	Credential(ctx context.Context, kind CredentialKind, id string) (Credential, error)
}

// Tx is one write transaction: everything done through it commits
// together or not at all.
type Tx interface {
	EventLog
	Queries
	Projections
	CommandQueue
	SecretStore
	CredentialStore
}

// Transactor opens write transactions.
type Transactor interface {
	// Update runs fn in one write transaction, committing if it returns nil.
	Update(ctx context.Context, fn func(Tx) error) error
}

// Store opens transactions and offers the ports outside one. A store
// implements it whole; the App holds each port apart, so that a use case
// reaches only the ones it uses.
type Store interface {
	Transactor
	EventLog
	Queries
	CommandQueue
	SecretStore
	CredentialStore
}

// Wakeups tells waiters that the log or the queue may have changed, in
// this process or another, so that idle workers and followers of a request
// look again at once rather than at their next poll. A store that cannot
// tell offers none; waiters poll either way, as a safety net.
type Wakeups interface {
	// Changed returns a channel that is closed at the next change after
	// the call.
	Changed() <-chan struct{}
}

// HealthChecker is a store that checks its own health for 'doctor'.
type HealthChecker interface {
	HealthChecks(ctx context.Context) []Check
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

// CommandStatus of a queued command.
type CommandStatus string

const (
	CommandPending CommandStatus = "pending"
	CommandDone    CommandStatus = "done"
	CommandFailed  CommandStatus = "failed"
)

// Command types.
const (
	CmdProvisionVM = "ProvisionVm"
	CmdCreateVM    = "CreateVm"
	CmdRemoveVM    = "RemoveVm"
)

// RemoveVM removes the VM made for a request that was given up.
type RemoveVM struct {
	RequestID string `json:"request_id"`
	TenantID  string `json:"tenant_id"`
	// Decommission: the removal ends an approved decommission (rather
	// than cleaning up after a request given up).
	Decommission bool `json:"decommission,omitempty"`
}

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
	// Slot names a shared limit (a vCenter, for its clone and power
	// tasks): at most SlotLimit commands of one slot hold a live lease at
	// once. "" is no limit.
	Slot      string `json:"slot,omitempty"`
	SlotLimit int    `json:"slot_limit,omitempty"`
}

// ProvisionVM is the command the process manager dispatches on approval.
type ProvisionVM struct {
	RequestID string `json:"request_id"`
	TenantID  string `json:"tenant_id"`
	VMSpec    VMSpec `json:"vm_spec"`
	Attempt   int    `json:"attempt"`
}

// CreateVM is the vSphere work of one provisioning attempt.
type CreateVM struct {
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
	// Hostname is the guest's host name, set by guest customization.
	Hostname string
	// StaticIP is the address leased from the tenant's pool for the
	// network; nil means DHCP.
	StaticIP *StaticIP
	// UserData is cloud-init user data for the guest (guestinfo.userdata).
	UserData []byte
	// CloneTask is the vCenter clone task an earlier attempt recorded, or
	// "": its result is the first place to look for that attempt's VM.
	CloneTask string
	// CloneStarted, when set, records a clone task as soon as vCenter has
	// accepted it, before it finishes. An error stops provisioning; unless
	// ctx is done, the clone is first seen through and marked as the
	// request's, so that the next attempt finds it.
	CloneStarted func(task string) error
}

// StaticIP is a fixed IPv4 configuration of a VM's NIC.
type StaticIP struct {
	Address string   `json:"address"`
	Prefix  int      `json:"prefix"`
	Gateway string   `json:"gateway,omitempty"`
	DNS     []string `json:"dns,omitempty"`
}

// Machine is what the hypervisor reports of a VM.
type Machine struct {
	Name         string `json:"name"`
	Folder       string `json:"folder,omitempty"`
	MoRef        string `json:"moref"`
	InstanceUUID string `json:"instance_uuid"`
	IP           string `json:"ip,omitempty"`
	IPv6         string `json:"ipv6,omitempty"`
	MAC          string `json:"mac,omitempty"` // of the NIC the IP addresses are on
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
	// Code is a failed check's error code, for the advice an edge adds;
	// it is not part of the output contract.
	Code string `json:"-"`
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
	At   time.Time // when it was set, from the App's clock
}

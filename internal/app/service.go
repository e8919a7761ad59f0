package app

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"github.com/dvmm/dvmm/internal/auth"
	"log/slog"
	"strings"
	"time"
)

// App is the application service: every use case of dvmm, wired to its ports.
type App struct {
	Store      Transactor      // writes: one transaction per use case
	Events     EventLog        // streams read outside a transaction
	Views      Queries         // read models
	Queue      CommandQueue    // claims, leases and the queue's listing
	Vault      SecretStore     // sealed secrets
	Creds      CredentialStore // password and token hashes
	Hypervisor Hypervisor      // nil when no vSphere work can run here
	Inspector  Inspector       // reads VMs in vCenter; nil when none can be read here
	Secrets    SecretBox       // nil when no secret can be sealed or opened
	Notifier   Notifier        // delivers notifications; nil when none can be sent here
	Clock      Clock
	NewID      func() string
	Retries    RetryPolicy
	Log        *slog.Logger
	// PasswordParams are the argon2id settings of new password hashes;
	// tests lower them.
	PasswordParams auth.Params
}

// New returns an App with the default clock, ids and retry policy.
func New(store Store, hv Hypervisor, secrets SecretBox) *App {
	// The adapter that makes VMs usually reads them too.
	inspector, _ := hv.(Inspector)
	return &App{Inspector: inspector, Store: store, Events: store, Views: store, Queue: store, Vault: store, Creds: store, Hypervisor: hv, Secrets: secrets, Clock: SystemClock{}, PasswordParams: auth.DefaultParams,
		NewID: NewID, Retries: DefaultRetryPolicy(), Log: slog.New(slog.DiscardHandler)}
}

// Now is the App's clock reading in UTC; every time dvmm keeps or compares
// comes from here.
func (a *App) Now() time.Time { return a.Clock.Now().UTC().Round(0) }

// Actor is who runs a command, in which tenant. A local actor (the CLI on
// the database file) is the operator; a remote one (over the API) is an
// authenticated identity, a platform admin or not.
type Actor struct {
	User          string
	Tenant        string
	CorrelationID string
	Remote        bool
	PlatformAdmin bool
	Source        string // the client's address, for API calls
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns a random 16-character id; random first characters keep
// short prefixes unique.
func NewID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return idEncoding.EncodeToString(b)
}

// record appends payloads to one stream at the expected version and
// updates the read models the new events touch, in the caller's transaction.
func (a *App) record(ctx context.Context, tx Tx, tenant, streamType, streamID string, expected int, meta Metadata, payloads ...Payload) ([]Event, error) {
	if len(payloads) == 0 {
		return nil, nil
	}
	at := a.Now()
	events := make([]Event, len(payloads))
	for i, p := range payloads {
		events[i] = Event{TenantID: tenant, StreamType: streamType, StreamID: streamID, Type: p.EventType(), Data: p, Meta: meta, At: at}
	}
	stored, err := tx.Append(ctx, expected, events)
	if err != nil {
		return nil, err
	}
	for _, e := range stored {
		if err := Project(ctx, tx, e); err != nil {
			return nil, err
		}
		if err := a.notifyFor(ctx, tx, e); err != nil {
			return nil, err
		}
	}
	return stored, nil
}

// ReadModels are the read and write sides of the read models, as a
// projection needs them.
type ReadModels interface {
	Queries
	Projections
}

// Project updates the read models for one stored event. Rebuild uses it too.
func Project(ctx context.Context, tx ReadModels, e Event) error {
	switch e.StreamType {
	case StreamTenant:
		var v TenantView
		if _, created := e.Data.(TenantCreated); !created {
			var err error
			if v, err = tx.Tenant(ctx, e.StreamID); err != nil {
				return err
			}
		}
		ProjectTenant(&v, e)
		if err := tx.PutTenant(ctx, v); err != nil {
			return err
		}
		if p, ok := e.Data.(VMwareConfigured); ok {
			return tx.PutVMwareSettings(ctx, e.StreamID, p.Settings)
		}
		return nil
	case StreamProject:
		v, err := tx.Tenant(ctx, e.TenantID)
		if err != nil {
			return err
		}
		ProjectTenantProject(&v, e)
		return tx.PutTenant(ctx, v)
	case StreamRequest, StreamVM:
		requestID := e.StreamID
		if e.StreamType == StreamVM {
			requestID = RequestIDOfVM(e.StreamID)
		}
		var v RequestView
		if _, created := e.Data.(RequestCreated); !created {
			var err error
			if v, err = tx.Request(ctx, requestID); err != nil {
				return err
			}
		}
		before := v
		ProjectRequest(&v, e)
		if err := tx.PutRequest(ctx, v); err != nil {
			return err
		}
		if err := projectUsage(ctx, tx, before, v); err != nil {
			return err
		}
		// Every event of a request's or its VM's stream is a step of the
		// request's history, but for the record of a clone task: that is
		// bookkeeping for crash safety, not a step a person reads.
		if p, ok := e.Data.(VMProvisioningProgressed); ok && p.Task != "" {
			return nil
		}
		return tx.AddTimeline(ctx, TimelineEntry{Seq: e.Seq, RequestID: requestID, At: e.At, Actor: e.Meta.Actor, Type: e.Type, Data: e.Data})
	}
	return nil
}

func (a *App) meta(actor Actor) Metadata {
	return Metadata{Actor: actor.User, CorrelationID: actor.CorrelationID, Source: actor.Source}
}

func loadTenant(ctx context.Context, log EventLog, name string) (*Tenant, error) {
	events, err := log.LoadStream(ctx, StreamTenant, name)
	if err != nil {
		return nil, err
	}
	return NewTenant(name, events), nil
}

func needTenant(actor Actor) error {
	if actor.Tenant == "" {
		return Coded(KindInvalid, CodeNoTenant, "no tenant given")
	}
	return ValidateSlug("tenant", actor.Tenant)
}

func needUser(actor Actor) error {
	if actor.User == "" {
		return Coded(KindInvalid, CodeNoUser, "no user given")
	}
	return ValidateSlug("user", actor.User)
}

// CreateTenant creates a tenant with its first admin.
func (a *App) CreateTenant(ctx context.Context, actor Actor, name, admin string) (TenantView, error) {
	if err := requireOperator(actor, "create tenants"); err != nil {
		return TenantView{}, err
	}
	if admin == "" {
		admin = actor.User
	}
	var view TenantView
	err := a.Store.Update(ctx, func(tx Tx) error {
		t, err := loadTenant(ctx, tx, name)
		if err != nil {
			return err
		}
		payloads, err := t.Create(admin)
		if err != nil {
			return err
		}
		if _, err := a.record(ctx, tx, name, StreamTenant, name, t.Version(), a.meta(actor), payloads...); err != nil {
			return err
		}
		view, err = tx.Tenant(ctx, name)
		return err
	})
	return view, err
}

// AddMember adds a user to a tenant, or changes their role.
func (a *App) AddMember(ctx context.Context, actor Actor, tenant, user string, role Role) (TenantView, error) {
	return a.changeMembers(ctx, actor, tenant, func(t *Tenant) ([]Payload, error) { return t.AddMember(actor.User, user, role) })
}

// SetRole changes the role of a member of a tenant (its admins only).
func (a *App) SetRole(ctx context.Context, actor Actor, tenant, user string, role Role) (TenantView, error) {
	return a.changeMembers(ctx, actor, tenant, func(t *Tenant) ([]Payload, error) { return t.SetRole(actor.User, user, role) })
}

// RemoveMember takes a user out of a tenant (its admins only).
func (a *App) RemoveMember(ctx context.Context, actor Actor, tenant, user string) (TenantView, error) {
	return a.changeMembers(ctx, actor, tenant, func(t *Tenant) ([]Payload, error) { return t.RemoveMember(actor.User, user) })
}

func (a *App) changeMembers(ctx context.Context, actor Actor, tenant string, decide func(*Tenant) ([]Payload, error)) (TenantView, error) {
	if err := needUser(actor); err != nil {
		return TenantView{}, err
	}
	var view TenantView
	err := a.Store.Update(ctx, func(tx Tx) error {
		t, err := loadTenant(ctx, tx, tenant)
		if err != nil {
			return err
		}
		payloads, err := decide(t)
		if err != nil {
			return err
		}
		if _, err := a.record(ctx, tx, tenant, StreamTenant, tenant, t.Version(), a.meta(actor), payloads...); err != nil {
			return err
		}
		view, err = tx.Tenant(ctx, tenant)
		return err
	})
	return view, err
}

// Tenants lists the tenants.
func (a *App) Tenants(ctx context.Context) ([]TenantView, error) {
	return a.Views.Tenants(ctx)
}

// memberOf checks, outside a transaction, that the actor belongs to their tenant.
func (a *App) memberOf(ctx context.Context, actor Actor) (*Tenant, error) {
	if err := needTenant(actor); err != nil {
		return nil, err
	}
	if err := needUser(actor); err != nil {
		return nil, err
	}
	t, err := loadTenant(ctx, a.Events, actor.Tenant)
	if err != nil {
		return nil, err
	}
	return t, t.RequireMember(actor.User)
}

// CreateRequest records a new VM request.
func (a *App) CreateRequest(ctx context.Context, actor Actor, in NewRequestInput) (RequestView, error) {
	var view RequestView
	err := a.createRequest(ctx, actor, in, func(_ Tx, v RequestView, _ *Tenant) error {
		view = v
		return nil
	})
	return view, err
}

// createRequest decides and records a new request in a transaction, then
// calls then with it before the commit; an error of then rolls it back.
func (a *App) createRequest(ctx context.Context, actor Actor, in NewRequestInput, then func(Tx, RequestView, *Tenant) error) error {
	if err := needTenant(actor); err != nil {
		return err
	}
	if err := needUser(actor); err != nil {
		return err
	}
	id := a.NewID()
	return a.Store.Update(ctx, func(tx Tx) error {
		t, err := loadTenant(ctx, tx, actor.Tenant)
		if err != nil {
			return err
		}
		if err := t.RequireMember(actor.User); err != nil {
			return err
		}
		r := NewRequest(id, actor.Tenant, nil)
		payloads, err := r.Create(actor.User, in)
		if err != nil {
			return err
		}
		c := payloads[0].(RequestCreated)
		p, err := loadProject(ctx, tx, actor.Tenant, c.Project)
		if err != nil {
			return err
		}
		if err := p.MayRequestIn(t, actor.User); err != nil {
			return err
		}
		if err := t.checkLease(c.LeaseDays); err != nil {
			return err
		}
		if other, found, err := tx.LiveRequestNamed(ctx, actor.Tenant, c.Project, c.Name); err != nil {
			return err
		} else if found {
			return Errorf(KindConflict, "name %q is already used by request %s in project %s: choose another name", c.Name, ShortID(other), c.Project)
		}
		usage, err := usageOf(ctx, tx, actor.Tenant)
		if err != nil {
			return err
		}
		need := Amount{VMs: 1, CPUs: c.CPUs, MemoryGB: c.MemoryGB, DiskGB: c.DiskGB}
		if err := checkQuota(t, usage, c.Project, need, false); err != nil {
			return err
		}
		if _, err := a.record(ctx, tx, actor.Tenant, StreamRequest, id, 0, a.meta(actor), payloads...); err != nil {
			return err
		}
		view, err := tx.Request(ctx, id)
		if err != nil {
			return err
		}
		return then(tx, view, t)
	})
}

// loadRequestFor loads a request of the actor's tenant inside tx; a request
// of another tenant is not found, exactly like an unknown one.
func loadRequestFor(ctx context.Context, log EventLog, actor Actor, id string) (*Request, error) {
	events, err := log.LoadStream(ctx, StreamRequest, id)
	if err != nil {
		return nil, err
	}
	if len(events) == 0 || events[0].TenantID != actor.Tenant {
		return nil, notFound(id)
	}
	return NewRequest(id, actor.Tenant, events), nil
}

func notFound(id string) error {
	return Coded(KindNotFound, CodeRequestNotFound, "request %s not found in your tenant", Clip(id, 30))
}

// resolve turns a user-given id prefix into a request id of the actor's tenant.
func (a *App) resolve(ctx context.Context, actor Actor, prefix string) (string, error) {
	prefix = strings.TrimSpace(prefix)
	if prefix == "" {
		return "", Errorf(KindInvalid, "a request id is required")
	}
	if len(prefix) > 64 || strings.Trim(prefix, "abcdefghijklmnopqrstuvwxyz234567") != "" {
		return "", notFound(prefix)
	}
	return a.Views.ResolveRequestID(ctx, actor.Tenant, prefix)
}

// decideRequest runs one decision of an admin or user on a request and
// returns the updated view.
func (a *App) decideRequest(ctx context.Context, actor Actor, idPrefix string, decide func(*Request, *Tenant) ([]Payload, error), after func(Tx, *Request, []Event) error) (RequestView, error) {
	if _, err := a.memberOf(ctx, actor); err != nil {
		return RequestView{}, err
	}
	id, err := a.resolve(ctx, actor, idPrefix)
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
		payloads, err := decide(r, t)
		if err != nil {
			return err
		}
		events, err := a.record(ctx, tx, actor.Tenant, StreamRequest, id, r.Version(), a.meta(actor), payloads...)
		if err != nil {
			return err
		}
		if after != nil {
			if err := after(tx, r, events); err != nil {
				return err
			}
		}
		view, err = tx.Request(ctx, id)
		return err
	})
	return view, err
}

// Reject refuses a pending request with a reason.
func (a *App) Reject(ctx context.Context, actor Actor, id, reason string, expected int) (RequestView, error) {
	return a.decideRequest(ctx, actor, id, func(r *Request, t *Tenant) ([]Payload, error) {
		return r.Reject(t, actor.User, reason, expected)
	}, nil)
}

// Cancel withdraws a pending request.
func (a *App) Cancel(ctx context.Context, actor Actor, id string) (RequestView, error) {
	return a.decideRequest(ctx, actor, id, func(r *Request, t *Tenant) ([]Payload, error) {
		vm, err := a.vmOf(ctx, r.ID())
		if err != nil {
			return nil, err
		}
		return r.Cancel(t, actor.User, vm)
	}, nil)
}

// vmOf rebuilds the VM aggregate of a request (a VM not started has no events).
func (a *App) vmOf(ctx context.Context, requestID string) (*VM, error) {
	evs, err := a.Events.LoadStream(ctx, StreamVM, VMID(requestID))
	if err != nil {
		return nil, err
	}
	return NewVM(requestID, evs), nil
}

// GiveUp ends a request whose provisioning cannot finish: its attempt
// ends, its queued work is dropped, its address goes back to the pool,
// the request ends CANCELLED, and a VM it may have made is removed by
// queued work that waits for vCenter to answer (or says it could not).
func (a *App) GiveUp(ctx context.Context, actor Actor, idPrefix, reason string) (RequestView, error) {
	if _, err := a.memberOf(ctx, actor); err != nil {
		return RequestView{}, err
	}
	id, err := a.resolve(ctx, actor, idPrefix)
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
		vm := NewVM(id, evs)
		request, machine, err := r.GiveUp(t, actor.User, reason, vm)
		if err != nil {
			return err
		}
		meta := a.meta(actor)
		// The VM's attempt ends first, so the request's view ends CANCELLED.
		if _, err := a.record(ctx, tx, actor.Tenant, StreamVM, vm.ID(), vm.Version(), meta, machine...); err != nil {
			return err
		}
		if _, err := a.record(ctx, tx, actor.Tenant, StreamRequest, id, r.Version(), meta, request...); err != nil {
			return err
		}
		cmds, err := tx.ListCommands(ctx, actor.Tenant)
		if err != nil {
			return err
		}
		for _, c := range cmds {
			// Notifications still go out: telling people is not the work given up.
			if c.RequestID == id && c.Status == CommandPending && c.Type != CmdNotify {
				if err := tx.Finish(ctx, c.ID, Outcome{Status: CommandFailed, At: a.Now(), Error: "given up by " + actor.User}); err != nil {
					return err
				}
			}
		}
		if err := a.releaseAddress(ctx, tx, actor.Tenant, id, "request given up", meta); err != nil {
			return err
		}
		if vm.Started() && t.VMware() != nil {
			s := *t.VMware()
			if err := a.enqueueIn(ctx, tx, CmdRemoveVM+":"+id, CmdRemoveVM, actor, id, RemoveVM{RequestID: id, TenantID: actor.Tenant},
				a.Now(), s.TaskSlot(), s.TaskLimit()); err != nil {
				return err
			}
		}
		view, err = tx.Request(ctx, id)
		return err
	})
	return view, err
}

// ShowRequest returns a request of the actor's tenant and its timeline.
func (a *App) ShowRequest(ctx context.Context, actor Actor, idPrefix string) (RequestView, []TimelineEntry, error) {
	if _, err := a.memberOf(ctx, actor); err != nil {
		return RequestView{}, nil, err
	}
	id, err := a.resolve(ctx, actor, idPrefix)
	if err != nil {
		return RequestView{}, nil, err
	}
	v, err := a.Views.Request(ctx, id)
	if err != nil {
		return RequestView{}, nil, err
	}
	if v.Tenant != actor.Tenant {
		return RequestView{}, nil, notFound(idPrefix)
	}
	tl, err := a.Views.Timeline(ctx, id)
	return v, tl, err
}

// RequestTimeline returns the timeline of a request of the actor's
// tenant, for those who follow it while its work runs.
func (a *App) RequestTimeline(ctx context.Context, actor Actor, idPrefix string) ([]TimelineEntry, error) {
	_, tl, err := a.ShowRequest(ctx, actor, idPrefix)
	return tl, err
}

// ListRequests lists the actor's tenant's requests, newest first.
func (a *App) ListRequests(ctx context.Context, actor Actor, f RequestFilter) ([]RequestView, error) {
	if _, err := a.memberOf(ctx, actor); err != nil {
		return nil, err
	}
	if f.Project != "" {
		if err := ValidateSlug("project", f.Project); err != nil {
			return nil, err
		}
	}
	if f.Limit < 0 {
		return nil, Errorf(KindInvalid, "limit must not be negative")
	}
	f.Tenant = actor.Tenant
	return a.Views.ListRequests(ctx, f)
}

// rebuildPage bounds how many events a rebuild holds in memory at once.
const rebuildPage = 1000

// Rebuild drops the read models and derives them again from the event
// log, in one transaction: readers see the old models until it commits,
// never a half-built one. Secrets and the command queue are not derived
// from events and stay as they are.
func (a *App) Rebuild(ctx context.Context) error {
	return a.Store.Update(ctx, func(tx Tx) error {
		if err := tx.ResetReadModels(ctx); err != nil {
			return err
		}
		var after int64
		for {
			page, err := tx.ReadLog(ctx, after, rebuildPage)
			if err != nil {
				return err
			}
			for _, e := range page {
				if err := Project(ctx, tx, e); err != nil {
					return err
				}
				after = e.Seq
			}
			if len(page) < rebuildPage {
				return nil
			}
		}
	})
}

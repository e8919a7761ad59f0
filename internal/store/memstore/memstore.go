// Package memstore keeps dvmm's state in memory: the event log, read
// models, command queue and secrets behind app's store ports. It runs the
// core's use cases in tests without SQLite, and passes the same
// conformance suite (storetest) as the SQLite store.
package memstore

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dvmm/dvmm/internal/app"
)

var (
	_ app.Store         = (*Store)(nil)
	_ app.Tx            = (*tx)(nil)
	_ app.HealthChecker = (*Store)(nil)
)

// Store is an in-memory dvmm store. Like SQLite it has one writer at a
// time: Update works on a copy of the state and swaps it in on success,
// while reads outside a transaction see the last committed state.
type Store struct {
	writer sync.Mutex // held by the one running transaction
	mu     sync.Mutex // guards state
	state  *state
}

// New returns an empty store.
func New() *Store { return &Store{state: newState()} }

type streamKey struct{ typ, id string }

type state struct {
	events   []app.Event
	streams  map[streamKey][]int // indexes into events
	requests map[string]app.RequestView
	timeline map[string][]app.TimelineEntry
	tenants  map[string]app.TenantView
	vmware   map[string]app.VMwareSettings
	secrets  map[[2]string][]byte
	creds    map[[2]string]app.Credential
	commands []app.Command
}

func newState() *state {
	return &state{streams: map[streamKey][]int{}, requests: map[string]app.RequestView{},
		timeline: map[string][]app.TimelineEntry{}, tenants: map[string]app.TenantView{},
		vmware: map[string]app.VMwareSettings{}, secrets: map[[2]string][]byte{}, creds: map[[2]string]app.Credential{}}
}

// clone copies the state deeply enough that a rolled-back transaction
// leaves no trace: events are values, views are copied on every put.
func (s *state) clone() *state {
	c := &state{
		events:   append([]app.Event(nil), s.events...),
		streams:  make(map[streamKey][]int, len(s.streams)),
		requests: make(map[string]app.RequestView, len(s.requests)),
		timeline: make(map[string][]app.TimelineEntry, len(s.timeline)),
		tenants:  make(map[string]app.TenantView, len(s.tenants)),
		vmware:   make(map[string]app.VMwareSettings, len(s.vmware)),
		secrets:  make(map[[2]string][]byte, len(s.secrets)),
		creds:    make(map[[2]string]app.Credential, len(s.creds)),
		commands: append([]app.Command(nil), s.commands...),
	}
	for k, v := range s.creds {
		c.creds[k] = v
	}
	for k, v := range s.streams {
		c.streams[k] = append([]int(nil), v...)
	}
	for k, v := range s.requests {
		c.requests[k] = v
	}
	for k, v := range s.timeline {
		c.timeline[k] = append([]app.TimelineEntry(nil), v...)
	}
	for k, v := range s.tenants {
		c.tenants[k] = v
	}
	for k, v := range s.vmware {
		c.vmware[k] = v
	}
	for k, v := range s.secrets {
		c.secrets[k] = v
	}
	return c
}

// Update runs fn on a copy of the state and keeps the copy if fn returns nil.
func (s *Store) Update(ctx context.Context, fn func(app.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.writer.Lock()
	defer s.writer.Unlock()
	s.mu.Lock()
	work := s.state.clone()
	s.mu.Unlock()
	if err := fn(&tx{s: work}); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	s.state = work
	s.mu.Unlock()
	return nil
}

// read runs fn on the committed state.
func (s *Store) read(fn func(t *tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn(&tx{s: s.state})
}

// HealthChecks has nothing to look into: memory is always whole.
func (s *Store) HealthChecks(context.Context) []app.Check {
	return []app.Check{{Name: "memory", OK: true, Detail: "in-memory store"}}
}

// tx is the state one transaction (or one read) works on.
type tx struct{ s *state }

func internal(format string, args ...any) error {
	return &app.Error{Kind: app.KindInternal, Message: fmt.Sprintf(format, args...)}
}

// Event log

func (t *tx) Append(_ context.Context, expected int, events []app.Event) ([]app.Event, error) {
	if len(events) == 0 {
		return nil, nil
	}
	key := streamKey{events[0].StreamType, events[0].StreamID}
	if key.typ == "" || key.id == "" {
		return nil, internal("append: event without a stream")
	}
	if cur := len(t.s.streams[key]); cur != expected {
		return nil, app.Errorf(app.KindConflict, "stream %s/%s changed: expected version %d, found %d", key.typ, key.id, expected, cur)
	}
	out := make([]app.Event, len(events))
	for i, e := range events {
		switch {
		case e.StreamType != key.typ || e.StreamID != key.id:
			return nil, internal("append: events of streams %s/%s and %s/%s in one call", key.typ, key.id, e.StreamType, e.StreamID)
		case e.Data == nil:
			return nil, internal("append: %s event without data", key.typ)
		case e.Type == "":
			e.Type = e.Data.EventType()
		case e.Type != e.Data.EventType():
			return nil, internal("append: event type %s does not match its data (%s)", e.Type, e.Data.EventType())
		}
		if e.At.IsZero() {
			return nil, internal("append: %s event without a time", e.Type)
		}
		// A round trip through JSON stores what SQLite would: the payload
		// as its stored form decodes, not the caller's value.
		data, err := app.EncodePayload(e.Data)
		if err != nil {
			return nil, internal("append: encode %s: %v", e.Type, err)
		}
		if e.Data, err = app.DecodePayload(e.Type, data); err != nil {
			return nil, internal("append: %v", err)
		}
		e.Seq, e.Version, e.At = int64(len(t.s.events)+1), expected+i+1, e.At.UTC()
		t.s.streams[key] = append(t.s.streams[key], len(t.s.events))
		t.s.events = append(t.s.events, e)
		out[i] = e
	}
	return out, nil
}

func (t *tx) LoadStream(_ context.Context, streamType, streamID string) ([]app.Event, error) {
	idx := t.s.streams[streamKey{streamType, streamID}]
	if len(idx) == 0 {
		return nil, nil
	}
	out := make([]app.Event, len(idx))
	for i, n := range idx {
		out[i] = t.s.events[n]
	}
	return out, nil
}

func (t *tx) ReadLog(_ context.Context, after int64, limit int) ([]app.Event, error) {
	if limit <= 0 {
		return nil, internal("read log: limit %d is not positive", limit)
	}
	if after < 0 {
		after = 0
	}
	if after >= int64(len(t.s.events)) {
		return nil, nil
	}
	rest := t.s.events[after:]
	if len(rest) > limit {
		rest = rest[:limit]
	}
	return append([]app.Event(nil), rest...), nil
}

// Read models

func copyRequest(v app.RequestView) app.RequestView {
	if v.VM != nil {
		vm := *v.VM
		v.VM = &vm
	}
	if v.Lease != nil {
		l := *v.Lease
		v.Lease = &l
	}
	return v
}

// DueLeases lists the VMs whose lease has a step due at now, earliest
// first (a scan: the memory store holds little).
func (t *tx) DueLeases(_ context.Context, now time.Time, limit int) ([]app.LeaseDue, error) {
	var due []app.RequestView
	for _, v := range t.s.requests {
		if v.Lease != nil && !v.Lease.NextActionAt.IsZero() && !v.Lease.NextActionAt.After(now) {
			due = append(due, v)
		}
	}
	sort.Slice(due, func(i, j int) bool {
		a, b := due[i].Lease.NextActionAt, due[j].Lease.NextActionAt
		if !a.Equal(b) {
			return a.Before(b)
		}
		return due[i].ID < due[j].ID
	})
	out := make([]app.LeaseDue, 0, min(len(due), limit))
	for _, v := range due {
		if len(out) == limit {
			break
		}
		out = append(out, app.LeaseDue{RequestID: v.ID, Tenant: v.Tenant})
	}
	return out, nil
}

// DueLeases reads outside a transaction.
func (s *Store) DueLeases(ctx context.Context, now time.Time, limit int) (out []app.LeaseDue, err error) {
	err = s.read(func(t *tx) error { out, err = t.DueLeases(ctx, now, limit); return err })
	return out, err
}

func (t *tx) Request(_ context.Context, id string) (app.RequestView, error) {
	v, ok := t.s.requests[id]
	if !ok {
		return app.RequestView{}, app.Errorf(app.KindNotFound, "request %s not found", app.Clip(id, 40))
	}
	return copyRequest(v), nil
}

func (t *tx) ResolveRequestID(_ context.Context, tenant, prefix string) (string, error) {
	if prefix == "" {
		return "", app.Errorf(app.KindInvalid, "a request id is required")
	}
	var found []string
	for id, v := range t.s.requests {
		if v.Tenant != tenant || !strings.HasPrefix(id, prefix) {
			continue
		}
		if id == prefix {
			return id, nil
		}
		found = append(found, id)
	}
	switch len(found) {
	case 0:
		return "", app.Errorf(app.KindNotFound, "request %s not found", app.Clip(prefix, 40))
	case 1:
		return found[0], nil
	}
	return "", app.Errorf(app.KindInvalid, "id prefix %s is ambiguous", app.Clip(prefix, 40))
}

func (t *tx) ListRequests(_ context.Context, f app.RequestFilter) ([]app.RequestView, error) {
	out := []app.RequestView{}
	for _, v := range t.s.requests {
		if (f.Tenant != "" && v.Tenant != f.Tenant) || (f.Status != "" && v.Status != f.Status) ||
			(f.Requester != "" && v.Requester != f.Requester) || (f.Project != "" && v.Project != f.Project) ||
			(f.HasVM && v.VM == nil) {
			continue
		}
		out = append(out, copyRequest(v))
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.After(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func (t *tx) LiveRequestNamed(_ context.Context, tenant, project, name string) (string, bool, error) {
	for id, v := range t.s.requests {
		if v.Tenant == tenant && v.Project == project && v.Name == name &&
			v.Status.Live() {
			return id, true, nil
		}
	}
	return "", false, nil
}

func (t *tx) Timeline(_ context.Context, requestID string) ([]app.TimelineEntry, error) {
	return append([]app.TimelineEntry{}, t.s.timeline[requestID]...), nil
}

func (t *tx) Tenant(_ context.Context, name string) (app.TenantView, error) {
	v, ok := t.s.tenants[name]
	if !ok {
		return app.TenantView{}, app.Errorf(app.KindNotFound, "tenant %q not found", app.Clip(name, 40))
	}
	v.Members = append([]app.Member(nil), v.Members...)
	return v, nil
}

func (t *tx) Tenants(ctx context.Context) ([]app.TenantView, error) {
	names := make([]string, 0, len(t.s.tenants))
	for n := range t.s.tenants {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]app.TenantView, 0, len(names))
	for _, n := range names {
		v, _ := t.Tenant(ctx, n)
		out = append(out, v)
	}
	return out, nil
}

func (t *tx) VMwareSettings(_ context.Context, tenant string) (app.VMwareSettings, error) {
	s, ok := t.s.vmware[tenant]
	if !ok {
		return app.VMwareSettings{}, app.Errorf(app.KindNotFound, "VMware is not configured for tenant %s", app.Clip(tenant, 40))
	}
	return s, nil
}

// Projections

func (t *tx) PutRequest(_ context.Context, v app.RequestView) error {
	if v.ID == "" {
		return internal("put request: no id")
	}
	t.s.requests[v.ID] = copyRequest(v)
	return nil
}

func (t *tx) AddTimeline(_ context.Context, e app.TimelineEntry) error {
	if e.Data == nil || e.Type != e.Data.EventType() {
		return internal("timeline of %s: step %d has no data of its type %q", e.RequestID, e.Seq, e.Type)
	}
	for _, old := range t.s.timeline[e.RequestID] {
		if old.Seq == e.Seq {
			return internal("timeline of %s has seq %d already", e.RequestID, e.Seq)
		}
	}
	t.s.timeline[e.RequestID] = append(t.s.timeline[e.RequestID], e)
	sort.SliceStable(t.s.timeline[e.RequestID], func(i, j int) bool {
		return t.s.timeline[e.RequestID][i].Seq < t.s.timeline[e.RequestID][j].Seq
	})
	return nil
}

func (t *tx) PutTenant(_ context.Context, v app.TenantView) error {
	if v.Name == "" {
		return internal("put tenant: no name")
	}
	v.Members = append([]app.Member(nil), v.Members...)
	t.s.tenants[v.Name] = v
	return nil
}

func (t *tx) PutVMwareSettings(_ context.Context, tenant string, s app.VMwareSettings) error {
	t.s.vmware[tenant] = s
	return nil
}

func (t *tx) ResetReadModels(context.Context) error {
	t.s.requests, t.s.timeline = map[string]app.RequestView{}, map[string][]app.TimelineEntry{}
	t.s.tenants, t.s.vmware = map[string]app.TenantView{}, map[string]app.VMwareSettings{}
	return nil
}

// Credentials

func (t *tx) PutCredential(_ context.Context, c app.Credential) error {
	t.s.creds[[2]string{string(c.Kind), c.ID}] = c
	return nil
}

func (t *tx) Credential(_ context.Context, kind app.CredentialKind, id string) (app.Credential, error) {
	c, ok := t.s.creds[[2]string{string(kind), id}]
	if !ok {
		return app.Credential{}, app.Errorf(app.KindNotFound, "no %s credential %s", kind, app.Clip(id, 63))
	}
	return c, nil
}

// Secrets

func (t *tx) PutSecret(_ context.Context, tenant, name string, sealed []byte, _ time.Time) error {
	t.s.secrets[[2]string{tenant, name}] = append([]byte{}, sealed...)
	return nil
}

func (t *tx) Secret(_ context.Context, tenant, name string) ([]byte, error) {
	b, ok := t.s.secrets[[2]string{tenant, name}]
	if !ok {
		return nil, app.Errorf(app.KindNotFound, "no secret %s is stored for tenant %s", app.Clip(name, 40), app.Clip(tenant, 40))
	}
	return append([]byte{}, b...), nil
}

// Command queue

func (t *tx) Enqueue(_ context.Context, c app.Command) (bool, error) {
	if c.Key == "" || c.Type == "" {
		return false, internal("enqueue: a command needs a key and a type")
	}
	if c.NextRunAt.IsZero() || c.CreatedAt.IsZero() {
		return false, internal("enqueue %s: a command needs its run and creation times", c.Key)
	}
	for _, old := range t.s.commands {
		if old.Key == c.Key {
			return false, nil
		}
	}
	if c.Slot != "" && c.SlotLimit < 1 {
		return false, internal("enqueue %s: a slot needs a limit", c.Key)
	}
	if c.Status == "" {
		c.Status = app.CommandPending
	}
	if len(c.Payload) == 0 {
		c.Payload = json.RawMessage("{}")
	}
	c.ID = int64(len(t.s.commands) + 1)
	c.NextRunAt, c.CreatedAt = c.NextRunAt.UTC(), c.CreatedAt.UTC()
	c.ClaimedBy, c.LeaseUntil = "", time.Time{}
	t.s.commands = append(t.s.commands, c)
	return true, nil
}

// due is the SQLite store's due condition: pending, its time come, no live lease.
func due(c app.Command, now time.Time) bool {
	return c.Status == app.CommandPending && !c.NextRunAt.After(now) && (c.LeaseUntil.IsZero() || c.LeaseUntil.Before(now))
}

func (t *tx) Claim(_ context.Context, c app.Claim) (app.Command, bool, error) {
	if c.Worker == "" || c.Now.IsZero() || c.Lease <= 0 {
		return app.Command{}, false, internal("claim: a worker, a time and a lease are needed")
	}
	best := -1
	for i, cmd := range t.s.commands {
		if !due(cmd, c.Now) || (c.Key != "" && cmd.Key != c.Key) || !t.slotFree(cmd, c.Now) {
			continue
		}
		if best < 0 || cmd.NextRunAt.Before(t.s.commands[best].NextRunAt) {
			best = i
		}
	}
	if best < 0 {
		return app.Command{}, false, nil
	}
	cmd := &t.s.commands[best]
	cmd.ClaimedBy, cmd.LeaseUntil = c.Worker, c.Now.Add(c.Lease).UTC()
	return *cmd, true, nil
}

// slotFree is the SQLite store's slot check: fewer live leases of the
// command's slot than its limit.
func (t *tx) slotFree(c app.Command, now time.Time) bool {
	if c.Slot == "" {
		return true
	}
	held := 0
	for _, o := range t.s.commands {
		if o.Slot == c.Slot && o.Status == app.CommandPending && !o.LeaseUntil.IsZero() && !o.LeaseUntil.Before(now) {
			held++
		}
	}
	return held < c.SlotLimit
}

func (t *tx) Throttled(_ context.Context, now time.Time) ([]app.Command, error) {
	var out []app.Command
	for _, c := range t.s.commands {
		if c.Slot != "" && due(c, now) && !t.slotFree(c, now) {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].NextRunAt.Before(out[j].NextRunAt) })
	return out, nil
}

// find returns the command id, or not found.
func (t *tx) find(id int64) (*app.Command, error) {
	if id < 1 || id > int64(len(t.s.commands)) {
		return nil, app.Errorf(app.KindNotFound, "command %d not found", id)
	}
	return &t.s.commands[id-1], nil
}

func (t *tx) leased(id int64, worker string) (*app.Command, error) {
	c, err := t.find(id)
	if err != nil {
		return nil, err
	}
	if c.ClaimedBy != worker || c.Status != app.CommandPending || c.LeaseUntil.IsZero() {
		return nil, app.Errorf(app.KindConflict, "command %d is not leased to %s", id, app.Clip(worker, 40))
	}
	return c, nil
}

func (t *tx) Renew(_ context.Context, id int64, worker string, _, until time.Time) error {
	c, err := t.leased(id, worker)
	if err != nil {
		return err
	}
	c.LeaseUntil = until.UTC()
	return nil
}

func (t *tx) Release(_ context.Context, id int64, worker string, _ time.Time) error {
	c, err := t.leased(id, worker)
	if err != nil {
		return err
	}
	c.ClaimedBy, c.LeaseUntil = "", time.Time{}
	return nil
}

func (t *tx) Finish(_ context.Context, id int64, o app.Outcome) error {
	if o.At.IsZero() {
		return internal("finish command %d: no time given", id)
	}
	c, err := t.find(id)
	if err != nil {
		return err
	}
	switch o.Status {
	case app.CommandDone, app.CommandFailed:
	case app.CommandPending:
		if o.RunAt.IsZero() {
			return internal("finish command %d: pending again, but with no time to run", id)
		}
	default:
		return internal("finish command %d: status %q is not done, failed or pending", id, o.Status)
	}
	if c.Status != app.CommandPending {
		return app.Errorf(app.KindConflict, "command %d is no longer pending", id)
	}
	c.LastError, c.LeaseUntil = o.Error, time.Time{}
	if o.Status != app.CommandPending {
		// The run that ends a command is an attempt too; the worker stays on record.
		c.Status = o.Status
		c.Attempts++
		return nil
	}
	c.NextRunAt, c.ClaimedBy = o.RunAt.UTC(), ""
	if o.Spent {
		c.Attempts++
	}
	return nil
}

func (t *tx) ListCommands(_ context.Context, tenant string) ([]app.Command, error) {
	out := []app.Command{}
	for i := len(t.s.commands) - 1; i >= 0; i-- {
		if tenant == "" || t.s.commands[i].Tenant == tenant {
			out = append(out, t.s.commands[i])
		}
	}
	return out, nil
}

// The Store's ports outside a transaction: reads see the committed
// state, writes run in a transaction of their own.

func (s *Store) Append(ctx context.Context, expected int, events []app.Event) (out []app.Event, err error) {
	err = s.Update(ctx, func(t app.Tx) error { out, err = t.Append(ctx, expected, events); return err })
	return out, err
}

func (s *Store) LoadStream(ctx context.Context, streamType, streamID string) (out []app.Event, err error) {
	err = s.read(func(t *tx) error { out, err = t.LoadStream(ctx, streamType, streamID); return err })
	return out, err
}

func (s *Store) ReadLog(ctx context.Context, after int64, limit int) (out []app.Event, err error) {
	err = s.read(func(t *tx) error { out, err = t.ReadLog(ctx, after, limit); return err })
	return out, err
}

func (s *Store) Request(ctx context.Context, id string) (v app.RequestView, err error) {
	err = s.read(func(t *tx) error { v, err = t.Request(ctx, id); return err })
	return v, err
}

func (s *Store) ResolveRequestID(ctx context.Context, tenant, prefix string) (id string, err error) {
	err = s.read(func(t *tx) error { id, err = t.ResolveRequestID(ctx, tenant, prefix); return err })
	return id, err
}

func (s *Store) ListRequests(ctx context.Context, f app.RequestFilter) (out []app.RequestView, err error) {
	err = s.read(func(t *tx) error { out, err = t.ListRequests(ctx, f); return err })
	return out, err
}

func (s *Store) LiveRequestNamed(ctx context.Context, tenant, project, name string) (id string, ok bool, err error) {
	err = s.read(func(t *tx) error { id, ok, err = t.LiveRequestNamed(ctx, tenant, project, name); return err })
	return id, ok, err
}

func (s *Store) Timeline(ctx context.Context, requestID string) (out []app.TimelineEntry, err error) {
	err = s.read(func(t *tx) error { out, err = t.Timeline(ctx, requestID); return err })
	return out, err
}

func (s *Store) Tenant(ctx context.Context, name string) (v app.TenantView, err error) {
	err = s.read(func(t *tx) error { v, err = t.Tenant(ctx, name); return err })
	return v, err
}

func (s *Store) Tenants(ctx context.Context) (out []app.TenantView, err error) {
	err = s.read(func(t *tx) error { out, err = t.Tenants(ctx); return err })
	return out, err
}

func (s *Store) VMwareSettings(ctx context.Context, tenant string) (v app.VMwareSettings, err error) {
	err = s.read(func(t *tx) error { v, err = t.VMwareSettings(ctx, tenant); return err })
	return v, err
}

func (s *Store) PutSecret(ctx context.Context, tenant, name string, sealed []byte, at time.Time) error {
	return s.Update(ctx, func(t app.Tx) error { return t.PutSecret(ctx, tenant, name, sealed, at) })
}

func (s *Store) Secret(ctx context.Context, tenant, name string) (b []byte, err error) {
	err = s.read(func(t *tx) error { b, err = t.Secret(ctx, tenant, name); return err })
	return b, err
}

func (s *Store) PutCredential(ctx context.Context, c app.Credential) error {
	return s.Update(ctx, func(t app.Tx) error { return t.PutCredential(ctx, c) })
}

func (s *Store) Credential(ctx context.Context, kind app.CredentialKind, id string) (c app.Credential, err error) {
	err = s.read(func(t *tx) error { c, err = t.Credential(ctx, kind, id); return err })
	return c, err
}

func (s *Store) Enqueue(ctx context.Context, c app.Command) (added bool, err error) {
	err = s.Update(ctx, func(t app.Tx) error { added, err = t.Enqueue(ctx, c); return err })
	return added, err
}

func (s *Store) Claim(ctx context.Context, c app.Claim) (cmd app.Command, ok bool, err error) {
	err = s.Update(ctx, func(t app.Tx) error { cmd, ok, err = t.Claim(ctx, c); return err })
	return cmd, ok, err
}

func (s *Store) Renew(ctx context.Context, id int64, worker string, now, until time.Time) error {
	return s.Update(ctx, func(t app.Tx) error { return t.Renew(ctx, id, worker, now, until) })
}

func (s *Store) Finish(ctx context.Context, id int64, o app.Outcome) error {
	return s.Update(ctx, func(t app.Tx) error { return t.Finish(ctx, id, o) })
}

func (s *Store) Release(ctx context.Context, id int64, worker string, now time.Time) error {
	return s.Update(ctx, func(t app.Tx) error { return t.Release(ctx, id, worker, now) })
}

func (s *Store) Throttled(ctx context.Context, now time.Time) (out []app.Command, err error) {
	err = s.read(func(t *tx) error { out, err = t.Throttled(ctx, now); return err })
	return out, err
}

func (s *Store) ListCommands(ctx context.Context, tenant string) (out []app.Command, err error) {
	err = s.read(func(t *tx) error { out, err = t.ListCommands(ctx, tenant); return err })
	return out, err
}

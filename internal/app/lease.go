package app

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Leases: a tenant's admins set how long its VMs live (a default, a most
// and a grace period); a request may ask for a shorter or longer lease up
// to the most. The lease starts when the VM becomes READY, recorded in
// the same transaction as the VM's readiness. Its owner is warned 7 days
// and 1 day before the end; at the end the VM is powered off through the
// queued power work; once the grace period has passed since the power-off
// (so an owner always gets all of it), the VM is decommissioned as if an
// admin had approved it. Each step is decided from the VM's events inside
// the transaction that records it, so two serve processes, or one started
// again, never take a step twice. A serve that was down past a warning
// gives only the latest one that is still due and never warns after the
// end. A tenant without a policy has VMs that never expire; a policy set
// or removed later changes no lease already running.

const (
	EvTenantLeasePolicySet         = "tenant.lease_policy_set"
	EvVMLeaseSet                   = "vm.lease_set"
	EvVMLeaseWarning               = "vm.lease_warning"
	EvVMLeaseExpired               = "vm.lease_expired"
	EvVMLeaseExtended              = "vm.lease_extended"
	EvVMLeaseExtensionRequested    = "vm.lease_extension_requested"
	EvVMLeaseExtensionRejected     = "vm.lease_extension_rejected"
	EvRequestLeaseDecommissionDone = "request.lease_decommissioned"
)

// SystemActor is the actor of the steps dvmm takes by itself.
const SystemActor = "dvmm"

// Day is a lease's unit.
const Day = 24 * time.Hour

// MaxLeaseDays bounds every lease length, about ten years.
const MaxLeaseDays = 3650

// MaxGraceDays bounds a grace period.
const MaxGraceDays = 365

// LeaseWarnings are the warnings before the end, in days, latest last.
var LeaseWarnings = []int{7, 1}

// LeasePolicy is a tenant's lease policy; the zero policy is none.
type LeasePolicy struct {
	DefaultDays int `json:"default_days"`
	MaxDays     int `json:"max_days"`
	GraceDays   int `json:"grace_days"`
}

// None reports whether there is no policy: VMs never expire.
func (p LeasePolicy) None() bool { return p.DefaultDays == 0 }

// TenantLeasePolicySet records a tenant's lease policy; the zero policy
// removes it.
type TenantLeasePolicySet struct {
	Policy LeasePolicy `json:"policy"`
}

// VMLeaseSet records a VM's lease, set when it became READY: it ends at
// ExpiresAt; an extension up to MaxUntil needs no approval.
type VMLeaseSet struct {
	Days      int       `json:"days"`
	ExpiresAt time.Time `json:"expires_at"`
	MaxUntil  time.Time `json:"max_until"`
	GraceDays int       `json:"grace_days"`
}

// VMLeaseWarning records a warning that the lease ends within Days.
type VMLeaseWarning struct {
	Days      int       `json:"days"`
	ExpiresAt time.Time `json:"expires_at"`
}

// VMLeaseExpired records the end of the lease: the VM is powered off.
type VMLeaseExpired struct {
	ExpiresAt time.Time `json:"expires_at"`
	GraceDays int       `json:"grace_days"`
}

// VMLeaseExtended records a new end of the lease, applied at once or
// approved (ApprovedBy).
type VMLeaseExtended struct {
	By         string    `json:"by"`
	Days       int       `json:"days"`
	ExpiresAt  time.Time `json:"expires_at"`
	ApprovedBy string    `json:"approved_by,omitempty"`
}

// VMLeaseExtensionRequested asks for an extension past the most a lease
// may last: an admin must approve it.
type VMLeaseExtensionRequested struct {
	By   string `json:"by"`
	Days int    `json:"days"`
}

// VMLeaseExtensionRejected records that an admin refused the extension.
type VMLeaseExtensionRejected struct {
	By     string `json:"by"`
	Reason string `json:"reason"`
}

// RequestLeaseDecommissioned records, on the request, that the lease's
// grace period ran out: the request is decommissioned as if approved.
type RequestLeaseDecommissioned struct {
	ExpiresAt time.Time `json:"expires_at"`
}

func (TenantLeasePolicySet) EventType() string       { return EvTenantLeasePolicySet }
func (VMLeaseSet) EventType() string                 { return EvVMLeaseSet }
func (VMLeaseWarning) EventType() string             { return EvVMLeaseWarning }
func (VMLeaseExpired) EventType() string             { return EvVMLeaseExpired }
func (VMLeaseExtended) EventType() string            { return EvVMLeaseExtended }
func (VMLeaseExtensionRequested) EventType() string  { return EvVMLeaseExtensionRequested }
func (VMLeaseExtensionRejected) EventType() string   { return EvVMLeaseExtensionRejected }
func (RequestLeaseDecommissioned) EventType() string { return EvRequestLeaseDecommissionDone }

// LeaseExtensionView is an extension asked for and not yet decided.
type LeaseExtensionView struct {
	RequestedBy string `json:"requested_by"`
	Days        int    `json:"days"`
}

// LeaseView is a VM's lease: the VM aggregate and the request's read
// model fold the same events into it, so the read model's next action
// time is the aggregate's.
type LeaseView struct {
	Days      int       `json:"days"`
	ExpiresAt time.Time `json:"expires_at"`
	MaxUntil  time.Time `json:"max_until"`
	GraceDays int       `json:"grace_days"`
	// WarnedDays is the last warning given for this end (7 or 1), 0 none.
	WarnedDays int       `json:"warned_days,omitempty"`
	ExpiredAt  time.Time `json:"expired_at,omitzero"`
	// GraceFrom is when the VM was powered off after the end: the grace
	// period counts from there.
	GraceFrom time.Time           `json:"grace_from,omitzero"`
	Extension *LeaseExtensionView `json:"extension,omitempty"`
	// NextActionAt is when the next step (a warning, the end, the
	// decommission) falls due; zero when none will.
	NextActionAt time.Time `json:"next_action_at,omitzero"`
}

// Expired reports whether the lease ended and was not extended since.
func (l *LeaseView) Expired() bool { return !l.ExpiredAt.IsZero() }

// DecommissionAt is when the grace period ends, or zero while it has not
// started.
func (l *LeaseView) DecommissionAt() time.Time {
	if l.GraceFrom.IsZero() {
		return time.Time{}
	}
	return l.GraceFrom.Add(time.Duration(l.GraceDays) * Day)
}

// applyLease folds a VM event into a lease; it returns the lease (nil
// before one is set).
func applyLease(l *LeaseView, e Event) *LeaseView {
	switch p := e.Data.(type) {
	case VMLeaseSet:
		return &LeaseView{Days: p.Days, ExpiresAt: p.ExpiresAt, MaxUntil: p.MaxUntil, GraceDays: p.GraceDays}
	}
	if l == nil {
		return nil
	}
	switch p := e.Data.(type) {
	case VMLeaseWarning:
		l.WarnedDays = p.Days
	case VMLeaseExpired:
		l.ExpiredAt, l.GraceFrom = e.At, time.Time{}
	case VMPowerChanged:
		if p.Action == PowerOff && l.Expired() && l.GraceFrom.IsZero() {
			l.GraceFrom = e.At
		}
	case VMPowerFailed:
		// The VM could not be powered off: the grace period runs all the
		// same, or it would never end.
		if p.Action == PowerOff && l.Expired() && l.GraceFrom.IsZero() {
			l.GraceFrom = e.At
		}
	case VMLeaseExtended:
		l.ExpiresAt, l.WarnedDays, l.ExpiredAt, l.GraceFrom, l.Extension = p.ExpiresAt, 0, time.Time{}, time.Time{}, nil
		l.Days += p.Days
	case VMLeaseExtensionRequested:
		l.Extension = &LeaseExtensionView{RequestedBy: p.By, Days: p.Days}
	case VMLeaseExtensionRejected:
		l.Extension = nil
	}
	return l
}

// nextAction is when the lease's next step falls due while its VM is
// live (READY and not being decommissioned); zero when none will.
func (l *LeaseView) nextAction(live bool) time.Time {
	if l == nil || !live {
		return time.Time{}
	}
	if l.Expired() {
		return l.DecommissionAt()
	}
	switch l.WarnedDays {
	case 0:
		return l.ExpiresAt.Add(-time.Duration(LeaseWarnings[0]) * Day)
	case LeaseWarnings[0]:
		return l.ExpiresAt.Add(-time.Duration(LeaseWarnings[1]) * Day)
	}
	return l.ExpiresAt
}

// LeaseStep is what the lease work does for one VM at a time.
type LeaseStep int

const (
	LeaseNothing LeaseStep = iota
	LeaseWarn
	LeaseExpire
	LeaseDecommission
)

func (s LeaseStep) String() string {
	return [...]string{"nothing", "warning", "expiry", "decommission"}[s]
}

// Due decides the step due at now, if any, and for a warning its days:
// only the latest warning still due, never one after the end.
func (l *LeaseView) Due(live bool, now time.Time) (LeaseStep, int) {
	next := l.nextAction(live)
	if next.IsZero() || now.Before(next) {
		return LeaseNothing, 0
	}
	if l.Expired() {
		return LeaseDecommission, 0
	}
	if !now.Before(l.ExpiresAt) {
		return LeaseExpire, 0
	}
	left := l.ExpiresAt.Sub(now)
	for i := len(LeaseWarnings) - 1; i >= 0; i-- {
		d := LeaseWarnings[i]
		if left <= time.Duration(d)*Day && (l.WarnedDays == 0 || l.WarnedDays > d) {
			return LeaseWarn, d
		}
	}
	return LeaseNothing, 0
}

// ParseLeaseDays reads a lease length in days ("30d"); zeroOK allows
// "0d" (a grace period of none).
func ParseLeaseDays(what, s string, zeroOK bool) (int, error) {
	limit := MaxLeaseDays
	if strings.Contains(what, "grace") {
		limit = MaxGraceDays
	}
	digits, ok := strings.CutSuffix(strings.TrimSpace(s), "d")
	n, err := strconv.Atoi(digits)
	if !ok || err != nil || n < 0 || n == 0 && !zeroOK || n > limit {
		least := 1
		if zeroOK {
			least = 0
		}
		return 0, Errorf(KindInvalid, "%s %s: give whole days, from %dd to %dd (30d, say)", what, quote(s, 20), least, limit)
	}
	return n, nil
}

// SetLeasePolicy decides a new policy (the zero one removes it): by an
// admin; the default within the most.
func (t *Tenant) SetLeasePolicy(actor string, p LeasePolicy) ([]Payload, error) {
	if err := t.RequireAdmin(actor, "set the lease policy"); err != nil {
		return nil, err
	}
	if !p.None() {
		switch {
		case p.DefaultDays < 1 || p.DefaultDays > MaxLeaseDays || p.MaxDays < 1 || p.MaxDays > MaxLeaseDays:
			return nil, Errorf(KindInvalid, "a lease lasts from 1 to %d days", MaxLeaseDays)
		case p.DefaultDays > p.MaxDays:
			return nil, Errorf(KindInvalid, "the default lease (%d days) is longer than the most (%d days)", p.DefaultDays, p.MaxDays)
		case p.GraceDays < 0 || p.GraceDays > MaxGraceDays:
			return nil, Errorf(KindInvalid, "a grace period lasts from 0 to %d days", MaxGraceDays)
		}
	} else {
		p = LeasePolicy{}
	}
	if t.leasePolicy == p {
		return nil, nil
	}
	return []Payload{TenantLeasePolicySet{Policy: p}}, nil
}

// LeasePolicy returns the tenant's lease policy (the zero one: none).
func (t *Tenant) LeasePolicy() LeasePolicy { return t.leasePolicy }

// checkLease checks the lease a new request asks for against the policy.
func (t *Tenant) checkLease(days int) error {
	if days == 0 {
		return nil
	}
	p := t.leasePolicy
	if p.None() {
		return Coded(KindInvalid, CodeLeaseTooLong, "tenant %s has no lease policy: its VMs do not expire, so a lease cannot be asked for", t.name)
	}
	if days > p.MaxDays {
		return Coded(KindInvalid, CodeLeaseTooLong, "a lease of %d days is longer than the most tenant %s allows (%d days)", days, t.name, p.MaxDays)
	}
	return nil
}

// CodeLeaseTooLong: a lease asked for passes the policy.
const CodeLeaseTooLong = "LEASE_TOO_LONG"

// leaseAtReady decides the lease of a VM becoming READY at now: the
// request's lease or the policy's default, capped at the policy's most
// as it now stands; none without a policy.
func leaseAtReady(t *Tenant, asked int, now time.Time) Payload {
	p := t.leasePolicy
	if p.None() {
		return nil
	}
	days := asked
	if days == 0 {
		days = p.DefaultDays
	}
	days = min(days, p.MaxDays)
	return VMLeaseSet{Days: days, ExpiresAt: now.Add(time.Duration(days) * Day), MaxUntil: now.Add(time.Duration(p.MaxDays) * Day), GraceDays: p.GraceDays}
}

// withLease adds the lease to events that make a VM READY, deciding it
// from the tenant's policy and the request in tx.
func withLease(ctx context.Context, tx Tx, tenant, requestID string, now time.Time, payloads []Payload) ([]Payload, error) {
	ready := false
	for _, p := range payloads {
		if _, ok := p.(VMProvisioned); ok {
			ready = true
		}
	}
	if !ready {
		return payloads, nil
	}
	t, err := loadTenant(ctx, tx, tenant)
	if err != nil {
		return nil, err
	}
	evs, err := tx.LoadStream(ctx, StreamRequest, requestID)
	if err != nil {
		return nil, err
	}
	r := NewRequest(requestID, tenant, evs)
	if l := leaseAtReady(t, r.Created().LeaseDays, now); l != nil {
		payloads = append(payloads, l)
	}
	return payloads, nil
}

// Extend decides an extension by days: by the VM's requester or an admin,
// of a READY VM with a lease. Within the most the lease may last it is
// applied; past it, it is asked for and an admin must approve it.
func (v *VM) Extend(r *Request, tenant *Tenant, actor string, days int, now time.Time) ([]Payload, error) {
	if err := tenant.RequireMember(actor); err != nil {
		return nil, err
	}
	if r.created.Requester != actor && tenant.Role(actor) != RoleAdmin {
		return nil, Errorf(KindForbidden, "only %s or an admin of %s can extend this VM's lease", r.created.Requester, r.tenant)
	}
	if days < 1 || days > MaxLeaseDays {
		return nil, Errorf(KindInvalid, "an extension lasts from 1 to %d days", MaxLeaseDays)
	}
	if v.status != StatusReady || r.decommissionApproved {
		return nil, Errorf(KindConflict, "request %s is %s: only a READY VM's lease can be extended", ShortID(r.id), statusOf(r, v))
	}
	if v.lease == nil {
		return nil, Errorf(KindConflict, "the VM of request %s has no lease: it does not expire", ShortID(r.id))
	}
	if v.lease.Extension != nil {
		return nil, Errorf(KindConflict, "an extension of request %s by %d days is already asked for", ShortID(r.id), v.lease.Extension.Days)
	}
	to := v.extendedTo(days, now)
	if to.After(v.lease.MaxUntil) {
		return []Payload{VMLeaseExtensionRequested{By: actor, Days: days}}, nil
	}
	return []Payload{VMLeaseExtended{By: actor, Days: days, ExpiresAt: to}}, nil
}

// extendedTo is the end of the lease extended by days: from its end, or
// from now once it has ended.
func (v *VM) extendedTo(days int, now time.Time) time.Time {
	from := v.lease.ExpiresAt
	if now.After(from) {
		from = now
	}
	return from.Add(time.Duration(days) * Day)
}

// ApproveExtension decides the approval of an extension asked for: an
// admin, neither the VM's requester nor the one who asked.
func (v *VM) ApproveExtension(r *Request, tenant *Tenant, actor string, now time.Time) ([]Payload, error) {
	if err := tenant.RequireAdmin(actor, "approve lease extensions"); err != nil {
		return nil, err
	}
	if v.lease == nil || v.lease.Extension == nil {
		return nil, Errorf(KindConflict, "no one asked to extend the lease of request %s", ShortID(r.id))
	}
	ask := v.lease.Extension
	if ask.RequestedBy == actor || r.created.Requester == actor {
		return nil, Errorf(KindForbidden, "you cannot approve an extension of your own VM or that you asked for: another admin of %s must do it", r.tenant)
	}
	if v.status != StatusReady || r.decommissionApproved {
		return nil, Errorf(KindConflict, "request %s is %s: only a READY VM's lease can be extended", ShortID(r.id), statusOf(r, v))
	}
	return []Payload{VMLeaseExtended{By: ask.RequestedBy, Days: ask.Days, ExpiresAt: v.extendedTo(ask.Days, now), ApprovedBy: actor}}, nil
}

// RejectExtension decides the refusal of an extension asked for.
func (v *VM) RejectExtension(r *Request, tenant *Tenant, actor, reason string) ([]Payload, error) {
	if err := tenant.RequireAdmin(actor, "reject lease extensions"); err != nil {
		return nil, err
	}
	if err := validateProse("reason", reason, MinReason, MaxReason); err != nil {
		return nil, err
	}
	if v.lease == nil || v.lease.Extension == nil {
		return nil, Errorf(KindConflict, "no one asked to extend the lease of request %s", ShortID(r.id))
	}
	if v.lease.Extension.RequestedBy == actor {
		return nil, Errorf(KindForbidden, "you cannot reject the extension you asked for: another admin of %s must do it", r.tenant)
	}
	return []Payload{VMLeaseExtensionRejected{By: actor, Reason: strings.TrimSpace(reason)}}, nil
}

// Lease returns the VM's lease, nil when it has none.
func (v *VM) Lease() *LeaseView { return v.lease }

// SetLeasePolicy sets (or, with the zero policy, removes) the tenant's
// lease policy.
func (a *App) SetLeasePolicy(ctx context.Context, actor Actor, p LeasePolicy) (LeasePolicy, error) {
	if err := needTenant(actor); err != nil {
		return LeasePolicy{}, err
	}
	err := a.Store.Update(ctx, func(tx Tx) error {
		t, err := loadTenant(ctx, tx, actor.Tenant)
		if err != nil {
			return err
		}
		payloads, err := t.SetLeasePolicy(actor.User, p)
		if err != nil {
			return err
		}
		_, err = a.record(ctx, tx, actor.Tenant, StreamTenant, actor.Tenant, t.Version(), a.meta(actor), payloads...)
		return err
	})
	if err != nil {
		return LeasePolicy{}, err
	}
	return a.ShowLeasePolicy(ctx, actor)
}

// ShowLeasePolicy returns the tenant's lease policy, for its members.
func (a *App) ShowLeasePolicy(ctx context.Context, actor Actor) (LeasePolicy, error) {
	t, err := a.memberOf(ctx, actor)
	if err != nil {
		return LeasePolicy{}, err
	}
	return t.LeasePolicy(), nil
}

// ExtendLease extends the lease of the VM of ref by days, or asks for it.
func (a *App) ExtendLease(ctx context.Context, actor Actor, ref string, days int) (RequestView, error) {
	return a.decideVM(ctx, actor, ref, func(tx Tx, r *Request, t *Tenant, vm *VM) error {
		payloads, err := vm.Extend(r, t, actor.User, days, a.Now())
		if err != nil {
			return err
		}
		_, err = a.record(ctx, tx, actor.Tenant, StreamVM, vm.ID(), vm.Version(), a.meta(actor), payloads...)
		return err
	})
}

// ApproveLeaseExtension approves the extension asked for the VM of ref.
func (a *App) ApproveLeaseExtension(ctx context.Context, actor Actor, ref string) (RequestView, error) {
	return a.decideVM(ctx, actor, ref, func(tx Tx, r *Request, t *Tenant, vm *VM) error {
		payloads, err := vm.ApproveExtension(r, t, actor.User, a.Now())
		if err != nil {
			return err
		}
		_, err = a.record(ctx, tx, actor.Tenant, StreamVM, vm.ID(), vm.Version(), a.meta(actor), payloads...)
		return err
	})
}

// RejectLeaseExtension refuses the extension asked for the VM of ref.
func (a *App) RejectLeaseExtension(ctx context.Context, actor Actor, ref, reason string) (RequestView, error) {
	return a.decideVM(ctx, actor, ref, func(tx Tx, r *Request, t *Tenant, vm *VM) error {
		payloads, err := vm.RejectExtension(r, t, actor.User, reason)
		if err != nil {
			return err
		}
		_, err = a.record(ctx, tx, actor.Tenant, StreamVM, vm.ID(), vm.Version(), a.meta(actor), payloads...)
		return err
	})
}

// LeaseDue is a VM whose lease has a step due, as the read model says.
type LeaseDue struct {
	RequestID string
	Tenant    string
}

// LeaseBatch is how many due VMs one lease tick takes at most; the rest
// wait for the next tick.
const LeaseBatch = 500

// LeaseResult counts the steps one tick took.
type LeaseResult struct {
	Warned         int
	Expired        int
	Decommissioned int
	AlreadyHandled int // another process took the step first
	Failed         int
	More           bool // a full batch: more may be due
}

// LeaseTick takes the lease steps due now: the read model names the VMs
// whose next step is due (an index on that time, a batch at most), and
// each step is decided again from the VM's events in the transaction that
// records it, so it is taken once however many processes tick.
func (a *App) LeaseTick(ctx context.Context) (LeaseResult, error) {
	var res LeaseResult
	now := a.Now()
	due, err := a.Views.DueLeases(ctx, now, LeaseBatch)
	if err != nil {
		return res, err
	}
	res.More = len(due) == LeaseBatch
	for _, d := range due {
		step, err := a.leaseStep(ctx, d, now)
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			res.Failed++
			a.Log.Warn("lease step failed; it is tried again at the next tick", slog.String("request_id", d.RequestID), slog.String("error", err.Error()))
			continue
		}
		if step != LeaseNothing {
			a.Log.Info("lease step", slog.String("request_id", d.RequestID), slog.String("step", step.String()))
		}
		switch step {
		case LeaseWarn:
			res.Warned++
		case LeaseExpire:
			res.Expired++
		case LeaseDecommission:
			res.Decommissioned++
		default:
			res.AlreadyHandled++
		}
	}
	return res, nil
}

// leaseStep decides and records the step due for one VM, in one
// transaction.
func (a *App) leaseStep(ctx context.Context, d LeaseDue, now time.Time) (LeaseStep, error) {
	var step LeaseStep
	err := retryConflict(func() error {
		step = LeaseNothing
		return a.Store.Update(ctx, func(tx Tx) error {
			actor := Actor{User: SystemActor, Tenant: d.Tenant, CorrelationID: "lease:" + d.RequestID}
			meta := a.meta(actor)
			revs, err := tx.LoadStream(ctx, StreamRequest, d.RequestID)
			if err != nil {
				return err
			}
			r := NewRequest(d.RequestID, d.Tenant, revs)
			vevs, err := tx.LoadStream(ctx, StreamVM, VMID(d.RequestID))
			if err != nil {
				return err
			}
			vm := NewVM(d.RequestID, vevs)
			l := vm.Lease()
			if l == nil {
				return nil
			}
			var days int
			step, days = l.Due(vm.Status() == StatusReady && !r.decommissionApproved, now)
			switch step {
			case LeaseWarn:
				_, err = a.record(ctx, tx, d.Tenant, StreamVM, vm.ID(), vm.Version(), meta, VMLeaseWarning{Days: days, ExpiresAt: l.ExpiresAt})
				return err
			case LeaseExpire:
				events, err := a.record(ctx, tx, d.Tenant, StreamVM, vm.ID(), vm.Version(), meta,
					VMLeaseExpired{ExpiresAt: l.ExpiresAt, GraceDays: l.GraceDays}, VMPowerRequested{By: SystemActor, Action: PowerOff})
				if err != nil {
					return err
				}
				t, err := loadTenant(ctx, tx, d.Tenant)
				if err != nil {
					return err
				}
				var slot string
				var limit int
				if s := t.VMware(); s != nil {
					slot, limit = s.TaskSlot(), s.TaskLimit()
				}
				return a.enqueueIn(ctx, tx, PowerKey(r.ID(), events[len(events)-1].Version), CmdPowerVM, actor, r.ID(),
					PowerVMWork{RequestID: r.ID(), TenantID: d.Tenant, Action: PowerOff, MoRef: vm.moref}, now, slot, limit)
			case LeaseDecommission:
				if _, err := a.record(ctx, tx, d.Tenant, StreamRequest, r.ID(), r.Version(), meta, RequestLeaseDecommissioned{ExpiresAt: l.ExpiresAt}); err != nil {
					return err
				}
				t, err := loadTenant(ctx, tx, d.Tenant)
				if err != nil {
					return err
				}
				var slot string
				var limit int
				if s := t.VMware(); s != nil {
					slot, limit = s.TaskSlot(), s.TaskLimit()
				}
				return a.enqueueIn(ctx, tx, DecommissionKey(r.ID()), CmdRemoveVM, actor, r.ID(),
					RemoveVM{RequestID: r.ID(), TenantID: d.Tenant, Decommission: true}, now, slot, limit)
			}
			return nil
		})
	})
	return step, err
}

// ExpiringWithin keeps the VMs whose lease ends before now+within and
// that are still live.
func ExpiringWithin(vs []RequestView, now time.Time, within time.Duration) []RequestView {
	out := make([]RequestView, 0, len(vs))
	for _, v := range vs {
		if v.Lease != nil && v.Status == StatusReady && v.Lease.ExpiresAt.Before(now.Add(within)) {
			out = append(out, v)
		}
	}
	return out
}

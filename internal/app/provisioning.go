package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy says how transient failures of the vSphere work are retried.
// The schedule is persisted in the queue (next_run_at), so it is computed
// here rather than kept in an in-memory backoff object.
type RetryPolicy struct {
	Base        time.Duration
	Max         time.Duration
	MaxAttempts int
	// Wait is how long a command waits while its vCenter is unreachable;
	// waiting spends no attempt.
	Wait time.Duration
}

// DefaultRetryPolicy waits 10s, 20s, 40s, 80s between 5 attempts, capped at 120s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{Base: 10 * time.Second, Max: 120 * time.Second, MaxAttempts: 5, Wait: 15 * time.Second}
}

// Delay before attempt n (n ≥ 2).
func (p RetryPolicy) Delay(n int) time.Duration {
	d := p.Base
	for i := 2; i < n && d < p.Max; i++ {
		d *= 2
	}
	if d > p.Max {
		d = p.Max
	}
	return d
}

// SecretPassword names the vCenter password among a tenant's secrets.
const SecretPassword = "vcenter-password"

func provisionKey(requestID string, attempt int) string {
	return CmdProvisionVM + ":" + requestID + ":" + strconv.Itoa(attempt)
}

// CreateVMKey is the idempotency key of the vSphere work of one attempt.
func CreateVMKey(requestID string, attempt int) string {
	return CmdCreateVM + ":" + requestID + ":" + strconv.Itoa(attempt)
}

// Approve approves a pending request and, in the same transaction, the
// process manager dispatches ProvisionVM; its handler then runs at once.
func (a *App) Approve(ctx context.Context, actor Actor, idPrefix string, expected int) (RequestView, error) {
	var key string
	view, err := a.decideRequest(ctx, actor, idPrefix, func(r *Request, t *Tenant) ([]Payload, error) {
		return r.Approve(t, actor.User, expected)
	}, func(tx Tx, r *Request, events []Event) error {
		if err := checkApprovalQuota(ctx, tx, actor.Tenant, r.ID()); err != nil {
			return err
		}
		network, err := defaultNetwork(ctx, tx, actor.Tenant)
		if err != nil {
			return err
		}
		cmd := ProvisionVM{RequestID: r.ID(), TenantID: actor.Tenant, VMSpec: r.Spec(network), Attempt: 1}
		key = provisionKey(r.ID(), 1)
		return a.enqueue(ctx, tx, key, CmdProvisionVM, actor, r.ID(), cmd, a.Now())
	})
	if err != nil {
		return view, err
	}
	return a.handleProvisionVMNow(ctx, actor, view.ID, key)
}

// Retry starts a new provisioning attempt of a failed request.
func (a *App) Retry(ctx context.Context, actor Actor, idPrefix string) (RequestView, error) {
	var key string
	view, err := a.decideRequest(ctx, actor, idPrefix, func(r *Request, t *Tenant) ([]Payload, error) {
		if err := t.RequireAdmin(actor.User, "retry requests"); err != nil {
			return nil, err
		}
		return nil, nil
	}, func(tx Tx, r *Request, _ []Event) error {
		vmEvents, err := tx.LoadStream(ctx, StreamVM, VMID(r.ID()))
		if err != nil {
			return err
		}
		vm := NewVM(r.ID(), vmEvents)
		if vm.Status() != StatusFailed || r.Status() == StatusCancelled {
			return Errorf(KindConflict, "request %s is %s: only a failed request can be retried", ShortID(r.ID()), statusOf(r, vm))
		}
		attempt := vm.Attempt() + 1
		if _, err := a.record(ctx, tx, actor.Tenant, StreamRequest, r.ID(), r.Version(), a.meta(actor),
			RequestRetryRequested{By: actor.User, Attempt: attempt}); err != nil {
			return err
		}
		network, err := defaultNetwork(ctx, tx, actor.Tenant)
		if err != nil {
			return err
		}
		key = provisionKey(r.ID(), attempt)
		cmd := ProvisionVM{RequestID: r.ID(), TenantID: actor.Tenant, VMSpec: r.Spec(network), Attempt: attempt}
		return a.enqueue(ctx, tx, key, CmdProvisionVM, actor, r.ID(), cmd, a.Now())
	})
	if err != nil {
		return view, err
	}
	return a.handleProvisionVMNow(ctx, actor, view.ID, key)
}

// defaultNetwork is the tenant's network, or "" before VMware is set.
func defaultNetwork(ctx context.Context, log EventLog, tenant string) (string, error) {
	t, err := loadTenant(ctx, log, tenant)
	if err != nil || t.VMware() == nil {
		return "", err
	}
	return t.VMware().Network, nil
}

func statusOf(r *Request, vm *VM) Status {
	if r.Status() == StatusCancelled || r.Status() == StatusRejected {
		return r.Status() // the request's end, whatever its VM did before
	}
	if vm.Started() {
		return vm.Status()
	}
	return r.Status()
}

func (a *App) enqueue(ctx context.Context, q CommandQueue, key, typ string, actor Actor, requestID string, payload any, at time.Time) error {
	return a.enqueueIn(ctx, q, key, typ, actor, requestID, payload, at, "", 0)
}

// enqueueIn queues a command that takes one of slot's limit places while it runs.
func (a *App) enqueueIn(ctx context.Context, q CommandQueue, key, typ string, actor Actor, requestID string, payload any, at time.Time, slot string, limit int) error {
	data, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	_, err = q.Enqueue(ctx, Command{Key: key, Type: typ, Tenant: actor.Tenant, RequestID: requestID, Payload: data,
		Status: CommandPending, NextRunAt: at, Correlation: actor.CorrelationID, CreatedAt: a.Now(), Slot: slot, SlotLimit: limit})
	return err
}

// noteThrottled says once on the timeline of each request whose vSphere
// work is due but waits for a task slot of its vCenter. It records
// nothing else: the queue hands the work out when a slot frees.
func (a *App) noteThrottled(ctx context.Context) error {
	held, err := a.Queue.Throttled(ctx, a.Now())
	if err != nil {
		return err
	}
	for _, cmd := range held {
		if cmd.Type != CmdCreateVM {
			continue
		}
		var p CreateVM
		if json.Unmarshal(cmd.Payload, &p) != nil {
			continue
		}
		meta := Metadata{Actor: "dvmm", CorrelationID: cmd.Correlation, CausationID: cmd.Key}
		err := a.Store.Update(ctx, func(tx Tx) error {
			evs, err := tx.LoadStream(ctx, StreamVM, VMID(p.RequestID))
			if err != nil {
				return err
			}
			vm := NewVM(p.RequestID, evs)
			if !vm.Running(p.Attempt) || vm.WaitingForSlot() {
				return nil
			}
			host := strings.TrimPrefix(cmd.Slot, "vcenter:")
			_, err = a.record(ctx, tx, p.TenantID, StreamVM, vm.ID(), vm.Version(), meta, VMWaitingForSlot{VCenter: host, Limit: cmd.SlotLimit})
			return err
		})
		if err != nil && ErrorKind(err) != KindConflict {
			return err
		}
	}
	return nil
}

// handleProvisionVMNow runs the ProvisionVM handler right after the
// approval committed. If this process dies first, serve runs it instead.
func (a *App) handleProvisionVMNow(ctx context.Context, actor Actor, requestID, key string) (RequestView, error) {
	cmd, ok, err := a.Queue.Claim(ctx, Claim{Worker: "approve", Key: key, Now: a.Now(), Lease: time.Minute})
	if err != nil {
		return RequestView{}, err
	}
	if ok {
		if err := a.RunCommand(ctx, cmd, "approve"); err != nil {
			return RequestView{}, err
		}
	}
	return a.Views.Request(ctx, requestID)
}

// RunCommand runs one claimed command. Failures of the vSphere work are
// recorded as events and do not make RunCommand fail; an error means the
// command could not be handled at all (the store failed, say) and its
// lease will run out.
func (a *App) RunCommand(ctx context.Context, cmd Command, worker string) error {
	switch cmd.Type {
	case CmdProvisionVM:
		return a.handleProvisionVM(ctx, cmd)
	case CmdCreateVM:
		return a.handleCreateVM(ctx, cmd, worker)
	case CmdRemoveVM:
		return a.handleRemoveVM(ctx, cmd)
	case CmdPowerVM:
		return a.handlePowerVM(ctx, cmd)
	case CmdResizeVM:
		return a.handleResizeVM(ctx, cmd)
	case CmdNotify:
		return a.handleNotify(ctx, cmd)
	}
	return a.finish(ctx, cmd.ID, Outcome{Status: CommandFailed, Error: "unknown command type " + Clip(cmd.Type, 40)})
}

// handleProvisionVM is the process manager's handler: it starts the VM
// aggregate's attempt, or fails it at once when the tenant has no VMware
// settings. Running it twice changes nothing the second time.
func (a *App) handleProvisionVM(ctx context.Context, cmd Command) error {
	var p ProvisionVM
	if err := json.Unmarshal(cmd.Payload, &p); err != nil {
		return a.finish(ctx, cmd.ID, Outcome{Status: CommandFailed, Error: "bad payload: " + err.Error()})
	}
	actor := Actor{User: "dvmm", Tenant: p.TenantID, CorrelationID: cmd.Correlation}
	meta := Metadata{Actor: "dvmm", CorrelationID: cmd.Correlation, CausationID: cmd.Key}
	// The address lease is decided on the tenant's stream: an approval
	// that leased the same address first makes this one conflict, and it
	// decides again on the new version.
	return retryConflict(func() error {
		return a.Store.Update(ctx, func(tx Tx) error { return a.startAttempt(ctx, tx, cmd, p, actor, meta) })
	})
}

// retryConflict runs fn again (a few times) while it loses a race on a
// stream's version.
func retryConflict(fn func() error) error {
	var err error
	for range 5 {
		if err = fn(); ErrorKind(err) != KindConflict {
			return err
		}
	}
	return err
}

// startAttempt is the ProvisionVM handler's transaction.
func (a *App) startAttempt(ctx context.Context, tx Tx, cmd Command, p ProvisionVM, actor Actor, meta Metadata) error {
	{
		events, err := tx.LoadStream(ctx, StreamVM, VMID(p.RequestID))
		if err != nil {
			return err
		}
		vm := NewVM(p.RequestID, events)
		started := vm.Start(p.VMSpec, p.Attempt)
		if len(started) > 0 {
			t, err := loadTenant(ctx, tx, p.TenantID)
			if err != nil {
				return err
			}
			network := p.VMSpec.Network
			if network == "" && t.VMware() != nil {
				network = t.VMware().Network
			}
			leased, full := t.LeaseAddress(p.RequestID, network)
			switch {
			case t.VMware() == nil:
				started = append(started, VMProvisioningFailed{Code: FaultVMwareNotConfigured,
					Message: "VMware is not configured for tenant " + p.TenantID, Attempt: p.Attempt})
			case full != nil:
				// Before any clone: the request fails with the reason.
				started = append(started, VMProvisioningFailed{Code: full.Code, Message: full.Message, Attempt: p.Attempt})
			default:
				if _, err := a.record(ctx, tx, p.TenantID, StreamTenant, p.TenantID, t.Version(), meta, leased...); err != nil {
					return err
				}
				work := CreateVM{RequestID: p.RequestID, TenantID: p.TenantID, Attempt: p.Attempt}
				// The vSphere work takes one of its vCenter's task slots.
				s := *t.VMware()
				if err := a.enqueueIn(ctx, tx, CreateVMKey(p.RequestID, p.Attempt), CmdCreateVM, actor, p.RequestID, work, a.Now(),
					s.TaskSlot(), s.TaskLimit()); err != nil {
					return err
				}
			}
			if _, err := a.record(ctx, tx, p.TenantID, StreamVM, VMID(p.RequestID), vm.Version(), meta, started...); err != nil {
				return err
			}
			return tx.Finish(ctx, cmd.ID, Outcome{Status: CommandDone, At: a.Now()})
		}
		// Already handled: by another process, or by this one before a
		// crash. Finishing again is harmless; a finished command stays so.
		if err := tx.Finish(ctx, cmd.ID, Outcome{Status: CommandDone, At: a.Now()}); err != nil && ErrorKind(err) != KindConflict {
			return err
		}
		return nil
	}
}

// releaseAddress gives back the address a request's VM holds, in tx.
func (a *App) releaseAddress(ctx context.Context, tx Tx, tenant, requestID, reason string, meta Metadata) error {
	t, err := loadTenant(ctx, tx, tenant)
	if err != nil {
		return err
	}
	_, err = a.record(ctx, tx, tenant, StreamTenant, tenant, t.Version(), meta, t.ReleaseAddress(requestID, reason)...)
	return err
}

// guestSetup is what the guest gets besides its size: its leased address
// and the request's cloud-init user data.
func (a *App) guestSetup(ctx context.Context, tenant, requestID string) (*StaticIP, []byte, error) {
	t, err := loadTenant(ctx, a.Events, tenant)
	if err != nil {
		return nil, nil, err
	}
	evs, err := a.Events.LoadStream(ctx, StreamRequest, requestID)
	if err != nil {
		return nil, nil, err
	}
	var userData []byte
	for _, e := range evs {
		if c, ok := e.Data.(RequestCreated); ok {
			userData = c.UserData
		}
	}
	return t.StaticIPOf(requestID), userData, nil
}

// target builds the connection details of a tenant's vCenter, password included.
func (a *App) target(ctx context.Context, tenant string) (Target, error) {
	s, err := a.Views.VMwareSettings(ctx, tenant)
	if err != nil {
		if ErrorKind(err) == KindNotFound {
			return Target{}, &Fault{Code: FaultVMwareNotConfigured, Message: "VMware is not configured for tenant " + tenant}
		}
		return Target{}, err
	}
	t := Target{Tenant: tenant, Settings: s}
	sealed, err := a.Vault.Secret(ctx, tenant, SecretPassword)
	if ErrorKind(err) == KindNotFound {
		return Target{}, &Fault{Code: FaultBadCredentials, Message: "no vCenter password is stored for tenant " + tenant}
	}
	if err != nil {
		return Target{}, err
	}
	if a.Secrets == nil {
		return Target{}, &Fault{Code: FaultBadCredentials, Message: "no secret key is available to open the stored vCenter password"}
	}
	pw, err := a.Secrets.Open(sealed)
	if ErrorCode(err) == CodeSecretKey {
		// The key itself is missing or wrong: say exactly that.
		return Target{}, &Fault{Code: FaultSecretKey, Message: ErrorMessage(err)}
	}
	if err != nil {
		return Target{}, &Fault{Code: FaultBadCredentials, Message: "the stored vCenter password cannot be opened with this secret key"}
	}
	t.Password = string(pw)
	return t, nil
}

// MachineSpecFor says where and how big the VM of a request is made.
// Each tenant gets a folder below the configured one and each project a
// folder below that, so the names that are unique per tenant and project
// are unique per vCenter folder too.
func MachineSpecFor(t Target, requestID string, spec VMSpec) MachineSpec {
	return MachineSpec{
		RequestID: requestID, Tenant: t.Tenant, Name: spec.Name,
		Folder: t.Settings.Folder + "/" + t.Tenant + "/" + spec.Project,
		CPUs:   spec.CPUs, MemoryMB: spec.MemoryGB * 1024, DiskGB: spec.DiskGB,
		Network: spec.Network, IPTimeout: t.Settings.IPTimeout(),
	}
}

// handleCreateVM does the vSphere work of one attempt: find or clone the
// VM, size it, power it on and wait for its IP, recording each stage. It
// is the shell around DecideCreateVM: it does the I/O, the decision what
// the result means is made there.
func (a *App) handleCreateVM(ctx context.Context, cmd Command, worker string) error {
	var p CreateVM
	if err := json.Unmarshal(cmd.Payload, &p); err != nil {
		return a.finish(ctx, cmd.ID, Outcome{Status: CommandFailed, Error: "bad payload: " + err.Error()})
	}
	log := a.Log.With(slog.String("request_id", p.RequestID), slog.String("correlation_id", cmd.Correlation),
		slog.String("command", cmd.Key), slog.Int("attempt", cmd.Attempts+1))
	meta := Metadata{Actor: "dvmm", CorrelationID: cmd.Correlation, CausationID: cmd.Key}
	vmID := VMID(p.RequestID)

	events, err := a.Events.LoadStream(ctx, StreamVM, vmID)
	if err != nil {
		return err
	}
	vm := NewVM(p.RequestID, events)
	if !vm.Running(p.Attempt) {
		log.Info("nothing to do: the attempt is no longer running", slog.String("status", string(vm.Status())))
		return a.finish(ctx, cmd.ID, Outcome{Status: CommandDone})
	}
	// appendVM records events on the VM stream if this attempt still runs,
	// and settles the command in the same transaction when o is given.
	var appendVMWith func(o *Outcome, also func(Tx) error, payloads ...Payload) error
	appendVM := func(o *Outcome, payloads ...Payload) error { return appendVMWith(o, nil, payloads...) }
	appendVMWith = func(o *Outcome, also func(Tx) error, payloads ...Payload) error {
		return a.Store.Update(ctx, func(tx Tx) error {
			evs, err := tx.LoadStream(ctx, StreamVM, vmID)
			if err != nil {
				return err
			}
			cur := NewVM(p.RequestID, evs)
			if !cur.Running(p.Attempt) {
				return errAttemptOver
			}
			if _, err := a.record(ctx, tx, p.TenantID, StreamVM, vmID, cur.Version(), meta, payloads...); err != nil {
				return err
			}
			if also != nil {
				if err := also(tx); err != nil {
					return err
				}
			}
			if o != nil {
				o.At = a.Now()
				return tx.Finish(ctx, cmd.ID, *o)
			}
			return nil
		})
	}
	if a.Hypervisor == nil {
		return errors.New("no hypervisor is wired into this process")
	}

	target, err := a.target(ctx, p.TenantID)
	var f0 *Fault
	if err != nil && !errors.As(err, &f0) {
		// The store failed, not vCenter: leave the command to its lease.
		return err
	}
	var machine Machine
	if err == nil {
		staticIP, userData, gerr := a.guestSetup(ctx, p.TenantID, p.RequestID)
		if gerr != nil {
			return gerr // the store failed, not vCenter
		}
		spec := MachineSpecFor(target, p.RequestID, vm.Spec())
		spec.StaticIP, spec.UserData = staticIP, userData
		spec.CloneTask = vm.CloneTask()
		spec.CloneStarted = func(task string) error {
			return appendVM(nil, VMProvisioningProgressed{Stage: StageCloning, Task: task, Attempt: p.Attempt})
		}
		log.Info("provisioning", slog.String("vcenter", target.Settings.URL), slog.String("vm", spec.Name))
		machine, err = a.Hypervisor.Provision(ctx, target, spec, func(s Stage) error {
			log.Info("stage", slog.String("stage", string(s)))
			return appendVM(nil, VMProvisioningProgressed{Stage: s, Attempt: p.Attempt})
		})
	}
	if errors.Is(err, errAttemptOver) {
		return a.finish(ctx, cmd.ID, Outcome{Status: CommandDone})
	}
	if err != nil && ctx.Err() != nil {
		// Shutting down: the lease runs out and another worker takes over.
		return ctx.Err()
	}
	if f := (*Fault)(nil); err != nil && !errors.As(err, &f) {
		// dvmm's own store failed while the work ran (busy or locked past
		// its timeout, a full disk): not vCenter's doing, so it never
		// fails the request nor removes a VM that may be made right.
		// The work goes back to the queue without spending an attempt;
		// its next run adopts what this one made.
		retry := a.Retries.Base
		log.Warn("the store failed during the vSphere work; trying again", slog.String("error", err.Error()), slog.Duration("in", retry))
		if ferr := a.finish(ctx, cmd.ID, Outcome{Status: CommandPending, RunAt: a.Now().Add(retry), Error: "store: " + Clip(err.Error(), 200)}); ferr != nil {
			return err // the store is still down: the lease runs out and the work runs again
		}
		return nil
	}
	d := DecideCreateVM(CreateVMResult{Attempt: p.Attempt, Runs: cmd.Attempts, Waiting: vm.Waiting(),
		Machine: machine, Err: err, Policy: a.Retries})
	payloads := d.Events
	switch d.Next {
	case NextDone:
		log.Info("ready", slog.String("moref", machine.MoRef), slog.String("ip", machine.IP))
	case NextWait:
		log.Warn("vCenter unreachable, waiting", slog.String("error", d.Error), slog.Duration("in", d.Delay))
	case NextRetry:
		log.Warn("transient failure, retrying", slog.String("error", d.Error), slog.Duration("in", d.Delay))
	case NextFail:
		log.Error("provisioning failed", slog.String("error", d.Error))
		if d.RemovePartial && target.Password != "" {
			if removed, rerr := a.removePartial(ctx, target, p.RequestID); rerr != nil {
				log.Warn("could not remove the partial VM", slog.String("error", AsFault(rerr).Message))
			} else if removed != "" {
				payloads = append([]Payload{VMRemoved{MoRef: removed, Reason: "cleaned up after the failure"}}, payloads...)
			}
		}
	}
	o := d.Outcome(a.Now())
	if len(payloads) == 0 {
		return a.finish(ctx, cmd.ID, o)
	}
	if d.Next == NextFail {
		// The request failed: its address goes back to the pool, in the
		// same transaction (a retry leases one again).
		return ignoreAttemptOver(retryConflict(func() error {
			return appendVMWith(&o, func(tx Tx) error {
				return a.releaseAddress(ctx, tx, p.TenantID, p.RequestID, "provisioning failed", meta)
			}, payloads...)
		}))
	}
	return ignoreAttemptOver(appendVM(&o, payloads...))
}

// handleRemoveVM removes the VM of a given-up request once vCenter
// answers: while it does not, the work waits without spending attempts;
// a permanent failure is recorded for someone to remove the VM by hand.
func (a *App) handleRemoveVM(ctx context.Context, cmd Command) error {
	var p RemoveVM
	if err := json.Unmarshal(cmd.Payload, &p); err != nil {
		return a.finish(ctx, cmd.ID, Outcome{Status: CommandFailed, Error: "bad payload: " + err.Error()})
	}
	if a.Hypervisor == nil {
		return errors.New("no hypervisor is wired into this process")
	}
	meta := Metadata{Actor: "dvmm", CorrelationID: cmd.Correlation, CausationID: cmd.Key}
	record := func(o Outcome, payloads ...Payload) error {
		return a.Store.Update(ctx, func(tx Tx) error {
			evs, err := tx.LoadStream(ctx, StreamVM, VMID(p.RequestID))
			if err != nil {
				return err
			}
			vm := NewVM(p.RequestID, evs)
			if vm.Status() == StatusDecommissioned {
				payloads = nil // an earlier run recorded the end
			}
			if _, err := a.record(ctx, tx, p.TenantID, StreamVM, vm.ID(), vm.Version(), meta, payloads...); err != nil {
				return err
			}
			if p.Decommission && o.Status == CommandDone {
				// The address goes back with the VM, in the same transaction.
				if err := a.releaseAddress(ctx, tx, p.TenantID, p.RequestID, "VM decommissioned", meta); err != nil {
					return err
				}
			}
			o.At = a.Now()
			return tx.Finish(ctx, cmd.ID, o)
		})
	}
	target, err := a.target(ctx, p.TenantID)
	if err == nil {
		var removed string
		if p.Decommission && target.Password == "" {
			// Without a password nothing can be looked up: "gone" would be a guess.
			err = &Fault{Code: FaultVMwareNotConfigured, Message: "no vCenter password is stored for the tenant"}
		} else {
			removed, err = a.removePartial(ctx, target, p.RequestID)
		}
		switch {
		case err != nil:
		case p.Decommission:
			return record(Outcome{Status: CommandDone}, VMDecommissioned{MoRef: removed, AlreadyGone: removed == ""})
		case removed == "":
			return record(Outcome{Status: CommandDone})
		default:
			return record(Outcome{Status: CommandDone}, VMRemoved{MoRef: removed, Reason: "removed after the request was given up"})
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	f := AsFault(err)
	if f.Transient {
		wait := a.Retries.Wait
		a.Log.Warn("vCenter unreachable; the VM of a given-up request is removed when it answers",
			slog.String("request_id", p.RequestID), slog.String("error", f.Message), slog.Duration("in", wait))
		return a.finish(ctx, cmd.ID, Outcome{Status: CommandPending, RunAt: a.Now().Add(wait), Error: f.Message})
	}
	return record(Outcome{Status: CommandFailed, Error: f.Message}, VMCleanupFailed{Code: f.Code, Message: f.Message})
}

// finish settles a command in a transaction of its own.
func (a *App) finish(ctx context.Context, id int64, o Outcome) error {
	return a.Store.Update(ctx, func(tx Tx) error {
		o.At = a.Now()
		if o.Status == CommandPending && o.RunAt.IsZero() {
			o.RunAt = o.At
		}
		return tx.Finish(ctx, id, o)
	})
}

// removePartial deletes a VM a failed attempt left behind; it returns its moref.
func (a *App) removePartial(ctx context.Context, t Target, requestID string) (string, error) {
	if t.Password == "" {
		return "", nil
	}
	m, found, err := a.Hypervisor.Find(ctx, t, requestID)
	if err != nil || !found {
		return "", err
	}
	if err := a.Hypervisor.Remove(ctx, t, requestID); err != nil {
		return "", err
	}
	return m.MoRef, nil
}

var errAttemptOver = errors.New("the provisioning attempt is no longer running")

func ignoreAttemptOver(err error) error {
	if errors.Is(err, errAttemptOver) {
		return nil
	}
	return err
}

// drivePoll is how often Drive looks again while the work is not its to run.
const drivePoll = 200 * time.Millisecond

// Drive runs the vSphere work of a request inline until the request is
// READY or FAILED, as 'approve --wait' does. It claims the request's
// CreateVM command with a lease like any worker, so serve never runs it
// at the same time; it waits out retries scheduled in the queue.
func (a *App) Drive(ctx context.Context, actor Actor, requestID string, lease time.Duration, onChange func(RequestView)) (RequestView, error) {
	worker := "approve-" + a.NewID()[:6]
	last := ""
	for {
		wake := a.Changed()
		v, err := a.Views.Request(ctx, requestID)
		if err != nil {
			return v, err
		}
		if sig := fmt.Sprint(v.Status, v.VM); sig != last && onChange != nil {
			last = sig
			onChange(v)
		}
		if v.Status != StatusProvisioning && v.Status != StatusApproved {
			return v, nil
		}
		// While APPROVED, the ProvisionVM handler has yet to run (another
		// process holds it); wait for it like for a retry.
		var (
			cmd Command
			ok  bool
		)
		if v.VM != nil && v.Status == StatusProvisioning {
			cmd, ok, err = a.Queue.Claim(ctx, Claim{Worker: worker, Key: CreateVMKey(requestID, v.VM.Attempt), Now: a.Now(), Lease: lease})
			if err != nil {
				return v, err
			}
		}
		if !ok {
			if err := a.noteThrottled(ctx); err != nil {
				return v, err
			}
		}
		if ok {
			wctx, stop := a.keepLease(ctx, cmd.ID, worker, lease)
			err = a.RunCommand(wctx, cmd, worker)
			lost := wctx.Err() != nil && ctx.Err() == nil
			stop()
			if ctx.Err() != nil {
				// The caller stopped waiting: give the work back to the
				// queue at once rather than when the lease runs out.
				if rerr := a.Queue.Release(context.WithoutCancel(ctx), cmd.ID, worker, a.Now()); rerr != nil && ErrorKind(rerr) != KindConflict {
					a.Log.Warn("could not release the lease; it runs out by itself", slog.String("error", rerr.Error()))
				}
				return v, Coded(KindUnavailable, CodeStoppedWaiting, "stopped waiting")
			}
			if err != nil && !lost {
				return v, err
			}
			continue
		}
		select {
		case <-ctx.Done():
			return v, Coded(KindUnavailable, CodeStoppedWaiting, "stopped waiting")
		case <-wake:
		case <-a.Clock.After(drivePoll):
		}
	}
}

// keepLease renews a lease at a third of its length until stop is called.
// If the lease was lost (another worker holds the command now), the
// returned context is cancelled so that this worker stops its copy.
func (a *App) keepLease(ctx context.Context, id int64, worker string, lease time.Duration) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-a.Clock.After(lease / 3):
				err := a.Queue.Renew(ctx, id, worker, a.Now(), a.Now().Add(lease))
				if ErrorKind(err) == KindConflict {
					a.Log.Error("lease lost: stopping this worker's copy of the command", slog.Int64("command_id", id), slog.String("error", err.Error()))
					cancel()
					return
				}
				if err != nil {
					a.Log.Warn("lease renewal failed", slog.Int64("command_id", id), slog.String("error", err.Error()))
				}
			}
		}
	}()
	return ctx, func() { close(done); cancel() }
}

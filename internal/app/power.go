package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Day-2 power: the requester of a READY VM, or an admin, switches it on
// or off or restarts it. The ask is recorded on the VM's stream and the
// switch is queued vSphere work like provisioning: leases, retries with
// backoff, the vCenter's task limit. Power operations are hard (power
// on, power off, reset): they need no VMware Tools in the guest. A VM
// already in the asked state is left as it is, which makes the work
// idempotent.

const (
	EvVMPowerRequested = "vm.power_requested"
	EvVMPowerChanged   = "vm.power_changed"
	EvVMPowerFailed    = "vm.power_failed"

	// CmdPowerVM runs an asked power action.
	CmdPowerVM = "PowerVm"
)

// PowerAction is what is asked of a VM's power.
type PowerAction string

const (
	PowerOn      PowerAction = "on"
	PowerOff     PowerAction = "off"
	PowerRestart PowerAction = "restart"
)

// ParsePowerAction accepts on, off or restart.
func ParsePowerAction(s string) (PowerAction, error) {
	switch a := PowerAction(s); a {
	case PowerOn, PowerOff, PowerRestart:
		return a, nil
	}
	return "", Errorf(KindInvalid, "unknown power action %s: use on, off or restart", quote(s, 20))
}

// VMPowerRequested records an ask.
type VMPowerRequested struct {
	By     string      `json:"by"`
	Action PowerAction `json:"action"`
}

// VMPowerChanged records that vCenter did it; State is the power state
// vCenter reports after.
type VMPowerChanged struct {
	Action PowerAction `json:"action"`
	State  string      `json:"state"`
}

// VMPowerFailed records that it could not be done.
type VMPowerFailed struct {
	Action  PowerAction `json:"action"`
	Code    string      `json:"code"`
	Message string      `json:"message"`
}

func (VMPowerRequested) EventType() string { return EvVMPowerRequested }
func (VMPowerChanged) EventType() string   { return EvVMPowerChanged }
func (VMPowerFailed) EventType() string    { return EvVMPowerFailed }

// PowerVMWork is the payload of CmdPowerVM.
type PowerVMWork struct {
	RequestID string      `json:"request_id"`
	TenantID  string      `json:"tenant_id"`
	Action    PowerAction `json:"action"`
	MoRef     string      `json:"moref"`
}

// PowerSwitch switches the power of the VM made for a request (found by
// its recorded moref first) and returns the power state after.
type PowerSwitch interface {
	Power(ctx context.Context, t Target, requestID, moref string, action PowerAction) (string, error)
}

// AskPower decides an ask: by the VM's requester or an admin, of a READY
// VM that is not being decommissioned.
func (r *Request) AskPower(tenant *Tenant, actor string, action PowerAction, vm *VM) ([]Payload, error) {
	if err := tenant.RequireMember(actor); err != nil {
		return nil, err
	}
	if r.created.Requester != actor && tenant.Role(actor) != RoleAdmin {
		return nil, Errorf(KindForbidden, "only %s or an admin of %s can switch this VM", r.created.Requester, r.tenant)
	}
	if vm.Status() != StatusReady || r.decommissionApproved {
		status := statusOf(r, vm)
		if r.decommissionApproved && vm.Status() == StatusReady {
			status = StatusDecommissioning
		}
		return nil, Errorf(KindConflict, "request %s is %s: only a READY VM can be switched", ShortID(r.id), status)
	}
	return []Payload{VMPowerRequested{By: actor, Action: action}}, nil
}

// PowerKey is the queue key of the power action asked at the VM's
// version: one command per ask.
func PowerKey(requestID string, vmVersion int) string {
	return fmt.Sprintf("power:%s:%d", requestID, vmVersion)
}

// PowerVM asks for a power action on the VM of ref and queues it; it
// returns the request and the queue key of the work (for a caller that
// waits).
func (a *App) PowerVM(ctx context.Context, actor Actor, ref string, action PowerAction) (RequestView, string, error) {
	if _, err := ParsePowerAction(string(action)); err != nil {
		return RequestView{}, "", err
	}
	var key string
	v, err := a.decideVM(ctx, actor, ref, func(tx Tx, r *Request, t *Tenant, vm *VM) error {
		payloads, err := r.AskPower(t, actor.User, action, vm)
		if err != nil {
			return err
		}
		events, err := a.record(ctx, tx, actor.Tenant, StreamVM, vm.ID(), vm.Version(), a.meta(actor), payloads...)
		if err != nil {
			return err
		}
		var slot string
		var limit int
		if s := t.VMware(); s != nil {
			slot, limit = s.TaskSlot(), s.TaskLimit()
		}
		key = PowerKey(r.ID(), events[len(events)-1].Version)
		return a.enqueueIn(ctx, tx, key, CmdPowerVM, actor, r.ID(), PowerVMWork{RequestID: r.ID(), TenantID: actor.Tenant, Action: action, MoRef: vm.moref}, a.Now(), slot, limit)
	})
	return v, key, err
}

// handlePowerVM runs an asked power action.
func (a *App) handlePowerVM(ctx context.Context, cmd Command) error {
	var p PowerVMWork
	if err := json.Unmarshal(cmd.Payload, &p); err != nil {
		return a.finish(ctx, cmd.ID, Outcome{Status: CommandFailed, Error: "bad payload: " + err.Error()})
	}
	sw, ok := a.Hypervisor.(PowerSwitch)
	if !ok {
		return errors.New("no power switch is wired into this process")
	}
	return a.runVMWork(ctx, cmd, p.RequestID, p.TenantID, "power "+string(p.Action), func(t Target) (Payload, error) {
		state, err := sw.Power(ctx, t, p.RequestID, p.MoRef, p.Action)
		return VMPowerChanged{Action: p.Action, State: state}, err
	}, func(f *Fault) Payload {
		return VMPowerFailed{Action: p.Action, Code: f.Code, Message: f.Message}
	})
}

// runVMWork runs a day-2 action on a request's VM and records how it
// ended on the VM's stream, in the transaction that settles the command:
// the event do returns when it worked; for a transient fault a retry with
// the provisioning's backoff, spending an attempt, up to its attempts;
// then, or at once for a permanent fault, the event failed returns.
func (a *App) runVMWork(ctx context.Context, cmd Command, requestID, tenant, what string,
	do func(Target) (Payload, error), failed func(*Fault) Payload) error {
	meta := Metadata{Actor: "dvmm", CorrelationID: cmd.Correlation, CausationID: cmd.Key}
	record := func(o Outcome, payload Payload) error {
		return a.Store.Update(ctx, func(tx Tx) error {
			evs, err := tx.LoadStream(ctx, StreamVM, VMID(requestID))
			if err != nil {
				return err
			}
			vm := NewVM(requestID, evs)
			if _, err := a.record(ctx, tx, tenant, StreamVM, vm.ID(), vm.Version(), meta, payload); err != nil {
				return err
			}
			o.At = a.Now()
			return tx.Finish(ctx, cmd.ID, o)
		})
	}
	t, err := a.target(ctx, tenant)
	var done Payload
	if err == nil {
		done, err = do(t)
	}
	if err == nil {
		return record(Outcome{Status: CommandDone, Spent: true}, done)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	f := AsFault(err)
	spent := cmd.Attempts + 1 // with this run
	if f.Transient && spent < a.Retries.MaxAttempts {
		delay := a.Retries.Delay(spent + 1)
		a.Log.Warn(what+" failed; retrying", slog.String("request_id", requestID), slog.String("error", f.Message), slog.Duration("in", delay))
		return a.finish(ctx, cmd.ID, Outcome{Status: CommandPending, RunAt: a.Now().Add(delay), Spent: true, Error: f.Message})
	}
	return record(Outcome{Status: CommandFailed, Spent: true, Error: f.Message}, failed(f))
}

// DriveCommand runs a queued command inline, as a worker would, until it
// is done or failed: what '--wait' on a day-2 action does. It returns the
// command as it ended. Work another worker holds is waited for.
func (a *App) DriveCommand(ctx context.Context, tenant, key string, lease time.Duration) (Command, error) {
	worker := "wait-" + a.NewID()[:6]
	for {
		wake := a.Changed()
		cmd, ok, err := a.Queue.Claim(ctx, Claim{Worker: worker, Key: key, Now: a.Now(), Lease: lease})
		if err != nil {
			return cmd, err
		}
		if ok {
			wctx, stop := a.keepLease(ctx, cmd.ID, worker, lease)
			err = a.RunCommand(wctx, cmd, worker)
			stop()
			if ctx.Err() != nil {
				if rerr := a.Queue.Release(context.WithoutCancel(ctx), cmd.ID, worker, a.Now()); rerr != nil && ErrorKind(rerr) != KindConflict {
					a.Log.Warn("could not release the lease; it runs out by itself", slog.String("error", rerr.Error()))
				}
				return cmd, Coded(KindUnavailable, CodeStoppedWaiting, "stopped waiting")
			}
			if err != nil {
				return cmd, err
			}
		}
		cmds, err := a.Queue.ListCommands(ctx, tenant)
		if err != nil {
			return Command{}, err
		}
		for _, c := range cmds {
			if c.Key == key && c.Status != CommandPending {
				return c, nil
			}
		}
		select {
		case <-ctx.Done():
			return cmd, Coded(KindUnavailable, CodeStoppedWaiting, "stopped waiting")
		case <-wake:
		case <-a.Clock.After(drivePoll):
		}
	}
}

// PowerResult is how an asked power action stands: queued (pending), or,
// when waited for, done or failed with the reason.
type PowerResult struct {
	Request RequestView
	Action  PowerAction
	Status  CommandStatus
	Error   string
}

// SwitchPower asks for a power action and, with wait, runs it inline (or
// waits for the worker that holds it) until it ends.
func (a *App) SwitchPower(ctx context.Context, actor Actor, ref string, action PowerAction, wait bool) (PowerResult, error) {
	v, key, err := a.PowerVM(ctx, actor, ref, action)
	res := PowerResult{Request: v, Action: action, Status: CommandPending}
	if err != nil || !wait {
		return res, err
	}
	cmd, err := a.DriveCommand(ctx, actor.Tenant, key, time.Minute)
	if err != nil {
		return res, err
	}
	res.Status, res.Error = cmd.Status, cmd.LastError
	res.Request, err = a.Views.Request(ctx, v.ID)
	return res, err
}

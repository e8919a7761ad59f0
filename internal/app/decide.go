package app

import "time"

// Next is what happens to a CreateVM command after a run.
type Next string

const (
	NextDone  Next = "done"  // the VM is ready
	NextRetry Next = "retry" // a transient failure: run again later, spending an attempt
	NextWait  Next = "wait"  // vCenter is down: run again later, spending nothing
	NextFail  Next = "fail"  // give up: the request fails
)

// CreateVMResult is what one run of the vSphere work found.
type CreateVMResult struct {
	Attempt int         // the provisioning attempt the command belongs to
	Runs    int         // runs of this command that counted before this one
	Waiting bool        // the timeline already says the VM waits for vCenter
	Machine Machine     // the VM, when Err is nil
	Err     error       // nil, or the failure (a *Fault, or anything, taken as permanent)
	Policy  RetryPolicy // how transient failures are retried
}

// CreateVMDecision is what to record and what becomes of the command.
type CreateVMDecision struct {
	Next   Next
	Events []Payload     // for the VM stream, in order
	Delay  time.Duration // with NextRetry and NextWait: from now to the next run
	Spent  bool          // the run counts as an attempt of the command
	Error  string        // the command's last error
	Code   string        // the fault code, with a failure
	// RemovePartial asks the shell to delete a VM the failed attempt left
	// behind, before the failure is recorded.
	RemovePartial bool
}

// DecideCreateVM turns the result of a run into events and the command's
// fate. It is pure: every branch of provisioning's error handling is here,
// and the shell (handleCreateVM) only carries it out.
func DecideCreateVM(r CreateVMResult) CreateVMDecision {
	if r.Err == nil {
		m := r.Machine
		return CreateVMDecision{Next: NextDone, Spent: true, Events: []Payload{VMProvisioned{VCenterName: m.Name, MoRef: m.MoRef,
			InstanceUUID: m.InstanceUUID, IP: m.IP, IPv6: m.IPv6, MAC: m.MAC, Hostname: m.Hostname, Adopted: m.Adopted, Attempt: r.Attempt}}}
	}
	f := AsFault(r.Err)
	if f.Transient && f.Code == FaultUnreachable {
		// vCenter is down, not this command at fault: wait in the queue
		// without spending an attempt, and say so once on the timeline.
		d := CreateVMDecision{Next: NextWait, Delay: r.Policy.Wait, Error: f.Message, Code: f.Code}
		if !r.Waiting {
			d.Events = []Payload{VMWaitingForVCenter{Reason: f.Message}}
		}
		return d
	}
	spent := r.Runs + 1
	if f.Transient && spent < r.Policy.MaxAttempts {
		delay := r.Policy.Delay(spent + 1)
		return CreateVMDecision{Next: NextRetry, Delay: delay, Spent: true, Error: f.Message, Code: f.Code,
			Events: []Payload{VMRetryScheduled{Attempt: spent + 1, MaxAttempts: r.Policy.MaxAttempts,
				DelaySeconds: int(delay / time.Second), Reason: f.Message}}}
	}
	return CreateVMDecision{Next: NextFail, Spent: true, Error: f.Message, Code: f.Code, RemovePartial: true,
		Events: []Payload{VMProvisioningFailed{Code: f.Code, Message: f.Message, Attempt: r.Attempt, Transient: f.Transient}}}
}

// Outcome is the decision as the queue records it, for a run ending at now.
func (d CreateVMDecision) Outcome(now time.Time) Outcome {
	o := Outcome{At: now, Error: d.Error, Spent: d.Spent}
	switch d.Next {
	case NextDone:
		o.Status, o.Error = CommandDone, ""
	case NextFail:
		o.Status = CommandFailed
	default:
		o.Status, o.RunAt = CommandPending, now.Add(d.Delay)
	}
	return o
}

package app_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
)

func TestDecideCreateVM(t *testing.T) {
	policy := app.RetryPolicy{Base: 10 * time.Second, Max: 120 * time.Second, MaxAttempts: 3, Wait: 15 * time.Second}
	machine := app.Machine{Name: "web-01", MoRef: "vm-7", InstanceUUID: "u-7", IP: "10.0.0.5", Hostname: "web-01"}
	down := &app.Fault{Code: app.FaultUnreachable, Message: "vCenter down", Transient: true}
	busy := &app.Fault{Code: app.FaultBusy, Message: "vCenter busy", Transient: true}
	missing := &app.Fault{Code: app.FaultTemplateNotFound, Message: "template gone"}
	for _, c := range []struct {
		name string
		in   app.CreateVMResult
		want app.CreateVMDecision
	}{
		{"OKReady", app.CreateVMResult{Attempt: 2, Runs: 1, Machine: machine, Policy: policy},
			app.CreateVMDecision{Next: app.NextDone, Spent: true, Events: []app.Payload{app.VMProvisioned{VCenterName: "web-01",
				MoRef: "vm-7", InstanceUUID: "u-7", IP: "10.0.0.5", Hostname: "web-01", Attempt: 2}}}},
		{"OKReadyAdopted", app.CreateVMResult{Attempt: 1, Machine: app.Machine{Name: "web-01", Adopted: true}, Policy: policy},
			app.CreateVMDecision{Next: app.NextDone, Spent: true, Events: []app.Payload{app.VMProvisioned{VCenterName: "web-01", Adopted: true, Attempt: 1}}}},
		{"WaitFirstTime", app.CreateVMResult{Attempt: 1, Runs: 2, Err: down, Policy: policy},
			app.CreateVMDecision{Next: app.NextWait, Delay: 15 * time.Second, Error: "vCenter down", Code: app.FaultUnreachable,
				Events: []app.Payload{app.VMWaitingForVCenter{Reason: "vCenter down"}}}},
		{"WaitAgainSaysNothing", app.CreateVMResult{Attempt: 1, Runs: 2, Waiting: true, Err: down, Policy: policy},
			app.CreateVMDecision{Next: app.NextWait, Delay: 15 * time.Second, Error: "vCenter down", Code: app.FaultUnreachable}},
		{"WaitEvenPastMaxAttempts", app.CreateVMResult{Attempt: 1, Runs: 9, Waiting: true, Err: down, Policy: policy},
			app.CreateVMDecision{Next: app.NextWait, Delay: 15 * time.Second, Error: "vCenter down", Code: app.FaultUnreachable}},
		{"RetryFirst", app.CreateVMResult{Attempt: 1, Runs: 0, Err: busy, Policy: policy},
			app.CreateVMDecision{Next: app.NextRetry, Delay: 10 * time.Second, Spent: true, Error: "vCenter busy", Code: app.FaultBusy,
				Events: []app.Payload{app.VMRetryScheduled{Attempt: 2, MaxAttempts: 3, DelaySeconds: 10, Reason: "vCenter busy"}}}},
		{"RetryBacksOff", app.CreateVMResult{Attempt: 1, Runs: 1, Err: busy, Policy: policy},
			app.CreateVMDecision{Next: app.NextRetry, Delay: 20 * time.Second, Spent: true, Error: "vCenter busy", Code: app.FaultBusy,
				Events: []app.Payload{app.VMRetryScheduled{Attempt: 3, MaxAttempts: 3, DelaySeconds: 20, Reason: "vCenter busy"}}}},
		{"FailTransientAtLastAttempt", app.CreateVMResult{Attempt: 4, Runs: 2, Err: busy, Policy: policy},
			app.CreateVMDecision{Next: app.NextFail, Spent: true, Error: "vCenter busy", Code: app.FaultBusy, RemovePartial: true,
				Events: []app.Payload{app.VMProvisioningFailed{Code: app.FaultBusy, Message: "vCenter busy", Attempt: 4, Transient: true}}}},
		{"FailPermanentAtOnce", app.CreateVMResult{Attempt: 1, Err: missing, Policy: policy},
			app.CreateVMDecision{Next: app.NextFail, Spent: true, Error: "template gone", Code: app.FaultTemplateNotFound, RemovePartial: true,
				Events: []app.Payload{app.VMProvisioningFailed{Code: app.FaultTemplateNotFound, Message: "template gone", Attempt: 1}}}},
		{"FailUnknownErrorAsPermanent", app.CreateVMResult{Attempt: 1, Err: errors.New("odd"), Policy: policy},
			app.CreateVMDecision{Next: app.NextFail, Spent: true, Error: "odd", Code: app.FaultVsphere, RemovePartial: true,
				Events: []app.Payload{app.VMProvisioningFailed{Code: app.FaultVsphere, Message: "odd", Attempt: 1}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := app.DecideCreateVM(c.in); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("decision\n got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestCreateVMDecisionOutcome(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		name string
		d    app.CreateVMDecision
		want app.Outcome
	}{
		{"Done", app.CreateVMDecision{Next: app.NextDone, Spent: true, Error: "ignored"},
			app.Outcome{Status: app.CommandDone, At: now, Spent: true}},
		{"Fail", app.CreateVMDecision{Next: app.NextFail, Spent: true, Error: "gone"},
			app.Outcome{Status: app.CommandFailed, At: now, Spent: true, Error: "gone"}},
		{"Retry", app.CreateVMDecision{Next: app.NextRetry, Delay: 20 * time.Second, Spent: true, Error: "busy"},
			app.Outcome{Status: app.CommandPending, At: now, RunAt: now.Add(20 * time.Second), Spent: true, Error: "busy"}},
		{"Wait", app.CreateVMDecision{Next: app.NextWait, Delay: 15 * time.Second, Error: "down"},
			app.Outcome{Status: app.CommandPending, At: now, RunAt: now.Add(15 * time.Second), Error: "down"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.d.Outcome(now); got != c.want {
				t.Fatalf("outcome %+v, want %+v", got, c.want)
			}
		})
	}
}

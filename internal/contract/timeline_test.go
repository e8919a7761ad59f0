package contract_test

import (
	"testing"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
)

func TestTimelineText(t *testing.T) {
	for _, tc := range []struct {
		p    app.Payload
		want string
	}{
		{app.RequestCreated{Name: "web-01"}, "Request created"},
		{app.RequestApproved{By: "alice"}, "Approved by alice"},
		{app.RequestRejected{By: "alice", Reason: "no budget"}, "Rejected by alice: no budget"},
		{app.RequestCancelled{By: "bob"}, "Cancelled by bob"},
		{app.RequestRetryRequested{By: "alice", Attempt: 2}, "Retry requested by alice"},
		{app.VmProvisioningStarted{Attempt: 1}, "Provisioning started"},
		{app.VmProvisioningStarted{Attempt: 2}, "Provisioning started (attempt 2)"},
		{app.VmProvisioningProgressed{Stage: app.StageCloning}, "Cloning template"},
		{app.VmProvisioningProgressed{Stage: app.StageConfiguring}, "Configuring CPU, memory and disk"},
		{app.VmProvisioningProgressed{Stage: app.StagePoweringOn}, "Powering on"},
		{app.VmProvisioningProgressed{Stage: app.StageWaitingNetwork}, "Waiting for network"},
		{app.VmProvisioningProgressed{Stage: app.StageAdopting}, "Found the VM of an earlier attempt"},
		{app.VmProvisioningProgressed{Stage: "thinking"}, "thinking"},
		{app.VmProvisioningFailed{Code: app.FaultVmwareNotConfigured, Message: "whatever"}, "VMware not configured"},
		{app.VmProvisioningFailed{Code: app.FaultBusy, Message: "busy"}, "Provisioning failed: busy"},
		{app.VmProvisioned{IP: "10.0.0.5"}, "VM ready (IP 10.0.0.5)"},
		{app.VmProvisioned{}, "VM ready (IP pending)"},
		{app.VmProvisioned{IP: "10.0.0.5", Adopted: true}, "VM ready (IP 10.0.0.5), adopted from an earlier attempt"},
		{app.VmRetryScheduled{Attempt: 2, MaxAttempts: 5, DelaySeconds: 20, Reason: "timeout"}, "Retry 2/5 in 20s: timeout"},
		{app.VmWaitingForVCenter{Reason: "down"}, "Waiting for vCenter: down"},
		{app.VmRemoved{Reason: "cleaned up"}, "Partial VM removed: cleaned up"},
		{app.TenantCreated{Name: "acme"}, app.EvTenantCreated},
	} {
		if got := contract.TimelineText(app.TimelineEntry{Type: tc.p.EventType(), Data: tc.p}); got != tc.want {
			t.Errorf("%T: %q, want %q", tc.p, got, tc.want)
		}
	}
}

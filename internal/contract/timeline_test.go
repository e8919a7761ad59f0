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
		{app.VMProvisioningStarted{Attempt: 1}, "Provisioning started"},
		{app.VMProvisioningStarted{Attempt: 2}, "Provisioning started (attempt 2)"},
		{app.VMProvisioningProgressed{Stage: app.StageCloning}, "Cloning template"},
		{app.VMProvisioningProgressed{Stage: app.StageConfiguring}, "Configuring CPU, memory and disk"},
		{app.VMProvisioningProgressed{Stage: app.StagePoweringOn}, "Powering on"},
		{app.VMProvisioningProgressed{Stage: app.StageWaitingNetwork}, "Waiting for network"},
		{app.VMProvisioningProgressed{Stage: app.StageAdopting}, "Found the VM of an earlier attempt"},
		{app.VMProvisioningProgressed{Stage: "thinking"}, "thinking"},
		{app.VMProvisioningFailed{Code: app.FaultVMwareNotConfigured, Message: "whatever"}, "VMware not configured"},
		{app.VMProvisioningFailed{Code: app.FaultBusy, Message: "busy"}, "Provisioning failed: busy"},
		{app.VMProvisioned{IP: "10.0.0.5"}, "VM ready (IP 10.0.0.5)"},
		{app.VMProvisioned{}, "VM ready (IP pending)"},
		{app.VMProvisioned{IP: "10.0.0.5", Adopted: true}, "VM ready (IP 10.0.0.5), adopted from an earlier attempt"},
		{app.VMRetryScheduled{Attempt: 2, MaxAttempts: 5, DelaySeconds: 20, Reason: "timeout"}, "Retry 2/5 in 20s: timeout"},
		{app.VMWaitingForVCenter{Reason: "down"}, "Waiting for vCenter: down"},
		{app.VMRemoved{Reason: "cleaned up"}, "Partial VM removed: cleaned up"},
		{app.RequestCancelled{By: "alice", GaveUp: true, Reason: "vCenter is gone for good"}, "Given up by alice: vCenter is gone for good; its queued work was dropped"},
		{app.VMCleanupFailed{Code: "X", Message: "permission denied"}, "VM could not be removed: permission denied; remove it in vCenter"},
		{app.VMWaitingForSlot{VCenter: "vc.example:443", Limit: 4}, "Waiting for a task slot on vCenter vc.example:443 (limit 4 at once); no attempt spent"},
		{app.VMDriftObserved{Change: app.DriftDeleted, From: "web-01"}, "Changed outside dvmm: VM not found in vCenter (deleted?)"},
		{app.VMDriftObserved{Change: app.DriftRenamed, From: "web-01", To: "web-01-old"}, "Changed outside dvmm: renamed from web-01 to web-01-old"},
		{app.VMDriftObserved{Change: app.DriftResized, From: "4 vCPU, 8 GB", To: "8 vCPU, 16 GB"}, "Changed outside dvmm: resized from 4 vCPU, 8 GB to 8 vCPU, 16 GB"},
		{app.VMDriftObserved{Change: app.DriftPower, From: "poweredOn", To: "poweredOff"}, "Changed outside dvmm: power poweredOff (was poweredOn)"},
		{app.VMDriftObserved{Change: app.DriftIP, To: "10.0.0.9"}, "Changed outside dvmm: IP 10.0.0.9 (was none)"},
		{app.TenantCreated{Name: "acme"}, app.EvTenantCreated},
	} {
		if got := contract.TimelineText(app.TimelineEntry{Type: tc.p.EventType(), Data: tc.p}); got != tc.want {
			t.Errorf("%T: %q, want %q", tc.p, got, tc.want)
		}
	}
}

// The ready line says which address and NIC; a clone task's record is no
// line at all; events written before IPv6, MAC and tasks read as before.
func TestTimelineTextOfAddresses(t *testing.T) {
	for _, tc := range []struct {
		p    app.Payload
		want string
	}{
		{app.VMProvisioned{IP: "10.0.0.5"}, "VM ready (IP 10.0.0.5)"},
		{app.VMProvisioned{}, "VM ready (IP pending)"},
		{app.VMProvisioned{IP: "10.0.0.5", MAC: "00:50:56:aa:bb:01"}, "VM ready (IP 10.0.0.5 on NIC 00:50:56:aa:bb:01)"},
		{app.VMProvisioned{IP: "10.0.0.5", IPv6: "2001:db8::5", MAC: "00:50:56:aa:bb:01"}, "VM ready (IP 10.0.0.5, 2001:db8::5 on NIC 00:50:56:aa:bb:01)"},
	} {
		if got := contract.TimelineText(app.TimelineEntry{Data: tc.p}); got != tc.want {
			t.Errorf("TimelineText(%+v) = %q, want %q", tc.p, got, tc.want)
		}
	}
	p, err := app.DecodePayload(app.EvVMProvisioned, []byte(`{"vcenter_name":"web-01","moref":"vm-42","instance_uuid":"u","ip":"10.0.0.5","attempt":1}`))
	if err != nil || contract.TimelineText(app.TimelineEntry{Data: p}) != "VM ready (IP 10.0.0.5)" {
		t.Errorf("old VMProvisioned = %+v, %v", p, err)
	}
}

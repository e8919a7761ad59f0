package contract

import (
	"fmt"
	"time"

	"github.com/dvmm/dvmm/internal/app"
)

// TimelineText words one step of a request's history, as the timeline of
// 'request show' has it. The store keeps the event's data, not these
// words, so they can change (or be translated) without a migration.
func TimelineText(e app.TimelineEntry) string {
	switch p := e.Data.(type) {
	case Worded:
		return p.Text
	case app.RequestCreated:
		return "Request created"
	case app.RequestApproved:
		return "Approved by " + p.By
	case app.RequestRejected:
		return fmt.Sprintf("Rejected by %s: %s", p.By, p.Reason)
	case app.RequestCancelled:
		if p.GaveUp {
			return fmt.Sprintf("Given up by %s: %s; its queued work was dropped", p.By, p.Reason)
		}
		return "Cancelled by " + p.By
	case app.RequestRetryRequested:
		return "Retry requested by " + p.By
	case app.VMProvisioningStarted:
		if p.Attempt > 1 {
			return fmt.Sprintf("Provisioning started (attempt %d)", p.Attempt)
		}
		return "Provisioning started"
	case app.VMProvisioningProgressed:
		return stageLine(p.Stage)
	case app.VMProvisioned:
		ip := p.IP
		if ip == "" {
			ip = "pending"
		}
		if p.IPv6 != "" {
			ip += ", " + p.IPv6
		}
		if p.MAC != "" {
			ip += " on NIC " + p.MAC
		}
		if p.Adopted {
			return fmt.Sprintf("VM ready (IP %s), adopted from an earlier attempt", ip)
		}
		return fmt.Sprintf("VM ready (IP %s)", ip)
	case app.VMProvisioningFailed:
		if p.Code == app.FaultVMwareNotConfigured {
			return "VMware not configured"
		}
		return "Provisioning failed: " + p.Message
	case app.VMRetryScheduled:
		return fmt.Sprintf("Retry %d/%d in %ds: %s", p.Attempt, p.MaxAttempts, p.DelaySeconds, p.Reason)
	case app.VMWaitingForVCenter:
		return "Waiting for vCenter: " + p.Reason
	case app.VMRemoved:
		return "Partial VM removed: " + p.Reason
	case app.VMCleanupFailed:
		return "VM could not be removed: " + p.Message + "; remove it in vCenter"
	case app.VMDriftObserved:
		return driftLine(p)
	case app.RequestDecommissionRequested:
		return fmt.Sprintf("Decommission asked for by %s: %s", p.By, p.Reason)
	case app.RequestDecommissionApproved:
		return "Decommission approved by " + p.By
	case app.VMDecommissioned:
		if p.AlreadyGone {
			return "VM decommissioned (it was already gone from vCenter)"
		}
		return "VM decommissioned: powered off and removed from vCenter"
	case app.VMPowerRequested:
		return fmt.Sprintf("Power %s asked for by %s", p.Action, p.By)
	case app.VMPowerChanged:
		return map[app.PowerAction]string{app.PowerOn: "Powered on", app.PowerOff: "Powered off", app.PowerRestart: "Restarted"}[p.Action] + " (now " + p.State + ")"
	case app.VMPowerFailed:
		return fmt.Sprintf("Power %s failed: %s", p.Action, p.Message)
	case app.VMResizeRequested:
		restart := ""
		if p.AllowRestart {
			restart = ", restart allowed"
		}
		return fmt.Sprintf("Resize to %s (%d vCPU, %d GB RAM, %d GB disk) asked for by %s%s", p.Size, p.CPUs, p.MemoryGB, p.DiskGB, p.By, restart)
	case app.VMResizeApproved:
		return "Resize approved by " + p.By
	case app.VMResized:
		if p.Restarted {
			return fmt.Sprintf("Resized to %s (powered off and on again)", p.Size)
		}
		return "Resized to " + p.Size
	case app.VMResizeFailed:
		return "Resize failed: " + p.Message
	case app.VMWaitingForSlot:
		return fmt.Sprintf("Waiting for a task slot on vCenter %s (limit %d at once); no attempt spent", p.VCenter, p.Limit)
	case app.VMLeaseSet:
		return fmt.Sprintf("Lease set: expires on %s (%s, then %s of grace)", LeaseTime(p.ExpiresAt), days(p.Days), days(p.GraceDays))
	case app.VMLeaseWarning:
		return fmt.Sprintf("Lease warning: expires within %s, on %s", days(p.Days), LeaseTime(p.ExpiresAt))
	case app.VMLeaseExpired:
		return fmt.Sprintf("Lease expired on %s: powering off", LeaseTime(p.ExpiresAt))
	case app.VMLeaseExtended:
		approved := ""
		if p.ApprovedBy != "" {
			approved = ", approved by " + p.ApprovedBy
		}
		return fmt.Sprintf("Lease extended by %s by %s%s: expires on %s", days(p.Days), p.By, approved, LeaseTime(p.ExpiresAt))
	case app.VMLeaseExtensionRequested:
		return fmt.Sprintf("Lease extension by %s asked for by %s: past the longest lease, an admin must approve it", days(p.Days), p.By)
	case app.VMLeaseExtensionRejected:
		return fmt.Sprintf("Lease extension rejected by %s: %s", p.By, p.Reason)
	case app.RequestLeaseDecommissioned:
		return "Lease grace period over: decommissioning"
	}
	// A step this release has no words for yet still shows.
	return e.Type
}

// Worded is a step of a request's history already put into words by a
// dvmm server: what a remote CLI receives. It is never stored.
type Worded struct{ Text string }

// EventType names it for the Payload interface; no event has this type.
func (Worded) EventType() string { return "worded" }

func stageLine(s app.Stage) string {
	switch s {
	case app.StageCloning:
		return "Cloning template"
	case app.StageConfiguring:
		return "Configuring CPU, memory and disk"
	case app.StagePoweringOn:
		return "Powering on"
	case app.StageWaitingNetwork:
		return "Waiting for network"
	case app.StageAdopting:
		return "Found the VM of an earlier attempt"
	case app.StageWaitingSlot:
		return "Waiting for a task slot on vCenter"
	}
	return string(s)
}

// driftLine words a change found outside dvmm.
func driftLine(d app.VMDriftObserved) string {
	from := d.From
	if from == "" {
		from = "none"
	}
	switch d.Change {
	case app.DriftDeleted:
		return "Changed outside dvmm: VM not found in vCenter (deleted?)"
	case app.DriftRenamed:
		return fmt.Sprintf("Changed outside dvmm: renamed from %s to %s", from, d.To)
	case app.DriftResized:
		return fmt.Sprintf("Changed outside dvmm: resized from %s to %s", from, d.To)
	case app.DriftPower:
		return fmt.Sprintf("Changed outside dvmm: power %s (was %s)", d.To, from)
	case app.DriftIP:
		return fmt.Sprintf("Changed outside dvmm: IP %s (was %s)", d.To, from)
	}
	return "Changed outside dvmm: " + string(d.Change)
}

// LeaseTime words a lease's time, to the minute, in UTC.
func LeaseTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

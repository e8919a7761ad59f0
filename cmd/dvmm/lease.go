package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
)

func newLeaseCmd(c *cli) *cobra.Command {
	return groupCmd("lease", "How long a tenant's VMs live (admins set the policy)",
		`A tenant's lease policy gives each VM a lease from the moment it is READY:
the default length, the longest a lease may last (counted from READY) and
a grace period. 'dvmm serve' warns 7 days and 1 day before the end, powers
the VM off at the end, and decommissions it once the grace period has
passed since the power-off. 'vm extend' gives more time. Without a policy
VMs never expire.`,
		groupCmd("policy", "Set, remove or show the tenant's lease policy",
			"The lease policy of your tenant: default, longest and grace period, in days.",
			newLeasePolicySetCmd(c), newLeasePolicyShowCmd(c)))
}

// printLeasePolicy prints a policy as a short table.
func (c *cli) printLeasePolicy(tenant string, p app.LeasePolicy) error {
	if c.structured() {
		return c.printer.data(contract.NewLeasePolicy(tenant, p))
	}
	if p.None() {
		fmt.Fprintf(c.out, "tenant %s has no lease policy: its VMs never expire\n", c.printer.cell(tenant))
		return nil
	}
	c.printer.table([]string{"TENANT", "DEFAULT", "MAX", "GRACE"}, [][]string{{tenant,
		strconv.Itoa(p.DefaultDays) + "d", strconv.Itoa(p.MaxDays) + "d", strconv.Itoa(p.GraceDays) + "d"}})
	return nil
}

// expiry words a VM's lease end for tables: "-" without one.
func expiry(v app.RequestView) string {
	if v.Lease == nil || v.Status != app.StatusReady && v.Status != app.StatusDecommissioning {
		return "-"
	}
	if v.Lease.Expired() {
		return contract.LeaseTime(v.Lease.ExpiresAt) + " (expired)"
	}
	return contract.LeaseTime(v.Lease.ExpiresAt)
}

// parseWithin reads --expiring: days ("7d").
func parseWithin(s string) (time.Duration, error) {
	n, err := app.ParseLeaseDays("--expiring", s, true)
	return time.Duration(n) * app.Day, err
}

// leaseFields are a VM's lease as show's fields: its end (and when it
// ended, the decommission), and an extension waiting for an admin.
func leaseFields(l *app.LeaseView) [][2]string {
	if l == nil {
		return nil
	}
	end := contract.LeaseTime(l.ExpiresAt)
	if l.Expired() {
		end += " (expired)"
		if at := l.DecommissionAt(); !at.IsZero() {
			end += "; decommissioned after " + contract.LeaseTime(at)
		}
	}
	out := [][2]string{{"Expires", end}}
	if x := l.Extension; x != nil {
		out = append(out, [2]string{"Extension", fmt.Sprintf("by %d days asked for by %s, waiting for an admin", x.Days, x.RequestedBy)})
	}
	return out
}

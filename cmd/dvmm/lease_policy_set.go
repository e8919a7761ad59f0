package main

import (
	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
)

func newLeasePolicySetCmd(c *cli) *cobra.Command {
	var (
		def, most, grace string
		none             bool
	)
	cmd := &cobra.Command{
		Use:   "set --default 30d --max 90d --grace 7d | --none",
		Short: "Set or remove the tenant's lease policy (admins)",
		Long: `Set your tenant's lease policy: --default is the lease of a request that
asks for none, --max the longest a lease may last counted from READY
(requests and extensions past it need an admin's approval), --grace how
long a VM stays powered off after its lease ended before it is
decommissioned. Days are written "30d"; the grace may be 0d. --none removes
the policy: VMs that become READY from then on never expire. A policy
applies to VMs that become READY after it is set; running leases keep
theirs. Prints the policy after.`,
		Example: "  dvmm --tenant acme lease policy set --default 30d --max 90d --grace 7d\n  dvmm --tenant acme lease policy set --none",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var p app.LeasePolicy
			if none {
				if def != "" || most != "" || grace != "" {
					return app.Errorf(app.KindInvalid, "--none removes the policy: give it alone")
				}
			} else {
				if def == "" || most == "" || grace == "" {
					return app.Errorf(app.KindInvalid, "give --default, --max and --grace (or --none to remove the policy)")
				}
				var err error
				if p.DefaultDays, err = app.ParseLeaseDays("--default", def, false); err != nil {
					return err
				}
				if p.MaxDays, err = app.ParseLeaseDays("--max", most, false); err != nil {
					return err
				}
				if p.GraceDays, err = app.ParseLeaseDays("--grace", grace, true); err != nil {
					return err
				}
			}
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			out, err := a.SetLeasePolicy(cmd.Context(), c.actor(), p)
			if err != nil {
				return err
			}
			return c.printLeasePolicy(c.actor().Tenant, out)
		},
	}
	f := cmd.Flags()
	f.StringVar(&def, "default", "", "lease of a request that asks for none, in days (30d)")
	f.StringVar(&most, "max", "", "longest lease, counted from READY, in days (90d)")
	f.StringVar(&grace, "grace", "", "days a VM stays off after its lease ended before it is decommissioned (7d)")
	f.BoolVar(&none, "none", false, "remove the policy: VMs never expire")
	return cmd
}

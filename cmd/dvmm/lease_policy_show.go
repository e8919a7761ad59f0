package main

import (
	"github.com/spf13/cobra"
)

func newLeasePolicyShowCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "show",
		Short: "Show the tenant's lease policy",
		Long: `Show your tenant's lease policy: the default lease, the longest, and the
grace period after the end, in days; or that its VMs never expire. Any
member may look.`,
		Example: "  dvmm --tenant acme lease policy show -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			p, err := a.ShowLeasePolicy(cmd.Context(), c.actor())
			if err != nil {
				return err
			}
			return c.printLeasePolicy(c.actor().Tenant, p)
		},
	}
}

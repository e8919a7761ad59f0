package main

import (
	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/contract"
)

func newQuotaShowCmd(c *cli) *cobra.Command {
	var project string
	cmd := &cobra.Command{
		Use:   "show [--project P]",
		Short: "Show a tenant's or project's limits and usage",
		Long: `Show what your tenant's requests hold against its limits, or those of one
project with --project: for each resource the amount used (held and
reserved), the limit, and the percent of the limit, in red above 90% on a
terminal. Any member may look.`,
		Example: "  dvmm --tenant acme quota show\n  dvmm --tenant acme quota show --project shop -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			q, err := a.ShowQuota(cmd.Context(), c.actor(), project)
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(contract.NewQuota(q))
			}
			c.printQuota(q)
			return nil
		},
	}
	cmd.Flags().StringVar(&project, "project", "", "a project of the tenant (default: the whole tenant)")
	return cmd
}

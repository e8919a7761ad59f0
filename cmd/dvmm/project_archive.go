package main

import (
	"github.com/spf13/cobra"
)

func newProjectArchiveCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "archive <project>",
		Short: "Archive a project: it takes no new requests (admin only)",
		Long: `Archive a project of your tenant (tenant admins only): it takes no new
requests, and its history stays. A project with live requests (pending,
approved, provisioning, ready, failed or decommissioning) is refused with
their count (exit 4). Archiving an archived project changes nothing.`,
		Example: "  dvmm --user alice --tenant acme project archive shop",
		Args:    exactArgs(1, "a project"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			p, err := a.ArchiveProject(cmd.Context(), c.actor(), args[0])
			if err != nil {
				return err
			}
			return c.printProject(p, "archived")
		},
	}
}

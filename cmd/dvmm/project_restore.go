package main

import (
	"github.com/spf13/cobra"
)

func newProjectRestoreCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "restore <project>",
		Short: "Make an archived project active again (admin only)",
		Long: `Restore an archived project of your tenant (tenant admins only): it takes
new requests again. Restoring an active project changes nothing.`,
		Example: "  dvmm --user alice --tenant acme project restore shop",
		Args:    exactArgs(1, "a project"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			p, err := a.RestoreProject(cmd.Context(), c.actor(), args[0])
			if err != nil {
				return err
			}
			return c.printProject(p, "is active")
		},
	}
}

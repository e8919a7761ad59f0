package main

import (
	"github.com/spf13/cobra"
)

func newProjectCreateCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "create <project>",
		Short: "Create a project (admin only)",
		Long: `Create a project in your tenant (tenant admins only). Its name follows the
rules of tenant names (lowercase letters, digits, '.', '_' and '-'). A name
already taken is a conflict (exit 4).`,
		Example: "  dvmm --user alice --tenant acme project create shop",
		Args:    exactArgs(1, "a project"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			p, err := a.CreateProject(cmd.Context(), c.actor(), args[0])
			if err != nil {
				return err
			}
			return c.printProject(p, "created")
		},
	}
}

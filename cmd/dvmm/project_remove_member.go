package main

import (
	"github.com/spf13/cobra"
)

func newProjectRemoveMemberCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "remove-member <project> <user>",
		Short: "Take a user out of a project (admin only)",
		Long: `Take a user out of one of your tenant's projects (tenant admins only).
Their requests stay. A user who is not a member of the project is not
found (exit 3).`,
		Example: "  dvmm --user alice --tenant acme project remove-member shop bob",
		Args:    exactArgs(2, "a project and a user"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			p, err := a.RemoveProjectMember(cmd.Context(), c.actor(), args[0], args[1])
			if err != nil {
				return err
			}
			return c.printProject(p, "no longer has member "+c.printer.cell(args[1]))
		},
	}
}

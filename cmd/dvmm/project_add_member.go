package main

import (
	"github.com/spf13/cobra"
)

func newProjectAddMemberCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "add-member <project> <user>",
		Short: "Add a member of the tenant to a project (admin only)",
		Long: `Add a member of your tenant to one of its projects (tenant admins only).
Membership matters when requesters may ask only in their projects; a user
who is not a member of the tenant is not found (exit 3).`,
		Example: "  dvmm --user alice --tenant acme project add-member shop bob",
		Args:    exactArgs(2, "a project and a user"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			p, err := a.AddProjectMember(cmd.Context(), c.actor(), args[0], args[1])
			if err != nil {
				return err
			}
			return c.printProject(p, "has member "+c.printer.cell(args[1]))
		},
	}
}

package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/contract"
)

func newProjectAccessCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "access members-only|all",
		Short: "Say whether requesters may ask only in their projects (admin only)",
		Long: `Set your tenant's project access (tenant admins only): with members-only,
a requester (role user) may create requests only in the projects they are
a member of; with all (the default), in any active project. Admins may
always ask in any active project.`,
		Example: "  dvmm --user alice --tenant acme project access members-only\n  dvmm --user alice --tenant acme project access all",
		Args:    exactArgs(1, "members-only or all"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var membersOnly bool
			switch args[0] {
			case "members-only":
				membersOnly = true
			case "all":
			default:
				return usageError("unknown project access %q: use members-only or all", args[0])
			}
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			on, err := a.SetProjectAccess(cmd.Context(), c.actor(), membersOnly)
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(contract.ProjectAccess{MembersOnly: on})
			}
			if on {
				fmt.Fprintln(c.out, "requesters may ask only in the projects they belong to")
			} else {
				fmt.Fprintln(c.out, "requesters may ask in any active project")
			}
			return nil
		},
	}
}

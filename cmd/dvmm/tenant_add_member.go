package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
)

func newTenantAddMemberCmd(c *cli) *cobra.Command {
	var role string
	cmd := &cobra.Command{
		Use:     "add-member <tenant> <user>",
		Short:   "Add a user to a tenant",
		Long:    "Add a user to a tenant as a user (asks for VMs) or an admin (also approves). Only a tenant admin can do this. A user who is a member already is a conflict (exit 4): change a role with 'tenant set-role'.",
		Example: "  dvmm --user alice tenant add-member acme bob --role user",
		Args:    exactArgs(2, "a tenant and a user"),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := app.ParseRole(role)
			if err != nil {
				return err
			}
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			v, err := a.AddMember(cmd.Context(), c.actor(), args[0], args[1], r)
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(contract.NewTenant(v))
			}
			fmt.Fprintf(c.out, "%s is now %s of tenant %s\n", args[1], r, v.Name)
			return nil
		},
	}
	cmd.Flags().StringVar(&role, "role", "user", "role: user or admin")
	return cmd
}

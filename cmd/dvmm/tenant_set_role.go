package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
)

func newTenantSetRoleCmd(c *cli) *cobra.Command {
	var role string
	cmd := &cobra.Command{
		Use:   "set-role <tenant> <user> --role user|admin",
		Short: "Change a member's role",
		Long: `Change the role of a member of a tenant (tenant admins only) and say what
changed. The last admin of a tenant cannot be made a user: make another
member an admin first (exit 4).`,
		Example: "  dvmm --user alice tenant set-role acme bob --role admin",
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
			v, err := a.SetRole(cmd.Context(), c.actor(), args[0], args[1], r)
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(contract.NewTenant(v))
			}
			// Two roles, and setting the one held is refused: the old
			// role is the other one.
			from := app.RoleAdmin
			if r == app.RoleAdmin {
				from = app.RoleUser
			}
			fmt.Fprintf(c.out, "%s of tenant %s: %s -> %s\n", args[1], v.Name, from, r)
			return nil
		},
	}
	cmd.Flags().StringVar(&role, "role", "", "the new role: user or admin (required)")
	_ = cmd.MarkFlagRequired("role")
	return cmd
}

package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/contract"
)

func newTenantRemoveMemberCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "remove-member <tenant> <user>",
		Short: "Take a user out of a tenant",
		Long: `Take a user out of a tenant (tenant admins only). Their requests and VMs
stay. The last admin of a tenant cannot be removed (exit 4).`,
		Example: "  dvmm --user alice tenant remove-member acme bob",
		Args:    exactArgs(2, "a tenant and a user"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			v, err := a.RemoveMember(cmd.Context(), c.actor(), args[0], args[1])
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(contract.NewTenant(v))
			}
			fmt.Fprintf(c.out, "%s is no longer a member of tenant %s\n", args[1], v.Name)
			return nil
		},
	}
}

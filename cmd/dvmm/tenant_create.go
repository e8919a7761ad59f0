package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/contract"
)

func newTenantCreateCmd(c *cli) *cobra.Command {
	var admin string
	cmd := &cobra.Command{
		Use:     "create <name>",
		Short:   "Create a tenant with its first admin",
		Long:    "Create a tenant. Its first admin (default: you) can add members and approve requests.",
		Example: "  dvmm tenant create acme --admin alice",
		Args:    exactArgs(1, "a tenant name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			v, err := a.CreateTenant(cmd.Context(), c.actor(), args[0], admin)
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(contract.NewTenant(v))
			}
			fmt.Fprintf(c.out, "tenant %s created, admin %s\n", v.Name, v.Members[0].User)
			return nil
		},
	}
	cmd.Flags().StringVar(&admin, "admin", "", "first admin of the tenant (default: you)")
	return cmd
}

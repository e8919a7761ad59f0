package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newUserGrantCmd(c *cli) *cobra.Command {
	var platformAdmin bool
	cmd := &cobra.Command{
		Use:     "grant <name> --platform-admin",
		Short:   "Give an account the platform role",
		Long:    "Give a local account the platform role: creating tenants and managing users over the API.",
		Example: "  dvmm user grant alice --platform-admin",
		Args:    exactArgs(1, "a user name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !platformAdmin {
				return usageError("say what to grant: --platform-admin")
			}
			a, err := c.App(cmd.Context())
			if err != nil {
				return err
			}
			if err := a.GrantPlatformAdmin(cmd.Context(), c.actor(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(c.out, "user %s is a platform admin\n", args[0])
			return nil
		},
	}
	cmd.Flags().BoolVar(&platformAdmin, "platform-admin", false, "the platform role")
	return cmd
}

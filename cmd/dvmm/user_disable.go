package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newUserDisableCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:     "disable <name>",
		Short:   "Stop an account from signing in",
		Long:    "Disable a local account: it can no longer sign in, and none of its tokens works.",
		Example: "  dvmm user disable mallory",
		Args:    exactArgs(1, "a user name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.App(cmd.Context())
			if err != nil {
				return err
			}
			if err := a.DisableUser(cmd.Context(), c.actor(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(c.out, "user %s disabled\n", args[0])
			return nil
		},
	}
}

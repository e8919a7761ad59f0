package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newUserPasswdCmd(c *cli) *cobra.Command {
	var pw passwordFlags
	cmd := &cobra.Command{
		Use:     "passwd <name>",
		Short:   "Set a new password for an account",
		Long:    "Set a new password for a local account. Its tokens stay valid; revoke them with 'dvmm token revoke'.",
		Example: "  dvmm user passwd alice --password-file /run/secrets/alice",
		Args:    exactArgs(1, "a user name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			password, err := pw.read(c, "new password for "+args[0]+": ")
			if err != nil {
				return err
			}
			a, err := c.App(cmd.Context())
			if err != nil {
				return err
			}
			if err := a.SetPassword(cmd.Context(), c.actor(), args[0], password); err != nil {
				return err
			}
			fmt.Fprintf(c.out, "password of %s changed\n", args[0])
			return nil
		},
	}
	pw.add(cmd)
	return cmd
}

package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newTokenRevokeCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:     "revoke <id>",
		Short:   "Revoke a token at once",
		Long:    "Revoke one of --user's tokens by its id (see 'dvmm token list'): the next call with it is refused.",
		Example: "  dvmm --user bob token revoke k3j5xq7a2b",
		Args:    exactArgs(1, "a token id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			actor := c.actor()
			if err := a.RevokeToken(cmd.Context(), actor, actor.User, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(c.out, "token %s revoked\n", args[0])
			return nil
		},
	}
}

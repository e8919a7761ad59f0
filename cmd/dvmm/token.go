package main

import "github.com/spf13/cobra"

func newTokenCmd(c *cli) *cobra.Command {
	return groupCmd("token", "Manage personal API tokens",
		`Personal API tokens authenticate calls to the HTTP API (Authorization:
Bearer). A token is shown once, when it is made; only a hash of it is kept.
On the database file the operator manages anyone's tokens (--user names
whose).`,
		newTokenCreateCmd(c), newTokenListCmd(c), newTokenRevokeCmd(c))
}

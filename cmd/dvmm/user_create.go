package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newUserCreateCmd(c *cli) *cobra.Command {
	var (
		pw            passwordFlags
		platformAdmin bool
	)
	cmd := &cobra.Command{
		Use:   "create <name>",
		Short: "Create a local account",
		Long: `Create a local account that signs in to the HTTP API. The password comes
from a prompt, a file, an environment variable or standard input; it is kept
only as an argon2id hash. --platform-admin gives the account the platform
role: creating tenants and managing users over the API.`,
		Example: "  dvmm user create alice --password-file /run/secrets/alice\n  dvmm user create bob --password-stdin < /run/secrets/bob",
		Args:    exactArgs(1, "a user name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			password, err := pw.read(c, "password for "+args[0]+": ")
			if err != nil {
				return err
			}
			a, err := c.App(cmd.Context())
			if err != nil {
				return err
			}
			id, err := a.CreateUser(cmd.Context(), c.actor(), args[0], password, platformAdmin)
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(id)
			}
			role := ""
			if id.PlatformAdmin {
				role = ", platform admin"
			}
			fmt.Fprintf(c.out, "user %s created%s\n", id.User, role)
			return nil
		},
	}
	pw.add(cmd)
	cmd.Flags().BoolVar(&platformAdmin, "platform-admin", false, "give the account the platform role")
	return cmd
}

package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
)

func newTokenCreateCmd(c *cli) *cobra.Command {
	var name, expires string
	cmd := &cobra.Command{
		Use:   "create --name <name>",
		Short: "Make a personal API token and print it once",
		Long: `Make a personal API token for --user and print it: this is the only time
it is shown. --expires takes days (90d) or hours and minutes (12h); without
it the token lasts until revoked. With -o json the token is the field "token".`,
		Example: "  dvmm --user bob token create --name laptop --expires 90d",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" {
				return usageError("--name is required: say what the token is for")
			}
			ttl, err := app.ParseLifetime(expires)
			if err != nil {
				return err
			}
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			actor := c.actor()
			tok, err := a.CreateToken(cmd.Context(), actor, actor.User, name, ttl)
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(tok)
			}
			fmt.Fprintln(c.out, tok.Token)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "what the token is for, e.g. laptop or ci")
	cmd.Flags().StringVar(&expires, "expires", "", "lifetime: days (90d) or hours and minutes (12h); default: until revoked")
	return cmd
}

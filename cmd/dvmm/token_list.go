package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
)

func newTokenListCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List a user's tokens (never their secrets)",
		Long:    "List the personal API tokens of --user, oldest first: id, name, when made and when they expire. Secrets are never shown again.",
		Example: "  dvmm --user bob token list",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			actor := c.actor()
			ts, err := a.ListTokens(cmd.Context(), actor, actor.User)
			if err != nil {
				return err
			}
			if c.structured() {
				if ts == nil {
					ts = []app.TokenInfo{}
				}
				return c.printer.data(ts)
			}
			rows := make([][]string, 0, len(ts))
			for _, t := range ts {
				state := "active"
				if t.Revoked {
					state = "revoked"
				} else if !t.Usable(time.Now()) {
					state = "expired"
				}
				rows = append(rows, []string{t.ID, t.Name, formatTime(t.CreatedAt), formatTime(t.ExpiresAt), state})
			}
			c.printer.table([]string{"ID", "NAME", "CREATED", "EXPIRES", "STATE"}, rows)
			return nil
		},
	}
}

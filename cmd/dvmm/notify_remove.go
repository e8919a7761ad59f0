package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newNotifyRemoveCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "remove <id>",
		Short: "Remove a notification channel",
		Long: `Remove a notification channel (admins), by its id or a unique prefix.
Deliveries still queued for it end without being sent.`,
		Example: "  dvmm notify remove k3x9",
		Args:    exactArgs(1, "a channel id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			v, err := a.RemoveNotifyChannel(cmd.Context(), c.actor(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(c.out, "%s channel %s removed\n", v.Kind, v.ID)
			return nil
		},
	}
}

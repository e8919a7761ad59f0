package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
)

func newNotifyListCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the tenant's notification channels",
		Long: `List your tenant's notification channels (admins): id, kind, where
messages go and which events they tell. Secrets are never shown: only
whether one is stored.`,
		Example: "  dvmm notify list -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			chans, err := a.ListNotifyChannels(cmd.Context(), c.actor())
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(chans)
			}
			rows := make([][]string, 0, len(chans))
			for _, ch := range chans {
				secret := "no"
				if ch.HasSecret {
					secret = "sealed"
				}
				rows = append(rows, []string{app.ShortID(ch.ID), string(ch.Kind), target(ch), strings.Join(ch.Events, ","), secret})
			}
			c.printer.table([]string{"ID", "KIND", "TARGET", "EVENTS", "SECRET"}, rows)
			return nil
		},
	}
}

// target says where a channel's messages go.
func target(ch app.NotifyChannel) string {
	if ch.Kind == app.ChannelWebhook {
		return ch.URL
	}
	s := ch.SMTP + " " + ch.From + " -> " + strings.Join(ch.To, ",")
	if ch.NoTLS {
		s += " (no TLS)"
	}
	return s
}

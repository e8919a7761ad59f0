package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
)

func newNotifyTestCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "test <id>",
		Short: "Send a test message through a channel now",
		Long: `Send a test message through a notification channel at once (admins) and
say whether it was delivered. Nothing is queued or retried; a failed
delivery exits 6 (unavailable) with the reason. In remote mode the
server sends it.`,
		Example: "  dvmm notify test k3x9",
		Args:    exactArgs(1, "a channel id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			res, err := a.TestNotifyChannel(cmd.Context(), c.actor(), args[0])
			if err != nil {
				return err
			}
			if c.structured() {
				if err := c.printer.data(res); err != nil {
					return err
				}
			} else if res.OK {
				fmt.Fprintf(c.out, "test message delivered through channel %s\n", res.Channel)
			}
			if !res.OK {
				return app.Errorf(app.KindUnavailable, "test message not delivered: %s", res.Error)
			}
			return nil
		},
	}
}

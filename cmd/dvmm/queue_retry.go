package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/contract"
)

func newQueueRetryCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "retry <id>",
		Short: "Run a waiting command now, or retry a failed one (admin only)",
		Long: `Make a waiting command (a scheduled retry, or work waiting for vCenter) due
at once, or start a new attempt of a failed command's request; a failed
notification delivery is queued again as a new command. The id is the
number 'dvmm queue list' shows. Only a tenant admin can.`,
		Example: "  dvmm --user alice queue retry 12",
		Args:    exactArgs(1, "a command id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			it, err := a.RetryCommand(cmd.Context(), c.actor(), args[0])
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(contract.NewQueueItem(it))
			}
			fmt.Fprintf(c.out, "command %d is %s\n", it.ID, it.State)
			return nil
		},
	}
}

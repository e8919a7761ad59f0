package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/contract"
)

func newQueueReleaseCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "release <id>",
		Short: "Give back the lease of a running command at once (admin only)",
		Long: `Give back the lease a worker holds on a running command, so that the next
worker takes it now instead of when the lease runs out: for work held by a
'serve' that is gone. No attempt is spent. Releasing work whose worker still
runs makes it run twice, so release only what no worker is doing.`,
		Example: "  dvmm --user alice queue release 12",
		Args:    exactArgs(1, "a command id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			it, err := a.ReleaseCommand(cmd.Context(), c.actor(), args[0])
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(contract.NewQueueItem(it))
			}
			fmt.Fprintf(c.out, "command %d released: %s\n", it.ID, it.State)
			return nil
		},
	}
}

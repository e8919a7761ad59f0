package main

import (
	"strconv"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
)

func newQueueListCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List your tenant's queued work: pending, running, waiting, done, failed",
		Long: `List the queued commands of your tenant, newest first, with their state
(pending, running, waiting, done or failed), attempts spent, next run time and
the last error.`,
		Example: "  dvmm queue list\n  dvmm queue list -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := c.App(cmd.Context())
			if err != nil {
				return err
			}
			items, err := a.ListQueue(cmd.Context(), c.actor())
			if err != nil {
				return err
			}
			if c.jsonOutput() {
				if items == nil {
					items = []app.QueueItem{}
				}
				return c.printer.json(items)
			}
			rows := make([][]string, 0, len(items))
			for _, it := range items {
				next := ""
				if it.State == "waiting" || it.State == "pending" {
					next = formatTime(it.NextRunAt)
				}
				rows = append(rows, []string{strconv.FormatInt(it.ID, 10), it.Type, shortID(it.RequestID), it.State,
					strconv.Itoa(it.Attempts), next, oneLine(it.LastError)})
			}
			c.printer.table([]string{"ID", "TYPE", "REQUEST", "STATE", "ATTEMPTS", "NEXT RUN", "LAST ERROR"}, rows)
			return nil
		},
	}
}

package main

import (
	"strconv"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
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
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			items, err := a.ListQueue(cmd.Context(), c.actor())
			if err != nil {
				return err
			}
			if c.structured() {
				if items == nil {
					items = []app.QueueItem{}
				}
				return c.printer.data(contract.NewQueueItems(items))
			}
			c.printer.table(queueRows(items, c.wide()))
			return nil
		},
	}
}

// queueRows renders queued commands as table rows; wide adds the full
// request id, the key, the worker holding a lease and until when, and
// when the command was queued.
func queueRows(items []app.QueueItem, wide bool) (headers []string, rows [][]string) {
	headers = []string{"ID", "TYPE", "REQUEST", "STATE", "ATTEMPTS", "NEXT RUN", "LAST ERROR"}
	if wide {
		headers = []string{"ID", "TYPE", "REQUEST", "KEY", "STATE", "ATTEMPTS", "NEXT RUN", "CLAIMED BY", "LEASE UNTIL", "CREATED", "LAST ERROR"}
	}
	rows = make([][]string, 0, len(items))
	for _, it := range items {
		next := ""
		if it.State == "waiting" || it.State == "pending" {
			next = formatTime(it.NextRunAt)
		}
		if !wide {
			rows = append(rows, []string{strconv.FormatInt(it.ID, 10), it.Type, app.ShortID(it.RequestID), it.State,
				strconv.Itoa(it.Attempts), next, app.FirstLine(it.LastError)})
			continue
		}
		claimed, lease := "", ""
		if it.State == "running" {
			claimed, lease = it.ClaimedBy, formatTime(it.LeaseUntil)
		}
		rows = append(rows, []string{strconv.FormatInt(it.ID, 10), it.Type, it.RequestID, it.Key, it.State,
			strconv.Itoa(it.Attempts), next, claimed, lease, formatTime(it.CreatedAt), app.FirstLine(it.LastError)})
	}
	return headers, rows
}

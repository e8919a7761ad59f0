package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/contract"
)

func newRequestShowCmd(c *cli) *cobra.Command {
	var (
		watch    bool
		interval time.Duration
	)
	cmd := &cobra.Command{
		Use:   "show <id>",
		Short: "Show a request and its timeline",
		Long: `Show a request of your tenant, its VM if any, and its timeline, oldest first.
Any unique id prefix works.

With --watch the request is shown again every --interval until it is READY
(exit 0), FAILED (exit 7), REJECTED or CANCELLED (exit 8); Ctrl-C stops
watching (exit 130) and leaves the work running. On a terminal the view is
redrawn in place; otherwise the request is printed once and then only the
new timeline lines, one per line. With -o json or -o yaml each change
prints the whole request again (JSON values one after the other, YAML
documents split by ---).`,
		Example: `  dvmm request show 3fk2
  dvmm request show 3fk2 -o yaml
  dvmm request show 3fk2 --watch`,
		Args:              exactArgs(1, "a request id"),
		ValidArgsFunction: c.completeRequestIDs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkWatchFlags(cmd, watch, interval); err != nil {
				return err
			}
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			if !watch {
				v, tl, err := a.ShowRequest(cmd.Context(), c.actor(), args[0])
				if err != nil {
					return err
				}
				return c.printRequest(v, tl)
			}
			ref := args[0]
			return c.watch(cmd.Context(), interval, func(ctx context.Context) (frame, error) {
				v, tl, err := a.ShowRequest(ctx, c.actor(), ref)
				if err != nil {
					return frame{}, err
				}
				ref = v.ID // a prefix could match a request made while watching
				log := make([]string, 0, len(tl))
				for _, e := range tl {
					log = append(log, logLine(c.printer, e))
				}
				wide := c.wide()
				return frame{view: v, data: contract.NewRequestWithTimeline(v, tl), log: log,
					draw: func(p *printer) { renderRequest(p, v, tl, wide) }}, nil
			})
		},
	}
	watchFlags(cmd, &watch, &interval)
	return cmd
}

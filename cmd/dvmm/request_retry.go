package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
)

func newRequestRetryCmd(c *cli) *cobra.Command {
	var (
		wait    bool
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "retry <id>",
		Short: "Start a new provisioning attempt of a failed request",
		Long: `Retry a FAILED request once its cause is fixed (for example after
'dvmm vmware set'). Only a tenant admin can retry. The same VM aggregate
gets its next attempt; a VM left by an earlier attempt is adopted.`,
		Example:           "  dvmm --user alice request retry 3fk2 --wait",
		Args:              exactArgs(1, "a request id"),
		ValidArgsFunction: c.completeRequestIDs(app.StatusFailed),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkDuration("timeout", timeout, time.Second, 24*time.Hour); err != nil {
				return err
			}
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			v, err := a.Retry(cmd.Context(), c.actor(), args[0])
			if err != nil {
				return err
			}
			if wait {
				return c.waitForOutcome(cmd, a, v, timeout)
			}
			if c.structured() {
				return c.printer.data(contract.NewRequest(v))
			}
			fmt.Fprintf(c.out, "request %s retried: %s\n", v.ID, c.printer.status(v.Status))
			return nil
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "run the vSphere work here and wait for READY or FAILED")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Minute, "with --wait, how long to wait")
	return cmd
}

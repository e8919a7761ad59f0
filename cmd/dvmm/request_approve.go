package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
)

func newRequestApproveCmd(c *cli) *cobra.Command {
	var (
		expected int
		wait     bool
		timeout  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "approve <id>",
		Short: "Approve a pending request and start provisioning",
		Long: `Approve a pending request of your tenant. Only a tenant admin who is not the
requester can approve. Give --expect-version with the version you looked at,
so that a request changed since then is refused rather than approved.
Provisioning starts at once; with --wait the vSphere work runs here and the
command ends when the VM is READY (exit 0) or FAILED (exit 7). Without
--wait the work is left queued for 'dvmm serve'.`,
		Example: `  dvmm --user alice request approve 3fk2 --expect-version 1
  dvmm --user alice request approve 3fk2 --wait`,
		Args:              exactArgs(1, "a request id"),
		ValidArgsFunction: c.completeRequestIDs(app.StatusPending),
		RunE: func(cmd *cobra.Command, args []string) error {
			if expected < 0 {
				return usageError("--expect-version must be a positive number")
			}
			a, err := c.App(cmd.Context())
			if err != nil {
				return err
			}
			v, err := a.Approve(cmd.Context(), c.actor(), args[0], expected)
			if err != nil {
				return err
			}
			if !wait {
				if c.jsonOutput() {
					return c.printer.json(v)
				}
				fmt.Fprintf(c.out, "request %s approved: %s\n", v.ID, c.printer.status(v.Status))
				return nil
			}
			return c.waitForOutcome(cmd, a, v, timeout)
		},
	}
	cmd.Flags().IntVar(&expected, "expect-version", 0, "refuse unless the request is still at this version")
	cmd.Flags().BoolVar(&wait, "wait", false, "run the vSphere work here and wait for READY or FAILED")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Minute, "with --wait, how long to wait")
	return cmd
}

// waitForOutcome runs the request's vSphere work inline, printing each stage.
func (c *cli) waitForOutcome(cmd *cobra.Command, a *app.App, v app.RequestView, timeout time.Duration) error {
	ctx, cancel := contextWithTimeout(cmd.Context(), timeout)
	defer cancel()
	seen := 0
	final, err := a.Drive(ctx, c.actor(), v.ID, 2*time.Minute, func(app.RequestView) {
		if c.jsonOutput() {
			return
		}
		tl, err := a.Store.Timeline(ctx, v.ID)
		if err != nil {
			return
		}
		for _, e := range tl[min(seen, len(tl)):] {
			fmt.Fprintf(c.out, "%s  %s\n", c.printer.dim(formatTime(e.At)), e.Text)
		}
		seen = len(tl)
	})
	if err != nil {
		return err
	}
	if c.jsonOutput() {
		tl, err := a.Store.Timeline(cmd.Context(), v.ID)
		if err != nil {
			return err
		}
		if err := c.printRequest(final, tl); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(c.out, "request %s is %s\n", final.ID, c.printer.status(final.Status))
	}
	if final.Status == app.StatusFailed {
		msg := "provisioning failed"
		if final.VM != nil && final.VM.Error != "" {
			msg += ": " + final.VM.Error
		}
		return &exitError{code: ExitFailed, msg: msg}
	}
	return nil
}

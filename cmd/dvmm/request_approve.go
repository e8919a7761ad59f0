package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/apiclient"
	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
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
			if err := checkDuration("timeout", timeout, time.Second, 24*time.Hour); err != nil {
				return err
			}
			if expected < 0 || expected == 0 && cmd.Flags().Changed("expect-version") {
				return usageError("--expect-version must be a positive number: versions start at 1")
			}
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			v, err := a.Approve(cmd.Context(), c.actor(), args[0], expected)
			if err != nil {
				return err
			}
			if !wait {
				if c.structured() {
					return c.printer.data(contract.NewRequest(v))
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

// waitForOutcome runs the request's vSphere work and shows its progress:
// on a terminal a spinner with the current stage and the time so far,
// above it each timeline line as it is recorded; off a terminal one plain
// line per timeline entry. Locally the work runs in this process; on a
// server the server runs it and this process follows by long polling.
func (c *cli) waitForOutcome(cmd *cobra.Command, s service, v app.RequestView, timeout time.Duration) error {
	ctx, cancel := contextWithTimeout(cmd.Context(), timeout)
	defer cancel()
	var (
		prog  *progress
		final app.RequestView
		tl    []app.TimelineEntry
		err   error
	)
	switch a := s.(type) {
	case *app.App:
		if !c.structured() {
			prog = newProgress(c.printer, func(ctx context.Context) ([]app.TimelineEntry, error) {
				return a.RequestTimeline(ctx, c.actor(), v.ID)
			})
			prog.start(ctx, 200*time.Millisecond)
		}
		final, err = a.Drive(ctx, c.actor(), v.ID, 2*time.Minute, nil)
		if prog != nil {
			prog.stop(ctx)
		}
		if err == nil && c.structured() {
			tl, err = a.RequestTimeline(cmd.Context(), c.actor(), v.ID)
		}
	case *apiclient.Client:
		if err := a.Drive(ctx, c.actor(), v.ID); err != nil {
			return err
		}
		if !c.structured() {
			prog = newProgress(c.printer, nil)
			prog.start(ctx, 0)
		}
		final, tl, err = a.Follow(ctx, c.actor(), v.ID, func(_ app.RequestView, tl []app.TimelineEntry) {
			if prog != nil {
				prog.show(tl)
			}
		})
		if prog != nil {
			prog.stop(ctx)
		}
		if err != nil && ctx.Err() != nil && cmd.Context().Err() == nil {
			err = app.Coded(app.KindUnavailable, app.CodeStoppedWaiting, "stopped waiting; the work goes on in the server")
		}
	}
	if err != nil {
		return err
	}
	if c.structured() {
		if err := c.printRequest(final, tl); err != nil {
			return err
		}
	} else {
		took := ""
		if prog.spin != nil {
			took = " " + c.printer.dim("after "+formatElapsed(prog.spin.Elapsed()))
		}
		fmt.Fprintf(c.out, "request %s is %s%s\n", final.ID, c.printer.status(final.Status), took)
	}
	return outcomeError(final)
}

// progress follows a request's timeline while its work runs elsewhere in
// the process, printing each new entry as it is recorded.
type progress struct {
	p    *printer
	load func(context.Context) ([]app.TimelineEntry, error)
	spin *spinner // on a terminal only
	seen int

	quit chan struct{}
	done chan struct{}
}

func newProgress(p *printer, load func(context.Context) ([]app.TimelineEntry, error)) *progress {
	g := &progress{p: p, load: load}
	if p.tty {
		g.spin = newSpinner(p, "Provisioning")
	}
	return g
}

// start shows the spinner and, when the progress loads the timeline
// itself, looks at it every so often; otherwise show is told each change.
func (g *progress) start(ctx context.Context, every time.Duration) {
	if g.spin != nil {
		g.spin.run(100 * time.Millisecond)
	}
	g.quit, g.done = make(chan struct{}), make(chan struct{})
	if g.load == nil {
		close(g.done)
		return
	}
	go func() {
		defer close(g.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			g.poll(ctx)
			select {
			case <-g.quit:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// stop ends the polling, prints what was recorded since the last look
// and clears the spinner.
func (g *progress) stop(ctx context.Context) {
	close(g.quit)
	<-g.done
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	g.poll(fctx)
	if g.spin != nil {
		g.spin.Stop()
	}
}

func (g *progress) poll(ctx context.Context) {
	if g.load == nil {
		return
	}
	tl, err := g.load(ctx)
	if err != nil {
		return // the next look, or the final one, catches up
	}
	g.show(tl)
}

// show prints the timeline entries not shown yet.
func (g *progress) show(tl []app.TimelineEntry) {
	for _, e := range tl[min(g.seen, len(tl)):] {
		line := logLine(g.p, e)
		if g.spin == nil {
			fmt.Fprintln(g.p.w, line)
			continue
		}
		g.spin.Println(line)
		g.spin.Set(timelineText(e))
	}
	g.seen = max(g.seen, len(tl))
}

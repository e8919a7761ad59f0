package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/dvmm/dvmm/internal/app"
)

// minInterval keeps --interval from turning a watch into a busy loop on
// the database.
const minInterval = 100 * time.Millisecond

// watchFlags adds --watch and --interval to a read command.
func watchFlags(cmd *cobra.Command, watch *bool, interval *time.Duration) {
	cmd.Flags().BoolVarP(watch, "watch", "w", false, "keep showing changes until the request is READY, FAILED, REJECTED or CANCELLED")
	cmd.Flags().DurationVar(interval, "interval", time.Second, "with --watch, how often to look")
}

// checkWatchFlags refuses an --interval that cannot work.
func checkWatchFlags(cmd *cobra.Command, watch bool, interval time.Duration) error {
	if cmd.Flags().Changed("interval") && !watch {
		return usageError("--interval needs --watch")
	}
	return checkDuration("interval", interval, minInterval, time.Hour)
}

// frame is one look at a watched request or VM.
type frame struct {
	view app.RequestView  // the request as it is now
	data any              // what -o json and -o yaml print
	draw func(p *printer) // the whole view, as the command shows it without --watch
	log  []string         // plain lines so far, oldest first; off a terminal the new ones are printed
}

// watcher shows successive frames: redrawn in place on a terminal, as the
// new plain lines off a terminal, and as one document per change for
// -o json (a stream of JSON values) and -o yaml (documents split by ---).
type watcher struct {
	p        *printer
	interval time.Duration
	width    int // terminal columns; 0 when unknown
	height   int // terminal rows; 0 when unknown

	drawn   int // terminal rows the last frame took
	started bool
	printed int // log lines printed off a terminal
	lastDoc string
}

func (w *watcher) show(f frame, elapsed time.Duration) error {
	switch {
	case w.p.format == "json" || w.p.format == "yaml":
		return w.showData(f)
	case w.p.tty:
		return w.redraw(f, elapsed)
	}
	return w.showChanges(f)
}

func (w *watcher) showData(f frame) error {
	var buf bytes.Buffer
	if err := w.p.withWriter(&buf).data(f.data); err != nil {
		return err
	}
	doc := buf.String()
	if doc == w.lastDoc {
		return nil
	}
	out := doc
	if w.lastDoc != "" && w.p.format == "yaml" {
		out = "---\n" + doc
	}
	w.lastDoc = doc
	_, err := io.WriteString(w.p.w, out)
	return err
}

// redraw replaces the previous frame on the terminal: the cursor goes up
// as many rows as that frame took, the screen below is erased, and the
// new frame is drawn with a footer saying how long the watch has run.
func (w *watcher) redraw(f frame, elapsed time.Duration) error {
	var buf bytes.Buffer
	f.draw(w.p.withWriter(&buf))
	footer := fmt.Sprintf("Watching every %s for %s. Ctrl-C stops watching; the work goes on.", w.interval, formatElapsed(elapsed))
	if f.view.Status.Terminal() {
		footer = fmt.Sprintf("Watched for %s.", formatElapsed(elapsed))
	}
	fmt.Fprintf(&buf, "\n%s\n", w.p.dim(footer))
	var out strings.Builder
	switch {
	case w.drawn > 0 && w.height > 0 && w.drawn >= w.height:
		// The last frame scrolled off the top: the cursor cannot go back
		// up to it, so start again from a clear screen.
		out.WriteString(clearScreen)
	case w.drawn > 0:
		out.WriteString(cursorUp(w.drawn) + clearDown)
	}
	out.Write(buf.Bytes())
	w.drawn = screenRows(buf.String(), w.width)
	_, err := io.WriteString(w.p.w, out.String())
	return err
}

// showChanges prints the first frame whole, then only the lines that
// later frames add: a log of the watch that a pipe or a file can keep.
func (w *watcher) showChanges(f frame) error {
	if !w.started {
		w.started = true
		f.draw(w.p)
		w.printed = len(f.log)
		return nil
	}
	for _, line := range f.log[min(w.printed, len(f.log)):] {
		fmt.Fprintln(w.p.w, line)
	}
	w.printed = max(w.printed, len(f.log))
	return nil
}

// screenRows counts the terminal rows text takes, long lines wrapping at
// width columns.
func screenRows(text string, width int) int {
	rows := 0
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		n := 1
		if w := lipgloss.Width(line); width > 0 && w > width {
			n = (w + width - 1) / width
		}
		rows += n
	}
	return rows
}

// termSize is the size of the terminal w writes to, or zeros.
func termSize(w io.Writer) (width, height int) {
	f, ok := w.(*os.File)
	if !ok {
		return 0, 0
	}
	width, height, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0, 0
	}
	return width, height
}

// watch fetches and shows frames every interval until the request ends,
// then returns the outcome's error (nil for READY). Ctrl-C ends the watch
// early, leaving the work running.
func (c *cli) watch(ctx context.Context, interval time.Duration, fetch func(context.Context) (frame, error)) error {
	w := &watcher{p: c.printer, interval: interval}
	w.width, w.height = termSize(c.out)
	start := time.Now()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		// On PostgreSQL a change made by any process wakes the watch at
		// once; elsewhere it looks again at the next tick.
		var wake <-chan struct{}
		if c.app != nil {
			wake = c.app.Changed()
		}
		f, err := fetch(ctx)
		if err != nil {
			return err
		}
		if err := w.show(f, time.Since(start)); err != nil {
			return err
		}
		if f.view.Status.Terminal() {
			if !c.structured() && !c.printer.tty {
				fmt.Fprintf(c.out, "request %s is %s\n", f.view.ID, c.printer.status(f.view.Status))
			}
			return outcomeError(f.view)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-tick.C:
		}
	}
}

// outcomeError turns how a request ended into the command's exit: nil for
// READY, ExitFailed for FAILED, ExitNoVM for REJECTED and CANCELLED.
func outcomeError(v app.RequestView) error {
	switch v.Status {
	case app.StatusFailed:
		msg := "provisioning failed"
		if v.VM != nil && v.VM.Error != "" {
			msg += ": " + withHint(v.VM.Error, v.VM.ErrorCode)
		}
		return &exitError{code: ExitFailed, msg: msg}
	case app.StatusRejected:
		msg := "request " + v.ID + " was rejected"
		if v.Reason != "" {
			msg += ": " + v.Reason
		}
		return &exitError{code: ExitNoVM, msg: msg}
	case app.StatusCancelled:
		return &exitError{code: ExitNoVM, msg: "request " + v.ID + " was cancelled"}
	}
	return nil
}

// logLine is one timeline entry as a plain line of a watch or a wait.
func logLine(p *printer, e app.TimelineEntry) string {
	return fmt.Sprintf("%s  %s", p.dim(formatTime(e.At)), timelineText(e))
}

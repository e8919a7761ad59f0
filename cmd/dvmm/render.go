package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"
	"github.com/mattn/go-isatty"
	"github.com/muesli/termenv"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/textsafe"
)

// printer renders data to stdout: lipgloss tables and colour on a
// terminal, plain aligned text otherwise, JSON when asked.
type printer struct {
	w      io.Writer
	format string
	tty    bool
	r      *lipgloss.Renderer
	// styled holds the strings this printer's own styles made (a coloured
	// status, say): the one kind of cell that may carry escape sequences.
	// Every other cell is data and is shown escaped (see textsafe).
	styled *sync.Map
}

func newPrinter(w io.Writer, format string, noColor bool) *printer {
	return makePrinter(w, format, isTerminal(w), noColor)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

// makePrinter is newPrinter with the terminal decided by the caller, as
// tests do to see what a terminal would get.
func makePrinter(w io.Writer, format string, tty, noColor bool) *printer {
	r := lipgloss.NewRenderer(w)
	if !tty || noColor {
		r.SetColorProfile(termenv.Ascii)
	}
	return &printer{w: w, format: format, tty: tty, r: r, styled: &sync.Map{}}
}

// data prints v as JSON or YAML, whichever was asked for. Both carry the
// same snake_case fields in the same order: YAML is made from the JSON.
func (p *printer) data(v any) error {
	if p.format == "yaml" {
		return writeYAML(p.w, v)
	}
	return writeJSON(p.w, v)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// withWriter returns a printer like p that writes to w: a frame drawn in
// a buffer keeps p's terminal and colour settings.
func (p *printer) withWriter(w io.Writer) *printer {
	cp := *p
	cp.w = w
	return &cp
}

// style renders s with st and remembers the result as the printer's own.
func (p *printer) style(st lipgloss.Style, s string) string {
	out := st.Render(s)
	p.styled.Store(out, true)
	return out
}

// cell is a value as a table or a field shows it: the printer's own
// styled strings as they are, anything else (what a user or vCenter
// typed) escaped, so that no value can move the cursor, recolour the
// screen or add a line.
func (p *printer) cell(s string) string {
	if _, ok := p.styled.Load(s); ok {
		return s
	}
	return textsafe.Escape(s)
}

// table prints rows under headers.
func (p *printer) table(headers []string, rows [][]string) {
	safe := make([][]string, len(rows))
	for i, r := range rows {
		safe[i] = make([]string, len(r))
		for j, v := range r {
			safe[i][j] = p.cell(v)
		}
	}
	rows = safe
	if !p.tty {
		// Buffered: tabwriter writes each cell and its padding apart,
		// which is a system call each on a pipe or a file.
		bw := bufio.NewWriterSize(p.w, 64<<10)
		tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(headers, "\t"))
		for _, r := range rows {
			fmt.Fprintln(tw, strings.Join(r, "\t"))
		}
		tw.Flush()
		bw.Flush()
		return
	}
	head := p.r.NewStyle().Bold(true).Padding(0, 1)
	cell := p.r.NewStyle().Padding(0, 1)
	t := table.New().Wrap(false).Border(lipgloss.RoundedBorder()).
		BorderStyle(p.r.NewStyle().Foreground(lipgloss.Color("8"))).
		Headers(headers...).Rows(rows...).
		StyleFunc(func(row, col int) lipgloss.Style {
			if row == table.HeaderRow {
				return head
			}
			return cell
		})
	fmt.Fprintln(p.w, t.Render())
}

// fields prints "label  value" lines.
func (p *printer) fields(pairs [][2]string) {
	label := p.r.NewStyle().Bold(true)
	width := 0
	for _, kv := range pairs {
		width = max(width, len(kv[0]))
	}
	for _, kv := range pairs {
		if kv[1] == "" {
			continue
		}
		fmt.Fprintf(p.w, "%s  %s\n", label.Render(fmt.Sprintf("%-*s", width, kv[0])), p.cell(kv[1]))
	}
}

func (p *printer) heading(s string) {
	fmt.Fprintln(p.w, p.r.NewStyle().Bold(true).Underline(true).Render(s))
}

// status renders a status in capitals, coloured on a terminal.
func (p *printer) status(s app.Status) string {
	color := map[app.Status]string{
		app.StatusPending: "3", app.StatusApproved: "6", app.StatusProvisioning: "4",
		app.StatusReady: "2", app.StatusFailed: "1", app.StatusRejected: "1", app.StatusCancelled: "8",
		app.StatusDecommissioning: "5", app.StatusDecommissioned: "8",
	}[s]
	return p.style(p.r.NewStyle().Foreground(lipgloss.Color(color)).Bold(true), strings.ToUpper(string(s)))
}

// bad renders a warning, red on a terminal.
func (p *printer) bad(s string) string {
	return p.style(p.r.NewStyle().Foreground(lipgloss.Color("1")).Bold(true), s)
}

func (p *printer) dim(s string) string {
	return p.style(p.r.NewStyle().Faint(true), s)
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// teeWriter writes to both; the first keeps its terminal detection.
func teeWriter(w io.Writer, also io.Writer) io.Writer {
	return &tee{w: w, also: also}
}

type tee struct{ w, also io.Writer }

func (t *tee) Write(p []byte) (int, error) {
	_, _ = t.also.Write(p)
	return t.w.Write(p)
}

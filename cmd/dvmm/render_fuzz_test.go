package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dvmm/dvmm/internal/app"
)

// renderAll draws text where user- or vCenter-supplied text goes: a
// field, a table cell, a timeline line, a watch log line and an error
// line; it returns the output and how many lines it must have.
func renderAll(text string, tty bool) (string, int) {
	var buf bytes.Buffer
	p := makePrinter(&buf, "table", tty, true)
	p.fields([][2]string{{"Justification", "j" + text}, {"Reason", "x" + text}})
	p.table([]string{"NAME", "NETWORK"}, [][]string{{"web-01", text}})
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tl := []app.TimelineEntry{{At: at, Actor: text, Data: app.RequestRejected{By: "alice", Reason: text}},
		{At: at, Actor: "dvmm", Data: app.VMProvisioningFailed{Message: text}}}
	for _, l := range timelineLines(p, tl) {
		buf.WriteString(l + "\n")
	}
	buf.WriteString(logLine(p, tl[1]) + "\n")
	reportError(&buf, app.Errorf(app.KindInvalid, "bad %s", text))
	lines := 2 + 2 + 2 + 1 + 1
	if tty {
		lines = 2 + 5 + 2 + 1 + 1 // a bordered table: top, header, rule, row, bottom
	}
	return buf.String(), lines
}

// checkRendered fails when the output holds a control character other
// than newline and tab, or more lines than the layout has.
func checkRendered(t *testing.T, text, out string, lines int) {
	t.Helper()
	for i, r := range out {
		if r == '\n' || r == '\t' {
			continue
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError && !strings.Contains(text, "\ufffd") {
			t.Fatalf("output of %q holds %U at %d:\n%s", text, r, i, out)
		}
		if r == 0x2028 || r == 0x2029 || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200b || r == 0x200e || r == 0x200f {
			t.Fatalf("output of %q holds %U at %d", text, r, i)
		}
	}
	if n := strings.Count(out, "\n"); n != lines {
		t.Fatalf("output of %q has %d lines, want %d:\n%s", text, n, lines, out)
	}
}

func TestRenderedTextCannotAct(t *testing.T) {
	for _, text := range []string{
		"plain", "\x1b[2J\x1b[H", "\x1b]0;owned\x07", "bell\a", "a\nStatus  APPROVED", "2026-01-01 00:00:00  Approved by alice\r\n",
		"\u202eevil", "zero\u200bwidth", "\x9b31m", "del\x7f", "\xff\xfe", "tab\there", "line\u2028sep", "\u2066iso\u2069",
	} {
		for _, tty := range []bool{false, true} {
			out, lines := renderAll(text, tty)
			checkRendered(t, text, out, lines)
		}
	}
}

func FuzzRender(f *testing.F) {
	for _, s := range []string{"plain", "\x1b[31mred", "a\nb", "\u202e", "\xff", "\u2028", "\x9b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, tty := range []bool{false, true} {
			out, lines := renderAll(text, tty)
			checkRendered(t, text, out, lines)
		}
	})
}

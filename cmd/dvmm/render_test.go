package main

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
)

// frameOf is a watch frame of a request in a given status with the given
// timeline texts.
func frameOf(status app.Status, texts ...string) frame {
	v := app.RequestView{ID: "abcdefghijklmnop", Name: "web-01", Status: status, Version: 2}
	var tl []app.TimelineEntry
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, t := range texts {
		// A step without data shows as its type: here, the text wanted.
		tl = append(tl, app.TimelineEntry{Seq: int64(i + 1), At: at, Type: t})
	}
	var log []string
	p := makePrinter(&bytes.Buffer{}, "table", false, true)
	for _, e := range tl {
		log = append(log, logLine(p, e))
	}
	return frame{view: v, data: contract.NewRequestWithTimeline(v, tl), log: log,
		draw: func(p *printer) { renderRequest(p, v, tl, false) }}
}

func TestWatchTerminalRedrawsInPlace(t *testing.T) {
	var out bytes.Buffer
	w := &watcher{p: makePrinter(&out, "table", true, true), interval: time.Second}
	if err := w.show(frameOf(app.StatusProvisioning, "Request created", "Provisioning started"), time.Second); err != nil {
		t.Fatal(err)
	}
	first := out.String()
	if strings.Contains(first, "\x1b[") {
		t.Fatalf("first frame moves the cursor: %q", first)
	}
	rows := strings.Count(first, "\n")
	if !strings.Contains(first, "Watching every 1s for 0:01") {
		t.Fatalf("no footer in %q", first)
	}
	out.Reset()
	if err := w.show(frameOf(app.StatusReady, "Request created", "Provisioning started", "VM ready (IP 10.0.0.5)"), 3*time.Second); err != nil {
		t.Fatal(err)
	}
	second := out.String()
	want := fmt.Sprintf("\x1b[%dF\x1b[J", rows)
	if !strings.HasPrefix(second, want) {
		t.Fatalf("second frame starts %q, want it to go up %d rows and clear: %q", second[:min(12, len(second))], rows, want)
	}
	for _, s := range []string{"READY", "VM ready (IP 10.0.0.5)", "Watched for 0:03."} {
		if !strings.Contains(second, s) {
			t.Errorf("second frame lacks %q:\n%s", s, second)
		}
	}
}

func TestWatchOffTerminalPrintsOnlyNewLines(t *testing.T) {
	var out bytes.Buffer
	w := &watcher{p: makePrinter(&out, "table", false, false), interval: time.Second}
	frames := []frame{
		frameOf(app.StatusProvisioning, "Request created", "Provisioning started"),
		frameOf(app.StatusProvisioning, "Request created", "Provisioning started"),
		frameOf(app.StatusProvisioning, "Request created", "Provisioning started", "Cloning template"),
		frameOf(app.StatusReady, "Request created", "Provisioning started", "Cloning template", "VM ready (IP 10.0.0.5)"),
	}
	for _, f := range frames {
		if err := w.show(f, time.Second); err != nil {
			t.Fatal(err)
		}
	}
	got := out.String()
	if strings.Contains(got, "\x1b") {
		t.Fatalf("escape codes off a terminal: %q", got)
	}
	if n := strings.Count(got, "Request created"); n != 1 {
		t.Errorf("'Request created' printed %d times, want 1:\n%s", n, got)
	}
	at := formatTime(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	if !strings.HasSuffix(got, "\n"+at+"  Cloning template\n"+at+"  VM ready (IP 10.0.0.5)\n") {
		t.Errorf("new lines not appended as plain lines:\n%s", got)
	}
}

func TestWatchStructuredPrintsEachChangeOnce(t *testing.T) {
	var out bytes.Buffer
	w := &watcher{p: makePrinter(&out, "yaml", false, false), interval: time.Second}
	for _, f := range []frame{
		frameOf(app.StatusProvisioning, "Request created"),
		frameOf(app.StatusProvisioning, "Request created"),
		frameOf(app.StatusReady, "Request created", "VM ready (IP pending)"),
	} {
		if err := w.show(f, time.Second); err != nil {
			t.Fatal(err)
		}
	}
	got := out.String()
	if n := strings.Count(got, "\n---\n"); n != 1 {
		t.Fatalf("%d document separators, want 1:\n%s", n, got)
	}
	if !strings.Contains(got, "status: provisioning") || !strings.Contains(got, "status: ready") {
		t.Fatalf("missing a state:\n%s", got)
	}
}

func TestScreenRows(t *testing.T) {
	for _, tc := range []struct {
		text  string
		width int
		want  int
	}{
		{"a\nb\n", 0, 2},
		{"a\nb\n", 80, 2},
		{strings.Repeat("x", 81) + "\n", 80, 2},
		{strings.Repeat("x", 160) + "\nshort\n", 80, 3},
		{"\x1b[1mbold\x1b[0m\n", 4, 1}, // escape codes take no columns
	} {
		if got := screenRows(tc.text, tc.width); got != tc.want {
			t.Errorf("screenRows(%q, %d) = %d, want %d", tc.text, tc.width, got, tc.want)
		}
	}
}

func TestSpinner(t *testing.T) {
	var out bytes.Buffer
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newSpinner(makePrinter(&out, "table", true, true), "Provisioning")
	s.now = func() time.Time { return now }
	s.start = now

	now = now.Add(3 * time.Second)
	s.Set("Cloning template")
	if got, want := out.String(), "\r\x1b[2K⠋ Cloning template  0:03"; got != want {
		t.Fatalf("spinner drew %q, want %q", got, want)
	}
	out.Reset()
	s.frame++
	now = now.Add(62 * time.Second)
	s.Println("12:00:00  Cloning template")
	if got, want := out.String(), "\r\x1b[2K12:00:00  Cloning template\n\r\x1b[2K⠙ Cloning template  1:05"; got != want {
		t.Fatalf("Println wrote %q, want %q", got, want)
	}
	out.Reset()
	s.Stop()
	if got := out.String(); got != "\r\x1b[2K" {
		t.Fatalf("Stop wrote %q, want the line cleared", got)
	}
}

func TestSpinnerRunsUntilStopped(t *testing.T) {
	var out safeBuffer
	s := newSpinner(makePrinter(&out, "table", true, true), "Provisioning")
	s.run(time.Millisecond)
	// It keeps drawing: wait for a second frame (a loaded machine may take
	// a while to schedule it), not for a fixed time.
	for deadline := time.Now().Add(10 * time.Second); strings.Count(out.String(), "Provisioning") < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("spinner drew %d times in 10s at 1ms a tick", strings.Count(out.String(), "Provisioning"))
		}
	}
	s.Stop()
	after := out.String()
	time.Sleep(20 * time.Millisecond)
	if out.String() != after {
		t.Fatal("spinner drew after Stop")
	}
}

func TestYAMLKeepsJSONFieldsAndTypes(t *testing.T) {
	v := struct {
		Z     string         `json:"z_first"`
		A     int            `json:"a_second"`
		Num   string         `json:"num"`
		Bool  string         `json:"bool"`
		Time  time.Time      `json:"at"`
		Float float64        `json:"ratio"`
		Empty []string       `json:"empty"`
		Nil   *int           `json:"nil"`
		Map   map[string]int `json:"map"`
		Multi string         `json:"multi"`
	}{Z: "z", A: 1, Num: "123", Bool: "true", Time: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Float: 0.5,
		Empty: []string{}, Map: map[string]int{"b": 2, "a": 1}, Multi: "two\nlines"}
	var out bytes.Buffer
	if err := writeYAML(&out, v); err != nil {
		t.Fatal(err)
	}
	want := `z_first: z
a_second: 1
num: "123"
bool: "true"
at: "2025-01-02T03:04:05Z"
ratio: 0.5
empty: []
nil: null
map:
  a: 1
  b: 2
multi: |-
  two
  lines
`
	if out.String() != want {
		t.Fatalf("yaml:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestOutcomeExitCodes(t *testing.T) {
	for _, tc := range []struct {
		status app.Status
		code   int
	}{
		{app.StatusReady, ExitOK}, {app.StatusFailed, ExitFailed},
		{app.StatusRejected, ExitNoVM}, {app.StatusCancelled, ExitNoVM},
	} {
		var buf bytes.Buffer
		if got := reportError(&buf, outcomeError(app.RequestView{ID: "x", Status: tc.status})); got != tc.code {
			t.Errorf("%s: exit %d, want %d", tc.status, got, tc.code)
		}
	}
}

// safeBuffer is a bytes.Buffer that a spinner's goroutine and the test
// can use at once.
type safeBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *safeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *safeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestWatchTallFrameClearsTheScreen(t *testing.T) {
	var out bytes.Buffer
	w := &watcher{p: makePrinter(&out, "table", true, true), interval: time.Second, height: 5}
	for i := 0; i < 2; i++ {
		out.Reset()
		if err := w.show(frameOf(app.StatusProvisioning, "Request created", "Provisioning started"), time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.HasPrefix(out.String(), clearScreen) {
		t.Fatalf("a frame taller than the terminal is redrawn with %q", out.String()[:min(12, out.Len())])
	}
}

package main

import (
	"fmt"
	"sync"
	"time"

	"github.com/charmbracelet/lipgloss"
)

// Terminal control sequences used to redraw in place.
const (
	clearLine   = "\r\x1b[2K"     // back to column 1 and erase the line
	clearDown   = "\x1b[J"        // erase from the cursor to the end of the screen
	clearScreen = "\x1b[H\x1b[2J" // cursor home, erase the screen
)

// cursorUp moves the cursor to the start of the line n lines up.
func cursorUp(n int) string { return fmt.Sprintf("\x1b[%dF", n) }

var spinColor = lipgloss.Color("6")

var spinFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// spinner keeps one line at the bottom of a terminal that redraws in
// place: a turning mark, what is happening now and the time since the
// start. Lines printed through it scroll above the spinner's line. It is
// only for terminals; off a terminal callers print plain lines instead.
type spinner struct {
	p     *printer
	now   func() time.Time
	start time.Time

	mu    sync.Mutex
	text  string
	frame int
	shown bool

	stop chan struct{}
	done chan struct{}
}

func newSpinner(p *printer, text string) *spinner {
	s := &spinner{p: p, now: time.Now, text: text}
	s.start = s.now()
	return s
}

// run redraws the spinner every tick until Stop.
func (s *spinner) run(every time.Duration) {
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			s.mu.Lock()
			s.drawLocked()
			s.frame++
			s.mu.Unlock()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
}

// Set changes what the spinner says is happening.
func (s *spinner) Set(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.text = text
	s.drawLocked()
}

// Println prints a line above the spinner.
func (s *spinner) Println(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shown {
		fmt.Fprint(s.p.w, clearLine)
	}
	fmt.Fprintln(s.p.w, line)
	s.shown = false
	s.drawLocked()
}

// Stop ends the redraws and erases the spinner's line.
func (s *spinner) Stop() {
	if s.stop != nil {
		close(s.stop)
		<-s.done
		s.stop = nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shown {
		fmt.Fprint(s.p.w, clearLine)
		s.shown = false
	}
}

// Elapsed is the time since the spinner started.
func (s *spinner) Elapsed() time.Duration { return s.now().Sub(s.start) }

func (s *spinner) drawLocked() {
	mark := s.p.r.NewStyle().Foreground(spinColor).Render(spinFrames[s.frame%len(spinFrames)])
	fmt.Fprintf(s.p.w, "%s%s %s  %s", clearLine, mark, s.text, s.p.dim(formatElapsed(s.Elapsed())))
	s.shown = true
}

// formatElapsed prints a duration as m:ss.
func formatElapsed(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// fileClock is the scripts' clock: every dvmm process of a script, and
// the API server of the remote runs, read the same file. It holds an
// instant and the real time it was set at; time goes on from there at
// the real pace, so waits and leases behave. Without the file it is the
// system clock.
type fileClock struct{ path string }

func (c fileClock) Now() time.Time {
	set, at, ok := readClockFile(c.path)
	if !ok {
		return time.Now().UTC().Round(0)
	}
	return set.Add(time.Since(at)).UTC().Round(0)
}

func (fileClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func readClockFile(path string) (set, at time.Time, ok bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return time.Time{}, time.Time{}, false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return time.Time{}, time.Time{}, false
	}
	set, err1 := time.Parse(time.RFC3339Nano, f[0])
	at, err2 := time.Parse(time.RFC3339Nano, f[1])
	return set, at, err1 == nil && err2 == nil
}

// clock TIME | clock +DURATION: sets the scripts' clock to an instant
// (RFC 3339) or moves it on by a duration (Go's units, or whole days as
// 30d). Every dvmm process started after it sees the new time.
func cmdClock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: clock TIME|+DURATION")
	}
	path := ts.Getenv("DVMM_TEST_CLOCK_FILE")
	var to time.Time
	if d, ok := strings.CutPrefix(args[0], "+"); ok {
		step, err := scriptDuration(d)
		ts.Check(err)
		to = fileClock{path: path}.Now().Add(step)
	} else {
		t, err := time.Parse(time.RFC3339, args[0])
		ts.Check(err)
		to = t
	}
	ts.Check(os.WriteFile(path, []byte(to.UTC().Format(time.RFC3339Nano)+" "+time.Now().UTC().Format(time.RFC3339Nano)+"\n"), 0o600))
}

// scriptDuration is a Go duration or a number of days ("30d").
func scriptDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

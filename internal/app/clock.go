package app

import "time"

// Clock is the one source of time: event times, run and lease times,
// retry schedules and every wait. Tests give a fake one and move it on
// instead of sleeping.
type Clock interface {
	Now() time.Time
	// After fires once d has passed on this clock.
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real clock, in UTC.
type SystemClock struct{}

// Now is the current time in UTC, without a monotonic reading so that it
// compares and stores the same.
func (SystemClock) Now() time.Time { return time.Now().UTC().Round(0) }

// After is time.After.
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

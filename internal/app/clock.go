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

// Changed returns a channel closed at the next change of the log or the
// queue when the store can tell (see Wakeups), and a channel that is never
// closed when it cannot: waiters select on it beside their poll. Take it
// before looking, so that a change between the look and the wait is not
// missed.
func (a *App) Changed() <-chan struct{} {
	if w, ok := a.Store.(Wakeups); ok {
		return w.Changed()
	}
	return nil
}

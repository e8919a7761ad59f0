// Package apptest holds test doubles of app's ports that are not stores:
// a clock that moves only when told, and a hypervisor made of functions.
package apptest

import (
	"sort"
	"sync"
	"time"
)

// Clock is a fake app.Clock: time stands still until Advance or Set moves
// it, and After fires when it has moved far enough. Tests use it to run
// retry schedules and lease expiry without sleeping.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	changed chan struct{} // closed and replaced whenever waiters change
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

// NewClock returns a clock standing at start.
func NewClock(start time.Time) *Clock {
	return &Clock{now: start.UTC(), changed: make(chan struct{})}
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After fires once the clock has moved d on.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{at: c.now.Add(d), ch: ch})
	c.notify()
	return ch
}

// Advance moves the clock d on and fires the waits that have come due.
func (c *Clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// Set moves the clock to t (never back) and fires the waits due by then.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t.UTC()
	}
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = kept
	c.notify()
}

func (c *Clock) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// BlockUntil waits, without a timeout of its own, until n waits are
// pending, and returns the earliest time one of them fires.
func (c *Clock) BlockUntil(n int) time.Time {
	for {
		c.mu.Lock()
		if len(c.waiters) >= n {
			ats := make([]time.Time, len(c.waiters))
			for i, w := range c.waiters {
				ats[i] = w.at
			}
			c.mu.Unlock()
			sort.Slice(ats, func(i, j int) bool { return ats[i].Before(ats[j]) })
			return ats[0]
		}
		ch := c.changed
		c.mu.Unlock()
		<-ch
	}
}

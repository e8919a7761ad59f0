package auth

import (
	"sync"
	"time"
)

// Throttle slows down password guessing: each failed login for a key (an
// account name, a client address) past the Free ones doubles the time
// that key must wait before its next try, from First up to Max. A success
// clears it; so does a quiet spell longer than Max. Keys idle for longer
// than twice Max are dropped, so the map stays small.
type Throttle struct {
	First time.Duration
	Max   time.Duration
	// Free is how many failures in a row cost no wait.
	Free int
	Now  func() time.Time

	mu    sync.Mutex
	state map[string]throttleState
}

type throttleState struct {
	failures int
	until    time.Time // no try before this
	last     time.Time
}

// NewThrottle returns a throttle that waits 1 s after the first failure,
// doubling up to 5 minutes.
func NewThrottle(now func() time.Time) *Throttle {
	return &Throttle{First: time.Second, Max: 5 * time.Minute, Now: now, state: map[string]throttleState{}}
}

// Wait returns how long the key must still wait before a try; 0 means it
// may try now.
func (t *Throttle) Wait(key string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.state[key]
	if !ok {
		return 0
	}
	if d := s.until.Sub(t.Now()); d > 0 {
		return d
	}
	return 0
}

// Failed records a failed try of key and returns the wait it now has (0
// while the failures are within Free).
func (t *Throttle) Failed(key string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.Now()
	t.forget(now)
	s := t.state[key]
	if now.Sub(s.last) > t.Max {
		// Quiet for longer than the longest wait: start counting again.
		s.failures = 0
	}
	s.failures++
	s.last = now
	if s.failures <= t.Free {
		t.state[key] = s
		return 0
	}
	d := t.First
	for i := t.Free + 1; i < s.failures && d < t.Max; i++ {
		d *= 2
	}
	if d > t.Max {
		d = t.Max
	}
	s.until = now.Add(d)
	t.state[key] = s
	return d
}

// Succeeded clears key's failures.
func (t *Throttle) Succeeded(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.state, key)
}

// forget drops keys idle for more than twice Max (their wait is long over).
func (t *Throttle) forget(now time.Time) {
	if len(t.state) < 1024 {
		return
	}
	for k, s := range t.state {
		if now.Sub(s.last) > 2*t.Max {
			delete(t.state, k)
		}
	}
}

package apptest

import (
	"context"
	"sync"

	"github.com/dvmm/dvmm/internal/app"
)

// Notifier is an app.Notifier whose Fn a test sets (nil delivers). It
// records every call, delivered or not.
type Notifier struct {
	Fn func(ctx context.Context, c app.NotifyChannel, secret []byte, n app.Notification) error

	mu    sync.Mutex
	calls []Delivery
}

// Delivery is one call of a Notifier.
type Delivery struct {
	Channel      app.NotifyChannel
	Secret       string
	Notification app.Notification
	Err          error
}

// Deliver records the call and returns Fn's answer.
func (n *Notifier) Deliver(ctx context.Context, c app.NotifyChannel, secret []byte, m app.Notification) error {
	var err error
	if n.Fn != nil {
		err = n.Fn(ctx, c, secret, m)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls = append(n.calls, Delivery{Channel: c, Secret: string(secret), Notification: m, Err: err})
	return err
}

// Calls returns the calls so far.
func (n *Notifier) Calls() []Delivery {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Delivery(nil), n.calls...)
}

// FailTimes makes the first n calls fail with fault, then deliver.
func FailTimes(n int, fault *app.Fault) func(context.Context, app.NotifyChannel, []byte, app.Notification) error {
	var mu sync.Mutex
	return func(context.Context, app.NotifyChannel, []byte, app.Notification) error {
		mu.Lock()
		defer mu.Unlock()
		if n > 0 {
			n--
			return fault
		}
		return nil
	}
}

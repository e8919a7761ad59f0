package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Wake-ups. A transaction that appends events or makes work due sends a
// NOTIFY on one channel; PostgreSQL delivers it at commit to every
// listening session of every process. Each process that waits (a serve's
// idle workers, a follower of a request) holds one listening connection,
// opened at the first wait, and wakes its waiters on any notification.
// A notification says only "look again": waiters re-read what they
// follow, and keep a slow poll in case a notification is lost while the
// listener reconnects.

const (
	notifyChannel = "dvmm"
	notifyLog     = "log"
	notifyQueue   = "queue"
)

// waker closes its channel at each wake-up and makes a new one.
type waker struct {
	mu sync.Mutex
	ch chan struct{}
}

func (w *waker) changed() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ch
}

func (w *waker) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	close(w.ch)
	w.ch = make(chan struct{})
}

// Changed returns a channel closed at the next change of the log or the
// queue, made by this process or another, after the call.
func (db *DB) Changed() <-chan struct{} {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.wake == nil {
		db.wake = &waker{ch: make(chan struct{})}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); db.listen(ctx, db.wake) }()
		db.close = append(db.close, func() { cancel(); <-done })
	}
	return db.wake.changed()
}

// listen holds the listening connection, reconnecting after a failure.
// It wakes every waiter after each (re)connection too: what happened while
// it was away was not announced.
func (db *DB) listen(ctx context.Context, w *waker) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		conn, err := pgx.Connect(ctx, db.url)
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN "+notifyChannel)
		}
		if err == nil {
			backoff = 100 * time.Millisecond
			w.fire()
			for {
				if _, err = conn.WaitForNotification(ctx); err != nil {
					break
				}
				w.fire()
			}
		}
		if conn != nil {
			cctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = conn.Close(cctx)
			cancel()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		w.fire()
		backoff = min(2*backoff, 5*time.Second)
	}
}

package app

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// ServeOptions say how queued work is run.
type ServeOptions struct {
	Worker  string        // name of this process in leases
	Workers int           // commands run at once
	Lease   time.Duration // how long a claim holds before another worker may take it; renewed while working
	Poll    time.Duration // how often idle workers look for due work
	Once    bool          // stop when nothing is due
	// Grace is how long running commands may finish after ctx ends; past
	// it they are stopped and their leases given back.
	Grace time.Duration
}

// ServeResult counts what a serve did.
type ServeResult struct {
	Ran      int
	Failed   int // commands whose request ended FAILED, or that could not be handled
	Released int // commands stopped at shutdown and given back to the queue
}

// Serve claims due commands and runs them until ctx ends (or, with Once,
// until none is due). When ctx ends it claims nothing more, lets running
// commands finish within the grace period, then stops them and releases
// their leases, so nothing is lost: another worker takes them at once.
func (a *App) Serve(ctx context.Context, o ServeOptions) (ServeResult, error) {
	if o.Workers < 1 {
		o.Workers = 1
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var (
		mu    sync.Mutex
		res   ServeResult
		first error
		wg    sync.WaitGroup
	)
	// An idle worker says which work waits for a task slot, at most once
	// a poll interval for the whole process.
	var noteMu sync.Mutex
	var lastNote time.Time
	noteDue := func() bool {
		noteMu.Lock()
		defer noteMu.Unlock()
		now := a.Clock.Now()
		if !lastNote.IsZero() && now.Sub(lastNote) < o.Poll {
			return false
		}
		lastNote = now
		return true
	}
	for i := 0; i < o.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				wake := a.Changed()
				cmd, ok, err := a.Queue.Claim(ctx, Claim{Worker: o.Worker, Now: a.Now(), Lease: o.Lease})
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					if o.Once {
						// --once gives up: the work stays queued for the next run.
						mu.Lock()
						if first == nil {
							first = err
						}
						mu.Unlock()
						return
					}
					// A long-running serve keeps its workers: the store
					// may be busy for minutes (a backup, a full disk being
					// freed); the worker waits a poll and claims again.
					a.Log.Warn("could not claim work; trying again", slog.String("error", err.Error()), slog.Duration("in", o.Poll))
					select {
					case <-ctx.Done():
					case <-a.Clock.After(o.Poll):
					}
					continue
				}
				if !ok {
					if noteDue() {
						if err := a.noteThrottled(ctx); err != nil && ctx.Err() == nil {
							a.Log.Warn("could not record work waiting for a task slot", slog.String("error", err.Error()))
						}
					}
					if o.Once {
						return
					}
					select {
					case <-ctx.Done():
					case <-wake:
					case <-a.Clock.After(o.Poll):
					}
					continue
				}
				failed, released := a.runClaimed(work, cmd, o.Worker, o.Lease)
				mu.Lock()
				res.Ran++
				if failed {
					res.Failed++
				}
				if released {
					res.Released++
				}
				mu.Unlock()
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		select {
		case <-done:
		case <-a.Clock.After(o.Grace):
			a.Log.Warn("grace period over: stopping running commands", slog.Duration("grace", o.Grace))
			stopWork()
			<-done
		}
	}
	return res, first
}

// Drain runs everything that is due with n workers, then returns.
func (a *App) Drain(ctx context.Context, worker string, workers int, lease time.Duration) (ServeResult, error) {
	return a.Serve(ctx, ServeOptions{Worker: worker, Workers: workers, Lease: lease, Once: true, Grace: time.Minute})
}

// runClaimed runs one claimed command under a renewed lease and reports
// whether it ended badly, and whether it was stopped and given back.
func (a *App) runClaimed(ctx context.Context, cmd Command, worker string, lease time.Duration) (failed, released bool) {
	wctx, stop := a.keepLease(ctx, cmd.ID, worker, lease)
	err := a.RunCommand(wctx, cmd, worker)
	lost := wctx.Err() != nil && ctx.Err() == nil
	stop()
	log := a.Log.With(slog.String("command", cmd.Key), slog.String("request_id", cmd.RequestID), slog.String("correlation_id", cmd.Correlation))
	if err != nil {
		if lost {
			log.Warn("lease lost to another worker; its copy carries on", slog.String("error", err.Error()))
			return false, false
		}
		if ctx.Err() != nil {
			// Stopped at shutdown: give the lease back so nothing waits for it to run out.
			if rerr := a.Queue.Release(context.WithoutCancel(ctx), cmd.ID, worker, a.Now()); rerr != nil {
				log.Warn("could not release the lease; it runs out by itself", slog.String("error", rerr.Error()))
			} else {
				log.Info("stopped at shutdown; lease released")
			}
			return false, true
		}
		log.Error("command not handled", slog.String("error", err.Error()))
		return true, false
	}
	if cmd.Type == CmdNotify {
		// A delivery is not the request's work: telling of a failed
		// request is no failure, and a delivery that failed shows in
		// the queue without failing the run.
		return false, false
	}
	v, err := a.Views.Request(ctx, cmd.RequestID)
	return err == nil && v.Status == StatusFailed, false
}

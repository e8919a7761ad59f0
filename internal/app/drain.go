package app

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// DrainResult counts what a drain did.
type DrainResult struct {
	Ran    int
	Failed int // commands that ended failed, or could not be handled
}

// Drain claims due commands and runs them with n workers until none is
// due or ctx ends. A command whose handler returns an error keeps its
// lease until it runs out, then another worker takes it again.
func (a *App) Drain(ctx context.Context, worker string, workers int, lease time.Duration) (DrainResult, error) {
	if workers < 1 {
		workers = 1
	}
	var (
		mu    sync.Mutex
		res   DrainResult
		first error
		wg    sync.WaitGroup
	)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				cmd, ok, err := a.Store.Claim(ctx, worker, a.Now(), lease)
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
				if !ok {
					return
				}
				failed := a.runClaimed(ctx, cmd, worker, lease)
				mu.Lock()
				res.Ran++
				if failed {
					res.Failed++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return res, first
}

// runClaimed runs one claimed command under a renewed lease and reports
// whether it ended badly.
func (a *App) runClaimed(ctx context.Context, cmd Command, worker string, lease time.Duration) bool {
	stop := a.keepLease(ctx, cmd.ID, worker, lease)
	err := a.RunCommand(ctx, cmd, worker)
	stop()
	if err != nil {
		a.Log.Error("command not handled", slog.String("command", cmd.Key), slog.String("request_id", cmd.RequestID),
			slog.String("correlation_id", cmd.Correlation), slog.String("error", err.Error()))
		return true
	}
	v, err := a.Store.Request(ctx, cmd.RequestID)
	return err == nil && v.Status == StatusFailed
}

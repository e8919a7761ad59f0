package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/app/apptest"
)

// commandsOnly is a Store that holds a fixed queue and nothing else.
type commandsOnly struct {
	app.Store
	cmds []app.Command
}

func (s commandsOnly) ListCommands(context.Context, string) ([]app.Command, error) {
	return s.cmds, nil
}

func TestQueueBacklog(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	pending := func(next time.Time) app.Command {
		return app.Command{Status: app.CommandPending, NextRunAt: next}
	}
	a := app.New(commandsOnly{cmds: []app.Command{
		pending(now.Add(-10 * time.Minute)), // due for 10 minutes
		pending(now.Add(-time.Minute)),      // due for a minute
		pending(now.Add(time.Minute)),       // a retry, later
		{Status: app.CommandPending, NextRunAt: now.Add(-time.Hour), ClaimedBy: "w", LeaseUntil: now.Add(time.Minute)},  // running
		{Status: app.CommandPending, NextRunAt: now.Add(-time.Hour), ClaimedBy: "w", LeaseUntil: now.Add(-time.Minute)}, // its worker died: due
		{Status: app.CommandFailed},
		{Status: app.CommandDone},
	}}, nil, nil)
	a.Clock = apptest.NewClock(now)
	b, err := a.QueueBacklog(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	want := app.Backlog{Due: 3, OldestDue: now.Add(-time.Hour), Waiting: 1, Running: 1, Failed: 1}
	if b != want {
		t.Fatalf("backlog %+v, want %+v", b, want)
	}
}

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
	want := app.Backlog{Due: 3, OldestDue: now.Add(-time.Hour), Waiting: 1, Running: 1, Failed: 1, Late: time.Hour, Overdue: true}
	if b != want {
		t.Fatalf("backlog %+v, want %+v", b, want)
	}
}

// TestQueueOverdue: due work is overdue once it has waited past
// OverdueAfter, not at it.
func TestQueueOverdue(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		waited  time.Duration
		overdue bool
	}{{0, false}, {app.OverdueAfter, false}, {app.OverdueAfter + time.Second, true}} {
		a := app.New(commandsOnly{cmds: []app.Command{{Status: app.CommandPending, NextRunAt: now.Add(-c.waited)}}}, nil, nil)
		a.Clock = apptest.NewClock(now)
		b, err := a.QueueBacklog(context.Background(), "acme")
		if err != nil {
			t.Fatal(err)
		}
		if b.Late != c.waited || b.Overdue != c.overdue {
			t.Errorf("waited %v: late %v, overdue %v", c.waited, b.Late, b.Overdue)
		}
	}
	a := app.New(commandsOnly{}, nil, nil)
	a.Clock = apptest.NewClock(now)
	if b, err := a.QueueBacklog(context.Background(), "acme"); err != nil || b != (app.Backlog{}) {
		t.Fatalf("an empty queue: %+v %v", b, err)
	}
}

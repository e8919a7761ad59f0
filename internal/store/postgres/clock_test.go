package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/store/postgres"
)

func command(key string, at time.Time) app.Command {
	return app.Command{Key: key, Type: app.CmdCreateVM, Tenant: "acme", RequestID: "r-" + key, Payload: []byte(`{"x":1}`),
		NextRunAt: at, CreatedAt: at, Correlation: "corr"}
}

// TestQueueKeepsTheServersClock: machines whose clocks are an hour ahead
// of and behind the database server share one queue. Every time the queue
// compares is the server's: the machine ahead neither steals a running
// lease nor delays work; the machine behind neither waits an hour for due
// work nor runs a retry before its delay.
func TestQueueKeepsTheServersClock(t *testing.T) {
	db := open(t, postgres.Options{})
	ctx := context.Background()
	onTime := func() time.Time { return time.Now() }
	ahead := func() time.Time { return time.Now().Add(time.Hour) }
	behind := func() time.Time { return time.Now().Add(-time.Hour) }
	claim := func(worker string, now time.Time) (app.Command, bool) {
		t.Helper()
		c, ok, err := db.Claim(ctx, app.Claim{Worker: worker, Now: now, Lease: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		return c, ok
	}
	enqueue := func(c app.Command) {
		t.Helper()
		if _, err := db.Enqueue(ctx, c); err != nil {
			t.Fatal(err)
		}
	}

	// Work approved on the machine an hour ahead ("due now" by its clock)
	// is due at once for a machine on time.
	enqueue(command("from-ahead", ahead()))
	c, ok := claim("on-time", onTime())
	if !ok || c.Key != "from-ahead" {
		t.Fatalf("the machine on time could not claim work approved on a machine an hour ahead (got %q, %v)", c.Key, ok)
	}
	if d := time.Until(c.LeaseUntil); d < 50*time.Second || d > 70*time.Second {
		t.Errorf("a one-minute lease runs out in %s by the server's clock", d)
	}

	// The machine an hour ahead sees that lease as an hour gone by its
	// own clock, and must not take the command.
	if c, ok := claim("ahead", ahead()); ok {
		t.Fatalf("the machine an hour ahead stole %q while its lease ran", c.Key)
	}
	// Nor may it renew a lease it does not hold.
	if err := db.Renew(ctx, c.ID, "ahead", ahead(), ahead().Add(time.Minute)); app.ErrorKind(err) != app.KindConflict {
		t.Errorf("a renewal by a worker that holds no lease: %v, want a conflict", err)
	}

	// Work due now, enqueued by the machine on time, is due for the
	// machine an hour behind although its clock says "in an hour".
	enqueue(command("from-on-time", onTime()))
	if c, ok := claim("behind", behind()); !ok || c.Key != "from-on-time" {
		t.Fatalf("the machine an hour behind did not claim due work (got %q, %v)", c.Key, ok)
	} else {
		// It renews its lease for a minute: a minute on the server's clock.
		if err := db.Renew(ctx, c.ID, "behind", behind(), behind().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		// It schedules a retry in 10 s by its clock: not due before 10 s
		// have passed on the server's.
		now := behind()
		if err := db.Finish(ctx, c.ID, app.Outcome{Status: app.CommandPending, At: now, RunAt: now.Add(10 * time.Second), Spent: true}); err != nil {
			t.Fatal(err)
		}
		if c, ok := claim("on-time", onTime()); ok {
			t.Fatalf("a retry due in 10 s was claimed at once (%q)", c.Key)
		}
		if c, ok := claim("ahead", ahead()); ok {
			t.Fatalf("a retry due in 10 s was claimed at once by the machine ahead (%q)", c.Key)
		}
		cmds, err := db.ListCommands(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range cmds {
			if x.Key == "from-on-time" {
				if d := time.Until(x.NextRunAt); d < 5*time.Second || d > 15*time.Second {
					t.Errorf("the retry runs in %s by the server's clock, want about 10 s", d)
				}
			}
		}
	}
}

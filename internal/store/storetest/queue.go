package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
)

func claim(tb testing.TB, s app.Store, worker, key string, now time.Time) (app.Command, bool) {
	tb.Helper()
	c, ok, err := s.Claim(context.Background(), app.Claim{Worker: worker, Key: key, Now: now, Lease: time.Minute})
	must(tb, err)
	return c, ok
}

func enqueue(tb testing.TB, s app.Store, c app.Command) bool {
	tb.Helper()
	added, err := s.Enqueue(context.Background(), c)
	must(tb, err)
	return added
}

func testQueue(t *testing.T, open Open) {
	ctx := context.Background()

	t.Run("OKIdempotencyKey", func(t *testing.T) {
		s := open(t)
		if !enqueue(t, s, command("k1", T0)) {
			t.Fatal("first enqueue not added")
		}
		second := command("k1", T0.Add(time.Hour))
		second.Type = app.CmdProvisionVM
		if enqueue(t, s, second) {
			t.Fatal("a second command with the same key was added")
		}
		cmds, err := s.ListCommands(ctx, "acme")
		must(t, err)
		if len(cmds) != 1 || cmds[0].Type != app.CmdCreateVM || !cmds[0].NextRunAt.Equal(T0) {
			t.Fatalf("queue %+v, want the first command only", cmds)
		}
		c := cmds[0]
		if c.ID <= 0 || c.Status != app.CommandPending || c.Attempts != 0 || string(c.Payload) != `{"x":1}` ||
			c.Correlation != "corr" || c.RequestID != "r-k1" || !c.CreatedAt.Equal(T0) || c.ClaimedBy != "" || !c.LeaseUntil.IsZero() {
			t.Fatalf("stored command %+v", c)
		}
	})

	t.Run("ErrEnqueueWithoutTimes", func(t *testing.T) {
		s := open(t)
		c := command("k1", T0)
		c.NextRunAt = time.Time{}
		if _, err := s.Enqueue(ctx, c); err == nil {
			t.Fatal("a command without a run time was queued")
		}
		c = command("", T0)
		if _, err := s.Enqueue(ctx, c); err == nil {
			t.Fatal("a command without a key was queued")
		}
	})

	t.Run("OKOldestDueFirst", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, command("later", T0.Add(2*time.Second)))
		enqueue(t, s, command("first", T0))
		enqueue(t, s, command("second", T0.Add(time.Second)))
		enqueue(t, s, command("future", T0.Add(time.Hour)))
		var got []string
		for {
			c, ok := claim(t, s, "w", "", T0.Add(time.Minute))
			if !ok {
				break
			}
			got = append(got, c.Key)
			if c.ClaimedBy != "w" || !c.LeaseUntil.Equal(T0.Add(2*time.Minute)) {
				t.Errorf("claimed %+v, want leased to w for a minute", c)
			}
		}
		if want := []string{"first", "second", "later"}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Fatalf("claimed %v, want %v", got, want)
		}
	})

	t.Run("OKNotDueBeforeItsTime", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, command("k1", T0.Add(10*time.Second)))
		if _, ok := claim(t, s, "w", "", T0.Add(9*time.Second)); ok {
			t.Fatal("claimed before its run time")
		}
		if _, ok := claim(t, s, "w", "", T0.Add(10*time.Second)); !ok {
			t.Fatal("not claimed at its run time")
		}
	})

	t.Run("OKLeaseExpiry", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, command("k1", T0))
		c, ok := claim(t, s, "w1", "", T0)
		if !ok {
			t.Fatal("not claimed")
		}
		if _, ok := claim(t, s, "w2", "", T0.Add(time.Minute)); ok {
			t.Fatal("claimed by a second worker while the lease holds")
		}
		c2, ok := claim(t, s, "w2", "", T0.Add(time.Minute+time.Nanosecond))
		if !ok || c2.ID != c.ID || c2.ClaimedBy != "w2" {
			t.Fatalf("after expiry: %+v %v, want the command leased to w2", c2, ok)
		}
		wantKind(t, s.Renew(ctx, c.ID, "w1", T0.Add(2*time.Minute), T0.Add(3*time.Minute)), app.KindConflict)
		wantKind(t, s.Release(ctx, c.ID, "w1", T0.Add(2*time.Minute)), app.KindConflict)
	})

	t.Run("OKRenew", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, command("k1", T0))
		c, _ := claim(t, s, "w1", "", T0)
		must(t, s.Renew(ctx, c.ID, "w1", T0.Add(50*time.Second), T0.Add(5*time.Minute)))
		if _, ok := claim(t, s, "w2", "", T0.Add(4*time.Minute)); ok {
			t.Fatal("claimed while a renewed lease holds")
		}
		cmds, _ := s.ListCommands(ctx, "")
		if !cmds[0].LeaseUntil.Equal(T0.Add(5 * time.Minute)) {
			t.Fatalf("lease until %v", cmds[0].LeaseUntil)
		}
		if _, ok := claim(t, s, "w2", "", T0.Add(5*time.Minute+time.Second)); !ok {
			t.Fatal("not claimed after the renewed lease ran out")
		}
		wantKind(t, s.Renew(ctx, 999, "w1", T0, T0), app.KindNotFound)
	})

	t.Run("OKRelease", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, command("k1", T0))
		c, _ := claim(t, s, "w1", "", T0)
		must(t, s.Release(ctx, c.ID, "w1", T0.Add(time.Second)))
		c2, ok := claim(t, s, "w2", "", T0.Add(time.Second))
		if !ok || c2.ID != c.ID || c2.Attempts != 0 {
			t.Fatalf("after release: %+v %v, want claimable at once with no attempt spent", c2, ok)
		}
		wantKind(t, s.Release(ctx, c.ID, "w1", T0), app.KindConflict)
	})

	t.Run("OKClaimByKey", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, command("k1", T0))
		enqueue(t, s, command("k2", T0.Add(time.Second)))
		c, ok := claim(t, s, "w", "k2", T0.Add(time.Minute))
		if !ok || c.Key != "k2" {
			t.Fatalf("claim by key: %+v %v", c, ok)
		}
		if _, ok := claim(t, s, "w", "k2", T0.Add(time.Minute)); ok {
			t.Fatal("claimed by key twice while leased")
		}
		if _, ok := claim(t, s, "w", "nope", T0.Add(time.Minute)); ok {
			t.Fatal("claimed an unknown key")
		}
	})

	t.Run("OKFinish", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, command("done", T0))
		enqueue(t, s, command("failed", T0))
		d, _ := claim(t, s, "w1", "done", T0)
		f, _ := claim(t, s, "w2", "failed", T0)
		must(t, s.Finish(ctx, d.ID, app.Outcome{Status: app.CommandDone, At: T0.Add(time.Second)}))
		must(t, s.Finish(ctx, f.ID, app.Outcome{Status: app.CommandFailed, At: T0.Add(time.Second), Error: "template missing"}))
		byKey := map[string]app.Command{}
		cmds, _ := s.ListCommands(ctx, "acme")
		for _, c := range cmds {
			byKey[c.Key] = c
		}
		if c := byKey["done"]; c.Status != app.CommandDone || c.Attempts != 1 || c.ClaimedBy != "w1" || !c.LeaseUntil.IsZero() {
			t.Errorf("done: %+v", c)
		}
		if c := byKey["failed"]; c.Status != app.CommandFailed || c.Attempts != 1 || c.LastError != "template missing" || c.ClaimedBy != "w2" {
			t.Errorf("failed: %+v", c)
		}
		if _, ok := claim(t, s, "w3", "", T0.Add(time.Hour)); ok {
			t.Error("a finished command was claimed")
		}
		wantKind(t, s.Finish(ctx, d.ID, app.Outcome{Status: app.CommandDone, At: T0}), app.KindConflict)
		wantKind(t, s.Finish(ctx, 999, app.Outcome{Status: app.CommandDone, At: T0}), app.KindNotFound)
		if err := s.Finish(ctx, d.ID, app.Outcome{Status: "maybe", At: T0}); err == nil {
			t.Error("finished with an unknown status")
		}
	})

	t.Run("OKRunAgainLater", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, command("k1", T0))
		c, _ := claim(t, s, "w1", "", T0)
		must(t, s.Finish(ctx, c.ID, app.Outcome{Status: app.CommandPending, At: T0, RunAt: T0.Add(10 * time.Second), Spent: true, Error: "busy"}))
		if _, ok := claim(t, s, "w2", "", T0.Add(9*time.Second)); ok {
			t.Fatal("claimed before the retry time")
		}
		c, ok := claim(t, s, "w2", "", T0.Add(10*time.Second))
		if !ok || c.Attempts != 1 || c.LastError != "busy" || !c.NextRunAt.Equal(T0.Add(10*time.Second)) {
			t.Fatalf("after a spent retry: %+v %v", c, ok)
		}
		must(t, s.Finish(ctx, c.ID, app.Outcome{Status: app.CommandPending, At: T0, RunAt: T0.Add(20 * time.Second), Error: "down"}))
		c, ok = claim(t, s, "w2", "", T0.Add(20*time.Second))
		if !ok || c.Attempts != 1 || c.LastError != "down" {
			t.Fatalf("after a wait that spends nothing: %+v %v", c, ok)
		}
	})

	t.Run("OKListNewestFirstByTenant", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, command("a", T0))
		other := command("b", T0)
		other.Tenant = "globex"
		enqueue(t, s, other)
		enqueue(t, s, command("c", T0))
		keys := func(tenant string) string {
			cmds, err := s.ListCommands(ctx, tenant)
			must(t, err)
			out := ""
			for _, c := range cmds {
				out += c.Key
			}
			return out
		}
		if got := keys("acme"); got != "ca" {
			t.Errorf("acme: %q, want ca", got)
		}
		if got := keys(""); got != "cba" {
			t.Errorf("all: %q, want cba", got)
		}
	})

	t.Run("OKInsideTransaction", func(t *testing.T) {
		s := open(t)
		update(t, s, func(tx app.Tx) error {
			if _, err := tx.Enqueue(ctx, command("k1", T0)); err != nil {
				return err
			}
			c, ok, err := tx.Claim(ctx, app.Claim{Worker: "w", Now: T0, Lease: time.Minute})
			if err != nil || !ok {
				t.Fatalf("claim in the transaction that enqueued: %v %v", ok, err)
			}
			return tx.Finish(ctx, c.ID, app.Outcome{Status: app.CommandDone, At: T0})
		})
		cmds, _ := s.ListCommands(ctx, "")
		if len(cmds) != 1 || cmds[0].Status != app.CommandDone {
			t.Fatalf("queue %+v", cmds)
		}
	})

	t.Run("OKSlotLimit", func(t *testing.T) {
		s := open(t)
		slotted := func(key, slot string, limit int, at time.Time) app.Command {
			c := command(key, at)
			c.Slot, c.SlotLimit = slot, limit
			return c
		}
		enqueue(t, s, slotted("vc1-a", "vc1", 2, T0))
		enqueue(t, s, slotted("vc1-b", "vc1", 2, T0.Add(time.Second)))
		enqueue(t, s, slotted("vc1-c", "vc1", 2, T0.Add(2*time.Second)))
		enqueue(t, s, slotted("vc2-a", "vc2", 1, T0.Add(3*time.Second)))
		enqueue(t, s, command("free", T0.Add(4*time.Second)))
		now := T0.Add(time.Minute)
		var got []string
		for {
			c, ok := claim(t, s, "w", "", now)
			if !ok {
				break
			}
			got = append(got, c.Key)
		}
		if want := "vc1-a vc1-b vc2-a free"; strings.Join(got, " ") != want {
			t.Fatalf("claimed %v, want %s: the third of vc1 waits for a slot", got, want)
		}
		if _, ok := claim(t, s, "w2", "vc1-c", now); ok {
			t.Fatal("a claim by key took a third slot of a limit of 2")
		}
		held, err := s.Throttled(ctx, now)
		must(t, err)
		if len(held) != 1 || held[0].Key != "vc1-c" || held[0].Slot != "vc1" || held[0].SlotLimit != 2 {
			t.Fatalf("throttled %+v, want vc1-c", held)
		}
		// A finished command frees its slot.
		cmds, err := s.ListCommands(ctx, "")
		must(t, err)
		for _, c := range cmds {
			if c.Key == "vc1-a" {
				must(t, s.Finish(ctx, c.ID, app.Outcome{Status: app.CommandDone, At: now}))
			}
		}
		if c, ok := claim(t, s, "w", "", now); !ok || c.Key != "vc1-c" {
			t.Fatalf("after a finish claimed %+v %v, want vc1-c", c, ok)
		}
		// A lease that ran out holds no slot: its worker is gone.
		enqueue(t, s, slotted("vc2-b", "vc2", 1, T0))
		if _, ok := claim(t, s, "w", "vc2-b", now); ok {
			t.Fatal("vc2-b took the slot vc2-a holds")
		}
		later := now.Add(2 * time.Minute)
		if c, ok := claim(t, s, "w", "vc2-b", later); !ok || c.Key != "vc2-b" {
			t.Fatalf("after vc2-a's lease ran out claimed %+v %v, want vc2-b", c, ok)
		}
		held, err = s.Throttled(ctx, later)
		must(t, err)
		if len(held) != 1 || held[0].Key != "vc2-a" {
			t.Fatalf("throttled %+v, want only vc2-a (its lease ran out, vc2-b holds the slot)", held)
		}
	})

	t.Run("ErrSlotWithoutLimit", func(t *testing.T) {
		s := open(t)
		c := command("k", T0)
		c.Slot = "vc1"
		if _, err := s.Enqueue(ctx, c); err == nil {
			t.Fatal("a slotted command without a limit was queued")
		}
	})
}

package store_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/store"
)

func enqueue(t *testing.T, db *store.DB, key string, at time.Time) bool {
	t.Helper()
	var added bool
	must(t, db.Update(context.Background(), func(tx app.Tx) error {
		var err error
		added, err = tx.Enqueue(context.Background(), app.Command{Key: key, Type: app.CmdCreateVm, Tenant: "acme",
			RequestID: "r-" + key, Payload: json.RawMessage(`{"request_id":"r-` + key + `"}`), NextRunAt: at, Correlation: "corr"})
		return err
	}))
	return added
}

func TestEnqueue(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	db.Now = func() time.Time { return t0 }
	if !enqueue(t, db, "k1", t0) {
		t.Fatal("first enqueue added nothing")
	}
	if enqueue(t, db, "k1", t0.Add(time.Hour)) {
		t.Fatal("a second command with the same key was added")
	}
	enqueue(t, db, "k2", time.Time{}) // no time: due at once
	cs, err := db.ListCommands(ctx, "acme")
	must(t, err)
	if len(cs) != 2 || cs[0].Key != "k2" || cs[1].Key != "k1" {
		t.Fatalf("ListCommands = %+v, want k2 then k1", cs)
	}
	want := app.Command{ID: cs[1].ID, Key: "k1", Type: app.CmdCreateVm, Tenant: "acme", RequestID: "r-k1",
		Payload: json.RawMessage(`{"request_id":"r-k1"}`), Status: app.CommandPending, NextRunAt: t0.UTC(),
		Correlation: "corr", CreatedAt: t0.UTC()}
	if got, _ := json.Marshal(cs[1]); string(got) != string(mustJSON(t, want)) {
		t.Errorf("stored\n%s\nwant\n%s", got, mustJSON(t, want))
	}
	if !cs[0].NextRunAt.Equal(t0) {
		t.Errorf("a command without a time runs at %v, want the transaction's time", cs[0].NextRunAt)
	}
	other, err := db.ListCommands(ctx, "globex")
	must(t, err)
	all, err := db.ListCommands(ctx, "")
	must(t, err)
	if len(other) != 0 || len(all) != 2 {
		t.Errorf("globex has %d commands, all %d; want 0 and 2", len(other), len(all))
	}
}

func TestClaim(t *testing.T) {
	ctx := context.Background()

	t.Run("OKOldestDueFirst", func(t *testing.T) {
		db := MustOpenDB(t)
		enqueue(t, db, "later", t0.Add(time.Minute))
		enqueue(t, db, "second", t0.Add(-time.Second))
		enqueue(t, db, "first", t0.Add(-time.Minute))
		for _, want := range []string{"first", "second"} {
			c, ok, err := db.Claim(ctx, "w1", t0, time.Minute)
			must(t, err)
			if !ok || c.Key != want || c.ClaimedBy != "w1" || !c.LeaseUntil.Equal(t0.Add(time.Minute)) {
				t.Fatalf("claimed %+v (%v), want %s leased to w1 until %v", c, ok, want, t0.Add(time.Minute))
			}
		}
		if c, ok, err := db.Claim(ctx, "w1", t0, time.Minute); err != nil || ok {
			t.Fatalf("claimed %s, but nothing is due", c.Key)
		}
	})

	t.Run("OKExclusiveBetweenHandles", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "dvmm.db")
		dbs := []*store.DB{MustOpenPath(t, path), MustOpenPath(t, path)}
		const n = 40
		for i := range n {
			enqueue(t, dbs[0], "k"+itoa(i), t0)
		}
		var (
			mu      sync.Mutex
			claimed = map[string]string{}
			wg      sync.WaitGroup
		)
		for w := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				worker := "w" + itoa(w)
				for {
					c, ok, err := dbs[w%2].Claim(ctx, worker, t0, time.Hour)
					if err != nil {
						t.Error(err)
						return
					}
					if !ok {
						return
					}
					mu.Lock()
					if prev, dup := claimed[c.Key]; dup {
						t.Errorf("%s claimed by %s and %s", c.Key, prev, worker)
					}
					claimed[c.Key] = worker
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(claimed) != n {
			t.Fatalf("%d commands claimed, want %d", len(claimed), n)
		}
	})

	t.Run("OKLeaseExpiry", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "dvmm.db")
		db1, db2 := MustOpenPath(t, path), MustOpenPath(t, path)
		enqueue(t, db1, "k", t0)
		c, ok, err := db1.Claim(ctx, "w1", t0, time.Minute)
		if err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		if _, ok, _ := db2.Claim(ctx, "w2", t0.Add(30*time.Second), time.Minute); ok {
			t.Fatal("claimed under a live lease")
		}
		if _, ok, _ := db2.ClaimByKey(ctx, "k", "w2", t0.Add(30*time.Second), time.Minute); ok {
			t.Fatal("claimed by key under a live lease")
		}
		// w1 died; its lease runs out and w2 takes over.
		c2, ok, err := db2.Claim(ctx, "w2", t0.Add(61*time.Second), time.Minute)
		if err != nil || !ok || c2.ID != c.ID || c2.ClaimedBy != "w2" {
			t.Fatalf("re-claim after expiry: %+v %v %v", c2, ok, err)
		}
		if c2.Attempts != 0 {
			t.Errorf("an expired lease spent an attempt: %d", c2.Attempts)
		}
		wantKind(t, db1.Renew(ctx, c.ID, "w1", t0.Add(2*time.Minute)), app.KindConflict)
		wantKind(t, db1.Release(ctx, c.ID, "w1"), app.KindConflict)
		must(t, db2.Renew(ctx, c.ID, "w2", t0.Add(5*time.Minute)))
		if _, ok, _ := db1.Claim(ctx, "w1", t0.Add(4*time.Minute), time.Minute); ok {
			t.Fatal("claimed under a renewed lease")
		}
		wantKind(t, db2.Renew(ctx, 999, "w2", t0), app.KindNotFound)
	})

	t.Run("OKClaimByKey", func(t *testing.T) {
		db := MustOpenDB(t)
		enqueue(t, db, "a", t0)
		enqueue(t, db, "b", t0.Add(time.Minute))
		c, ok, err := db.ClaimByKey(ctx, "a", "approve", t0, time.Minute)
		if err != nil || !ok || c.Key != "a" || c.ClaimedBy != "approve" {
			t.Fatalf("ClaimByKey a: %+v %v %v", c, ok, err)
		}
		for _, key := range []string{"a", "b", "missing"} {
			if _, ok, err := db.ClaimByKey(ctx, key, "approve", t0, time.Minute); err != nil || ok {
				t.Errorf("ClaimByKey %s: claimed=%v err=%v, want neither", key, ok, err)
			}
		}
	})

	t.Run("OKRelease", func(t *testing.T) {
		db := MustOpenDB(t)
		enqueue(t, db, "k", t0)
		c, _, err := db.Claim(ctx, "w1", t0, time.Hour)
		must(t, err)
		must(t, db.Release(ctx, c.ID, "w1"))
		c2, ok, err := db.Claim(ctx, "w2", t0, time.Hour)
		if err != nil || !ok || c2.ID != c.ID || c2.Attempts != 0 {
			t.Fatalf("claim after release: %+v %v %v", c2, ok, err)
		}
	})
}

func TestFinishReschedule(t *testing.T) {
	ctx := context.Background()

	t.Run("OKReschedule", func(t *testing.T) {
		db := MustOpenDB(t)
		enqueue(t, db, "k", t0)
		c, _, err := db.Claim(ctx, "w1", t0, time.Minute)
		must(t, err)
		must(t, db.Update(ctx, func(tx app.Tx) error {
			return tx.RescheduleCommand(ctx, c.ID, t0.Add(20*time.Second), true, "vCenter unreachable")
		}))
		if _, ok, _ := db.Claim(ctx, "w1", t0.Add(10*time.Second), time.Minute); ok {
			t.Fatal("claimed before its time")
		}
		wantKind(t, db.Renew(ctx, c.ID, "w1", t0.Add(time.Hour)), app.KindConflict)
		c2, ok, err := db.Claim(ctx, "w2", t0.Add(20*time.Second), time.Minute)
		if err != nil || !ok {
			t.Fatalf("claim after reschedule: %v %v", ok, err)
		}
		if c2.Attempts != 1 || c2.LastError != "vCenter unreachable" || !c2.NextRunAt.Equal(t0.Add(20*time.Second)) {
			t.Errorf("after reschedule: %+v", c2)
		}
		must(t, db.Update(ctx, func(tx app.Tx) error {
			return tx.RescheduleCommand(ctx, c.ID, t0.Add(time.Minute), false, "shutting down")
		}))
		c3, _, err := db.Claim(ctx, "w3", t0.Add(time.Minute), time.Minute)
		must(t, err)
		if c3.Attempts != 1 {
			t.Errorf("an unspent reschedule counted an attempt: %d", c3.Attempts)
		}
	})

	t.Run("OKFinish", func(t *testing.T) {
		db := MustOpenDB(t)
		enqueue(t, db, "done", t0)
		enqueue(t, db, "failed", t0)
		for _, c := range []struct {
			key    string
			status app.CommandStatus
		}{{"done", app.CommandDone}, {"failed", app.CommandFailed}} {
			cmd, ok, err := db.ClaimByKey(ctx, c.key, "w1", t0, time.Minute)
			if err != nil || !ok {
				t.Fatalf("claim %s: %v %v", c.key, ok, err)
			}
			must(t, db.Update(ctx, func(tx app.Tx) error { return tx.FinishCommand(ctx, cmd.ID, c.status, "why") }))
			err = db.Update(ctx, func(tx app.Tx) error { return tx.FinishCommand(ctx, cmd.ID, app.CommandDone, "") })
			wantKind(t, err, app.KindConflict)
			err = db.Update(ctx, func(tx app.Tx) error { return tx.RescheduleCommand(ctx, cmd.ID, t0, true, "") })
			wantKind(t, err, app.KindConflict)
		}
		if c, ok, _ := db.Claim(ctx, "w1", t0.Add(time.Hour), time.Minute); ok {
			t.Fatalf("claimed finished command %s", c.Key)
		}
		cs, err := db.ListCommands(ctx, "")
		must(t, err)
		for _, c := range cs {
			if string(c.Status) != c.Key || !c.LeaseUntil.IsZero() || c.ClaimedBy != "w1" || c.LastError != "why" {
				t.Errorf("finished command: %+v", c)
			}
		}
		err = db.Update(ctx, func(tx app.Tx) error { return tx.FinishCommand(ctx, 999, app.CommandDone, "") })
		wantKind(t, err, app.KindNotFound)
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	must(t, err)
	return b
}

package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

func appendOne(ctx context.Context, db interface {
	Update(context.Context, func(app.Tx) error) error
}, streamID string, expected int) error {
	return db.Update(ctx, func(tx app.Tx) error {
		_, err := tx.Append(ctx, expected, []app.Event{{TenantID: "acme", StreamType: app.StreamRequest, StreamID: streamID,
			Data: app.RequestCancelled{By: "bob"}, At: t0}})
		return err
	})
}

func TestAppendConflict(t *testing.T) {
	ctx := context.Background()

	t.Run("ErrExpectedVersion", func(t *testing.T) {
		db := MustOpenDB(t)
		must(t, appendOne(ctx, db, "abc", 0))
		must(t, appendOne(ctx, db, "abc", 1))
		for _, expected := range []int{0, 1, 3} {
			err := appendOne(ctx, db, "abc", expected)
			wantKind(t, err, app.KindConflict)
			if want := "stream request/abc changed: expected version " + itoa(expected) + ", found 2"; err.Error() != want {
				t.Errorf("error = %q, want %q", err, want)
			}
		}
		n, err := db.CountEvents(ctx)
		must(t, err)
		if n != 2 {
			t.Errorf("%d events, want 2: a conflict must append nothing", n)
		}
	})

	t.Run("ErrTwoHandlesOneWins", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "dvmm.db")
		dbs := [2]interface {
			Update(context.Context, func(app.Tx) error) error
		}{MustOpenPath(t, path), MustOpenPath(t, path)}
		for round := range 20 {
			stream := "s" + itoa(round)
			var (
				start = make(chan struct{})
				wg    sync.WaitGroup
				errs  [2]error
			)
			for i, db := range dbs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					errs[i] = db.Update(ctx, func(tx app.Tx) error {
						events, err := tx.LoadStream(ctx, app.StreamRequest, stream)
						if err != nil {
							return err
						}
						// Both decided on version 0 before either committed.
						_ = events
						_, err = tx.Append(ctx, 0, []app.Event{{TenantID: "acme", StreamType: app.StreamRequest, StreamID: stream,
							Data: app.RequestCancelled{By: "handle-" + itoa(i)}, At: t0}})
						time.Sleep(time.Millisecond)
						return err
					})
				}()
			}
			close(start)
			wg.Wait()
			won, lost := 0, 0
			for _, err := range errs {
				switch app.ErrorKind(err) {
				case "":
					won++
				case app.KindConflict:
					lost++
				default:
					t.Fatalf("round %d: unexpected error %v", round, err)
				}
			}
			if won != 1 || lost != 1 {
				t.Fatalf("round %d: %d won and %d lost, want 1 and 1", round, won, lost)
			}
		}
	})

	t.Run("OKUniqueViolationDetectedByCode", func(t *testing.T) {
		db := MustOpenDB(t)
		must(t, appendOne(ctx, db, "abc", 0))
		_, err := rawDB(t, db.Path()).Exec(`INSERT INTO events (tenant_id, stream_type, stream_id, version, type, data, at)
			VALUES ('acme', 'request', 'abc', 1, 'request.cancelled', '{}', '')`)
		if !storeIsUnique(err) {
			t.Fatalf("a duplicate version gave %v, not a UNIQUE violation", err)
		}
	})
}

func TestEventsAppendOnly(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	must(t, appendOne(ctx, db, "abc", 0))
	raw := rawDB(t, db.Path())
	for _, stmt := range []string{
		`UPDATE events SET data = '{"by":"mallory"}'`,
		`UPDATE events SET version = 7 WHERE stream_id = 'abc'`,
		`DELETE FROM events WHERE stream_id = 'abc'`,
		`DELETE FROM events`,
	} {
		t.Run(stmt, func(t *testing.T) {
			_, err := raw.Exec(stmt)
			var se *sqlite.Error
			if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_CONSTRAINT {
				t.Fatalf("%s: error %v, want a constraint error from the trigger", stmt, err)
			}
		})
	}
	events, err := db.LoadStream(ctx, app.StreamRequest, "abc")
	must(t, err)
	if len(events) != 1 || events[0].Data != (app.RequestCancelled{By: "bob"}) {
		t.Fatalf("events changed: %#v", events)
	}
}

func TestEventLogTools(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	n, err := db.LastSeq(ctx)
	if err != nil || n != 0 {
		t.Fatalf("LastSeq of an empty log = %d, %v", n, err)
	}
	must(t, db.Update(ctx, func(tx app.Tx) error {
		for i := range 1100 { // more than one page of ForEachEvent
			if _, err := tx.Append(ctx, i/7, []app.Event{{TenantID: "acme", StreamType: app.StreamRequest, StreamID: "s" + itoa(i%7),
				Data: app.RequestCancelled{By: "bob"}, At: t0}}); err != nil {
				return err
			}
		}
		return nil
	}))
	count, err := db.CountEvents(ctx)
	must(t, err)
	last, err := db.LastSeq(ctx)
	must(t, err)
	if count != 1100 || last != 1100 {
		t.Fatalf("CountEvents = %d, LastSeq = %d; want 1100 both", count, last)
	}
	var seqs []int64
	must(t, db.ForEachEvent(ctx, func(e app.Event) error {
		seqs = append(seqs, e.Seq)
		return nil
	}))
	for i, s := range seqs {
		if s != int64(i+1) {
			t.Fatalf("ForEachEvent gave seq %d at %d", s, i)
		}
	}
	if len(seqs) != 1100 {
		t.Fatalf("ForEachEvent gave %d events", len(seqs))
	}
	stop := errors.New("stop")
	if err := db.ForEachEvent(ctx, func(app.Event) error { return stop }); err != stop {
		t.Fatalf("ForEachEvent returned %v, want fn's error", err)
	}
}

package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// samplePayloads has one filled-in payload of every event type.
var samplePayloads = []app.Payload{
	app.TenantCreated{Name: "acme", Admin: "alice"},
	app.TenantMemberAdded{User: "bob", Role: app.RoleUser},
	app.VmwareConfigured{Settings: vmwareSettings()},
	app.RequestCreated{Name: "web-01", Size: "M", CPUs: 4, MemoryGB: 8, DiskGB: 100, Project: "shop",
		Network: "VM Network", Justification: "load tests — «ünïcode» too", Requester: "bob"},
	app.RequestApproved{By: "alice", SeenVersion: 1},
	app.RequestRejected{By: "alice", Reason: "not in this quarter's budget"},
	app.RequestCancelled{By: "bob"},
	app.RequestRetryRequested{By: "alice", Attempt: 2},
	app.VmProvisioningStarted{RequestID: "abc", Spec: app.VmSpec{Name: "web-01", Size: "M", CPUs: 4, MemoryGB: 8, DiskGB: 100, Project: "shop"}, Attempt: 1},
	app.VmProvisioningProgressed{Stage: app.StageWaitingNetwork, Attempt: 1},
	app.VmProvisioned{VCenterName: "web-01", MoRef: "vm-42", InstanceUUID: "u-1", IP: "10.0.0.5", Hostname: "web-01", Adopted: true, Attempt: 1},
	app.VmProvisioningFailed{Code: app.FaultUnreachable, Message: "vCenter unreachable", Attempt: 1, Transient: true},
	app.VmRetryScheduled{Attempt: 2, MaxAttempts: 5, DelaySeconds: 20, Reason: "vCenter unreachable"},
	app.VmWaitingForVCenter{Reason: "vCenter unreachable"},
	app.VmRemoved{MoRef: "vm-42", Reason: "cleaned up"},
	app.UserCreated{Name: "alice", PlatformAdmin: true},
	app.UserPasswordSet{},
	app.UserDisabled{},
	app.UserPlatformAdminGranted{},
	app.UserTokenCreated{ID: "abcdefghij", Name: "laptop", ExpiresAt: t0.UTC().Add(90 * 24 * time.Hour)},
	app.UserTokenRevoked{ID: "abcdefghij"},
}

func TestAppendLoad(t *testing.T) {
	ctx := context.Background()

	t.Run("OKEveryEventType", func(t *testing.T) {
		covered := map[string]bool{}
		for _, p := range samplePayloads {
			covered[p.EventType()] = true
		}
		for _, typ := range app.EventTypes() {
			if !covered[typ] {
				t.Errorf("samplePayloads lacks %s", typ)
			}
		}
		db := MustOpenDB(t)
		db.Now = func() time.Time { return t0 }
		for i, p := range samplePayloads {
			t.Run(p.EventType(), func(t *testing.T) {
				in := app.Event{TenantID: "acme", StreamType: "test", StreamID: p.EventType(), Type: p.EventType(), Data: p,
					Meta: app.Metadata{Actor: "alice", CorrelationID: "corr", CausationID: "cause"}}
				var stored []app.Event
				must(t, db.Update(ctx, func(tx app.Tx) error {
					var err error
					stored, err = tx.Append(ctx, 0, []app.Event{in, in})
					return err
				}))
				want := []app.Event{in, in}
				for j := range want {
					want[j].Version, want[j].At, want[j].Seq = j+1, t0.UTC(), int64(2*i+j+1)
				}
				if !reflect.DeepEqual(stored, want) {
					t.Fatalf("Append returned\n%#v\nwant\n%#v", stored, want)
				}
				loaded, err := db.LoadEvents(ctx, "test", p.EventType())
				must(t, err)
				if !reflect.DeepEqual(loaded, want) {
					t.Fatalf("LoadEvents returned\n%#v\nwant\n%#v", loaded, want)
				}
			})
		}
	})

	t.Run("OKTypeFromData", func(t *testing.T) {
		db := MustOpenDB(t)
		must(t, db.Update(ctx, func(tx app.Tx) error {
			out, err := tx.Append(ctx, 0, []app.Event{{TenantID: "acme", StreamType: "tenant", StreamID: "acme", Data: app.TenantCreated{Name: "acme"}}})
			if err == nil && out[0].Type != app.EvTenantCreated {
				t.Errorf("type = %q", out[0].Type)
			}
			return err
		}))
	})

	t.Run("ErrUnknownStreamIsEmpty", func(t *testing.T) {
		db := MustOpenDB(t)
		events, err := db.LoadEvents(ctx, "request", "nope")
		if err != nil || len(events) != 0 {
			t.Fatalf("LoadEvents = %v, %v; want none", events, err)
		}
	})

	t.Run("ErrMixedStreams", func(t *testing.T) {
		db := MustOpenDB(t)
		err := db.Update(ctx, func(tx app.Tx) error {
			_, err := tx.Append(ctx, 0, []app.Event{
				{StreamType: "tenant", StreamID: "a", Data: app.TenantCreated{}},
				{StreamType: "tenant", StreamID: "b", Data: app.TenantCreated{}},
			})
			return err
		})
		wantKind(t, err, app.KindInternal)
	})
}

func appendOne(ctx context.Context, db interface {
	Update(context.Context, func(app.Tx) error) error
}, streamID string, expected int) error {
	return db.Update(ctx, func(tx app.Tx) error {
		_, err := tx.Append(ctx, expected, []app.Event{{TenantID: "acme", StreamType: app.StreamRequest, StreamID: streamID,
			Data: app.RequestCancelled{By: "bob"}}})
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
							Data: app.RequestCancelled{By: "handle-" + itoa(i)}}})
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
	events, err := db.LoadEvents(ctx, app.StreamRequest, "abc")
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
				Data: app.RequestCancelled{By: "bob"}}}); err != nil {
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

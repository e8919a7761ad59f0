package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/store/postgres"
)

func cancelled(stream string) app.Event {
	return app.Event{TenantID: "acme", StreamType: app.StreamRequest, StreamID: stream, Data: app.RequestCancelled{By: "bob"},
		At: time.Now(), Meta: app.Metadata{Actor: "bob"}}
}

// TestLateCommitIsNotSkipped interleaves two appends by hand: A takes
// its place in the log and stays open; B, started while A is open, must
// not become visible before A, or a reader that saw B would move past A's
// sequence and never see A. The store hands out sequences in commit order
// (the write lock): B waits for A, and a reader sees A then B.
func TestLateCommitIsNotSkipped(t *testing.T) {
	db := open(t, postgres.Options{})
	ctx := context.Background()
	aOpen, releaseA := make(chan struct{}), make(chan struct{})
	errA, errB := make(chan error, 1), make(chan error, 1)
	go func() {
		errA <- db.Update(ctx, func(tx app.Tx) error {
			if _, err := tx.Append(ctx, 0, []app.Event{cancelled("late")}); err != nil {
				close(aOpen)
				return err
			}
			close(aOpen)
			<-releaseA
			return nil
		})
	}()
	<-aOpen
	go func() {
		errB <- db.Update(ctx, func(tx app.Tx) error {
			_, err := tx.Append(ctx, 0, []app.Event{cancelled("early")})
			return err
		})
	}()
	// A reader following the log while A is open sees neither append: B
	// has not committed ahead of A.
	for range 20 {
		page, err := db.ReadLog(ctx, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != 0 {
			t.Fatalf("while A was open the reader saw %s (seq %d)", page[0].StreamID, page[0].Seq)
		}
		select {
		case err := <-errB:
			t.Fatalf("B committed while A was open (%v)", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	close(releaseA)
	if err := <-errA; err != nil {
		t.Fatal(err)
	}
	if err := <-errB; err != nil {
		t.Fatal(err)
	}
	page, err := db.ReadLog(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || page[0].StreamID != "late" || page[1].StreamID != "early" || page[0].Seq >= page[1].Seq {
		t.Fatalf("the log reads %+v, want late then early", page)
	}
}

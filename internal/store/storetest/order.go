package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
)

// testLogOrder: a reader that follows the log by sequence (as a
// projection or a watch does) never skips an event. Writers append in
// transactions that stay open a random while after taking their
// sequence, so that with several writers a later sequence could commit
// first; a store must make that invisible (the reader must not see seq
// N+1 before N is committed, or must hand out sequences in commit order).
func testLogOrder(t *testing.T, open Open) {
	s := open(t)
	ctx := context.Background()
	const writers, each = 6, 12
	stop := make(chan struct{})
	var (
		seen    []int64
		readErr error
		rwg     sync.WaitGroup
	)
	rwg.Add(1)
	go func() {
		defer rwg.Done()
		var after int64
		for {
			select {
			case <-stop:
				// One last look once every writer has committed.
				for {
					page, err := s.ReadLog(ctx, after, 100)
					if err != nil {
						readErr = err
						return
					}
					if len(page) == 0 {
						return
					}
					for _, e := range page {
						seen = append(seen, e.Seq)
						after = e.Seq
					}
				}
			default:
			}
			page, err := s.ReadLog(ctx, after, 100)
			if err != nil {
				readErr = err
				return
			}
			for _, e := range page {
				seen = append(seen, e.Seq)
				after = e.Seq
			}
			time.Sleep(time.Millisecond)
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				errs <- s.Update(ctx, func(tx app.Tx) error {
					if _, err := tx.Append(ctx, 0, []app.Event{ev(fmt.Sprintf("order-%d-%d", w, i), app.RequestCancelled{By: "bob"}, T0)}); err != nil {
						return err
					}
					time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
					return nil
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	close(stop)
	rwg.Wait()
	must(t, readErr)
	if len(seen) != writers*each {
		t.Fatalf("the reader saw %d events, %d were appended", len(seen), writers*each)
	}
	all, err := s.ReadLog(ctx, 0, writers*each+1)
	must(t, err)
	for i, e := range all {
		if seen[i] != e.Seq {
			t.Fatalf("the reader saw sequence %v; the log holds %d at position %d", seen[:i+1], e.Seq, i)
		}
	}
}

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
		added, err = tx.Enqueue(context.Background(), app.Command{Key: key, Type: app.CmdCreateVM, Tenant: "acme",
			RequestID: "r-" + key, Payload: json.RawMessage(`{"request_id":"r-` + key + `"}`), NextRunAt: at, CreatedAt: at, Correlation: "corr"})
		return err
	}))
	return added
}

// TestClaim checks what the conformance suite cannot: two handles on
// one file never lease the same command.
func TestClaim(t *testing.T) {
	ctx := context.Background()

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
					c, ok, err := dbs[w%2].Claim(ctx, app.Claim{Worker: worker, Now: t0, Lease: time.Hour})
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

}

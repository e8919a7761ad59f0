package store_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/app/apptest"
	"github.com/dvmm/dvmm/internal/store"
)

// BenchmarkLeaseTick is the lease work of one serve tick on a database of
// 100,000 READY VMs with leases: when nothing is due (one indexed query
// that finds no row) and when 100 VMs have a warning due (the query, then
// one transaction per VM that decides and records the warning).
//
//	go test -run '^$' -bench LeaseTick -benchtime 20x ./internal/store/
func BenchmarkLeaseTick(b *testing.B) {
	ctx := context.Background()
	const n = 100_000
	b.Run("NothingDue/100k", func(b *testing.B) {
		db := MustOpenPath(b, leasedCopy(b, n))
		a, _ := leaseApp(db, leaseT0)
		for b.Loop() {
			res, err := a.LeaseTick(ctx)
			if err != nil || res.Warned != 0 {
				b.Fatalf("tick: %+v, %v", res, err)
			}
		}
	})
	b.Run("100Due/100k", func(b *testing.B) {
		db := MustOpenPath(b, leasedCopy(b, n))
		// VM i's 7-day warning falls due at leaseT0 + 23 days + i minutes:
		// each step of 100 minutes makes the next 100 VMs due.
		a, clock := leaseApp(db, leaseT0.Add(23*app.Day-time.Minute))
		for b.Loop() {
			b.StopTimer()
			clock.Advance(100 * time.Minute)
			b.StartTimer()
			res, err := a.LeaseTick(ctx)
			if err != nil || res.Warned != 100 {
				b.Fatalf("tick: %+v, %v", res, err)
			}
		}
	})
}

var leaseT0 = time.Date(2031, 3, 1, 9, 0, 0, 0, time.UTC)

func leaseApp(db *store.DB, at time.Time) (*app.App, *apptest.Clock) {
	a := app.New(db, nil, nil)
	clock := apptest.NewClock(at)
	a.Clock = clock
	return a, clock
}

// leasedCopy returns a private copy of a database holding tenant acme and
// n READY VMs, VM i's lease ending at leaseT0 + 30 days + i minutes. The
// seeded file is cached in os.TempDir like seededCopy's.
func leasedCopy(b *testing.B, n int) string {
	b.Helper()
	h := sha256.New()
	fmt.Fprintf(h, "leases 1 %d\n", n)
	migrations, _ := filepath.Glob("migrations/*.sql")
	for _, m := range migrations {
		body, err := os.ReadFile(m)
		if err != nil {
			b.Fatal(err)
		}
		h.Write(body)
	}
	cached := filepath.Join(os.TempDir(), "dvmm-bench", fmt.Sprintf("leases-%d-%x.db", n, h.Sum(nil)[:6]))
	if _, err := os.Stat(cached); err != nil {
		if err := os.MkdirAll(filepath.Dir(cached), 0o700); err != nil {
			b.Fatal(err)
		}
		tmp := cached + fmt.Sprintf(".%d.tmp", os.Getpid())
		seedLeases(b, tmp, n)
		if err := os.Rename(tmp, cached); err != nil {
			b.Fatal(err)
		}
	}
	dst := filepath.Join(b.TempDir(), "dvmm.db")
	copyFile(b, cached, dst)
	return dst
}

// seedLeases writes n READY VMs with leases in one transaction through
// the store's Append and app.Project: the events and rows provisioning
// leaves, without the vSphere work or an fsync per VM.
func seedLeases(b *testing.B, path string, n int) {
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	a := benchApp(b, db)
	err = db.Update(ctx, func(tx app.Tx) error {
		for i := range n {
			id := a.NewID()
			rec := func(stream, streamID string, expected int, actor string, ps ...app.Payload) error {
				evs := make([]app.Event, len(ps))
				for j, p := range ps {
					evs[j] = app.Event{TenantID: "acme", StreamType: stream, StreamID: streamID, Data: p, At: leaseT0, Meta: app.Metadata{Actor: actor}}
				}
				events, err := tx.Append(ctx, expected, evs)
				if err != nil {
					return err
				}
				for _, e := range events {
					if err := app.Project(ctx, tx, e); err != nil {
						return err
					}
				}
				return nil
			}
			spec := app.VMSpec{Name: fmt.Sprintf("seed-%06d", i), Size: "S", CPUs: 2, MemoryGB: 4, DiskGB: 50, Project: fmt.Sprintf("p%d", i%10)}
			if err := rec(app.StreamRequest, id, 0, "bob",
				app.RequestCreated{Name: spec.Name, Size: "S", CPUs: 2, MemoryGB: 4, DiskGB: 50, Project: spec.Project, Justification: "load tests for the shop", Requester: "bob"},
				app.RequestApproved{By: "alice", SeenVersion: 1}); err != nil {
				return err
			}
			expires := leaseT0.Add(30*app.Day + time.Duration(i)*time.Minute)
			if err := rec(app.StreamVM, app.VMID(id), 0, "dvmm",
				app.VMProvisioningStarted{RequestID: id, Spec: spec, Attempt: 1},
				app.VMProvisioned{VCenterName: spec.Name, MoRef: fmt.Sprintf("vm-%d", i), InstanceUUID: "uuid-" + id, Attempt: 1},
				app.VMLeaseSet{Days: 30, ExpiresAt: expires, MaxUntil: expires.Add(60 * app.Day), GraceDays: 7}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
}

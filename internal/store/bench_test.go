package store_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/store"
)

// Benchmarks of the store as the app drives it. Run them on the disk the
// database will live on: with synchronous(FULL) each command costs an
// fsync, which is the point of comparing against a plain INSERT.
//
//	go test -run '^$' -bench . -benchtime 2000x -count 3 ./internal/store/

var (
	benchAlice = app.Actor{User: "alice", Tenant: "acme"}
	benchBob   = app.Actor{User: "bob", Tenant: "acme"}
)

// BenchmarkAppend compares one CreateRequest through the application
// service (a transaction that reads the tenant, checks the name, appends,
// projects and reads back) with the floor: one INSERT in its own
// transaction on a file with the same pragmas.
func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	b.Run("CreateRequest", func(b *testing.B) {
		db := MustOpenDB(b)
		a := benchApp(b, db)
		i := 0
		for b.Loop() {
			i++
			if _, err := a.CreateRequest(ctx, benchBob, benchInput(i)); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b)
	})
	b.Run("PlainInsert", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "plain.db")
		db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, data TEXT NOT NULL)`); err != nil {
			b.Fatal(err)
		}
		data := `{"name":"web-0000001","size":"M","cpus":4,"memory_gb":8,"disk_gb":100,"project":"shop","justification":"load tests for the shop","requester":"bob"}`
		for b.Loop() {
			tx, err := db.Begin()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tx.Exec(`INSERT INTO t (data) VALUES (?)`, data); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b)
	})
}

// BenchmarkScale runs the same commands on a log with no requests and on
// one with 100,000: indexed queries keep the two close.
func BenchmarkScale(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{0, 100_000} {
		name := "empty"
		if n > 0 {
			name = fmt.Sprintf("%dk", n/1000)
		}
		b.Run("CreateRequest/"+name, func(b *testing.B) {
			db := MustOpenPath(b, seededCopy(b, n))
			a := benchApp(b, db)
			i := 0
			for b.Loop() {
				i++
				if _, err := a.CreateRequest(ctx, benchBob, benchInput(i)); err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b)
		})
		b.Run("ShowQuota/"+name, func(b *testing.B) {
			db := MustOpenPath(b, seededCopy(b, n))
			a := benchApp(b, db)
			if _, err := a.SetQuota(ctx, benchAlice, "", app.Amount{VMs: 1_000_000}); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				q, err := a.ShowQuota(ctx, benchBob, "shop")
				if err != nil || q.Tenant != "acme" {
					b.Fatalf("quota: %v", err)
				}
			}
			reportRate(b)
		})
		b.Run("ShowRequest/"+name, func(b *testing.B) {
			db := MustOpenPath(b, seededCopy(b, n))
			a := benchApp(b, db)
			targets := showTargets(b, db, a)
			i := 0
			for b.Loop() {
				i++
				v, tl, err := a.ShowRequest(ctx, benchAlice, short(targets[i%len(targets)]))
				if err != nil || len(tl) == 0 || v.ID == "" {
					b.Fatalf("show: %v", err)
				}
			}
			reportRate(b)
		})
	}
}

func benchApp(b *testing.B, db *store.DB) *app.App {
	a := app.New(db, nil, nil)
	if _, err := db.Tenant(context.Background(), "acme"); app.ErrorKind(err) == app.KindNotFound {
		ctx := context.Background()
		if _, err := a.CreateTenant(ctx, benchAlice, "acme", "alice"); err != nil {
			b.Fatal(err)
		}
		if _, err := a.AddMember(ctx, benchAlice, "acme", "bob", app.RoleUser); err != nil {
			b.Fatal(err)
		}
		for _, p := range []string{"shop", "p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9"} {
			if _, err := a.CreateProject(ctx, benchAlice, p); err != nil {
				b.Fatal(err)
			}
		}
	}
	return a
}

func benchInput(i int) app.NewRequestInput {
	return app.NewRequestInput{Name: fmt.Sprintf("bench-%07d", i), Size: "M", Project: "shop", Justification: "load tests for the shop"}
}

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// showTargets picks up to 1000 requests spread over the log, so that a
// show does not find its pages in SQLite's cache by repetition alone.
func showTargets(b *testing.B, db *store.DB, a *app.App) []string {
	ctx := context.Background()
	raw := rawDB(b, db.Path())
	rows, err := raw.Query(`SELECT id FROM requests ORDER BY random() LIMIT 1000`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			b.Fatal(err)
		}
		out = append(out, id)
	}
	if len(out) == 0 { // the empty log: one request to show
		v, err := a.CreateRequest(ctx, benchBob, benchInput(0))
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, v.ID)
	}
	return out
}

// seedVersion changes when seed changes what it writes.
const seedVersion = 2

// seededCopy returns a private copy of a database holding tenant acme and
// n requests. The seeded file is cached in os.TempDir, keyed by n, the
// seed and the migrations, so -count and later runs do not seed again.
func seededCopy(b *testing.B, n int) string {
	b.Helper()
	h := sha256.New()
	fmt.Fprintf(h, "seed %d %d\n", seedVersion, n)
	migrations, _ := filepath.Glob("migrations/*.sql")
	for _, m := range migrations {
		body, err := os.ReadFile(m)
		if err != nil {
			b.Fatal(err)
		}
		h.Write(body)
	}
	cached := filepath.Join(os.TempDir(), "dvmm-bench", fmt.Sprintf("seed-%d-%x.db", n, h.Sum(nil)[:6]))
	if _, err := os.Stat(cached); err != nil {
		if err := os.MkdirAll(filepath.Dir(cached), 0o700); err != nil {
			b.Fatal(err)
		}
		tmp := cached + fmt.Sprintf(".%d.tmp", os.Getpid())
		seed(b, tmp, n)
		if err := os.Rename(tmp, cached); err != nil {
			b.Fatal(err)
		}
	}
	dst := filepath.Join(b.TempDir(), "dvmm.db")
	copyFile(b, cached, dst)
	return dst
}

// seed writes n requests in one transaction through the store's own
// Update, Append and app.Project: the same rows CreateRequest would leave,
// without an fsync per request. Every third request is rejected and every
// fifth cancelled, so statuses vary as in a real log.
func seed(b *testing.B, path string, n int) {
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	a := benchApp(b, db)
	err = db.Update(ctx, func(tx app.Tx) error {
		for i := range n {
			id := a.NewID()
			rec := func(expected int, actor string, p app.Payload) error {
				events, err := tx.Append(ctx, expected, []app.Event{{TenantID: "acme", StreamType: app.StreamRequest, StreamID: id,
					Data: p, At: a.Now(), Meta: app.Metadata{Actor: actor}}})
				if err != nil {
					return err
				}
				return app.Project(ctx, tx, events[0])
			}
			c := app.RequestCreated{Name: fmt.Sprintf("seed-%06d", i), Size: "M", CPUs: 4, MemoryGB: 8, DiskGB: 100,
				Project: fmt.Sprintf("p%d", i%10), Justification: "load tests for the shop", Requester: "bob"}
			if err := rec(0, "bob", c); err != nil {
				return err
			}
			switch {
			case i%3 == 0:
				err = rec(1, "alice", app.RequestRejected{By: "alice", Reason: "not in this quarter's budget"})
			case i%5 == 0:
				err = rec(1, "bob", app.RequestCancelled{By: "bob"})
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := db.Close(); err != nil { // checkpoints: the copy needs no -wal
		b.Fatal(err)
	}
}

func copyFile(b *testing.B, src, dst string) {
	in, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	// Otherwise the kernel writes the copy back while the benchmark runs,
	// and its fsyncs wait behind 100 MB that are not theirs.
	if err := out.Sync(); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}

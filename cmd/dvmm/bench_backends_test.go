package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/secret"
	"github.com/dvmm/dvmm/internal/store"
	"github.com/dvmm/dvmm/internal/store/postgres/pgtest"
	"github.com/dvmm/dvmm/internal/store/storetest"
	"github.com/dvmm/dvmm/internal/vsphere"
)

// Benchmarks that compare the two stores. Run each once:
//
//	go test ./cmd/dvmm -run '^$' -bench 'Backend|DrainMachines' -benchtime 1x

// benchBackends runs bench on a SQLite file and on a PostgreSQL database.
func benchBackends(b *testing.B, bench func(b *testing.B, where string)) {
	b.Run("sqlite", func(b *testing.B) { bench(b, "") })
	b.Run("postgres", func(b *testing.B) { bench(b, pgtest.NewDatabase(b)) })
}

// benchStore opens a store (a SQLite file when where is "") with a tenant
// acme (admin alice, user bob) whose VMware settings are sealed.
func benchStore(b *testing.B, where string) (*app.App, database) {
	b.Helper()
	if where == "" {
		where = b.TempDir() + "/dvmm.db"
	}
	ctx := context.Background()
	db, err := openDatabase(ctx, where)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	box, err := secret.LoadOrCreate(b.TempDir() + "/secret.key")
	if err != nil {
		b.Fatal(err)
	}
	a := app.New(db, nil, box)
	alice := app.Actor{User: "alice", Tenant: "acme"}
	if _, err := a.CreateTenant(ctx, alice, "acme", "alice"); err != nil {
		b.Fatal(err)
	}
	if _, err := a.AddMember(ctx, alice, "acme", "bob", app.RoleUser); err != nil {
		b.Fatal(err)
	}
	if _, err := a.CreateProject(ctx, app.Actor{User: "alice", Tenant: "acme"}, "shop"); err != nil {
		b.Fatal(err)
	}
	if _, err := a.SetVMware(ctx, alice, storetest.VMwareSettings(), "a vCenter password"); err != nil {
		b.Fatal(err)
	}
	return a, db
}

// BenchmarkBackendCreateRequest: one 'request create' through the
// application (read the tenant, check the name, append, project, read
// back), one after another.
func BenchmarkBackendCreateRequest(b *testing.B) {
	benchBackends(b, func(b *testing.B, where string) {
		a, _ := benchStore(b, where)
		bob := app.Actor{User: "bob", Tenant: "acme"}
		i := 0
		start := time.Now()
		for b.Loop() {
			i++
			if _, err := a.CreateRequest(context.Background(), bob, app.NewRequestInput{Name: fmt.Sprintf("web-%07d", i), Size: "M", Project: "shop", Justification: "load tests for the shop"}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(i)/time.Since(start).Seconds(), "creates/s")
	})
}

// BenchmarkBackendApproveLatency: 16 approvers at once, each approving
// requests of its own; approve returns once vm.provisioning_started is
// appended (the ProvisionVM handler runs in its transaction's wake).
// Reports the latency's median and 99th percentile. DVMM_BENCH_APPROVALS
// sets how many approvals (default 800).
func BenchmarkBackendApproveLatency(b *testing.B) {
	n := 800
	if s := os.Getenv("DVMM_BENCH_APPROVALS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	const approvers = 16
	benchBackends(b, func(b *testing.B, where string) {
		for b.Loop() {
			b.StopTimer()
			a, _ := benchStore(b, where)
			ctx := context.Background()
			bob, alice := app.Actor{User: "bob", Tenant: "acme"}, app.Actor{User: "alice", Tenant: "acme"}
			ids := make([]string, n)
			for i := range ids {
				v, err := a.CreateRequest(ctx, bob, app.NewRequestInput{Name: fmt.Sprintf("web-%05d", i), Size: "S", Project: "shop", Justification: "load tests for the shop"})
				if err != nil {
					b.Fatal(err)
				}
				ids[i] = v.ID
			}
			b.StartTimer()
			lat := make([]time.Duration, n)
			var wg sync.WaitGroup
			errs := make(chan error, approvers)
			start := time.Now()
			for w := range approvers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := w; i < n; i += approvers {
						t0 := time.Now()
						v, err := a.Approve(ctx, alice, ids[i], 1)
						if err != nil || v.Status != app.StatusProvisioning {
							errs <- fmt.Errorf("approve %s: %s %v", ids[i], v.Status, err)
							return
						}
						lat[i] = time.Since(t0)
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[n/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[n*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(n)/elapsed.Seconds(), "approvals/s")
			b.StartTimer()
		}
	})
}

// BenchmarkDrainMachines drains approvals whose clone takes 1 s, with a
// per-vCenter limit that does not bind, by serve processes of 8 workers
// each: one on SQLite, one and three on PostgreSQL. Reports requests
// provisioned per second, from the first serve's start to the last READY.
// DVMM_BENCH_REQUESTS sets how many approvals (default 300).
func BenchmarkDrainMachines(b *testing.B) {
	n := 300
	if s := os.Getenv("DVMM_BENCH_REQUESTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	for _, tc := range []struct {
		name  string
		pg    bool
		procs int
	}{{"sqlite/1x8", false, 1}, {"postgres/1x8", true, 1}, {"postgres/3x8", true, 3}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				where := ""
				if tc.pg {
					where = pgtest.NewDatabase(b)
				}
				h := newHarnessOn(b, where)
				sim, pw := h.startSimWith("vc", vsphere.SimOptions{CloneDelay: time.Second, IPDelay: 50 * time.Millisecond})
				h.must("tenant", "create", "acme", "--admin", "alice")
				h.must("--user", "alice", "--tenant", "acme", "project", "create", "shop")
				h.must("--user", "alice", "tenant", "add-member", "acme", "bob")
				h.must(in("acme", "alice", append(vmwareSet(sim, pw), "--max-tasks", "64")...)...)
				db := h.open()
				a := app.New(db, nil, nil)
				ctx := context.Background()
				for i := range n {
					v, err := a.CreateRequest(ctx, app.Actor{User: "bob", Tenant: "acme"}, app.NewRequestInput{Name: fmt.Sprintf("web-%03d", i), Size: "S", Project: "shop", Justification: "load tests for the shop"})
					if err != nil {
						b.Fatal(err)
					}
					if _, err := a.Approve(ctx, app.Actor{User: "alice", Tenant: "acme"}, v.ID, 1); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				start := time.Now()
				var procs []*serveProc
				for range tc.procs {
					procs = append(procs, h.startServe("--workers", "8", "--lease", "1m", "--poll", "1s"))
				}
				waitReady(h, db, n, 10*time.Minute)
				elapsed := time.Since(start)
				b.StopTimer()
				for _, p := range procs {
					p.stop(b)
				}
				vms, err := sim.ListVMs(ctx, "dvmm")
				if err != nil || len(vms) != n {
					b.Fatalf("%d VMs in vCenter, want %d (%v)", len(vms), n, err)
				}
				b.ReportMetric(float64(n)/elapsed.Seconds(), "requests/s")
				b.ReportMetric(elapsed.Seconds(), "wall-s")
				b.ReportMetric(vSphereSeconds(b, db), "vsphere-s/request")
				b.StartTimer()
			}
		})
	}
}

// vSphereSeconds is the mean time from a VM's first vSphere step to READY:
// how long one request's work took, whatever the number of workers.
func vSphereSeconds(b *testing.B, db testDB) float64 {
	first := map[string]time.Time{}
	var total time.Duration
	n := 0
	if err := db.ForEachEvent(context.Background(), func(e app.Event) error {
		switch e.Type {
		case app.EvVMProvisioningProgress:
			if _, seen := first[e.StreamID]; !seen {
				first[e.StreamID] = e.At
			}
		case app.EvVMProvisioned:
			total += e.At.Sub(first[e.StreamID])
			n++
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	if n == 0 {
		return 0
	}
	return total.Seconds() / float64(n)
}

// BenchmarkAuditExport exports a log of DVMM_BENCH_EVENTS events (default
// 1,000,000) as CSV through the command, to a discarding writer, and
// reports events/s and the largest Go heap in use seen meanwhile: the
// export streams, so the heap stays flat whatever the log's size. The
// seeded database is kept in the temporary folder between runs. Run it
// once: -bench AuditExport -benchtime 1x.
func BenchmarkAuditExport(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("DVMM_BENCH_EVENTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	path := seededLog(b, n)
	for b.Loop() {
		var peak uint64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			var m runtime.MemStats
			for {
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapInuse)
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
		}()
		start := time.Now()
		var errOut bytes.Buffer
		code := Main([]string{"--db", path, "audit", "export", "--format", "csv"}, strings.NewReader(""), io.Discard, &errOut)
		elapsed := time.Since(start)
		close(stop)
		<-sampled
		if code != 0 {
			b.Fatalf("audit export: exit %d: %s", code, errOut.String())
		}
		b.ReportMetric(float64(n)/elapsed.Seconds(), "events/s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	}
}

// seededLog returns a SQLite database of n events (request.created and
// request.rejected pairs), made once per n and kept in the temporary
// folder.
func seededLog(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(os.TempDir(), "dvmm-bench", fmt.Sprintf("log-%d-v1.db", n))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		b.Fatal(err)
	}
	tmp := path + fmt.Sprintf(".%d.tmp", os.Getpid())
	ctx := context.Background()
	db, err := store.Open(ctx, tmp)
	if err != nil {
		b.Fatal(err)
	}
	at := time.Now()
	for done := 0; done < n; {
		err := db.Update(ctx, func(tx app.Tx) error {
			for i := 0; i < 10_000 && done < n; i += 2 {
				id := fmt.Sprintf("r%08d", done)
				c := app.RequestCreated{Name: fmt.Sprintf("web-%07d", done), Size: "M", CPUs: 4, MemoryGB: 8, DiskGB: 100,
					Project: "shop", Justification: "load tests for the shop", Requester: "bob"}
				if _, err := tx.Append(ctx, 0, []app.Event{{TenantID: "acme", StreamType: app.StreamRequest, StreamID: id, Data: c, At: at, Meta: app.Metadata{Actor: "bob"}}}); err != nil {
					return err
				}
				if _, err := tx.Append(ctx, 1, []app.Event{{TenantID: "acme", StreamType: app.StreamRequest, StreamID: id,
					Data: app.RequestRejected{By: "alice", Reason: "not in this quarter budget"}, At: at, Meta: app.Metadata{Actor: "alice"}}}); err != nil {
					return err
				}
				done += 2
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

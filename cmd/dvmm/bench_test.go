package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/vsphere"
)

// BenchmarkApproveToProvisioningStarted times 'approve' through the
// application: its transaction, the process manager's ProvisionVM and the
// handler that appends VMProvisioningStarted (approve returns right after).
func BenchmarkApproveToProvisioningStarted(b *testing.B) {
	f := newFlow(b)
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		r := f.request(fmt.Sprintf("web-%d", i))
		b.StartTimer()
		v, err := f.app.Approve(f.ctx, f.alice, r.ID, 1)
		if err != nil || v.Status != app.StatusProvisioning {
			b.Fatalf("approve: %s %v", v.Status, err)
		}
	}
}

// BenchmarkInlineFlow is the whole 'approve --wait' path per VM: approve,
// clone, size, power on, wait for the IP, with every stage recorded.
// Compare with internal/vsphere's BenchmarkBareClone on the same simulator.
func BenchmarkInlineFlow(b *testing.B) {
	f := newFlowWith(b, vsphere.SimOptions{IPDelay: 100 * time.Millisecond})
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		r := f.request(fmt.Sprintf("web-%d", i))
		b.StartTimer()
		if _, err := f.app.Approve(f.ctx, f.alice, r.ID, 1); err != nil {
			b.Fatal(err)
		}
		v, err := f.app.Drive(f.ctx, f.alice, r.ID, time.Minute, nil)
		if err != nil || v.Status != app.StatusReady {
			b.Fatalf("drive: %s %v", v.Status, err)
		}
	}
}

// BenchmarkDrain200 drains approvals with clone tasks that take 1 s, as a
// (fast) vCenter would, with 1 and with 8 workers, and reports requests
// provisioned per second. Run it once: -bench Drain200 -benchtime 1x.
// DVMM_BENCH_REQUESTS changes the number of approvals (default 200).
func BenchmarkDrain200(b *testing.B) {
	n := 200
	if s := os.Getenv("DVMM_BENCH_REQUESTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	for _, workers := range []int{1, 8} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				f := newFlowWith(b, vsphere.SimOptions{CloneDelay: time.Second, IPDelay: 50 * time.Millisecond})
				ids := make([]string, n)
				for i := range ids {
					ids[i] = f.approved(fmt.Sprintf("web-%03d", i))
				}
				b.StartTimer()
				start := time.Now()
				res, err := f.app.Serve(context.Background(), app.ServeOptions{Worker: "bench", Workers: workers, Lease: time.Minute, Once: true})
				elapsed := time.Since(start)
				b.StopTimer()
				if err != nil || res.Failed > 0 {
					b.Fatalf("serve: %+v %v", res, err)
				}
				if c := f.vmsInVCenter(); c != n {
					b.Fatalf("%d VMs, want %d", c, n)
				}
				b.ReportMetric(float64(n)/elapsed.Seconds(), "requests/s")
				b.StartTimer()
			}
		})
	}
}

// BenchmarkDrainTaskLimit drains 40 approvals with 1 s clone calls: 8
// workers under --max-tasks 4 against 4 workers with a limit that does
// not bind, and reports the most clone and power tasks the simulator had
// in flight at once and the wall time. Run it once:
// -bench DrainTaskLimit -benchtime 1x.
func BenchmarkDrainTaskLimit(b *testing.B) {
	const n = 40
	for _, tc := range []struct{ workers, maxTasks int }{{8, 4}, {4, 64}} {
		b.Run(fmt.Sprintf("workers=%d/max-tasks=%d", tc.workers, tc.maxTasks), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				f := newFlowWith(b, vsphere.SimOptions{CloneDelay: time.Second, IPDelay: 50 * time.Millisecond})
				s := f.sim.Settings("dvmm")
				s.MaxTasks = tc.maxTasks
				f.must(f.app.SetVMware(f.ctx, f.alice, s, f.sim.Password()))
				for i := 0; i < n; i++ {
					f.approved(fmt.Sprintf("web-%03d", i))
				}
				if _, err := f.sim.PeakInFlight(f.ctx, true); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				res, err := f.app.Serve(context.Background(), app.ServeOptions{Worker: "bench", Workers: tc.workers, Lease: time.Minute, Once: true})
				elapsed := time.Since(start)
				b.StopTimer()
				if err != nil || res.Failed > 0 {
					b.Fatalf("serve: %+v %v", res, err)
				}
				if c := f.vmsInVCenter(); c != n {
					b.Fatalf("%d VMs, want %d", c, n)
				}
				peak, err := f.sim.PeakInFlight(f.ctx, false)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(peak), "peak-tasks")
				b.ReportMetric(elapsed.Seconds(), "wall-s")
				b.StartTimer()
			}
		})
	}
}

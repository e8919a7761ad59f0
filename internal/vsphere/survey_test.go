package vsphere_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/vsphere"
	"github.com/dvmm/dvmm/internal/vsphere/simproc"
)

// provisionN makes VMs web-<from>..web-<to-1> for requests req-<i>.
func provisionN(tb testing.TB, sim *simproc.Sim, c *vsphere.Client, from, to int) {
	tb.Helper()
	tg := sim.Target("acme", "dvmm")
	for i := from; i < to; i++ {
		spec := machineSpec(fmt.Sprintf("req-%d", i), fmt.Sprintf("web-%d", i))
		spec.IPTimeout = 0
		if _, err := c.Provision(context.Background(), tg, spec, nil); err != nil {
			tb.Fatalf("provision %d: %v", i, err)
		}
	}
}

// surveyCalls surveys and returns what it found and how many SOAP calls
// the simulator received meanwhile.
func surveyCalls(tb testing.TB, sim *simproc.Sim, c *vsphere.Client) (int, []string) {
	tb.Helper()
	ctx := context.Background()
	before, err := sim.Calls(ctx, "*")
	if err != nil {
		tb.Fatal(err)
	}
	seen, err := c.Survey(ctx, sim.Target("acme", "dvmm"))
	if err != nil {
		tb.Fatalf("survey: %v", err)
	}
	after, err := sim.Calls(ctx, "*")
	if err != nil {
		tb.Fatal(err)
	}
	var ids []string
	for _, s := range seen {
		ids = append(ids, s.RequestID+"="+s.Machine.Name)
	}
	sort.Strings(ids)
	return after - before, ids
}

// A survey reads every VM of dvmm in one property-collector pass: its
// round trips do not grow with the number of VMs.
func TestSurveyOnePass(t *testing.T) {
	t.Parallel()
	sim := startSim(t, vsphere.SimOptions{IPDelay: 10 * time.Millisecond})
	c := newClient(t, vsphere.Options{})
	provisionN(t, sim, c, 0, 3)
	few, ids := surveyCalls(t, sim, c)
	if len(ids) != 3 || ids[0] != "req-0=web-0" {
		t.Fatalf("survey of 3 found %v", ids)
	}
	provisionN(t, sim, c, 3, 25)
	many, ids := surveyCalls(t, sim, c)
	if len(ids) != 25 {
		t.Fatalf("survey of 25 found %d VMs", len(ids))
	}
	if many != few {
		t.Fatalf("a survey of 3 VMs made %d calls, of 25 VMs %d: it must not grow with the VMs", few, many)
	}
	t.Logf("a survey makes %d SOAP calls", many)
}

// BenchmarkSurvey1000 is the figure of a reconcile of 1,000 READY VMs:
// go test -run '^$' -bench Survey1000 -benchtime 5x ./internal/vsphere
func BenchmarkSurvey1000(b *testing.B) {
	sim := startSim(b, vsphere.SimOptions{IPDelay: time.Millisecond})
	c := newClient(b, vsphere.Options{})
	provisionN(b, sim, c, 0, 1000)
	b.ResetTimer()
	calls := 0
	for i := 0; i < b.N; i++ {
		n, ids := surveyCalls(b, sim, c)
		if len(ids) != 1000 {
			b.Fatalf("survey found %d VMs", len(ids))
		}
		calls += n
	}
	b.ReportMetric(float64(calls)/float64(b.N), "round-trips/op")
}

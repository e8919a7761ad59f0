package main

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/store"
	"github.com/dvmm/dvmm/internal/vsphere"
)

// timedRun is a dvmm process's result and when it ran.
type timedRun struct {
	result
	start, end time.Time
}

// startTogether starts dvmm processes at once and waits for all of them.
func (h *harness) startTogether(argss ...[]string) []timedRun {
	h.t.Helper()
	runs := make([]timedRun, len(argss))
	var ready, wg sync.WaitGroup
	gate := make(chan struct{})
	for i, args := range argss {
		ready.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out, errOut bytes.Buffer
			cmd := h.command(context.Background(), args...)
			cmd.Stdout, cmd.Stderr = &out, &errOut
			ready.Done()
			<-gate
			runs[i].start = time.Now()
			err := cmd.Run()
			runs[i].end = time.Now()
			if cmd.ProcessState == nil { // it did not start
				runs[i].result = result{code: -1, errOut: err.Error()}
				return
			}
			runs[i].result = result{code: cmd.ProcessState.ExitCode(), out: out.String(), errOut: errOut.String()}
		}()
	}
	ready.Wait()
	close(gate)
	wg.Wait()
	return runs
}

// oneWinner checks a round of two processes doing the same thing at once:
// one went through (exit 0), the other got a conflict (exit 4) with one
// line that loserSays. It reports whether the two overlapped in time.
func oneWinner(t *testing.T, round int, what string, runs []timedRun, loserSays func(errOut string) bool) bool {
	t.Helper()
	won, lost := 0, 0
	for _, r := range runs {
		switch r.code {
		case ExitOK:
			won++
		case ExitConflict:
			lost++
			if strings.Count(r.errOut, "\n") != 1 || !loserSays(r.errOut) || r.out != "" {
				t.Errorf("round %d: the losing %s said %q on stderr and %q on stdout", round, what, r.errOut, r.out)
			}
		default:
			t.Errorf("round %d: %s exited %d: %s", round, what, r.code, r.errOut)
		}
	}
	if won != 1 || lost != 1 {
		t.Fatalf("round %d: %d of %s went through and %d got a conflict, want 1 and 1", round, won, what, lost)
	}
	return runs[0].start.Before(runs[1].end) && runs[1].start.Before(runs[0].end)
}

// TestConcurrentApprovals: two admins' processes approve the same request
// at the same moment, 50 times over. Each time exactly one approval is
// recorded and the other process gets the conflict code; in the end each
// request has one VM aggregate, one ProvisionVM command and one VM in
// vCenter.
func TestConcurrentApprovals(t *testing.T) { backends(t, testConcurrentApprovals) }

func testConcurrentApprovals(t *testing.T, h *harness) {
	const rounds = 50
	sim, pw := h.startSimWith("vc", vsphere.SimOptions{IPDelay: 10 * time.Millisecond})
	h.must("tenant", "create", "acme", "--admin", "alice")
	h.must("--user", "alice", "--tenant", "acme", "project", "create", "shop")
	h.must("--user", "alice", "tenant", "add-member", "acme", "carol", "--role", "admin")
	h.must("--user", "alice", "tenant", "add-member", "acme", "bob")
	h.must(in("acme", "alice", vmwareSet(sim, pw)...)...)

	var ids []string
	overlapped := 0
	for i := 0; i < rounds; i++ {
		id := h.must(in("acme", "bob", "request", "create", "--name", fmt.Sprintf("web-%02d", i), "--size", "S", "--project", "shop", "--justification", "concurrent approvals")...)
		ids = append(ids, id)
		runs := h.startTogether(
			in("acme", "alice", "request", "approve", id, "--expect-version", "1"),
			in("acme", "carol", "request", "approve", id, "--expect-version", "1"))
		if oneWinner(t, i, "approval", runs, func(errOut string) bool { return strings.HasPrefix(errOut, "dvmm: request ") }) {
			overlapped++
		}
	}
	// Four workers make the 50 VMs at once; the simulator runs in a process
	// of its own, so its internal races do not trip -race here.
	if r := h.proc("serve", "--once", "--workers", "4", "--log-format", "json"); r.code != 0 {
		t.Fatalf("serve --once: exit %d: %s", r.code, r.errOut)
	}

	ctx := context.Background()
	db := h.open()
	approvals, started := map[string]int{}, map[string]int{}
	if err := db.ForEachEvent(ctx, func(e app.Event) error {
		switch e.Type {
		case app.EvRequestApproved:
			approvals[e.StreamID]++
		case app.EvVMProvisioningStarted:
			started[app.RequestIDOfVM(e.StreamID)]++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	cmds, err := db.ListCommands(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	provisions := map[string]int{}
	for _, c := range cmds {
		if c.Type == app.CmdProvisionVM {
			provisions[c.RequestID]++
		}
	}
	vms, err := sim.ListVMs(ctx, "dvmm")
	if err != nil {
		t.Fatal(err)
	}
	uuids := map[string]int{}
	for _, vm := range vms {
		uuids[vm.InstanceUUID]++
	}
	for _, id := range ids {
		v, err := db.Request(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if approvals[id] != 1 || started[id] != 1 || provisions[id] != 1 {
			t.Errorf("request %s: %d approvals, %d provisioning starts, %d ProvisionVm commands; want one each", id, approvals[id], started[id], provisions[id])
		}
		if v.Status != app.StatusReady || v.VM == nil || uuids[v.VM.InstanceUUID] != 1 {
			t.Errorf("request %s: %s, VM %+v; want ready with one VM in vCenter", id, v.Status, v.VM)
		}
	}
	if len(vms) != rounds {
		t.Errorf("vCenter holds %d VMs, want %d", len(vms), rounds)
	}
	t.Logf("%d rounds of two approving processes: %d approvals, %d VMs; the processes overlapped in time in %d rounds", rounds, len(approvals), len(vms), overlapped)
}

// TestConcurrentCreates: two requesters' processes create a request of
// the same name in the same project at the same moment, 50 times over.
// Each time exactly one create goes through and the other gets a conflict
// (exit 4) naming the winner; the log holds one request per name.
func TestConcurrentCreates(t *testing.T) { backends(t, testConcurrentCreates) }

func testConcurrentCreates(t *testing.T, h *harness) {
	const rounds = 50
	h.must("tenant", "create", "acme", "--admin", "alice")
	h.must("--user", "alice", "--tenant", "acme", "project", "create", "shop")
	h.must("--user", "alice", "tenant", "add-member", "acme", "bob")
	h.must("--user", "alice", "tenant", "add-member", "acme", "dave")
	overlapped := 0
	for i := 0; i < rounds; i++ {
		name := fmt.Sprintf("db-%02d", i)
		runs := h.startTogether(
			in("acme", "bob", "request", "create", "--name", name, "--size", "S", "--project", "shop", "--justification", "concurrent creates"),
			in("acme", "dave", "request", "create", "--name", name, "--size", "S", "--project", "shop", "--justification", "concurrent creates"))
		if oneWinner(t, i, "create", runs, func(errOut string) bool { return strings.Contains(errOut, "is already used by request") }) {
			overlapped++
		}
	}
	names := map[string]int{}
	if err := h.open().ForEachEvent(context.Background(), func(e app.Event) error {
		if c, ok := e.Data.(app.RequestCreated); ok {
			names[c.Name]++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < rounds; i++ {
		if n := names[fmt.Sprintf("db-%02d", i)]; n != 1 {
			t.Errorf("db-%02d was created %d times, want once", i, n)
		}
	}
	t.Logf("%d rounds of two creating processes; they overlapped in time in %d rounds", rounds, overlapped)
}

// TestConcurrentApprovalsLastSlot: two requests wait while the tenant's
// VM limit has room for one more; two admins' processes approve them at
// the same moment, 50 times over. Each time exactly one approval goes
// through and the other is refused by the quota (exit 4).
func TestConcurrentApprovalsLastSlot(t *testing.T) { backends(t, testConcurrentApprovalsLastSlot) }

func testConcurrentApprovalsLastSlot(t *testing.T, h *harness) {
	const rounds = 50
	h.must("tenant", "create", "acme", "--admin", "alice")
	h.must("--user", "alice", "--tenant", "acme", "project", "create", "shop")
	h.must("--user", "alice", "tenant", "add-member", "acme", "carol", "--role", "admin")
	h.must("--user", "alice", "tenant", "add-member", "acme", "bob")
	overlapped := 0
	for i := 0; i < rounds; i++ {
		h.must(in("acme", "alice", "quota", "set", "--vms", "0")...)
		a := h.must(in("acme", "bob", "request", "create", "--name", fmt.Sprintf("a-%02d", i), "--size", "S", "--project", "shop", "--justification", "the last slot")...)
		b := h.must(in("acme", "bob", "request", "create", "--name", fmt.Sprintf("b-%02d", i), "--size", "S", "--project", "shop", "--justification", "the last slot")...)
		// i approved so far (FAILED without VMware settings: still held)
		h.must(in("acme", "alice", "quota", "set", "--vms", fmt.Sprint(i+1))...)
		runs := h.startTogether(
			in("acme", "alice", "request", "approve", a),
			in("acme", "carol", "request", "approve", b))
		if oneWinner(t, i, "approval", runs, func(errOut string) bool {
			return strings.Contains(errOut, fmt.Sprintf("quota of tenant acme: VMs %d of %d used, this request needs 1", i+1, i+1))
		}) {
			overlapped++
		}
		loser := b
		if runs[1].code == ExitOK {
			loser = a
		}
		h.must(in("acme", "bob", "request", "cancel", loser)...)
	}
	q := h.must(in("acme", "bob", "quota", "show", "-o", "json")...)
	if !strings.Contains(q, fmt.Sprintf(`"vms": %d`, rounds)) {
		t.Errorf("after %d rounds the quota shows %s", rounds, q)
	}
	t.Logf("%d rounds of two approvals for the last slot; the processes overlapped in time in %d rounds", rounds, overlapped)
}

// TestSoakWritersAndServe: for 30 seconds, four writers (two per tenant)
// run dvmm processes back to back (create, then approve, reject, cancel or
// leave pending; list)
// while one 'dvmm serve' provisions on the same database. No process may
// report the database busy (exit 6) or fail at all; afterwards the log's
// sequence has no gap, every command that succeeded is in it, every
// approved request is READY with its VM in vCenter, and the read models
// answer the same after 'dvmm admin rebuild'. Skipped with -short.
func TestSoakWritersAndServe(t *testing.T) {
	if testing.Short() {
		t.Skip("30 s soak of concurrent writers and serve; runs without -short")
	}
	const soak = 30 * time.Second
	h := newHarness(t)
	sim, pw := h.startSimWith("vc", vsphere.SimOptions{IPDelay: 10 * time.Millisecond})
	tenants := []struct{ name, admin, user string }{{"acme", "alice", "bob"}, {"globex", "gina", "gus"}}
	admins := map[string]string{"acme": "alice", "globex": "gina"}
	for _, tn := range tenants {
		h.must("tenant", "create", tn.name, "--admin", tn.admin)
		for _, p := range []string{"shop", "p0", "p1", "p2"} {
			h.must("--user", tn.admin, "--tenant", tn.name, "project", "create", p)
		}
		h.must("--user", tn.admin, "tenant", "add-member", tn.name, tn.user)
		h.must(in(tn.name, tn.admin, vmwareSet(sim, pw)...)...)
	}

	var serveErr bytes.Buffer
	// serve's four workers write beside the writers' processes.
	serve := h.command(context.Background(), "serve", "--workers", "4", "--poll", "100ms", "--log-format", "json")
	serve.Stderr = &serveErr
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	serveDone := false
	defer func() {
		if !serveDone {
			_ = serve.Process.Kill()
			_ = serve.Wait()
		}
	}()

	// want is what each request should end as.
	type outcome struct {
		tenant string
		status app.Status
	}
	var (
		mu        sync.Mutex
		want      = map[string]outcome{}
		processes int
		failures  []string
	)
	deadline := time.Now().Add(soak)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		tn := tenants[w%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			run := func(args ...string) (result, bool) {
				r := h.proc(in(tn.name, tn.admin, args...)...)
				mu.Lock()
				defer mu.Unlock()
				processes++
				if r.code != 0 || strings.Contains(strings.ToLower(r.errOut), "busy") || strings.Contains(strings.ToLower(r.errOut), "locked") {
					failures = append(failures, fmt.Sprintf("%s: exit %d: %s", strings.Join(args, " "), r.code, r.errOut))
					return r, false
				}
				return r, true
			}
			for i := 0; time.Now().Before(deadline); i++ {
				r, ok := run("--user", tn.user, "request", "create", "--name", fmt.Sprintf("w%d-%04d", w, i), "--size", "S",
					"--project", fmt.Sprintf("p%d", i%3), "--justification", "soak test of dvmm writers")
				if !ok {
					return
				}
				id := strings.TrimSpace(r.out)
				end := app.StatusPending
				switch i % 4 {
				case 0:
					_, ok = run("request", "approve", id, "--expect-version", "1")
					end = app.StatusReady
				case 1:
					_, ok = run("request", "reject", id, "--reason", "the soak test rejects this one")
					end = app.StatusRejected
				case 2:
					_, ok = run("--user", tn.user, "request", "cancel", id)
					end = app.StatusCancelled
				}
				mu.Lock()
				want[id] = outcome{tn.name, end}
				mu.Unlock()
				if !ok {
					return
				}
				if i%5 == 0 {
					if _, ok := run("request", "list", "--status", "provisioning", "-o", "json"); !ok {
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	for _, f := range failures {
		t.Errorf("a writer failed: %s", f)
	}
	if t.Failed() {
		t.FailNow()
	}

	// Let serve finish the approved work, then stop it as an operator would.
	t.Logf("writers stopped after %s", time.Since(deadline.Add(-soak)).Round(time.Millisecond))
	ctx := context.Background()
	db, err := store.Open(ctx, h.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for wait := time.Now().Add(2 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		busy := 0
		for _, tn := range tenants {
			for _, st := range []app.Status{app.StatusApproved, app.StatusProvisioning} {
				vs, err := db.ListRequests(ctx, app.RequestFilter{Tenant: tn.name, Status: st})
				if err != nil {
					t.Fatal(err)
				}
				busy += len(vs)
			}
		}
		if busy == 0 {
			break
		}
		if time.Now().After(wait) {
			t.Fatalf("%d requests still provisioning two minutes after the writers stopped; serve says:\n%s", busy, tail(serveErr.String(), 20))
		}
	}
	t.Logf("serve drained the queue %s after the writers stopped", time.Since(deadline).Round(time.Millisecond))
	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = serve.Wait()
	serveDone = true
	if err != nil {
		t.Errorf("serve ended with %v:\n%s", err, tail(serveErr.String(), 20))
	}
	for _, line := range strings.Split(serveErr.String(), "\n") {
		if l := strings.ToLower(line); strings.Contains(l, "busy") || strings.Contains(l, "locked") || strings.Contains(l, `"level":"error"`) {
			t.Errorf("serve logged: %s", line)
		}
	}

	// No gap in the sequence, and every successful command is in the log.
	var n, last int64
	created, decided := map[string]bool{}, map[string]string{}
	if err := db.ForEachEvent(ctx, func(e app.Event) error {
		n++
		if e.Seq != last+1 {
			t.Errorf("sequence jumps from %d to %d", last, e.Seq)
		}
		last = e.Seq
		switch e.Type {
		case app.EvRequestCreated:
			created[e.StreamID] = true
		case app.EvRequestApproved, app.EvRequestRejected, app.EvRequestCancelled:
			if decided[e.StreamID] != "" {
				t.Errorf("request %s decided twice: %s and %s", e.StreamID, decided[e.StreamID], e.Type)
			}
			decided[e.StreamID] = e.Type
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if count, _ := db.CountEvents(ctx); count != n || n != last {
		t.Errorf("%d events counted, %d walked, last sequence %d", count, n, last)
	}
	approved := 0
	for id, o := range want {
		if !created[id] || (decided[id] == "") != (o.status == app.StatusPending) {
			t.Errorf("request %s: created %v, decision %q in the log", id, created[id], decided[id])
		}
		v, err := db.Request(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if v.Tenant != o.tenant || v.Status != o.status {
			t.Errorf("request %s of %s is %s, want %s of %s", id, v.Tenant, v.Status, o.status, o.tenant)
		}
		if o.status == app.StatusReady {
			approved++
		}
	}
	if len(created) != len(want) {
		t.Errorf("the log holds %d created requests, the writers made %d", len(created), len(want))
	}
	if vms, err := sim.CountVMs(ctx, "dvmm"); err != nil || vms != approved {
		t.Errorf("vCenter holds %d VMs (%v), want one per approved request: %d", vms, err, approved)
	}

	// The read models equal a rebuild from the log.
	ids := make([]string, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	snapshot := func() map[string]string {
		out := map[string]string{"tenant list": h.must("tenant", "list", "-o", "json")}
		for _, tn := range tenants {
			for _, args := range [][]string{{"request", "list"}, {"vm", "list"}, {"queue", "list"}, {"vmware", "show"},
				{"request", "list", "--status", "ready"}, {"request", "list", "--status", "rejected"}, {"request", "list", "--status", "pending"},
				{"request", "list", "--status", "cancelled"}, {"request", "list", "--project", "p1"}, {"request", "list", "--mine"}} {
				out[tn.name+" "+strings.Join(args, " ")] = h.must(in(tn.name, tn.admin, append(args, "-o", "json")...)...)
			}
		}
		for _, id := range ids {
			o := want[id]
			out["request show "+id] = h.must(in(o.tenant, admins[o.tenant], "request", "show", id, "-o", "json")...)
		}
		return out
	}
	t.Logf("checks of the log done %s after the writers stopped", time.Since(deadline).Round(time.Millisecond))
	before := snapshot()
	h.must("admin", "rebuild")
	after := snapshot()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s differs after rebuild:\nbefore: %s\nafter:  %s", k, v, after[k])
		}
	}
	t.Logf("%d dvmm processes over %s beside one serve: %d requests (%d approved and READY, %d VMs), %d events with sequence 1..%d and no gap; %d answers equal after rebuild",
		processes, soak, len(want), approved, approved, n, last, len(before))
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

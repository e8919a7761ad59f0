package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/store/postgres/pgtest"
	"github.com/dvmm/dvmm/internal/vsphere"
	"github.com/dvmm/dvmm/internal/vsphere/simproc"
)

// Several serve machines on one PostgreSQL database: each 'serve' here is
// an OS process of its own with its own worker ids, as it would be on its
// own host.

// serveProc is one running 'dvmm serve'.
type serveProc struct {
	cmd    *exec.Cmd
	errOut *safeBuffer // written by the process's pipe while tests read it
}

// startServe starts a long-running 'dvmm serve' process.
func (h *harness) startServe(args ...string) *serveProc {
	h.t.Helper()
	errOut := &safeBuffer{}
	cmd := h.command(context.Background(), append([]string{"serve", "--log-format", "json"}, args...)...)
	cmd.Stderr = errOut
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, errOut: errOut}
	h.t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
	})
	return p
}

// stop ends the process with SIGTERM and returns its exit code and how
// many commands it ran, from its last log line.
func (p *serveProc) stop(t testing.TB) (code, ran int) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	_ = p.cmd.Wait()
	m := regexp.MustCompile(`"msg":"serve stopped","ran":(\d+)`).FindStringSubmatch(p.errOut.String())
	if m == nil {
		t.Fatalf("serve (pid %d) logged no stop line:\n%s", p.cmd.Process.Pid, tail(p.errOut.String(), 2000))
	}
	ran, _ = strconv.Atoi(m[1])
	return p.cmd.ProcessState.ExitCode(), ran
}

// machineSetup makes a tenant on a simulator and n approved requests.
func machineSetup(h *harness, n int, opts vsphere.SimOptions) (*simproc.Sim, []string) {
	h.t.Helper()
	sim, pw := h.startSimWith("vc", opts)
	h.must("tenant", "create", "acme", "--admin", "alice")
	h.must("--user", "alice", "--tenant", "acme", "project", "create", "shop")
	h.must("--user", "alice", "tenant", "add-member", "acme", "bob")
	h.must(in("acme", "alice", append(vmwareSet(sim, pw), "--max-tasks", "64")...)...)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = h.must(in("acme", "bob", "request", "create", "--name", fmt.Sprintf("web-%03d", i), "--size", "S", "--project", "shop", "--justification", "several serve machines")...)
		h.must(in("acme", "alice", "request", "approve", ids[i])...)
	}
	return sim, ids
}

// waitReady waits until every request of the tenant has ended, and fails
// the test if one is not READY.
func waitReady(h *harness, db testDB, n int, within time.Duration) {
	h.t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(within)
	for {
		vs, err := db.ListRequests(ctx, app.RequestFilter{Tenant: "acme"})
		if err != nil {
			h.t.Fatal(err)
		}
		ready, ended := 0, 0
		for _, v := range vs {
			if v.Status.Terminal() {
				ended++
			}
			if v.Status == app.StatusReady {
				ready++
			}
		}
		if ended == n {
			if ready != n {
				h.t.Fatalf("%d of %d requests are READY", ready, n)
			}
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("after %s, %d of %d requests have ended", within, ended, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkOneVMEach checks that each request is READY with a VM of its own,
// that vCenter holds exactly those VMs, and returns each request's events
// counted by type.
func checkOneVMEach(h *harness, db testDB, sim *simproc.Sim, ids []string) map[string]map[string]int {
	h.t.Helper()
	ctx := context.Background()
	vms, err := sim.ListVMs(ctx, "dvmm")
	if err != nil {
		h.t.Fatal(err)
	}
	inVC := map[string]int{}
	for _, vm := range vms {
		inVC[vm.InstanceUUID]++
	}
	for _, id := range ids {
		v, err := db.Request(ctx, id)
		if err != nil {
			h.t.Fatal(err)
		}
		if v.Status != app.StatusReady || v.VM == nil || inVC[v.VM.InstanceUUID] != 1 {
			h.t.Errorf("request %s: %s, VM %+v; want READY with one VM in vCenter", app.ShortID(id), v.Status, v.VM)
		}
	}
	if len(vms) != len(ids) {
		h.t.Errorf("vCenter holds %d VMs, want %d", len(vms), len(ids))
	}
	perRequest := map[string]map[string]int{}
	if err := db.ForEachEvent(ctx, func(e app.Event) error {
		id := e.StreamID
		if e.StreamType == app.StreamVM {
			id = app.RequestIDOfVM(id)
		}
		if e.StreamType != app.StreamRequest && e.StreamType != app.StreamVM {
			return nil
		}
		if perRequest[id] == nil {
			perRequest[id] = map[string]int{}
		}
		perRequest[id][e.Type]++
		return nil
	}); err != nil {
		h.t.Fatal(err)
	}
	return perRequest
}

// TestServeMachinesOnPostgres: three serve processes on one PostgreSQL
// database drain 60 approvals against the simulator. Every request gets
// one VM, every command runs once (one attempt each, and every request's
// log is the same events, each the same number of times), all three
// processes take work, and each stops with exit 0 on SIGTERM.
func TestServeMachinesOnPostgres(t *testing.T) {
	const n = 60
	h := newHarnessOn(t, pgtest.NewDatabase(t))
	sim, ids := machineSetup(h, n, vsphere.SimOptions{CloneDelay: 300 * time.Millisecond, IPDelay: 10 * time.Millisecond})
	db := h.open()
	var procs []*serveProc
	for range 3 {
		procs = append(procs, h.startServe("--workers", "4", "--lease", "10s", "--poll", "1s"))
	}
	waitReady(h, db, n, 3*time.Minute)
	for i, p := range procs {
		code, ran := p.stop(t)
		if code != 0 || ran == 0 {
			t.Errorf("serve %d (pid %d): exit %d after running %d commands; want exit 0 and some work", i, p.cmd.Process.Pid, code, ran)
		}
		t.Logf("serve %d (pid %d) ran %d commands", i, p.cmd.Process.Pid, ran)
	}
	perRequest := checkOneVMEach(h, db, sim, ids)
	want := perRequest[ids[0]]
	for _, typ := range []string{app.EvRequestApproved, app.EvVMProvisioningStarted, app.EvVMProvisioned} {
		if want[typ] != 1 {
			t.Errorf("request %s has %d %s events, want 1", app.ShortID(ids[0]), want[typ], typ)
		}
	}
	for _, typ := range []string{app.EvVMRetryScheduled, app.EvVMProvisioningFailed, app.EvVMWaitingForSlot, app.EvVMWaitingForVCenter} {
		if want[typ] != 0 {
			t.Errorf("request %s has %d %s events, want none", app.ShortID(ids[0]), want[typ], typ)
		}
	}
	total := 0
	for _, id := range ids {
		if got := fmt.Sprint(perRequest[id]); got != fmt.Sprint(want) {
			t.Errorf("request %s has events %s, request %s has %s", app.ShortID(id), got, app.ShortID(ids[0]), fmt.Sprint(want))
		}
		for _, c := range perRequest[id] {
			total += c
		}
	}
	cmds, err := db.ListCommands(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	perType := map[string]int{}
	for _, c := range cmds {
		perType[c.Type]++
		if c.Attempts != 1 || c.Status != app.CommandDone {
			t.Errorf("command %d (%s of %s): %s after %d attempts; want done after 1", c.ID, c.Type, app.ShortID(c.RequestID), c.Status, c.Attempts)
		}
	}
	if perType[app.CmdProvisionVM] != n || perType[app.CmdCreateVM] != n {
		t.Errorf("commands %v, want %d of each", perType, n)
	}
	t.Logf("%d requests: %d events on their streams (%d each), %d commands", n, total, total/n, len(cmds))
}

// TestServeMachineKilledMidClone: three serve processes on one PostgreSQL
// database; the one that holds a clone in flight is killed with SIGKILL.
// Its lease runs out, another process adopts the VM the clone made, and
// every request ends READY with exactly one VM.
func TestServeMachineKilledMidClone(t *testing.T) {
	const n = 3
	h := newHarnessOn(t, pgtest.NewDatabase(t))
	sim, ids := machineSetup(h, n, vsphere.SimOptions{CloneDelay: 3 * time.Second, IPDelay: 10 * time.Millisecond})
	db := h.open()
	byPid := map[int]*serveProc{}
	for range 3 {
		p := h.startServe("--workers", "1", "--lease", "5s", "--poll", "1s")
		byPid[p.cmd.Process.Pid] = p
	}
	ctx := context.Background()
	// Wait until vCenter has a clone and find the process that holds it.
	var victim *serveProc
	var victimRequest string
	for deadline := time.Now().Add(30 * time.Second); victim == nil; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no clone reached vCenter within 30s")
		}
		if calls, err := sim.Calls(ctx, "CloneVM_Task"); err != nil || calls == 0 {
			continue
		}
		cmds, err := db.ListCommands(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cmds {
			if c.Type != app.CmdCreateVM || c.Status != app.CommandPending || c.ClaimedBy == "" {
				continue
			}
			if pid, ok := workerPid(c.ClaimedBy); ok && byPid[pid] != nil {
				victim, victimRequest = byPid[pid], c.RequestID
				break
			}
		}
	}
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = victim.cmd.Wait()
	t.Logf("killed serve pid %d while it cloned for request %s", victim.cmd.Process.Pid, app.ShortID(victimRequest))
	waitReady(h, db, n, 2*time.Minute)
	for pid, p := range byPid {
		if p == victim {
			continue
		}
		if code, _ := p.stop(t); code != 0 {
			t.Errorf("serve pid %d: exit %d, want 0", pid, code)
		}
	}
	checkOneVMEach(h, db, sim, ids)
	tl, err := db.Timeline(ctx, victimRequest)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range tl {
		lines = append(lines, timelineText(e))
	}
	t.Logf("timeline of the killed process's request:\n%s", strings.Join(lines, "\n"))
}

// workerPid reads the process id out of a serve worker id
// (serve:HOST:PID:suffix).
func workerPid(worker string) (int, bool) {
	parts := strings.Split(worker, ":")
	if len(parts) != 4 || parts[0] != "serve" {
		return 0, false
	}
	pid, err := strconv.Atoi(parts[2])
	return pid, err == nil && pid != os.Getpid()
}

// TestServeWakesOnNotify: on PostgreSQL an idle serve whose poll is a
// minute takes newly approved work when the approval commits (its
// NOTIFY), not at its next poll.
func TestServeWakesOnNotify(t *testing.T) {
	h := newHarnessOn(t, pgtest.NewDatabase(t))
	sim, ids := machineSetup(h, 0, vsphere.SimOptions{})
	db := h.open()
	p := h.startServe("--workers", "1", "--poll", "1m")
	// Let serve start and look once: the queue is empty, so its worker
	// sleeps until the next poll or a notification.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.errOut.String(), "serve started") {
		if time.Now().After(deadline) {
			t.Fatal("serve did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	id := h.must(in("acme", "bob", "request", "create", "--name", "web-001", "--size", "S", "--project", "shop", "--justification", "wake-ups on PostgreSQL")...)
	h.must(in("acme", "alice", "request", "approve", id)...)
	// Well under the minute the poll would take.
	waitReady(h, db, 1, 20*time.Second)
	// It ran the CreateVm work, and the ProvisionVm command too when it
	// woke before approve ran that itself.
	if code, ran := p.stop(t); code != 0 || ran < 1 || ran > 2 {
		t.Errorf("serve: exit %d after %d commands, want 0 after 1 or 2", code, ran)
	}
	checkOneVMEach(h, db, sim, append(ids, id))
}

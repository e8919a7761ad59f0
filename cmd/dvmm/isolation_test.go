package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
	"github.com/dvmm/dvmm/internal/vsphere/simproc"
)

// TestTenantIsolation: a member of one tenant cannot see or act on another
// tenant's requests, VMs, queued work or VMware settings through any
// command; each attempt is refused exactly as an unknown id of the same
// shape is (same exit code, same message but for the id echoed), and
// leaves the event log as it was. Each tenant's VMs are made with its own
// VMware settings only: in its own vCenter, or nowhere when it has none.
func TestTenantIsolation(t *testing.T) {
	h := newHarness(t)
	simA, pwA := h.startSim("acme")
	simB, pwB := h.startSim("globex")

	h.must("tenant", "create", "acme", "--admin", "alice")
	h.must("--user", "alice", "--tenant", "acme", "project", "create", "shop")
	h.must("--user", "alice", "tenant", "add-member", "acme", "bob")
	h.must("tenant", "create", "globex", "--admin", "gina")
	h.must("--user", "gina", "--tenant", "globex", "project", "create", "shop")
	h.must("--user", "gina", "tenant", "add-member", "globex", "gus")
	h.must("tenant", "create", "initech", "--admin", "ivan")
	h.must("--user", "ivan", "--tenant", "initech", "project", "create", "shop")
	h.must("--user", "ivan", "tenant", "add-member", "initech", "ian")
	h.must(in("acme", "alice", vmwareSet(simA, pwA)...)...)
	h.must(in("globex", "gina", vmwareSet(simB, pwB)...)...)

	create := func(tenant, user, name string) string {
		return h.must(in(tenant, user, "request", "create", "--name", name, "--size", "S", "--project", "shop", "--justification", "isolation tests of dvmm")...)
	}
	// acme: a pending request, a ready VM, a rejected request.
	aPending := create("acme", "bob", "web-01")
	aReady := create("acme", "bob", "db-07")
	h.must(in("acme", "alice", "request", "approve", aReady, "--wait")...)
	aRejected := create("acme", "bob", "web-03")
	h.must(in("acme", "alice", "request", "reject", aRejected, "--reason", "not in this quarter's budget")...)
	// initech has no VMware settings: its approved request fails, although
	// acme's and globex's settings exist.
	iFailed := create("initech", "ian", "web-01")
	h.must(in("initech", "ivan", "request", "approve", iFailed)...)
	var iView struct {
		Status   string `json:"status"`
		Timeline []struct {
			Text string `json:"text"`
		} `json:"timeline"`
	}
	decode(t, h.must(in("initech", "ian", "request", "show", iFailed, "-o", "json")...), &iView)
	if iView.Status != "failed" || !timelineHas(iView.Timeline, "VMware not configured") {
		t.Fatalf("initech's request: status %s, timeline %+v; want failed with \"VMware not configured\"", iView.Status, iView.Timeline)
	}
	// globex: same names as acme's, one of them ready.
	gPending := create("globex", "gus", "web-01")
	gReady := create("globex", "gus", "web-02")
	h.must(in("globex", "gina", "request", "approve", gReady, "--wait")...)

	var acmeQueue []app.QueueItem
	decode(t, h.must(in("acme", "alice", "queue", "list", "-o", "json")...), &acmeQueue)
	if len(acmeQueue) == 0 {
		t.Fatal("acme has no queued commands to try")
	}
	acmeVMware := h.must(in("acme", "alice", "vmware", "show", "-o", "json")...)

	all := map[string]bool{aPending: true, aReady: true, aRejected: true, iFailed: true, gPending: true, gReady: true}
	unknownID := func(n int) string {
		for {
			id := app.NewID()[:n]
			clash := false
			for known := range all {
				clash = clash || strings.HasPrefix(known, id)
			}
			if !clash {
				return id
			}
		}
	}

	before := h.log()
	tried := 0
	// same runs args with the other tenant's ref and with an unknown one
	// of the same shape, and wants the same refusal from both.
	same := func(what string, args []string, foreign, unknown string, code int) {
		t.Helper()
		fill := func(ref string) []string {
			out := make([]string, len(args))
			for i, a := range args {
				out[i] = strings.ReplaceAll(a, "{}", ref)
			}
			return out
		}
		got, want := h.run(fill(foreign)...), h.run(fill(unknown)...)
		tried++
		gotMsg := strings.ReplaceAll(got.errOut, foreign, "<ref>")
		wantMsg := strings.ReplaceAll(want.errOut, unknown, "<ref>")
		switch {
		case got.code != code || want.code != code:
			t.Errorf("%s: exit %d for another tenant's %s and %d for an unknown one, want %d; stderr %q", what, got.code, foreign, want.code, code, got.errOut)
		case gotMsg != wantMsg:
			t.Errorf("%s: another tenant's ref gives\n  %q\nan unknown one gives\n  %q", what, gotMsg, wantMsg)
		case strings.Count(gotMsg, "\n") != 1 || got.out != "":
			t.Errorf("%s: want one line on stderr and nothing on stdout, got %q and %q", what, got.errOut, got.out)
		}
		if after := h.log(); !after.equal(before) {
			t.Fatalf("%s changed the event log: %d events (was %d)", what, after.count, before.count)
		}
	}

	type attempt struct {
		tenant, user string
		args         []string
	}
	attempts := []attempt{
		{"globex", "gina", []string{"request", "show", "{}"}},
		{"globex", "gina", []string{"request", "show", "{}", "-o", "json"}},
		{"globex", "gus", []string{"request", "show", "{}"}},
		{"globex", "gina", []string{"request", "approve", "{}"}},
		{"globex", "gina", []string{"request", "approve", "{}", "--expect-version", "1"}},
		{"globex", "gina", []string{"request", "approve", "{}", "--wait"}},
		{"globex", "gina", []string{"request", "reject", "{}", "--reason", "not our request at all"}},
		{"globex", "gina", []string{"request", "cancel", "{}"}},
		{"globex", "gus", []string{"request", "cancel", "{}"}},
		{"globex", "gina", []string{"request", "retry", "{}"}},
		{"globex", "gina", []string{"request", "retry", "{}", "--wait"}},
		{"globex", "gina", []string{"vm", "status", "{}"}},
		{"globex", "gus", []string{"vm", "status", "{}", "-o", "json"}},
		{"globex", "gina", []string{"vm", "status", "vm-{}"}},
		{"initech", "ivan", []string{"request", "approve", "{}", "--wait"}},
		{"initech", "ian", []string{"vm", "status", "{}"}},
	}
	victims := []string{aPending, aReady, aRejected, iFailed}
	for _, a := range attempts {
		for _, v := range victims {
			if a.tenant == "initech" && v == iFailed {
				continue
			}
			same(a.tenant+" "+strings.Join(a.args, " ")+" on "+v, in(a.tenant, a.user, a.args...), v, unknownID(len(v)), ExitNotFound)
		}
		// a prefix of another tenant's id matches nothing either
		same(a.tenant+" "+strings.Join(a.args, " ")+" on a prefix", in(a.tenant, a.user, a.args...), aReady[:5], unknownID(5), ExitNotFound)
	}
	// acme's VM by its name, which no globex request has
	same("vm status by another tenant's VM name", in("globex", "gina", "vm", "status", "{}"), "db-07", "db-08", ExitNotFound)
	// acme's queued commands by number
	for _, c := range acmeQueue {
		same("queue retry of another tenant's command", in("globex", "gina", "queue", "retry", "{}"), strconv.FormatInt(c.ID, 10), "99999", ExitNotFound)
	}

	// Lists hold the tenant's own things only.
	own := map[string]bool{gPending: true, gReady: true}
	for _, args := range [][]string{
		{"request", "list", "-o", "json"}, {"request", "list", "--status", "ready", "-o", "json"},
		{"request", "list", "--status", "pending", "-o", "json"}, {"request", "list", "--status", "failed", "-o", "json"},
		{"request", "list", "--project", "shop", "-o", "json"}, {"vm", "list", "-o", "json"},
		{"request", "list"}, {"vm", "list"}, {"queue", "list"},
	} {
		out := h.must(in("globex", "gina", args...)...)
		for id := range all {
			if !own[id] && strings.Contains(out, id) {
				t.Errorf("globex's %s shows %s of another tenant:\n%s", strings.Join(args, " "), id, out)
			}
		}
		if args[len(args)-1] != "json" {
			continue
		}
		var rows []struct {
			ID        string `json:"id"`
			Tenant    string `json:"tenant"`
			RequestID string `json:"request_id"`
		}
		decode(t, out, &rows)
		for _, r := range rows {
			if args[0] == "vm" && !own[r.RequestID] || args[0] == "request" && (r.Tenant != "globex" || !own[r.ID]) {
				t.Errorf("globex's %s lists %+v", strings.Join(args, " "), r)
			}
		}
	}
	var queue []app.QueueItem
	decode(t, h.must(in("globex", "gina", "queue", "list", "-o", "json")...), &queue)
	for _, c := range queue {
		if c.Tenant != "globex" || !own[c.RequestID] {
			t.Errorf("globex's queue holds command %d of tenant %s, request %s", c.ID, c.Tenant, c.RequestID)
		}
	}
	if r := h.run(in("initech", "ivan", "queue", "list", "-o", "json")...); r.code != 0 || strings.Contains(r.out, aReady) || strings.Contains(r.out, gReady) {
		t.Errorf("initech's queue: exit %d, %s", r.code, r.out)
	}
	// globex's VM named like an acme request is globex's own.
	var st contract.VMStatus
	decode(t, h.must(in("globex", "gus", "vm", "status", "web-02", "-o", "json")...), &st)
	if st.RequestID != gReady || st.Live == nil || st.Recorded == nil || st.Live.InstanceUUID != st.Recorded.InstanceUUID {
		t.Errorf("globex's vm status web-02: %+v, want request %s as its vCenter sees it", st, gReady)
	}

	// VMware settings: each tenant sees its own; one without sees none.
	gVMware := h.must(in("globex", "gus", "vmware", "show", "-o", "json")...)
	if !strings.Contains(gVMware, simB.URL()) || strings.Contains(gVMware, simA.URL()) {
		t.Errorf("globex's vmware show is not globex's settings:\n%s", gVMware)
	}
	for _, args := range [][]string{{"vmware", "show"}, {"vmware", "show", "-o", "json"}, {"vmware", "test"}, {"vmware", "test", "-o", "json"}} {
		r := h.run(in("initech", "ivan", args...)...)
		tried++
		if r.code != ExitNotFound || r.errOut != "dvmm: VMware is not configured for tenant initech: an admin runs 'dvmm vmware set'\n" || r.out != "" {
			t.Errorf("initech %s: exit %d, stdout %q, stderr %q; want not configured", strings.Join(args, " "), r.code, r.out, r.errOut)
		}
	}
	// another tenant's admin setting their own settings leaves acme's alone
	h.must(in("globex", "gina", append(vmwareSet(simB, pwB), "--ip-timeout", "45s")...)...)
	if got := h.must(in("acme", "alice", "vmware", "show", "-o", "json")...); got != acmeVMware {
		t.Errorf("acme's settings changed when globex set its own:\n%s\nwas\n%s", got, acmeVMware)
	}
	// a member of one tenant is no one in another
	if r := h.run(in("globex", "bob", "request", "show", aPending)...); r.code != ExitForbidden {
		t.Errorf("bob of acme acting in globex: exit %d (%s), want %d", r.code, r.errOut, ExitForbidden)
	}

	// Work of several tenants drained by one serve lands in each tenant's
	// own vCenter.
	h.must(in("acme", "alice", "request", "approve", aPending)...)
	h.must(in("globex", "gina", "request", "approve", gPending)...)
	iQueued := create("initech", "ian", "web-05")
	h.must(in("initech", "ivan", "request", "approve", iQueued)...)
	if r := h.proc("serve", "--once", "--log-format", "json"); r.code != 0 {
		t.Fatalf("serve --once: exit %d: %s", r.code, r.errOut)
	}
	wantIn := func(sim *simproc.Sim, tenant, user string, ids ...string) {
		t.Helper()
		vms, err := sim.ListVMs(context.Background(), "dvmm")
		if err != nil {
			t.Fatal(err)
		}
		if len(vms) != len(ids) {
			t.Errorf("%s's vCenter holds %d VMs, want %d: %+v", tenant, len(vms), len(ids), vms)
		}
		uuids := map[string]bool{}
		for _, vm := range vms {
			uuids[vm.InstanceUUID] = true
			if !strings.HasPrefix(vm.Folder, "dvmm/"+tenant+"/") {
				t.Errorf("%s's vCenter holds %s in folder %s", tenant, vm.Name, vm.Folder)
			}
		}
		for _, id := range ids {
			var v app.RequestView
			decode(t, h.must(in(tenant, user, "request", "show", id, "-o", "json")...), &v)
			if v.Status != app.StatusReady || v.VM == nil || !uuids[v.VM.InstanceUUID] {
				t.Errorf("request %s of %s: status %s, VM %+v; want ready in its tenant's vCenter", id, tenant, v.Status, v.VM)
			}
		}
	}
	wantIn(simA, "acme", "bob", aReady, aPending)
	wantIn(simB, "globex", "gus", gReady, gPending)
	decode(t, h.must(in("initech", "ian", "request", "show", iQueued, "-o", "json")...), &iView)
	if iView.Status != "failed" || !timelineHas(iView.Timeline, "VMware not configured") {
		t.Errorf("initech's second request: %s %+v; want failed, VMware not configured", iView.Status, iView.Timeline)
	}
	t.Logf("%d attempts across tenants refused like unknown ids", tried)
}

func decode(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
}

func timelineHas(tl []struct {
	Text string `json:"text"`
}, text string) bool {
	for _, e := range tl {
		if e.Text == text {
			return true
		}
	}
	return false
}

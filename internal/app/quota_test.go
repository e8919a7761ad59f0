package app_test

import (
	"testing"

	"github.com/dvmm/dvmm/internal/app"
)

// An S request is 2 vCPU, 4 GB of memory and 50 GB of disk.

func TestSetQuotaRefuses(t *testing.T) {
	w := newWorld(t)
	before := w.events()
	for _, tc := range []struct {
		name    string
		actor   app.Actor
		project string
		limits  app.Amount
		kind    app.Kind
	}{
		{"a user", w.bob, "", app.Amount{VMs: 1}, app.KindForbidden},
		{"a negative limit", w.alice, "", app.Amount{CPUs: -1}, app.KindInvalid},
		{"a limit too large", w.alice, "", app.Amount{MemoryGB: 1_000_001}, app.KindInvalid},
		{"a project name that is no name", w.alice, "Shop!", app.Amount{VMs: 1}, app.KindInvalid},
		{"no tenant", app.Actor{User: "alice"}, "", app.Amount{VMs: 1}, app.KindInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.app.SetQuota(w.ctx, tc.actor, tc.project, tc.limits)
			w.wantKind(err, tc.kind)
		})
	}
	if w.events() != before {
		t.Fatalf("a refused quota changed the log")
	}
}

// TestQuotaOnCreate: a create that would pass the tenant's or the
// project's limit is refused with the numbers; what a rejected or
// cancelled request held is free again.
func TestQuotaOnCreate(t *testing.T) {
	w := newWorld(t)
	_, err := w.app.SetQuota(w.ctx, w.alice, "", app.Amount{CPUs: 5})
	w.must(err)
	a := w.create(w.bob, "web-01")
	w.create(w.bob, "web-02")
	before := w.events()
	_, err = w.app.CreateRequest(w.ctx, w.bob, app.NewRequestInput{Name: "web-03", Size: "S", Project: "shop", Justification: "load tests for the shop"})
	w.wantKind(err, app.KindConflict)
	if got, want := app.ErrorMessage(err), "quota of tenant acme: vCPU 4 of 5 used, this request needs 2"; got != want {
		t.Errorf("refusal says %q, want %q", got, want)
	}
	if app.ErrorCode(err) != app.CodeQuotaExceeded || w.events() != before {
		t.Errorf("code %s, log %d → %d events", app.ErrorCode(err), before, w.events())
	}
	_, err = w.app.Cancel(w.ctx, w.bob, a.ID)
	w.must(err)
	w.create(w.bob, "web-03")

	// a project's own limit, under the tenant's
	_, err = w.app.SetQuota(w.ctx, w.alice, "", app.Amount{})
	w.must(err)
	_, err = w.app.SetQuota(w.ctx, w.alice, "lab", app.Amount{VMs: 1})
	w.must(err)
	lab := func(name string) error {
		_, err := w.app.CreateRequest(w.ctx, w.bob, app.NewRequestInput{Name: name, Size: "S", Project: "lab", Justification: "load tests for the lab"})
		return err
	}
	w.must(lab("lab-01"))
	err = lab("lab-02")
	if got, want := app.ErrorMessage(err), "quota of project lab of tenant acme: VMs 1 of 1 used, this request needs 1"; got != want {
		t.Errorf("refusal says %q, want %q", got, want)
	}
	q, err := w.app.ShowQuota(w.ctx, w.carol, "lab")
	w.must(err)
	if q.Used != (app.Amount{VMs: 1, CPUs: 2, MemoryGB: 4, DiskGB: 50}) || q.Limits != (app.Amount{VMs: 1}) {
		t.Errorf("quota of lab: %+v", q)
	}
	q, err = w.app.ShowQuota(w.ctx, w.carol, "")
	w.must(err)
	if q.Used.VMs != 3 || q.Pending.VMs != 3 {
		t.Errorf("quota of acme: %+v, want 3 VMs used, all pending", q)
	}
}

// TestQuotaOnApproval: with the limit lowered below what is pending, the
// approvals that fit pass and the next is refused; a READY request still
// counts and a rejected one frees its share.
func TestQuotaOnApproval(t *testing.T) {
	w := newWorld(t)
	w.vmware()
	a, b, c := w.create(w.bob, "web-01"), w.create(w.bob, "web-02"), w.create(w.bob, "web-03")
	_, err := w.app.SetQuota(w.ctx, w.alice, "shop", app.Amount{VMs: 2})
	w.must(err)
	_, err = w.app.Approve(w.ctx, w.alice, a.ID, 1)
	w.must(err)
	w.drain()
	_, err = w.app.Approve(w.ctx, w.alice, b.ID, 1)
	w.must(err)
	before := w.events()
	_, err = w.app.Approve(w.ctx, w.alice, c.ID, 1)
	if got, want := app.ErrorMessage(err), "quota of project shop of tenant acme: VMs 2 of 2 used, this request needs 1"; got != want {
		t.Fatalf("third approval: %q, want %q", got, want)
	}
	if w.events() != before || w.request(c.ID).Status != app.StatusPending {
		t.Fatalf("a refused approval changed the log or the request")
	}
	_, err = w.app.Reject(w.ctx, w.alice, b.ID, "not this quarter", 0)
	w.wantKind(err, app.KindConflict) // already approved: a rejection does not apply
	_, err = w.app.Cancel(w.ctx, w.bob, c.ID)
	w.must(err)
	q, err := w.app.ShowQuota(w.ctx, w.bob, "shop")
	w.must(err)
	if q.Used.VMs != 2 || q.Pending.VMs != 0 {
		t.Errorf("quota of shop: %+v, want 2 VMs used, none pending", q)
	}
}

// TestPreviewRequestWritesNothing: the dry run shows the request and the
// quota after it, and the log and read models stay as they were.
func TestPreviewRequestWritesNothing(t *testing.T) {
	w := newWorld(t)
	_, err := w.app.SetQuota(w.ctx, w.alice, "shop", app.Amount{VMs: 5, CPUs: 10})
	w.must(err)
	w.create(w.bob, "web-01")
	before := w.events()
	v, qs, err := w.app.PreviewRequest(w.ctx, w.bob, app.NewRequestInput{Name: "web-02", Size: "S", Project: "shop", Justification: "load tests for the shop"})
	w.must(err)
	after2 := app.Amount{VMs: 2, CPUs: 4, MemoryGB: 8, DiskGB: 100}
	if v.Name != "web-02" || v.Status != app.StatusPending || len(qs) != 2 || qs[0].Project != "" || qs[0].Used != after2 ||
		qs[1].Project != "shop" || qs[1].Used != after2 || qs[1].Limits != (app.Amount{VMs: 5, CPUs: 10}) {
		t.Errorf("preview: %+v, quotas %+v", v, qs)
	}
	if w.events() != before {
		t.Fatalf("the preview wrote %d events", w.events()-before)
	}
	if _, err := w.store.Request(w.ctx, v.ID); app.ErrorKind(err) != app.KindNotFound {
		t.Fatalf("the previewed request is in the read model: %v", err)
	}
	after, err := w.app.ShowQuota(w.ctx, w.bob, "shop")
	w.must(err)
	if after.Used.VMs != 1 {
		t.Fatalf("after the preview the quota shows %+v", after.Used)
	}
	// A preview that would pass a limit is refused like the create.
	_, err = w.app.SetQuota(w.ctx, w.alice, "shop", app.Amount{VMs: 1})
	w.must(err)
	_, _, err = w.app.PreviewRequest(w.ctx, w.bob, app.NewRequestInput{Name: "web-02", Size: "S", Project: "shop", Justification: "load tests for the shop"})
	w.wantKind(err, app.KindConflict)
}

// TestUsageOfATenantFromBeforeQuotas: a tenant whose read model was made
// before quotas existed is counted once, from its requests, at first use.
func TestUsageOfATenantFromBeforeQuotas(t *testing.T) {
	w := newWorld(t)
	w.create(w.bob, "web-01")
	w.create(w.bob, "web-02")
	v, err := w.store.Tenant(w.ctx, "acme")
	w.must(err)
	v.Usage, v.UsageCounted = nil, false
	w.must(w.store.Update(w.ctx, func(tx app.Tx) error { return tx.PutTenant(w.ctx, v) }))
	w.create(w.bob, "web-03") // counted at this create's check, then kept
	q, err := w.app.ShowQuota(w.ctx, w.bob, "shop")
	w.must(err)
	if q.Used.VMs != 3 {
		t.Fatalf("usage after the recount: %+v, want 3 VMs", q.Used)
	}
}

package storetest

import (
	"context"
	"sync"
	"testing"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/app/apptest"
)

// UpgradeAtOnce checks that two processes (first and second: two handles
// on one database) that open a log of an earlier version at the same
// moment make each of its projects once: the log names projects only on
// its requests, and its tenant's read model was never marked.
func UpgradeAtOnce(t *testing.T, first, second app.Store) {
	ctx := context.Background()
	request := func(id, project string) app.Event {
		return app.Event{TenantID: "acme", StreamType: app.StreamRequest, StreamID: id, Type: app.EvRequestCreated, At: T0, Meta: app.Metadata{Actor: "bob"},
			Data: app.RequestCreated{Name: "web-" + id, Size: "S", CPUs: 2, MemoryGB: 4, DiskGB: 50, Project: project, Justification: "load tests for the shop", Requester: "bob"}}
	}
	old := []app.Event{
		{TenantID: "acme", StreamType: app.StreamTenant, StreamID: "acme", Type: app.EvTenantCreated, At: T0, Data: app.TenantCreated{Name: "acme", Admin: "alice"}},
		request("r1", "shop"), request("r2", "web"), request("r3", "shop"),
	}
	must(t, first.Update(ctx, func(tx app.Tx) error {
		for _, e := range old {
			stored, err := tx.Append(ctx, 0, []app.Event{e})
			if err != nil {
				return err
			}
			if err := app.Project(ctx, tx, stored[0]); err != nil {
				return err
			}
		}
		tv, err := tx.Tenant(ctx, "acme")
		if err != nil {
			return err
		}
		tv.ProjectsKnown = false
		return tx.PutTenant(ctx, tv)
	}))
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, s := range []app.Store{first, second} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := app.New(s, nil, nil)
			a.Clock = apptest.NewClock(T0)
			errs[i] = a.UpgradeProjects(ctx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		must(t, err)
	}
	events, err := first.ReadLog(ctx, 0, 100)
	must(t, err)
	made := map[string]int{}
	for _, e := range events {
		if p, ok := e.Data.(app.ProjectCreated); ok {
			if !p.Upgrade || e.Meta.Actor != app.UpgradeActor {
				t.Errorf("project %s made by %q, upgrade %v", p.Name, e.Meta.Actor, p.Upgrade)
			}
			made[p.Name]++
		}
	}
	if len(made) != 2 || made["shop"] != 1 || made["web"] != 1 {
		t.Fatalf("projects made %v, want shop and web once each", made)
	}
	tv, err := second.Tenant(ctx, "acme")
	must(t, err)
	if !tv.ProjectsKnown || len(tv.Projects) != 2 {
		t.Fatalf("tenant after the upgrade: %+v", tv)
	}
}

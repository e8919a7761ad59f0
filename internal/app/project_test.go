package app_test

import (
	"reflect"
	"testing"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/store/memstore"
)

// TestProjectRefusals: every refusal of a project's rules leaves the log
// as it was, with its kind and code.
func TestProjectRefusals(t *testing.T) {
	w := newWorld(t)
	_, err := w.app.CreateProject(w.ctx, w.alice, "old")
	w.must(err)
	_, err = w.app.ArchiveProject(w.ctx, w.alice, "old")
	w.must(err)
	_, err = w.app.CreateProject(w.ctx, w.alice, "team")
	w.must(err)
	_, err = w.app.AddProjectMember(w.ctx, w.alice, "team", "carol")
	w.must(err)
	live := w.create(w.bob, "web-01") // pending in shop
	ask := func(actor app.Actor, project string) func() error {
		return func() error {
			_, err := w.app.CreateRequest(w.ctx, actor, app.NewRequestInput{Name: "web-09", Size: "S", Project: project, Justification: "load tests for the shop"})
			return err
		}
	}
	before := w.events()
	for _, tc := range []struct {
		name string
		do   func() error
		kind app.Kind
		code string
	}{
		{"a user creates a project", func() error { _, err := w.app.CreateProject(w.ctx, w.bob, "mine"); return err }, app.KindForbidden, ""},
		{"a project twice", func() error { _, err := w.app.CreateProject(w.ctx, w.alice, "shop"); return err }, app.KindConflict, app.CodeProjectExists},
		{"a bad name", func() error { _, err := w.app.CreateProject(w.ctx, w.alice, "Bad Name"); return err }, app.KindInvalid, ""},
		{"a request in an unknown project", ask(w.bob, "nope"), app.KindNotFound, app.CodeProjectNotFound},
		{"a request in an archived project", ask(w.bob, "old"), app.KindConflict, app.CodeProjectArchived},
		{"archiving with live requests", func() error { _, err := w.app.ArchiveProject(w.ctx, w.alice, "shop"); return err }, app.KindConflict, app.CodeProjectLive},
		{"archiving an unknown project", func() error { _, err := w.app.ArchiveProject(w.ctx, w.alice, "nope"); return err }, app.KindNotFound, app.CodeProjectNotFound},
		{"a user archives", func() error { _, err := w.app.ArchiveProject(w.ctx, w.bob, "team"); return err }, app.KindForbidden, ""},
		{"a user restores", func() error { _, err := w.app.RestoreProject(w.ctx, w.bob, "old"); return err }, app.KindForbidden, ""},
		{"a member from another tenant", func() error { _, err := w.app.AddProjectMember(w.ctx, w.alice, "team", "zed"); return err }, app.KindNotFound, ""},
		{"removing a non-member", func() error { _, err := w.app.RemoveProjectMember(w.ctx, w.alice, "team", "bob"); return err }, app.KindNotFound, ""},
		{"a quota of an unknown project", func() error { _, err := w.app.SetQuota(w.ctx, w.alice, "nope", app.Amount{VMs: 1}); return err }, app.KindNotFound, app.CodeProjectNotFound},
		{"another tenant's project", func() error { _, err := w.app.ShowProject(w.ctx, w.zed, "team"); return err }, app.KindNotFound, app.CodeProjectNotFound},
		{"a user sets project access", func() error { _, err := w.app.SetProjectAccess(w.ctx, w.bob, true); return err }, app.KindForbidden, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			w.wantKind(err, tc.kind)
			if tc.code != "" && app.ErrorCode(err) != tc.code {
				t.Fatalf("code %q (%v), want %q", app.ErrorCode(err), err, tc.code)
			}
			if n := w.events(); n != before {
				t.Fatalf("%d events after the refusal, want %d", n, before)
			}
		})
	}
	d, err := w.app.ShowProject(w.ctx, w.bob, "shop")
	w.must(err)
	if d.Live != 1 || d.Quota.Used.VMs != 1 || d.Quota.Pending.VMs != 1 {
		t.Fatalf("shop shows %+v, want 1 live request reserving 1 VM", d)
	}
	_, err = w.app.Cancel(w.ctx, w.bob, live.ID)
	w.must(err)
	v, err := w.app.ArchiveProject(w.ctx, w.alice, "shop")
	w.must(err)
	if !v.Archived {
		t.Fatalf("archived shop is %+v", v)
	}
	v, err = w.app.RestoreProject(w.ctx, w.alice, "shop")
	w.must(err)
	if v.Archived {
		t.Fatalf("restored shop is %+v", v)
	}
}

// TestProjectAccess: with access limited to members, a requester asks only
// in their projects; admins anywhere.
func TestProjectAccess(t *testing.T) {
	w := newWorld(t)
	_, err := w.app.CreateProject(w.ctx, w.alice, "team")
	w.must(err)
	_, err = w.app.AddProjectMember(w.ctx, w.alice, "team", "carol")
	w.must(err)
	on, err := w.app.SetProjectAccess(w.ctx, w.alice, true)
	w.must(err)
	if !on {
		t.Fatal("access not limited")
	}
	for _, tc := range []struct {
		actor   app.Actor
		project string
		kind    app.Kind
	}{
		{w.carol, "team", ""},
		{w.bob, "team", app.KindForbidden},
		{w.carol, "shop", app.KindForbidden},
		{w.alice, "shop", ""},
	} {
		t.Run(tc.actor.User+" in "+tc.project, func(t *testing.T) {
			before := w.events()
			_, err := w.app.CreateRequest(w.ctx, tc.actor, app.NewRequestInput{Name: "vm-" + tc.actor.User + "-" + tc.project, Size: "S", Project: tc.project, Justification: "load tests for the shop"})
			w.wantKind(err, tc.kind)
			if tc.kind != "" && w.events() != before {
				t.Fatal("a refusal changed the log")
			}
		})
	}
	_, err = w.app.RemoveProjectMember(w.ctx, w.alice, "team", "carol")
	w.must(err)
	_, err = w.app.CreateRequest(w.ctx, w.carol, app.NewRequestInput{Name: "vm-again", Size: "S", Project: "team", Justification: "load tests for the shop"})
	w.wantKind(err, app.KindForbidden)
	_, err = w.app.SetProjectAccess(w.ctx, w.alice, false)
	w.must(err)
	_, err = w.app.CreateRequest(w.ctx, w.carol, app.NewRequestInput{Name: "vm-again", Size: "S", Project: "team", Justification: "load tests for the shop"})
	w.must(err)
	ps, membersOnly, err := w.app.ListProjects(w.ctx, w.bob)
	w.must(err)
	if membersOnly || len(ps) != 6 || ps[0].Name != "blog" {
		t.Fatalf("list: %v %+v", membersOnly, ps)
	}
}

// TestUpgradeProjects: a log of an earlier version, whose requests and
// quotas name projects that are not projects, gets one project.created
// per name, by dvmm and marked as an upgrade; a second run does nothing.
func TestUpgradeProjects(t *testing.T) {
	w := newWorld(t)
	w.create(w.bob, "web-01")
	_, err := w.app.SetQuota(w.ctx, w.alice, "web", app.Amount{VMs: 3})
	w.must(err)
	// The same log without its projects, as an earlier version wrote it.
	all, err := w.store.ReadLog(w.ctx, 0, 1<<20)
	w.must(err)
	old := memstore.New()
	for _, e := range all {
		if e.StreamType == app.StreamProject {
			continue
		}
		_, err := old.Append(w.ctx, e.Version-1, []app.Event{e})
		w.must(err)
	}
	a := app.New(old, w.hv, nil)
	a.Clock = w.clock
	w.must(a.Rebuild(w.ctx))
	// An earlier version's tenants were never marked.
	for _, name := range []string{"acme", "globex"} {
		tv, err := old.Tenant(w.ctx, name)
		w.must(err)
		tv.ProjectsKnown = false
		w.must(old.Update(w.ctx, func(tx app.Tx) error { return tx.PutTenant(w.ctx, tv) }))
	}
	for range 2 {
		w.must(a.UpgradeProjects(w.ctx))
	}
	ps, _, err := a.ListProjects(w.ctx, w.alice)
	w.must(err)
	var names []string
	for _, p := range ps {
		if !p.Upgrade || p.CreatedBy != app.UpgradeActor {
			t.Fatalf("project %+v not marked as an upgrade", p)
		}
		names = append(names, p.Name)
	}
	if !reflect.DeepEqual(names, []string{"shop", "web"}) {
		t.Fatalf("projects %v, want shop and web", names)
	}
	n := 0
	logged, err := old.ReadLog(w.ctx, 0, 1<<20)
	w.must(err)
	for _, e := range logged {
		if e.Type == app.EvProjectCreated {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d project.created, want 2", n)
	}
	_, err = a.CreateRequest(w.ctx, w.bob, app.NewRequestInput{Name: "web-02", Size: "S", Project: "web", Justification: "load tests for the shop"})
	w.must(err)
}

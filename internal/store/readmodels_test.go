package store_test

import (
	"context"
	"encoding/json"
	"sort"
	"testing"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
	"github.com/dvmm/dvmm/internal/store"
)

func TestResolveRequestID(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	a := newApp(db, newClock(t0))
	a.NewID = ids("aaaa2222bbbbcccc", "aaab2222bbbbcccc", "abcd2222bbbbcccc", "aaaz2222bbbbcccc", "zzzz2222bbbbcccc")
	acme := app.Actor{User: "alice", Tenant: "acme"}
	globex := app.Actor{User: "zed", Tenant: "globex"}
	_, err := a.CreateTenant(ctx, acme, "acme", "alice")
	must(t, err)
	_, err = a.CreateTenant(ctx, globex, "globex", "zed")
	must(t, err)
	for _, actor := range []app.Actor{acme, globex} {
		_, err = a.CreateProject(ctx, actor, "shop")
		must(t, err)
	}
	for i, actor := range []app.Actor{acme, acme, acme, globex, globex} {
		_, err := a.CreateRequest(ctx, actor, request("web-0"+itoa(i)))
		must(t, err)
	}

	for _, c := range []struct {
		name, tenant, prefix string
		want                 string
		kind                 app.Kind
		msg                  string
	}{
		{name: "OKFullID", tenant: "acme", prefix: "abcd2222bbbbcccc", want: "abcd2222bbbbcccc"},
		{name: "OKUniquePrefix", tenant: "acme", prefix: "abc", want: "abcd2222bbbbcccc"},
		{name: "OKLongerPrefix", tenant: "acme", prefix: "aaaa", want: "aaaa2222bbbbcccc"},
		{name: "OKOtherTenantsDoNotMakeItAmbiguous", tenant: "globex", prefix: "aaa", want: "aaaz2222bbbbcccc"},
		{name: "ErrAmbiguous", tenant: "acme", prefix: "aaa", kind: app.KindInvalid,
			msg: "id prefix aaa is ambiguous: give more characters"},
		{name: "ErrAmbiguousOneChar", tenant: "acme", prefix: "a", kind: app.KindInvalid,
			msg: "id prefix a is ambiguous: give more characters"},
		{name: "ErrOnlyInOtherTenant", tenant: "acme", prefix: "zzzz", kind: app.KindNotFound,
			msg: "request zzzz not found in your tenant"},
		{name: "ErrOtherTenantsFullID", tenant: "acme", prefix: "aaaz2222bbbbcccc", kind: app.KindNotFound,
			msg: "request aaaz2222bbbbcccc not found in your tenant"},
		{name: "ErrNoMatch", tenant: "acme", prefix: "q", kind: app.KindNotFound,
			msg: "request q not found in your tenant"},
		{name: "ErrLongerThanAnyID", tenant: "acme", prefix: "abcd2222bbbbccccd", kind: app.KindNotFound},
		{name: "ErrHighBytes", tenant: "acme", prefix: "\xff\xff", kind: app.KindNotFound},
		{name: "ErrEmpty", tenant: "acme", prefix: "", kind: app.KindInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			id, err := db.ResolveRequestID(ctx, c.tenant, c.prefix)
			if c.kind != "" {
				wantKind(t, err, c.kind)
				if c.msg != "" && err.Error() != c.msg {
					t.Errorf("error = %q, want %q", err, c.msg)
				}
				return
			}
			must(t, err)
			if id != c.want {
				t.Errorf("resolved %q to %q, want %q", c.prefix, id, c.want)
			}
		})
	}
}

func TestReadModelsNotFound(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	for _, c := range []struct {
		name string
		call func() error
	}{
		{"Request", func() error { _, err := db.Request(ctx, "nope"); return err }},
		{"Tenant", func() error { _, err := db.Tenant(ctx, "nope"); return err }},
		{"VMwareSettings", func() error { _, err := db.VMwareSettings(ctx, "nope"); return err }},
		{"Secret", func() error { _, err := db.Secret(ctx, "nope", app.SecretPassword); return err }},
		{"TxRequest", func() error {
			return db.Update(ctx, func(tx app.Tx) error { _, err := tx.Request(ctx, "nope"); return err })
		}},
		{"TxTenant", func() error {
			return db.Update(ctx, func(tx app.Tx) error { _, err := tx.Tenant(ctx, "nope"); return err })
		}},
	} {
		t.Run("Err"+c.name, func(t *testing.T) { wantKind(t, c.call(), app.KindNotFound) })
	}
	t.Run("OKEmptyLists", func(t *testing.T) {
		rs, err := db.ListRequests(ctx, app.RequestFilter{})
		must(t, err)
		tl, err := db.Timeline(ctx, "nope")
		must(t, err)
		ts, err := db.Tenants(ctx)
		must(t, err)
		cs, err := db.ListCommands(ctx, "")
		must(t, err)
		if rs == nil || tl == nil || ts == nil || cs == nil || len(rs)+len(tl)+len(ts)+len(cs) != 0 {
			t.Errorf("want empty, non-nil lists (JSON []), got %v %v %v %v", rs, tl, ts, cs)
		}
	})
}

func TestListRequests(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	seedHistory(t, db)
	all, err := db.ListRequests(ctx, app.RequestFilter{})
	must(t, err)
	if len(all) != 8 {
		t.Fatalf("%d requests, want 8", len(all))
	}
	if !sort.SliceIsSorted(all, func(i, j int) bool { return all[i].CreatedAt.After(all[j].CreatedAt) }) {
		t.Fatalf("not newest first")
	}
	// want filters all the same way the store should.
	want := func(keep func(app.RequestView) bool, limit int) []string {
		var out []string
		for _, v := range all {
			if keep(v) && (limit == 0 || len(out) < limit) {
				out = append(out, v.ID)
			}
		}
		return out
	}
	for _, c := range []struct {
		name string
		f    app.RequestFilter
		keep func(app.RequestView) bool
		n    int
	}{
		{"Tenant", app.RequestFilter{Tenant: "acme"}, func(v app.RequestView) bool { return v.Tenant == "acme" }, 7},
		{"Status", app.RequestFilter{Tenant: "acme", Status: app.StatusReady}, func(v app.RequestView) bool {
			return v.Tenant == "acme" && v.Status == app.StatusReady
		}, 2},
		{"Requester", app.RequestFilter{Tenant: "globex", Requester: "zed"}, func(v app.RequestView) bool { return v.Tenant == "globex" }, 1},
		{"Project", app.RequestFilter{Tenant: "acme", Project: "shop"}, func(v app.RequestView) bool { return v.Tenant == "acme" }, 7},
		{"ProjectNone", app.RequestFilter{Tenant: "acme", Project: "other"}, func(app.RequestView) bool { return false }, 0},
		{"HasVM", app.RequestFilter{Tenant: "acme", HasVM: true}, func(v app.RequestView) bool { return v.Tenant == "acme" && v.VM != nil }, 4},
		{"Limit", app.RequestFilter{Tenant: "acme", Limit: 3}, func(v app.RequestView) bool { return v.Tenant == "acme" }, 3},
		{"StatusNone", app.RequestFilter{Status: app.StatusApproved}, func(app.RequestView) bool { return false }, 0},
	} {
		t.Run("OK"+c.name, func(t *testing.T) {
			got, err := db.ListRequests(ctx, c.f)
			must(t, err)
			var gotIDs []string
			for _, v := range got {
				gotIDs = append(gotIDs, v.ID)
			}
			w := want(c.keep, c.f.Limit)
			if len(gotIDs) != c.n || len(w) != c.n || !equalStrings(gotIDs, w) {
				t.Errorf("got %v, want %v (%d)", gotIDs, w, c.n)
			}
		})
	}
}

func TestLiveRequestNamed(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	a := seedHistory(t, db)
	bob := app.Actor{User: "bob", Tenant: "acme"}
	for _, c := range []struct {
		name string
		in   app.NewRequestInput
		kind app.Kind
	}{
		{"ErrPendingHoldsName", request("web-05"), app.KindConflict},
		{"ErrReadyHoldsName", request("web-02"), app.KindConflict},
		{"OKRejectedFreesName", request("web-03"), ""},
		{"OKCancelledFreesName", request("web-04"), ""},
		{"OKOtherProject", app.NewRequestInput{Name: "web-05", Project: "blog", Justification: "a blog for the shop"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := a.CreateRequest(ctx, bob, c.in)
			if c.kind == "" {
				must(t, err)
				return
			}
			wantKind(t, err, c.kind)
		})
	}
}

func TestTimeline(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	seedHistory(t, db)
	rs, err := db.ListRequests(ctx, app.RequestFilter{Tenant: "acme", Status: app.StatusReady})
	must(t, err)
	var retried app.RequestView
	for _, v := range rs {
		if v.Name == "web-01" {
			retried = v
		}
	}
	tl, err := db.Timeline(ctx, retried.ID)
	must(t, err)
	var texts []string
	for i, e := range tl {
		texts = append(texts, contract.TimelineText(e))
		if i > 0 && e.Seq <= tl[i-1].Seq {
			t.Errorf("timeline not oldest first at %d", i)
		}
	}
	want := []string{"Request created", "Approved by alice", "Provisioning started", "VMware not configured",
		"Retry requested by alice", "Provisioning started (attempt 2)", "Cloning template", "Configuring CPU, memory and disk",
		"Powering on", "Waiting for network", "VM ready (IP 10.0.0.5)"}
	if !equalStrings(texts, want) {
		t.Errorf("timeline of %s:\n%q\nwant\n%q", short(retried.ID), texts, want)
	}
}

// snapshot is everything the read models answer, as JSON.
func snapshot(t *testing.T, db app.Store) string {
	ctx := context.Background()
	requests, err := db.ListRequests(ctx, app.RequestFilter{})
	must(t, err)
	s := map[string]any{"requests": requests}
	timelines := map[string][]app.TimelineEntry{}
	for _, r := range requests {
		tl, err := db.Timeline(ctx, r.ID)
		must(t, err)
		timelines[r.ID] = tl
		one, err := db.Request(ctx, r.ID)
		must(t, err)
		s["request:"+r.ID] = one
	}
	s["timelines"] = timelines
	tenants, err := db.Tenants(ctx)
	must(t, err)
	s["tenants"] = tenants
	for _, tn := range tenants {
		v, err := db.Tenant(ctx, tn.Name)
		must(t, err)
		vmw, err := db.VMwareSettings(ctx, tn.Name)
		if app.ErrorKind(err) != app.KindNotFound {
			must(t, err)
		}
		sec, err := db.Secret(ctx, tn.Name, app.SecretPassword)
		if app.ErrorKind(err) != app.KindNotFound {
			must(t, err)
		}
		s["tenant:"+tn.Name] = []any{v, vmw, sec}
	}
	cs, err := db.ListCommands(ctx, "")
	must(t, err)
	s["commands"] = cs
	b, err := json.MarshalIndent(s, "", " ")
	must(t, err)
	return string(b)
}

func TestRebuild(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	seedHistory(t, db)
	before := snapshot(t, db)
	events, err := db.CountEvents(ctx)
	must(t, err)

	// Damage the read models the way a bug in a projection would.
	raw := rawDB(t, db.Path())
	for _, stmt := range []string{
		`DELETE FROM timeline WHERE seq % 2 = 0`,
		`UPDATE requests SET status = 'ready', view = json_set(view, '$.status', 'ready')`,
		`DELETE FROM tenants WHERE name = 'globex'`,
		`DELETE FROM vmware_settings`,
		`INSERT INTO requests (id, tenant, name, project, size, status, requester, version, created_at, updated_at, view)
			VALUES ('ghost', 'acme', 'ghost', 'shop', 'S', 'pending', 'bob', 1, '', '', '{"id":"ghost","tenant":"acme"}')`,
	} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if snapshot(t, db) == before {
		t.Fatal("damage did not show")
	}

	must(t, app.New(db, nil, nil).Rebuild(ctx))
	if after := snapshot(t, db); after != before {
		t.Errorf("read models differ after rebuild:\nbefore %s\nafter %s", before, after)
	}
	again, err := db.CountEvents(ctx)
	must(t, err)
	if again != events {
		t.Errorf("rebuild changed the log: %d events, was %d", again, events)
	}

	t.Run("ErrProjectionRollsBack", func(t *testing.T) {
		boom := app.Errorf(app.KindInternal, "boom")
		err := app.New(failingStore{DB: db, failAt: 5, err: boom}, nil, nil).Rebuild(ctx)
		if err != boom {
			t.Fatalf("Rebuild returned %v, want the projection's error", err)
		}
		if after := snapshot(t, db); after != before {
			t.Errorf("a failed rebuild changed the read models")
		}
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// failingStore makes the failAt-th write of a read model fail with err,
// as a broken projection would.
type failingStore struct {
	*store.DB
	failAt int
	err    error
}

func (s failingStore) Update(ctx context.Context, fn func(app.Tx) error) error {
	n := 0
	return s.DB.Update(ctx, func(tx app.Tx) error { return fn(&failingTx{Tx: tx, n: &n, at: s.failAt, err: s.err}) })
}

type failingTx struct {
	app.Tx
	n   *int
	at  int
	err error
}

func (tx *failingTx) PutRequest(ctx context.Context, v app.RequestView) error {
	if *tx.n++; *tx.n == tx.at {
		return tx.err
	}
	return tx.Tx.PutRequest(ctx, v)
}

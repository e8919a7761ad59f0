// Package storetest is the conformance suite of dvmm's store ports: every
// store implementation runs Run with a constructor and must pass it, so
// that the core behaves the same on each. It checks behaviour through the
// ports only; what a store does beyond them (files, SQL) it tests itself.
package storetest

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/app/apptest"
	"github.com/dvmm/dvmm/internal/auth"
)

// T0 is the time the suite starts its clocks at; its nanoseconds and zone
// check that times come back exact and in UTC.
var T0 = time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.FixedZone("CET", 3600))

// Open returns a new, empty store that lives as long as the test.
type Open func(t testing.TB) app.Store

// Run runs the whole suite against the stores open makes.
func Run(t *testing.T, open Open) {
	t.Run("EventLog", func(t *testing.T) { testEventLog(t, open) })
	t.Run("Update", func(t *testing.T) { testUpdate(t, open) })
	t.Run("LogOrder", func(t *testing.T) { testLogOrder(t, open) })
	t.Run("Queries", func(t *testing.T) { testQueries(t, open) })
	t.Run("ReadModels", func(t *testing.T) { testReadModels(t, open) })
	t.Run("Queue", func(t *testing.T) { testQueue(t, open) })
	t.Run("Secrets", func(t *testing.T) { testSecrets(t, open) })
	t.Run("Credentials", func(t *testing.T) { testCredentials(t, open) })
	t.Run("Rebuild", func(t *testing.T) { testRebuild(t, open) })
	t.Run("Notify", func(t *testing.T) { testNotify(t, open) })
	t.Run("Leases", func(t *testing.T) { testLeases(t, open) })
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func wantKind(tb testing.TB, err error, kind app.Kind) {
	tb.Helper()
	if got := app.ErrorKind(err); got != kind {
		tb.Fatalf("error kind = %q (%v), want %q", got, err, kind)
	}
}

func ev(stream string, p app.Payload, at time.Time) app.Event {
	return app.Event{TenantID: "acme", StreamType: app.StreamRequest, StreamID: stream, Data: p, At: at,
		Meta: app.Metadata{Actor: "bob", CorrelationID: "corr", CausationID: "cause", Source: "192.0.2.7"}}
}

func update(tb testing.TB, s app.Store, fn func(tx app.Tx) error) {
	tb.Helper()
	must(tb, s.Update(context.Background(), fn))
}

func testEventLog(t *testing.T, open Open) {
	ctx := context.Background()

	t.Run("OKAppendLoad", func(t *testing.T) {
		s := open(t)
		in := []app.Event{
			ev("r1", app.RequestCreated{Name: "web-01", Size: "S", CPUs: 2, MemoryGB: 4, DiskGB: 50, Project: "shop", Justification: "load tests", Requester: "bob"}, T0),
			ev("r1", app.RequestApproved{By: "alice", SeenVersion: 1}, T0.Add(time.Second)),
		}
		out, err := s.Append(ctx, 0, in)
		must(t, err)
		for i, e := range out {
			if e.Version != i+1 || e.Seq <= 0 || e.Type != in[i].Data.EventType() {
				t.Errorf("appended %d: version %d seq %d type %s", i, e.Version, e.Seq, e.Type)
			}
		}
		if out[1].Seq <= out[0].Seq {
			t.Errorf("seq %d then %d, want increasing", out[0].Seq, out[1].Seq)
		}
		loaded, err := s.LoadStream(ctx, app.StreamRequest, "r1")
		must(t, err)
		if !reflect.DeepEqual(loaded, out) {
			t.Fatalf("loaded\n%+v\nwant\n%+v", loaded, out)
		}
		if !loaded[0].At.Equal(T0) || loaded[0].At.Location() != time.UTC {
			t.Errorf("at = %v, want %v in UTC", loaded[0].At, T0)
		}
		if loaded[1].Meta != in[1].Meta || !reflect.DeepEqual(loaded[1].Data, in[1].Data) {
			t.Errorf("meta or data changed: %+v", loaded[1])
		}
	})

	t.Run("OKEveryEventType", func(t *testing.T) {
		s := open(t)
		var in []app.Event
		for i, p := range everyPayload() {
			in = append(in, ev("r1", p, T0.Add(time.Duration(i)*time.Second)))
		}
		_, err := s.Append(ctx, 0, in)
		must(t, err)
		loaded, err := s.LoadStream(ctx, app.StreamRequest, "r1")
		must(t, err)
		var types []string
		for i, e := range loaded {
			if !reflect.DeepEqual(e.Data, in[i].Data) {
				t.Errorf("%s: data %+v, want %+v", e.Type, e.Data, in[i].Data)
			}
			types = append(types, e.Type)
		}
		want := app.EventTypes()
		sort.Strings(types)
		sort.Strings(want)
		if !reflect.DeepEqual(types, want) {
			t.Errorf("types %v, want every type %v", types, want)
		}
	})

	t.Run("OKUnknownStreamIsEmpty", func(t *testing.T) {
		s := open(t)
		events, err := s.LoadStream(ctx, app.StreamRequest, "nope")
		must(t, err)
		if len(events) != 0 {
			t.Fatalf("got %d events", len(events))
		}
	})

	t.Run("ErrExpectedVersion", func(t *testing.T) {
		s := open(t)
		_, err := s.Append(ctx, 0, []app.Event{ev("r1", app.RequestCancelled{By: "bob"}, T0)})
		must(t, err)
		for _, expected := range []int{0, 2} {
			_, err = s.Append(ctx, expected, []app.Event{ev("r1", app.RequestCancelled{By: "eve"}, T0)})
			wantKind(t, err, app.KindConflict)
		}
		loaded, err := s.LoadStream(ctx, app.StreamRequest, "r1")
		must(t, err)
		if len(loaded) != 1 || loaded[0].Data.(app.RequestCancelled).By != "bob" {
			t.Fatalf("log changed by a refused append: %+v", loaded)
		}
	})

	t.Run("ErrMixedStreamsAppendNothing", func(t *testing.T) {
		s := open(t)
		_, err := s.Append(ctx, 0, []app.Event{ev("r1", app.RequestCancelled{By: "bob"}, T0), ev("r2", app.RequestCancelled{By: "bob"}, T0)})
		if err == nil {
			t.Fatal("events of two streams appended in one call")
		}
		_, err = s.Append(ctx, 0, []app.Event{ev("r1", app.RequestCancelled{By: "bob"}, time.Time{})})
		if err == nil {
			t.Fatal("an event without a time appended")
		}
		all, err := s.ReadLog(ctx, 0, 10)
		must(t, err)
		if len(all) != 0 {
			t.Fatalf("a refused append left %d events", len(all))
		}
	})

	t.Run("OKReadLogInOrder", func(t *testing.T) {
		s := open(t)
		var want []string
		for i := range 7 {
			stream := fmt.Sprintf("r%d", i%3)
			events, err := s.LoadStream(ctx, app.StreamRequest, stream)
			must(t, err)
			_, err = s.Append(ctx, len(events), []app.Event{ev(stream, app.RequestCancelled{By: fmt.Sprint(i)}, T0)})
			must(t, err)
			want = append(want, fmt.Sprint(i))
		}
		var got []string
		var after int64
		for {
			page, err := s.ReadLog(ctx, after, 3)
			must(t, err)
			for _, e := range page {
				if e.Seq <= after {
					t.Fatalf("seq %d after %d", e.Seq, after)
				}
				after = e.Seq
				got = append(got, e.Data.(app.RequestCancelled).By)
			}
			if len(page) < 3 {
				break
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("log order %v, want %v", got, want)
		}
	})
}

// everyPayload has one payload of every event type, fields filled.
func everyPayload() []app.Payload {
	spec := app.VMSpec{Name: "web-01", Size: "S", CPUs: 2, MemoryGB: 4, DiskGB: 50, Project: "shop", Network: "VM Network"}
	return []app.Payload{
		app.TenantCreated{Name: "acme", Admin: "alice"},
		app.TenantMemberAdded{User: "bob", Role: app.RoleUser},
		app.VMwareConfigured{Settings: app.VMwareSettings{URL: "https://vc/sdk", Username: "u", Datacenter: "DC0", Datastore: "ds", Network: "n", Template: "t", Folder: "f", IPTimeoutSec: 60, HasPassword: true}},
		app.RequestCreated{Name: "web-01", Size: "S", CPUs: 2, MemoryGB: 4, DiskGB: 50, Project: "shop", Network: "n", Justification: "load tests", Requester: "bob"},
		app.RequestApproved{By: "alice", SeenVersion: 1},
		app.RequestRejected{By: "alice", Reason: "not this quarter"},
		app.RequestCancelled{By: "bob"},
		app.RequestRetryRequested{By: "alice", Attempt: 2},
		app.VMProvisioningStarted{RequestID: "r1", Spec: spec, Attempt: 1},
		app.VMProvisioningProgressed{Stage: app.StageCloning, Attempt: 1},
		app.VMProvisioned{VCenterName: "web-01", MoRef: "vm-1", InstanceUUID: "u", IP: "10.0.0.5", Hostname: "h", Adopted: true, Attempt: 1},
		app.VMProvisioningFailed{Code: app.FaultBusy, Message: "busy", Attempt: 1, Transient: true},
		app.VMRetryScheduled{Attempt: 2, MaxAttempts: 5, DelaySeconds: 10, Reason: "busy"},
		app.VMWaitingForVCenter{Reason: "down"},
		app.VMRemoved{MoRef: "vm-1", Reason: "cleanup"},
		app.UserCreated{Name: "alice", PlatformAdmin: true},
		app.UserPasswordSet{},
		app.UserDisabled{},
		app.UserPlatformAdminGranted{},
		app.UserTokenCreated{ID: "abcdefghij", Name: "laptop", ExpiresAt: T0.UTC().Add(90 * 24 * time.Hour)},
		app.UserTokenRevoked{ID: "abcdefghij"},
		app.VMDriftObserved{Change: app.DriftPower, From: "poweredOn", To: "poweredOff"},
		app.VMWaitingForSlot{VCenter: "vc:443", Limit: 4},
		app.TenantIPPoolAdded{Pool: app.IPPool{Network: "n", First: "10.0.5.10", Last: "10.0.5.20", Prefix: 24, Gateway: "10.0.5.1", DNS: []string{"10.0.5.2"}}},
		app.TenantIPPoolRemoved{Network: "n"},
		app.TenantAddressLeased{RequestID: "r1", Network: "n", Address: "10.0.5.10"},
		app.TenantAddressReleased{RequestID: "r1", Network: "n", Address: "10.0.5.10", Reason: "provisioning failed"},
		app.TenantMemberRoleChanged{User: "bob", From: app.RoleUser, To: app.RoleAdmin},
		app.TenantMemberRemoved{User: "bob", Role: app.RoleAdmin},
		app.VMCleanupFailed{Code: "X", Message: "permission denied"},
		app.TenantQuotaSet{Project: "shop", Limits: app.Amount{VMs: 10, CPUs: 32, MemoryGB: 64, DiskGB: 1000}},
		app.RequestDecommissionRequested{By: "bob", Reason: "the load tests are over"},
		app.RequestDecommissionApproved{By: "alice"},
		app.VMPowerRequested{By: "bob", Action: app.PowerOff},
		app.VMPowerChanged{Action: app.PowerOff, State: "poweredOff"},
		app.VMPowerFailed{Action: app.PowerOn, Code: app.FaultBusy, Message: "vCenter busy"},
		app.VMResizeRequested{By: "bob", Size: "L", CPUs: 8, MemoryGB: 16, DiskGB: 200, AllowRestart: true},
		app.VMResizeApproved{By: "alice"},
		app.VMResized{Size: "L", CPUs: 8, MemoryGB: 16, DiskGB: 200, Restarted: true},
		app.ProjectCreated{Name: "shop", Upgrade: true},
		app.ProjectArchived{By: "alice"},
		app.ProjectRestored{By: "alice"},
		app.ProjectMemberAdded{User: "bob"},
		app.ProjectMemberRemoved{User: "bob"},
		app.TenantProjectAccessSet{MembersOnly: true},
		app.VMResizeFailed{Code: app.FaultRestartNeeded, Message: "the VM is on"},
		app.NotifyChannelAdded{Channel: app.NotifyChannel{ID: "ch1", Kind: app.ChannelWebhook, Events: []string{app.NotifyReady, app.NotifyFailed}, URL: "https://hooks.example/dvmm", HasSecret: true}},
		app.NotifyChannelRemoved{ID: "ch1"},
		app.VMDecommissioned{MoRef: "vm-1"},
		app.TenantLeasePolicySet{Policy: app.LeasePolicy{DefaultDays: 30, MaxDays: 90, GraceDays: 7}},
		app.VMLeaseSet{Days: 30, ExpiresAt: T0.UTC().Add(30 * app.Day), MaxUntil: T0.UTC().Add(90 * app.Day), GraceDays: 7},
		app.VMLeaseWarning{Days: 7, ExpiresAt: T0.UTC().Add(30 * app.Day)},
		app.VMLeaseExtensionRequested{By: "bob", Days: 90},
		app.VMLeaseExtensionRejected{By: "alice", Reason: "ninety days more is too long"},
		app.VMLeaseExtended{By: "bob", Days: 14, ExpiresAt: T0.UTC().Add(44 * app.Day), ApprovedBy: "alice"},
		app.VMLeaseExpired{ExpiresAt: T0.UTC().Add(44 * app.Day), GraceDays: 7},
		app.RequestLeaseDecommissioned{ExpiresAt: T0.UTC().Add(44 * app.Day)},
	}
}

func testUpdate(t *testing.T, open Open) {
	ctx := context.Background()
	t.Run("ErrKeptAndRolledBack", func(t *testing.T) {
		s := open(t)
		boom := app.Errorf(app.KindConflict, "boom")
		err := s.Update(ctx, func(tx app.Tx) error {
			if _, err := tx.Append(ctx, 0, []app.Event{ev("r1", app.RequestCancelled{By: "bob"}, T0)}); err != nil {
				return err
			}
			if err := tx.PutTenant(ctx, app.TenantView{Name: "acme", Version: 1}); err != nil {
				return err
			}
			if _, err := tx.Enqueue(ctx, command("k1", T0)); err != nil {
				return err
			}
			if err := tx.PutSecret(ctx, "acme", "pw", []byte("x"), T0); err != nil {
				return err
			}
			// Inside the transaction its own writes are seen.
			if events, err := tx.LoadStream(ctx, app.StreamRequest, "r1"); err != nil || len(events) != 1 {
				return fmt.Errorf("own append not seen: %d %v", len(events), err)
			}
			if _, err := tx.Tenant(ctx, "acme"); err != nil {
				return err
			}
			return boom
		})
		if err != boom {
			t.Fatalf("Update returned %v, want fn's error unchanged", err)
		}
		events, _ := s.ReadLog(ctx, 0, 10)
		_, terr := s.Tenant(ctx, "acme")
		cmds, _ := s.ListCommands(ctx, "")
		_, serr := s.Secret(ctx, "acme", "pw")
		if len(events) != 0 || app.ErrorKind(terr) != app.KindNotFound || len(cmds) != 0 || app.ErrorKind(serr) != app.KindNotFound {
			t.Fatalf("rolled back transaction left events %d, tenant %v, commands %d, secret %v", len(events), terr, len(cmds), serr)
		}
	})
	t.Run("OKCommitted", func(t *testing.T) {
		s := open(t)
		update(t, s, func(tx app.Tx) error { return tx.PutTenant(ctx, app.TenantView{Name: "acme", Version: 1}) })
		v, err := s.Tenant(ctx, "acme")
		must(t, err)
		if v.Name != "acme" || v.Version != 1 {
			t.Fatalf("tenant %+v", v)
		}
	})
}

func command(key string, at time.Time) app.Command {
	return app.Command{Key: key, Type: app.CmdCreateVM, Tenant: "acme", RequestID: "r-" + key, Payload: []byte(`{"x":1}`),
		NextRunAt: at, CreatedAt: at, Correlation: "corr"}
}

func testQueries(t *testing.T, open Open) {
	ctx := context.Background()
	put := func(t *testing.T, s app.Store, views ...app.RequestView) {
		update(t, s, func(tx app.Tx) error {
			for _, v := range views {
				if err := tx.PutRequest(ctx, v); err != nil {
					return err
				}
			}
			return nil
		})
	}
	view := func(id, tenant, name string, status app.Status, created time.Time) app.RequestView {
		return app.RequestView{ID: id, Tenant: tenant, Name: name, Project: "shop", Size: "S", Requester: "bob",
			Status: status, Version: 1, CreatedAt: created.UTC(), UpdatedAt: created.UTC()}
	}

	t.Run("OKResolveRequestID", func(t *testing.T) {
		s := open(t)
		put(t, s, view("abcdef", "acme", "a", app.StatusPending, T0), view("abcxyz", "acme", "b", app.StatusPending, T0),
			view("abc", "acme", "c", app.StatusPending, T0), view("zzz111", "globex", "d", app.StatusPending, T0))
		for _, c := range []struct {
			prefix, want string
			kind         app.Kind
		}{
			{"abcd", "abcdef", ""}, {"abcx", "abcxyz", ""}, {"abc", "abc", ""}, {"ab", "", app.KindInvalid},
			{"zzz", "", app.KindNotFound}, {"q", "", app.KindNotFound}, {"", "", app.KindInvalid},
		} {
			id, err := s.ResolveRequestID(ctx, "acme", c.prefix)
			if c.kind != "" {
				if app.ErrorKind(err) != c.kind {
					t.Errorf("resolve %q: %v, want %s", c.prefix, err, c.kind)
				}
				continue
			}
			if err != nil || id != c.want {
				t.Errorf("resolve %q = %q, %v; want %q", c.prefix, id, err, c.want)
			}
		}
	})

	t.Run("OKListRequests", func(t *testing.T) {
		s := open(t)
		withVM := view("r3", "acme", "c", app.StatusReady, T0.Add(3*time.Second))
		withVM.VM = &app.VMView{ID: "vm-r3", Status: app.StatusReady, IP: "10.0.0.5"}
		mine := view("r2", "acme", "b", app.StatusPending, T0.Add(2*time.Second))
		mine.Requester, mine.Project = "carol", "web"
		put(t, s, view("r1", "acme", "a", app.StatusPending, T0.Add(time.Second)), mine, withVM,
			view("r4", "globex", "d", app.StatusPending, T0.Add(4*time.Second)))
		ids := func(f app.RequestFilter) []string {
			vs, err := s.ListRequests(ctx, f)
			must(t, err)
			out := []string{}
			for _, v := range vs {
				out = append(out, v.ID)
			}
			return out
		}
		for _, c := range []struct {
			name string
			f    app.RequestFilter
			want []string
		}{
			{"All", app.RequestFilter{}, []string{"r4", "r3", "r2", "r1"}},
			{"Tenant", app.RequestFilter{Tenant: "acme"}, []string{"r3", "r2", "r1"}},
			{"Status", app.RequestFilter{Tenant: "acme", Status: app.StatusPending}, []string{"r2", "r1"}},
			{"Requester", app.RequestFilter{Requester: "carol"}, []string{"r2"}},
			{"Project", app.RequestFilter{Project: "web"}, []string{"r2"}},
			{"HasVM", app.RequestFilter{HasVM: true}, []string{"r3"}},
			{"Limit", app.RequestFilter{Tenant: "acme", Limit: 2}, []string{"r3", "r2"}},
			{"None", app.RequestFilter{Tenant: "nobody"}, []string{}},
		} {
			if got := ids(c.f); !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
			}
		}
		got, err := s.Request(ctx, "r3")
		must(t, err)
		if !reflect.DeepEqual(got, withVM) {
			t.Errorf("request\n%+v\nwant\n%+v", got, withVM)
		}
	})

	t.Run("OKLiveRequestNamed", func(t *testing.T) {
		s := open(t)
		put(t, s, view("r1", "acme", "web-01", app.StatusCancelled, T0), view("r2", "acme", "web-02", app.StatusFailed, T0),
			view("r3", "acme", "web-03", app.StatusRejected, T0))
		for _, c := range []struct {
			tenant, project, name string
			want                  string
		}{
			{"acme", "shop", "web-01", ""}, {"acme", "shop", "web-02", "r2"}, {"acme", "shop", "web-03", ""},
			{"acme", "web", "web-02", ""}, {"globex", "shop", "web-02", ""},
		} {
			id, found, err := s.LiveRequestNamed(ctx, c.tenant, c.project, c.name)
			must(t, err)
			if id != c.want || found != (c.want != "") {
				t.Errorf("%s/%s/%s = %q %v, want %q", c.tenant, c.project, c.name, id, found, c.want)
			}
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		_, err := s.Request(ctx, "nope")
		wantKind(t, err, app.KindNotFound)
		_, err = s.Tenant(ctx, "nope")
		wantKind(t, err, app.KindNotFound)
		_, err = s.VMwareSettings(ctx, "nope")
		wantKind(t, err, app.KindNotFound)
		_, err = s.Secret(ctx, "nope", "pw")
		wantKind(t, err, app.KindNotFound)
		tl, err := s.Timeline(ctx, "nope")
		must(t, err)
		tenants, err := s.Tenants(ctx)
		must(t, err)
		cmds, err := s.ListCommands(ctx, "")
		must(t, err)
		if len(tl) != 0 || len(tenants) != 0 || len(cmds) != 0 {
			t.Fatalf("empty store lists %d %d %d", len(tl), len(tenants), len(cmds))
		}
	})
}

func testSecrets(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	raw := []byte{0, 1, 2, 0xff, 's'}
	must(t, s.PutSecret(ctx, "acme", "pw", raw, T0))
	must(t, s.PutSecret(ctx, "globex", "pw", []byte("other"), T0))
	got, err := s.Secret(ctx, "acme", "pw")
	must(t, err)
	if string(got) != string(raw) {
		t.Fatalf("secret %v, want %v", got, raw)
	}
	update(t, s, func(tx app.Tx) error { return tx.PutSecret(ctx, "acme", "pw", []byte("new"), T0) })
	got, err = s.Secret(ctx, "acme", "pw")
	must(t, err)
	other, err := s.Secret(ctx, "globex", "pw")
	must(t, err)
	if string(got) != "new" || string(other) != "other" {
		t.Fatalf("after replace: %q and %q", got, other)
	}
	_, err = s.Secret(ctx, "acme", "other-name")
	wantKind(t, err, app.KindNotFound)
	events, err := s.ReadLog(ctx, 0, 10)
	must(t, err)
	if len(events) != 0 {
		t.Fatalf("a secret became %d events", len(events))
	}
}

// testCredentials: password and token hashes are kept by kind and id,
// replaced by a later put, never events, and rolled back with their
// transaction.
func testCredentials(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	pw := app.Credential{Kind: app.CredentialPassword, ID: "alice", User: "alice", Hash: "$argon2id$one", At: T0}
	tok := app.Credential{Kind: app.CredentialToken, ID: "alice", User: "bob", Hash: "abc", At: T0}
	must(t, s.PutCredential(ctx, pw))
	update(t, s, func(tx app.Tx) error { return tx.PutCredential(ctx, tok) })
	got, err := s.Credential(ctx, app.CredentialPassword, "alice")
	must(t, err)
	if got.User != "alice" || got.Hash != pw.Hash {
		t.Fatalf("password credential %+v", got)
	}
	got, err = s.Credential(ctx, app.CredentialToken, "alice")
	must(t, err)
	if got.User != "bob" || got.Hash != "abc" {
		t.Fatalf("token credential %+v: kinds must not mix", got)
	}
	pw.Hash = "$argon2id$two"
	must(t, s.PutCredential(ctx, pw))
	if got, _ := s.Credential(ctx, app.CredentialPassword, "alice"); got.Hash != "$argon2id$two" {
		t.Fatalf("after replace: %+v", got)
	}
	boom := app.Errorf(app.KindConflict, "boom")
	err = s.Update(ctx, func(tx app.Tx) error {
		if err := tx.PutCredential(ctx, app.Credential{Kind: app.CredentialToken, ID: "rolled", User: "x", Hash: "h", At: T0}); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Update = %v", err)
	}
	_, err = s.Credential(ctx, app.CredentialToken, "rolled")
	wantKind(t, err, app.KindNotFound)
	_, err = s.Credential(ctx, app.CredentialPassword, "nobody")
	wantKind(t, err, app.KindNotFound)
	events, err := s.ReadLog(ctx, 0, 10)
	must(t, err)
	if len(events) != 0 {
		t.Fatalf("a credential became %d events", len(events))
	}
}

// fold derives what the read models must say from the log alone, with
// app's pure projections.
type folded struct {
	requests map[string]app.RequestView
	timeline map[string][]string
	tenants  map[string]app.TenantView
	vmware   map[string]app.VMwareSettings
}

func fold(tb testing.TB, s app.Store) folded {
	tb.Helper()
	f := folded{requests: map[string]app.RequestView{}, timeline: map[string][]string{}, tenants: map[string]app.TenantView{}, vmware: map[string]app.VMwareSettings{}}
	events, err := s.ReadLog(context.Background(), 0, 1<<20)
	must(tb, err)
	for _, e := range events {
		switch e.StreamType {
		case app.StreamTenant:
			v := f.tenants[e.StreamID]
			app.ProjectTenant(&v, e)
			f.tenants[e.StreamID] = v
			if p, ok := e.Data.(app.VMwareConfigured); ok {
				f.vmware[e.StreamID] = p.Settings
			}
		case app.StreamProject:
			v := f.tenants[e.TenantID]
			app.ProjectTenantProject(&v, e)
			f.tenants[e.TenantID] = v
		case app.StreamRequest, app.StreamVM:
			id := e.StreamID
			if e.StreamType == app.StreamVM {
				id = app.RequestIDOfVM(id)
			}
			v := f.requests[id]
			app.ProjectRequest(&v, e)
			f.requests[id] = v
			if p, ok := e.Data.(app.VMProvisioningProgressed); ok && p.Task != "" {
				continue // a clone task's record is no step of the history
			}
			f.timeline[id] = append(f.timeline[id], fmt.Sprintf("%d %s %s %s %#v", e.Seq, e.At.Format(time.RFC3339Nano), e.Meta.Actor, e.Type, e.Data))
		}
	}
	// What each tenant's requests hold, counted from where they ended:
	// the store's projection keeps it event by event, and must agree.
	for name, t := range f.tenants {
		var rs []app.RequestView
		for _, r := range f.requests {
			if r.Tenant == name {
				rs = append(rs, r)
			}
		}
		app.CountUsage(&t, rs)
		f.tenants[name] = t
	}
	return f
}

// checkModels compares every read model with the fold of the log.
func checkModels(tb testing.TB, s app.Store, when string) {
	tb.Helper()
	ctx := context.Background()
	want := fold(tb, s)
	all, err := s.ListRequests(ctx, app.RequestFilter{})
	must(tb, err)
	if len(all) != len(want.requests) {
		tb.Fatalf("%s: %d requests listed, the log has %d", when, len(all), len(want.requests))
	}
	for id, w := range want.requests {
		v, err := s.Request(ctx, id)
		must(tb, err)
		if !reflect.DeepEqual(v, w) {
			tb.Fatalf("%s: request %s\n got %+v\nwant %+v", when, id, v, w)
		}
		tl, err := s.Timeline(ctx, id)
		must(tb, err)
		var lines []string
		for _, e := range tl {
			lines = append(lines, fmt.Sprintf("%d %s %s %s %#v", e.Seq, e.At.Format(time.RFC3339Nano), e.Actor, e.Type, e.Data))
		}
		if !reflect.DeepEqual(lines, want.timeline[id]) {
			tb.Fatalf("%s: timeline of %s\n got %q\nwant %q", when, id, lines, want.timeline[id])
		}
	}
	tenants, err := s.Tenants(ctx)
	must(tb, err)
	if len(tenants) != len(want.tenants) {
		tb.Fatalf("%s: %d tenants, the log has %d", when, len(tenants), len(want.tenants))
	}
	for _, v := range tenants {
		if !reflect.DeepEqual(v, want.tenants[v.Name]) {
			tb.Fatalf("%s: tenant\n got %+v\nwant %+v", when, v, want.tenants[v.Name])
		}
	}
	for name, w := range want.vmware {
		got, err := s.VMwareSettings(ctx, name)
		must(tb, err)
		if got != w {
			tb.Fatalf("%s: VMware settings of %s: %+v, want %+v", when, name, got, w)
		}
	}
}

// VMwareSettings are settings the fake hypervisor accepts.
func VMwareSettings() app.VMwareSettings {
	return app.VMwareSettings{URL: "https://vc.example/sdk", Username: "svc-dvmm", Datacenter: "DC0", Cluster: "DC0_C0",
		Datastore: "LocalDS_0", Network: "VM Network", Template: "ubuntu-22.04-template", Folder: "dvmm", Insecure: true}
}

// Seed drives an App on s through every path that leaves events, calling
// step after each use case: the log it leaves has every event type the
// app records. It returns the ids of the requests by the state they end in.
func Seed(tb testing.TB, s app.Store, step func(what string)) map[string]string {
	tb.Helper()
	ctx := context.Background()
	clock := apptest.NewClock(T0)
	hv := &apptest.Hypervisor{}
	a := app.New(s, hv, apptest.Sealer{})
	a.Clock = clock
	ids := map[string]string{}
	hv.ProvisionFn = func(ctx context.Context, t app.Target, spec app.MachineSpec, progress func(app.Stage) error) (app.Machine, error) {
		switch {
		case strings.HasPrefix(spec.Name, "fail-"):
			hv.Plant(spec.RequestID, app.Machine{Name: spec.Name, MoRef: "vm-partial"})
			return app.Machine{}, &app.Fault{Code: app.FaultTemplateNotFound, Message: "template " + t.Settings.Template + " not found"}
		case strings.HasPrefix(spec.Name, "down-"):
			return app.Machine{}, &app.Fault{Code: app.FaultUnreachable, Message: "vCenter unreachable", Transient: true}
		case strings.HasPrefix(spec.Name, "busy-"):
			return app.Machine{}, &app.Fault{Code: app.FaultBusy, Message: "vCenter busy", Transient: true}
		}
		for _, st := range []app.Stage{app.StageCloning, app.StageConfiguring, app.StagePoweringOn, app.StageWaitingNetwork} {
			if err := progress(st); err != nil {
				return app.Machine{}, err
			}
		}
		return app.Machine{Name: spec.Name, MoRef: "vm-" + spec.Name, InstanceUUID: "uuid-" + spec.RequestID, IP: "10.0.0.5",
			Adopted: strings.HasPrefix(spec.Name, "adopt-")}, nil
	}
	alice := app.Actor{User: "alice", Tenant: "acme", CorrelationID: "corr-1"}
	bob := app.Actor{User: "bob", Tenant: "acme"}
	did := func(what string, err error) {
		tb.Helper()
		must(tb, err)
		clock.Advance(1500 * time.Millisecond)
		if step != nil {
			step(what)
		}
	}
	_, err := a.CreateTenant(ctx, alice, "acme", "alice")
	did("create tenant", err)
	_, err = a.AddMember(ctx, alice, "acme", "bob", app.RoleUser)
	did("add member", err)
	_, err = a.CreateTenant(ctx, app.Actor{User: "zed"}, "globex", "zed")
	did("create another tenant", err)
	_, err = a.AddMember(ctx, app.Actor{User: "zed"}, "globex", "yan", app.RoleUser)
	did("add a member to another tenant", err)
	_, err = a.SetRole(ctx, app.Actor{User: "zed"}, "globex", "yan", app.RoleAdmin)
	did("make the member an admin", err)
	_, err = a.RemoveMember(ctx, app.Actor{User: "yan"}, "globex", "zed")
	did("remove the first admin", err)
	_, err = a.CreateProject(ctx, alice, "shop")
	did("create a project", err)
	_, err = a.CreateProject(ctx, app.Actor{User: "yan", Tenant: "globex"}, "shop")
	did("create a project in another tenant", err)
	_, err = a.AddProjectMember(ctx, alice, "shop", "bob")
	did("add a project member", err)
	_, err = a.CreateProject(ctx, alice, "lab")
	did("create another project", err)
	_, err = a.AddProjectMember(ctx, alice, "lab", "bob")
	did("add a member to it", err)
	_, err = a.RemoveProjectMember(ctx, alice, "lab", "bob")
	did("remove the member", err)
	_, err = a.ArchiveProject(ctx, alice, "lab")
	did("archive the project", err)
	_, err = a.RestoreProject(ctx, alice, "lab")
	did("restore the project", err)
	_, err = a.SetProjectAccess(ctx, alice, true)
	did("limit requesters to their projects", err)
	create := func(actor app.Actor, name string) string {
		v, err := a.CreateRequest(ctx, actor, app.NewRequestInput{Name: name, Size: "S", Project: "shop", Justification: "load tests for the shop"})
		did("create "+name, err)
		return v.ID
	}
	ids["retried"] = create(bob, "web-01")
	ids["ready"] = create(bob, "adopt-02")
	ids["failed"] = create(bob, "fail-01")
	ids["waiting"] = create(bob, "down-01")
	ids["retrying"] = create(bob, "busy-01")
	ids["rejected"] = create(bob, "web-03")
	ids["cancelled"] = create(bob, "web-04")
	ids["pending"] = create(bob, "web-05")
	ids["givenup"] = create(bob, "down-02")
	ids["other"] = create(app.Actor{User: "yan", Tenant: "globex"}, "web-01")

	_, err = a.Approve(ctx, alice, ids["retried"], 0) // no VMware settings yet: fails at once
	did("approve without VMware", err)
	_, err = a.SetVMware(ctx, alice, VMwareSettings(), "s3cret")
	did("set VMware", err)
	// Static addresses for the default network; one more pool, removed.
	_, err = a.AddIPPool(ctx, alice, app.IPPool{Network: VMwareSettings().Network, First: "10.0.5.10", Last: "10.0.5.29", Prefix: 24, Gateway: "10.0.5.1"})
	did("add an IP pool", err)
	_, err = a.AddIPPool(ctx, alice, app.IPPool{Network: "lab", First: "10.0.6.10", Last: "10.0.6.19", Prefix: 24})
	did("add another IP pool", err)
	did("remove an IP pool", a.RemoveIPPool(ctx, alice, "lab"))
	_, err = a.SetQuota(ctx, alice, "", app.Amount{VMs: 50, CPUs: 200})
	did("set the tenant's quota", err)
	_, err = a.SetQuota(ctx, alice, "shop", app.Amount{VMs: 20, MemoryGB: 512})
	did("set a project's quota", err)
	for _, id := range []string{ids["ready"], ids["failed"]} {
		_, err = a.Approve(ctx, alice, id, 0)
		did("approve", err)
		_, err = a.Drive(ctx, alice, id, time.Minute, nil)
		did("drive", err)
	}
	_, err = a.Retry(ctx, alice, ids["retried"])
	did("retry", err)
	_, err = a.Drive(ctx, alice, ids["retried"], time.Minute, nil)
	did("drive the retry", err)
	// The vCenter's only task slot is held by other work while busy-01's
	// work is due: it waits for the slot, then runs.
	vs := VMwareSettings()
	hold := app.Command{Key: "hold", Type: "Hold", Tenant: "acme", Payload: []byte("{}"), Status: app.CommandPending,
		NextRunAt: clock.Now(), CreatedAt: clock.Now(), Slot: vs.TaskSlot(), SlotLimit: 1}
	_, err = s.Enqueue(ctx, hold)
	did("enqueue other work", err)
	held, _, err := s.Claim(ctx, app.Claim{Worker: "other", Key: "hold", Now: clock.Now(), Lease: time.Hour})
	did("claim other work", err)
	vs.MaxTasks = 1
	_, err = a.SetVMware(ctx, alice, vs, "s3cret")
	did("limit the vCenter to one task", err)
	for _, id := range []string{ids["waiting"], ids["retrying"]} {
		_, err = a.Approve(ctx, alice, id, 0)
		did("approve", err)
		_, err = a.Drain(ctx, "w1", 1, time.Minute)
		did("drain", err)
	}
	did("other work done", s.Finish(ctx, held.ID, app.Outcome{Status: app.CommandDone, At: clock.Now()}))
	_, err = a.Drain(ctx, "w1", 1, time.Minute)
	did("drain", err)
	// A request whose vCenter stays down is given up; its VM cannot be removed.
	_, err = a.Approve(ctx, alice, ids["givenup"], 0)
	did("approve", err)
	_, err = a.Drain(ctx, "w1", 1, time.Minute)
	did("drain", err)
	_, err = a.GiveUp(ctx, alice, ids["givenup"], "vCenter of the lab is gone for good")
	did("give up", err)
	hv.Plant(ids["givenup"], app.Machine{Name: "down-02", MoRef: "vm-down-02"})
	hv.RemoveFn = func(ctx context.Context, t app.Target, requestID string) error {
		return &app.Fault{Code: app.FaultBadCredentials, Message: "permission denied"}
	}
	_, err = a.Drain(ctx, "w1", 1, time.Minute)
	did("drain the removal", err)
	hv.RemoveFn = nil
	_, err = a.Reject(ctx, alice, ids["rejected"], "not in this quarter's budget", 0)
	did("reject", err)
	_, err = a.Cancel(ctx, bob, ids["cancelled"])
	did("cancel", err)
	// Drift found by a reconcile: one VM powered off outside dvmm, the
	// other gone from vCenter.
	hv.Plant(ids["ready"], app.Machine{Name: "adopt-02", MoRef: "vm-adopt-02", CPUs: 2, MemoryMB: 4096, IP: "10.0.0.5", PowerState: "poweredOff"})
	_, err = a.Reconcile(ctx, alice, false)
	did("reconcile", err)
	// Power: switched off by its requester; switching it on fails.
	_, _, err = a.PowerVM(ctx, bob, ids["ready"], app.PowerOff)
	did("ask to switch off", err)
	_, err = a.Drain(ctx, "w1", 1, time.Minute)
	did("drain the switch", err)
	hv.PowerFn = func(context.Context, app.Target, string, string, app.PowerAction) (string, error) {
		return "", &app.Fault{Code: app.FaultBadCredentials, Message: "permission denied"}
	}
	_, _, err = a.PowerVM(ctx, alice, ids["ready"], app.PowerOn)
	did("ask to switch on", err)
	_, err = a.Drain(ctx, "w1", 1, time.Minute)
	did("drain the failing switch", err)
	hv.PowerFn = nil
	// Resize: to L, done (with a restart); then to XL, failing.
	hv.ResizeFn = func(_ context.Context, _ app.Target, _, _ string, spec app.ResizeSpec) (app.Machine, bool, error) {
		return app.Machine{Name: "web-01", CPUs: spec.CPUs, MemoryMB: spec.MemoryMB}, true, nil
	}
	_, err = a.AskResize(ctx, bob, ids["retried"], "L", true)
	did("ask to resize", err)
	_, err = a.ApproveResize(ctx, alice, ids["retried"])
	did("approve the resize", err)
	_, err = a.Drain(ctx, "w1", 1, time.Minute)
	did("drain the resize", err)
	hv.ResizeFn = func(context.Context, app.Target, string, string, app.ResizeSpec) (app.Machine, bool, error) {
		return app.Machine{}, false, &app.Fault{Code: app.FaultRestartNeeded, Message: "the VM is on"}
	}
	_, err = a.AskResize(ctx, bob, ids["retried"], "XL", false)
	did("ask to resize again", err)
	_, err = a.ApproveResize(ctx, alice, ids["retried"])
	did("approve the second resize", err)
	_, err = a.Drain(ctx, "w1", 1, time.Minute)
	did("drain the failing resize", err)
	hv.ResizeFn = nil
	// A VM decommissioned: asked by its requester, approved by an admin,
	// removed by the queued work.
	ids["decommissioned"] = create(bob, "old-01")
	_, err = a.Approve(ctx, alice, ids["decommissioned"], 0)
	did("approve", err)
	_, err = a.Drive(ctx, alice, ids["decommissioned"], time.Minute, nil)
	did("drive", err)
	_, err = a.RequestDecommission(ctx, bob, ids["decommissioned"], "the load tests are over")
	did("ask to decommission", err)
	_, err = a.ApproveDecommission(ctx, alice, ids["decommissioned"])
	did("approve the decommission", err)
	_, err = a.Drain(ctx, "w1", 1, time.Minute)
	did("drain the decommission", err)
	// A notification channel, added and removed again before any event
	// it would tell.
	ch, err := a.AddNotifyChannel(ctx, alice, app.NotifyChannel{Kind: app.ChannelWebhook, URL: "https://hooks.example/dvmm", Events: []string{app.NotifyReady}}, "hook-secret")
	did("add a notification channel", err)
	_, err = a.RemoveNotifyChannel(ctx, alice, ch.ID)
	did("remove the notification channel", err)

	// Leases: a policy; a VM's lease extended within the most, then past
	// it (rejected, then approved); warned, expired and powered off, then
	// decommissioned after the grace period.
	_, err = a.SetLeasePolicy(ctx, alice, app.LeasePolicy{DefaultDays: 10, MaxDays: 20, GraceDays: 2})
	did("set a lease policy", err)
	leased, err := a.CreateRequest(ctx, bob, app.NewRequestInput{Name: "lease-01", Size: "S", Project: "shop", Justification: "load tests for the shop", LeaseDays: 12})
	did("create with a lease", err)
	ids["leased"] = leased.ID
	_, err = a.Approve(ctx, alice, leased.ID, 0)
	did("approve", err)
	_, err = a.Drive(ctx, alice, leased.ID, time.Minute, nil)
	did("drive", err)
	_, err = a.ExtendLease(ctx, bob, leased.ID, 3)
	did("extend within the most", err)
	_, err = a.ExtendLease(ctx, bob, leased.ID, 30)
	did("ask for a longer extension", err)
	_, err = a.RejectLeaseExtension(ctx, alice, leased.ID, "thirty days more is too long")
	did("reject the extension", err)
	_, err = a.ExtendLease(ctx, bob, leased.ID, 10)
	did("ask for another extension", err)
	_, err = a.ApproveLeaseExtension(ctx, alice, leased.ID)
	did("approve the extension", err)
	for _, wait := range []time.Duration{18 * app.Day, 6 * app.Day, app.Day, 0, 2 * app.Day} {
		clock.Advance(wait)
		_, err = a.LeaseTick(ctx)
		did("lease tick", err)
		// Only the lease's work runs: other requests' retries are not due.
		cmds, err := s.ListCommands(ctx, "acme")
		must(tb, err)
		for _, c := range cmds {
			if c.RequestID == leased.ID && c.Status == app.CommandPending {
				_, err = a.DriveCommand(ctx, "acme", c.Key, time.Minute)
				did("run the lease work", err)
			}
		}
	}

	// Accounts and tokens: their events, with the hashes kept apart.
	a.PasswordParams = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	operator := app.Actor{User: "root"}
	_, err = a.CreateUser(ctx, operator, "carol", "password-of-carol", false)
	did("create user", err)
	tok, err := a.CreateToken(ctx, operator, "carol", "laptop", 24*time.Hour)
	did("create token", err)
	did("revoke token", a.RevokeToken(ctx, operator, "carol", tok.ID))
	did("grant platform admin", a.GrantPlatformAdmin(ctx, operator, "carol"))
	did("disable user", a.DisableUser(ctx, operator, "carol"))
	return ids
}

func testReadModels(t *testing.T, open Open) {
	s := open(t)
	ids := Seed(t, s, func(what string) { checkModels(t, s, "after "+what) })
	want := map[string]app.Status{"decommissioned": app.StatusDecommissioned, "leased": app.StatusDecommissioned, "retried": app.StatusReady, "ready": app.StatusReady, "failed": app.StatusFailed,
		"waiting": app.StatusProvisioning, "retrying": app.StatusProvisioning, "rejected": app.StatusRejected,
		"cancelled": app.StatusCancelled, "pending": app.StatusPending, "other": app.StatusPending, "givenup": app.StatusCancelled}
	for name, id := range ids {
		v, err := s.Request(context.Background(), id)
		must(t, err)
		if v.Status != want[name] {
			t.Errorf("%s request is %s, want %s", name, v.Status, want[name])
		}
	}
	seen := map[string]bool{}
	events, err := s.ReadLog(context.Background(), 0, 1<<20)
	must(t, err)
	for _, e := range events {
		seen[e.Type] = true
	}
	for _, typ := range app.EventTypes() {
		if !seen[typ] {
			t.Errorf("the seeded log has no %s event", typ)
		}
	}
}

func testRebuild(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	Seed(t, s, nil)
	snapshot := func() (map[string]any, []app.Command) {
		out := map[string]any{}
		all, err := s.ListRequests(ctx, app.RequestFilter{})
		must(t, err)
		out["list"] = all
		for _, v := range all {
			tl, err := s.Timeline(ctx, v.ID)
			must(t, err)
			out["timeline "+v.ID] = tl
		}
		tenants, err := s.Tenants(ctx)
		must(t, err)
		out["tenants"] = tenants
		vs, err := s.VMwareSettings(ctx, "acme")
		must(t, err)
		out["vmware"] = vs
		cmds, err := s.ListCommands(ctx, "")
		must(t, err)
		return out, cmds
	}
	before, cmdsBefore := snapshot()
	sealed, err := s.Secret(ctx, "acme", app.SecretPassword)
	must(t, err)
	must(t, app.New(s, nil, nil).Rebuild(ctx))
	after, cmdsAfter := snapshot()
	for k, v := range before {
		if !reflect.DeepEqual(after[k], v) {
			t.Errorf("%s after rebuild\n got %+v\nwant %+v", k, after[k], v)
		}
	}
	if !reflect.DeepEqual(cmdsAfter, cmdsBefore) {
		t.Errorf("rebuild changed the queue")
	}
	again, err := s.Secret(ctx, "acme", app.SecretPassword)
	must(t, err)
	if string(again) != string(sealed) {
		t.Errorf("rebuild changed a secret")
	}
	checkModels(t, s, "after rebuild")
}

package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/app/apptest"
	"github.com/dvmm/dvmm/internal/store"
)

// t0 is the fixed time tests start at; its nanoseconds and zone check
// that times come back exact and in UTC.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.FixedZone("CET", 3600))

// MustOpenDB opens a new database in a temporary folder and closes it
// when the test ends.
func MustOpenDB(tb testing.TB) *store.DB {
	tb.Helper()
	return MustOpenPath(tb, filepath.Join(tb.TempDir(), "dvmm.db"))
}

// MustOpenPath opens (another handle on) the database at path.
func MustOpenPath(tb testing.TB, path string) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return db
}

// rawDB opens the file with plain database/sql, bypassing the store.
func rawDB(tb testing.TB, path string, pragmas ...string) *sql.DB {
	tb.Helper()
	dsn := path
	if len(pragmas) > 0 {
		dsn += "?_pragma=" + strings.Join(pragmas, "&_pragma=")
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// ids hands out the given request ids in order, then random ones.
func ids(list ...string) func() string {
	var mu sync.Mutex
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		if len(list) == 0 {
			return app.NewID()
		}
		id := list[0]
		list = list[1:]
		return id
	}
}

func wantKind(tb testing.TB, err error, kind app.Kind) {
	tb.Helper()
	if got := app.ErrorKind(err); got != kind {
		tb.Fatalf("error kind = %q (%v), want %q", got, err, kind)
	}
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// sealer is a SecretBox that only marks what it sealed: the store must
// keep the bytes, not understand them.
type sealer struct{}

func (sealer) Seal(p []byte) ([]byte, error) { return append([]byte("sealed:"), p...), nil }
func (sealer) Open(s []byte) ([]byte, error) {
	if !strings.HasPrefix(string(s), "sealed:") {
		return nil, errors.New("not sealed here")
	}
	return s[len("sealed:"):], nil
}

// hypervisor provisions every VM at once, except those whose name says
// otherwise: "fail-…" fails for good, "flaky-…" fails transiently.
type hypervisor struct{}

func (hypervisor) Provision(ctx context.Context, t app.Target, spec app.MachineSpec, progress func(app.Stage) error) (app.Machine, error) {
	switch {
	case strings.HasPrefix(spec.Name, "fail-"):
		return app.Machine{}, &app.Fault{Code: app.FaultTemplateNotFound, Message: "template " + t.Settings.Template + " not found"}
	case strings.HasPrefix(spec.Name, "flaky-"):
		return app.Machine{}, &app.Fault{Code: app.FaultUnreachable, Message: "vCenter unreachable", Transient: true}
	}
	for _, s := range []app.Stage{app.StageCloning, app.StageConfiguring, app.StagePoweringOn, app.StageWaitingNetwork} {
		if err := progress(s); err != nil {
			return app.Machine{}, err
		}
	}
	return app.Machine{Name: spec.Name, MoRef: "vm-42", InstanceUUID: "uuid-" + spec.RequestID, IP: "10.0.0.5",
		CPUs: spec.CPUs, MemoryMB: spec.MemoryMB, PowerState: "poweredOn"}, nil
}

func (hypervisor) Find(context.Context, app.Target, string) (app.Machine, bool, error) {
	return app.Machine{}, false, nil
}
func (hypervisor) Remove(context.Context, app.Target, string) error { return nil }
func (hypervisor) Check(context.Context, app.Target) []app.Check    { return nil }

func vmwareSettings() app.VMwareSettings {
	return app.VMwareSettings{URL: "https://vc.example/sdk", Username: "svc-dvmm", Datacenter: "DC0", Cluster: "DC0_C0",
		Datastore: "LocalDS_0", Network: "VM Network", Template: "ubuntu-22.04-template", Folder: "dvmm", Insecure: true}
}

// newApp wires the app to db with a fake clock.
func newApp(db *store.DB, c *apptest.Clock) *app.App {
	a := app.New(db, hypervisor{}, sealer{})
	a.Clock = c
	return a
}

func newClock(t time.Time) *apptest.Clock { return apptest.NewClock(t) }

func request(name string) app.NewRequestInput {
	return app.NewRequestInput{Name: name, Size: "S", Project: "shop", Justification: "load tests for the shop"}
}

// seedHistory drives the app through every path that leaves events: the
// log it leaves has every event type the app records today.
func seedHistory(tb testing.TB, db *store.DB) *app.App {
	tb.Helper()
	ctx := context.Background()
	c := newClock(t0)
	a := newApp(db, c)
	alice := app.Actor{User: "alice", Tenant: "acme", CorrelationID: "corr-1"}
	bob := app.Actor{User: "bob", Tenant: "acme"}
	tick := func() { c.Advance(1500 * time.Millisecond) }

	_, err := a.CreateTenant(ctx, alice, "acme", "alice")
	must(tb, err)
	_, err = a.AddMember(ctx, alice, "acme", "bob", app.RoleUser)
	must(tb, err)
	_, err = a.CreateTenant(ctx, app.Actor{User: "zed"}, "globex", "zed")
	must(tb, err)
	for _, p := range []string{"shop", "blog"} {
		_, err = a.CreateProject(ctx, alice, p)
		must(tb, err)
	}
	_, err = a.CreateProject(ctx, app.Actor{User: "zed", Tenant: "globex"}, "shop")
	must(tb, err)
	tick()

	create := func(actor app.Actor, name string) string {
		tick()
		v, err := a.CreateRequest(ctx, actor, request(name))
		must(tb, err)
		return v.ID
	}
	unconfigured := create(bob, "web-01")
	ready := create(bob, "web-02")
	failed := create(bob, "fail-01")
	flaky := create(bob, "flaky-01")
	rejected := create(bob, "web-03")
	cancelled := create(bob, "web-04")
	create(bob, "web-05") // stays pending
	create(app.Actor{User: "zed", Tenant: "globex"}, "web-01")

	tick()
	_, err = a.Approve(ctx, alice, unconfigured, 0) // no VMware settings yet: fails at once
	must(tb, err)
	_, err = a.SetVMware(ctx, alice, vmwareSettings(), "s3cret")
	must(tb, err)
	for _, id := range []string{ready, failed} {
		tick()
		_, err = a.Approve(ctx, alice, id, 0)
		must(tb, err)
		_, err = a.Drive(ctx, alice, id, time.Minute, nil)
		must(tb, err)
	}
	tick()
	_, err = a.Retry(ctx, alice, unconfigured)
	must(tb, err)
	_, err = a.Drive(ctx, alice, unconfigured, time.Minute, nil)
	must(tb, err)

	tick()
	_, err = a.Approve(ctx, alice, flaky, 0)
	must(tb, err)
	cmd, ok, err := db.Claim(ctx, app.Claim{Worker: "w1", Key: app.CreateVMKey(flaky, 1), Now: c.Now(), Lease: time.Minute})
	if err != nil || !ok {
		tb.Fatalf("claim the flaky CreateVm: %v %v", ok, err)
	}
	must(tb, a.RunCommand(ctx, cmd, "w1")) // transient: a retry is scheduled

	tick()
	_, err = a.Reject(ctx, alice, rejected, "not in this quarter's budget", 0)
	must(tb, err)
	_, err = a.Cancel(ctx, bob, cancelled)
	must(tb, err)
	return a
}

func short(id string) string { return fmt.Sprintf("%.8s", id) }

func itoa(n int) string { return fmt.Sprint(n) }

func storeIsUnique(err error) bool { return store.IsUniqueViolation(err) }

package vsphere_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/vsphere"
)

// hungListener accepts connections and never answers: a vCenter whose
// service hangs.
func hungListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// Every call to vCenter has a deadline: against a vCenter that accepts
// connections and never answers, provisioning, lookups and checks end
// within the login timeout with a transient fault, so the work stays
// queued instead of hanging a worker.
func TestHungVCenterTimesOut(t *testing.T) {
	t.Parallel()
	addr := hungListener(t)
	c := newClient(t, vsphere.Options{LoginTimeout: 300 * time.Millisecond, BreakerFailures: 100})
	tg := app.Target{Tenant: "acme", Password: "pw", Settings: app.VMwareSettings{URL: "https://" + addr + "/sdk", Username: "u",
		Datacenter: "DC0", Cluster: "C0", Datastore: "DS", Network: "VM Network", Template: "tpl", Folder: "dvmm", Insecure: true}}
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"provision": func() error { _, err := c.Provision(ctx, tg, machineSpec("req-1", "web-01"), nil); return err },
		"find":      func() error { _, _, err := c.Find(ctx, tg, "req-1"); return err },
		"survey":    func() error { _, err := c.Survey(ctx, tg); return err },
		"remove":    func() error { return c.Remove(ctx, tg, "req-1") },
	} {
		start := time.Now()
		err := call()
		took := time.Since(start)
		f := asFault(t, err)
		if !f.Transient || f.Code != app.FaultTimeout {
			t.Errorf("%s against a hung vCenter: %+v, want a transient %s", name, f, app.FaultTimeout)
		}
		t.Logf("%s gave up after %s", name, took.Round(time.Millisecond))
	}
	checks := c.Check(ctx, tg)
	if len(checks) == 0 || checks[0].OK {
		t.Errorf("check against a hung vCenter: %+v", checks)
	}
}

// A vCenter that goes away while the VM waits for its IP is a connection
// problem (a transient fault), never "ready with the IP pending".
func TestConnectionLostWhileWaitingForIP(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := startSim(t, vsphere.SimOptions{IPDelay: time.Hour}) // the guest never gets an address
	c := newClient(t, vsphere.Options{BreakerFailures: 100})
	spec := machineSpec("req-1", "web-01")
	spec.IPTimeout = 3 * time.Second
	var once sync.Once
	_, err := c.Provision(ctx, sim.Target("acme", "dvmm"), spec, func(st app.Stage) error {
		if st == app.StageWaitingNetwork {
			once.Do(func() { go func() { time.Sleep(300 * time.Millisecond); sim.Close() }() })
		}
		return nil
	})
	f := asFault(t, err)
	if !f.Transient || f.Code != app.FaultUnreachable && f.Code != app.FaultTimeout {
		t.Fatalf("vCenter gone while waiting for the IP: %+v, want a transient connection fault", f)
	}
}

// Without any connection problem, a guest with no address at the deadline
// is ready with its IP pending.
func TestNoIPBeforeTheDeadline(t *testing.T) {
	t.Parallel()
	sim := startSim(t, vsphere.SimOptions{IPDelay: time.Hour})
	c := newClient(t, vsphere.Options{})
	spec := machineSpec("req-1", "web-01")
	spec.IPTimeout = time.Second
	m, err := c.Provision(context.Background(), sim.Target("acme", "dvmm"), spec, nil)
	if err != nil || m.IP != "" || m.MoRef == "" {
		t.Fatalf("no IP before the deadline: %+v, %v", m, err)
	}
}

// A vCenter that logs us in and then stops answering: each call after
// login has a deadline of its own (CallTimeout), so a lookup or the call
// that starts a clone ends with a transient timeout rather than waiting
// for the slow answer. With the delays here and no per-call deadline,
// every call below would succeed.
func TestSilentVCenterAfterLoginTimesOut(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		method string
		call   func(c *vsphere.Client, tg app.Target) error
	}{
		{"RetrievePropertiesEx", func(c *vsphere.Client, tg app.Target) error {
			_, err := c.Survey(context.Background(), tg)
			return err
		}},
		{"CloneVM_Task", func(c *vsphere.Client, tg app.Target) error {
			_, err := c.Provision(context.Background(), tg, machineSpec("req-1", "web-01"), nil)
			return err
		}},
	} {
		t.Run(tc.method, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, vsphere.SimOptions{MethodDelays: map[string]time.Duration{tc.method: 2 * time.Second}})
			c := newClient(t, vsphere.Options{CallTimeout: 200 * time.Millisecond, BreakerFailures: 100})
			start := time.Now()
			err := tc.call(c, sim.Target("acme", "dvmm"))
			t.Logf("gave up after %s", time.Since(start).Round(time.Millisecond))
			f := asFault(t, err)
			if !f.Transient || f.Code != app.FaultTimeout {
				t.Errorf("%s that does not answer: %+v, want a transient %s", tc.method, f, app.FaultTimeout)
			}
		})
	}
}

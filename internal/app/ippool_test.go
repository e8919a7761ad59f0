package app_test

import (
	"context"
	"testing"

	"github.com/dvmm/dvmm/internal/app"
)

func TestIPPoolValidate(t *testing.T) {
	ok := app.IPPool{Network: "VM Network", First: "10.0.5.10", Last: "10.0.5.99", Prefix: 24, Gateway: "10.0.5.1", DNS: []string{"10.0.5.2"}}
	tests := []struct {
		name string
		edit func(p *app.IPPool)
		ok   bool
	}{
		{"OK", func(p *app.IPPool) {}, true},
		{"OKNoGateway", func(p *app.IPPool) { p.Gateway = "" }, true},
		{"ErrBackwards", func(p *app.IPPool) { p.First, p.Last = p.Last, p.First }, false},
		{"ErrTwoSubnets", func(p *app.IPPool) { p.Last = "10.0.6.5" }, false},
		{"ErrNetworkAddress", func(p *app.IPPool) { p.First = "10.0.5.0" }, false},
		{"ErrBroadcast", func(p *app.IPPool) { p.Last = "10.0.5.255" }, false},
		{"ErrGatewayInRange", func(p *app.IPPool) { p.Gateway = "10.0.5.50" }, false},
		{"ErrGatewayElsewhere", func(p *app.IPPool) { p.Gateway = "10.0.9.1" }, false},
		{"ErrIPv6", func(p *app.IPPool) { p.First = "2001:db8::1" }, false},
		{"ErrPrefix", func(p *app.IPPool) { p.Prefix = 31 }, false},
		{"ErrTooManyDNS", func(p *app.IPPool) { p.DNS = []string{"1.1.1.1", "1.0.0.1", "8.8.8.8", "8.8.4.4"} }, false},
		{"ErrBadDNS", func(p *app.IPPool) { p.DNS = []string{"dns.example"} }, false},
		{"ErrTooLarge", func(p *app.IPPool) { p.First, p.Last, p.Prefix, p.Gateway = "10.0.0.1", "10.2.0.1", 8, "" }, false},
		{"ErrControlInNetwork", func(p *app.IPPool) { p.Network = "VM\x1b[2JNetwork" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ok
			p.DNS = append([]string(nil), ok.DNS...)
			tt.edit(&p)
			err := p.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate(%+v) = %v, want ok=%v", p, err, tt.ok)
			}
			if err != nil && app.ErrorKind(err) != app.KindInvalid {
				t.Fatalf("kind %s, want invalid", app.ErrorKind(err))
			}
		})
	}
}

// The last address goes to one approval; the other fails before any
// clone; a failed request gives its address back.
func TestIPPoolLeases(t *testing.T) {
	w := newWorld(t)
	w.vmware()
	network := "VM Network"
	_, err := w.app.AddIPPool(w.ctx, w.alice, app.IPPool{Network: network, First: "10.0.5.10", Last: "10.0.5.10", Prefix: 24})
	w.must(err)
	a, b := w.create(w.bob, "web-01"), w.create(w.bob, "web-02")
	_, err = w.app.Approve(w.ctx, w.alice, a.ID, 0)
	w.must(err)
	_, err = w.app.Approve(w.ctx, w.alice, b.ID, 0)
	w.must(err)
	if v := w.request(b.ID); v.Status != app.StatusFailed || v.VM.ErrorCode != app.FaultIPPoolExhausted {
		t.Fatalf("second approval on a full pool: %s %+v", v.Status, v.VM)
	}
	if calls := w.hv.CallsTo("provision " + b.ID); len(calls) != 0 {
		t.Fatalf("a request without an address reached vCenter: %v", calls)
	}
	w.hv.ProvisionFn = func(ctx context.Context, tg app.Target, spec app.MachineSpec, progress func(app.Stage) error) (app.Machine, error) {
		if spec.StaticIP == nil || spec.StaticIP.Address != "10.0.5.10" || spec.StaticIP.Prefix != 24 {
			t.Errorf("spec %+v has no leased address", spec.StaticIP)
		}
		return app.Machine{}, &app.Fault{Code: app.FaultTemplateNotFound, Message: "no template"}
	}
	w.drain()
	if v := w.request(a.ID); v.Status != app.StatusFailed {
		t.Fatalf("first request %s, want failed", v.Status)
	}
	pools, err := w.app.ListIPPools(w.ctx, w.bob)
	w.must(err)
	if len(pools) != 1 || len(pools[0].Leases) != 0 {
		t.Fatalf("after the failure the pool holds %+v, want the address back", pools)
	}
	// The retry of the second request now gets it.
	w.hv.ProvisionFn = nil
	_, err = w.app.Retry(w.ctx, w.alice, b.ID)
	w.must(err)
	w.drain()
	if m, ok := w.hv.Made(b.ID); !ok || w.request(b.ID).Status != app.StatusReady {
		t.Fatalf("retry: %+v %v %s", m, ok, w.request(b.ID).Status)
	}
	pools, err = w.app.ListIPPools(w.ctx, w.bob)
	w.must(err)
	if len(pools[0].Leases) != 1 || pools[0].Leases[0].RequestID != b.ID {
		t.Fatalf("leases %+v, want the retried request's", pools[0].Leases)
	}
}

package vsphere_test

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/vsphere"
)

// Guest customization: the host name is the VM's name, a leased address
// is fixed on its NIC (DHCP does not replace it), and cloud-init user
// data is in guestinfo.userdata, base64 as cloud-init's VMware source reads it.
func TestProvisionCustomizesTheGuest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := startSim(t, vsphere.SimOptions{IPDelay: 20 * time.Millisecond})
	obs := observer(t, sim)
	c := newClient(t, vsphere.Options{})
	tg := sim.Target("acme", "dvmm")

	spec := machineSpec("req-1", "web-01")
	spec.StaticIP = &app.StaticIP{Address: "10.0.5.10", Prefix: 24, Gateway: "10.0.5.1", DNS: []string{"10.0.5.2"}}
	spec.UserData = []byte("#cloud-config\npackages: [nginx]\n")
	m, err := c.Provision(ctx, tg, spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.IP != "10.0.5.10" || m.Hostname != "web-01" {
		t.Fatalf("machine %+v, want the leased address and the VM's name as host name", m)
	}
	vm := vmAt(t, obs, "dvmm/acme/shop/web-01")
	if got := extraConfig(vm, "guestinfo.userdata"); got != base64.StdEncoding.EncodeToString(spec.UserData) {
		t.Errorf("guestinfo.userdata = %q", got)
	}
	if got := extraConfig(vm, "guestinfo.userdata.encoding"); got != "base64" {
		t.Errorf("guestinfo.userdata.encoding = %q", got)
	}
	if len(vm.Guest.Net) == 0 || vm.Guest.Net[0].DnsConfig == nil || len(vm.Guest.Net[0].DnsConfig.IpAddress) != 1 ||
		vm.Guest.Net[0].DnsConfig.IpAddress[0] != "10.0.5.2" {
		t.Errorf("guest NIC %+v, want the pool's DNS server", vm.Guest.Net)
	}
	// Later DHCP leases of the simulator leave the fixed address alone.
	time.Sleep(100 * time.Millisecond)
	if vm := vmAt(t, obs, "dvmm/acme/shop/web-01"); vm.Guest.IpAddress != "10.0.5.10" {
		t.Errorf("guest.ipAddress %q after DHCP, want the fixed 10.0.5.10", vm.Guest.IpAddress)
	}

	// Without a pool: DHCP, and no user data key at all.
	m, err = c.Provision(ctx, tg, machineSpec("req-2", "web-02"), nil)
	if err != nil || m.IP == "" || m.IP == "10.0.5.10" || m.Hostname != "web-02" {
		t.Fatalf("DHCP machine %+v, %v", m, err)
	}
	if got := extraConfig(vmAt(t, obs, "dvmm/acme/shop/web-02"), "guestinfo.userdata"); got != "" {
		t.Errorf("a VM without user data has guestinfo.userdata %q", got)
	}
}

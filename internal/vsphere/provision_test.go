package vsphere

import (
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"
)

func TestGuestAddress(t *testing.T) {
	const mac = "00:50:56:aa:bb:01"
	ours := []nicID{{MAC: mac, Network: "VM Network"}}
	nic := func(mac, network string, ips ...string) types.GuestNicInfo {
		return types.GuestNicInfo{MacAddress: mac, Network: network, IpAddress: ips, Connected: true}
	}
	docker := nic("02:42:ac:11:00:01", "", "172.17.0.1", "fe80::42:acff:fe11:1")
	tests := []struct {
		name      string
		net       []types.GuestNicInfo
		ipAddress string
		nics      []nicID
		want      address
	}{
		{"OneNIC", []types.GuestNicInfo{nic(mac, "VM Network", "10.0.0.5")}, "10.0.0.5", ours,
			address{IPv4: "10.0.0.5", MAC: mac}},
		{"DockerBridgeFirst", []types.GuestNicInfo{docker, nic(mac, "VM Network", "10.0.0.5")}, "172.17.0.1", ours,
			address{IPv4: "10.0.0.5", MAC: mac}},
		{"LinkLocalFirst", []types.GuestNicInfo{nic(mac, "VM Network", "fe80::250:56ff:feaa:bb01", "169.254.7.9", "10.0.0.5", "2001:db8::5")}, "169.254.7.9", ours,
			address{IPv4: "10.0.0.5", IPv6: "2001:db8::5", MAC: mac}},
		{"LoopbackNeverCounts", []types.GuestNicInfo{nic(mac, "VM Network", "127.0.0.1", "::1", "10.0.0.5")}, "127.0.0.1", ours,
			address{IPv4: "10.0.0.5", MAC: mac}},
		{"OnlyLinkLocalYet", []types.GuestNicInfo{docker, nic(mac, "VM Network", "169.254.7.9", "fe80::1")}, "172.17.0.1", ours,
			address{}},
		{"OurNICHasNoAddressYet", []types.GuestNicInfo{docker, nic(mac, "VM Network")}, "172.17.0.1", ours,
			address{}},
		{"NoPerNICDataFallsBack", nil, "10.0.0.5", ours, address{IPv4: "10.0.0.5"}},
		{"NoPerNICDataLinkLocalFallback", nil, "169.254.7.9", ours, address{}},
		{"NoPerNICDataLoopbackFallback", nil, "127.0.0.1", ours, address{}},
		{"NoPerNICDataIPv6Fallback", nil, "2001:db8::5", ours, address{IPv6: "2001:db8::5"}},
		{"NoPerNICDataNothing", nil, "", ours, address{}},
		{"MACCaseAndZone", []types.GuestNicInfo{nic("00:50:56:AA:BB:01", "", "fe80::1%ens192", "2001:db8::5/64", "10.0.0.5/24")}, "", ours,
			address{IPv4: "10.0.0.5", IPv6: "2001:db8::5", MAC: mac}},
		{"ByNetworkWhenNoMACMatches", []types.GuestNicInfo{docker, nic("", "VM Network", "10.0.0.5")}, "172.17.0.1", ours,
			address{IPv4: "10.0.0.5", MAC: mac}},
		{"OtherNetworkNeverWins", []types.GuestNicInfo{nic("00:50:56:aa:bb:02", "Backup", "192.168.5.5"), nic(mac, "VM Network")}, "192.168.5.5", ours,
			address{}},
		{"IPConfigAddresses", []types.GuestNicInfo{{MacAddress: mac, IpConfig: &types.NetIpConfigInfo{IpAddress: []types.NetIpConfigInfoIpAddress{
			{IpAddress: "fe80::1", PrefixLength: 64}, {IpAddress: "10.0.0.5", PrefixLength: 24}}}}}, "", ours,
			address{IPv4: "10.0.0.5", MAC: mac}},
		{"IPv6OnlySoFar", []types.GuestNicInfo{nic(mac, "VM Network", "2001:db8::5")}, "", ours,
			address{IPv6: "2001:db8::5", MAC: mac}},
		{"FirstNICWithIPv4Wins", []types.GuestNicInfo{nic("00:50:56:aa:bb:02", "Backup"), nic(mac, "VM Network", "10.0.0.5")}, "",
			[]nicID{{MAC: "00:50:56:aa:bb:02"}, {MAC: mac}}, address{IPv4: "10.0.0.5", MAC: mac}},
		{"Garbage", []types.GuestNicInfo{nic(mac, "VM Network", "", "not-an-ip", "0.0.0.0", "224.0.0.1", "255.255.255.255")}, "", ours,
			address{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := guestAddress(tt.net, tt.ipAddress, tt.nics); got != tt.want {
				t.Errorf("guestAddress = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestVMNICs(t *testing.T) {
	net1 := types.ManagedObjectReference{Type: "Network", Value: "network-7"}
	net2 := types.ManagedObjectReference{Type: "Network", Value: "network-8"}
	card := func(key int32, mac string, b types.BaseVirtualDeviceBackingInfo) types.BaseVirtualDevice {
		return &types.VirtualVmxnet3{VirtualVmxnet: types.VirtualVmxnet{VirtualEthernetCard: types.VirtualEthernetCard{
			VirtualDevice: types.VirtualDevice{Key: key, Backing: b}, MacAddress: mac}}}
	}
	devices := object.VirtualDeviceList{
		card(4000, "00:50:56:00:00:01", &types.VirtualEthernetCardNetworkBackingInfo{
			VirtualDeviceDeviceBackingInfo: types.VirtualDeviceDeviceBackingInfo{DeviceName: "Backup"}, Network: &net2}),
		card(4001, "00:50:56:00:00:02", &types.VirtualEthernetCardNetworkBackingInfo{
			VirtualDeviceDeviceBackingInfo: types.VirtualDeviceDeviceBackingInfo{DeviceName: "VM Network"}, Network: &net1}),
		card(4002, "00:50:56:00:00:03", &types.VirtualEthernetCardDistributedVirtualPortBackingInfo{
			Port: types.DistributedVirtualSwitchPortConnection{PortgroupKey: "dvportgroup-9"}}),
	}
	dvpg := types.ManagedObjectReference{Type: "DistributedVirtualPortgroup", Value: "dvportgroup-9"}
	tests := []struct {
		name    string
		network string
		ref     *types.ManagedObjectReference
		want    []nicID
	}{
		{"ByMoRef", "VM Network", &net1, []nicID{{MAC: "00:50:56:00:00:02", Network: "VM Network"}}},
		{"ByName", "VM Network", nil, []nicID{{MAC: "00:50:56:00:00:02", Network: "VM Network"}}},
		{"Portgroup", "dvpg-web", &dvpg, []nicID{{MAC: "00:50:56:00:00:03", Network: "dvpg-web"}}},
		{"NoneOnTheNetworkGivesAll", "Elsewhere", nil, []nicID{
			{MAC: "00:50:56:00:00:01", Network: "Backup"}, {MAC: "00:50:56:00:00:02", Network: "VM Network"}, {MAC: "00:50:56:00:00:03"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := vmNICs(devices, tt.network, tt.ref)
			if len(got) != len(tt.want) {
				t.Fatalf("vmNICs = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("vmNICs = %+v, want %+v", got, tt.want)
				}
			}
		})
	}
}

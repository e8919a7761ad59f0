package app

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// IPPool is a tenant's static IPv4 addresses for one network. A VM on a
// network with a pool gets an address leased from it through guest
// customization; on a network without one, DHCP.
type IPPool struct {
	Network string   `json:"network"`
	First   string   `json:"first"`
	Last    string   `json:"last"`
	Prefix  int      `json:"prefix"`
	Gateway string   `json:"gateway,omitempty"`
	DNS     []string `json:"dns,omitempty"`
}

// IPLease is an address of a pool held by a request's VM.
type IPLease struct {
	RequestID string `json:"request_id"`
	Network   string `json:"network"`
	Address   string `json:"address"`
}

// Events of the tenant stream for pools and their leases. Leases live on
// the tenant's stream so that the tenant decides them: two approvals that
// want the last address conflict on the stream's version, and one retries.
const (
	EvTenantIPPoolAdded     = "tenant.ip_pool_added"
	EvTenantIPPoolRemoved   = "tenant.ip_pool_removed"
	EvTenantAddressLeased   = "tenant.address_leased"
	EvTenantAddressReleased = "tenant.address_released"
	maxPoolAddresses        = 65536
	maxDNSServers           = 3
)

type TenantIPPoolAdded struct {
	Pool IPPool `json:"pool"`
}

type TenantIPPoolRemoved struct {
	Network string `json:"network"`
}

type TenantAddressLeased struct {
	RequestID string `json:"request_id"`
	Network   string `json:"network"`
	Address   string `json:"address"`
}

type TenantAddressReleased struct {
	RequestID string `json:"request_id"`
	Network   string `json:"network"`
	Address   string `json:"address"`
	Reason    string `json:"reason"`
}

func (TenantIPPoolAdded) EventType() string     { return EvTenantIPPoolAdded }
func (TenantIPPoolRemoved) EventType() string   { return EvTenantIPPoolRemoved }
func (TenantAddressLeased) EventType() string   { return EvTenantAddressLeased }
func (TenantAddressReleased) EventType() string { return EvTenantAddressReleased }

// ParseRange reads "A-B" into the first and last address of a pool.
func ParseRange(s string) (first, last string, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return "", "", Errorf(KindInvalid, "a range is FIRST-LAST, e.g. 10.0.5.10-10.0.5.99, not %s", quote(s, 40))
	}
	return strings.TrimSpace(a), strings.TrimSpace(b), nil
}

func parseIPv4(what, s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, Errorf(KindInvalid, "%s must be an IPv4 address, not %s", what, quote(s, 40))
	}
	return a, nil
}

func addrNum(a netip.Addr) uint32 { b := a.As4(); return binary.BigEndian.Uint32(b[:]) }

func numAddr(n uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], n)
	return netip.AddrFrom4(b)
}

// Validate checks a pool on its own: addresses, order, size, subnet.
func (p IPPool) Validate() error {
	if err := validateLine("network", p.Network, 1, 255); err != nil {
		return err
	}
	first, err := parseIPv4("the first address", p.First)
	if err != nil {
		return err
	}
	last, err := parseIPv4("the last address", p.Last)
	if err != nil {
		return err
	}
	if p.Prefix < 8 || p.Prefix > 30 {
		return Errorf(KindInvalid, "the prefix length must be between 8 and 30, not %d", p.Prefix)
	}
	if addrNum(first) > addrNum(last) {
		return Errorf(KindInvalid, "the range %s-%s ends before it starts", p.First, p.Last)
	}
	if n := addrNum(last) - addrNum(first) + 1; n > maxPoolAddresses {
		return Errorf(KindInvalid, "a pool holds at most %d addresses, not %d", maxPoolAddresses, n)
	}
	subnet := netip.PrefixFrom(first, p.Prefix).Masked()
	if !subnet.Contains(last) {
		return Errorf(KindInvalid, "the range %s-%s is not within one /%d subnet", p.First, p.Last, p.Prefix)
	}
	bcast := numAddr(addrNum(subnet.Addr()) | (1<<(32-p.Prefix) - 1))
	if first == subnet.Addr() || last == bcast {
		return Errorf(KindInvalid, "the range must leave out the subnet's network (%s) and broadcast (%s) addresses", subnet.Addr(), bcast)
	}
	if p.Gateway != "" {
		gw, err := parseIPv4("the gateway", p.Gateway)
		if err != nil {
			return err
		}
		if !subnet.Contains(gw) {
			return Errorf(KindInvalid, "the gateway %s is not in the subnet %s", p.Gateway, subnet)
		}
		if addrNum(gw) >= addrNum(first) && addrNum(gw) <= addrNum(last) {
			return Errorf(KindInvalid, "the gateway %s is inside the range: it would be leased to a VM", p.Gateway)
		}
	}
	if len(p.DNS) > maxDNSServers {
		return Errorf(KindInvalid, "give at most %d DNS servers", maxDNSServers)
	}
	for _, d := range p.DNS {
		if _, err := parseIPv4("a DNS server", d); err != nil {
			return err
		}
	}
	return nil
}

// Size is how many addresses the pool holds.
func (p IPPool) Size() int {
	f, _ := netip.ParseAddr(p.First)
	l, _ := netip.ParseAddr(p.Last)
	return int(addrNum(l) - addrNum(f) + 1)
}

// AddIPPool decides a new pool for a network that has none.
func (t *Tenant) AddIPPool(actor string, p IPPool) ([]Payload, error) {
	if err := t.RequireAdmin(actor, "change IP pools"); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if _, ok := t.pools[p.Network]; ok {
		return nil, Errorf(KindConflict, "network %s has an IP pool already: remove it first", quote(p.Network, 60))
	}
	return []Payload{TenantIPPoolAdded{Pool: p}}, nil
}

// RemoveIPPool decides the removal of a network's pool; a pool with
// leased addresses stays.
func (t *Tenant) RemoveIPPool(actor, network string) ([]Payload, error) {
	if err := t.RequireAdmin(actor, "change IP pools"); err != nil {
		return nil, err
	}
	if _, ok := t.pools[network]; !ok {
		return nil, Errorf(KindNotFound, "network %s has no IP pool", quote(network, 60))
	}
	if n := len(t.LeasesOn(network)); n > 0 {
		return nil, Errorf(KindConflict, "%d address(es) of the pool of network %s are leased to VMs", n, quote(network, 60))
	}
	return []Payload{TenantIPPoolRemoved{Network: network}}, nil
}

// Pool returns a network's pool.
func (t *Tenant) Pool(network string) (IPPool, bool) {
	p, ok := t.pools[network]
	return p, ok
}

// Pools lists the tenant's pools by network.
func (t *Tenant) Pools() []IPPool {
	out := make([]IPPool, 0, len(t.pools))
	for _, p := range t.pools {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b IPPool) int { return strings.Compare(a.Network, b.Network) })
	return out
}

// LeasesOn lists the leases of a network's pool.
func (t *Tenant) LeasesOn(network string) []IPLease {
	var out []IPLease
	for _, l := range t.leases {
		if l.Network == network {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b IPLease) int { return strings.Compare(a.Address, b.Address) })
	return out
}

// LeaseOf is the address a request's VM holds, if any.
func (t *Tenant) LeaseOf(requestID string) (IPLease, bool) {
	l, ok := t.leases[requestID]
	return l, ok
}

// LeaseAddress decides the address of a request's VM on network: none
// when the network has no pool (DHCP), the one it holds already, or the
// lowest free one. A full pool is a permanent fault, before any clone.
func (t *Tenant) LeaseAddress(requestID, network string) ([]Payload, *Fault) {
	p, ok := t.pools[network]
	if !ok {
		return nil, nil
	}
	if l, ok := t.leases[requestID]; ok && l.Network == network {
		return nil, nil
	}
	used := map[string]bool{}
	for _, l := range t.LeasesOn(network) {
		used[l.Address] = true
	}
	first, _ := netip.ParseAddr(p.First)
	last, _ := netip.ParseAddr(p.Last)
	for n := addrNum(first); n <= addrNum(last); n++ {
		a := numAddr(n).String()
		if !used[a] {
			return []Payload{TenantAddressLeased{RequestID: requestID, Network: network, Address: a}}, nil
		}
	}
	return nil, &Fault{Code: FaultIPPoolExhausted, Message: fmt.Sprintf("the IP pool of network %s is exhausted: all %d addresses (%s-%s) are leased",
		network, p.Size(), p.First, p.Last)}
}

// ReleaseAddress decides giving back the address a request's VM holds.
func (t *Tenant) ReleaseAddress(requestID, reason string) []Payload {
	l, ok := t.leases[requestID]
	if !ok {
		return nil
	}
	return []Payload{TenantAddressReleased{RequestID: requestID, Network: l.Network, Address: l.Address, Reason: reason}}
}

// StaticIPOf is the guest configuration of a request's leased address,
// or nil for DHCP.
func (t *Tenant) StaticIPOf(requestID string) *StaticIP {
	l, ok := t.leases[requestID]
	if !ok {
		return nil
	}
	p, ok := t.pools[l.Network]
	if !ok {
		return nil
	}
	return &StaticIP{Address: l.Address, Prefix: p.Prefix, Gateway: p.Gateway, DNS: p.DNS}
}

// IPPoolView is a pool with its use, as 'vmware ip-pool list' shows it.
type IPPoolView struct {
	IPPool
	Size   int       `json:"size"`
	Leases []IPLease `json:"leases"`
}

// AddIPPool adds a static address pool for a network of the tenant.
func (a *App) AddIPPool(ctx context.Context, actor Actor, p IPPool) (IPPoolView, error) {
	return a.changePools(ctx, actor, p.Network, func(t *Tenant) ([]Payload, error) { return t.AddIPPool(actor.User, p) })
}

// RemoveIPPool removes a network's pool when none of its addresses is leased.
func (a *App) RemoveIPPool(ctx context.Context, actor Actor, network string) error {
	_, err := a.changePools(ctx, actor, network, func(t *Tenant) ([]Payload, error) { return t.RemoveIPPool(actor.User, network) })
	return err
}

func (a *App) changePools(ctx context.Context, actor Actor, network string, decide func(*Tenant) ([]Payload, error)) (IPPoolView, error) {
	if err := needTenant(actor); err != nil {
		return IPPoolView{}, err
	}
	var out IPPoolView
	err := a.Store.Update(ctx, func(tx Tx) error {
		t, err := loadTenant(ctx, tx, actor.Tenant)
		if err != nil {
			return err
		}
		if err := t.RequireMember(actor.User); err != nil {
			return err
		}
		payloads, err := decide(t)
		if err != nil {
			return err
		}
		evs, err := a.record(ctx, tx, actor.Tenant, StreamTenant, actor.Tenant, t.Version(), a.meta(actor), payloads...)
		if err != nil {
			return err
		}
		for _, e := range evs {
			t.apply(e)
		}
		if p, ok := t.Pool(network); ok {
			out = IPPoolView{IPPool: p, Size: p.Size(), Leases: t.LeasesOn(network)}
		}
		return nil
	})
	return out, err
}

// ListIPPools lists the tenant's pools with their leases.
func (a *App) ListIPPools(ctx context.Context, actor Actor) ([]IPPoolView, error) {
	t, err := a.memberOf(ctx, actor)
	if err != nil {
		return nil, err
	}
	out := []IPPoolView{}
	for _, p := range t.Pools() {
		leases := t.LeasesOn(p.Network)
		if leases == nil {
			leases = []IPLease{}
		}
		out = append(out, IPPoolView{IPPool: p, Size: p.Size(), Leases: leases})
	}
	return out, nil
}

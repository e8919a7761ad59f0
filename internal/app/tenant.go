package app

import "slices"

// Role of a tenant member.
type Role string

const (
	RoleAdmin Role = "admin"
	RoleUser  Role = "user"
)

// ParseRole accepts "admin" or "user".
func ParseRole(s string) (Role, error) {
	switch Role(s) {
	case RoleAdmin, RoleUser:
		return Role(s), nil
	}
	return "", Errorf(KindInvalid, "unknown role %s: use admin or user", quote(s, 20))
}

// Tenant is the aggregate of a tenant: its members and VMware settings.
type Tenant struct {
	name     string
	version  int
	members  map[string]Role
	vmware   *VMwareSettings
	pools    map[string]IPPool  // by network
	leases   map[string]IPLease // by request id
	quotas   map[string]Amount  // limits by project, "" for the tenant
	channels []NotifyChannel    // notification channels, oldest first
	// leasePolicy says how long its VMs live; the zero one: for ever.
	leasePolicy LeasePolicy
	// projectsMembersOnly: requesters may ask only in their projects.
	projectsMembersOnly bool
}

// NewTenant rebuilds a tenant from its events.
func NewTenant(name string, events []Event) *Tenant {
	t := &Tenant{name: name, members: map[string]Role{}, pools: map[string]IPPool{}, leases: map[string]IPLease{}, quotas: map[string]Amount{}}
	for _, e := range events {
		t.apply(e)
	}
	return t
}

func (t *Tenant) apply(e Event) {
	t.version = e.Version
	switch p := e.Data.(type) {
	case TenantCreated:
		t.members[p.Admin] = RoleAdmin
	case TenantMemberAdded:
		t.members[p.User] = p.Role
	case TenantMemberRoleChanged:
		t.members[p.User] = p.To
	case TenantMemberRemoved:
		delete(t.members, p.User)
	case VMwareConfigured:
		s := p.Settings
		t.vmware = &s
	case TenantIPPoolAdded:
		t.pools[p.Pool.Network] = p.Pool
	case TenantIPPoolRemoved:
		delete(t.pools, p.Network)
	case TenantAddressLeased:
		t.leases[p.RequestID] = IPLease(p)
	case TenantAddressReleased:
		delete(t.leases, p.RequestID)
	case TenantQuotaSet:
		t.quotas[p.Project] = p.Limits
	case TenantProjectAccessSet:
		t.projectsMembersOnly = p.MembersOnly
	case NotifyChannelAdded:
		t.channels = append(t.channels, p.Channel)
	case NotifyChannelRemoved:
		t.channels = slices.DeleteFunc(t.channels, func(c NotifyChannel) bool { return c.ID == p.ID })
	case TenantLeasePolicySet:
		t.leasePolicy = p.Policy
	}
}

// Exists reports whether the tenant was created.
func (t *Tenant) Exists() bool { return t.version > 0 }

// Version is the number of events in the tenant's stream.
func (t *Tenant) Version() int { return t.version }

// Create decides the creation of a tenant.
func (t *Tenant) Create(admin string) ([]Payload, error) {
	if err := ValidateSlug("tenant name", t.name); err != nil {
		return nil, err
	}
	if err := ValidateSlug("admin user", admin); err != nil {
		return nil, err
	}
	if t.Exists() {
		return nil, Errorf(KindConflict, "tenant %q already exists", t.name)
	}
	return []Payload{TenantCreated{Name: t.name, Admin: admin}}, nil
}

// AddMember decides adding (or changing the role of) a member.
func (t *Tenant) AddMember(actor, user string, role Role) ([]Payload, error) {
	if err := t.RequireAdmin(actor, "add members"); err != nil {
		return nil, err
	}
	if err := ValidateSlug("user", user); err != nil {
		return nil, err
	}
	if have, ok := t.members[user]; ok {
		return nil, Coded(KindConflict, CodeAlreadyMember, "%s is already a member of %s with role %s", user, t.name, have)
	}
	return []Payload{TenantMemberAdded{User: user, Role: role}}, nil
}

// SetRole decides a change of a member's role. The last admin cannot be
// demoted: a tenant without an admin could never approve again.
func (t *Tenant) SetRole(actor, user string, role Role) ([]Payload, error) {
	if err := t.RequireAdmin(actor, "change roles"); err != nil {
		return nil, err
	}
	have, ok := t.members[user]
	if !ok {
		return nil, Errorf(KindNotFound, "%s is not a member of %s", quote(user, 40), t.name)
	}
	if have == role {
		return nil, Errorf(KindConflict, "%s is already %s of %s", user, role, t.name)
	}
	if have == RoleAdmin && t.admins() == 1 {
		return nil, Coded(KindConflict, CodeLastAdmin, "%s is the last admin of %s", user, t.name)
	}
	return []Payload{TenantMemberRoleChanged{User: user, From: have, To: role}}, nil
}

// RemoveMember decides taking a member out of the tenant; the last admin stays.
func (t *Tenant) RemoveMember(actor, user string) ([]Payload, error) {
	if err := t.RequireAdmin(actor, "remove members"); err != nil {
		return nil, err
	}
	have, ok := t.members[user]
	if !ok {
		return nil, Errorf(KindNotFound, "%s is not a member of %s", quote(user, 40), t.name)
	}
	if have == RoleAdmin && t.admins() == 1 {
		return nil, Coded(KindConflict, CodeLastAdmin, "%s is the last admin of %s", user, t.name)
	}
	return []Payload{TenantMemberRemoved{User: user, Role: have}}, nil
}

func (t *Tenant) admins() int {
	n := 0
	for _, r := range t.members {
		if r == RoleAdmin {
			n++
		}
	}
	return n
}

// GrantByIdentityProvider decides the role an identity provider's group
// gives a user: the group is the authority for that role, so no admin
// decides it. It never takes a role away, and a user who already has the
// role changes nothing.
func (t *Tenant) GrantByIdentityProvider(user string, role Role) ([]Payload, error) {
	if !t.Exists() {
		return nil, nil // a group that names a tenant not made yet grants nothing
	}
	if err := ValidateSlug("user", user); err != nil {
		return nil, err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return nil, err
	}
	if cur := t.members[user]; cur == role || cur == RoleAdmin {
		return nil, nil
	}
	return []Payload{TenantMemberAdded{User: user, Role: role}}, nil
}

// ConfigureVMware decides a change of the tenant's VMware settings.
func (t *Tenant) ConfigureVMware(actor string, s VMwareSettings) ([]Payload, error) {
	if err := t.RequireAdmin(actor, "change VMware settings"); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return []Payload{VMwareConfigured{Settings: s}}, nil
}

// Role returns the member's role, or "" for a non-member.
func (t *Tenant) Role(user string) Role { return t.members[user] }

// RequireMember fails unless user belongs to the tenant.
func (t *Tenant) RequireMember(user string) error {
	if !t.Exists() {
		return Coded(KindNotFound, CodeTenantNotFound, "tenant %q not found", t.name)
	}
	if t.members[user] == "" {
		return Errorf(KindForbidden, "%s is not a member of tenant %s: ask a tenant admin to add you", user, t.name)
	}
	return nil
}

// RequireAdmin fails unless user is an admin of the tenant.
func (t *Tenant) RequireAdmin(user, what string) error {
	if err := t.RequireMember(user); err != nil {
		return err
	}
	if t.members[user] != RoleAdmin {
		return Errorf(KindForbidden, "only an admin of tenant %s can %s", t.name, what)
	}
	return nil
}

// VMware returns the tenant's VMware settings, or nil.
func (t *Tenant) VMware() *VMwareSettings { return t.vmware }

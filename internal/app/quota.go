package app

import (
	"context"
	"errors"
	"fmt"
	"maps"
)

// Quotas. A tenant admin limits how much of the vCenter a tenant, or one
// of its projects, may hold: VMs, vCPUs, memory and disk. The limits are
// events on the tenant's stream (decided by the Tenant aggregate); what is
// held is counted in the tenant's read model, kept current by the
// projection of every request event, so no command recounts the log.
//
// What a request holds depends on its status: a PENDING one reserves its
// size; an APPROVED, PROVISIONING, READY, FAILED (a failed request can be
// retried) or DECOMMISSIONING one commits it; a REJECTED, CANCELLED or
// DECOMMISSIONED one holds nothing.
// Creating a request checks reserved + committed + its size against each
// limit; approving it checks committed + its size, so that when a limit is
// lowered below what is pending, approvals still cannot pass it. Both run
// inside the transaction that records them, under the store's single
// writer, so two approvals at the same moment cannot both take the last
// of a limit.

// EvTenantQuotaSet records new limits for a tenant or one of its projects.
const EvTenantQuotaSet = "tenant.quota_set"

// Amount is an amount of each limited resource; as a limit, 0 is no limit.
type Amount struct {
	VMs      int `json:"vms"`
	CPUs     int `json:"cpus"`
	MemoryGB int `json:"memory_gb"`
	DiskGB   int `json:"disk_gb"`
}

func (a Amount) add(b Amount, sign int) Amount {
	return Amount{VMs: a.VMs + sign*b.VMs, CPUs: a.CPUs + sign*b.CPUs, MemoryGB: a.MemoryGB + sign*b.MemoryGB, DiskGB: a.DiskGB + sign*b.DiskGB}
}

// quotaResources names each resource as messages and tables say it.
var quotaResources = []struct {
	name string
	of   func(Amount) int
}{
	{"VMs", func(a Amount) int { return a.VMs }},
	{"vCPU", func(a Amount) int { return a.CPUs }},
	{"memory GB", func(a Amount) int { return a.MemoryGB }},
	{"disk GB", func(a Amount) int { return a.DiskGB }},
}

// maxQuota bounds each limit: far above any vCenter, low enough that sums
// cannot overflow.
const maxQuota = 1_000_000

// TenantQuotaSet is the payload of EvTenantQuotaSet. Project "" is the
// tenant as a whole.
type TenantQuotaSet struct {
	Project string `json:"project,omitempty"`
	Limits  Amount `json:"limits"`
}

func (TenantQuotaSet) EventType() string { return EvTenantQuotaSet }

// Usage is what a tenant or project holds.
type Usage struct {
	Reserved  Amount `json:"reserved"`  // by PENDING requests
	Committed Amount `json:"committed"` // by approved, ready and failed ones
}

// QuotaView is a tenant's or project's limits beside what it holds.
type QuotaView struct {
	Tenant  string `json:"tenant"`
	Project string `json:"project,omitempty"`
	Limits  Amount `json:"limits"`
	Used    Amount `json:"used"`     // reserved + committed
	Pending Amount `json:"reserved"` // of Used, by PENDING requests
}

// QuotaLine is one resource of a QuotaView.
type QuotaLine struct {
	Resource string
	Used     int
	Limit    int // 0: no limit
}

// Lines lists the view's resources in a fixed order.
func (q QuotaView) Lines() []QuotaLine {
	out := make([]QuotaLine, 0, len(quotaResources))
	for _, r := range quotaResources {
		out = append(out, QuotaLine{Resource: r.name, Used: r.of(q.Used), Limit: r.of(q.Limits)})
	}
	return out
}

// SetQuota decides new limits for the tenant (project "") or a project.
func (t *Tenant) SetQuota(actor, project string, limits Amount) ([]Payload, error) {
	if err := t.RequireAdmin(actor, "set quotas"); err != nil {
		return nil, err
	}
	if project != "" {
		if err := ValidateSlug("project", project); err != nil {
			return nil, err
		}
	}
	for _, r := range quotaResources {
		if n := r.of(limits); n < 0 || n > maxQuota {
			return nil, Errorf(KindInvalid, "the %s limit must be between 0 (no limit) and %d, not %d", r.name, maxQuota, n)
		}
	}
	if t.quotas[project] == limits {
		return nil, nil
	}
	return []Payload{TenantQuotaSet{Project: project, Limits: limits}}, nil
}

// Quota returns the limits of the tenant (project "") or a project.
func (t *Tenant) Quota(project string) Amount { return t.quotas[project] }

// quotaClass is what a request of that status holds: 0 nothing, 1 its
// reservation, 2 its commitment.
func quotaClass(s Status) int {
	switch s {
	case StatusPending:
		return 1
	case StatusApproved, StatusProvisioning, StatusReady, StatusFailed, StatusDecommissioning:
		return 2
	}
	return 0
}

// sizeOf is what a request holds.
func sizeOf(v RequestView) Amount {
	return Amount{VMs: 1, CPUs: v.CPUs, MemoryGB: v.MemoryGB, DiskGB: v.DiskGB}
}

// moveUsage moves a request's size between the classes of usage, in the
// tenant's total and its project's.
func moveUsage(t *TenantView, project string, size Amount, from, to int) {
	if from == to {
		return
	}
	// A copy: the map may be shared with the store's own copy of the
	// view (memstore), which must change only through PutTenant.
	t.Usage = maps.Clone(t.Usage)
	if t.Usage == nil {
		t.Usage = map[string]Usage{}
	}
	for _, key := range []string{"", project} {
		u := t.Usage[key]
		for class, sign := range map[int]int{from: -1, to: 1} {
			switch class {
			case 1:
				u.Reserved = u.Reserved.add(size, sign)
			case 2:
				u.Committed = u.Committed.add(size, sign)
			}
		}
		if u == (Usage{}) {
			delete(t.Usage, key)
		} else {
			t.Usage[key] = u
		}
	}
	if len(t.Usage) == 0 {
		t.Usage = nil // as a view read back from a store has it
	}
}

// CountUsage sets a tenant's usage from its requests as they stand.
func CountUsage(t *TenantView, requests []RequestView) {
	t.Usage = nil
	for _, v := range requests {
		moveUsage(t, v.Project, sizeOf(v), 0, quotaClass(v.Status))
	}
	t.UsageCounted = true
}

// projectUsage follows a request's change of status into its tenant's
// usage.
func projectUsage(ctx context.Context, tx ReadModels, before, after RequestView) error {
	from, to := quotaClass(before.Status), quotaClass(after.Status)
	if before.ID == "" {
		from = 0
	}
	if from == to && (from == 0 || sizeOf(before) == sizeOf(after)) {
		return nil
	}
	t, err := tx.Tenant(ctx, after.Tenant)
	if err != nil {
		return err
	}
	if !t.UsageCounted {
		return nil // counted at its first use (usageOf), from the requests as they are then
	}
	// Out as it was, in as it is: a change of status or of size (a resize).
	moveUsage(&t, before.Project, sizeOf(before), from, 0)
	moveUsage(&t, after.Project, sizeOf(after), 0, to)
	return tx.PutTenant(ctx, t)
}

// usageOf returns the tenant's read model with its usage counted: a
// tenant recorded before quotas existed is counted once, from its
// requests, and kept counted from then on.
func usageOf(ctx context.Context, tx Tx, tenant string) (TenantView, error) {
	t, err := tx.Tenant(ctx, tenant)
	if err != nil || t.UsageCounted {
		return t, err
	}
	vs, err := tx.ListRequests(ctx, RequestFilter{Tenant: tenant})
	if err != nil {
		return t, err
	}
	CountUsage(&t, vs)
	return t, tx.PutTenant(ctx, t)
}

// checkQuota refuses a request of size need in project when it would take
// the tenant or the project past a limit. At approval only what is
// committed counts; at creation what is reserved too.
func checkQuota(t *Tenant, usage TenantView, project string, need Amount, approving bool) error {
	for _, scope := range []string{"", project} {
		limits := t.Quota(scope)
		u := usage.Usage[scope]
		held := u.Committed
		if !approving {
			held = held.add(u.Reserved, 1)
		}
		for _, r := range quotaResources {
			limit := r.of(limits)
			if limit == 0 || r.of(held)+r.of(need) <= limit {
				continue
			}
			of := "tenant " + t.name
			if scope != "" {
				of = "project " + scope + " of tenant " + t.name
			}
			return Coded(KindConflict, CodeQuotaExceeded, "quota of %s: %s %d of %d used, this request needs %d", of, r.name, r.of(held), limit, r.of(need))
		}
	}
	return nil
}

// checkApprovalQuota checks, inside the approval's transaction, that the
// request just approved fits what is committed: the projection has
// already counted it as committed, so it is taken out to be checked.
func checkApprovalQuota(ctx context.Context, tx Tx, tenant, requestID string) error {
	t, err := loadTenant(ctx, tx, tenant)
	if err != nil {
		return err
	}
	v, err := tx.Request(ctx, requestID)
	if err != nil {
		return err
	}
	usage, err := usageOf(ctx, tx, tenant)
	if err != nil {
		return err
	}
	moveUsage(&usage, v.Project, sizeOf(v), quotaClass(v.Status), 0)
	return checkQuota(t, usage, v.Project, sizeOf(v), true)
}

// SetQuota sets the limits of the actor's tenant, or of one of its
// projects (admins only). A limit of 0 is no limit.
func (a *App) SetQuota(ctx context.Context, actor Actor, project string, limits Amount) (QuotaView, error) {
	if err := needTenant(actor); err != nil {
		return QuotaView{}, err
	}
	var out QuotaView
	err := retryConflict(func() error {
		return a.Store.Update(ctx, func(tx Tx) error {
			t, err := loadTenant(ctx, tx, actor.Tenant)
			if err != nil {
				return err
			}
			payloads, err := t.SetQuota(actor.User, project, limits)
			if err != nil {
				return err
			}
			if project != "" {
				p, err := loadProject(ctx, tx, actor.Tenant, project)
				if err != nil {
					return err
				}
				if !p.Exists() {
					return p.notFound()
				}
			}
			if len(payloads) > 0 {
				if _, err := a.record(ctx, tx, actor.Tenant, StreamTenant, actor.Tenant, t.Version(), a.meta(actor), payloads...); err != nil {
					return err
				}
			}
			out, err = quotaView(ctx, tx, actor.Tenant, project, limits)
			return err
		})
	})
	return out, err
}

// ShowQuota shows the limits and usage of the actor's tenant, or of one
// of its projects, to any member.
func (a *App) ShowQuota(ctx context.Context, actor Actor, project string) (QuotaView, error) {
	if err := needTenant(actor); err != nil {
		return QuotaView{}, err
	}
	if project != "" {
		if err := ValidateSlug("project", project); err != nil {
			return QuotaView{}, err
		}
	}
	var out QuotaView
	err := a.Store.Update(ctx, func(tx Tx) error {
		t, err := loadTenant(ctx, tx, actor.Tenant)
		if err != nil {
			return err
		}
		if err := t.RequireMember(actor.User); err != nil {
			return err
		}
		out, err = quotaView(ctx, tx, actor.Tenant, project, t.Quota(project))
		return err
	})
	return out, err
}

func quotaView(ctx context.Context, tx Tx, tenant, project string, limits Amount) (QuotaView, error) {
	usage, err := usageOf(ctx, tx, tenant)
	if err != nil {
		return QuotaView{}, err
	}
	u := usage.Usage[project]
	return QuotaView{Tenant: tenant, Project: project, Limits: limits, Used: u.Committed.add(u.Reserved, 1), Pending: u.Reserved}, nil
}

// errPreview ends a previewing transaction: everything it wrote is rolled
// back.
var errPreview = errors.New("preview: roll back")

// PreviewRequest shows the request CreateRequest would make and the quotas
// after it (the tenant's, then its project's), writing nothing: it runs
// the same decision in a transaction that is rolled back.
func (a *App) PreviewRequest(ctx context.Context, actor Actor, in NewRequestInput) (RequestView, []QuotaView, error) {
	var (
		view   RequestView
		quotas []QuotaView
	)
	err := a.createRequest(ctx, actor, in, func(tx Tx, v RequestView, t *Tenant) error {
		view = v
		for _, scope := range []string{"", v.Project} {
			q, err := quotaView(ctx, tx, actor.Tenant, scope, t.Quota(scope))
			if err != nil {
				return err
			}
			quotas = append(quotas, q)
		}
		return errPreview
	})
	if errors.Is(err, errPreview) {
		err = nil
	}
	return view, quotas, err
}

// String is a quota line as "VMs 3 of 10" or "VMs 3 (no limit)".
func (l QuotaLine) String() string {
	if l.Limit == 0 {
		return fmt.Sprintf("%s %d (no limit)", l.Resource, l.Used)
	}
	return fmt.Sprintf("%s %d of %d", l.Resource, l.Used, l.Limit)
}

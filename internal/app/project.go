package app

import (
	"context"
	"maps"
	"slices"
	"sort"
	"time"
)

// Projects. A project is an aggregate of a tenant, with a stream of its
// own (StreamProject, id "<tenant>/<name>"): tenant admins create, archive
// and restore it and say who belongs to it. Every request names an
// existing, active project. A tenant setting (on the tenant's stream)
// limits requesters (role user) to the projects they belong to; admins
// are never limited. Projects are kept in the tenant's read model.

// StreamProject is the stream type of projects.
const StreamProject = "project"

// UpgradeActor is the actor of the events dvmm records on its own when it
// opens a database made by an earlier version.
const UpgradeActor = "dvmm"

// Event type names of projects. They are stored in the log: never rename one.
const (
	EvProjectCreated         = "project.created"
	EvProjectArchived        = "project.archived"
	EvProjectRestored        = "project.restored"
	EvProjectMemberAdded     = "project.member_added"
	EvProjectMemberRemoved   = "project.member_removed"
	EvTenantProjectAccessSet = "tenant.project_access_set"
)

// Error codes of projects.
const (
	CodeProjectNotFound = "project_not_found"
	CodeProjectArchived = "project_archived"
	CodeProjectExists   = "project_exists"
	CodeProjectLive     = "project_has_live_requests"
	CodeNotInProject    = "not_in_project"
)

// ProjectCreated records a new project. Upgrade marks one that dvmm made
// for a project an earlier version knew only by name.
type ProjectCreated struct {
	Name    string `json:"name"`
	Upgrade bool   `json:"upgrade,omitempty"`
}

// ProjectArchived records that a project takes no new requests.
type ProjectArchived struct {
	By string `json:"by"`
}

// ProjectRestored records that an archived project is active again.
type ProjectRestored struct {
	By string `json:"by"`
}

// ProjectMemberAdded records that a user belongs to a project.
type ProjectMemberAdded struct {
	User string `json:"user"`
}

// ProjectMemberRemoved records that a user left a project.
type ProjectMemberRemoved struct {
	User string `json:"user"`
}

// TenantProjectAccessSet records whether the tenant's requesters may ask
// only in the projects they belong to.
type TenantProjectAccessSet struct {
	MembersOnly bool `json:"members_only"`
}

func (ProjectCreated) EventType() string         { return EvProjectCreated }
func (ProjectArchived) EventType() string        { return EvProjectArchived }
func (ProjectRestored) EventType() string        { return EvProjectRestored }
func (ProjectMemberAdded) EventType() string     { return EvProjectMemberAdded }
func (ProjectMemberRemoved) EventType() string   { return EvProjectMemberRemoved }
func (TenantProjectAccessSet) EventType() string { return EvTenantProjectAccessSet }

// ProjectStreamID is the stream id of a tenant's project.
func ProjectStreamID(tenant, name string) string { return tenant + "/" + name }

// TenantProject is the aggregate of a project.
type TenantProject struct {
	tenant, name string
	version      int
	archived     bool
	members      map[string]bool
}

// NewProject rebuilds a project from its events.
func NewProject(tenant, name string, events []Event) *TenantProject {
	p := &TenantProject{tenant: tenant, name: name, members: map[string]bool{}}
	for _, e := range events {
		p.version = e.Version
		switch d := e.Data.(type) {
		case ProjectArchived:
			p.archived = true
		case ProjectRestored:
			p.archived = false
		case ProjectMemberAdded:
			p.members[d.User] = true
		case ProjectMemberRemoved:
			delete(p.members, d.User)
		}
	}
	return p
}

// Exists reports whether the project was created.
func (p *TenantProject) Exists() bool { return p.version > 0 }

// Version is the number of events in the project's stream.
func (p *TenantProject) Version() int { return p.version }

// Archived reports whether the project takes no new requests.
func (p *TenantProject) Archived() bool { return p.archived }

// HasMember reports whether user belongs to the project.
func (p *TenantProject) HasMember(user string) bool { return p.members[user] }

func (p *TenantProject) notFound() error {
	return Coded(KindNotFound, CodeProjectNotFound, "project %s not found in tenant %s", quote(p.name, 70), p.tenant)
}

// Create decides a new project.
func (p *TenantProject) Create(t *Tenant, actor string) ([]Payload, error) {
	if err := t.RequireAdmin(actor, "create projects"); err != nil {
		return nil, err
	}
	if err := ValidateSlug("project", p.name); err != nil {
		return nil, err
	}
	if p.Exists() {
		return nil, Coded(KindConflict, CodeProjectExists, "project %s already exists in tenant %s", p.name, p.tenant)
	}
	return []Payload{ProjectCreated{Name: p.name}}, nil
}

// Archive decides that the project takes no new requests; live is the
// number of its requests that still hold or may hold a VM.
func (p *TenantProject) Archive(t *Tenant, actor string, live int) ([]Payload, error) {
	if err := t.RequireAdmin(actor, "archive projects"); err != nil {
		return nil, err
	}
	if !p.Exists() {
		return nil, p.notFound()
	}
	if p.archived {
		return nil, nil
	}
	if live > 0 {
		return nil, Coded(KindConflict, CodeProjectLive, "project %s has %d live request(s) (pending, approved, provisioning, ready, failed or decommissioning): end them before archiving it", p.name, live)
	}
	return []Payload{ProjectArchived{By: actor}}, nil
}

// Restore decides that an archived project is active again.
func (p *TenantProject) Restore(t *Tenant, actor string) ([]Payload, error) {
	if err := t.RequireAdmin(actor, "restore projects"); err != nil {
		return nil, err
	}
	if !p.Exists() {
		return nil, p.notFound()
	}
	if !p.archived {
		return nil, nil
	}
	return []Payload{ProjectRestored{By: actor}}, nil
}

// AddMember decides that a member of the tenant belongs to the project.
func (p *TenantProject) AddMember(t *Tenant, actor, user string) ([]Payload, error) {
	if err := t.RequireAdmin(actor, "change project members"); err != nil {
		return nil, err
	}
	if !p.Exists() {
		return nil, p.notFound()
	}
	if err := ValidateSlug("user", user); err != nil {
		return nil, err
	}
	if t.Role(user) == "" {
		return nil, Errorf(KindNotFound, "user %s is not a member of tenant %s", user, p.tenant)
	}
	if p.members[user] {
		return nil, nil
	}
	return []Payload{ProjectMemberAdded{User: user}}, nil
}

// RemoveMember decides that a user no longer belongs to the project.
func (p *TenantProject) RemoveMember(t *Tenant, actor, user string) ([]Payload, error) {
	if err := t.RequireAdmin(actor, "change project members"); err != nil {
		return nil, err
	}
	if !p.Exists() {
		return nil, p.notFound()
	}
	if err := ValidateSlug("user", user); err != nil {
		return nil, err
	}
	if !p.members[user] {
		return nil, Errorf(KindNotFound, "user %s is not a member of project %s", user, p.name)
	}
	return []Payload{ProjectMemberRemoved{User: user}}, nil
}

// SetProjectAccess decides whether requesters may ask only in the
// projects they belong to.
func (t *Tenant) SetProjectAccess(actor string, membersOnly bool) ([]Payload, error) {
	if err := t.RequireAdmin(actor, "change project access"); err != nil {
		return nil, err
	}
	if t.projectsMembersOnly == membersOnly {
		return nil, nil
	}
	return []Payload{TenantProjectAccessSet{MembersOnly: membersOnly}}, nil
}

// MayRequestIn checks that a new request of actor may go into project p:
// it exists, is active, and, when the tenant limits requesters to their
// projects, the actor is an admin or belongs to it.
func (p *TenantProject) MayRequestIn(t *Tenant, actor string) error {
	if !p.Exists() {
		return p.notFound()
	}
	if p.archived {
		return Coded(KindConflict, CodeProjectArchived, "project %s of tenant %s is archived", p.name, p.tenant)
	}
	if t.projectsMembersOnly && t.Role(actor) != RoleAdmin && !p.members[actor] {
		return Coded(KindForbidden, CodeNotInProject, "%s is not a member of project %s, and tenant %s limits requesters to their projects", actor, p.name, p.tenant)
	}
	return nil
}

// ProjectView is the read model of a project, kept in its tenant's.
type ProjectView struct {
	Name      string    `json:"name"`
	Archived  bool      `json:"archived"`
	Members   []string  `json:"members,omitempty"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	Upgrade   bool      `json:"upgrade,omitempty"`
	Version   int       `json:"version"`
}

// ProjectDetail is a project with its quota and what its requests hold.
type ProjectDetail struct {
	ProjectView
	Quota QuotaView `json:"quota"`
	Live  int       `json:"live_requests"`
}

// ProjectTenantProject folds a project event into its tenant's read model.
func ProjectTenantProject(v *TenantView, e Event) {
	name := e.StreamID[len(e.TenantID)+1:]
	v.Projects = maps.Clone(v.Projects)
	if v.Projects == nil {
		v.Projects = map[string]ProjectView{}
	}
	p := v.Projects[name]
	p.Version = e.Version
	switch d := e.Data.(type) {
	case ProjectCreated:
		p = ProjectView{Name: d.Name, CreatedBy: e.Meta.Actor, CreatedAt: e.At, Upgrade: d.Upgrade, Version: e.Version}
	case ProjectArchived:
		p.Archived = true
	case ProjectRestored:
		p.Archived = false
	case ProjectMemberAdded:
		if !slices.Contains(p.Members, d.User) {
			p.Members = append(slices.Clone(p.Members), d.User)
			sort.Strings(p.Members)
		}
	case ProjectMemberRemoved:
		p.Members = slices.DeleteFunc(slices.Clone(p.Members), func(u string) bool { return u == d.User })
		if len(p.Members) == 0 {
			p.Members = nil
		}
	}
	v.Projects[name] = p
}

func loadProject(ctx context.Context, log EventLog, tenant, name string) (*TenantProject, error) {
	events, err := log.LoadStream(ctx, StreamProject, ProjectStreamID(tenant, name))
	if err != nil {
		return nil, err
	}
	return NewProject(tenant, name, events), nil
}

// liveInProject counts the project's requests that hold or may hold a VM.
func liveInProject(ctx context.Context, q Queries, tenant, project string) (int, error) {
	vs, err := q.ListRequests(ctx, RequestFilter{Tenant: tenant, Project: project})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, v := range vs {
		if v.Status.Live() {
			n++
		}
	}
	return n, nil
}

// decideProject runs one decision on a project of the actor's tenant and
// returns the project as it then stands.
func (a *App) decideProject(ctx context.Context, actor Actor, name string, decide func(Tx, *Tenant, *TenantProject) ([]Payload, error)) (ProjectView, error) {
	if err := needTenant(actor); err != nil {
		return ProjectView{}, err
	}
	if err := ValidateSlug("project", name); err != nil {
		return ProjectView{}, err
	}
	var out ProjectView
	err := retryConflict(func() error {
		return a.Store.Update(ctx, func(tx Tx) error {
			t, err := loadTenant(ctx, tx, actor.Tenant)
			if err != nil {
				return err
			}
			if !t.Exists() {
				return Coded(KindNotFound, CodeTenantNotFound, "tenant %s not found", actor.Tenant)
			}
			p, err := loadProject(ctx, tx, actor.Tenant, name)
			if err != nil {
				return err
			}
			payloads, err := decide(tx, t, p)
			if err != nil {
				return err
			}
			if _, err := a.record(ctx, tx, actor.Tenant, StreamProject, ProjectStreamID(actor.Tenant, name), p.Version(), a.meta(actor), payloads...); err != nil {
				return err
			}
			tv, err := tx.Tenant(ctx, actor.Tenant)
			out = tv.Projects[name]
			return err
		})
	})
	return out, err
}

// CreateProject creates a project in the actor's tenant (admins only).
func (a *App) CreateProject(ctx context.Context, actor Actor, name string) (ProjectView, error) {
	return a.decideProject(ctx, actor, name, func(_ Tx, t *Tenant, p *TenantProject) ([]Payload, error) {
		return p.Create(t, actor.User)
	})
}

// ArchiveProject archives a project that has no live request.
func (a *App) ArchiveProject(ctx context.Context, actor Actor, name string) (ProjectView, error) {
	return a.decideProject(ctx, actor, name, func(tx Tx, t *Tenant, p *TenantProject) ([]Payload, error) {
		live, err := liveInProject(ctx, tx, actor.Tenant, name)
		if err != nil {
			return nil, err
		}
		return p.Archive(t, actor.User, live)
	})
}

// RestoreProject makes an archived project active again.
func (a *App) RestoreProject(ctx context.Context, actor Actor, name string) (ProjectView, error) {
	return a.decideProject(ctx, actor, name, func(_ Tx, t *Tenant, p *TenantProject) ([]Payload, error) {
		return p.Restore(t, actor.User)
	})
}

// AddProjectMember adds a member of the tenant to a project.
func (a *App) AddProjectMember(ctx context.Context, actor Actor, name, user string) (ProjectView, error) {
	return a.decideProject(ctx, actor, name, func(_ Tx, t *Tenant, p *TenantProject) ([]Payload, error) {
		return p.AddMember(t, actor.User, user)
	})
}

// RemoveProjectMember removes a user from a project.
func (a *App) RemoveProjectMember(ctx context.Context, actor Actor, name, user string) (ProjectView, error) {
	return a.decideProject(ctx, actor, name, func(_ Tx, t *Tenant, p *TenantProject) ([]Payload, error) {
		return p.RemoveMember(t, actor.User, user)
	})
}

// SetProjectAccess says whether the tenant's requesters may ask only in
// the projects they belong to (admins only); it returns the setting.
func (a *App) SetProjectAccess(ctx context.Context, actor Actor, membersOnly bool) (bool, error) {
	if err := needTenant(actor); err != nil {
		return false, err
	}
	err := retryConflict(func() error {
		return a.Store.Update(ctx, func(tx Tx) error {
			t, err := loadTenant(ctx, tx, actor.Tenant)
			if err != nil {
				return err
			}
			payloads, err := t.SetProjectAccess(actor.User, membersOnly)
			if err != nil {
				return err
			}
			_, err = a.record(ctx, tx, actor.Tenant, StreamTenant, actor.Tenant, t.Version(), a.meta(actor), payloads...)
			return err
		})
	})
	return membersOnly, err
}

// ListProjects lists the projects of the actor's tenant, by name, to any
// member; membersOnly is the tenant's access setting.
func (a *App) ListProjects(ctx context.Context, actor Actor) (projects []ProjectView, membersOnly bool, err error) {
	if err := needTenant(actor); err != nil {
		return nil, false, err
	}
	t, err := a.memberOf(ctx, actor)
	if err != nil {
		return nil, false, err
	}
	tv, err := a.Views.Tenant(ctx, actor.Tenant)
	if err != nil {
		return nil, false, err
	}
	for _, name := range slices.Sorted(maps.Keys(tv.Projects)) {
		projects = append(projects, tv.Projects[name])
	}
	return projects, t.projectsMembersOnly, nil
}

// ShowProject shows a project with its members, quota, usage and live
// request count, to any member of the tenant.
func (a *App) ShowProject(ctx context.Context, actor Actor, name string) (ProjectDetail, error) {
	if err := needTenant(actor); err != nil {
		return ProjectDetail{}, err
	}
	if err := ValidateSlug("project", name); err != nil {
		return ProjectDetail{}, err
	}
	var out ProjectDetail
	err := a.Store.Update(ctx, func(tx Tx) error {
		t, err := loadTenant(ctx, tx, actor.Tenant)
		if err != nil {
			return err
		}
		if err := t.RequireMember(actor.User); err != nil {
			return err
		}
		tv, err := tx.Tenant(ctx, actor.Tenant)
		if err != nil {
			return err
		}
		pv, ok := tv.Projects[name]
		if !ok {
			return NewProject(actor.Tenant, name, nil).notFound()
		}
		out.ProjectView = pv
		if out.Quota, err = quotaView(ctx, tx, actor.Tenant, name, t.Quota(name)); err != nil {
			return err
		}
		out.Live, err = liveInProject(ctx, tx, actor.Tenant, name)
		return err
	})
	return out, err
}

// UpgradeProjects makes real projects of the ones an earlier version knew
// only by name: for each tenant not yet upgraded, one project.created
// (actor UpgradeActor, marked as an upgrade) per project that its
// requests or quotas name and that does not exist. It reads first and
// writes only when a tenant needs it, so a database that needs nothing
// is never written. It is idempotent: two processes upgrading at once
// take turns as every write transaction does, and the second finds the
// tenant marked; were they ever to overlap, the project streams' versions
// would refuse the second project.created, and its retry finds the work
// done.
func (a *App) UpgradeProjects(ctx context.Context) error {
	tenants, err := a.Views.Tenants(ctx)
	if err != nil {
		return err
	}
	for _, tv := range tenants {
		if tv.ProjectsKnown {
			continue
		}
		name := tv.Name
		err := retryConflict(func() error {
			return a.Store.Update(ctx, func(tx Tx) error {
				return a.upgradeTenantProjects(ctx, tx, name)
			})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (a *App) upgradeTenantProjects(ctx context.Context, tx Tx, tenant string) error {
	tv, err := tx.Tenant(ctx, tenant)
	if err != nil || tv.ProjectsKnown {
		return err
	}
	t, err := loadTenant(ctx, tx, tenant)
	if err != nil {
		return err
	}
	names := map[string]bool{}
	for p := range t.quotas {
		if p != "" {
			names[p] = true
		}
	}
	vs, err := tx.ListRequests(ctx, RequestFilter{Tenant: tenant})
	if err != nil {
		return err
	}
	for _, v := range vs {
		names[v.Project] = true
	}
	meta := Metadata{Actor: UpgradeActor}
	for _, name := range slices.Sorted(maps.Keys(names)) {
		if ValidateSlug("project", name) != nil {
			continue // every recorded name passed this check; kept safe all the same
		}
		p, err := loadProject(ctx, tx, tenant, name)
		if err != nil {
			return err
		}
		if p.Exists() {
			continue
		}
		if _, err := a.record(ctx, tx, tenant, StreamProject, ProjectStreamID(tenant, name), 0, meta, ProjectCreated{Name: name, Upgrade: true}); err != nil {
			return err
		}
	}
	if tv, err = tx.Tenant(ctx, tenant); err != nil {
		return err
	}
	tv.ProjectsKnown = true
	return tx.PutTenant(ctx, tv)
}

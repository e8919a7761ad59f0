// Package apiclient calls dvmm's HTTP API with the same method set as the
// application's use cases, so the CLI can run a command locally (on the
// database file) or remotely (against 'dvmm serve --listen') with the same
// code, output and exit codes. Errors come back as *app.Error with the
// kind the server reported.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
	"github.com/dvmm/dvmm/internal/errmap"
)

// Client is one server and one token.
type Client struct {
	Server string // e.g. https://dvmm.example:8443
	Token  string
	HTTP   *http.Client
	// NoDefaultTenant asks the server not to pick the caller's only
	// tenant when a call names none, so a missing tenant is refused as it
	// is on the database file.
	NoDefaultTenant bool
}

// New returns a client with sensible timeouts.
func New(server, token string) *Client {
	return &Client{Server: strings.TrimRight(server, "/"), Token: token,
		HTTP: &http.Client{Timeout: 2 * time.Minute}}
}

// call sends method path with body (JSON, or none when nil) in the actor's
// tenant and decodes a 2xx answer into out (when not nil).
func (c *Client) call(ctx context.Context, actor app.Actor, method, path string, query url.Values, body, out any) error {
	_, _, err := c.callWith(ctx, actor, method, path, query, nil, body, out)
	return err
}

// callWith is call with request headers, returning the status and the
// answer's headers too.
func (c *Client) callWith(ctx context.Context, actor app.Actor, method, path string, query url.Values, headers http.Header, body, out any) (int, http.Header, error) {
	u := c.Server + path
	if query == nil {
		query = url.Values{}
	}
	if actor.Tenant != "" {
		query.Set("tenant", actor.Tenant)
	} else if c.NoDefaultTenant {
		query.Set("tenant_default", "none")
	}
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, app.Errorf(app.KindInvalid, "server address %s: %v", c.Server, err)
	}
	for k, vs := range headers {
		req.Header[k] = vs
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, ctx.Err()
		}
		return 0, nil, &app.Error{Kind: app.KindUnavailable, Message: "cannot reach the dvmm server at " + c.Server + ": " + shortNetError(err), Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, nil, &app.Error{Kind: app.KindUnavailable, Message: "the dvmm server's answer broke off", Err: err}
	}
	if resp.StatusCode == http.StatusNotModified {
		return resp.StatusCode, resp.Header, nil
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, resp.Header, decodeError(resp.StatusCode, data)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return resp.StatusCode, resp.Header, nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return resp.StatusCode, resp.Header, app.Errorf(app.KindInternal, "the dvmm server's answer is not what this version expects: %v", err)
	}
	return resp.StatusCode, resp.Header, nil
}

// decodeError turns an error answer into the error the server meant.
func decodeError(status int, data []byte) error {
	var b struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &b) == nil && b.Error.Message != "" {
		// The status says the kind; the code, when it is more than the
		// kind, is the stable code the CLI keys its advice on.
		kind := errmap.KindOfStatus(status)
		code := b.Error.Code
		if code == string(kind) {
			code = ""
		}
		return &app.Error{Kind: kind, Code: code, Message: b.Error.Message}
	}
	return &app.Error{Kind: errmap.KindOfStatus(status), Message: fmt.Sprintf("the dvmm server answered %d %s", status, http.StatusText(status))}
}

// shortNetError keeps the part of a transport error a person can act on.
func shortNetError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && strings.Contains(s, "dial tcp") {
		s = s[i+2:]
	}
	return s
}

// Now is the time on this machine (for showing token expiries).
func (c *Client) Now() time.Time { return time.Now().UTC() }

func esc(s string) string { return url.PathEscape(s) }

// CreateRequest asks for a VM.
func (c *Client) CreateRequest(ctx context.Context, actor app.Actor, in app.NewRequestInput) (app.RequestView, error) {
	var r contract.Request
	err := c.call(ctx, actor, "POST", "/api/v1/requests", nil, map[string]any{"name": in.Name, "size": in.Size,
		"project": in.Project, "network": in.Network, "justification": in.Justification, "user_data": in.UserData, "lease_days": in.LeaseDays}, &r)
	return toRequest(r), err
}

// PreviewRequest answers what CreateRequest would make, writing nothing.
func (c *Client) PreviewRequest(ctx context.Context, actor app.Actor, in app.NewRequestInput) (app.RequestView, []app.QuotaView, error) {
	var p contract.RequestPreview
	err := c.call(ctx, actor, "POST", "/api/v1/requests/preview", nil, map[string]any{"name": in.Name, "size": in.Size,
		"project": in.Project, "network": in.Network, "justification": in.Justification, "user_data": in.UserData, "lease_days": in.LeaseDays}, &p)
	qs := make([]app.QuotaView, 0, len(p.Quotas))
	for _, q := range p.Quotas {
		qs = append(qs, q.QuotaView())
	}
	return toRequest(p.Request), qs, err
}

// ShowQuota shows the tenant's (or a project's) limits and usage.
func (c *Client) ShowQuota(ctx context.Context, actor app.Actor, project string) (app.QuotaView, error) {
	q := url.Values{}
	if project != "" {
		q.Set("project", project)
	}
	var out contract.Quota
	err := c.call(ctx, actor, "GET", "/api/v1/quota", q, nil, &out)
	return out.QuotaView(), err
}

// SetQuota sets the tenant's (or a project's) limits.
func (c *Client) SetQuota(ctx context.Context, actor app.Actor, project string, limits app.Amount) (app.QuotaView, error) {
	var out contract.Quota
	err := c.call(ctx, actor, "PUT", "/api/v1/quota", nil, map[string]any{"project": project, "limits": limits}, &out)
	return out.QuotaView(), err
}

// ListRequests lists the tenant's requests.
func (c *Client) ListRequests(ctx context.Context, actor app.Actor, f app.RequestFilter) ([]app.RequestView, error) {
	q := url.Values{}
	if f.Status != "" {
		q.Set("status", string(f.Status))
	}
	if f.Project != "" {
		q.Set("project", f.Project)
	}
	if f.Requester != "" {
		q.Set("requester", f.Requester)
	}
	if f.HasVM {
		q.Set("has_vm", "true")
	}
	if f.Limit != 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var rs []contract.Request
	err := c.call(ctx, actor, "GET", "/api/v1/requests", q, nil, &rs)
	return toRequests(rs), err
}

// ShowRequest returns a request and its timeline.
func (c *Client) ShowRequest(ctx context.Context, actor app.Actor, id string) (app.RequestView, []app.TimelineEntry, error) {
	var r contract.RequestWithTimeline
	err := c.call(ctx, actor, "GET", "/api/v1/requests/"+esc(id), nil, nil, &r)
	return toRequest(r.Request), toTimeline(r.Timeline, r.ID), err
}

// Approve approves a request at the version the approver saw.
func (c *Client) Approve(ctx context.Context, actor app.Actor, id string, expected int) (app.RequestView, error) {
	var r contract.Request
	body := map[string]any{}
	if expected != 0 {
		body["expect_version"] = expected
	}
	err := c.call(ctx, actor, "POST", "/api/v1/requests/"+esc(id)+"/approve", nil, body, &r)
	return toRequest(r), err
}

// Reject refuses a request with a reason.
func (c *Client) Reject(ctx context.Context, actor app.Actor, id, reason string, expected int) (app.RequestView, error) {
	var r contract.Request
	body := map[string]any{"reason": reason}
	if expected != 0 {
		body["expect_version"] = expected
	}
	err := c.call(ctx, actor, "POST", "/api/v1/requests/"+esc(id)+"/reject", nil, body, &r)
	return toRequest(r), err
}

// Cancel withdraws a request.
func (c *Client) Cancel(ctx context.Context, actor app.Actor, id string) (app.RequestView, error) {
	var r contract.Request
	err := c.call(ctx, actor, "POST", "/api/v1/requests/"+esc(id)+"/cancel", nil, nil, &r)
	return toRequest(r), err
}

// GiveUp ends a request whose provisioning cannot finish.
func (c *Client) GiveUp(ctx context.Context, actor app.Actor, id, reason string) (app.RequestView, error) {
	var r contract.Request
	err := c.call(ctx, actor, "POST", "/api/v1/requests/"+esc(id)+"/give-up", nil, map[string]string{"reason": reason}, &r)
	return toRequest(r), err
}

// SwitchPower asks for a power action on a VM, and with wait waits for it.
func (c *Client) SwitchPower(ctx context.Context, actor app.Actor, ref string, action app.PowerAction, wait bool) (app.PowerResult, error) {
	var r contract.PowerResult
	err := c.call(ctx, actor, "POST", "/api/v1/vms/"+esc(ref)+"/power", nil, map[string]any{"action": action, "wait": wait}, &r)
	return app.PowerResult{Request: toRequest(r.Request), Action: r.Action, Status: app.CommandStatus(r.Status), Error: r.Error}, err
}

// AskResize asks for a new size of a VM.
func (c *Client) AskResize(ctx context.Context, actor app.Actor, ref, size string, allowRestart bool) (app.RequestView, error) {
	var r contract.Request
	err := c.call(ctx, actor, "POST", "/api/v1/vms/"+esc(ref)+"/resize", nil, map[string]any{"size": size, "allow_restart": allowRestart}, &r)
	return toRequest(r), err
}

// ApproveResize approves an asked resize.
func (c *Client) ApproveResize(ctx context.Context, actor app.Actor, ref string) (app.RequestView, error) {
	var r contract.Request
	err := c.call(ctx, actor, "POST", "/api/v1/vms/"+esc(ref)+"/resize/approve", nil, nil, &r)
	return toRequest(r), err
}

// RequestDecommission asks to decommission a VM.
func (c *Client) RequestDecommission(ctx context.Context, actor app.Actor, ref, reason string) (app.RequestView, error) {
	var r contract.Request
	err := c.call(ctx, actor, "POST", "/api/v1/vms/"+esc(ref)+"/decommission", nil, map[string]string{"reason": reason}, &r)
	return toRequest(r), err
}

// ApproveDecommission approves an ask to decommission a VM.
func (c *Client) ApproveDecommission(ctx context.Context, actor app.Actor, ref string) (app.RequestView, error) {
	var r contract.Request
	err := c.call(ctx, actor, "POST", "/api/v1/vms/"+esc(ref)+"/decommission/approve", nil, nil, &r)
	return toRequest(r), err
}

// Retry starts a new provisioning attempt of a failed request.
func (c *Client) Retry(ctx context.Context, actor app.Actor, id string) (app.RequestView, error) {
	var r contract.Request
	err := c.call(ctx, actor, "POST", "/api/v1/requests/"+esc(id)+"/retry", nil, nil, &r)
	return toRequest(r), err
}

// ListVMs lists the requests of the tenant that have a VM.
func (c *Client) ListVMs(ctx context.Context, actor app.Actor) ([]app.RequestView, error) {
	return c.ListRequests(ctx, actor, app.RequestFilter{HasVM: true})
}

// VMStatus returns what is recorded of a VM and, when vCenter answers,
// what it holds now.
func (c *Client) VMStatus(ctx context.Context, actor app.Actor, ref string, timeout time.Duration) (app.RequestView, app.LiveVM, error) {
	var s contract.VMStatus
	q := url.Values{}
	if timeout > 0 {
		q.Set("timeout", timeout.String())
	}
	err := c.call(ctx, actor, "GET", "/api/v1/vms/"+esc(ref), q, nil, &s)
	return app.RequestView{ID: s.RequestID, Name: s.Name, Status: s.Status, Version: s.Version, VM: toVM(s.Recorded), Tenant: actor.Tenant, Lease: s.Lease},
		app.LiveVM{Machine: toMachine(s.Live), Missing: s.MissingInVCenter, Error: s.VCenterError}, err
}

// Reconcile compares the READY VMs of the tenant (of every tenant, with
// all) with vCenter and records what changed outside dvmm.
func (c *Client) Reconcile(ctx context.Context, actor app.Actor, all bool) (app.ReconcileResult, error) {
	var r contract.Reconcile
	q := url.Values{}
	if all {
		q.Set("all", "true")
	}
	err := c.call(ctx, actor, "POST", "/api/v1/vms/reconcile", q, nil, &r)
	return toReconcile(r), err
}

// Tenants lists the tenants the caller may see.
func (c *Client) Tenants(ctx context.Context) ([]app.TenantView, error) {
	var ts []contract.Tenant
	err := c.call(ctx, app.Actor{}, "GET", "/api/v1/tenants", nil, nil, &ts)
	out := make([]app.TenantView, 0, len(ts))
	for _, t := range ts {
		out = append(out, toTenant(t))
	}
	return out, err
}

// CreateTenant creates a tenant (platform admins).
func (c *Client) CreateTenant(ctx context.Context, actor app.Actor, name, admin string) (app.TenantView, error) {
	var t contract.Tenant
	err := c.call(ctx, app.Actor{}, "POST", "/api/v1/tenants", nil, map[string]string{"name": name, "admin": admin}, &t)
	return toTenant(t), err
}

// AddMember adds a member to a tenant.
func (c *Client) AddMember(ctx context.Context, actor app.Actor, tenant, user string, role app.Role) (app.TenantView, error) {
	var t contract.Tenant
	err := c.call(ctx, app.Actor{}, "POST", "/api/v1/tenants/"+esc(tenant)+"/members", nil, map[string]string{"user": user, "role": string(role)}, &t)
	return toTenant(t), err
}

// SetRole changes a member's role.
func (c *Client) SetRole(ctx context.Context, actor app.Actor, tenant, user string, role app.Role) (app.TenantView, error) {
	var t contract.Tenant
	err := c.call(ctx, app.Actor{}, "PUT", "/api/v1/tenants/"+esc(tenant)+"/members/"+esc(user), nil, map[string]string{"role": string(role)}, &t)
	return toTenant(t), err
}

// RemoveMember takes a user out of a tenant.
func (c *Client) RemoveMember(ctx context.Context, actor app.Actor, tenant, user string) (app.TenantView, error) {
	var t contract.Tenant
	err := c.call(ctx, app.Actor{}, "DELETE", "/api/v1/tenants/"+esc(tenant)+"/members/"+esc(user), nil, nil, &t)
	return toTenant(t), err
}

// SetVMware stores the tenant's VMware settings and password.
func (c *Client) SetVMware(ctx context.Context, actor app.Actor, s app.VMwareSettings, password string) (app.VMwareSettings, error) {
	body := struct {
		app.VMwareSettings
		Password string `json:"password"`
	}{s, password}
	var v app.VMwareSettings
	err := c.call(ctx, actor, "PUT", "/api/v1/vmware", nil, body, &v)
	return v, err
}

// ListIPPools lists the tenant's static address pools with their leases.
func (c *Client) ListIPPools(ctx context.Context, actor app.Actor) ([]app.IPPoolView, error) {
	var out []app.IPPoolView
	err := c.call(ctx, actor, "GET", "/api/v1/vmware/ip-pools", nil, nil, &out)
	return out, err
}

// AddIPPool adds a static address pool for a network.
func (c *Client) AddIPPool(ctx context.Context, actor app.Actor, p app.IPPool) (app.IPPoolView, error) {
	var out app.IPPoolView
	err := c.call(ctx, actor, "POST", "/api/v1/vmware/ip-pools", nil, p, &out)
	return out, err
}

// RemoveIPPool removes a network's pool.
func (c *Client) RemoveIPPool(ctx context.Context, actor app.Actor, network string) error {
	return c.call(ctx, actor, "DELETE", "/api/v1/vmware/ip-pools/"+esc(network), nil, nil, nil)
}

// ShowVMware returns the tenant's VMware settings (never the password).
func (c *Client) ShowVMware(ctx context.Context, actor app.Actor) (app.VMwareSettings, error) {
	var v app.VMwareSettings
	err := c.call(ctx, actor, "GET", "/api/v1/vmware", nil, nil, &v)
	return v, err
}

// TestVMware checks the tenant's vCenter.
func (c *Client) TestVMware(ctx context.Context, actor app.Actor) ([]app.Check, error) {
	var cs []struct {
		Name   string `json:"name"`
		OK     bool   `json:"ok"`
		Detail string `json:"detail"`
		Code   string `json:"code"`
	}
	err := c.call(ctx, actor, "POST", "/api/v1/vmware/test", nil, nil, &cs)
	out := make([]app.Check, 0, len(cs))
	for _, ch := range cs {
		out = append(out, app.Check{Name: ch.Name, OK: ch.OK, Detail: ch.Detail, Code: ch.Code})
	}
	return out, err
}

// ListQueue lists the tenant's queued commands.
func (c *Client) ListQueue(ctx context.Context, actor app.Actor) ([]app.QueueItem, error) {
	var items []contract.QueueItem
	err := c.call(ctx, actor, "GET", "/api/v1/queue", nil, nil, &items)
	out := make([]app.QueueItem, 0, len(items))
	for _, it := range items {
		out = append(out, toQueueItem(it))
	}
	return out, err
}

// RetryCommand runs a failed command again.
func (c *Client) RetryCommand(ctx context.Context, actor app.Actor, id string) (app.QueueItem, error) {
	var it contract.QueueItem
	err := c.call(ctx, actor, "POST", "/api/v1/queue/"+esc(id)+"/retry", nil, nil, &it)
	return toQueueItem(it), err
}

// ReleaseCommand gives back a running command's lease at once.
func (c *Client) ReleaseCommand(ctx context.Context, actor app.Actor, id string) (app.QueueItem, error) {
	var it contract.QueueItem
	err := c.call(ctx, actor, "POST", "/api/v1/queue/"+esc(id)+"/release", nil, nil, &it)
	return toQueueItem(it), err
}

// CreateToken makes a token for user (yourself, unless a platform admin).
func (c *Client) CreateToken(ctx context.Context, actor app.Actor, user, name string, ttl time.Duration) (app.NewToken, error) {
	body := map[string]string{"name": name, "user": user}
	if ttl > 0 {
		body["expires_in"] = ttl.String()
	}
	var t app.NewToken
	err := c.call(ctx, app.Actor{}, "POST", "/api/v1/tokens", nil, body, &t)
	return t, err
}

// ListTokens lists a user's tokens.
func (c *Client) ListTokens(ctx context.Context, actor app.Actor, user string) ([]app.TokenInfo, error) {
	var ts []app.TokenInfo
	err := c.call(ctx, app.Actor{}, "GET", "/api/v1/tokens", url.Values{"user": {user}}, nil, &ts)
	return ts, err
}

// RevokeToken revokes one of a user's tokens.
func (c *Client) RevokeToken(ctx context.Context, actor app.Actor, user, id string) error {
	return c.call(ctx, app.Actor{}, "DELETE", "/api/v1/tokens/"+esc(id), url.Values{"user": {user}}, nil, nil)
}

// Login trades a user name and password for a token.
func (c *Client) Login(ctx context.Context, user, password, tokenName string) (app.NewToken, error) {
	var t app.NewToken
	err := c.call(ctx, app.Actor{}, "POST", "/api/v1/login", nil, map[string]string{"user": user, "password": password, "token_name": tokenName}, &t)
	return t, err
}

// Whoami is who the token proves the caller to be.
type Whoami struct {
	User          string           `json:"user"`
	PlatformAdmin bool             `json:"platform_admin"`
	Tenant        string           `json:"tenant,omitempty"`
	Tenants       []app.Membership `json:"tenants"`
}

// Whoami asks the server who the token belongs to.
func (c *Client) Whoami(ctx context.Context, actor app.Actor) (Whoami, error) {
	var w Whoami
	err := c.call(ctx, actor, "GET", "/api/v1/whoami", nil, nil, &w)
	return w, err
}

// Drive asks the server to run the vSphere work of a request now, as
// 'approve --wait' does locally.
func (c *Client) Drive(ctx context.Context, actor app.Actor, id string) error {
	return c.call(ctx, actor, "POST", "/api/v1/requests/"+esc(id)+"/drive", nil, nil, nil)
}

// Follow watches a request by long polling until it is in a terminal
// state or ctx ends; onChange gets each new state. No call is made
// between answers: the server holds each one until something changes.
func (c *Client) Follow(ctx context.Context, actor app.Actor, id string, onChange func(app.RequestView, []app.TimelineEntry)) (app.RequestView, []app.TimelineEntry, error) {
	var (
		last     app.RequestView
		timeline []app.TimelineEntry
		tag      string
	)
	for {
		var r contract.RequestWithTimeline
		h := http.Header{}
		if tag != "" {
			h.Set("If-None-Match", tag)
		}
		status, hdr, err := c.callWith(ctx, actor, "GET", "/api/v1/requests/"+esc(id), url.Values{"wait": {"25s"}}, h, nil, &r)
		if err != nil {
			return last, timeline, err
		}
		if status == http.StatusOK {
			last, timeline, tag = toRequest(r.Request), toTimeline(r.Timeline, r.ID), hdr.Get("ETag")
			if onChange != nil {
				onChange(last, timeline)
			}
			if last.Status.Terminal() {
				return last, timeline, nil
			}
		}
		if err := ctx.Err(); err != nil {
			return last, timeline, err
		}
	}
}

// ListProjects lists the tenant's projects and its access setting.
func (c *Client) ListProjects(ctx context.Context, actor app.Actor) ([]app.ProjectView, bool, error) {
	var out contract.ProjectList
	if err := c.call(ctx, actor, "GET", "/api/v1/projects", nil, nil, &out); err != nil {
		return nil, false, err
	}
	ps := make([]app.ProjectView, 0, len(out.Projects))
	for _, p := range out.Projects {
		ps = append(ps, p.ProjectView())
	}
	return ps, out.MembersOnly, nil
}

// CreateProject creates a project.
func (c *Client) CreateProject(ctx context.Context, actor app.Actor, name string) (app.ProjectView, error) {
	var out contract.Project
	err := c.call(ctx, actor, "POST", "/api/v1/projects", nil, map[string]string{"name": name}, &out)
	return out.ProjectView(), err
}

// ShowProject shows a project with its quota and live requests.
func (c *Client) ShowProject(ctx context.Context, actor app.Actor, name string) (app.ProjectDetail, error) {
	var out contract.ProjectDetail
	err := c.call(ctx, actor, "GET", "/api/v1/projects/"+esc(name), nil, nil, &out)
	return out.ProjectDetail(), err
}

// ArchiveProject archives a project.
func (c *Client) ArchiveProject(ctx context.Context, actor app.Actor, name string) (app.ProjectView, error) {
	var out contract.Project
	err := c.call(ctx, actor, "POST", "/api/v1/projects/"+esc(name)+"/archive", nil, nil, &out)
	return out.ProjectView(), err
}

// RestoreProject restores an archived project.
func (c *Client) RestoreProject(ctx context.Context, actor app.Actor, name string) (app.ProjectView, error) {
	var out contract.Project
	err := c.call(ctx, actor, "POST", "/api/v1/projects/"+esc(name)+"/restore", nil, nil, &out)
	return out.ProjectView(), err
}

// AddProjectMember adds a tenant member to a project.
func (c *Client) AddProjectMember(ctx context.Context, actor app.Actor, name, user string) (app.ProjectView, error) {
	var out contract.Project
	err := c.call(ctx, actor, "POST", "/api/v1/projects/"+esc(name)+"/members", nil, map[string]string{"user": user}, &out)
	return out.ProjectView(), err
}

// RemoveProjectMember removes a user from a project.
func (c *Client) RemoveProjectMember(ctx context.Context, actor app.Actor, name, user string) (app.ProjectView, error) {
	var out contract.Project
	err := c.call(ctx, actor, "DELETE", "/api/v1/projects/"+esc(name)+"/members/"+esc(user), nil, nil, &out)
	return out.ProjectView(), err
}

// SetProjectAccess says whether requesters may ask only in their projects.
func (c *Client) SetProjectAccess(ctx context.Context, actor app.Actor, membersOnly bool) (bool, error) {
	var out contract.ProjectAccess
	err := c.call(ctx, actor, "PUT", "/api/v1/project-access", nil, contract.ProjectAccess{MembersOnly: membersOnly}, &out)
	return out.MembersOnly, err
}

// AddNotifyChannel adds a notification channel with its secret.
func (c *Client) AddNotifyChannel(ctx context.Context, actor app.Actor, ch app.NotifyChannel, secret string) (app.NotifyChannel, error) {
	body := struct {
		app.NotifyChannel
		Secret string `json:"secret"`
	}{ch, secret}
	var out app.NotifyChannel
	err := c.call(ctx, actor, "POST", "/api/v1/notify/channels", nil, body, &out)
	return out, err
}

// ListNotifyChannels lists the tenant's notification channels.
func (c *Client) ListNotifyChannels(ctx context.Context, actor app.Actor) ([]app.NotifyChannel, error) {
	var out []app.NotifyChannel
	err := c.call(ctx, actor, "GET", "/api/v1/notify/channels", nil, nil, &out)
	return out, err
}

// RemoveNotifyChannel removes a notification channel.
func (c *Client) RemoveNotifyChannel(ctx context.Context, actor app.Actor, ref string) (app.NotifyChannel, error) {
	var out app.NotifyChannel
	err := c.call(ctx, actor, "DELETE", "/api/v1/notify/channels/"+esc(ref), nil, nil, &out)
	return out, err
}

// TestNotifyChannel has the server send a test message through a channel.
func (c *Client) TestNotifyChannel(ctx context.Context, actor app.Actor, ref string) (app.NotifyTestResult, error) {
	var out app.NotifyTestResult
	err := c.call(ctx, actor, "POST", "/api/v1/notify/channels/"+esc(ref)+"/test", nil, nil, &out)
	return out, err
}

// ShowLeasePolicy returns the tenant's lease policy.
func (c *Client) ShowLeasePolicy(ctx context.Context, actor app.Actor) (app.LeasePolicy, error) {
	var p contract.LeasePolicy
	err := c.call(ctx, actor, "GET", "/api/v1/lease-policy", nil, nil, &p)
	return app.LeasePolicy{DefaultDays: p.DefaultDays, MaxDays: p.MaxDays, GraceDays: p.GraceDays}, err
}

// SetLeasePolicy sets (the zero policy: removes) the tenant's lease policy.
func (c *Client) SetLeasePolicy(ctx context.Context, actor app.Actor, in app.LeasePolicy) (app.LeasePolicy, error) {
	var p contract.LeasePolicy
	err := c.call(ctx, actor, "PUT", "/api/v1/lease-policy", nil, in, &p)
	return app.LeasePolicy{DefaultDays: p.DefaultDays, MaxDays: p.MaxDays, GraceDays: p.GraceDays}, err
}

// ExtendLease extends a VM's lease, or asks for it past the most.
func (c *Client) ExtendLease(ctx context.Context, actor app.Actor, ref string, days int) (app.RequestView, error) {
	var r contract.Request
	err := c.call(ctx, actor, "POST", "/api/v1/vms/"+esc(ref)+"/extend", nil, map[string]int{"days": days}, &r)
	return toRequest(r), err
}

// ApproveLeaseExtension approves an extension asked for.
func (c *Client) ApproveLeaseExtension(ctx context.Context, actor app.Actor, ref string) (app.RequestView, error) {
	var r contract.Request
	err := c.call(ctx, actor, "POST", "/api/v1/vms/"+esc(ref)+"/extend/approve", nil, nil, &r)
	return toRequest(r), err
}

// RejectLeaseExtension refuses an extension asked for.
func (c *Client) RejectLeaseExtension(ctx context.Context, actor app.Actor, ref, reason string) (app.RequestView, error) {
	var r contract.Request
	err := c.call(ctx, actor, "POST", "/api/v1/vms/"+esc(ref)+"/extend/reject", nil, map[string]string{"reason": reason}, &r)
	return toRequest(r), err
}

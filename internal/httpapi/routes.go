package httpapi

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
)

// The JSON bodies are the shapes 'dvmm ... -o json' prints: those of
// package contract, the one place they are defined.

// login trades a user name and password for a token that lasts LoginTTL.
// Tries are throttled per account and per address; every failure answers
// the same, after the same work.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		User      string `json:"user"`
		Password  string `json:"password"`
		TokenName string `json:"token_name"`
	}
	if err := decode(r, &in); err != nil {
		writeError(w, err)
		return
	}
	addr := clientAddr(r)
	if d := max(s.Accounts.Wait(in.User), s.Addresses.Wait(addr)); d > 0 {
		w.Header().Set("Retry-After", stringSeconds(d))
		writeErrorStatus(w, http.StatusTooManyRequests, string(app.KindUnavailable), "too many failed sign-ins: try again in "+stringSeconds(d)+" s")
		return
	}
	id, err := s.App.Login(r.Context(), in.User, in.Password)
	if err != nil {
		if app.ErrorKind(err) == app.KindUnauthenticated {
			s.Accounts.Failed(in.User)
			s.Addresses.Failed(addr)
		}
		writeError(w, err)
		return
	}
	// An address's failures are not forgiven by a success: one good
	// account must not reset the count of guesses at others.
	s.Accounts.Succeeded(in.User)
	name := in.TokenName
	if name == "" {
		name = "login"
	}
	actor := app.Actor{User: id.User, Remote: true, PlatformAdmin: id.PlatformAdmin, Source: clientAddr(r)}
	tok, err := s.App.CreateToken(r.Context(), actor, id.User, name, s.LoginTTL)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, tok)
}

func stringSeconds(d time.Duration) string {
	return strconv.Itoa(int((d + time.Second - 1) / time.Second))
}

// whoamiJSON is 'dvmm whoami -o json'.
type whoamiJSON struct {
	User          string           `json:"user"`
	PlatformAdmin bool             `json:"platform_admin"`
	Tenant        string           `json:"tenant,omitempty"`
	Tenants       []app.Membership `json:"tenants"`
}

func (s *Server) whoami(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	ms, err := s.App.TenantsOf(r.Context(), actor.User)
	if err != nil {
		return nil, 0, err
	}
	if ms == nil {
		ms = []app.Membership{}
	}
	return whoamiJSON{User: actor.User, PlatformAdmin: actor.PlatformAdmin, Tenant: actor.Tenant, Tenants: ms}, http.StatusOK, nil
}

func (s *Server) listTokens(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	user := r.URL.Query().Get("user")
	if user == "" {
		user = actor.User
	}
	ts, err := s.App.ListTokens(r.Context(), actor, user)
	if ts == nil {
		ts = []app.TokenInfo{}
	}
	return ts, http.StatusOK, err
}

func (s *Server) createToken(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	var in struct {
		Name      string `json:"name"`
		User      string `json:"user"`
		ExpiresIn string `json:"expires_in"` // e.g. "90d", "12h"; empty: never
	}
	if err := decode(r, &in); err != nil {
		return nil, 0, err
	}
	if in.User == "" {
		in.User = actor.User
	}
	ttl, err := app.ParseLifetime(in.ExpiresIn)
	if err != nil {
		return nil, 0, err
	}
	tok, err := s.App.CreateToken(r.Context(), actor, in.User, in.Name, ttl)
	return tok, http.StatusCreated, err
}

func (s *Server) revokeToken(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	user := r.URL.Query().Get("user")
	if user == "" {
		user = actor.User
	}
	return nil, http.StatusNoContent, s.App.RevokeToken(r.Context(), actor, user, r.PathValue("id"))
}

func (s *Server) createRequest(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	in, err := requestInput(r)
	if err != nil {
		return nil, 0, err
	}
	v, err := s.App.CreateRequest(r.Context(), actor, in)
	return contract.NewRequest(v), http.StatusCreated, err
}

// previewRequest answers what a create would make, writing nothing.
func (s *Server) previewRequest(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	in, err := requestInput(r)
	if err != nil {
		return nil, 0, err
	}
	v, qs, err := s.App.PreviewRequest(r.Context(), actor, in)
	return contract.NewRequestPreview(v, qs), http.StatusOK, err
}

// requestInput reads a new request from the body.
func requestInput(r *http.Request) (app.NewRequestInput, error) {
	var in struct {
		Name          string `json:"name"`
		Size          string `json:"size"`
		Project       string `json:"project"`
		Network       string `json:"network"`
		Justification string `json:"justification"`
		UserData      []byte `json:"user_data"` // base64 in JSON
		LeaseDays     int    `json:"lease_days"`
	}
	if err := decode(r, &in); err != nil {
		return app.NewRequestInput{}, err
	}
	return app.NewRequestInput{Name: in.Name, Size: in.Size, Project: in.Project,
		Network: in.Network, Justification: in.Justification, UserData: in.UserData, LeaseDays: in.LeaseDays}, nil
}

func (s *Server) showQuota(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	q, err := s.App.ShowQuota(r.Context(), actor, r.URL.Query().Get("project"))
	return contract.NewQuota(q), http.StatusOK, err
}

func (s *Server) setQuota(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	var in struct {
		Project string     `json:"project"`
		Limits  app.Amount `json:"limits"`
	}
	if err := decode(r, &in); err != nil {
		return nil, 0, err
	}
	q, err := s.App.SetQuota(r.Context(), actor, in.Project, in.Limits)
	return contract.NewQuota(q), http.StatusOK, err
}

func (s *Server) listRequests(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	q := r.URL.Query()
	f := app.RequestFilter{Project: q.Get("project")}
	if st := q.Get("status"); st != "" {
		status, err := app.ParseStatus(st)
		if err != nil {
			return nil, 0, err
		}
		f.Status = status
	}
	f.Requester = q.Get("requester")
	if q.Get("mine") == "true" {
		f.Requester = actor.User
	}
	f.HasVM = q.Get("has_vm") == "true"
	limit, err := queryInt(r, "limit")
	if err != nil {
		return nil, 0, err
	}
	f.Limit = limit
	vs, err := s.App.ListRequests(r.Context(), actor, f)
	return contract.NewRequests(vs), http.StatusOK, err
}

// showRequest answers a request with its timeline. With ?wait=D and an
// If-None-Match of the ETag it last answered, it holds the call until the
// request changes or D passes (long polling, up to a minute): a client
// following a request asks again only when there is news.
func (s *Server) showRequest(w http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	var wait time.Duration
	if q := r.URL.Query().Get("wait"); q != "" {
		d, err := time.ParseDuration(q)
		if err != nil || d < 0 || d > time.Minute {
			return nil, 0, app.Errorf(app.KindInvalid, "wait must be a duration up to 1m, not %q", clip(q, 20))
		}
		wait = d
	}
	seen := r.Header.Get("If-None-Match")
	deadline := time.Now().Add(wait)
	for {
		wake := s.App.Changed()
		v, tl, err := s.App.ShowRequest(r.Context(), actor, r.PathValue("id"))
		if err != nil {
			return nil, 0, err
		}
		tag := etag(v, tl)
		if tag != seen || !time.Now().Before(deadline) {
			if tl == nil {
				tl = []app.TimelineEntry{}
			}
			w.Header().Set("ETag", tag)
			if tag == seen {
				w.WriteHeader(http.StatusNotModified)
				return nil, 0, nil
			}
			return contract.NewRequestWithTimeline(v, tl), http.StatusOK, nil
		}
		select {
		case <-r.Context().Done():
			return nil, 0, r.Context().Err()
		case <-wake:
		case <-time.After(s.pollEvery()):
		}
	}
}

// etag names a state of a request: it changes with its version, status,
// VM and timeline.
func etag(v app.RequestView, tl []app.TimelineEntry) string {
	h := fnv.New64a()
	_ = json.NewEncoder(h).Encode(v)
	fmt.Fprintf(h, "%d", len(tl))
	return fmt.Sprintf(`"%x"`, h.Sum64())
}

// drive runs the vSphere work of a provisioning request here and now, as
// 'approve --wait' does on the database file: it claims the request's
// queued work with a lease like any worker, so it never runs twice. It
// answers at once; the caller follows the request with long polling.
func (s *Server) drive(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	if err := emptyBody(r); err != nil {
		return nil, 0, err
	}
	v, _, err := s.App.ShowRequest(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return nil, 0, err
	}
	if s.Work == nil {
		return nil, 0, app.Errorf(app.KindUnavailable, "this server runs no vSphere work")
	}
	go func() {
		if _, err := s.App.Drive(s.Work, actor, v.ID, 2*time.Minute, nil); err != nil && s.Work.Err() == nil {
			s.Log.Warn("driving a request failed; serve's workers take it on", slog.String("request_id", v.ID), slog.String("error", app.ErrorMessage(err)))
		}
	}()
	return contract.NewRequest(v), http.StatusAccepted, nil
}

// decision is the body of approve and reject. expect_version is the
// version the caller saw: a request changed since then is refused rather
// than decided. Left out, it is not checked, as with the CLI.
type decision struct {
	ExpectVersion *int   `json:"expect_version"`
	Reason        string `json:"reason"`
}

func readDecision(r *http.Request, needReason bool) (decision, error) {
	var d decision
	if err := decode(r, &d); err != nil {
		return d, err
	}
	if d.ExpectVersion == nil {
		d.ExpectVersion = new(int)
	}
	if *d.ExpectVersion < 0 {
		return d, app.Errorf(app.KindInvalid, "expect_version must be 1 or more")
	}
	if !needReason && d.Reason != "" {
		return d, app.Errorf(app.KindInvalid, "an approval takes no reason")
	}
	return d, nil
}

func (s *Server) approve(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	d, err := readDecision(r, false)
	if err != nil {
		return nil, 0, err
	}
	v, err := s.App.Approve(r.Context(), actor, r.PathValue("id"), *d.ExpectVersion)
	return contract.NewRequest(v), http.StatusOK, err
}

func (s *Server) reject(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	d, err := readDecision(r, true)
	if err != nil {
		return nil, 0, err
	}
	v, err := s.App.Reject(r.Context(), actor, r.PathValue("id"), d.Reason, *d.ExpectVersion)
	return contract.NewRequest(v), http.StatusOK, err
}

func (s *Server) cancel(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	if err := emptyBody(r); err != nil {
		return nil, 0, err
	}
	v, err := s.App.Cancel(r.Context(), actor, r.PathValue("id"))
	return contract.NewRequest(v), http.StatusOK, err
}

func (s *Server) giveUp(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decode(r, &in); err != nil {
		return nil, 0, err
	}
	v, err := s.App.GiveUp(r.Context(), actor, r.PathValue("id"), in.Reason)
	return contract.NewRequest(v), http.StatusOK, err
}

func (s *Server) requestDecommission(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decode(r, &in); err != nil {
		return nil, 0, err
	}
	v, err := s.App.RequestDecommission(r.Context(), actor, r.PathValue("ref"), in.Reason)
	return contract.NewRequest(v), http.StatusOK, err
}

func (s *Server) approveDecommission(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	if err := emptyBody(r); err != nil {
		return nil, 0, err
	}
	v, err := s.App.ApproveDecommission(r.Context(), actor, r.PathValue("ref"))
	return contract.NewRequest(v), http.StatusOK, err
}

func (s *Server) powerVM(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	var in struct {
		Action string `json:"action"`
		Wait   bool   `json:"wait"`
	}
	if err := decode(r, &in); err != nil {
		return nil, 0, err
	}
	action, err := app.ParsePowerAction(in.Action)
	if err != nil {
		return nil, 0, err
	}
	res, err := s.App.SwitchPower(r.Context(), actor, r.PathValue("ref"), action, in.Wait)
	return contract.NewPowerResult(res), http.StatusOK, err
}

func (s *Server) askResize(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	var in struct {
		Size         string `json:"size"`
		AllowRestart bool   `json:"allow_restart"`
	}
	if err := decode(r, &in); err != nil {
		return nil, 0, err
	}
	v, err := s.App.AskResize(r.Context(), actor, r.PathValue("ref"), in.Size, in.AllowRestart)
	return contract.NewRequest(v), http.StatusOK, err
}

func (s *Server) approveResize(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	if err := emptyBody(r); err != nil {
		return nil, 0, err
	}
	v, err := s.App.ApproveResize(r.Context(), actor, r.PathValue("ref"))
	return contract.NewRequest(v), http.StatusOK, err
}

func (s *Server) retry(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	if err := emptyBody(r); err != nil {
		return nil, 0, err
	}
	v, err := s.App.Retry(r.Context(), actor, r.PathValue("id"))
	return contract.NewRequest(v), http.StatusOK, err
}

// emptyBody accepts no body or an empty JSON object.
func emptyBody(r *http.Request) error {
	if r.ContentLength == 0 {
		return nil
	}
	var in struct{}
	return decode(r, &in)
}

func (s *Server) listVMs(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	vs, err := s.App.ListVMs(r.Context(), actor)
	if err != nil {
		return nil, 0, err
	}
	out := make([]contract.VMStatus, 0, len(vs))
	for _, v := range vs {
		out = append(out, contract.NewVMStatus(v, app.LiveVM{}))
	}
	return out, http.StatusOK, nil
}

func (s *Server) vmStatus(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	timeout := 10 * time.Second
	if t := r.URL.Query().Get("timeout"); t != "" {
		d, err := time.ParseDuration(t)
		if err != nil || d <= 0 || d > time.Minute {
			return nil, 0, app.Errorf(app.KindInvalid, "timeout must be a duration up to 1m, not %q", clip(t, 20))
		}
		timeout = d
	}
	v, live, err := s.App.VMStatus(r.Context(), actor, r.PathValue("ref"), timeout)
	if err != nil {
		return nil, 0, err
	}
	return contract.NewVMStatus(v, live), http.StatusOK, nil
}

func (s *Server) listIPPools(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	out, err := s.App.ListIPPools(r.Context(), actor)
	return out, http.StatusOK, err
}

func (s *Server) addIPPool(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	var in app.IPPool
	if err := decode(r, &in); err != nil {
		return nil, 0, err
	}
	out, err := s.App.AddIPPool(r.Context(), actor, in)
	return out, http.StatusCreated, err
}

func (s *Server) removeIPPool(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	if err := s.App.RemoveIPPool(r.Context(), actor, r.PathValue("network")); err != nil {
		return nil, 0, err
	}
	return map[string]string{"removed": r.PathValue("network")}, http.StatusOK, nil
}

// reconcile records what changed outside dvmm on the tenant's READY VMs
// (every tenant's with all=true, for platform admins).
func (s *Server) reconcile(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	all := false
	switch v := r.URL.Query().Get("all"); v {
	case "", "false":
	case "true":
		all = true
	default:
		return nil, 0, app.Errorf(app.KindInvalid, "all must be true or false, not %q", clip(v, 20))
	}
	res, err := s.App.Reconcile(r.Context(), actor, all)
	if err != nil {
		return nil, 0, err
	}
	return contract.NewReconcile(res), http.StatusOK, nil
}

// listTenants shows a platform admin every tenant, anyone else theirs.
func (s *Server) listTenants(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	ts, err := s.App.Tenants(r.Context())
	if err != nil {
		return nil, 0, err
	}
	var out []app.TenantView
	for _, t := range ts {
		if actor.PlatformAdmin || isMember(t, actor.User) {
			out = append(out, t)
		}
	}
	return contract.NewTenants(out), http.StatusOK, nil
}

func isMember(t app.TenantView, user string) bool {
	for _, m := range t.Members {
		if m.User == user {
			return true
		}
	}
	return false
}

func (s *Server) showTenant(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	name := r.PathValue("tenant")
	ts, err := s.App.Tenants(r.Context())
	if err != nil {
		return nil, 0, err
	}
	for _, t := range ts {
		if t.Name == name && (actor.PlatformAdmin || isMember(t, actor.User)) {
			return contract.NewTenant(t), http.StatusOK, nil
		}
	}
	// Another tenant answers like one that does not exist.
	return nil, 0, app.Errorf(app.KindNotFound, "tenant %s not found", clip(name, 63))
}

func (s *Server) createTenant(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	var in struct {
		Name  string `json:"name"`
		Admin string `json:"admin"`
	}
	if err := decode(r, &in); err != nil {
		return nil, 0, err
	}
	v, err := s.App.CreateTenant(r.Context(), actor, in.Name, in.Admin)
	return contract.NewTenant(v), http.StatusCreated, err
}

func (s *Server) addMember(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	var in struct {
		User string `json:"user"`
		Role string `json:"role"`
	}
	if err := decode(r, &in); err != nil {
		return nil, 0, err
	}
	if in.Role == "" {
		in.Role = string(app.RoleUser)
	}
	role, err := app.ParseRole(in.Role)
	if err != nil {
		return nil, 0, err
	}
	v, err := s.App.AddMember(r.Context(), actor, r.PathValue("tenant"), in.User, role)
	return contract.NewTenant(v), http.StatusOK, err
}

func (s *Server) setRole(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	var in struct {
		Role string `json:"role"`
	}
	if err := decode(r, &in); err != nil {
		return nil, 0, err
	}
	role, err := app.ParseRole(in.Role)
	if err != nil {
		return nil, 0, err
	}
	v, err := s.App.SetRole(r.Context(), actor, r.PathValue("tenant"), r.PathValue("user"), role)
	return contract.NewTenant(v), http.StatusOK, err
}

func (s *Server) removeMember(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	v, err := s.App.RemoveMember(r.Context(), actor, r.PathValue("tenant"), r.PathValue("user"))
	return contract.NewTenant(v), http.StatusOK, err
}

func (s *Server) showVmware(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	v, err := s.App.ShowVMware(r.Context(), actor)
	return v, http.StatusOK, err
}

// setVmware takes the settings and the password; the password is
// write-only: no answer ever carries it.
func (s *Server) setVmware(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	var in struct {
		app.VMwareSettings
		Password string `json:"password"`
	}
	if err := decode(r, &in); err != nil {
		return nil, 0, err
	}
	if strings.TrimSpace(in.Password) == "" {
		return nil, 0, app.Errorf(app.KindInvalid, "password is required")
	}
	v, err := s.App.SetVMware(r.Context(), actor, in.VMwareSettings, in.Password)
	return v, http.StatusOK, err
}

func (s *Server) testVmware(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	if err := emptyBody(r); err != nil {
		return nil, 0, err
	}
	checks, err := s.App.TestVMware(r.Context(), actor)
	out := make([]checkJSON, 0, len(checks))
	for _, c := range checks {
		out = append(out, checkJSON{Name: c.Name, OK: c.OK, Detail: c.Detail, Code: c.Code})
	}
	return out, http.StatusOK, err
}

// checkJSON is a line of 'vmware test' with, over the API, the stable code
// of a failed check, so that a client can add its own advice.
type checkJSON struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Code   string `json:"code,omitempty"`
}

func (s *Server) listQueue(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	items, err := s.App.ListQueue(r.Context(), actor)
	return contract.NewQueueItems(items), http.StatusOK, err
}

func (s *Server) retryCommand(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	if err := emptyBody(r); err != nil {
		return nil, 0, err
	}
	it, err := s.App.RetryCommand(r.Context(), actor, r.PathValue("id"))
	return contract.NewQueueItem(it), http.StatusOK, err
}

func (s *Server) releaseCommand(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	if err := emptyBody(r); err != nil {
		return nil, 0, err
	}
	it, err := s.App.ReleaseCommand(r.Context(), actor, r.PathValue("id"))
	return contract.NewQueueItem(it), http.StatusOK, err
}

func (s *Server) listNotifyChannels(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	out, err := s.App.ListNotifyChannels(r.Context(), actor)
	return out, http.StatusOK, err
}

// addNotifyChannel takes the channel and its secret; the secret is
// write-only: no answer ever carries it.
func (s *Server) addNotifyChannel(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	var in struct {
		app.NotifyChannel
		Secret string `json:"secret"`
	}
	if err := decode(r, &in); err != nil {
		return nil, 0, err
	}
	out, err := s.App.AddNotifyChannel(r.Context(), actor, in.NotifyChannel, in.Secret)
	return out, http.StatusCreated, err
}

func (s *Server) removeNotifyChannel(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	out, err := s.App.RemoveNotifyChannel(r.Context(), actor, r.PathValue("id"))
	return out, http.StatusOK, err
}

// testNotifyChannel sends a test message from the server now.
func (s *Server) testNotifyChannel(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	if err := emptyBody(r); err != nil {
		return nil, 0, err
	}
	out, err := s.App.TestNotifyChannel(r.Context(), actor, r.PathValue("id"))
	return out, http.StatusOK, err
}

func (s *Server) showLeasePolicy(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	p, err := s.App.ShowLeasePolicy(r.Context(), actor)
	return contract.NewLeasePolicy(actor.Tenant, p), http.StatusOK, err
}

func (s *Server) setLeasePolicy(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	var in app.LeasePolicy
	if err := decode(r, &in); err != nil {
		return nil, 0, err
	}
	p, err := s.App.SetLeasePolicy(r.Context(), actor, in)
	return contract.NewLeasePolicy(actor.Tenant, p), http.StatusOK, err
}

func (s *Server) extendLease(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	var in struct {
		Days int `json:"days"`
	}
	if err := decode(r, &in); err != nil {
		return nil, 0, err
	}
	v, err := s.App.ExtendLease(r.Context(), actor, r.PathValue("ref"), in.Days)
	return contract.NewRequest(v), http.StatusOK, err
}

func (s *Server) approveLeaseExtension(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	if err := emptyBody(r); err != nil {
		return nil, 0, err
	}
	v, err := s.App.ApproveLeaseExtension(r.Context(), actor, r.PathValue("ref"))
	return contract.NewRequest(v), http.StatusOK, err
}

func (s *Server) rejectLeaseExtension(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decode(r, &in); err != nil {
		return nil, 0, err
	}
	v, err := s.App.RejectLeaseExtension(r.Context(), actor, r.PathValue("ref"), in.Reason)
	return contract.NewRequest(v), http.StatusOK, err
}

func (s *Server) listProjects(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	ps, membersOnly, err := s.App.ListProjects(r.Context(), actor)
	return contract.NewProjectList(ps, membersOnly), http.StatusOK, err
}

func (s *Server) createProject(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(r, &in); err != nil {
		return nil, 0, err
	}
	p, err := s.App.CreateProject(r.Context(), actor, in.Name)
	return contract.NewProject(p), http.StatusCreated, err
}

func (s *Server) showProject(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	d, err := s.App.ShowProject(r.Context(), actor, r.PathValue("name"))
	return contract.NewProjectDetail(d), http.StatusOK, err
}

func (s *Server) archiveProject(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	p, err := s.App.ArchiveProject(r.Context(), actor, r.PathValue("name"))
	return contract.NewProject(p), http.StatusOK, err
}

func (s *Server) restoreProject(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	p, err := s.App.RestoreProject(r.Context(), actor, r.PathValue("name"))
	return contract.NewProject(p), http.StatusOK, err
}

func (s *Server) addProjectMember(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	var in struct {
		User string `json:"user"`
	}
	if err := decode(r, &in); err != nil {
		return nil, 0, err
	}
	p, err := s.App.AddProjectMember(r.Context(), actor, r.PathValue("name"), in.User)
	return contract.NewProject(p), http.StatusOK, err
}

func (s *Server) removeProjectMember(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	p, err := s.App.RemoveProjectMember(r.Context(), actor, r.PathValue("name"), r.PathValue("user"))
	return contract.NewProject(p), http.StatusOK, err
}

func (s *Server) setProjectAccess(_ http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error) {
	var in contract.ProjectAccess
	if err := decode(r, &in); err != nil {
		return nil, 0, err
	}
	on, err := s.App.SetProjectAccess(r.Context(), actor, in.MembersOnly)
	return contract.ProjectAccess{MembersOnly: on}, http.StatusOK, err
}

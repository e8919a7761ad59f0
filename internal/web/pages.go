package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dvmm/dvmm/internal/app"
)

// signinData is the sign-in form: what was typed (never the password) and
// why it failed.
type signinData struct {
	User, Next string
	OIDC       bool // offer sign-in through the identity provider
}

func (s *Server) signinPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "signin", s.view(nil, "Sign in", "", signinData{Next: localPath(r.URL.Query().Get("next")), OIDC: s.OIDC != nil && s.OIDC.CanSignIn()}))
}

// signin trades a user name and password for a session: a new token that
// lasts SessionTTL, in a new cookie. A token the browser held before is
// revoked, so a session fixed by someone else never becomes a signed-in one.
func (s *Server) signin(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, nil, app.Errorf(app.KindInvalid, "The form could not be read."))
		return
	}
	user, password := strings.TrimSpace(r.PostForm.Get("user")), r.PostForm.Get("password")
	data := signinData{User: user, Next: localPath(r.PostForm.Get("next")), OIDC: s.OIDC != nil && s.OIDC.CanSignIn()}
	fail := func(status int, msg string) {
		v := s.view(nil, "Sign in", "", data)
		v.Error = msg
		s.render(w, r, status, "signin", v)
	}
	addr := clientAddr(r)
	if d := max(s.Accounts.Wait(user), s.Addresses.Wait(addr)); d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
		fail(http.StatusTooManyRequests, "Too many failed sign-ins: wait "+strconv.Itoa(int((d+time.Second-1)/time.Second))+" seconds and try again.")
		return
	}
	id, err := s.App.Login(r.Context(), user, password)
	if err != nil {
		if app.ErrorKind(err) == app.KindUnauthenticated {
			s.Accounts.Failed(user)
			s.Addresses.Failed(addr)
			fail(http.StatusUnauthorized, "Wrong user name or password.")
			return
		}
		fail(statusOf(err), messageOf(err))
		return
	}
	s.Accounts.Succeeded(user)
	s.endOldSession(r)
	actor := app.Actor{User: id.User, Remote: true, PlatformAdmin: id.PlatformAdmin, Source: addr}
	tok, err := s.App.CreateToken(r.Context(), actor, id.User, "web sign-in", s.SessionTTL)
	if err != nil {
		fail(statusOf(err), messageOf(err))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok.Token, Path: "/", MaxAge: int(s.SessionTTL / time.Second),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	redirect(w, r, data.Next)
}

// oidcCookie holds a sign-in through the identity provider while the
// browser is away: the state and nonce that tie the answer to it.
const oidcCookie = "dvmm_oidc"

func (s *Server) oidcRedirect(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/signin/oidc/callback"
}

// oidcStart sends the browser to the identity provider.
func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request) {
	state, nonce := app.NewID(), app.NewID()
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: state + "." + nonce, Path: "/signin/oidc", MaxAge: 600,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, s.OIDC.AuthURL(s.oidcRedirect(r), state, nonce), http.StatusFound)
}

// oidcCallback takes the provider's answer: the code is traded for an ID
// token, the groups' roles are recorded, and a session starts as for a
// password sign-in.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	fail := func() {
		v := s.view(nil, "Sign in", "", signinData{OIDC: true})
		v.Error = "The identity provider did not sign you in. Try again."
		s.render(w, r, http.StatusUnauthorized, "signin", v)
	}
	c, err := r.Cookie(oidcCookie)
	state, nonce, _ := strings.Cut(func() string {
		if err != nil {
			return ""
		}
		return c.Value
	}(), ".")
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/signin/oidc", MaxAge: -1, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	if state == "" || r.URL.Query().Get("state") != state {
		fail()
		return
	}
	oid, err := s.OIDC.Exchange(r.Context(), s.oidcRedirect(r), r.URL.Query().Get("code"), nonce)
	if err != nil {
		fail()
		return
	}
	addr := clientAddr(r)
	id, err := s.App.EnsureProviderUser(r.Context(), oid.User, oid.PlatformAdmin, addr)
	if err == nil {
		err = s.App.ApplyProviderMemberships(r.Context(), oid.User, oid.Memberships, addr)
	}
	if err != nil {
		if app.ErrorKind(err) == app.KindUnauthenticated {
			fail()
			return
		}
		s.errorPage(w, r, nil, err)
		return
	}
	s.endOldSession(r)
	actor := app.Actor{User: id.User, Remote: true, PlatformAdmin: id.PlatformAdmin, Source: addr}
	tok, err := s.App.CreateToken(r.Context(), actor, id.User, "web sign-in", s.SessionTTL)
	if err != nil {
		s.errorPage(w, r, nil, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok.Token, Path: "/", MaxAge: int(s.SessionTTL / time.Second),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	redirect(w, r, "/requests")
}

// endOldSession revokes the token of the cookie the browser sent, if it
// still works.
func (s *Server) endOldSession(r *http.Request) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return
	}
	id, err := s.App.AuthenticateToken(r.Context(), c.Value)
	if err != nil {
		return
	}
	actor := app.Actor{User: id.User, Remote: true, PlatformAdmin: id.PlatformAdmin, Source: clientAddr(r)}
	if err := s.App.RevokeToken(r.Context(), actor, id.User, id.TokenID); err != nil {
		s.Log.Warn("web: cannot revoke the previous session", "user", id.User, "error", err.Error())
	}
}

// signout revokes the session's token and clears the cookie: the token
// stops working at once, wherever a copy of it is.
func (s *Server) signout(w http.ResponseWriter, r *http.Request) {
	s.endOldSession(r)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	redirect(w, r, "/signin?done=signedout")
}

func (s *Server) switchTenant(w http.ResponseWriter, r *http.Request, sess *session) {
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, sess, app.Errorf(app.KindInvalid, "The form could not be read."))
		return
	}
	t := r.PostForm.Get("tenant")
	for _, m := range sess.tenants {
		if m.Tenant == t {
			http.SetCookie(w, &http.Cookie{Name: tenantCookie, Value: t, Path: "/", HttpOnly: true,
				Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
			redirect(w, r, "/requests?done=tenant")
			return
		}
	}
	s.errorPage(w, r, sess, app.Errorf(app.KindNotFound, "You are not a member of that tenant."))
}

// listData is the "My requests" page.
type listData struct {
	Status, Project string
	Requests        []app.RequestView
	LiveURL         string
}

func (s *Server) myRequests(w http.ResponseWriter, r *http.Request, sess *session) {
	d, err := s.listMine(r, sess)
	if err != nil {
		s.errorPage(w, r, sess, err)
		return
	}
	s.render(w, r, http.StatusOK, "requests", s.view(sess, "My requests", "requests", d))
}

func (s *Server) listMine(r *http.Request, sess *session) (listData, error) {
	q := r.URL.Query()
	d := listData{Status: q.Get("status"), Project: strings.TrimSpace(q.Get("project"))}
	f := app.RequestFilter{Requester: sess.actor.User, Project: d.Project, Limit: 200}
	if d.Status != "" {
		st, err := app.ParseStatus(d.Status)
		if err != nil {
			return d, err
		}
		f.Status = st
	}
	vs, err := s.App.ListRequests(r.Context(), sess.actor, f)
	if err != nil {
		return d, err
	}
	d.Requests = vs
	lq := url.Values{}
	if d.Status != "" {
		lq.Set("status", d.Status)
	}
	if d.Project != "" {
		lq.Set("project", d.Project)
	}
	d.LiveURL = "/live/requests"
	if len(lq) > 0 {
		d.LiveURL += "?" + lq.Encode()
	}
	return d, nil
}

// formData is the new request form: what was typed and, per field, why
// the use case refused it.
type formData struct {
	Name, Size, Project, Network, Justification string
	Errors                                      map[string]string
	Projects                                    []string
}

func (s *Server) newRequestPage(w http.ResponseWriter, r *http.Request, sess *session) {
	d := formData{Size: app.DefaultSize, Project: r.URL.Query().Get("project"), Projects: s.projects(r, sess)}
	s.render(w, r, http.StatusOK, "new", s.view(sess, "New request", "new", d))
}

// projects are the active projects of the user's tenant, offered as
// suggestions; a request in any other is refused by the core.
func (s *Server) projects(r *http.Request, sess *session) []string {
	ps, _, err := s.App.ListProjects(r.Context(), sess.actor)
	if err != nil {
		return nil
	}
	var out []string
	for _, p := range ps {
		if !p.Archived {
			out = append(out, p.Name)
		}
	}
	return out
}

func (s *Server) createRequest(w http.ResponseWriter, r *http.Request, sess *session) {
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, sess, err)
		return
	}
	f := r.PostForm
	d := formData{Name: strings.TrimSpace(f.Get("name")), Size: f.Get("size"), Project: strings.TrimSpace(f.Get("project")),
		Network: strings.TrimSpace(f.Get("network")), Justification: f.Get("justification"), Errors: map[string]string{}}
	in := app.NewRequestInput{Name: d.Name, Size: d.Size, Project: d.Project, Network: d.Network, Justification: d.Justification}
	// The use case stops at the first invalid field. The checks it uses
	// for name, size and project are exported, so the page runs them
	// first to show every such error at once; the rest come from the use
	// case itself. No check is written here.
	if err := app.ValidateName(d.Name); err != nil {
		d.Errors["name"] = messageOf(err)
	}
	if _, err := app.LookupSize(d.Size); err != nil {
		d.Errors["size"] = messageOf(err)
	}
	if err := app.ValidateSlug("project", d.Project); err != nil {
		d.Errors["project"] = messageOf(err)
	}
	if len(d.Errors) == 0 {
		v, err := s.App.CreateRequest(r.Context(), sess.actor, in)
		if err == nil {
			redirect(w, r, "/requests/"+v.ID+"?done=created")
			return
		}
		kind := app.ErrorKind(err)
		if kind != app.KindInvalid && kind != app.KindConflict {
			s.errorPage(w, r, sess, err)
			return
		}
		d.Errors[fieldOf(messageOf(err))] = messageOf(err)
	}
	d.Projects = s.projects(r, sess)
	v := s.view(sess, "New request", "new", d)
	v.Error = "The request was not sent: correct the fields marked below."
	s.render(w, r, http.StatusUnprocessableEntity, "new", v)
}

// fieldOf tells which field of the new request form a use case's message
// is about, so the page can show it next to that field; a message about
// none goes to the top of the form.
func fieldOf(msg string) string {
	m := strings.ToLower(msg)
	fields := []string{"justification", "network", "project", "size", "name"}
	// A message names its field first ("name is required", "invalid
	// project ..."); one that names a field only later is about it too.
	for _, f := range fields {
		if strings.HasPrefix(m, f+" ") || strings.HasPrefix(m, "invalid "+f) || strings.HasPrefix(m, "unknown "+f) {
			return f
		}
	}
	for _, f := range fields {
		if strings.Contains(m, " "+f+" ") {
			return f
		}
	}
	return "form"
}

// requestData is the request detail page.
type requestData struct {
	R        app.RequestView
	Timeline []app.TimelineEntry
	// What the page offers. These only hide buttons the use case would
	// refuse anyway; the use case decides.
	CanApprove, CanCancel, CanRetry bool
	Own                             bool
	LiveURL                         string
	Errors                          map[string]string
	Reason                          string
}

func (s *Server) loadRequest(r *http.Request, sess *session, id string) (requestData, error) {
	v, tl, err := s.App.ShowRequest(r.Context(), sess.actor, id)
	if err != nil {
		return requestData{}, err
	}
	admin := sess.role == app.RoleAdmin
	own := v.Requester == sess.actor.User
	d := requestData{R: v, Timeline: tl, Own: own,
		CanApprove: admin && !own && v.Status == app.StatusPending,
		CanCancel:  (own || admin) && (v.Status == app.StatusPending || v.Status == app.StatusFailed),
		CanRetry:   admin && v.Status == app.StatusFailed,
		Errors:     map[string]string{}}
	if !v.Status.Terminal() {
		d.LiveURL = "/live/requests/" + v.ID
	}
	return d, nil
}

func (s *Server) requestPage(w http.ResponseWriter, r *http.Request, sess *session) {
	d, err := s.loadRequest(r, sess, r.PathValue("id"))
	if err != nil {
		s.errorPage(w, r, sess, err)
		return
	}
	s.render(w, r, http.StatusOK, "request", s.view(sess, "Request "+d.R.Name, "", d))
}

// decisionForm reads the version the approver saw, and the reason.
func decisionForm(r *http.Request) (version int, reason, back string, err error) {
	if err := r.ParseForm(); err != nil {
		return 0, "", "", app.Errorf(app.KindInvalid, "The form could not be read.")
	}
	back = "/approvals"
	if r.PostForm.Get("from") == "request" {
		back = "/requests/" + r.PathValue("id")
	}
	version, err = strconv.Atoi(r.PostForm.Get("version"))
	if err != nil || version < 1 {
		return 0, "", back, app.Errorf(app.KindInvalid, "The form did not say which version of the request you looked at: reload the page.")
	}
	return version, r.PostForm.Get("reason"), back, nil
}

func (s *Server) approve(w http.ResponseWriter, r *http.Request, sess *session) {
	version, _, back, err := decisionForm(r)
	if err == nil {
		_, err = s.App.Approve(r.Context(), sess.actor, r.PathValue("id"), version)
	}
	s.decided(w, r, sess, back, "approved", err, "")
}

func (s *Server) reject(w http.ResponseWriter, r *http.Request, sess *session) {
	version, reason, back, err := decisionForm(r)
	if err == nil {
		_, err = s.App.Reject(r.Context(), sess.actor, r.PathValue("id"), reason, version)
	}
	s.decided(w, r, sess, back, "rejected", err, reason)
}

// decided answers an approve or reject form: back to the page it came
// from, with a note, or the same page again with the refusal. A request
// that changed since the page showed it gets the "changed since you
// looked" answer and its current state, never a decision.
func (s *Server) decided(w http.ResponseWriter, r *http.Request, sess *session, back, done string, err error, reason string) {
	if err == nil {
		redirect(w, r, back+"?done="+done)
		return
	}
	kind := app.ErrorKind(err)
	if kind != app.KindConflict && kind != app.KindInvalid {
		s.errorPage(w, r, sess, err)
		return
	}
	id := r.PathValue("id")
	msg := messageOf(err)
	if kind == app.KindConflict {
		msg = s.changedMessage(r, sess, id, msg)
	}
	if strings.HasPrefix(back, "/requests/") {
		d, lerr := s.loadRequest(r, sess, id)
		if lerr != nil {
			s.errorPage(w, r, sess, lerr)
			return
		}
		v := s.view(sess, "Request "+d.R.Name, "", d)
		if kind == app.KindInvalid {
			d.Errors["reason"], d.Reason = msg, reason
			v.Data = d
		} else {
			v.Error = msg
		}
		s.render(w, r, statusOf(err), "request", v)
		return
	}
	d, lerr := s.pending(r, sess)
	if lerr != nil {
		s.errorPage(w, r, sess, lerr)
		return
	}
	v := s.view(sess, "Approvals", "approvals", d)
	if kind == app.KindInvalid {
		d.Errors[id], d.Reasons[id] = msg, reason
	} else {
		v.Error = msg
	}
	s.render(w, r, statusOf(err), "approvals", v)
}

// changedMessage says what changed about a request since the approver's
// page showed it; the use case's own message when it cannot be read.
func (s *Server) changedMessage(r *http.Request, sess *session, id, fallback string) string {
	v, _, err := s.App.ShowRequest(r.Context(), sess.actor, id)
	if err != nil {
		return "This request changed since you looked at it, so nothing was decided: " + fallback
	}
	if v.Status != app.StatusPending {
		return fmt.Sprintf("%s changed since you looked at it: it is now %s, so nothing was decided. Here it is as it is now.",
			v.Name, strings.ToUpper(string(v.Status)))
	}
	return fmt.Sprintf("%s changed since you looked at it (you saw version %s, it is now at version %d), so nothing was decided. Look at it again before you decide.",
		v.Name, r.PostForm.Get("version"), v.Version)
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request, sess *session) {
	if _, err := s.App.Cancel(r.Context(), sess.actor, r.PathValue("id")); err != nil {
		s.errorPage(w, r, sess, err)
		return
	}
	redirect(w, r, "/requests/"+r.PathValue("id")+"?done=cancelled")
}

func (s *Server) retry(w http.ResponseWriter, r *http.Request, sess *session) {
	if _, err := s.App.Retry(r.Context(), sess.actor, r.PathValue("id")); err != nil {
		s.errorPage(w, r, sess, err)
		return
	}
	redirect(w, r, "/requests/"+r.PathValue("id")+"?done=retried")
}

// approvalsData is the approvals page: the tenant's pending requests,
// oldest first, and per request what the last form left.
type approvalsData struct {
	Requests []app.RequestView
	Me       string
	Errors   map[string]string
	Reasons  map[string]string
}

func (s *Server) pending(r *http.Request, sess *session) (approvalsData, error) {
	vs, err := s.App.ListRequests(r.Context(), sess.actor, app.RequestFilter{Status: app.StatusPending})
	if err != nil {
		return approvalsData{}, err
	}
	// The list comes newest first; an approver works through the oldest first.
	for i, j := 0, len(vs)-1; i < j; i, j = i+1, j-1 {
		vs[i], vs[j] = vs[j], vs[i]
	}
	return approvalsData{Requests: vs, Me: sess.actor.User, Errors: map[string]string{}, Reasons: map[string]string{}}, nil
}

func (s *Server) approvals(w http.ResponseWriter, r *http.Request, sess *session) {
	if sess.role != app.RoleAdmin {
		s.errorPage(w, r, sess, app.Errorf(app.KindForbidden, "Only an admin of %s can approve requests.", sess.actor.Tenant))
		return
	}
	d, err := s.pending(r, sess)
	if err != nil {
		s.errorPage(w, r, sess, err)
		return
	}
	s.render(w, r, http.StatusOK, "approvals", s.view(sess, "Approvals", "approvals", d))
}

func (s *Server) vms(w http.ResponseWriter, r *http.Request, sess *session) {
	vs, err := s.App.ListVMs(r.Context(), sess.actor)
	if err != nil {
		s.errorPage(w, r, sess, err)
		return
	}
	s.render(w, r, http.StatusOK, "vms", s.view(sess, "VMs", "vms", vs))
}

// vmData is a VM as recorded and, when vCenter answered, as it is now.
type vmData struct {
	R    app.RequestView
	Live app.LiveVM
	At   time.Time
}

func (s *Server) vmPage(w http.ResponseWriter, r *http.Request, sess *session) {
	v, live, err := s.App.VMStatus(r.Context(), sess.actor, r.PathValue("ref"), 5*time.Second)
	if err != nil {
		s.errorPage(w, r, sess, err)
		return
	}
	s.render(w, r, http.StatusOK, "vm", s.view(sess, "VM "+v.Name, "vms", vmData{R: v, Live: live, At: s.App.Now()}))
}

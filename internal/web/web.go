// Package web is dvmm's web page for requesters and approvers: server-
// rendered HTML (html/template) with a little htmx, served by 'dvmm serve
// --listen' beside the JSON API. It holds no rule of its own: every form
// calls the same use case as the CLI and the API, and a refusal is shown
// with the use case's own message. Identities are the API's: signing in
// makes a short-lived token kept in a cookie, and signing out revokes it.
package web

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/auth"
	"github.com/dvmm/dvmm/internal/errmap"
	"github.com/dvmm/dvmm/internal/httplog"
	"github.com/dvmm/dvmm/internal/oidcauth"
)

// Server serves the web page. Handler builds its http.Handler.
type Server struct {
	App *app.App
	Log *slog.Logger
	// Accounts and Addresses slow down password guessing; give the API's,
	// so that guesses through the page and the API count together.
	Accounts, Addresses *auth.Throttle
	// SessionTTL is how long a sign-in lasts: the lifetime of its token
	// and of the cookie that holds it.
	SessionTTL time.Duration
	// Poll is how often a live page looks for a change of what it shows.
	Poll time.Duration
	// MaxBody caps a form.
	MaxBody int64
	// OIDC, when it can sign people in, adds "Sign in with your identity
	// provider" to the sign-in page.
	OIDC *oidcauth.Verifier

	pages  map[string]*pageTemplate
	assets *assetSet
}

// Cookie names. The session cookie holds a token; the tenant cookie only
// remembers which of the user's tenants the pages show.
const (
	sessionCookie = "dvmm_session"
	tenantCookie  = "dvmm_tenant"
)

// contentSecurityPolicy allows nothing but this server's own scripts,
// styles and connections: no inline script or style, no frames, and forms
// post only here. A script that a user managed to put in a page would not
// run even if escaping failed.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// Handler returns the pages with their middleware: access log, security
// headers, cross-origin refusal and body cap.
func (s *Server) Handler() http.Handler {
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	now := func() time.Time { return s.App.Now() }
	if s.Accounts == nil {
		s.Accounts = auth.NewThrottle(now)
	}
	if s.Addresses == nil {
		s.Addresses = auth.NewThrottle(now)
		s.Addresses.Free = 10
	}
	if s.SessionTTL == 0 {
		s.SessionTTL = 8 * time.Hour
	}
	if s.Poll == 0 {
		s.Poll = 500 * time.Millisecond
	}
	if s.MaxBody == 0 {
		s.MaxBody = 64 << 10
	}
	s.assets = loadAssets()
	s.pages = loadPages(s.assets)

	mux := http.NewServeMux()
	mux.Handle("GET /static/", s.assets)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { redirect(w, r, "/requests") })
	mux.HandleFunc("GET /signin", s.signinPage)
	mux.HandleFunc("POST /signin", s.signin)
	mux.HandleFunc("POST /signout", s.signout)
	if s.OIDC != nil && s.OIDC.CanSignIn() {
		mux.HandleFunc("GET /signin/oidc", s.oidcStart)
		mux.HandleFunc("GET /signin/oidc/callback", s.oidcCallback)
	}

	page := func(pattern string, h pageHandler) { mux.Handle(pattern, s.signedIn(h)) }
	page("POST /tenant", s.switchTenant)
	page("GET /requests", s.myRequests)
	page("GET /requests/new", s.newRequestPage)
	page("POST /requests/new", s.createRequest)
	page("GET /requests/{id}", s.requestPage)
	page("POST /requests/{id}/approve", s.approve)
	page("POST /requests/{id}/reject", s.reject)
	page("POST /requests/{id}/cancel", s.cancel)
	page("POST /requests/{id}/retry", s.retry)
	page("GET /approvals", s.approvals)
	page("GET /vms", s.vms)
	page("GET /vms/{ref}", s.vmPage)
	page("GET /settings", s.settings)
	page("POST /settings/members", s.addMember)
	page("POST /settings/vmware", s.setVmware)
	page("POST /settings/vmware/test", s.testVmware)
	page("GET /live/requests", s.liveList)
	page("GET /live/requests/{id}", s.liveRequest)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, r, nil, app.Errorf(app.KindNotFound, "There is no page at this address."))
	})

	var h http.Handler = mux
	h = s.limitBody(h)
	h = s.refuseCrossOrigin(h)
	h = securityHeaders(h)
	return s.accessLog(h)
}

// session is who is signed in, in which tenant, as a page shows it.
type session struct {
	actor   app.Actor
	tenants []app.Membership
	role    app.Role // in actor.Tenant
}

type pageHandler func(w http.ResponseWriter, r *http.Request, s *session)

// signedIn runs h for the identity the session cookie's token proves; a
// missing or ended session goes to the sign-in page and back.
func (s *Server) signedIn(h pageHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		if err != nil || c.Value == "" {
			s.toSignin(w, r)
			return
		}
		id, err := s.App.AuthenticateToken(r.Context(), c.Value)
		if err != nil {
			if app.ErrorKind(err) == app.KindUnauthenticated {
				s.toSignin(w, r)
				return
			}
			s.errorPage(w, r, nil, err)
			return
		}
		httplog.SetActor(r, id.User)
		ms, err := s.App.TenantsOf(r.Context(), id.User)
		if err != nil {
			s.errorPage(w, r, nil, err)
			return
		}
		sess := &session{actor: app.Actor{User: id.User, Remote: true, PlatformAdmin: id.PlatformAdmin,
			Source: clientAddr(r), CorrelationID: app.NewID()}, tenants: ms}
		// The tenant cookie only chooses among the user's own tenants; an
		// unknown value falls back to the first, and the use cases check
		// membership again anyway.
		want := ""
		if tc, err := r.Cookie(tenantCookie); err == nil {
			want = tc.Value
		}
		for _, m := range ms {
			if m.Tenant == want {
				sess.actor.Tenant, sess.role = m.Tenant, m.Role
				break
			}
		}
		if sess.actor.Tenant == "" && len(ms) > 0 {
			sess.actor.Tenant, sess.role = ms[0].Tenant, ms[0].Role
		}
		if sess.actor.Tenant == "" {
			// Every page but signing out works in a tenant.
			s.errorPage(w, r, sess, app.Errorf(app.KindForbidden, "You are not a member of any tenant yet: ask a tenant admin to add you."))
			return
		}
		h(w, r, sess)
	})
}

func (s *Server) toSignin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || strings.HasPrefix(r.URL.Path, "/live/") {
		s.errorPage(w, r, nil, app.Errorf(app.KindUnauthenticated, "You are signed out: sign in again."))
		return
	}
	redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()))
}

// redirect sends the browser to a page of this server after a form. A
// boosted (htmx) request gets HX-Location, so htmx loads the page and puts
// its address in the history; any other gets 303 See Other.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	if r.Header.Get("HX-Request") == "true" && r.Method == http.MethodPost {
		w.Header().Set("HX-Location", to)
		w.WriteHeader(http.StatusOK)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// localPath keeps a "next" address to this server's own pages, so the
// sign-in form cannot send anyone elsewhere.
func localPath(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(next, "/") ||
		strings.HasPrefix(next, "//") || strings.Contains(next, `\`) || strings.HasPrefix(next, "/live/") {
		return "/requests"
	}
	return next
}

// refuseCrossOrigin refuses any form a browser posts from another origin
// (net/http's CrossOriginProtection, by Sec-Fetch-Site and Origin). The
// SameSite=Lax cookie alone would not: another port of the same host is
// the same site.
func (s *Server) refuseCrossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, r, nil, app.Errorf(app.KindForbidden, "This form was sent from another site, so it was refused. Open the page here and send it again."))
	}))
	return cop.Handler(next)
}

func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.MaxBody)
		next.ServeHTTP(w, r)
	})
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// accessLog logs each page with its actor, route, status and duration;
// never a header or a cookie, so a session cannot reach the log. Assets
// are cached by the browser; logging each adds noise only.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return httplog.AccessLog(s.Log, "web", func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/static/") }, next)
}

func clientAddr(r *http.Request) string { return httplog.ClientAddr(r) }

// statusOf is the HTTP status of an error, from the table the API and the
// CLI's exit codes use.
func statusOf(err error) int {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return http.StatusRequestEntityTooLarge
	}
	return errmap.Status(app.ErrorKind(err))
}

// messageOf is what a person reads about an error: the use case's message,
// never the details of an internal one.
func messageOf(err error) string {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return "The form is too large."
	}
	if app.ErrorKind(err) == app.KindInternal {
		return "Something went wrong on the server. Try again; if it goes on, tell your dvmm operator."
	}
	return cliHint.ReplaceAllString(app.ErrorMessage(err), ".")
}

// cliHint is the end of a use case's message that tells a CLI user which
// command to run next (": list them with 'dvmm request list'"); on a page
// the links say it.
var cliHint = regexp.MustCompile(`[:;,]? [^:;,]*'dvmm [^']*'[^:;]*$`)

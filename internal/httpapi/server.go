// Package httpapi is dvmm's HTTP edge: a JSON API under /api/v1 over the
// same use cases as the CLI, with identities proven by personal API
// tokens (Authorization: Bearer). It holds no rule of its own: it parses,
// authenticates, calls the application and maps errors to statuses
// through errmap, the table the CLI's exit codes come from.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/auth"
	"github.com/dvmm/dvmm/internal/errmap"
	"github.com/dvmm/dvmm/internal/httplog"
	"github.com/dvmm/dvmm/internal/oidcauth"
)

// Server serves the API. Handler builds its http.Handler.
type Server struct {
	App *app.App
	Log *slog.Logger
	// Ready reports whether the server can do its work (database reachable,
	// workers running); /readyz answers 503 with its error otherwise.
	Ready func(context.Context) error
	// Accounts and Addresses slow down password guessing: per account from
	// the first failure, per client address after a few (several people
	// may share one address).
	Accounts, Addresses *auth.Throttle
	// LoginTTL is how long a token made by POST /api/v1/login lasts.
	LoginTTL time.Duration
	// MaxBody caps a request body.
	MaxBody int64
	// Work is the context vSphere work started by the API runs in (POST
	// .../drive); it ends when the server stops. Nil: no such work here.
	Work context.Context
	// PollEvery is how often a long poll looks for a change (default 200ms).
	PollEvery time.Duration
	// OIDC, when set, also accepts ID tokens of the team's identity
	// provider as bearer tokens.
	OIDC *oidcauth.Verifier
}

// identify proves who a bearer token belongs to: a dvmm token, or an ID
// token of the identity provider, whose groups' tenant roles are recorded
// before the call runs.
func (s *Server) identify(r *http.Request, token string) (app.Identity, error) {
	if s.OIDC == nil || !oidcauth.LooksLikeJWT(token) {
		return s.App.AuthenticateToken(r.Context(), token)
	}
	oid, err := s.OIDC.Verify(r.Context(), token)
	if err != nil {
		return app.Identity{}, err
	}
	if err := s.App.ApplyProviderMemberships(r.Context(), oid.User, oid.Memberships, clientAddr(r)); err != nil {
		return app.Identity{}, err
	}
	return app.Identity{User: oid.User, PlatformAdmin: oid.PlatformAdmin}, nil
}

func (s *Server) pollEvery() time.Duration {
	if s.PollEvery > 0 {
		return s.PollEvery
	}
	return 200 * time.Millisecond
}

// DefaultMaxBody caps request bodies: the largest is a request's
// justification (2,000 characters) or a VMware settings body.
const DefaultMaxBody = 64 << 10

// handler is one API route: it gets the authenticated actor and returns
// what to send (JSON) with a status, or an error.
type handler func(w http.ResponseWriter, r *http.Request, actor app.Actor) (any, int, error)

// Handler returns the API with its middleware: access log, cross-origin
// write refusal, body cap and Content-Type check.
func (s *Server) Handler() http.Handler {
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	now := func() time.Time { return s.App.Now() } // the App's clock, as it is at each call
	if s.Accounts == nil {
		s.Accounts = auth.NewThrottle(now)
	}
	if s.Addresses == nil {
		s.Addresses = auth.NewThrottle(now)
		s.Addresses.Free = 10
	}
	if s.LoginTTL == 0 {
		s.LoginTTL = 12 * time.Hour
	}
	if s.MaxBody == 0 {
		s.MaxBody = DefaultMaxBody
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("POST /api/v1/login", s.login)

	route := func(pattern string, h handler) { mux.Handle(pattern, s.authenticated(h)) }
	route("GET /api/v1/whoami", s.whoami)
	route("GET /api/v1/tokens", s.listTokens)
	route("POST /api/v1/tokens", s.createToken)
	route("DELETE /api/v1/tokens/{id}", s.revokeToken)

	route("POST /api/v1/requests", s.createRequest)
	route("POST /api/v1/requests/preview", s.previewRequest)
	route("GET /api/v1/requests", s.listRequests)
	route("GET /api/v1/requests/{id}", s.showRequest)
	route("POST /api/v1/requests/{id}/approve", s.approve)
	route("POST /api/v1/requests/{id}/reject", s.reject)
	route("POST /api/v1/requests/{id}/cancel", s.cancel)
	route("POST /api/v1/requests/{id}/give-up", s.giveUp)
	route("POST /api/v1/requests/{id}/retry", s.retry)
	route("POST /api/v1/requests/{id}/drive", s.drive)

	route("GET /api/v1/vms", s.listVMs)
	route("GET /api/v1/vms/{ref}", s.vmStatus)
	route("POST /api/v1/vms/reconcile", s.reconcile)
	route("POST /api/v1/vms/{ref}/power", s.powerVM)
	route("POST /api/v1/vms/{ref}/resize", s.askResize)
	route("POST /api/v1/vms/{ref}/resize/approve", s.approveResize)
	route("POST /api/v1/vms/{ref}/decommission", s.requestDecommission)
	route("POST /api/v1/vms/{ref}/decommission/approve", s.approveDecommission)
	route("POST /api/v1/vms/{ref}/extend", s.extendLease)
	route("POST /api/v1/vms/{ref}/extend/approve", s.approveLeaseExtension)
	route("POST /api/v1/vms/{ref}/extend/reject", s.rejectLeaseExtension)

	route("GET /api/v1/tenants", s.listTenants)
	route("POST /api/v1/tenants", s.createTenant)
	route("GET /api/v1/tenants/{tenant}", s.showTenant)
	route("POST /api/v1/tenants/{tenant}/members", s.addMember)
	route("PUT /api/v1/tenants/{tenant}/members/{user}", s.setRole)
	route("DELETE /api/v1/tenants/{tenant}/members/{user}", s.removeMember)

	route("GET /api/v1/vmware", s.showVmware)
	route("PUT /api/v1/vmware", s.setVmware)
	route("POST /api/v1/vmware/test", s.testVmware)
	route("GET /api/v1/vmware/ip-pools", s.listIPPools)
	route("POST /api/v1/vmware/ip-pools", s.addIPPool)
	route("DELETE /api/v1/vmware/ip-pools/{network}", s.removeIPPool)
	route("GET /api/v1/notify/channels", s.listNotifyChannels)
	route("POST /api/v1/notify/channels", s.addNotifyChannel)
	route("DELETE /api/v1/notify/channels/{id}", s.removeNotifyChannel)
	route("POST /api/v1/notify/channels/{id}/test", s.testNotifyChannel)

	route("GET /api/v1/quota", s.showQuota)
	route("PUT /api/v1/quota", s.setQuota)
	route("GET /api/v1/lease-policy", s.showLeasePolicy)
	route("PUT /api/v1/lease-policy", s.setLeasePolicy)

	route("GET /api/v1/projects", s.listProjects)
	route("POST /api/v1/projects", s.createProject)
	route("GET /api/v1/projects/{name}", s.showProject)
	route("POST /api/v1/projects/{name}/archive", s.archiveProject)
	route("POST /api/v1/projects/{name}/restore", s.restoreProject)
	route("POST /api/v1/projects/{name}/members", s.addProjectMember)
	route("DELETE /api/v1/projects/{name}/members/{user}", s.removeProjectMember)
	route("PUT /api/v1/project-access", s.setProjectAccess)

	route("GET /api/v1/queue", s.listQueue)
	route("POST /api/v1/queue/{id}/retry", s.retryCommand)
	route("POST /api/v1/queue/{id}/release", s.releaseCommand)

	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, app.Errorf(app.KindNotFound, "no such API route: %s %s", r.Method, clip(r.URL.Path, 80)))
	})

	var h http.Handler = mux
	h = s.checkBody(h)
	h = refuseCrossOrigin(h)
	return s.accessLog(h)
}

// refuseCrossOrigin refuses writes that a browser sends from another
// origin (net/http's CrossOriginProtection, by Sec-Fetch-Site and Origin).
// API clients that are not browsers send neither header and pass.
func refuseCrossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, app.Errorf(app.KindForbidden, "cross-origin request refused"))
	}))
	return cop.Handler(next)
}

// checkBody caps request bodies and makes every write say it sends JSON:
// a form or text/plain body (what a cross-site form can send without a
// preflight) is refused before anything reads it.
func (s *Server) checkBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.MaxBody)
		switch r.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
			if r.ContentLength != 0 || r.Header.Get("Content-Type") != "" {
				mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
				if err != nil || mt != "application/json" {
					writeErrorStatus(w, http.StatusUnsupportedMediaType, "invalid", "a request body must be JSON (Content-Type: application/json)")
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// accessLog logs each call with its actor, route, status and duration.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return httplog.AccessLog(s.Log, "api", nil, next)
}

// authenticated runs h for the identity a bearer token proves, in the
// tenant the call names (?tenant= or X-Dvmm-Tenant), or the caller's only
// tenant.
func (s *Server) authenticated(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		text, ok := bearer(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="dvmm"`)
			writeError(w, app.Errorf(app.KindUnauthenticated, "no token: send Authorization: Bearer <token>"))
			return
		}
		id, err := s.identify(r, text)
		if err != nil {
			if app.ErrorKind(err) == app.KindUnauthenticated {
				w.Header().Set("WWW-Authenticate", `Bearer realm="dvmm", error="invalid_token"`)
			}
			writeError(w, err)
			return
		}
		httplog.SetActor(r, id.User)
		actor := app.Actor{User: id.User, Remote: true, PlatformAdmin: id.PlatformAdmin, Source: clientAddr(r),
			CorrelationID: correlationID()}
		tenant := r.URL.Query().Get("tenant")
		if tenant == "" {
			tenant = r.Header.Get("X-Dvmm-Tenant")
		}
		// ?tenant_default=none asks for no default: the CLI does, so that a
		// command without --tenant fails as it does on the database file.
		if tenant == "" && r.URL.Query().Get("tenant_default") != "none" {
			ms, err := s.App.TenantsOf(r.Context(), id.User)
			if err != nil {
				writeError(w, err)
				return
			}
			if len(ms) == 1 {
				tenant = ms[0].Tenant
			}
		}
		actor.Tenant = tenant
		v, status, err := h(w, r, actor)
		if err != nil {
			writeError(w, err)
			return
		}
		if v == nil && status == 0 {
			return // the handler wrote the answer itself
		}
		if v == nil {
			w.WriteHeader(status)
			return
		}
		writeJSON(w, status, v)
	})
}

// correlationID ties together the log lines and events of one call: 16
// hex digits, like the CLI's.
func correlationID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

func clientAddr(r *http.Request) string { return httplog.ClientAddr(r) }

// errorBody is the shape of every error answer.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError answers err: the status its kind maps to, its stable code
// (which a client keys advice on) and its neutral message.
func writeError(w http.ResponseWriter, err error) {
	kind := app.ErrorKind(err)
	msg, code := app.ErrorMessage(err), app.ErrorCode(err)
	if kind == app.KindInternal {
		msg, code = "internal error", string(app.KindInternal)
	}
	writeErrorStatus(w, errmap.Status(kind), code, msg)
}

func writeErrorStatus(w http.ResponseWriter, status int, code, msg string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, msg
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// decode reads a JSON body into v; unknown fields and trailing data are
// refused, so a typo in a field name is an error, not a silent default.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return app.Errorf(app.KindInvalid, "the request body is larger than %d bytes", tooBig.Limit)
		}
		return app.Errorf(app.KindInvalid, "the request body is not the JSON this route takes: %s", clip(err.Error(), 120))
	}
	if dec.More() {
		return app.Errorf(app.KindInvalid, "the request body holds more than one JSON value")
	}
	return nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func queryInt(r *http.Request, name string) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, app.Errorf(app.KindInvalid, "%s must be a whole number, not %q", name, clip(v, 20))
	}
	return n, nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := s.Ready(ctx); err != nil {
			writeErrorStatus(w, http.StatusServiceUnavailable, string(app.KindUnavailable), app.ErrorMessage(err))
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

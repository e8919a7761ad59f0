package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/app/apptest"
	"github.com/dvmm/dvmm/internal/auth"
	"github.com/dvmm/dvmm/internal/contract"
	"github.com/dvmm/dvmm/internal/httpapi"
	"github.com/dvmm/dvmm/internal/oidcauth"
	"github.com/dvmm/dvmm/internal/oidcauth/oidctest"
	"github.com/dvmm/dvmm/internal/secret"
	"github.com/dvmm/dvmm/internal/store"
	"github.com/dvmm/dvmm/internal/vsphere"
	"github.com/dvmm/dvmm/internal/vsphere/simproc"
)

func TestMain(m *testing.M) {
	code := m.Run()
	simproc.Cleanup()
	os.Exit(code)
}

var cheap = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// env is an API server on a real SQLite file, with an operator's App
// (local, as the CLI on the database file) to set things up.
type env struct {
	t      testing.TB
	ctx    context.Context
	db     *store.DB
	app    *app.App
	srv    *httptest.Server
	logs   *bytes.Buffer
	tokens map[string]string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "dvmm.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	box, err := secret.LoadOrCreate(filepath.Join(dir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	hv := vsphere.New(vsphere.Options{})
	t.Cleanup(func() { hv.Close() })
	a := app.New(db, hv, box)
	// Cheap hashes keep the tests fast; the format and checks are the same.
	a.PasswordParams = cheap
	logs := &bytes.Buffer{}
	s := &httpapi.Server{App: a, Log: slogTo(logs)}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	e := &env{t: t, ctx: ctx, db: db, app: a, srv: srv, logs: logs, tokens: map[string]string{}}
	op := app.Actor{User: "root"}
	for _, u := range []string{"alice", "bob", "carol", "gina"} {
		if _, err := a.CreateUser(ctx, op, u, "password-of-"+u, false); err != nil {
			t.Fatal(err)
		}
		tok, err := a.CreateToken(ctx, op, u, "test", 0)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[u] = tok.Token
	}
	must(t)(a.CreateTenant(ctx, op, "acme", "alice"))
	must(t)(a.AddMember(ctx, app.Actor{User: "alice"}, "acme", "bob", app.RoleUser))
	must(t)(a.CreateTenant(ctx, op, "globex", "gina"))
	must(t)(a.AddMember(ctx, app.Actor{User: "gina"}, "globex", "carol", app.RoleUser))
	must(t)(a.CreateProject(ctx, app.Actor{User: "alice", Tenant: "acme"}, "shop"))
	must(t)(a.CreateProject(ctx, app.Actor{User: "gina", Tenant: "globex"}, "shop"))
	return e
}

// must fails the test on an error: must(t)(call()).
func must(t testing.TB) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// reply is an API answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("answer %d %s: %v", r.status, r.body, err)
	}
}

// errorCode is the code of an error answer.
func (r reply) errorCode(t testing.TB) string {
	t.Helper()
	var b struct {
		Error struct{ Code, Message string }
	}
	r.decode(t, &b)
	if b.Error.Message == "" || strings.Contains(b.Error.Message, "\n") {
		t.Fatalf("error answer without one message line: %s", r.body)
	}
	return b.Error.Code
}

// call sends a request as user ("" for none) with a JSON body (nil for none).
func (e *env) call(user, method, path string, body any, headers ...string) reply {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(e.ctx, method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[user])
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: data}
}

func (e *env) wantStatus(r reply, status int, code string) {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if code != "" {
		if got := r.errorCode(e.t); got != code {
			e.t.Fatalf("error code %s, want %s: %s", got, code, r.body)
		}
	}
}

func (e *env) eventCount() int64 {
	e.t.Helper()
	n, err := e.db.CountEvents(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func createBody(name string) map[string]any {
	return map[string]any{"name": name, "size": "S", "project": "shop", "justification": "load tests for the shop"}
}

// The whole flow through the API: bob asks with his token, alice approves
// with hers, serve's workers make the VM in the simulator, and bob sees it
// READY with an IP. Along the way: bob may not approve his own request
// (403), carol of another tenant does not see it (404), no token is 401.
func TestRequestFlowThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	sim, err := simproc.Start(e.ctx, vsphere.SimOptions{IPDelay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	settings := sim.Settings("dvmm")
	r := e.call("alice", "PUT", "/api/v1/vmware", map[string]any{
		"url": settings.URL, "username": settings.Username, "password": sim.Password(), "datacenter": settings.Datacenter,
		"cluster": settings.Cluster, "datastore": settings.Datastore, "network": settings.Network,
		"template": settings.Template, "folder": "dvmm", "thumbprint": settings.Thumbprint})
	e.wantStatus(r, 200, "")
	if bytes.Contains(r.body, []byte(sim.Password())) {
		t.Fatal("the VMware answer carries the password")
	}

	r = e.call("bob", "POST", "/api/v1/requests", createBody("web-01"))
	e.wantStatus(r, 201, "")
	var created app.RequestView
	r.decode(t, &created)
	if created.Status != app.StatusPending || created.Requester != "bob" || created.Version != 1 || created.Tenant != "acme" {
		t.Fatalf("created %+v", created)
	}

	before := e.eventCount()
	e.wantStatus(e.call("bob", "POST", "/api/v1/requests/"+created.ID+"/approve", map[string]any{"expect_version": 1}), 403, "forbidden")
	e.wantStatus(e.call("carol", "GET", "/api/v1/requests/"+created.ID, nil), 404, "request_not_found")
	e.wantStatus(e.call("carol", "POST", "/api/v1/requests/"+created.ID+"/approve", map[string]any{"expect_version": 1}), 404, "request_not_found")
	e.wantStatus(e.call("", "GET", "/api/v1/requests/"+created.ID, nil), 401, "unauthenticated")
	e.wantStatus(e.call("alice", "POST", "/api/v1/requests/"+created.ID+"/approve", map[string]any{"expect_version": 2}), 409, "stale_version")
	e.wantStatus(e.call("alice", "POST", "/api/v1/requests/"+created.ID+"/approve", map[string]any{"expect_version": -1}), 400, "invalid")
	if n := e.eventCount(); n != before {
		t.Fatalf("refusals changed the log: %d events, want %d", n, before)
	}

	r = e.call("alice", "POST", "/api/v1/requests/"+created.ID[:6]+"/approve", map[string]any{"expect_version": 1})
	e.wantStatus(r, 200, "")
	var approved app.RequestView
	r.decode(t, &approved)
	if approved.Status != app.StatusProvisioning {
		t.Fatalf("approved: %+v", approved)
	}
	// serve's workers drain the queue.
	if _, err := e.app.Drain(e.ctx, "test", 2, time.Minute); err != nil {
		t.Fatal(err)
	}
	r = e.call("bob", "GET", "/api/v1/requests/"+created.ID, nil)
	e.wantStatus(r, 200, "")
	var shown contract.RequestWithTimeline
	r.decode(t, &shown)
	if shown.Status != app.StatusReady || shown.VM == nil || shown.VM.IP == "" {
		t.Fatalf("request after serve: %s", r.body)
	}
	var texts []string
	for _, l := range shown.Timeline {
		texts = append(texts, l.Text)
	}
	if got := strings.Join(texts, "|"); !strings.Contains(got, "Approved by alice") || !strings.Contains(got, "VM ready") {
		t.Fatalf("timeline %s", got)
	}
	// Who approved is the token's identity, and the log says so.
	events, err := e.db.LoadStream(e.ctx, app.StreamRequest, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if events[1].Type != app.EvRequestApproved || events[1].Meta.Actor != "alice" || events[0].Meta.Actor != "bob" ||
		events[1].Meta.Source != "127.0.0.1" {
		t.Fatalf("events %+v", events)
	}
	if n, err := sim.CountVMs(e.ctx, "dvmm"); err != nil || n != 1 {
		t.Fatalf("%d VMs, %v", n, err)
	}

	r = e.call("bob", "GET", "/api/v1/vms", nil)
	e.wantStatus(r, 200, "")
	var vms []struct {
		RequestID string     `json:"request_id"`
		Status    app.Status `json:"status"`
	}
	r.decode(t, &vms)
	if len(vms) != 1 || vms[0].RequestID != created.ID || vms[0].Status != app.StatusReady {
		t.Fatalf("vms %s", r.body)
	}
	e.wantStatus(e.call("carol", "GET", "/api/v1/vms/"+created.ID, nil), 404, "vm_not_found")
}

func TestTokensAndLogin(t *testing.T) {
	e := newEnv(t)
	// The throttle reads the App's clock: a fixed one keeps waits exact,
	// however slow the checks run.
	clock := apptest.NewClock(time.Now().UTC())
	e.app.Clock = clock
	// A wrong password and an unknown user answer alike.
	for _, body := range []map[string]any{
		{"user": "bob", "password": "wrong password"},
		{"user": "nobody", "password": "password-of-bob"},
		{"user": "BOB", "password": "password-of-bob"},
	} {
		r := e.call("", "POST", "/api/v1/login", body)
		e.wantStatus(r, 401, "unauthenticated")
		if !bytes.Contains(r.body, []byte("wrong user name or password")) {
			t.Fatalf("login answer %s", r.body)
		}
	}
	// bob's account failed once: his next try waits, right password or not.
	r := e.call("", "POST", "/api/v1/login", map[string]any{"user": "bob", "password": "password-of-bob"})
	e.wantStatus(r, 429, "unavailable")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	// alice is another account; the address has failed 3 times of its 10 free.
	e.wantStatus(e.call("", "POST", "/api/v1/login", map[string]any{"user": "alice", "password": "password-of-alice"}), 201, "")
	for i := 0; i < 10; i++ {
		e.call("", "POST", "/api/v1/login", map[string]any{"user": "guess-" + string(rune('a'+i)), "password": "x"})
	}
	// Past the free failures the address itself waits, whoever it names.
	e.wantStatus(e.call("", "POST", "/api/v1/login", map[string]any{"user": "alice", "password": "password-of-alice"}), 429, "unavailable")
}

func TestLoginGivesAToken(t *testing.T) {
	e := newEnv(t)
	r := e.call("", "POST", "/api/v1/login", map[string]any{"user": "bob", "password": "password-of-bob"})
	e.wantStatus(r, 201, "")
	var tok struct {
		Token     string    `json:"token"`
		ID        string    `json:"id"`
		User      string    `json:"user"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	r.decode(t, &tok)
	if tok.User != "bob" || !strings.HasPrefix(tok.Token, "dvmm_"+tok.ID+"_") || tok.ExpiresAt.IsZero() {
		t.Fatalf("login token %s", r.body)
	}
	e.tokens["bob-login"] = tok.Token
	r = e.call("bob-login", "GET", "/api/v1/whoami", nil)
	e.wantStatus(r, 200, "")
	if !bytes.Contains(r.body, []byte(`"user": "bob"`)) || !bytes.Contains(r.body, []byte(`"tenant": "acme"`)) {
		t.Fatalf("whoami %s", r.body)
	}
	// Listing tokens never shows a secret.
	r = e.call("bob", "GET", "/api/v1/tokens", nil)
	e.wantStatus(r, 200, "")
	if bytes.Contains(r.body, []byte(tok.Token)) || bytes.Contains(r.body, []byte(e.tokens["bob"])) || !bytes.Contains(r.body, []byte(tok.ID)) {
		t.Fatalf("token list %s", r.body)
	}
	// Revoked: 401 at once.
	e.wantStatus(e.call("bob", "DELETE", "/api/v1/tokens/"+tok.ID, nil), 204, "")
	e.wantStatus(e.call("bob-login", "GET", "/api/v1/whoami", nil), 401, "unauthenticated")
	// Someone else's token cannot be revoked by bob.
	aliceTokens := e.call("alice", "GET", "/api/v1/tokens", nil)
	var list []app.TokenInfo
	aliceTokens.decode(t, &list)
	e.wantStatus(e.call("bob", "DELETE", "/api/v1/tokens/"+list[0].ID+"?user=alice", nil), 403, "forbidden")
	// No secret in the log lines.
	for _, secretText := range []string{tok.Token, e.tokens["bob"], e.tokens["alice"], "password-of-bob"} {
		if strings.Contains(e.logs.String(), secretText) {
			t.Fatal("a log line holds a token or password")
		}
	}
	if !strings.Contains(e.logs.String(), `"route":"GET /api/v1/whoami"`) || !strings.Contains(e.logs.String(), `"actor":"bob"`) {
		t.Fatalf("access log:\n%s", e.logs.String())
	}
}

func TestExpiredTokenIsRefused(t *testing.T) {
	e := newEnv(t)
	clock := apptest.NewClock(time.Now().UTC())
	e.app.Clock = clock
	tok, err := e.app.CreateToken(e.ctx, app.Actor{User: "root"}, "bob", "short", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	e.tokens["short"] = tok.Token
	e.wantStatus(e.call("short", "GET", "/api/v1/whoami", nil), 200, "")
	clock.Advance(time.Hour)
	e.wantStatus(e.call("short", "GET", "/api/v1/whoami", nil), 401, "unauthenticated")
	noErr(t, e.app.DisableUser(e.ctx, app.Actor{User: "root"}, "bob"))
	e.wantStatus(e.call("bob", "GET", "/api/v1/whoami", nil), 401, "unauthenticated")
}

// Writes must be JSON, from the same origin, within the size cap; and a
// non-admin cannot do operator work.
func TestRefusedWrites(t *testing.T) {
	e := newEnv(t)
	before := e.eventCount()
	post := func(body string, headers ...string) reply {
		req, _ := http.NewRequestWithContext(e.ctx, "POST", e.srv.URL+"/api/v1/requests", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.tokens["bob"])
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return reply{status: resp.StatusCode, body: data}
	}
	good, _ := json.Marshal(createBody("web-01"))
	for _, tc := range []struct {
		name    string
		body    string
		headers []string
		status  int
	}{
		{"FormBody", "name=web-01", []string{"Content-Type", "application/x-www-form-urlencoded"}, 415},
		{"TextPlain", string(good), []string{"Content-Type", "text/plain"}, 415},
		{"NoContentType", string(good), nil, 415},
		{"CrossOrigin", string(good), []string{"Content-Type", "application/json", "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}, 403},
		{"TooLarge", `{"name":"web-01","justification":"` + strings.Repeat("x", 70000) + `"}`, []string{"Content-Type", "application/json"}, 400},
		{"UnknownField", `{"name":"web-01","sise":"S"}`, []string{"Content-Type", "application/json"}, 400},
		{"TwoValues", string(good) + string(good), []string{"Content-Type", "application/json"}, 400},
		{"NotJSON", `{`, []string{"Content-Type", "application/json"}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(tc.body, tc.headers...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			r.errorCode(t)
		})
	}
	e.wantStatus(e.call("bob", "POST", "/api/v1/tenants", map[string]any{"name": "initech", "admin": "bob"}), 403, "forbidden")
	e.wantStatus(e.call("bob", "GET", "/api/v1/tenants/globex", nil), 404, "not_found")
	e.wantStatus(e.call("bob", "GET", "/api/v1/nothing-here", nil), 404, "not_found")
	if n := e.eventCount(); n != before {
		t.Fatalf("refusals changed the log: %d events, want %d", n, before)
	}
	// A platform admin may create a tenant.
	noErr(t, e.app.GrantPlatformAdmin(e.ctx, app.Actor{User: "root"}, "carol"))
	e.wantStatus(e.call("carol", "POST", "/api/v1/tenants", map[string]any{"name": "initech", "admin": "carol"}), 201, "")
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	e.wantStatus(e.call("", "GET", "/healthz", nil), 200, "")
	e.wantStatus(e.call("", "GET", "/readyz", nil), 200, "")
}

// People of the team's identity provider call the API with its ID token:
// the user name comes from a claim and the tenant roles from their groups,
// recorded by the provider's authority; a token the provider did not sign
// for dvmm is 401.
func TestOIDCTokens(t *testing.T) {
	e := newEnv(t)
	p := oidctest.New(t)
	v, err := oidcauth.New(e.ctx, oidcauth.Config{Issuer: p.URL, ClientID: "dvmm",
		GroupRoles: map[string][]app.Membership{"acme-admins": {{Tenant: "acme", Role: app.RoleAdmin}}}})
	if err != nil {
		t.Fatal(err)
	}
	s := &httpapi.Server{App: e.app, OIDC: v}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	e.srv = srv

	r := e.call("bob", "POST", "/api/v1/requests", createBody("web-01"))
	e.wantStatus(r, 201, "")
	var created contract.Request
	r.decode(t, &created)

	e.tokens["dana"] = p.Token(t, map[string]any{"preferred_username": "dana", "groups": []string{"acme-admins"}})
	r = e.call("dana", "GET", "/api/v1/whoami", nil)
	e.wantStatus(r, 200, "")
	if !bytes.Contains(r.body, []byte(`"user": "dana"`)) || !bytes.Contains(r.body, []byte(`"role": "admin"`)) {
		t.Fatalf("whoami %s", r.body)
	}
	e.wantStatus(e.call("dana", "POST", "/api/v1/requests/"+created.ID+"/approve", map[string]any{"expect_version": 1}), 200, "")
	events, err := e.db.LoadStream(e.ctx, app.StreamTenant, "acme")
	if err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	if m, ok := last.Data.(app.TenantMemberAdded); !ok || m.User != "dana" || m.Role != app.RoleAdmin || last.Meta.Actor != app.IdentityProviderActor {
		t.Fatalf("last tenant event %+v", last)
	}
	// A second call finds the role in place: no more events.
	before := e.eventCount()
	e.wantStatus(e.call("dana", "GET", "/api/v1/whoami", nil), 200, "")
	if e.eventCount() != before {
		t.Fatal("a second call recorded the role again")
	}

	e.tokens["eve"] = p.Token(t, map[string]any{"preferred_username": "eve", "aud": "another-app", "groups": []string{"acme-admins"}})
	e.wantStatus(e.call("eve", "GET", "/api/v1/whoami", nil), 401, "unauthenticated")
	e.tokens["mallory"] = p.Token(t, map[string]any{"preferred_username": "mallory", "exp": time.Now().Add(-time.Hour).Unix()})
	e.wantStatus(e.call("mallory", "GET", "/api/v1/requests", nil), 401, "unauthenticated")
	// Someone in no mapped group is nobody's member: 403 in acme.
	e.tokens["zoe"] = p.Token(t, map[string]any{"preferred_username": "zoe"})
	e.wantStatus(e.call("zoe", "GET", "/api/v1/requests?tenant=acme", nil), 403, "")
}

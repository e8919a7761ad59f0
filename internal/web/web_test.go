package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/app/apptest"
	"github.com/dvmm/dvmm/internal/auth"
	"github.com/dvmm/dvmm/internal/oidcauth"
	"github.com/dvmm/dvmm/internal/oidcauth/oidctest"
	"github.com/dvmm/dvmm/internal/secret"
	"github.com/dvmm/dvmm/internal/store"
	"github.com/dvmm/dvmm/internal/vsphere"
	"github.com/dvmm/dvmm/internal/vsphere/simproc"
	"github.com/dvmm/dvmm/internal/web"
)

func TestMain(m *testing.M) {
	// Cheap hashes keep the tests fast; the format and checks are the same.
	code := m.Run()
	simproc.Cleanup()
	os.Exit(code)
}

// env is the web page on a real SQLite file, with an operator's App to
// set things up: tenant acme (alice admin, bob user, dave admin) and
// tenant globex (gina admin, carol user).
type env struct {
	t   testing.TB
	ctx context.Context
	app *app.App
	srv *httptest.Server
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "dvmm.db"))
	noErr(t, err)
	t.Cleanup(func() { db.Close() })
	box, err := secret.LoadOrCreate(filepath.Join(dir, "secret.key"))
	noErr(t, err)
	hv := vsphere.New(vsphere.Options{})
	t.Cleanup(func() { hv.Close() })
	a := app.New(db, hv, box)
	a.PasswordParams = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	s := &web.Server{App: a, Poll: 20 * time.Millisecond}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	op := app.Actor{User: "root"}
	for _, u := range []string{"alice", "bob", "carol", "dave", "gina"} {
		_, err := a.CreateUser(ctx, op, u, "password-of-"+u, false)
		noErr(t, err)
	}
	_, err = a.CreateTenant(ctx, op, "acme", "alice")
	noErr(t, err)
	_, err = a.AddMember(ctx, app.Actor{User: "alice"}, "acme", "bob", app.RoleUser)
	noErr(t, err)
	_, err = a.AddMember(ctx, app.Actor{User: "alice"}, "acme", "dave", app.RoleAdmin)
	noErr(t, err)
	_, err = a.CreateTenant(ctx, op, "globex", "gina")
	noErr(t, err)
	_, err = a.AddMember(ctx, app.Actor{User: "gina"}, "globex", "carol", app.RoleUser)
	noErr(t, err)
	for _, admin := range []app.Actor{{User: "alice", Tenant: "acme"}, {User: "gina", Tenant: "globex"}} {
		_, err = a.CreateProject(ctx, admin, "shop")
		noErr(t, err)
	}
	return &env{t: t, ctx: ctx, app: a, srv: srv}
}

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// browser is one person's cookie jar; it follows no redirect by itself,
// so a test sees each answer.
type browser struct {
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// page is an answer: status, headers and body.
type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) page {
	b.e.t.Helper()
	resp, err := b.c.Do(req)
	noErr(b.e.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	noErr(b.e.t, err)
	return page{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func (b *browser) get(path string) page {
	b.e.t.Helper()
	req, err := http.NewRequest("GET", b.e.srv.URL+path, nil)
	noErr(b.e.t, err)
	return b.do(req)
}

// post sends a form as a browser on the same origin does.
func (b *browser) post(path string, form url.Values) page {
	b.e.t.Helper()
	req, err := http.NewRequest("POST", b.e.srv.URL+path, strings.NewReader(form.Encode()))
	noErr(b.e.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.e.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(req)
}

func (e *env) signIn(user string) *browser {
	e.t.Helper()
	b := e.browser()
	p := b.post("/signin", url.Values{"user": {user}, "password": {"password-of-" + user}})
	if p.status != http.StatusSeeOther {
		e.t.Fatalf("sign-in of %s: %d %s", user, p.status, p.body)
	}
	return b
}

func (b *browser) sessionCookie() *http.Cookie {
	u, _ := url.Parse(b.e.srv.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "dvmm_session" {
			return c
		}
	}
	return nil
}

func wantStatus(t testing.TB, p page, status int) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d; body:\n%s", p.status, status, p.body)
	}
}

func wantBody(t testing.TB, p page, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(p.body, w) {
			t.Fatalf("the page lacks %q; body:\n%s", w, p.body)
		}
	}
}

func wantNot(t testing.TB, p page, not ...string) {
	t.Helper()
	for _, w := range not {
		if strings.Contains(p.body, w) {
			t.Fatalf("the page has %q; body:\n%s", w, p.body)
		}
	}
}

// create makes a request through the form and returns its id.
func (b *browser) create(name, justification string) string {
	b.e.t.Helper()
	p := b.post("/requests/new", url.Values{"name": {name}, "size": {"S"}, "project": {"shop"}, "justification": {justification}})
	wantStatus(b.e.t, p, http.StatusSeeOther)
	loc := p.header.Get("Location")
	id := strings.TrimPrefix(strings.Split(loc, "?")[0], "/requests/")
	if id == "" || strings.Contains(id, "/") {
		b.e.t.Fatalf("created: redirect to %q", loc)
	}
	return id
}

func TestSignedOutGoesToSignIn(t *testing.T) {
	e := newEnv(t)
	p := e.browser().get("/requests?status=pending")
	wantStatus(t, p, http.StatusSeeOther)
	if loc := p.header.Get("Location"); loc != "/signin?next=%2Frequests%3Fstatus%3Dpending" {
		t.Fatalf("redirect to %q", loc)
	}
}

func TestWrongPasswordKeepsTheUserNameOnly(t *testing.T) {
	e := newEnv(t)
	p := e.browser().post("/signin", url.Values{"user": {"bob"}, "password": {"not-his-password"}})
	wantStatus(t, p, http.StatusUnauthorized)
	wantBody(t, p, "Wrong user name or password.", `value="bob"`)
	wantNot(t, p, "not-his-password")
}

// The session cookie: HttpOnly, SameSite=Lax, expiring, not Secure over
// plain HTTP; a new token at each sign-in, the old one revoked; sign-out
// ends the session wherever a copy of the cookie is.
func TestSessionCookieRotationAndSignOut(t *testing.T) {
	e := newEnv(t)
	b := e.signIn("bob")
	c := b.sessionCookie()
	if c == nil {
		t.Fatal("no session cookie")
	}
	p := b.post("/signin", url.Values{"user": {"bob"}, "password": {"password-of-bob"}})
	wantStatus(t, p, http.StatusSeeOther)
	var raw string
	for _, v := range p.header.Values("Set-Cookie") {
		if strings.HasPrefix(v, "dvmm_session=") {
			raw = v
		}
	}
	for _, want := range []string{"HttpOnly", "SameSite=Lax", "Max-Age=28800", "Path=/"} {
		if !strings.Contains(raw, want) {
			t.Fatalf("cookie %q lacks %s", raw, want)
		}
	}
	if strings.Contains(raw, "Secure") {
		t.Fatalf("cookie %q is Secure over plain HTTP: the browser would not send it back", raw)
	}
	c2 := b.sessionCookie()
	if c2.Value == c.Value {
		t.Fatal("sign-in kept the old session")
	}
	if _, err := e.app.AuthenticateToken(e.ctx, c.Value); app.ErrorKind(err) != app.KindUnauthenticated {
		t.Fatalf("the session before sign-in still works: %v", err)
	}
	wantStatus(t, b.get("/requests"), http.StatusOK)

	copyOf := e.browser()
	u, _ := url.Parse(e.srv.URL)
	copyOf.c.Jar.SetCookies(u, []*http.Cookie{{Name: "dvmm_session", Value: c2.Value}})
	wantStatus(t, copyOf.get("/requests"), http.StatusOK)
	p = b.post("/signout", nil)
	wantStatus(t, p, http.StatusSeeOther)
	wantStatus(t, b.get("/requests"), http.StatusSeeOther)
	wantStatus(t, copyOf.get("/requests"), http.StatusSeeOther)
}

func TestSignInGoesBackOnlyToThisServer(t *testing.T) {
	e := newEnv(t)
	for next, want := range map[string]string{"/approvals": "/approvals", "https://evil.example/": "/requests",
		"//evil.example": "/requests", `/\evil.example`: "/requests"} {
		p := e.browser().post("/signin", url.Values{"user": {"bob"}, "password": {"password-of-bob"}, "next": {next}})
		if loc := p.header.Get("Location"); loc != want {
			t.Errorf("next %q: redirect to %q, want %q", next, loc, want)
		}
	}
}

// A justification of markup stays text: escaped by html/template, and a
// strict Content-Security-Policy would stop a script even if it were not.
func TestMarkupInAJustificationStaysText(t *testing.T) {
	e := newEnv(t)
	bob := e.signIn("bob")
	evil := `<script>alert("x")</script><img src=x onerror=alert(1)> ` + "\u202e" + `gnp.exe`
	id := bob.create("web-01", evil)
	for _, p := range []page{bob.get("/requests/" + id), e.signIn("alice").get("/approvals")} {
		wantStatus(t, p, http.StatusOK)
		wantBody(t, p, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;", `\u202egnp.exe`)
		wantNot(t, p, "<script>alert", "<img src=x", "\u202e")
		csp := p.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Fatalf("Content-Security-Policy %q", csp)
		}
		if inline := regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`).FindString(p.body); inline != "" {
			t.Fatalf("an inline script: %q", inline)
		}
	}
}

// The form keeps what was typed and shows each error next to its field,
// with the use case's own message.
func TestNewRequestErrorsNextToTheirFields(t *testing.T) {
	e := newEnv(t)
	bob := e.signIn("bob")
	p := bob.post("/requests/new", url.Values{"name": {"Web_01"}, "size": {"M"}, "project": {"Shop!"}, "justification": {"kept text"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantBody(t, p, `id="name-error"`, "invalid name", `id="project-error"`, "invalid project", `value="Web_01"`, `value="Shop!"`,
		">kept text</textarea>", `value="M" checked`)
	p = bob.post("/requests/new", url.Values{"name": {"web-01"}, "size": {"S"}, "project": {"shop"}, "justification": {"short"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantBody(t, p, `id="justification-error"`, "justification is too short: write at least 10 characters")
	wantNot(t, p, `id="name-error"`)

	bob.create("web-01", "load tests for the shop")
	p = bob.post("/requests/new", url.Values{"name": {"web-01"}, "size": {"S"}, "project": {"shop"}, "justification": {"load tests again"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantBody(t, p, `id="name-error"`, "already used by request")
}

func TestMyRequestsNewestFirstWithFilters(t *testing.T) {
	e := newEnv(t)
	bob := e.signIn("bob")
	first := bob.create("web-01", "load tests for the shop")
	bob.create("web-02", "load tests for the shop")
	_, err := e.app.Cancel(e.ctx, app.Actor{User: "bob", Tenant: "acme"}, first)
	noErr(t, err)
	p := bob.get("/requests")
	wantStatus(t, p, http.StatusOK)
	if strings.Index(p.body, "web-02") > strings.Index(p.body, "web-01") {
		t.Fatal("not newest first")
	}
	p = bob.get("/requests?status=cancelled")
	wantBody(t, p, "web-01", "CANCELLED")
	wantNot(t, p, "web-02")
	p = bob.get("/requests?project=other")
	wantNot(t, p, "web-01", "web-02")
	wantStatus(t, bob.get("/requests?status=nonsense"), http.StatusBadRequest)
}

// A request of another tenant answers exactly like one that does not exist.
func TestRequestOfAnotherTenantIsNotFound(t *testing.T) {
	e := newEnv(t)
	id := e.signIn("bob").create("web-01", "load tests for the shop")
	carol := e.signIn("carol")
	for _, p := range []page{carol.get("/requests/" + id), carol.get("/requests/nosuchrequest"), carol.get("/vms/" + id)} {
		wantStatus(t, p, http.StatusNotFound)
	}
	wantStatus(t, carol.post("/requests/"+id+"/approve", url.Values{"version": {"1"}}), http.StatusNotFound)
	gina := e.signIn("gina")
	wantStatus(t, gina.post("/requests/"+id+"/approve", url.Values{"version": {"1"}}), http.StatusNotFound)
	wantNot(t, carol.get("/requests/nosuchrequest"), "dvmm request list")
}

// An admin never sees approve on their own request, and approving it
// anyway is refused by the use case.
func TestNoApproveOnYourOwnRequest(t *testing.T) {
	e := newEnv(t)
	alice := e.signIn("alice")
	own := alice.create("web-01", "load tests for the shop")
	other := e.signIn("bob").create("web-02", "load tests for the shop")
	p := alice.get("/approvals")
	wantBody(t, p, "This is your own request", `action="/requests/`+other+`/approve"`)
	wantNot(t, p, `action="/requests/`+own+`/approve"`)
	wantNot(t, alice.get("/requests/"+own), "/approve")
	wantBody(t, alice.get("/requests/"+other), `action="/requests/`+other+`/approve"`)
	wantStatus(t, alice.post("/requests/"+own+"/approve", url.Values{"version": {"1"}}), http.StatusForbidden)
	bob := e.signIn("bob")
	wantNot(t, bob.get("/requests/"+other), "/approve")
	wantStatus(t, bob.get("/approvals"), http.StatusForbidden)
}

// The approval form sends the version it showed: a request changed
// meanwhile gets the "changed since you looked" answer, not a decision.
func TestStaleApprovalIsRefused(t *testing.T) {
	e := newEnv(t)
	bob := e.signIn("bob")
	id := bob.create("web-01", "load tests for the shop")
	alice := e.signIn("alice")
	wantBody(t, alice.get("/approvals"), `name="version" value="1"`)
	wantStatus(t, bob.post("/requests/"+id+"/cancel", nil), http.StatusSeeOther)
	p := alice.post("/requests/"+id+"/approve", url.Values{"version": {"1"}})
	wantStatus(t, p, http.StatusConflict)
	wantBody(t, p, "web-01 changed since you looked at it: it is now CANCELLED, so nothing was decided.")
	wantNot(t, p, "dvmm request show")
	v, _, err := e.app.ShowRequest(e.ctx, app.Actor{User: "alice", Tenant: "acme"}, id)
	noErr(t, err)
	if v.Status != app.StatusCancelled {
		t.Fatalf("status %s", v.Status)
	}
	id2 := bob.create("web-02", "load tests for the shop")
	p = alice.post("/requests/"+id2+"/approve", url.Values{"version": {"2"}, "from": {"request"}})
	wantStatus(t, p, http.StatusConflict)
	wantBody(t, p, "web-02 changed since you looked at it (you saw version 2, it is now at version 1)")
}

func TestRejectNeedsAReason(t *testing.T) {
	e := newEnv(t)
	id := e.signIn("bob").create("web-01", "load tests for the shop")
	alice := e.signIn("alice")
	p := alice.post("/requests/"+id+"/reject", url.Values{"version": {"1"}, "reason": {"no"}})
	wantStatus(t, p, http.StatusBadRequest)
	wantBody(t, p, `id="reason-error-`+id+`"`, "reason is too short", ">no</textarea>")
	p = alice.post("/requests/"+id+"/reject", url.Values{"version": {"1"}, "reason": {"the shop has enough VMs"}})
	wantStatus(t, p, http.StatusSeeOther)
	wantBody(t, e.signIn("bob").get("/requests/"+id), "REJECTED", "the shop has enough VMs")
}

// A form another origin posts is refused before anything reads it, even
// with a valid session cookie (another port of the host is the same site,
// so SameSite=Lax alone would send it).
func TestFormFromAnotherOriginIsRefused(t *testing.T) {
	e := newEnv(t)
	bob := e.signIn("bob")
	form := url.Values{"name": {"web-01"}, "size": {"S"}, "project": {"shop"}, "justification": {"load tests for the shop"}}
	for _, h := range []map[string]string{{"Sec-Fetch-Site": "same-site"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}} {
		req, _ := http.NewRequest("POST", e.srv.URL+"/requests/new", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		p := bob.do(req)
		wantStatus(t, p, http.StatusForbidden)
		wantBody(t, p, "sent from another site")
	}
	vs, err := e.app.ListRequests(e.ctx, app.Actor{User: "bob", Tenant: "acme"}, app.RequestFilter{})
	noErr(t, err)
	if len(vs) != 0 {
		t.Fatalf("%d requests made", len(vs))
	}
}

func TestAssetsAreHashedAndCached(t *testing.T) {
	e := newEnv(t)
	p := e.browser().get("/signin")
	srcs := regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`).FindAllStringSubmatch(p.body, -1)
	if len(srcs) != 3 {
		t.Fatalf("assets %v", srcs)
	}
	for _, m := range srcs {
		if !regexp.MustCompile(`^/static/[a-z]+(\.min)?\.[0-9a-f]{10}(\.min)?\.(js|css)$`).MatchString(m[1]) {
			t.Fatalf("asset name %q has no content hash", m[1])
		}
		a := e.browser().get(m[1])
		wantStatus(t, a, http.StatusOK)
		if cc := a.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Fatalf("%s: Cache-Control %q", m[1], cc)
		}
	}
	wantStatus(t, e.browser().get("/static/app.0000000000.css"), http.StatusNotFound)
	if cc := p.header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("a page's Cache-Control %q", cc)
	}
}

// The tenant switcher only offers, and only accepts, the user's tenants.
func TestTenantSwitcher(t *testing.T) {
	e := newEnv(t)
	_, err := e.app.AddMember(e.ctx, app.Actor{User: "gina"}, "globex", "bob", app.RoleAdmin)
	noErr(t, err)
	bob := e.signIn("bob")
	p := bob.get("/requests")
	wantBody(t, p, `<option value="acme" selected>acme (user)</option>`, `<option value="globex">globex (admin)</option>`)
	wantNot(t, p, `href="/approvals"`)
	wantStatus(t, bob.post("/tenant", url.Values{"tenant": {"globex"}}), http.StatusSeeOther)
	p = bob.get("/approvals")
	wantStatus(t, p, http.StatusOK)
	wantBody(t, p, "Pending requests of <strong>globex</strong>")
	wantStatus(t, bob.post("/tenant", url.Values{"tenant": {"initech"}}), http.StatusNotFound)
}

// Members and roles through the same use case as 'tenant add-member';
// settings are for admins only.
func TestSettingsMembers(t *testing.T) {
	e := newEnv(t)
	alice := e.signIn("alice")
	wantStatus(t, alice.post("/settings/members", url.Values{"user": {"carol"}, "role": {"user"}}), http.StatusSeeOther)
	p := alice.get("/settings")
	wantBody(t, p, ">carol</td>", "VMware is not configured yet")
	p = alice.post("/settings/members", url.Values{"user": {"Not A User"}, "role": {"user"}})
	wantStatus(t, p, http.StatusBadRequest)
	wantBody(t, p, `id="member-error"`, `value="Not A User"`)
	wantStatus(t, e.signIn("bob").get("/settings"), http.StatusForbidden)
	wantStatus(t, e.signIn("bob").post("/settings/members", url.Values{"user": {"carol"}, "role": {"admin"}}), http.StatusForbidden)
}

// The live stream of a request sends its fragment, and ends once the
// request is final.
func TestLiveRequestEndsWhenFinal(t *testing.T) {
	e := newEnv(t)
	bob := e.signIn("bob")
	id := bob.create("web-01", "load tests for the shop")
	wantStatus(t, bob.post("/requests/"+id+"/cancel", nil), http.StatusSeeOther)
	p := bob.get("/live/requests/" + id)
	wantStatus(t, p, http.StatusOK)
	if ct := p.header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	wantBody(t, p, "event: update\ndata: ", "CANCELLED", "Cancelled by bob", "event: done\n")
	wantStatus(t, e.signIn("carol").get("/live/requests/"+id), http.StatusNotFound)
}

// A session ends when its token expires, whatever the cookie says.
func TestSessionExpires(t *testing.T) {
	e := newEnv(t)
	bob := e.signIn("bob")
	wantStatus(t, bob.get("/requests"), http.StatusOK)
	e.app.Clock = apptest.NewClock(time.Now().UTC().Add(8*time.Hour + time.Minute))
	wantStatus(t, bob.get("/requests"), http.StatusSeeOther)
	p := bob.post("/requests/new", url.Values{"name": {"web-01"}, "size": {"S"}, "project": {"shop"}, "justification": {"load tests for the shop"}})
	wantStatus(t, p, http.StatusUnauthorized)
	wantBody(t, p, "You are signed out")
}

// A FAILED request offers its admins a retry, through the same use case
// as 'request retry'; its requester gets no such button.
func TestRetryOfAFailedRequest(t *testing.T) {
	e := newEnv(t)
	bob := e.signIn("bob")
	id := bob.create("web-01", "load tests for the shop")
	alice := e.signIn("alice")
	wantStatus(t, alice.post("/requests/"+id+"/approve", url.Values{"version": {"1"}}), http.StatusSeeOther)
	// No VMware settings: the provisioning fails at once.
	_, err := e.app.Drain(e.ctx, "test", 1, time.Minute)
	noErr(t, err)
	p := alice.get("/requests/" + id)
	wantBody(t, p, "FAILED", "VMware not configured", `action="/requests/`+id+`/retry"`)
	wantNot(t, bob.get("/requests/"+id), "/retry")
	wantStatus(t, bob.post("/requests/"+id+"/retry", nil), http.StatusForbidden)
	p = alice.post("/requests/"+id+"/retry", nil)
	wantStatus(t, p, http.StatusSeeOther)
	if loc := p.header.Get("Location"); loc != "/requests/"+id+"?done=retried" {
		t.Fatalf("redirect to %q", loc)
	}
	wantBody(t, alice.get("/requests/"+id), "Retry requested by alice")
}

// The live list of "My requests" sends its rows, and ends when none of
// them can change any more.
func TestLiveListEndsWhenAllAreFinal(t *testing.T) {
	e := newEnv(t)
	bob := e.signIn("bob")
	id := bob.create("web-01", "load tests for the shop")
	wantBody(t, bob.get("/requests?status=pending"), `data-live="/live/requests?status=pending"`)
	wantStatus(t, bob.post("/requests/"+id+"/cancel", nil), http.StatusSeeOther)
	p := bob.get("/live/requests")
	wantStatus(t, p, http.StatusOK)
	wantBody(t, p, "event: update\n", "web-01", "CANCELLED", "event: done\n")
}

// A boosted (htmx) form gets HX-Location instead of a redirect, so htmx
// loads the next page and records it in the history.
func TestBoostedFormGetsHXLocation(t *testing.T) {
	e := newEnv(t)
	bob := e.signIn("bob")
	form := url.Values{"name": {"web-01"}, "size": {"S"}, "project": {"shop"}, "justification": {"load tests for the shop"}}
	req, _ := http.NewRequest("POST", e.srv.URL+"/requests/new", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	p := bob.do(req)
	wantStatus(t, p, http.StatusOK)
	if loc := p.header.Get("HX-Location"); !strings.HasPrefix(loc, "/requests/") || !strings.HasSuffix(loc, "?done=created") {
		t.Fatalf("HX-Location %q", loc)
	}
}

// The VMware password is write-only: no page ever shows it, and saving
// needs it again.
func TestVMwarePasswordIsWriteOnly(t *testing.T) {
	e := newEnv(t)
	alice := e.signIn("alice")
	form := url.Values{"url": {"https://vc.example/sdk"}, "username": {"dvmm@vsphere.local"}, "datacenter": {"DC0"},
		"cluster": {"C0"}, "datastore": {"ds1"}, "network": {"VM Network"}, "template": {"tpl"}, "folder": {"dvmm"}, "password": {"s3cret-vc-password"}}
	wantStatus(t, alice.post("/settings/vmware", form), http.StatusSeeOther)
	p := alice.get("/settings")
	wantBody(t, p, `value="https://vc.example/sdk"`, "A password is set")
	wantNot(t, p, "s3cret-vc-password")
	form.Del("password")
	form.Set("datacenter", "DC1")
	p = alice.post("/settings/vmware", form)
	wantStatus(t, p, http.StatusBadRequest)
	wantBody(t, p, "password is required", `value="DC1"`)
	wantNot(t, p, "s3cret-vc-password")
	form.Set("password", "s3cret-vc-password")
	form.Set("url", "http://vc.example/sdk")
	p = alice.post("/settings/vmware", form)
	wantStatus(t, p, http.StatusBadRequest)
	wantBody(t, p, "must use https")
	wantNot(t, p, "s3cret-vc-password")
}

// Over TLS the session cookie is Secure.
func TestSessionCookieIsSecureOverTLS(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewTLSServer(e.srv.Config.Handler)
	t.Cleanup(srv.Close)
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	form := url.Values{"user": {"bob"}, "password": {"password-of-bob"}}
	req, _ := http.NewRequest("POST", srv.URL+"/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	noErr(t, err)
	resp.Body.Close()
	var raw string
	for _, v := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, "dvmm_session=") {
			raw = v
		}
	}
	if !strings.Contains(raw, "; Secure") || !strings.Contains(raw, "HttpOnly") {
		t.Fatalf("cookie over TLS: %q", raw)
	}
	if hsts := resp.Header.Get("Strict-Transport-Security"); hsts == "" {
		t.Fatal("no Strict-Transport-Security over TLS")
	}
}

// Someone in no tenant yet is told so, on every page.
func TestSignedInWithoutATenant(t *testing.T) {
	e := newEnv(t)
	_, err := e.app.CreateUser(e.ctx, app.Actor{User: "root"}, "nina", "password-of-nina", false)
	noErr(t, err)
	nina := e.signIn("nina")
	p := nina.get("/requests")
	wantStatus(t, p, http.StatusForbidden)
	wantBody(t, p, "not a member of any tenant yet")
	wantStatus(t, nina.post("/signout", nil), http.StatusSeeOther)
}

// With an identity provider, the sign-in page offers it; signing in there
// makes the account the first time, records the roles the groups give,
// and starts a session like a password sign-in. An answer that does not
// carry this browser's state is refused.
func TestSignInWithTheIdentityProvider(t *testing.T) {
	e := newEnv(t)
	p := oidctest.New(t)
	v, err := oidcauth.New(e.ctx, oidcauth.Config{Issuer: p.URL, ClientID: "dvmm", ClientSecret: "s3cret",
		GroupRoles: map[string][]app.Membership{"acme-users": {{Tenant: "acme", Role: app.RoleUser}}}})
	noErr(t, err)
	s := &web.Server{App: e.app, Poll: 20 * time.Millisecond, OIDC: v}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	e.srv = srv

	jar, _ := cookiejar.New(nil)
	follow := &http.Client{Jar: jar} // follows the provider's redirects, as a browser does
	get := func(path string) (int, string) {
		resp, err := follow.Get(srv.URL + path)
		noErr(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if _, body := get("/signin"); !strings.Contains(body, `href="/signin/oidc"`) {
		t.Fatal("the sign-in page does not offer the identity provider")
	}
	p.SignInAs(map[string]any{"preferred_username": "olga", "groups": []string{"acme-users"}})
	status, body := get("/signin/oidc")
	if status != http.StatusOK || !strings.Contains(body, "olga") {
		t.Fatalf("after the provider: %d\n%s", status, body)
	}
	if status, _ := get("/requests/new"); status != http.StatusOK {
		t.Fatalf("olga's session: %d", status)
	}
	ms, err := e.app.TenantsOf(e.ctx, "olga")
	noErr(t, err)
	if len(ms) != 1 || ms[0] != (app.Membership{Tenant: "acme", Role: app.RoleUser}) {
		t.Fatalf("olga's tenants %+v", ms)
	}
	// A callback this browser did not start is refused.
	stranger := e.browser()
	resp := stranger.do(mustRequest(t, "GET", srv.URL+"/signin/oidc/callback?code=code-9&state=forged"))
	if resp.status != http.StatusUnauthorized || !strings.Contains(resp.body, "did not sign you in") {
		t.Fatalf("forged callback: %d", resp.status)
	}
}

func mustRequest(t testing.TB, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	noErr(t, err)
	return req
}

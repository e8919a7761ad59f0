package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/vsphere"
	"github.com/dvmm/dvmm/internal/vsphere/simproc"
)

// The browser tests drive headless Chromium through the page. CI installs
// Debian's chromium (.ci/run) and sets CI=true: there a missing browser
// fails the tests instead of skipping them.

// screenshotDir is where each page's screenshot goes: $DVMM_SCREENSHOTS,
// or testdata-out/screenshots at the top of the repository (gitignored).
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("DVMM_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "testdata-out", "screenshots")
	}
	noErr(t, os.MkdirAll(dir, 0o755))
	return dir
}

// chrome starts a headless Chromium for the test and returns its browser
// context; people get their own incognito-like contexts from it.
func chrome(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not on PATH: CI must run the browser tests (.ci/run installs Debian's chromium)")
		}
		t.Skip("!!! SKIPPED: chromium is not on PATH, so the browser tests did not run; install it (apt-get install chromium) !!!")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun, chromedp.WindowSize(1280, 900))
	// The whole browser run has one generous bound, so a page that never
	// shows what a step waits for fails the test instead of hanging it.
	ctx, cancelTimeout := context.WithTimeout(context.Background(), 4*time.Minute)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc(); cancelTimeout() })
	noErr(t, chromedp.Do(bctx)) // starts the browser
	return bctx
}

// person is one signed-in browser context (its own cookies).
type person struct {
	t    *testing.T
	name string
	ctx  context.Context
	base string
	dir  string

	mu     sync.Mutex
	errors []string // script and console errors of the page
}

func (e *env) person(t *testing.T, bctx context.Context, name string) *person {
	ctx, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	p := &person{t: t, name: name, ctx: ctx, base: e.srv.URL, dir: screenshotDir(t)}
	// Every script error and console error fails the test: a
	// Content-Security-Policy violation (an inline script or style that
	// slipped in) shows up only there. Answers of 4xx, which some steps
	// expect, are logged by the network and are not errors of the page.
	noErr(t, chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError && ev.Entry.Source != cdplog.EntrySourceNetwork {
				msg = string(ev.Entry.Source) + ": " + ev.Entry.Text
			}
		case *runtime.EventExceptionThrown:
			msg = "exception: " + ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				msg += " " + ev.ExceptionDetails.Exception.Description
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				msg = "console.error"
				for _, a := range ev.Args {
					msg += " " + string(a.Value) + a.Description
				}
			}
		}
		if msg != "" {
			p.mu.Lock()
			p.errors = append(p.errors, msg)
			p.mu.Unlock()
		}
	}))
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, m := range p.errors {
			t.Errorf("%s's browser: %s", name, m)
		}
	})
	return p
}

func (p *person) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatalf("%s: %v", p.name, err)
	}
}

// waitJS waits until a JavaScript expression is true in the page. A
// form sent before htmx took it over is sent by the browser itself, a
// full navigation to the same page; the wait then goes on in the new page.
func (p *person) waitJS(expr string) {
	p.t.Helper()
	for tries := 0; ; tries++ {
		_, err := chromedp.Run(p.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(3*time.Minute)))
		if err == nil {
			return
		}
		if tries < 5 && strings.Contains(err.Error(), "navigated or closed") {
			continue
		}
		p.t.Fatalf("%s: waiting for %s: %v", p.name, expr, err)
	}
}

// text reads an element's text in one step of the page's own script: live
// updates replace elements, and a read in two steps (find, then read) can
// lose its node in between. It waits up to 10 s for the element to exist.
func (p *person) text(sel string) string {
	p.t.Helper()
	q, _ := json.Marshal(sel)
	expr := `(() => { const e = document.querySelector(` + string(q) + `); return e === null ? null : e.innerText; })()`
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		s, err := chromedp.Run(p.ctx, chromedp.Evaluate[*string](expr))
		if err == nil && s != nil {
			return strings.TrimSpace(*s)
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: text of %s: %v", p.name, sel, err)
		}
	}
}

func (p *person) eval(expr string) bool {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](expr))
	if err != nil {
		p.t.Fatalf("%s: %s: %v", p.name, expr, err)
	}
	return v
}

// shot saves a full-page PNG of what the person sees now, after checking
// that every form control of the page has a label.
func (p *person) shot(name string) {
	p.t.Helper()
	unlabelled, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
		.filter(el => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")).map(el => el.name || el.id)`))
	noErr(p.t, err)
	if len(unlabelled) > 0 {
		p.t.Errorf("%s: controls without a label: %v", name, unlabelled)
	}
	b, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	noErr(p.t, os.WriteFile(filepath.Join(p.dir, name+".png"), b, 0o644))
}

// onRequestPage is true once the address is a request's page (htmx puts
// it in the history after it shows the page).
const onRequestPage = `/^\/requests\/[a-z2-7]{16}$/.test(location.pathname)`

func (p *person) signIn() {
	p.t.Helper()
	p.do(chromedp.Navigate(p.base+"/requests"), chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SetValue(chromedp.ID("user"), p.name), chromedp.SetValue(chromedp.ID("password"), "password-of-"+p.name),
		chromedp.Click(chromedp.CSS(`form[action="/signin"] button`)))
	p.waitJS(`document.querySelector("h1") && document.querySelector("h1").textContent === "My requests"`)
}

// The flow in a real browser, against the simulator: alice sets up and
// tests VMware; bob asks for a VM and sees it PENDING; alice approves it
// from the approvals page; bob's page, never reloaded, shows the stages
// and ends READY with an IP. Along the way: bob sees no approve button,
// a stale approval gets the conflict message, carol of another tenant
// gets 404 by URL, a form from another origin is refused, and sign-out
// ends the session. Each page is saved as a screenshot.
func TestBrowserRequestFlow(t *testing.T) {
	bctx := chrome(t)
	e := newEnv(t)
	sim, err := simproc.Start(e.ctx, vsphere.SimOptions{IPDelay: 300 * time.Millisecond})
	noErr(t, err)
	t.Cleanup(sim.Close)
	wctx, stopWorkers := context.WithCancel(e.ctx)
	workersDone := make(chan struct{})
	go func() {
		defer close(workersDone)
		_, _ = e.app.Serve(wctx, app.ServeOptions{Worker: "test", Workers: 2, Lease: time.Minute, Poll: 50 * time.Millisecond, Grace: time.Second})
	}()
	t.Cleanup(func() { stopWorkers(); <-workersDone })

	anon := e.person(t, bctx, "nobody")
	anon.do(chromedp.EmulateViewport(1280, 720), chromedp.Navigate(anon.base+"/signin"), chromedp.WaitVisible(chromedp.ID("password")))
	anon.shot("01-signin")

	// alice configures VMware through the settings page and tests it.
	alice := e.person(t, bctx, "alice")
	alice.do(chromedp.EmulateViewport(1280, 900))
	alice.signIn()
	s := sim.Settings("dvmm")
	alice.do(chromedp.Navigate(alice.base+"/settings"), chromedp.WaitVisible(chromedp.ID("v-url")))
	for id, v := range map[string]string{"v-url": s.URL, "v-username": s.Username, "v-password": sim.Password(),
		"v-datacenter": s.Datacenter, "v-cluster": s.Cluster, "v-datastore": s.Datastore, "v-network": s.Network,
		"v-template": s.Template, "v-folder": "dvmm", "v-thumbprint": s.Thumbprint} {
		alice.do(chromedp.SetValue(chromedp.ID(id), v))
	}
	alice.do(chromedp.Click(chromedp.CSS(`form.vmware button[type=submit]`)))
	alice.waitJS(`document.querySelector(".note.ok") !== null && document.querySelector(".note.ok").textContent.includes("VMware settings saved")`)
	if v := alice.eval(`document.getElementById("v-password").value === ""`); !v {
		t.Fatal("the password field shows a value after saving")
	}
	alice.do(chromedp.Click(chromedp.CSS(`form.test button`)))
	alice.waitJS(`document.querySelectorAll("ul.checks li").length > 0`)
	if alice.eval(`document.querySelectorAll("ul.checks li.bad").length > 0`) {
		t.Fatalf("a VMware check failed: %s", alice.text("ul.checks"))
	}
	alice.shot("08-settings")

	// bob asks for a VM; a first try with a bad name keeps what he typed.
	bob := e.person(t, bctx, "bob")
	bob.do(chromedp.EmulateViewport(1280, 900))
	bob.signIn()
	bob.do(chromedp.Click(chromedp.CSS(`a[href="/requests/new"]`)), chromedp.WaitVisible(chromedp.ID("justification")),
		chromedp.SetValue(chromedp.ID("name"), "Web_01"), chromedp.SetValue(chromedp.ID("project"), "shop"),
		chromedp.Click(chromedp.CSS(`input[name=size][value=S]`)),
		chromedp.SetValue(chromedp.ID("justification"), `<script>alert("x")</script> load tests for the shop`),
		chromedp.Click(chromedp.CSS(`form[action="/requests/new"] button[type=submit]`)))
	bob.waitJS(`document.getElementById("name-error") !== null`)
	if !bob.eval(`document.getElementById("project").value === "shop" && document.querySelector("input[name=size][value=S]").checked`) {
		t.Fatal("the form lost what bob typed")
	}
	bob.shot("03-new-request-errors")
	bob.do(chromedp.SetValue(chromedp.ID("name"), "web-01"), chromedp.Click(chromedp.CSS(`form[action="/requests/new"] button[type=submit]`)))
	bob.waitJS(`document.querySelector("#status .status") !== null`)
	if st := bob.text("#status .status"); st != "PENDING" {
		t.Fatalf("bob's new request is %q", st)
	}
	if bob.eval(`document.querySelector('form[action$="/approve"]') !== null`) {
		t.Fatal("bob sees an approve button on his own request")
	}
	if !strings.Contains(bob.text(".quote"), `<script>alert("x")</script>`) || bob.eval(`window.__xss === true || document.querySelectorAll("main script").length > 0`) {
		t.Fatal("the justification is not shown as text")
	}
	bob.waitJS(onRequestPage)
	loc, err := chromedp.Run(bob.ctx, chromedp.Location())
	noErr(t, err)
	id := strings.TrimPrefix(strings.Split(loc, "?")[0], bob.base+"/requests/")
	bob.shot("04-request-pending")
	bob.do(chromedp.Navigate(bob.base+"/requests"), chromedp.WaitVisible(chromedp.CSS("table.list")))
	bob.shot("02-my-requests")

	// A stale approval: alice looks at a second request, bob cancels it,
	// alice's approval of what she saw is refused with the conflict message.
	bob.do(chromedp.Navigate(bob.base+"/requests/new"), chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SetValue(chromedp.ID("name"), "web-02"), chromedp.SetValue(chromedp.ID("project"), "shop"),
		chromedp.SetValue(chromedp.ID("justification"), "a second VM for the shop"),
		chromedp.Click(chromedp.CSS(`form[action="/requests/new"] button[type=submit]`)))
	bob.waitJS(`document.querySelector("#status .status") !== null`)
	bob.waitJS(onRequestPage)
	loc2, err := chromedp.Run(bob.ctx, chromedp.Location())
	noErr(t, err)
	id2 := strings.TrimPrefix(strings.Split(loc2, "?")[0], bob.base+"/requests/")
	alice.do(chromedp.Navigate(alice.base+"/approvals"), chromedp.WaitVisible(chromedp.ID("req-"+id2)))
	alice.shot("05-approvals")
	bob.do(chromedp.Click(chromedp.CSS(`form[action$="/cancel"] button`)))
	bob.waitJS(`document.querySelector("#status .status") !== null && document.querySelector("#status .status").textContent === "CANCELLED"`)
	alice.do(chromedp.Click(chromedp.CSS(`form[action="/requests/` + id2 + `/approve"] button`)))
	alice.waitJS(`document.querySelector(".note.bad") !== null`)
	if msg := alice.text(".note.bad"); !strings.Contains(msg, "changed since you looked") {
		t.Fatalf("stale approval: %q", msg)
	}
	alice.shot("06-approvals-conflict")

	// bob watches his first request, and his list in a second tab; alice
	// approves it from the approvals page.
	bobList := &person{t: t, name: "bob (list tab)", base: bob.base, dir: bob.dir}
	var cancelTab context.CancelFunc
	bobList.ctx, cancelTab = chromedp.NewContext(bob.ctx)
	t.Cleanup(cancelTab)
	bobList.do(chromedp.Navigate(bob.base+"/requests"), chromedp.WaitVisible(chromedp.CSS("table.list")),
		chromedp.Evaluate[chromedp.Void](`window.__notReloaded = true`))
	bob.do(chromedp.Navigate(bob.base+"/requests/"+id), chromedp.WaitVisible(chromedp.CSS("#status .status")),
		chromedp.Evaluate[chromedp.Void](`window.__notReloaded = true`))
	alice.do(chromedp.Click(chromedp.CSS(`form[action="/requests/` + id + `/approve"] button`)))
	alice.waitJS(`document.querySelector(".note.ok") !== null && document.querySelector(".note.ok").textContent.includes("Approved")`)
	bob.waitJS(`document.querySelector("#status .status").textContent === "READY"`)
	if !bob.eval(`window.__notReloaded === true`) {
		t.Fatal("bob's page was reloaded: the status did not come live")
	}
	timeline := bob.text("#timeline")
	for _, want := range []string{"Approved by alice", "Provisioning started", "Cloning template", "Powering on", "VM ready (IP 10."} {
		if !strings.Contains(timeline, want) {
			t.Fatalf("the live timeline lacks %q:\n%s", want, timeline)
		}
	}
	if ip := bob.text("#ip"); !strings.HasPrefix(ip, "10.") {
		t.Fatalf("IP %q", ip)
	}
	bob.shot("07-request-ready")
	bobList.waitJS(`[...document.querySelectorAll("table.list tbody tr")].some(tr => tr.textContent.includes("web-01") && tr.textContent.includes("READY") && tr.textContent.includes("10."))`)
	if !bobList.eval(`window.__notReloaded === true`) {
		t.Fatal("bob's list was reloaded: the status did not come live")
	}

	bob.do(chromedp.Navigate(bob.base+"/vms"), chromedp.WaitVisible(chromedp.CSS("table.list")))
	bob.shot("09-vms")
	bob.do(chromedp.Click(chromedp.CSS(`table.list a`)), chromedp.WaitVisible(chromedp.CSS(".power")))
	if p := bob.text(".power"); p != "poweredOn" {
		t.Fatalf("live power state %q", p)
	}
	bob.shot("10-vm")

	// A phone: 360 px wide.
	bob.do(chromedp.EmulateViewport(360, 740), chromedp.Navigate(bob.base+"/requests"), chromedp.WaitVisible(chromedp.CSS("table.list")))
	if bob.eval(`document.documentElement.scrollWidth > 360`) {
		t.Fatal("My requests is wider than 360 px")
	}
	bob.shot("11-my-requests-360px")
	bob.do(chromedp.Navigate(bob.base+"/requests/"+id), chromedp.WaitVisible(chromedp.CSS("#timeline")))
	if bob.eval(`document.documentElement.scrollWidth > 360`) {
		t.Fatal("the request page is wider than 360 px")
	}
	bob.shot("12-request-360px")
	for _, at := range []struct {
		who  *person
		path string
	}{{bob, "/requests/new"}, {bob, "/vms"}, {bob, "/vms/" + id}, {alice, "/approvals"}, {alice, "/settings"}} {
		at.who.do(chromedp.EmulateViewport(360, 740), chromedp.Navigate(at.who.base+at.path), chromedp.WaitVisible(chromedp.CSS("h1")))
		if at.who.eval(`document.documentElement.scrollWidth > 360`) {
			t.Fatalf("%s is wider than 360 px", at.path)
		}
		at.who.do(chromedp.EmulateViewport(1280, 900))
	}
	bob.do(chromedp.EmulateViewport(1280, 900))

	// carol of globex opens bob's request by its URL.
	carol := e.person(t, bctx, "carol")
	carol.do(chromedp.EmulateViewport(1280, 720))
	// carol signs in with the keyboard alone: the user field has the
	// focus, Tab moves to the password, Enter sends the form.
	carol.do(chromedp.Navigate(carol.base+"/signin"), chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.KeyEvent("carol"), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("password-of-carol"), chromedp.KeyEvent(kb.Enter))
	carol.waitJS(`document.querySelector("h1") !== null && document.querySelector("h1").textContent === "My requests"`)
	// On a page just loaded, the first Tab reaches the skip link, which
	// leads past the menu.
	carol.do(chromedp.Navigate(carol.base+"/requests"), chromedp.WaitVisible(chromedp.CSS("h1")), chromedp.KeyEvent(kb.Tab))
	if !carol.eval(`document.activeElement.className === "skip"`) {
		active, _ := chromedp.Run(carol.ctx, chromedp.Evaluate[string](`document.activeElement.outerHTML.slice(0, 120)`))
		t.Fatalf("the first Tab does not reach the skip link but %s", active)
	}
	resp, err := chromedp.Run(carol.ctx, chromedp.NavigateResponse(carol.base+"/requests/"+id))
	noErr(t, err)
	if resp.Status != http.StatusNotFound || carol.text("h1") != "Not found" {
		t.Fatalf("another tenant's request: %d %q", resp.Status, carol.text("h1"))
	}
	carol.shot("13-not-found")

	// A form posted from another origin, with bob's session cookie.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><form method="post" action="%s/requests/new"><input name="name" value="evil-01">`+
			`<input name="project" value="shop"><input name="justification" value="made by another site">`+
			`<button id="go" type="submit">go</button></form>`, e.srv.URL)
	}))
	t.Cleanup(evil.Close)
	bob.do(chromedp.Navigate(evil.URL), chromedp.WaitVisible(chromedp.ID("go")))
	resp, err = chromedp.RunResponse(bob.ctx, chromedp.Click(chromedp.ID("go")))
	noErr(t, err)
	if resp.Status != http.StatusForbidden || bob.text("h1") != "Not allowed" {
		t.Fatalf("a form from another origin: %d %q", resp.Status, bob.text("h1"))
	}
	bob.shot("14-cross-origin-refused")
	vs, err := e.app.ListRequests(e.ctx, app.Actor{User: "bob", Tenant: "acme"}, app.RequestFilter{})
	noErr(t, err)
	for _, v := range vs {
		if v.Name == "evil-01" {
			t.Fatal("the cross-origin form made a request")
		}
	}

	// Sign-out ends the session: the cookie's token no longer works.
	bob.do(chromedp.Navigate(bob.base+"/requests"), chromedp.WaitVisible(chromedp.CSS(`form[action="/signout"] button`)),
		chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	bob.waitJS(`document.getElementById("password") !== null && location.pathname === "/signin"`)
	if msg := bob.text(".note.ok"); !strings.Contains(msg, "signed out") {
		t.Fatalf("after sign-out: %q", msg)
	}
	bob.shot("15-signed-out")
	bob.do(chromedp.Navigate(bob.base+"/requests"), chromedp.WaitVisible(chromedp.ID("password")))
	if loc, _ := chromedp.Run(bob.ctx, chromedp.Location()); !strings.Contains(loc, "/signin?next=") {
		t.Fatalf("after sign-out, My requests is %s", loc)
	}
}

// With JavaScript off, every step is a plain form and a plain page: bob
// signs in, asks for a VM (after an error that keeps what he typed), sees
// it PENDING, filters his list and cancels it; sign-out works too.
func TestBrowserWithoutJavaScript(t *testing.T) {
	bctx := chrome(t)
	e := newEnv(t)
	bob := e.person(t, bctx, "bob")
	_, err := chromedp.Call(bob.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	noErr(t, err)
	bob.do(chromedp.EmulateViewport(1280, 800))
	click := func(sel string, status int64) {
		t.Helper()
		resp, err := chromedp.RunResponse(bob.ctx, chromedp.Click(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("click %s: %v", sel, err)
		}
		if resp.Status != status {
			t.Fatalf("click %s: status %d, want %d", sel, resp.Status, status)
		}
	}
	bob.do(chromedp.Navigate(bob.base+"/requests/new"), chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SetValue(chromedp.ID("user"), "bob"), chromedp.SetValue(chromedp.ID("password"), "password-of-bob"))
	click(`form[action="/signin"] button`, http.StatusOK)
	bob.do(chromedp.WaitVisible(chromedp.ID("justification")),
		chromedp.SetValue(chromedp.ID("name"), "web-01"), chromedp.SetValue(chromedp.ID("project"), "shop"),
		chromedp.SetValue(chromedp.ID("justification"), "short"))
	click(`form[action="/requests/new"] button[type=submit]`, http.StatusUnprocessableEntity)
	if msg := bob.text("#justification-error"); !strings.Contains(msg, "too short") {
		t.Fatalf("justification error %q", msg)
	}
	bob.do(chromedp.SetValue(chromedp.ID("justification"), "load tests for the shop"))
	click(`form[action="/requests/new"] button[type=submit]`, http.StatusOK)
	if st := bob.text("#status .status"); st != "PENDING" {
		t.Fatalf("status %q", st)
	}
	if bob.eval(`typeof window.htmx !== "undefined"`) {
		t.Fatal("the page's scripts ran: JavaScript is not off")
	}
	bob.do(chromedp.Navigate(bob.base+"/requests"), chromedp.WaitVisible(chromedp.ID("f-status")),
		chromedp.SetValue(chromedp.ID("f-status"), "pending"))
	click(`form.filters button`, http.StatusOK)
	if got := bob.text("table.list tbody"); !strings.Contains(got, "web-01") {
		t.Fatalf("filtered list: %q", got)
	}
	bob.shot("16-my-requests-no-javascript")
	click(`table.list a`, http.StatusOK)
	click(`form[action$="/cancel"] button`, http.StatusOK)
	if st := bob.text("#status .status"); st != "CANCELLED" {
		t.Fatalf("after cancel: %q", st)
	}
	click(`form[action="/signout"] button`, http.StatusOK)
	bob.do(chromedp.WaitVisible(chromedp.ID("password")))
}

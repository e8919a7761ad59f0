package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"github.com/dvmm/dvmm/internal/contract"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/textsafe"
)

// The assets: htmx.min.js is htmx 2.0.11 as published on npm
// (htmx.org@2.0.11, dist/htmx.min.js), unchanged; app.js and app.css are
// dvmm's own.
//
//go:embed assets templates
var files embed.FS

// assetSet serves the embedded assets under names that carry a hash of
// their content, so a browser may keep them for a year: a new build with
// a changed file gives it a new name.
type assetSet struct {
	byName map[string]string // "app.css" → "/static/app.3f9a0c1d2e.css"
	byPath map[string][]byte // "/static/app.3f9a0c1d2e.css" → content
	gzPath map[string][]byte // the same, gzipped once at start
}

func loadAssets() *assetSet {
	a := &assetSet{byName: map[string]string{}, byPath: map[string][]byte{}, gzPath: map[string][]byte{}}
	entries, err := fs.ReadDir(files, "assets")
	if err != nil {
		panic(err) // embedded at build time: cannot fail
	}
	for _, e := range entries {
		b, err := files.ReadFile("assets/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(e.Name())
		if strings.HasSuffix(e.Name(), ".min.js") {
			ext = ".min.js"
		}
		p := "/static/" + strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:5]) + ext
		a.byName[e.Name()] = p
		a.byPath[p] = b
		a.gzPath[p] = gzipped(b)
	}
	return a
}

func (a *assetSet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, ok := a.byPath[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", mime.TypeByExtension(path.Ext(r.URL.Path)))
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Vary", "Accept-Encoding")
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		b = a.gzPath[r.URL.Path]
	}
	_, _ = w.Write(b)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		if name, _, _ := strings.Cut(strings.TrimSpace(part), ";"); name == "gzip" {
			return true
		}
	}
	return false
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

// pageTemplate is one page: the layout with the page's own blocks.
type pageTemplate struct{ t *template.Template }

var pageNames = []string{"signin", "requests", "new", "request", "approvals", "vms", "vm", "settings", "error"}

func loadPages(assets *assetSet) map[string]*pageTemplate {
	funcs := template.FuncMap{
		"asset": func(name string) string { return assets.byName[name] },
		// text shows one line a user or vCenter typed: html/template
		// escapes markup, textsafe makes invisible and direction-changing
		// characters visible, as the CLI shows them.
		"text": textsafe.Escape,
		// words is a timeline step as the CLI words it.
		"words": contract.TimelineText,
		"lines": func(s string) []string { return textsafe.Block(s, "") },
		"short": func(id string) string {
			if len(id) > 8 {
				return id[:8]
			}
			return id
		},
		"when": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
		},
		"iso":       func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"upper":     strings.ToUpper,
		"sizes":     func() []app.Size { return app.Sizes },
		"statuses":  func() []app.Status { return app.Statuses },
		"stageText": func(s app.Stage) string { return stageNames[s] },
	}
	pages := map[string]*pageTemplate{}
	for _, name := range pageNames {
		t := template.Must(template.New(name).Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/parts.html", "templates/"+name+".html"))
		pages[name] = &pageTemplate{t: t}
	}
	return pages
}

// stageNames are the provisioning stages as a person reads them.
var stageNames = map[app.Stage]string{
	app.StageCloning:        "cloning the template",
	app.StageConfiguring:    "configuring CPU, memory and disk",
	app.StagePoweringOn:     "powering on",
	app.StageWaitingNetwork: "waiting for the network",
	app.StageAdopting:       "adopting an earlier attempt's VM",
}

// view is what every page gets: who is signed in, where, and the page's data.
type view struct {
	Title   string
	Nav     string // which menu entry is the current page
	User    string
	Tenant  string
	Tenants []app.Membership
	Admin   bool
	Flash   string
	Error   string
	Data    any
}

func (s *Server) view(sess *session, title, nav string, data any) view {
	v := view{Title: title, Nav: nav, Data: data}
	if sess != nil {
		v.User, v.Tenant, v.Tenants, v.Admin = sess.actor.User, sess.actor.Tenant, sess.tenants, sess.role == app.RoleAdmin
	}
	return v
}

// render writes a page. It renders into a buffer first, so a template
// error becomes a clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	if f := r.URL.Query().Get("done"); f != "" {
		v.Flash = flashes[f]
	}
	var buf bytes.Buffer
	if err := s.pages[name].t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.Log.Error("web: template", "page", name, "error", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Pages hold tenant data: never kept by a shared cache, nor by the
	// browser once the session ends.
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "Cookie, HX-Request, Accept-Encoding")
	body := buf.Bytes()
	// A page holds no secret that a reflected input could be compared
	// with (the session is in a cookie, the VMware password never shown),
	// so compressing it gives nothing away.
	if len(body) > 1400 && acceptsGzip(r) {
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.DefaultCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		h.Set("Content-Encoding", "gzip")
		body = z.Bytes()
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// renderPart renders one named block (a live fragment) to a string.
func (s *Server) renderPart(page, block string, data any) (string, error) {
	var buf bytes.Buffer
	err := s.pages[page].t.ExecuteTemplate(&buf, block, data)
	return buf.String(), err
}

// flashes are the notes a page shows after a form did its work; the
// redirect names one by key, so no user text travels in a URL.
var flashes = map[string]string{
	"created":   "Your request was sent. An admin of your tenant will look at it.",
	"approved":  "Approved: the VM is being made.",
	"rejected":  "Rejected: the requester sees your reason.",
	"cancelled": "The request is cancelled.",
	"retried":   "A new attempt has started.",
	"member":    "Membership saved.",
	"vmware":    "VMware settings saved.",
	"signedout": "You are signed out.",
	"tenant":    "Tenant switched.",
}

// errorPage shows a refusal or failure with the status the API would give.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, sess *session, err error) {
	status := statusOf(err)
	title := map[int]string{400: "Not valid", 401: "Signed out", 403: "Not allowed", 404: "Not found",
		409: "Changed meanwhile", 413: "Too large", 503: "Unavailable"}[status]
	if title == "" {
		title = "Error"
	}
	if status >= 500 && status != 503 {
		s.Log.Error("web", "route", r.Pattern, "error", err.Error())
	}
	s.render(w, r, status, "error", s.view(sess, title, "", messageOf(err)))
}

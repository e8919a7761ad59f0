package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/dvmm/dvmm/internal/app"
)

// settingsData is the tenant settings page: members and roles, the
// VMware settings (never the password) and the last connection test.
type settingsData struct {
	Tenant     app.TenantView
	Vmware     app.VMwareSettings
	Configured bool
	Checks     []app.Check
	Tested     bool
	NewUser    string
	NewRole    string
	Errors     map[string]string
}

func (s *Server) loadSettings(r *http.Request, sess *session) (settingsData, error) {
	d := settingsData{Errors: map[string]string{}, NewRole: string(app.RoleUser)}
	if sess.role != app.RoleAdmin {
		return d, app.Errorf(app.KindForbidden, "Only an admin of %s can see its settings.", sess.actor.Tenant)
	}
	ts, err := s.App.Tenants(r.Context())
	if err != nil {
		return d, err
	}
	for _, t := range ts {
		if t.Name == sess.actor.Tenant {
			d.Tenant = t
		}
	}
	vs, err := s.App.ShowVMware(r.Context(), sess.actor)
	switch {
	case err == nil:
		d.Vmware, d.Configured = vs, true
	case app.ErrorKind(err) == app.KindNotFound:
	default:
		return d, err
	}
	return d, nil
}

func (s *Server) settings(w http.ResponseWriter, r *http.Request, sess *session) {
	d, err := s.loadSettings(r, sess)
	if err != nil {
		s.errorPage(w, r, sess, err)
		return
	}
	s.render(w, r, http.StatusOK, "settings", s.view(sess, "Tenant settings", "settings", d))
}

func (s *Server) addMember(w http.ResponseWriter, r *http.Request, sess *session) {
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, sess, err)
		return
	}
	user, roleText := strings.TrimSpace(r.PostForm.Get("user")), r.PostForm.Get("role")
	role, err := app.ParseRole(roleText)
	if err == nil {
		_, err = s.App.AddMember(r.Context(), sess.actor, sess.actor.Tenant, user, role)
	}
	if err == nil {
		redirect(w, r, "/settings?done=member")
		return
	}
	s.settingsRefused(w, r, sess, err, func(d *settingsData) {
		d.NewUser, d.NewRole = user, roleText
		d.Errors["member"] = messageOf(err)
	})
}

// setVmware records the VMware settings. The password field is
// write-only: the page never shows it, and it must be given with every
// change, as with 'dvmm vmware set' and the API.
func (s *Server) setVmware(w http.ResponseWriter, r *http.Request, sess *session) {
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, sess, err)
		return
	}
	f := r.PostForm
	in := app.VMwareSettings{URL: strings.TrimSpace(f.Get("url")), Username: strings.TrimSpace(f.Get("username")),
		Datacenter: strings.TrimSpace(f.Get("datacenter")), Cluster: strings.TrimSpace(f.Get("cluster")),
		ResourcePool: strings.TrimSpace(f.Get("resource_pool")), Datastore: strings.TrimSpace(f.Get("datastore")),
		Network: strings.TrimSpace(f.Get("network")), Template: strings.TrimSpace(f.Get("template")),
		Folder: strings.TrimSpace(f.Get("folder")), Thumbprint: strings.TrimSpace(f.Get("thumbprint")), CAFile: strings.TrimSpace(f.Get("ca_file")),
		Insecure: f.Get("insecure") == "on"}
	var err error
	if t := strings.TrimSpace(f.Get("ip_timeout_seconds")); t != "" {
		if in.IPTimeoutSec, err = strconv.Atoi(t); err != nil {
			err = app.Errorf(app.KindInvalid, "the IP timeout is a whole number of seconds")
		}
	}
	password := f.Get("password")
	if err == nil && strings.TrimSpace(password) == "" {
		err = app.Errorf(app.KindInvalid, "password is required")
	}
	if err == nil {
		_, err = s.App.SetVMware(r.Context(), sess.actor, in, password)
	}
	if err == nil {
		redirect(w, r, "/settings?done=vmware")
		return
	}
	s.settingsRefused(w, r, sess, err, func(d *settingsData) {
		in.HasPassword = d.Vmware.HasPassword
		d.Vmware = in
		d.Errors["vmware"] = messageOf(err)
	})
}

// testVmware logs in to the tenant's vCenter and shows each check.
func (s *Server) testVmware(w http.ResponseWriter, r *http.Request, sess *session) {
	d, err := s.loadSettings(r, sess)
	if err != nil {
		s.errorPage(w, r, sess, err)
		return
	}
	checks, err := s.App.TestVMware(r.Context(), sess.actor)
	if err != nil {
		d.Errors["test"] = messageOf(err)
	}
	d.Checks, d.Tested = checks, true
	s.render(w, r, http.StatusOK, "settings", s.view(sess, "Tenant settings", "settings", d))
}

// settingsRefused shows the settings page again with what the form left.
func (s *Server) settingsRefused(w http.ResponseWriter, r *http.Request, sess *session, err error, fill func(*settingsData)) {
	kind := app.ErrorKind(err)
	if kind != app.KindInvalid && kind != app.KindConflict && kind != app.KindNotFound {
		s.errorPage(w, r, sess, err)
		return
	}
	d, lerr := s.loadSettings(r, sess)
	if lerr != nil {
		s.errorPage(w, r, sess, lerr)
		return
	}
	fill(&d)
	s.render(w, r, statusOf(err), "settings", s.view(sess, "Tenant settings", "settings", d))
}

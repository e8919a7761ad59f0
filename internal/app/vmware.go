package app

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultIPTimeout is how long provisioning waits for a VM's IP before it
// calls the VM ready with the IP pending.
const DefaultIPTimeout = 2 * time.Minute

// VMwareSettings says where a tenant's VMs are made. It holds no password:
// that is a secret kept apart (see SecretBox).
type VMwareSettings struct {
	URL          string `json:"url"`
	Username     string `json:"username"`
	Datacenter   string `json:"datacenter"`
	Cluster      string `json:"cluster,omitempty"`
	ResourcePool string `json:"resource_pool,omitempty"`
	Datastore    string `json:"datastore"`
	Network      string `json:"network"`
	Template     string `json:"template"`
	Folder       string `json:"folder"`
	CAFile       string `json:"ca_file,omitempty"`
	Thumbprint   string `json:"thumbprint,omitempty"`
	Insecure     bool   `json:"insecure,omitempty"`
	IPTimeoutSec int    `json:"ip_timeout_seconds"`
	// MaxTasks is how many clone and power tasks dvmm runs on this
	// vCenter at once, across every worker and serve process; 0 is
	// DefaultMaxTasks.
	MaxTasks    int  `json:"max_tasks,omitempty"`
	HasPassword bool `json:"password_set"`
}

// DefaultMaxTasks is the task limit per vCenter when none is set: low,
// like vCenter's own default provisioning concurrency.
const DefaultMaxTasks = 4

// MaxMaxTasks bounds --max-tasks.
const MaxMaxTasks = 64

// TaskLimit is how many tasks may run on the vCenter at once.
func (s VMwareSettings) TaskLimit() int {
	if s.MaxTasks <= 0 {
		return DefaultMaxTasks
	}
	return s.MaxTasks
}

// TaskSlot names the vCenter for the queue's per-vCenter limit: its host
// and port, so tenants that share a vCenter share its limit.
func (s VMwareSettings) TaskSlot() string {
	u, err := url.Parse(s.URL)
	if err != nil || u.Hostname() == "" {
		return "vcenter:" + s.URL
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	return "vcenter:" + strings.ToLower(u.Hostname()) + ":" + port
}

// IPTimeout is the deadline for a VM's IP.
func (s VMwareSettings) IPTimeout() time.Duration {
	if s.IPTimeoutSec <= 0 {
		return DefaultIPTimeout
	}
	return time.Duration(s.IPTimeoutSec) * time.Second
}

// Validate checks the settings before they are recorded.
func (s VMwareSettings) Validate() error {
	if len(s.URL) > maxURL {
		return Errorf(KindInvalid, "the vCenter URL is %d characters long: at most %d", len(s.URL), maxURL)
	}
	u, err := url.Parse(s.URL)
	if s.URL == "" || err != nil || u.Hostname() == "" || !validPort(u.Port()) || strings.ContainsAny(s.URL, " \t\n") {
		return Errorf(KindInvalid, "invalid vCenter URL %q: use https://host/sdk", showURL(s.URL))
	}
	if u.Scheme != "https" {
		return Errorf(KindInvalid, "vCenter URL must use https, not %s", quote(u.Scheme, 10))
	}
	if u.User != nil {
		return Coded(KindInvalid, CodeUserInURL, "the vCenter URL names a user")
	}
	required := []struct{ name, v string }{
		{"username", s.Username}, {"datacenter", s.Datacenter}, {"datastore", s.Datastore},
		{"network", s.Network}, {"template", s.Template}, {"folder", s.Folder},
	}
	for _, f := range required {
		if strings.TrimSpace(f.v) == "" {
			return Errorf(KindInvalid, "%s is required", f.name)
		}
		if err := validateText(f.name, f.v, 1, 255); err != nil {
			return err
		}
	}
	for _, part := range strings.Split(s.Folder, "/") {
		if part == "" || part == "." || part == ".." {
			return Errorf(KindInvalid, "folder %s has an empty, '.' or '..' part: give a path like dvmm or teams/dvmm", quote(s.Folder, 60))
		}
	}
	if s.Thumbprint != "" && !validThumbprint(s.Thumbprint) {
		return Errorf(KindInvalid, "thumbprint %s is not a SHA-1 or SHA-256 fingerprint: 20 or 32 hex bytes, colons between them optional", quote(s.Thumbprint, 40))
	}
	if s.Cluster == "" && s.ResourcePool == "" {
		return Errorf(KindInvalid, "give a cluster or a resource pool")
	}
	tls := 0
	for _, set := range []bool{s.CAFile != "", s.Thumbprint != "", s.Insecure} {
		if set {
			tls++
		}
	}
	if tls > 1 {
		return Coded(KindInvalid, CodeTrustConflict, "more than one way to trust vCenter is given")
	}
	if s.MaxTasks < 0 || s.MaxTasks > MaxMaxTasks {
		return Errorf(KindInvalid, "the task limit must be between 1 and %d", MaxMaxTasks)
	}
	if s.IPTimeoutSec < 0 || s.IPTimeoutSec > 24*3600 {
		return Errorf(KindInvalid, "IP timeout must be between 0 and 24h")
	}
	if !s.HasPassword {
		return Coded(KindInvalid, CodePasswordRequired, "a password is required")
	}
	return nil
}

// maxURL bounds the vCenter URL: a real one is far shorter.
const maxURL = 2048

// validThumbprint accepts a SHA-1 or SHA-256 certificate fingerprint in
// hex, with or without colons between the bytes.
func validThumbprint(t string) bool {
	hex := strings.ReplaceAll(t, ":", "")
	if strings.Contains(t, ":") && strings.Count(t, ":") != len(hex)/2-1 {
		return false
	}
	if len(hex) != 40 && len(hex) != 64 {
		return false
	}
	for _, r := range hex {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

// showURL is a URL as an error message may echo it: whatever stands
// before an '@' (a user, a password) is left out.
func showURL(raw string) string {
	at := strings.LastIndex(raw, "@")
	if at < 0 {
		return Clip(raw, 80)
	}
	from := 0
	if i := strings.Index(raw[:at], "://"); i >= 0 {
		from = i + 3
	}
	return Clip(raw[:from]+"…@"+raw[at+1:], 80)
}

// validPort accepts no port, or one from 1 to 65535.
func validPort(p string) bool {
	if p == "" {
		return true
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

// Target is everything an adapter needs to reach a tenant's vCenter,
// password included. It lives in memory only.
type Target struct {
	Tenant   string
	Settings VMwareSettings
	Password string
}

// String never shows the password.
func (t Target) String() string { return t.Settings.Username + "@" + t.Settings.URL }

// GoString never shows the password either.
func (t Target) GoString() string { return t.String() }

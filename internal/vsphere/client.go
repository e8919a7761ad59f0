// Package vsphere is dvmm's adapter to VMware vCenter, built on govmomi:
// it implements app.Hypervisor (sessions, clone, size, power, IP, lookup
// of an earlier attempt's VM, error classification, circuit breaker) and
// embeds govmomi's vCenter simulator for 'dvmm demo' and 'dvmm sim'.
package vsphere

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"
	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/session/keepalive"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dvmm/dvmm/internal/app"
)

var _ app.Hypervisor = (*Client)(nil)

// Options configures a Client. The zero value is usable.
type Options struct {
	Logger *slog.Logger
	// KeepAlive is the idle time between keep-alive calls on a logged-in
	// session; 0 means 5 minutes, negative means none.
	KeepAlive time.Duration
	// TaskTimeout bounds each vCenter task (clone, reconfigure, power,
	// destroy); 0 means 30 minutes.
	TaskTimeout time.Duration
	// LoginTimeout bounds connecting and logging in to vCenter (the TLS
	// handshake, the service content, the login); 0 means 30 seconds. A
	// vCenter that accepts connections and never answers is then a
	// transient timeout, not a hang.
	LoginTimeout time.Duration
	// CallTimeout bounds each SOAP call after login (property reads,
	// lookups, starting a task); 0 means 2 minutes. The long polls that
	// wait for a task to end are bounded by TaskTimeout instead.
	CallTimeout time.Duration
	// BreakerFailures is how many consecutive connectivity failures open
	// a vCenter's circuit; 0 means 3.
	BreakerFailures uint32
	// BreakerCooldown is how long an open circuit refuses calls before it
	// lets one through to test vCenter again; 0 means 20 seconds.
	BreakerCooldown time.Duration
}

// Client is the Hypervisor backed by vCenter. It keeps one logged-in
// session per endpoint (URL, user, password, TLS settings), shared by
// all calls, and one circuit breaker per vCenter URL. It is safe for
// concurrent use.
type Client struct {
	opts   Options
	log    *slog.Logger
	secret []byte // keys the password fingerprints of session keys

	mu        sync.Mutex
	endpoints map[string]*endpoint
	breakers  map[string]*gobreaker.CircuitBreaker[struct{}]

	logins atomic.Int64
}

// New returns a Client.
func New(opts Options) *Client {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.KeepAlive == 0 {
		opts.KeepAlive = 5 * time.Minute
	}
	if opts.LoginTimeout <= 0 {
		opts.LoginTimeout = 30 * time.Second
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 2 * time.Minute
	}
	if opts.TaskTimeout <= 0 {
		opts.TaskTimeout = 30 * time.Minute
	}
	if opts.BreakerFailures == 0 {
		opts.BreakerFailures = 3
	}
	if opts.BreakerCooldown <= 0 {
		opts.BreakerCooldown = 20 * time.Second
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	return &Client{opts: opts, log: opts.Logger, secret: secret,
		endpoints: map[string]*endpoint{}, breakers: map[string]*gobreaker.CircuitBreaker[struct{}]{}}
}

// Close logs out of every session, giving up after 5 seconds.
func (c *Client) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.mu.Lock()
	eps := make([]*endpoint, 0, len(c.endpoints))
	for k, ep := range c.endpoints {
		eps = append(eps, ep)
		delete(c.endpoints, k)
	}
	c.mu.Unlock()
	var errs []error
	for _, ep := range eps {
		errs = append(errs, ep.logout(ctx))
	}
	return errors.Join(errs...)
}

// String names the client without any secret.
func (c *Client) String() string { return "vsphere.Client" }

// endpoint is one vCenter session: a SOAP client and its login.
type endpoint struct {
	url      *url.URL
	base     string // URL without user info, the breaker's key
	settings app.VMwareSettings
	w        where

	login chan struct{} // serialises logins

	mu       sync.Mutex
	vc       *vim25.Client
	ka       *keepalive.HandlerSOAP
	loggedIn bool
	gen      uint64    // counts logins, so a stale session is expired once
	rejected time.Time // when vCenter last refused this password
	rejectFn error
}

// rejectedFor is how long a refused password is not tried again, so that
// retries and lookups do not lock the vCenter account.
const rejectedFor = time.Minute

// endpoint returns the session of t, creating it (not logged in) on first use.
func (c *Client) endpoint(t app.Target) (*endpoint, error) {
	s := t.Settings
	u, err := soap.ParseURL(strings.TrimSpace(s.URL))
	if err != nil || u == nil || u.Host == "" {
		return nil, &app.Fault{Code: app.FaultVsphere, Message: scrub(fmt.Sprintf("invalid vCenter URL %q: use https://host/sdk", s.URL), t.Password)}
	}
	u.User = nil
	base := u.String()
	// The password is part of the key (as an HMAC with a per-process key):
	// a session logged in with one password is never lent to a caller
	// that holds another.
	mac := hmac.New(sha256.New, c.secret)
	mac.Write([]byte(t.Password))
	key := strings.Join([]string{base, s.Username, fmt.Sprint(s.Insecure), s.Thumbprint, s.CAFile,
		hex.EncodeToString(mac.Sum(nil))}, "\x00")

	c.mu.Lock()
	defer c.mu.Unlock()
	if ep, ok := c.endpoints[key]; ok {
		return ep, nil
	}
	ep := &endpoint{url: u, base: base, settings: s, w: where{host: u.Host, user: s.Username}, login: make(chan struct{}, 1)}
	c.endpoints[key] = ep
	return ep, nil
}

// client returns the endpoint's logged-in client and its login
// generation, logging in first if needed.
func (ep *endpoint) client(ctx context.Context, c *Client, password string) (*vim25.Client, uint64, error) {
	ep.mu.Lock()
	if ep.loggedIn {
		defer ep.mu.Unlock()
		return ep.vc, ep.gen, nil
	}
	ep.mu.Unlock()

	select {
	case ep.login <- struct{}{}:
		defer func() { <-ep.login }()
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	}
	ep.mu.Lock()
	vc, loggedIn, gen := ep.vc, ep.loggedIn, ep.gen
	rejected, rejectErr := ep.rejected, ep.rejectFn
	ep.mu.Unlock()
	if loggedIn {
		return vc, gen, nil // another call logged in meanwhile
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.LoginTimeout)
	defer cancel()
	if !rejected.IsZero() && time.Since(rejected) < rejectedFor {
		return nil, 0, rejectErr
	}
	if vc == nil {
		var ka *keepalive.HandlerSOAP
		var err error
		vc, ka, err = c.dial(ctx, ep)
		if err != nil {
			return nil, 0, err
		}
		ep.mu.Lock()
		ep.vc, ep.ka = vc, ka
		ep.mu.Unlock()
	}
	if err := session.NewManager(vc).Login(ctx, url.UserPassword(ep.settings.Username, password)); err != nil {
		if fault.Is(err, &types.InvalidLogin{}) {
			ep.mu.Lock()
			ep.rejected, ep.rejectFn = time.Now(), err
			ep.mu.Unlock()
		}
		return nil, 0, err
	}
	c.logins.Add(1)
	c.log.Info("logged in to vCenter", slog.String("vcenter", ep.w.host), slog.String("user", ep.settings.Username))
	ep.mu.Lock()
	defer ep.mu.Unlock()
	ep.loggedIn = true
	ep.rejected, ep.rejectFn = time.Time{}, nil
	ep.gen++
	return ep.vc, ep.gen, nil
}

// dial makes the SOAP client with the endpoint's TLS settings.
func (c *Client) dial(ctx context.Context, ep *endpoint) (*vim25.Client, *keepalive.HandlerSOAP, error) {
	s := ep.settings
	sc := soap.NewClient(ep.url, s.Insecure)
	sc.UserAgent = "dvmm"
	switch {
	case s.Insecure:
	case s.Thumbprint != "":
		// Pin the certificate: govmomi's own thumbprint fallback would
		// first try (and fail) a CA-verified handshake on every new
		// connection, and accept any CA-trusted certificate.
		tp := normalizeThumbprint(s.Thumbprint)
		sc.SetThumbprint(ep.url.Host, tp)
		cfg := sc.DefaultTransport().TLSClientConfig
		cfg.InsecureSkipVerify = true
		cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return &thumbprintError{host: ep.url.Host}
			}
			cert, err := x509.ParseCertificate(raw[0])
			if err != nil {
				return err
			}
			if tp != soap.ThumbprintSHA256(cert) && tp != soap.ThumbprintSHA1(cert) {
				return &thumbprintError{host: ep.url.Host, got: soap.ThumbprintSHA256(cert)}
			}
			return nil
		}
	case s.CAFile != "":
		if err := sc.SetRootCAs(s.CAFile); err != nil {
			return nil, nil, &app.Fault{Code: app.FaultTLS, Err: err,
				Message: fmt.Sprintf("cannot use the CA file %s: %s", s.CAFile, firstLine(err.Error()))}
		}
	}
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return nil, nil, err
	}
	var ka *keepalive.HandlerSOAP
	if c.opts.KeepAlive > 0 {
		ka = keepalive.NewHandlerSOAP(sc, c.opts.KeepAlive, nil)
		vc.RoundTripper = ka
	}
	vc.RoundTripper = callDeadline{next: vc.RoundTripper, limit: c.opts.CallTimeout}
	return vc, ka, nil
}

// callDeadline gives each SOAP call a deadline, so that a vCenter that
// logged us in and then stops answering ends the call with a timeout
// rather than holding a worker for ever. A property collector's wait for
// updates is a long poll that may rightly last as long as a task: it
// keeps the caller's deadline (TaskTimeout for task waits).
type callDeadline struct {
	next  soap.RoundTripper
	limit time.Duration
}

func (d callDeadline) RoundTrip(ctx context.Context, req, res soap.HasFault) error {
	switch req.(type) {
	case *methods.WaitForUpdatesExBody, *methods.WaitForUpdatesBody:
		return d.next.RoundTrip(ctx, req, res)
	}
	ctx, cancel := context.WithTimeout(ctx, d.limit)
	defer cancel()
	return d.next.RoundTrip(ctx, req, res)
}

// expire forgets a login that vCenter no longer knows, unless another
// call has already logged in again.
func (ep *endpoint) expire(gen uint64) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if ep.gen == gen {
		ep.loggedIn = false // the keep-alive goes on; the next login reuses it
	}
}

func (ep *endpoint) logout(ctx context.Context) error {
	ep.mu.Lock()
	vc, loggedIn := ep.vc, ep.loggedIn
	ep.loggedIn = false
	ep.mu.Unlock()
	if vc == nil {
		return nil
	}
	if !loggedIn {
		if ep.ka != nil {
			ep.ka.Stop()
		}
		return nil
	}
	// Logging out through the keep-alive handler stops it too.
	return classify(session.NewManager(vc).Logout(ctx), ep.w)
}

// conn is what an operation gets: a logged-in client and the settings.
type conn struct {
	vc       *vim25.Client
	settings app.VMwareSettings
	w        where
	c        *Client
	lastErr  error // of a check, to log in again when the session expired
}

// do runs op with a logged-in session of t. When vCenter says the session
// is gone, it logs in again once and runs op again. Errors come back as
// *app.Fault (or a progress callback's error, wrapped in stopped). With
// guard, the call goes through the vCenter's circuit breaker.
func (c *Client) do(ctx context.Context, t app.Target, guard bool, op func(ctx context.Context, s *conn) error) error {
	ep, err := c.endpoint(t)
	if err != nil {
		return err
	}
	w := ep.w
	w.password = t.Password
	call := func() error {
		for try := 0; ; try++ {
			vc, gen, err := ep.client(ctx, c, t.Password)
			if err != nil {
				return classify(err, w)
			}
			err = op(ctx, &conn{vc: vc, settings: t.Settings, w: w, c: c})
			if try == 0 && isNotAuthenticated(err) {
				c.log.Info("vCenter session expired, logging in again", slog.String("vcenter", w.host))
				ep.expire(gen)
				continue
			}
			return classify(err, w)
		}
	}
	if !guard {
		return call()
	}
	var out error
	_, berr := c.breaker(ep.base, w.host).Execute(func() (struct{}, error) {
		out = call()
		if ctx.Err() == nil && isConnectivity(out) {
			return struct{}{}, out
		}
		return struct{}{}, nil // vCenter answered: the circuit stays closed
	})
	if errors.Is(berr, gobreaker.ErrOpenState) || errors.Is(berr, gobreaker.ErrTooManyRequests) {
		return &app.Fault{Code: app.FaultUnreachable, Transient: true, Err: berr,
			Message: fmt.Sprintf("vCenter %s is unreachable (circuit open): waiting %s before trying again", w.host, c.opts.BreakerCooldown)}
	}
	return out
}

// breaker returns the circuit breaker of a vCenter URL.
func (c *Client) breaker(base, host string) *gobreaker.CircuitBreaker[struct{}] {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b, ok := c.breakers[base]; ok {
		return b
	}
	failures := c.opts.BreakerFailures
	b := gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        host,
		MaxRequests: 1,
		Timeout:     c.opts.BreakerCooldown,
		ReadyToTrip: func(n gobreaker.Counts) bool { return n.ConsecutiveFailures >= failures },
		OnStateChange: func(name string, from, to gobreaker.State) {
			c.log.Warn("vCenter circuit breaker", slog.String("vcenter", name), slog.String("from", from.String()), slog.String("to", to.String()))
		},
	})
	c.breakers[base] = b
	return b
}

// thumbprintError says the server's certificate is not the pinned one.
type thumbprintError struct{ host, got string }

func (e *thumbprintError) Error() string {
	return fmt.Sprintf("the certificate of %s does not match the configured thumbprint (it is %s)", e.host, e.got)
}

// normalizeThumbprint accepts a SHA-1 or SHA-256 thumbprint with or
// without colons, in any case, and returns govmomi's form (AA:BB:...).
func normalizeThumbprint(tp string) string {
	hexOnly := strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9', r >= 'A' && r <= 'F':
			return r
		case r >= 'a' && r <= 'f':
			return r - 'a' + 'A'
		}
		return -1
	}, tp)
	if len(hexOnly)%2 != 0 {
		return strings.ToUpper(tp)
	}
	parts := make([]string, 0, len(hexOnly)/2)
	for i := 0; i < len(hexOnly); i += 2 {
		parts = append(parts, hexOnly[i:i+2])
	}
	return strings.Join(parts, ":")
}

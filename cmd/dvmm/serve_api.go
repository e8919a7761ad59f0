package main

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/auth"
	"github.com/dvmm/dvmm/internal/httpapi"
	"github.com/dvmm/dvmm/internal/oidcauth"
	"github.com/dvmm/dvmm/internal/safefile"
	"github.com/dvmm/dvmm/internal/web"
)

// apiSettings are serve's HTTP API flags (flag > DVMM_* > config file).
type apiSettings struct {
	listen, certFile, keyFile string
	insecureHTTP              bool
	cert                      *tls.Certificate
	oidc                      *oidcauth.Config // nil without --oidc-issuer
}

func apiOptions(c *cli) (apiSettings, error) {
	o := apiSettings{listen: c.v.GetString("listen"), certFile: c.v.GetString("tls-cert"),
		keyFile: c.v.GetString("tls-key"), insecureHTTP: c.v.GetBool("insecure-http")}
	if (o.certFile == "") != (o.keyFile == "") {
		return o, usageError("--tls-cert and --tls-key go together")
	}
	if o.listen == "" {
		if o.certFile != "" || o.insecureHTTP {
			return o, usageError("--tls-cert, --tls-key and --insecure-http need --listen")
		}
		return o, nil
	}
	host, port, err := net.SplitHostPort(o.listen)
	if err != nil || port == "" {
		return o, usageError("--listen %s is not host:port (e.g. 127.0.0.1:8080)", clipValue(o.listen))
	}
	if o.certFile == "" && !o.insecureHTTP && !isLoopback(host) {
		return o, usageError("--listen %s is not a loopback address: give --tls-cert and --tls-key, or --insecure-http to send tokens in clear", clipValue(o.listen))
	}
	if issuer := c.v.GetString("oidc-issuer"); issuer != "" {
		cfg := &oidcauth.Config{Issuer: issuer, ClientID: c.v.GetString("oidc-client-id"),
			UserClaim: c.v.GetString("oidc-user-claim"), GroupsClaim: c.v.GetString("oidc-groups-claim"),
			PlatformAdminGroup: c.v.GetString("oidc-platform-admin-group"), GroupRoles: map[string][]app.Membership{}}
		if cfg.ClientID == "" {
			return o, usageError("--oidc-issuer needs --oidc-client-id: the audience of the ID tokens")
		}
		if f := c.v.GetString("oidc-client-secret-file"); f != "" {
			data, err := safefile.ReadFile(f, safefile.MaxPassword)
			if err != nil {
				return o, usageError("--oidc-client-secret-file: %s", err.Error())
			}
			cfg.ClientSecret = strings.TrimSpace(string(data))
		}
		for _, gr := range c.v.GetStringSlice("oidc-group-role") {
			group, m, err := oidcauth.ParseGroupRole(gr)
			if err != nil {
				return o, err
			}
			cfg.GroupRoles[group] = append(cfg.GroupRoles[group], m)
		}
		o.oidc = cfg
	} else if c.v.GetString("oidc-client-id") != "" || len(c.v.GetStringSlice("oidc-group-role")) > 0 {
		return o, usageError("the --oidc-* settings need --oidc-issuer")
	}
	if o.certFile != "" {
		// Loaded now, so a bad pair is refused before anything is opened.
		cert, err := tls.LoadX509KeyPair(o.certFile, o.keyFile)
		if err != nil {
			return o, usageError("cannot load --tls-cert/--tls-key: %s", app.FirstLine(err.Error()))
		}
		o.cert = &cert
	}
	return o, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// startAPI serves the API until ctx ends; the returned func waits for it
// to finish answering the calls in flight.
func startAPI(ctx context.Context, c *cli, a *app.App, o apiSettings, workers int, running *atomic.Bool) (func(), error) {
	api := &httpapi.Server{App: a, Log: c.log, Ready: func(ctx context.Context) error {
		if err := c.db.Ping(ctx); err != nil {
			return app.Errorf(app.KindUnavailable, "the database does not answer")
		}
		if workers > 0 && !running.Load() {
			return app.Errorf(app.KindUnavailable, "the queue workers are not running")
		}
		return nil
	}}
	if workers > 0 {
		// approve --wait from a remote CLI runs its request's work here.
		api.Work = ctx
	}
	if o.oidc != nil {
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		v, err := oidcauth.New(dctx, *o.oidc)
		cancel()
		if err != nil {
			return nil, &exitError{code: ExitUnavailable, msg: "cannot use the identity provider: " + app.FirstLine(err.Error())}
		}
		api.OIDC = v
	}
	// The web page shares the API's endpoint, identities and sign-in
	// throttles: guesses through either count together.
	api.Accounts, api.Addresses = auth.NewThrottle(a.Now), auth.NewThrottle(a.Now)
	api.Addresses.Free = 10
	page := &web.Server{App: a, Log: c.log, Accounts: api.Accounts, Addresses: api.Addresses, OIDC: api.OIDC}
	mux := http.NewServeMux()
	apiHandler := api.Handler()
	mux.Handle("/api/", apiHandler)
	mux.Handle("/healthz", apiHandler)
	mux.Handle("/readyz", apiHandler)
	mux.Handle("/", page.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(c.log.Handler(), slog.LevelWarn)}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return nil, &exitError{code: ExitUnavailable, msg: "cannot listen on " + o.listen + ": " + errors.Unwrap(err).Error()}
	}
	scheme := "http"
	if o.cert != nil {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*o.cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
		scheme = "https"
	}
	c.log.Info("API listening", slog.String("url", scheme+"://"+ln.Addr().String()+"/api/v1"))
	c.log.Info("web page listening", slog.String("url", scheme+"://"+ln.Addr().String()+"/"))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.log.Error("API stopped", slog.String("error", err.Error()))
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	return func() { <-done }, nil
}

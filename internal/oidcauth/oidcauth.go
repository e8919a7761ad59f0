// Package oidcauth lets people of a team's identity provider use dvmm's API
// with the ID token their provider issued (OpenID Connect): it checks the
// token's signature, issuer, audience and expiry with go-oidc, takes the
// user name from a claim, and maps group claims to tenant roles. It holds
// no state; the API edge asks it, then the application records the roles.
package oidcauth

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/dvmm/dvmm/internal/app"
)

// Config is the 'oidc' settings of serve.
type Config struct {
	Issuer   string // the provider's issuer URL; its discovery document is read at start
	ClientID string // the audience ID tokens must be for
	// ClientSecret lets the web page sign people in with the provider
	// (authorization code flow); without it only bearer ID tokens work.
	ClientSecret string
	// UserClaim names the claim that is the dvmm user name (default
	// preferred_username); its value must be a valid dvmm user name.
	UserClaim string
	// GroupsClaim names the claim listing the user's groups (default groups).
	GroupsClaim string
	// GroupRoles maps a group to tenant roles, e.g. "acme-admins" to
	// acme:admin.
	GroupRoles map[string][]app.Membership
	// PlatformAdminGroup, when set, is the group whose members hold the
	// platform role.
	PlatformAdminGroup string
}

// Identity is who an ID token proves someone to be, with the tenant roles
// their groups give.
type Identity struct {
	User          string
	PlatformAdmin bool
	Memberships   []app.Membership
}

// Verifier checks ID tokens of one provider.
type Verifier struct {
	cfg      Config
	verifier *oidc.IDTokenVerifier
	endpoint oauth2.Endpoint
}

// New reads the provider's discovery document and keys.
func New(ctx context.Context, cfg Config) (*Verifier, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" {
		return nil, errors.New("OIDC needs an issuer and a client id")
	}
	if cfg.UserClaim == "" {
		cfg.UserClaim = "preferred_username"
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	p, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("OIDC provider %s: %w", cfg.Issuer, err)
	}
	return &Verifier{cfg: cfg, verifier: p.Verifier(&oidc.Config{ClientID: cfg.ClientID}), endpoint: p.Endpoint()}, nil
}

// CanSignIn reports whether the web page may send people to the provider.
func (v *Verifier) CanSignIn() bool { return v.cfg.ClientSecret != "" }

func (v *Verifier) oauth(redirect string) *oauth2.Config {
	return &oauth2.Config{ClientID: v.cfg.ClientID, ClientSecret: v.cfg.ClientSecret, Endpoint: v.endpoint,
		RedirectURL: redirect, Scopes: []string{oidc.ScopeOpenID, "profile", "groups"}}
}

// AuthURL is where to send a browser to sign in; state and nonce tie the
// answer to this browser and this attempt.
func (v *Verifier) AuthURL(redirect, state, nonce string) string {
	return v.oauth(redirect).AuthCodeURL(state, oidc.Nonce(nonce))
}

// Exchange trades the code the provider sent back for its ID token and
// checks it (and that it carries this attempt's nonce).
func (v *Verifier) Exchange(ctx context.Context, redirect, code, nonce string) (Identity, error) {
	bad := app.Errorf(app.KindUnauthenticated, "the identity provider did not sign you in")
	tok, err := v.oauth(redirect).Exchange(ctx, code)
	if err != nil {
		return Identity{}, bad
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return Identity{}, bad
	}
	idt, err := v.verifier.Verify(ctx, raw)
	if err != nil || idt.Nonce != nonce {
		return Identity{}, bad
	}
	return v.Verify(ctx, raw)
}

// LooksLikeJWT tells an ID token from a dvmm token before any work.
func LooksLikeJWT(token string) bool { return strings.Count(token, ".") == 2 }

// Verify checks an ID token and returns the identity it proves. Every
// failure is the one unauthenticated error: what was wrong is not told.
func (v *Verifier) Verify(ctx context.Context, raw string) (Identity, error) {
	bad := app.Errorf(app.KindUnauthenticated, "the token is not valid: it is unknown, revoked or expired")
	tok, err := v.verifier.Verify(ctx, raw)
	if err != nil {
		return Identity{}, bad
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return Identity{}, bad
	}
	user, _ := claims[v.cfg.UserClaim].(string)
	user = strings.ToLower(user)
	if app.ValidateSlug("user", user) != nil {
		return Identity{}, app.Errorf(app.KindUnauthenticated, "the identity provider's %s claim is not a dvmm user name", v.cfg.UserClaim)
	}
	id := Identity{User: user}
	seen := map[app.Membership]bool{}
	for _, g := range groups(claims[v.cfg.GroupsClaim]) {
		if v.cfg.PlatformAdminGroup != "" && g == v.cfg.PlatformAdminGroup {
			id.PlatformAdmin = true
		}
		for _, m := range v.cfg.GroupRoles[g] {
			if !seen[m] {
				seen[m] = true
				id.Memberships = append(id.Memberships, m)
			}
		}
	}
	sort.Slice(id.Memberships, func(i, j int) bool {
		a, b := id.Memberships[i], id.Memberships[j]
		return a.Tenant < b.Tenant || a.Tenant == b.Tenant && a.Role < b.Role
	})
	return id, nil
}

// groups reads a groups claim: a list of strings, or one string.
func groups(v any) []string {
	switch g := v.(type) {
	case string:
		return []string{g}
	case []any:
		var out []string
		for _, x := range g {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// ParseGroupRole reads a --oidc-group-role value: GROUP=TENANT:ROLE.
func ParseGroupRole(s string) (string, app.Membership, error) {
	group, rest, ok := strings.Cut(s, "=")
	tenant, role, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 || group == "" {
		return "", app.Membership{}, app.Errorf(app.KindInvalid, "group role %q: use GROUP=TENANT:ROLE, e.g. acme-admins=acme:admin", app.Clip(s, 60))
	}
	if err := app.ValidateSlug("tenant", tenant); err != nil {
		return "", app.Membership{}, err
	}
	r, err := app.ParseRole(role)
	if err != nil {
		return "", app.Membership{}, err
	}
	return group, app.Membership{Tenant: tenant, Role: r}, nil
}

package oidcauth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"reflect"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/oidcauth"
	"github.com/dvmm/dvmm/internal/oidcauth/oidctest"
)

func TestVerify(t *testing.T) {
	p := oidctest.New(t)
	ctx := context.Background()
	v, err := oidcauth.New(ctx, oidcauth.Config{Issuer: p.URL, ClientID: "dvmm",
		GroupRoles: map[string][]app.Membership{
			"acme-admins": {{Tenant: "acme", Role: app.RoleAdmin}},
			"acme-users":  {{Tenant: "acme", Role: app.RoleUser}},
		}, PlatformAdminGroup: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := v.Verify(ctx, p.Token(t, map[string]any{"preferred_username": "Alice", "groups": []string{"acme-admins", "other", "ops"}}))
	want := oidcauth.Identity{User: "alice", PlatformAdmin: true, Memberships: []app.Membership{{Tenant: "acme", Role: app.RoleAdmin}}}
	if err != nil || !reflect.DeepEqual(id, want) {
		t.Fatalf("Verify = %+v, %v; want %+v", id, err, want)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	for _, tc := range []struct {
		name  string
		token string
	}{
		{"WrongAudience", p.Token(t, map[string]any{"preferred_username": "bob", "aud": "someone-else"})},
		{"Expired", p.Token(t, map[string]any{"preferred_username": "bob", "exp": time.Now().Add(-time.Minute).Unix()})},
		{"OtherIssuer", p.Token(t, map[string]any{"preferred_username": "bob", "iss": "https://elsewhere.example"})},
		{"SignedByAnotherKey", oidctest.SignWith(t, other, p.URL, map[string]any{"preferred_username": "bob"})},
		{"NoUserClaim", p.Token(t, map[string]any{"email": "bob@example.com"})},
		{"UserNotAName", p.Token(t, map[string]any{"preferred_username": "bob smith; drop"})},
		{"Garbage", "a.b.c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := v.Verify(ctx, tc.token); app.ErrorKind(err) != app.KindUnauthenticated {
				t.Fatalf("Verify = %v, want unauthenticated", err)
			}
		})
	}
}

func TestParseGroupRole(t *testing.T) {
	g, m, err := oidcauth.ParseGroupRole("acme-admins=acme:admin")
	if err != nil || g != "acme-admins" || m != (app.Membership{Tenant: "acme", Role: app.RoleAdmin}) {
		t.Fatalf("= %q %+v %v", g, m, err)
	}
	for _, bad := range []string{"", "acme", "=acme:admin", "g=acme", "g=acme:owner", "g=Acme!:user"} {
		if _, _, err := oidcauth.ParseGroupRole(bad); app.ErrorKind(err) != app.KindInvalid {
			t.Errorf("ParseGroupRole(%q) = %v", bad, err)
		}
	}
}

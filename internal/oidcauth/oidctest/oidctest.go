// Package oidctest is a small OpenID Connect provider for tests: a
// discovery document, its signing key (JWKS), and ID tokens it signs on
// demand.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Provider serves at URL.
type Provider struct {
	URL string
	srv *httptest.Server
	key *rsa.PrivateKey

	mu sync.Mutex
	// Next is the claims of whoever signs in next through /auth.
	next  map[string]any
	codes map[string]map[string]any // code -> claims, nonce included
}

// SignInAs makes the next browser sign-in (authorization code flow) that
// of someone with these claims.
func (p *Provider) SignInAs(claims map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next = claims
}

// New starts a provider that the test stops.
func New(t testing.TB) *Provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{key: key, codes: map[string]map[string]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": p.srv.URL, "jwks_uri": p.srv.URL + "/keys",
			"authorization_endpoint": p.srv.URL + "/auth", "token_endpoint": p.srv.URL + "/token",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	// /auth signs in whoever SignInAs named, at once, and sends the
	// browser back with a code; /token trades the code for an ID token.
	mux.HandleFunc("/auth", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		p.mu.Lock()
		claims := map[string]any{"nonce": q.Get("nonce"), "aud": q.Get("client_id")}
		for k, v := range p.next {
			claims[k] = v
		}
		code := fmt.Sprintf("code-%d", len(p.codes)+1)
		p.codes[code] = claims
		p.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code="+code+"&state="+q.Get("state"), http.StatusFound)
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		p.mu.Lock()
		claims, ok := p.codes[r.PostForm.Get("code")]
		delete(p.codes, r.PostForm.Get("code"))
		p.mu.Unlock()
		if !ok {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 3600,
			"id_token": SignWith(t, key, p.URL, claims)})
	})
	p.srv = httptest.NewServer(mux)
	p.URL = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

// Token signs an ID token with these claims over the defaults (this
// issuer, audience dvmm, valid for an hour).
func (p *Provider) Token(t testing.TB, claims map[string]any) string {
	t.Helper()
	return SignWith(t, p.key, p.srv.URL, claims)
}

// SignWith signs an ID token with another key, as a forger would.
func SignWith(t testing.TB, key *rsa.PrivateKey, issuer string, claims map[string]any) string {
	t.Helper()
	now := time.Now()
	c := map[string]any{"iss": issuer, "aud": "dvmm", "sub": "subject-1", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for k, v := range claims {
		c[k] = v
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(c)
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

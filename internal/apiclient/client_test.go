package apiclient_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/dvmm/dvmm/internal/apiclient"
	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/auth"
	"github.com/dvmm/dvmm/internal/contract"
	"github.com/dvmm/dvmm/internal/httpapi"
	"github.com/dvmm/dvmm/internal/secret"
	"github.com/dvmm/dvmm/internal/store"
)

// server is the API on a real SQLite file, with tokens for alice (admin of
// acme) and bob (user of acme).
func server(t *testing.T) (*httptest.Server, map[string]string, *store.DB) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "dvmm.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	box, err := secret.LoadOrCreate(filepath.Join(dir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(db, nil, box)
	a.PasswordParams = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	op := app.Actor{User: "root"}
	tokens := map[string]string{}
	for _, u := range []string{"alice", "bob"} {
		if _, err := a.CreateUser(ctx, op, u, "password-of-"+u, false); err != nil {
			t.Fatal(err)
		}
		tok, err := a.CreateToken(ctx, op, u, "test", 0)
		if err != nil {
			t.Fatal(err)
		}
		tokens[u] = tok.Token
	}
	if _, err := a.CreateTenant(ctx, op, "acme", "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddMember(ctx, app.Actor{User: "alice"}, "acme", "bob", app.RoleUser); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateProject(ctx, app.Actor{User: "alice", Tenant: "acme"}, "shop"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer((&httpapi.Server{App: a}).Handler())
	t.Cleanup(srv.Close)
	return srv, tokens, db
}

func TestClientSpeaksTheAPI(t *testing.T) {
	srv, tokens, _ := server(t)
	ctx := context.Background()
	bob := apiclient.New(srv.URL, tokens["bob"])
	alice := apiclient.New(srv.URL, tokens["alice"])
	acme := app.Actor{Tenant: "acme"}

	v, err := bob.CreateRequest(ctx, acme, app.NewRequestInput{Name: "web-01", Size: "S", Project: "shop", Justification: "load tests for the shop"})
	if err != nil || v.Status != app.StatusPending || v.Requester != "bob" {
		t.Fatalf("CreateRequest = %+v, %v", v, err)
	}
	shown, tl, err := bob.ShowRequest(ctx, acme, v.ID[:5])
	if err != nil || shown.ID != v.ID || len(tl) != 1 || contract.TimelineText(tl[0]) != "Request created" {
		t.Fatalf("ShowRequest = %+v, %+v, %v", shown, tl, err)
	}
	list, err := alice.ListRequests(ctx, acme, app.RequestFilter{Status: app.StatusPending, Requester: "bob"})
	if err != nil || len(list) != 1 || list[0].ID != v.ID {
		t.Fatalf("ListRequests = %+v, %v", list, err)
	}
	for _, tc := range []struct {
		name string
		err  error
		kind app.Kind
	}{
		{"SelfApproval", second(bob.Approve(ctx, acme, v.ID, 1)), app.KindForbidden},
		{"StaleVersion", second(alice.Approve(ctx, acme, v.ID, 7)), app.KindConflict},
		{"Unknown", second(alice.Approve(ctx, acme, "zzzzzzzz", 1)), app.KindNotFound},
		{"ShortReason", second(alice.Reject(ctx, acme, v.ID, "no", 1)), app.KindInvalid},
		{"NoToken", second(apiclient.New(srv.URL, "").ListRequests(ctx, acme, app.RequestFilter{})), app.KindUnauthenticated},
		{"BadToken", second(apiclient.New(srv.URL, "dvmm_aaaaaaaaaa_bbbb").ListRequests(ctx, acme, app.RequestFilter{})), app.KindUnauthenticated},
		{"NotAPlatformAdmin", second(alice.CreateTenant(ctx, acme, "initech", "alice")), app.KindForbidden},
		{"ServerDown", second(apiclient.New("http://127.0.0.1:1", tokens["bob"]).ListRequests(ctx, acme, app.RequestFilter{})), app.KindUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := app.ErrorKind(tc.err); got != tc.kind || app.ErrorMessage(tc.err) == "" {
				t.Fatalf("error %v of kind %s, want %s", tc.err, got, tc.kind)
			}
		})
	}
	r, err := alice.Reject(ctx, acme, v.ID, "not in this quarter budget", 1)
	if err != nil || r.Status != app.StatusRejected || r.DecidedBy != "alice" {
		t.Fatalf("Reject = %+v, %v", r, err)
	}
	w, err := bob.Whoami(ctx, app.Actor{})
	if err != nil || w.User != "bob" || w.Tenant != "acme" || len(w.Tenants) != 1 {
		t.Fatalf("Whoami = %+v, %v", w, err)
	}
	tok, err := apiclient.New(srv.URL, "").Login(ctx, "bob", "password-of-bob", "cli")
	if err != nil || tok.Token == "" || tok.Name != "cli" {
		t.Fatalf("Login = %+v, %v", tok, err)
	}
	ts, err := bob.ListTokens(ctx, acme, "bob")
	if err != nil || len(ts) != 2 {
		t.Fatalf("ListTokens = %+v, %v", ts, err)
	}
	if err := bob.RevokeToken(ctx, acme, "bob", tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := apiclient.New(srv.URL, tok.Token).Whoami(ctx, app.Actor{}); app.ErrorKind(err) != app.KindUnauthenticated {
		t.Fatalf("a revoked token: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

package app

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dvmm/dvmm/internal/auth"
)

// Who acts. In local mode (a CLI that opened the database file) the OS user
// who can open it is the operator: every Actor there is local. Over the
// API, Actor.Remote is set and the actor is the authenticated identity;
// operator work (tenants, users, rebuild) then needs the platform role.

// requireOperator allows operator work: any local actor, or a remote one
// with the platform role.
func requireOperator(actor Actor, what string) error {
	if !actor.Remote || actor.PlatformAdmin {
		return nil
	}
	return Errorf(KindForbidden, "only a platform admin may %s", what)
}

// Identity is who a password or token proved someone to be.
type Identity struct {
	User          string `json:"user"`
	PlatformAdmin bool   `json:"platform_admin"`
	TokenID       string `json:"token_id,omitempty"`
}

// NewToken is a token as made: its secret text is in Token, shown once.
type NewToken struct {
	TokenInfo
	Token string `json:"token"`
}

// errBadLogin is the one answer to a failed sign-in, whatever failed, so
// that nobody learns which user names exist.
var errBadLogin = Errorf(KindUnauthenticated, "wrong user name or password")

// errBadToken is the one answer to a token that does not authenticate.
var errBadToken = Errorf(KindUnauthenticated, "the token is not valid: it is unknown, revoked or expired")

// CreateUser makes a local account with a password (operator work).
func (a *App) CreateUser(ctx context.Context, actor Actor, name, password string, platformAdmin bool) (Identity, error) {
	if err := requireOperator(actor, "create users"); err != nil {
		return Identity{}, err
	}
	if err := validatePassword(password); err != nil {
		return Identity{}, err
	}
	hash, err := auth.HashPassword(password, a.PasswordParams)
	if err != nil {
		return Identity{}, err
	}
	err = a.Store.Update(ctx, func(tx Tx) error {
		u, err := loadUser(ctx, tx, name)
		if err != nil {
			return err
		}
		payloads, err := u.Create(platformAdmin)
		if err != nil {
			return err
		}
		payloads = append(payloads, UserPasswordSet{})
		if _, err := a.record(ctx, tx, "", StreamUser, name, u.Version(), a.meta(actor), payloads...); err != nil {
			return err
		}
		return tx.PutCredential(ctx, Credential{Kind: CredentialPassword, ID: name, User: name, Hash: hash, At: a.Now()})
	})
	return Identity{User: name, PlatformAdmin: platformAdmin}, err
}

// MinPassword is the shortest password accepted.
const MinPassword = 8

func validatePassword(pw string) error {
	if len(pw) > auth.MaxPasswordLen {
		return Errorf(KindInvalid, "the password is too long: at most %d bytes", auth.MaxPasswordLen)
	}
	if err := validateText("password", pw, MinPassword, auth.MaxPasswordLen); err != nil {
		// validateText speaks of characters; the message must not echo the password.
		return Errorf(KindInvalid, "the password must be at least %d characters of valid text", MinPassword)
	}
	return nil
}

// SetPassword changes a password: the operator for anyone, a remote user
// for themselves.
func (a *App) SetPassword(ctx context.Context, actor Actor, name, password string) error {
	if actor.Remote && actor.User != name {
		if err := requireOperator(actor, "change another user's password"); err != nil {
			return err
		}
	}
	if err := validatePassword(password); err != nil {
		return err
	}
	hash, err := auth.HashPassword(password, a.PasswordParams)
	if err != nil {
		return err
	}
	return a.Store.Update(ctx, func(tx Tx) error {
		u, err := loadUser(ctx, tx, name)
		if err != nil {
			return err
		}
		payloads, err := u.SetPassword()
		if err != nil {
			return err
		}
		if _, err := a.record(ctx, tx, "", StreamUser, name, u.Version(), a.meta(actor), payloads...); err != nil {
			return err
		}
		return tx.PutCredential(ctx, Credential{Kind: CredentialPassword, ID: name, User: name, Hash: hash, At: a.Now()})
	})
}

// DisableUser stops an account: no sign-in, no token works (operator work).
func (a *App) DisableUser(ctx context.Context, actor Actor, name string) error {
	if err := requireOperator(actor, "disable users"); err != nil {
		return err
	}
	return a.updateUser(ctx, actor, name, (*User).Disable)
}

// GrantPlatformAdmin gives a user the platform role (operator work).
func (a *App) GrantPlatformAdmin(ctx context.Context, actor Actor, name string) error {
	if err := requireOperator(actor, "grant the platform role"); err != nil {
		return err
	}
	return a.updateUser(ctx, actor, name, (*User).GrantPlatformAdmin)
}

func (a *App) updateUser(ctx context.Context, actor Actor, name string, decide func(*User) ([]Payload, error)) error {
	return a.Store.Update(ctx, func(tx Tx) error {
		u, err := loadUser(ctx, tx, name)
		if err != nil {
			return err
		}
		payloads, err := decide(u)
		if err != nil {
			return err
		}
		_, err = a.record(ctx, tx, "", StreamUser, name, u.Version(), a.meta(actor), payloads...)
		return err
	})
}

// Token lifetime bounds.
const MaxTokenLifetime = 5 * 365 * 24 * time.Hour

// CreateToken makes a personal API token for user, valid for ttl (0: until
// revoked): the operator for anyone, a remote user for themselves.
func (a *App) CreateToken(ctx context.Context, actor Actor, user, name string, ttl time.Duration) (NewToken, error) {
	if err := a.mayManageTokens(actor, user); err != nil {
		return NewToken{}, err
	}
	if ttl < 0 || ttl > MaxTokenLifetime {
		return NewToken{}, Errorf(KindInvalid, "a token lasts from a second to %d days", int(MaxTokenLifetime/(24*time.Hour)))
	}
	text, id, hash, err := auth.NewToken()
	if err != nil {
		return NewToken{}, err
	}
	now := a.Now()
	var expires time.Time
	if ttl > 0 {
		expires = now.Add(ttl)
	}
	var info TokenInfo
	err = a.Store.Update(ctx, func(tx Tx) error {
		u, err := loadUser(ctx, tx, user)
		if err != nil {
			return err
		}
		payloads, err := u.CreateToken(id, name, expires)
		if err != nil {
			return err
		}
		events, err := a.record(ctx, tx, "", StreamUser, user, u.Version(), a.meta(actor), payloads...)
		if err != nil {
			return err
		}
		info = TokenInfo{ID: id, Name: name, User: user, CreatedAt: events[0].At, ExpiresAt: expires}
		return tx.PutCredential(ctx, Credential{Kind: CredentialToken, ID: id, User: user, Hash: hash, At: now})
	})
	return NewToken{TokenInfo: info, Token: text}, err
}

func (a *App) mayManageTokens(actor Actor, user string) error {
	if actor.Remote && actor.User != user {
		return requireOperator(actor, "manage another user's tokens")
	}
	return nil
}

// ListTokens lists a user's tokens, oldest first, never their secrets.
func (a *App) ListTokens(ctx context.Context, actor Actor, user string) ([]TokenInfo, error) {
	if err := a.mayManageTokens(actor, user); err != nil {
		return nil, err
	}
	events, err := a.Events.LoadStream(ctx, StreamUser, user)
	if err != nil {
		return nil, err
	}
	u := NewUser(user, events)
	if !u.Exists() {
		return nil, Errorf(KindNotFound, "user %s not found", Clip(user, 63))
	}
	return u.Tokens(), nil
}

// RevokeToken ends a token at once.
func (a *App) RevokeToken(ctx context.Context, actor Actor, user, id string) error {
	if err := a.mayManageTokens(actor, user); err != nil {
		return err
	}
	return a.updateUser(ctx, actor, user, func(u *User) ([]Payload, error) { return u.RevokeToken(id) })
}

// Login checks a user name and password. Every failure gives the same
// error after the same work: an unknown or disabled user is checked
// against a dummy hash, so the time tells nothing either.
func (a *App) Login(ctx context.Context, name, password string) (Identity, error) {
	if ValidateSlug("user", name) != nil || len(password) > auth.MaxPasswordLen {
		auth.VerifyNobody(password)
		return Identity{}, errBadLogin
	}
	events, err := a.Events.LoadStream(ctx, StreamUser, name)
	if err != nil {
		return Identity{}, err
	}
	u := NewUser(name, events)
	cred, err := a.Creds.Credential(ctx, CredentialPassword, name)
	if ErrorKind(err) == KindNotFound || !u.Exists() || u.Disabled() {
		auth.VerifyNobody(password)
		return Identity{}, errBadLogin
	}
	if err != nil {
		return Identity{}, err
	}
	ok, err := auth.VerifyPassword(cred.Hash, password)
	if err != nil || !ok {
		return Identity{}, errBadLogin
	}
	return Identity{User: name, PlatformAdmin: u.PlatformAdmin()}, nil
}

// AuthenticateToken checks a presented API token.
func (a *App) AuthenticateToken(ctx context.Context, text string) (Identity, error) {
	id, secret, err := auth.ParseToken(text)
	if err != nil {
		return Identity{}, errBadToken
	}
	cred, err := a.Creds.Credential(ctx, CredentialToken, id)
	if ErrorKind(err) == KindNotFound {
		return Identity{}, errBadToken
	}
	if err != nil {
		return Identity{}, err
	}
	if !auth.TokenMatches(cred.Hash, secret) {
		return Identity{}, errBadToken
	}
	events, err := a.Events.LoadStream(ctx, StreamUser, cred.User)
	if err != nil {
		return Identity{}, err
	}
	u := NewUser(cred.User, events)
	t, ok := u.Token(id)
	if !ok || u.Disabled() || !t.Usable(a.Now()) {
		return Identity{}, errBadToken
	}
	return Identity{User: u.Name(), PlatformAdmin: u.PlatformAdmin(), TokenID: id}, nil
}

// TenantsOf lists the tenants a user belongs to, with their role, by name.
func (a *App) TenantsOf(ctx context.Context, user string) ([]Membership, error) {
	tenants, err := a.Views.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	var out []Membership
	for _, t := range tenants {
		for _, m := range t.Members {
			if m.User == user {
				out = append(out, Membership{Tenant: t.Name, Role: m.Role})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Tenant < out[j].Tenant })
	return out, nil
}

// Membership is one tenant a user belongs to.
type Membership struct {
	Tenant string `json:"tenant"`
	Role   Role   `json:"role"`
}

func loadUser(ctx context.Context, tx Tx, name string) (*User, error) {
	if err := ValidateSlug("user", name); err != nil {
		return nil, err
	}
	events, err := tx.LoadStream(ctx, StreamUser, name)
	if err != nil {
		return nil, err
	}
	return NewUser(name, events), nil
}

// ParseLifetime reads a token lifetime: a number of days ("90d") or a Go
// duration ("12h", "30m"); "" means no expiry. It refuses what it would
// have to round: a lifetime is never silently shortened or made endless.
func ParseLifetime(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	bad := Errorf(KindInvalid, "lifetime %s: use days (90d) or hours and minutes (12h, 30m), at most %d days", quote(s, 20), int(MaxTokenLifetime/(24*time.Hour)))
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 || n > int(MaxTokenLifetime/(24*time.Hour)) {
			return 0, bad
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil || d < time.Minute || d > MaxTokenLifetime {
			return 0, bad
		}
	}
	return d, nil
}

// IdentityProviderActor is the actor of the memberships an identity
// provider's groups grant.
const IdentityProviderActor = "oidc"

// ApplyProviderMemberships records the tenant roles an identity provider's
// groups give user (OIDC sign-in): a role the user lacks is granted, as the
// provider's decision; nothing is ever taken away here.
func (a *App) ApplyProviderMemberships(ctx context.Context, user string, ms []Membership, source string) error {
	for _, m := range ms {
		// Most calls find the role in place: a read, not a write.
		if v, err := a.Views.Tenant(ctx, m.Tenant); err == nil {
			has := false
			for _, mem := range v.Members {
				has = has || mem.User == user && (mem.Role == m.Role || mem.Role == RoleAdmin)
			}
			if has {
				continue
			}
		}
		err := a.Store.Update(ctx, func(tx Tx) error {
			t, err := loadTenant(ctx, tx, m.Tenant)
			if err != nil {
				return err
			}
			payloads, err := t.GrantByIdentityProvider(user, m.Role)
			if err != nil || len(payloads) == 0 {
				return err
			}
			_, err = a.record(ctx, tx, m.Tenant, StreamTenant, m.Tenant, t.Version(),
				Metadata{Actor: IdentityProviderActor, Source: source}, payloads...)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// EnsureProviderUser makes the account of someone the identity provider
// signed in, the first time (with no password: they sign in through the
// provider), so that sessions and tokens work for them as for anyone. A
// disabled account stays disabled: the provider cannot undo that.
func (a *App) EnsureProviderUser(ctx context.Context, name string, platformAdmin bool, source string) (Identity, error) {
	var id Identity
	err := a.Store.Update(ctx, func(tx Tx) error {
		u, err := loadUser(ctx, tx, name)
		if err != nil {
			return err
		}
		if u.Disabled() {
			return Errorf(KindUnauthenticated, "the account %s is disabled", name)
		}
		if !u.Exists() {
			payloads, err := u.Create(false)
			if err != nil {
				return err
			}
			if _, err := a.record(ctx, tx, "", StreamUser, name, u.Version(), Metadata{Actor: IdentityProviderActor, Source: source}, payloads...); err != nil {
				return err
			}
		}
		id = Identity{User: name, PlatformAdmin: platformAdmin || u.PlatformAdmin()}
		return nil
	})
	return id, err
}

package app

import (
	"sort"
	"time"
)

// StreamUser holds one stream per user account: its creation, password
// changes (that they happened, never the password or its hash), its
// platform role, whether it is disabled, and its personal API tokens.
const StreamUser = "user"

// Event type names of user accounts. Stored in the log: never rename one.
const (
	EvUserCreated              = "user.created"
	EvUserPasswordSet          = "user.password_set"
	EvUserDisabled             = "user.disabled"
	EvUserPlatformAdminGranted = "user.platform_admin_granted"
	EvUserTokenCreated         = "user.token_created"
	EvUserTokenRevoked         = "user.token_revoked"
)

type UserCreated struct {
	Name          string `json:"name"`
	PlatformAdmin bool   `json:"platform_admin,omitempty"`
}

// UserPasswordSet records that the password changed. The argon2id hash is
// kept apart from the log (the credentials store), like sealed secrets.
type UserPasswordSet struct{}

type UserDisabled struct{}

type UserPlatformAdminGranted struct{}

// UserTokenCreated records a personal API token by its public id. The
// token's secret is shown once and its hash kept in the credentials store.
type UserTokenCreated struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

type UserTokenRevoked struct {
	ID string `json:"id"`
}

func (UserCreated) EventType() string              { return EvUserCreated }
func (UserPasswordSet) EventType() string          { return EvUserPasswordSet }
func (UserDisabled) EventType() string             { return EvUserDisabled }
func (UserPlatformAdminGranted) EventType() string { return EvUserPlatformAdminGranted }
func (UserTokenCreated) EventType() string         { return EvUserTokenCreated }
func (UserTokenRevoked) EventType() string         { return EvUserTokenRevoked }

// TokenInfo is what dvmm shows of a token: never its secret.
type TokenInfo struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	User      string    `json:"user"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	Revoked   bool      `json:"revoked"`
}

// Usable reports whether the token may authenticate at now.
func (t TokenInfo) Usable(now time.Time) bool {
	return !t.Revoked && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}

// User is the aggregate of a user account.
type User struct {
	name          string
	version       int
	disabled      bool
	platformAdmin bool
	hasPassword   bool
	tokens        map[string]TokenInfo
}

// NewUser rebuilds a user from its events.
func NewUser(name string, events []Event) *User {
	u := &User{name: name, tokens: map[string]TokenInfo{}}
	for _, e := range events {
		u.apply(e)
	}
	return u
}

func (u *User) apply(e Event) {
	u.version = e.Version
	switch p := e.Data.(type) {
	case UserCreated:
		u.platformAdmin = p.PlatformAdmin
	case UserPasswordSet:
		u.hasPassword = true
	case UserDisabled:
		u.disabled = true
	case UserPlatformAdminGranted:
		u.platformAdmin = true
	case UserTokenCreated:
		u.tokens[p.ID] = TokenInfo{ID: p.ID, Name: p.Name, User: u.name, CreatedAt: e.At, ExpiresAt: p.ExpiresAt}
	case UserTokenRevoked:
		t := u.tokens[p.ID]
		t.Revoked = true
		u.tokens[p.ID] = t
	}
}

func (u *User) Name() string        { return u.name }
func (u *User) Version() int        { return u.version }
func (u *User) Exists() bool        { return u.version > 0 }
func (u *User) Disabled() bool      { return u.disabled }
func (u *User) PlatformAdmin() bool { return u.platformAdmin }
func (u *User) HasPassword() bool   { return u.hasPassword }

// Token returns one of the user's tokens.
func (u *User) Token(id string) (TokenInfo, bool) {
	t, ok := u.tokens[id]
	return t, ok
}

// Tokens lists the user's tokens, oldest first.
func (u *User) Tokens() []TokenInfo {
	out := make([]TokenInfo, 0, len(u.tokens))
	for _, t := range u.tokens {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Create decides the creation of an account.
func (u *User) Create(platformAdmin bool) ([]Payload, error) {
	if err := ValidateSlug("user", u.name); err != nil {
		return nil, err
	}
	if u.Exists() {
		return nil, Errorf(KindConflict, "user %s already exists", u.name)
	}
	return []Payload{UserCreated{Name: u.name, PlatformAdmin: platformAdmin}}, nil
}

func (u *User) requireActive() error {
	if !u.Exists() {
		return Errorf(KindNotFound, "user %s not found", Clip(u.name, 63))
	}
	if u.disabled {
		return Errorf(KindConflict, "user %s is disabled", u.name)
	}
	return nil
}

// SetPassword decides a password change.
func (u *User) SetPassword() ([]Payload, error) {
	if err := u.requireActive(); err != nil {
		return nil, err
	}
	return []Payload{UserPasswordSet{}}, nil
}

// Disable decides to disable the account: it can no longer sign in and
// its tokens stop working.
func (u *User) Disable() ([]Payload, error) {
	if !u.Exists() {
		return nil, Errorf(KindNotFound, "user %s not found", Clip(u.name, 63))
	}
	if u.disabled {
		return nil, nil
	}
	return []Payload{UserDisabled{}}, nil
}

// GrantPlatformAdmin decides to make the user a platform admin.
func (u *User) GrantPlatformAdmin() ([]Payload, error) {
	if err := u.requireActive(); err != nil {
		return nil, err
	}
	if u.platformAdmin {
		return nil, nil
	}
	return []Payload{UserPlatformAdminGranted{}}, nil
}

// Token name limits.
const MaxTokenName = 64

// CreateToken decides a new token with a public id already drawn.
func (u *User) CreateToken(id, name string, expiresAt time.Time) ([]Payload, error) {
	if err := u.requireActive(); err != nil {
		return nil, err
	}
	if err := validateText("token name", name, 1, MaxTokenName); err != nil {
		return nil, err
	}
	if _, taken := u.tokens[id]; taken {
		return nil, Errorf(KindConflict, "token id %s is taken", id)
	}
	return []Payload{UserTokenCreated{ID: id, Name: name, ExpiresAt: expiresAt}}, nil
}

// RevokeToken decides to revoke a token; revoking it again changes nothing.
func (u *User) RevokeToken(id string) ([]Payload, error) {
	t, ok := u.tokens[id]
	if !ok {
		return nil, Errorf(KindNotFound, "token %s of user %s not found", Clip(id, 20), u.name)
	}
	if t.Revoked {
		return nil, nil
	}
	return []Payload{UserTokenRevoked{ID: id}}, nil
}

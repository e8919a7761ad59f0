package main

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/dvmm/dvmm/internal/apiclient"
	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/safefile"
)

// service is what the commands that have an API call: the application on
// the database file (local mode), or the API of a dvmm server (remote
// mode, after 'dvmm login' or with DVMM_SERVER and DVMM_TOKEN). Both give
// the same views and the same error kinds, so a command's output and exit
// code do not depend on where it ran.
type service interface {
	CreateRequest(ctx context.Context, actor app.Actor, in app.NewRequestInput) (app.RequestView, error)
	PreviewRequest(ctx context.Context, actor app.Actor, in app.NewRequestInput) (app.RequestView, []app.QuotaView, error)
	ShowQuota(ctx context.Context, actor app.Actor, project string) (app.QuotaView, error)
	SetQuota(ctx context.Context, actor app.Actor, project string, limits app.Amount) (app.QuotaView, error)
	ListProjects(ctx context.Context, actor app.Actor) ([]app.ProjectView, bool, error)
	CreateProject(ctx context.Context, actor app.Actor, name string) (app.ProjectView, error)
	ShowProject(ctx context.Context, actor app.Actor, name string) (app.ProjectDetail, error)
	ArchiveProject(ctx context.Context, actor app.Actor, name string) (app.ProjectView, error)
	RestoreProject(ctx context.Context, actor app.Actor, name string) (app.ProjectView, error)
	AddProjectMember(ctx context.Context, actor app.Actor, name, user string) (app.ProjectView, error)
	RemoveProjectMember(ctx context.Context, actor app.Actor, name, user string) (app.ProjectView, error)
	SetProjectAccess(ctx context.Context, actor app.Actor, membersOnly bool) (bool, error)
	ListRequests(ctx context.Context, actor app.Actor, f app.RequestFilter) ([]app.RequestView, error)
	ShowRequest(ctx context.Context, actor app.Actor, id string) (app.RequestView, []app.TimelineEntry, error)
	Approve(ctx context.Context, actor app.Actor, id string, expected int) (app.RequestView, error)
	Reject(ctx context.Context, actor app.Actor, id, reason string, expected int) (app.RequestView, error)
	Cancel(ctx context.Context, actor app.Actor, id string) (app.RequestView, error)
	GiveUp(ctx context.Context, actor app.Actor, id, reason string) (app.RequestView, error)
	Retry(ctx context.Context, actor app.Actor, id string) (app.RequestView, error)
	RequestDecommission(ctx context.Context, actor app.Actor, ref, reason string) (app.RequestView, error)
	AskResize(ctx context.Context, actor app.Actor, ref, size string, allowRestart bool) (app.RequestView, error)
	ApproveResize(ctx context.Context, actor app.Actor, ref string) (app.RequestView, error)
	SwitchPower(ctx context.Context, actor app.Actor, ref string, action app.PowerAction, wait bool) (app.PowerResult, error)
	ApproveDecommission(ctx context.Context, actor app.Actor, ref string) (app.RequestView, error)
	ShowLeasePolicy(ctx context.Context, actor app.Actor) (app.LeasePolicy, error)
	SetLeasePolicy(ctx context.Context, actor app.Actor, p app.LeasePolicy) (app.LeasePolicy, error)
	ExtendLease(ctx context.Context, actor app.Actor, ref string, days int) (app.RequestView, error)
	ApproveLeaseExtension(ctx context.Context, actor app.Actor, ref string) (app.RequestView, error)
	RejectLeaseExtension(ctx context.Context, actor app.Actor, ref, reason string) (app.RequestView, error)
	ListVMs(ctx context.Context, actor app.Actor) ([]app.RequestView, error)
	VMStatus(ctx context.Context, actor app.Actor, ref string, timeout time.Duration) (app.RequestView, app.LiveVM, error)
	Reconcile(ctx context.Context, actor app.Actor, all bool) (app.ReconcileResult, error)
	ListIPPools(ctx context.Context, actor app.Actor) ([]app.IPPoolView, error)
	AddIPPool(ctx context.Context, actor app.Actor, p app.IPPool) (app.IPPoolView, error)
	RemoveIPPool(ctx context.Context, actor app.Actor, network string) error
	AddNotifyChannel(ctx context.Context, actor app.Actor, c app.NotifyChannel, secret string) (app.NotifyChannel, error)
	ListNotifyChannels(ctx context.Context, actor app.Actor) ([]app.NotifyChannel, error)
	RemoveNotifyChannel(ctx context.Context, actor app.Actor, ref string) (app.NotifyChannel, error)
	TestNotifyChannel(ctx context.Context, actor app.Actor, ref string) (app.NotifyTestResult, error)
	Tenants(ctx context.Context) ([]app.TenantView, error)
	CreateTenant(ctx context.Context, actor app.Actor, name, admin string) (app.TenantView, error)
	AddMember(ctx context.Context, actor app.Actor, tenant, user string, role app.Role) (app.TenantView, error)
	SetRole(ctx context.Context, actor app.Actor, tenant, user string, role app.Role) (app.TenantView, error)
	RemoveMember(ctx context.Context, actor app.Actor, tenant, user string) (app.TenantView, error)
	SetVMware(ctx context.Context, actor app.Actor, s app.VMwareSettings, password string) (app.VMwareSettings, error)
	ShowVMware(ctx context.Context, actor app.Actor) (app.VMwareSettings, error)
	TestVMware(ctx context.Context, actor app.Actor) ([]app.Check, error)
	ListQueue(ctx context.Context, actor app.Actor) ([]app.QueueItem, error)
	RetryCommand(ctx context.Context, actor app.Actor, id string) (app.QueueItem, error)
	ReleaseCommand(ctx context.Context, actor app.Actor, id string) (app.QueueItem, error)
	CreateToken(ctx context.Context, actor app.Actor, user, name string, ttl time.Duration) (app.NewToken, error)
	ListTokens(ctx context.Context, actor app.Actor, user string) ([]app.TokenInfo, error)
	RevokeToken(ctx context.Context, actor app.Actor, user, id string) error
}

var (
	_ service = (*app.App)(nil)
	_ service = (*apiclient.Client)(nil)
)

// credentials is what 'dvmm login' keeps: the server, who logged in and
// their token. The file is the user's alone (0600 in a 0700 folder).
type credentials struct {
	Server  string `json:"server"`
	User    string `json:"user"`
	Token   string `json:"token"`
	TokenID string `json:"token_id"`
}

func credentialsPath() string { return filepath.Join(configDir(), "credentials.json") }

// loadCredentials reads the saved login; ok is false when there is none.
func loadCredentials() (credentials, bool, error) {
	var cr credentials
	if _, err := os.Stat(credentialsPath()); err != nil {
		// Missing, or in a folder this user cannot look into: no login
		// was saved by this user.
		return cr, false, nil
	}
	data, err := safefile.ReadFile(credentialsPath(), safefile.MaxConfig)
	if errors.Is(err, fs.ErrNotExist) {
		return cr, false, nil
	}
	if err != nil {
		return cr, false, usageError("saved login: %s", err.Error())
	}
	if err := json.Unmarshal(data, &cr); err != nil || cr.Server == "" || cr.Token == "" {
		return cr, false, usageError("saved login %s is damaged: run 'dvmm login' again", credentialsPath())
	}
	return cr, true, nil
}

func saveCredentials(cr credentials) error {
	dir := filepath.Dir(credentialsPath())
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(cr, "", "  ")
	if err != nil {
		return err
	}
	tmp := credentialsPath() + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, credentialsPath())
}

// remoteClient is the API client when a server is configured: DVMM_SERVER
// and DVMM_TOKEN, else the saved login. nil means local mode.
func (c *cli) remoteClient() (*apiclient.Client, string, error) {
	if c.remoteChecked {
		return c.remote, c.remoteUser, nil
	}
	server, token := os.Getenv("DVMM_SERVER"), os.Getenv("DVMM_TOKEN")
	user := ""
	switch {
	case server != "" && token != "":
	case server != "" || token != "":
		return nil, "", usageError("DVMM_SERVER and DVMM_TOKEN go together")
	default:
		cr, ok, err := loadCredentials()
		if err != nil {
			return nil, "", err
		}
		if !ok {
			c.remoteChecked = true
			return nil, "", nil
		}
		server, token, user = cr.Server, cr.Token, cr.User
	}
	c.remote, c.remoteUser, c.remoteChecked = apiclient.New(server, token), user, true
	// Like on the database file, a command needs --tenant (or DVMM_TENANT).
	c.remote.NoDefaultTenant = true
	return c.remote, user, nil
}

// Service is the application for commands that have an API: the server
// when one is configured, else the database file.
func (c *cli) Service(ctx context.Context) (service, error) {
	rc, user, err := c.remoteClient()
	if err != nil {
		return nil, err
	}
	if rc == nil {
		return c.App(ctx)
	}
	if u := c.v.GetString("user"); u != "" && user != "" && u != user {
		return nil, usageError("you are logged in to %s as %s: --user cannot choose who you are on a server", rc.Server, user)
	}
	if user == "" {
		w, err := rc.Whoami(ctx, app.Actor{})
		if err != nil {
			return nil, err
		}
		c.remoteUser = w.User
	}
	return rc, nil
}

// remoteIdentity is who the server's token belongs to: saved at login, or
// asked of the server once (DVMM_TOKEN without a login).
func (c *cli) remoteIdentity() string {
	if c.remoteUser == "" && c.remote != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if w, err := c.remote.Whoami(ctx, app.Actor{}); err == nil {
			c.remoteUser = w.User
		}
	}
	return c.remoteUser
}

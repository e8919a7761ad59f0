package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/dvmm/dvmm/internal/notify"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/dvmm/dvmm/internal/apiclient"
	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/safefile"
	"github.com/dvmm/dvmm/internal/secret"
	"github.com/dvmm/dvmm/internal/store"
	"github.com/dvmm/dvmm/internal/store/postgres"
	"github.com/dvmm/dvmm/internal/vsphere"
)

// cli holds one invocation's streams, settings and lazily opened services.
type cli struct {
	in     io.Reader
	out    io.Writer
	errOut io.Writer
	v      *viper.Viper

	db      database
	app     *app.App
	hv      *vsphere.Client
	log     *slog.Logger
	corrID  string
	printer *printer
	// command is the path of the command being run ("dvmm request list").
	command string

	configErr error // a bad config file, kept for doctor

	// remote mode: the API client of the configured server, and who the
	// token belongs to.
	remote        *apiclient.Client
	remoteUser    string
	remoteChecked bool
}

func newCLI(in io.Reader, out, errOut io.Writer) *cli {
	v := viper.New()
	v.SetEnvPrefix("DVMM")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &cli{in: in, out: out, errOut: errOut, v: v, corrID: hex.EncodeToString(b),
		log: slog.New(slog.DiscardHandler)}
}

// configKeys are the keys a config file may set, with their types.
var configKeys = map[string]string{
	"db": "string", "tenant": "string", "user": "string", "output": "string", "no-color": "bool",
	"secret-key": "string", "listen": "string", "tls-cert": "string", "tls-key": "string", "insecure-http": "bool",
	"oidc-issuer": "string", "oidc-client-id": "string", "oidc-client-secret-file": "string", "oidc-user-claim": "string", "oidc-groups-claim": "string",
	"oidc-group-role": "list of strings", "oidc-platform-admin-group": "string",
}

// checkConfigType refuses a value of the wrong type rather than letting it
// silently become a zero value.
func checkConfigType(key, kind string, v any) error {
	ok := false
	switch kind {
	case "string":
		_, ok = v.(string)
	case "bool":
		_, ok = v.(bool)
	case "list of strings":
		list, isList := v.([]any)
		ok = isList
		for _, x := range list {
			if _, isString := x.(string); !isString {
				ok = false
			}
		}
	}
	if !ok {
		return fmt.Errorf("%s must be a %s, not %v", key, kind, clipValue(v))
	}
	return nil
}

func clipValue(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strings.ReplaceAll(s, "\n", " ")
}

// load binds flags and reads the config file: flag > env > file > default.
// A command annotated with tolerateConfig (doctor) runs on with flags,
// environment and defaults when the file is bad, and reports it itself.
func (c *cli) load(cmd *cobra.Command) error {
	c.command = cmd.CommandPath()
	if err := bindFlags(c.v, cmd.Flags()); err != nil {
		return err
	}
	path, explicit := c.configPath()
	if err := c.readConfig(path, explicit); err != nil {
		if cmd.Annotations[tolerateConfig] == "" {
			return err
		}
		c.configErr = err
	}
	switch o := c.output(); o {
	case "table", "wide", "json", "yaml":
	default:
		return usageError("unknown output format %q: use table, wide, json or yaml", o)
	}
	c.printer = newPrinter(c.out, c.output(), c.noColor())
	return nil
}

// tolerateConfig is the annotation of a command that runs despite a bad
// config file.
const tolerateConfig = "dvmm/tolerate-config"

// configPath is the config file to read, and whether it was named by
// --config or DVMM_CONFIG rather than being the default.
func (c *cli) configPath() (string, bool) {
	if path := c.v.GetString("config"); path != "" {
		return path, true
	}
	return filepath.Join(configDir(), "config.yaml"), false
}

// maxConfigFile caps a config file: a few settings, not a data file.
const maxConfigFile = 64 << 10

// readConfig merges the config file at path, if there is one, under the
// flags and environment. An unknown key, a value of the wrong type or bad
// YAML is refused; so is a named file that cannot be read.
func (c *cli) readConfig(path string, explicit bool) error {
	if _, err := os.Stat(path); err != nil {
		if explicit {
			return usageError("config file %s cannot be read: %s", path, errors.Unwrap(err))
		}
		return nil
	}
	// Read with a cap, from a regular file only: a FIFO, a device or a
	// directory is refused at once instead of hanging or filling memory.
	data, err := safefile.ReadFile(path, maxConfigFile)
	if err != nil {
		return usageError("config file %v", err)
	}
	file := viper.New()
	file.SetConfigType("yaml")
	if err := file.ReadConfig(bytes.NewReader(data)); err != nil {
		return usageError("config file %s is not valid YAML: %s", path, app.FirstLine(err.Error()))
	}
	keys := file.AllKeys()
	sort.Strings(keys)
	for _, k := range keys {
		kind, known := configKeys[k]
		if !known {
			return usageError("config file %s: unknown key %q", path, k)
		}
		if err := checkConfigType(k, kind, file.Get(k)); err != nil {
			return usageError("config file %s: %v", path, err)
		}
	}
	if err := c.v.MergeConfigMap(file.AllSettings()); err != nil {
		return usageError("config file %s: %s", path, app.FirstLine(err.Error()))
	}
	return nil
}

func (c *cli) output() string { return strings.ToLower(c.v.GetString("output")) }
func (c *cli) noColor() bool  { return c.v.GetBool("no-color") || os.Getenv("NO_COLOR") != "" }

// structured is true for -o json and -o yaml: data for programs, no tables.
func (c *cli) structured() bool { o := c.output(); return o == "json" || o == "yaml" }

// wide is true for -o wide: tables with more columns.
func (c *cli) wide() bool { return c.output() == "wide" }

func configDir() string {
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "dvmm")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".config", "dvmm")
	}
	return "."
}

func dataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "dvmm")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "dvmm")
	}
	return "."
}

func (c *cli) dbPath() string {
	if p := c.v.GetString("db"); p != "" {
		return p
	}
	return filepath.Join(dataDir(), "dvmm.db")
}

// onPostgres says whether the database setting is a PostgreSQL URL
// rather than a SQLite file.
func (c *cli) onPostgres() bool { return postgres.IsURL(c.dbPath()) }

// dbShown is the database setting as messages show it: a URL without its
// password.
func (c *cli) dbShown() string {
	if c.onPostgres() {
		return postgres.Redact(c.dbPath())
	}
	return c.dbPath()
}

// database is what the command line needs of a store beyond the
// application's ports.
type database interface {
	app.Store
	Close() error
	Ping(ctx context.Context) error
	SealedSecrets(ctx context.Context) (int, error)
}

// openDatabase opens the store the setting names: a postgres:// URL is a
// PostgreSQL database, anything else a SQLite file.
func openDatabase(ctx context.Context, where string) (database, error) {
	if postgres.IsURL(where) {
		return postgres.Open(ctx, where)
	}
	return store.Open(ctx, where)
}

func (c *cli) secretKeyPath() string {
	if p := c.v.GetString("secret-key"); p != "" {
		return p
	}
	if cfg := c.v.GetString("config"); cfg != "" {
		return filepath.Join(filepath.Dir(cfg), "secret.key")
	}
	return filepath.Join(configDir(), "secret.key")
}

// actor is who runs this command: in remote mode the token's user, else
// --user or the OS user.
func (c *cli) actor() app.Actor {
	if rc, _, err := c.remoteClient(); err == nil && rc != nil {
		return app.Actor{User: c.remoteIdentity(), Tenant: c.v.GetString("tenant"), CorrelationID: c.corrID}
	}
	u := c.v.GetString("user")
	if u == "" {
		if cur, err := user.Current(); err == nil {
			u = strings.ToLower(cur.Username)
		}
	}
	return app.Actor{User: u, Tenant: c.v.GetString("tenant"), CorrelationID: c.corrID}
}

// App opens the database and wires the application on first use.
func (c *cli) App(ctx context.Context) (*app.App, error) {
	if c.app != nil {
		return c.app, nil
	}
	if readCommands[c.command] && !c.onPostgres() {
		// A command that only reads never makes a database: a wrong
		// --db would otherwise leave an empty one behind and answer
		// "not found" about everything.
		if _, err := os.Stat(c.dbPath()); errors.Is(err, fs.ErrNotExist) {
			return nil, app.Coded(app.KindNotFound, app.CodeNoDatabase, "database %s does not exist", app.Clip(c.dbPath(), 80))
		}
	}
	db, err := openDatabase(ctx, c.dbPath())
	if err != nil {
		return nil, err
	}
	c.db = db
	c.hv = vsphere.New(vsphere.Options{Logger: c.log})
	c.app = app.New(db, c.hv, &lazyBox{path: c.secretKeyPath(), sealed: func() (int, error) { return db.SealedSecrets(context.Background()) }})
	c.app.Log = c.log
	c.app.Notifier = notify.New()
	if clockOverride != nil {
		c.app.Clock = clockOverride
	}
	// A database of an earlier version knew projects only by name: they
	// become projects first. A command that only reads goes on without
	// them when that cannot be written (a read-only file).
	if err := c.app.UpgradeProjects(ctx); err != nil && !readCommands[c.command] {
		return nil, err
	}
	return c.app, nil
}

// clockOverride, when set, replaces the system clock of the application:
// the test binary sets it so that scripts can move time on (days of lease
// in a line) without waiting.
var clockOverride app.Clock

// readCommands only read the database.
var readCommands = map[string]bool{
	"dvmm request list": true, "dvmm request show": true, "dvmm vm list": true, "dvmm vm status": true,
	"dvmm tenant list": true, "dvmm queue list": true, "dvmm vmware show": true, "dvmm vmware ip-pool list": true,
	"dvmm token list": true, "dvmm whoami": true, "dvmm quota show": true, "dvmm audit export": true,
	"dvmm notify list": true, "dvmm lease policy show": true,
	"dvmm project list": true, "dvmm project show": true,
}

// lazyBox loads (or creates) the secret key only when a secret is sealed
// or opened, so read-only commands never touch it.
type lazyBox struct {
	path string
	// sealed counts the passwords sealed so far (nil: none can be).
	sealed func() (int, error)

	mu  sync.Mutex
	box *secret.Box
}

func (l *lazyBox) get(create bool) (*secret.Box, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.box != nil {
		return l.box, nil
	}
	box, err := secret.Load(l.path)
	if errors.Is(err, secret.ErrNoKey) && create {
		// A new key is made only while no password is sealed: under a
		// new key every sealed one would be lost.
		n := 0
		if l.sealed != nil {
			if n, err = l.sealed(); err != nil {
				return nil, err
			}
		}
		if n > 0 {
			return nil, app.Coded(app.KindInvalid, app.CodeSecretKey, "secret key %s does not exist, but %d sealed password(s) do: restore that key (or point --secret-key at it); a new key would leave them unreadable", app.Clip(l.path, 80), n)
		}
		box, err = secret.LoadOrCreate(l.path)
	}
	if errors.Is(err, secret.ErrNoKey) {
		return nil, app.Coded(app.KindInvalid, app.CodeSecretKey, "secret key %s does not exist", app.Clip(l.path, 80))
	}
	if err != nil {
		return nil, app.Coded(app.KindInvalid, app.CodeSecretKey, "%s", app.FirstLine(err.Error()))
	}
	l.box = box
	return box, nil
}

func (l *lazyBox) Seal(p []byte) ([]byte, error) {
	b, err := l.get(true)
	if err != nil {
		return nil, err
	}
	return b.Seal(p)
}

func (l *lazyBox) Open(p []byte) ([]byte, error) {
	b, err := l.get(false)
	if err != nil {
		return nil, err
	}
	return b.Open(p)
}

func (c *cli) close() {
	if c.hv != nil {
		c.hv.Close()
	}
	if c.db != nil {
		_ = c.db.Close()
	}
}

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"github.com/dvmm/dvmm/internal/notify"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/auth"
	"github.com/dvmm/dvmm/internal/httpapi"
	"github.com/dvmm/dvmm/internal/vsphere"
)

// The remote way of running the scripts. Each script gets an API server in
// the test process, on the script's database file, opened at its first
// call. Every 'dvmm' command of the script that has an API (request, vm, project,
// tenant, vmware, queue) then runs as a remote CLI: the --user it names
// becomes a token of that user (made on the database file, as an operator
// would), sent to the server with DVMM_SERVER and DVMM_TOKEN. Everything
// else (serve, admin, doctor, sim, docs, a script that sets its own
// --db, key or config file) runs on the database file as always.
//
// Each user the harness makes is a platform admin, as every local user is
// the operator on the database file. Their events live in user streams,
// which 'events N' leaves out in this mode, so counts are the same both ways.

// remoteCommands are the commands that run through the API.
var remoteCommands = map[string]bool{
	"request": true, "vm": true, "tenant": true, "vmware": true, "queue": true, "project": true,
}

// startRemote starts a script's API server. The api_ scripts drive the
// API and the remote CLI themselves, with accounts of their own: they run
// as written.
func startRemote(env *testscript.Env) error {
	if n, ok := env.T().(interface{ Name() string }); ok && strings.Contains(n.Name(), "/api_") {
		return nil
	}
	dbPath := env.Getenv("DVMM_DB")
	keyPath := filepath.Join(env.Getenv("XDG_CONFIG_HOME"), "dvmm", "secret.key")
	work, stop := context.WithCancel(context.Background())
	l := &lazyServer{dbPath: dbPath, keyPath: keyPath, work: work, clock: fileClock{path: env.Getenv("DVMM_TEST_CLOCK_FILE")}}
	srv := httptest.NewServer(l)
	env.Setenv("DVMM_TEST_API", srv.URL)
	env.Setenv("DVMM_TEST_API_DB", dbPath)
	env.Defer(func() {
		stop()
		srv.Close()
		l.close()
	})
	return nil
}

// lazyServer opens the database at the first call: a script may make it
// (or refuse to) in its first commands.
type lazyServer struct {
	dbPath, keyPath string
	work            context.Context
	clock           app.Clock

	once sync.Once
	h    http.Handler
	db   database
	hv   *vsphere.Client
	err  error
}

func (l *lazyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.once.Do(func() {
		l.db, l.err = openDatabase(context.Background(), l.dbPath)
		if l.err != nil {
			return
		}
		l.hv = vsphere.New(vsphere.Options{})
		a := app.New(l.db, l.hv, &lazyBox{path: l.keyPath})
		a.Clock = l.clock
		a.Notifier = notify.New()
		l.h = (&httpapi.Server{App: a, Work: l.work, PollEvery: 50 * time.Millisecond}).Handler()
	})
	if l.err != nil {
		http.Error(w, l.err.Error(), http.StatusServiceUnavailable)
		return
	}
	l.h.ServeHTTP(w, r)
}

func (l *lazyServer) close() {
	if l.hv != nil {
		l.hv.Close()
	}
	if l.db != nil {
		l.db.Close()
	}
}

// remoteArgs, in a script run the remote way, turns a command that has an
// API into a remote CLI call: it takes --user off the arguments and sets
// DVMM_SERVER and a token of that user in the environment. Any other
// command, or anything it cannot do, leaves the call as it is.
func remoteArgs(args []string) []string {
	api := os.Getenv("DVMM_TEST_API")
	if api == "" || os.Getenv("DVMM_DB") != os.Getenv("DVMM_TEST_API_DB") || os.Getenv("DVMM_SECRET_KEY") != "" ||
		os.Getenv("DVMM_CONFIG") != "" || os.Getenv("DVMM_SERVER") != "" {
		return args
	}
	if _, err := os.Stat(filepath.Join(configDir(), "config.yaml")); err == nil {
		return args // a config file may name another database or user
	}
	if _, err := os.Stat(os.Getenv("DVMM_DB")); err != nil {
		return args // nothing to serve yet
	}
	user := os.Getenv("DVMM_USER")
	var rest, words []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--user" && i+1 < len(args):
			user = args[i+1]
			i++
			continue
		case strings.HasPrefix(a, "--user="):
			user = strings.TrimPrefix(a, "--user=")
			continue
		case a == "--db" || a == "--secret-key" || a == "--config" || strings.HasPrefix(a, "--db=") ||
			strings.HasPrefix(a, "--secret-key=") || strings.HasPrefix(a, "--config="):
			return args
		case a == "--tenant" || a == "-o" || a == "--output":
			rest = append(rest, a)
			if i+1 < len(args) {
				rest = append(rest, args[i+1])
				i++
			}
			continue
		case !strings.HasPrefix(a, "-"):
			words = append(words, a)
		}
		rest = append(rest, a)
	}
	if len(words) == 0 || !remoteCommands[words[0]] {
		return args
	}
	if user == "" {
		user = newCLI(nil, nil, nil).actor().User
	}
	token, err := scriptToken(user)
	if err != nil {
		return args // e.g. a user name the test means to be refused
	}
	os.Setenv("DVMM_SERVER", api)
	os.Setenv("DVMM_TOKEN", token)
	os.Unsetenv("DVMM_USER")
	return rest
}

// scriptToken returns a token of user, making the account (a platform
// admin) and the token on the database file the first time.
func scriptToken(user string) (string, error) {
	dir := filepath.Join(filepath.Dir(os.Getenv("DVMM_TEST_API_DB")), ".remote-tokens")
	path := filepath.Join(dir, user)
	if data, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(data)), nil
	}
	if err := app.ValidateSlug("user", user); err != nil {
		return "", err
	}
	ctx := context.Background()
	db, err := openDatabase(ctx, os.Getenv("DVMM_DB"))
	if err != nil {
		return "", err
	}
	defer db.Close()
	a := app.New(db, nil, nil)
	a.PasswordParams = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	op := app.Actor{User: "script-operator"}
	pw := make([]byte, 16)
	_, _ = rand.Read(pw)
	if _, err := a.CreateUser(ctx, op, user, hex.EncodeToString(pw), true); err != nil && app.ErrorKind(err) != app.KindConflict {
		return "", err
	}
	tok, err := a.CreateToken(ctx, op, user, "script", 0)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	// Two processes of a script may race here: the first token written wins.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		data, err := os.ReadFile(path)
		return strings.TrimSpace(string(data)), err
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	_, err = f.WriteString(tok.Token)
	return tok.Token, err
}

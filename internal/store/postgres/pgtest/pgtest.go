// Package pgtest starts a throwaway PostgreSQL cluster for tests: one per
// test binary, started on first use, with a fresh database for each test.
// It needs PostgreSQL's server binaries (Debian's postgresql package);
// where there are none a test is skipped loudly, unless CI is set, where a
// missing server is a failure.
package pgtest

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/dvmm/dvmm/internal/store/postgres"
)

var (
	once     sync.Once
	cluster  string // URL of the cluster's postgres database
	startErr error
	skipWhy  string
	admin    *sql.DB
	dbCount  atomic.Int64
	template = "dvmm_template"
)

// BinDir finds PostgreSQL's server binaries: $PG_BINDIR, the newest
// /usr/lib/postgresql/N/bin, or the folder of initdb on PATH.
func BinDir() (string, bool) {
	if d := os.Getenv("PG_BINDIR"); d != "" {
		return d, true
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, true
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), true
	}
	return "", false
}

func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// NewDatabase makes a new, migrated database for tb on the test binary's
// cluster and returns its URL; the database is dropped when tb ends.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	Require(tb)
	url, drop, err := CreateDatabase()
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(drop)
	return url
}

// Require starts the test binary's cluster, or skips tb (fails it when
// CI is set) where there is no PostgreSQL.
func Require(tb testing.TB) {
	tb.Helper()
	start(tb)
}

// Ensure starts the test binary's cluster where no testing.TB is at hand
// (a script's command). skip says why there is no PostgreSQL here; it is
// empty when CI is set, where a missing server is an error instead.
func Ensure() (skip string, err error) {
	once.Do(func() { cluster, skipWhy, startErr = boot() })
	switch {
	case skipWhy != "" && os.Getenv("CI") != "":
		return "", fmt.Errorf("pgtest: %s, and CI is set: install PostgreSQL (apt-get install -y postgresql)", skipWhy)
	case skipWhy != "":
		return skipWhy, nil
	}
	return "", startErr
}

// CreateDatabase makes a new, migrated database on the cluster Require
// started, for callers that have no testing.TB of their own (a script's
// setup); drop removes it.
func CreateDatabase() (url string, drop func(), err error) {
	if cluster == "" {
		return "", nil, fmt.Errorf("pgtest: the cluster is not started (call Require first)")
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbCount.Add(1))
	if _, err := admin.ExecContext(context.Background(), `CREATE DATABASE `+name+` TEMPLATE `+template); err != nil {
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	drop = func() {
		_, _ = admin.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
	}
	return withDB(cluster, name), drop, nil
}

// EmptyDatabase makes a database with no schema at all, for tests of
// migrations and of copying into an empty database.
func EmptyDatabase(tb testing.TB) string {
	tb.Helper()
	base := start(tb)
	name := fmt.Sprintf("e%d_%d", os.Getpid(), dbCount.Add(1))
	if _, err := admin.ExecContext(context.Background(), `CREATE DATABASE `+name+` TEMPLATE template0`); err != nil {
		tb.Fatalf("pgtest: create database: %v", err)
	}
	tb.Cleanup(func() {
		_, _ = admin.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
	})
	return withDB(base, name)
}

func withDB(base, name string) string {
	u, _ := url.Parse(base)
	u.Path = "/" + name
	return u.String()
}

func start(tb testing.TB) string {
	tb.Helper()
	once.Do(func() { cluster, skipWhy, startErr = boot() })
	if skipWhy != "" {
		if os.Getenv("CI") != "" {
			tb.Fatalf("pgtest: %s, and CI is set: install PostgreSQL (apt-get install -y postgresql)", skipWhy)
		}
		tb.Skipf("\n\n*** SKIPPED: %s: this test needs a PostgreSQL server (apt-get install -y postgresql) ***\n\n", skipWhy)
	}
	if startErr != nil {
		tb.Fatalf("pgtest: %v", startErr)
	}
	return cluster
}

// boot starts the cluster. The server runs under a shell that holds this
// process's end of a pipe: when the test binary exits, however it exits,
// the pipe closes and the shell stops the server and removes its folder.
func boot() (string, string, error) {
	bin, ok := BinDir()
	if !ok {
		return "", "no PostgreSQL server binaries (initdb) found", nil
	}
	dir, err := os.MkdirTemp("", "dvmm-pg-")
	if err != nil {
		return "", "", err
	}
	data := filepath.Join(dir, "data")
	var asUser []string
	if os.Geteuid() == 0 {
		// initdb refuses to run as root: run the cluster as postgres.
		u, err := user.Lookup("postgres")
		if err != nil {
			return "", "", fmt.Errorf("running as root and there is no postgres user to run the cluster as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return "", "", err
		}
		asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	run := func(args ...string) *exec.Cmd {
		all := append(append([]string{}, asUser...), args...)
		return exec.Command(all[0], all[1:]...)
	}
	initdb := run(filepath.Join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("initdb: %v: %s", err, out)
	}
	script := `"$1" -D "$2" -k "$3" -c listen_addresses= -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=300 -c shared_buffers=64MB >"$3/log" 2>&1 &
pid=$!
echo started
read _
kill -INT $pid
wait $pid
rm -rf "$2" "$3/log"`
	srv := run("sh", "-c", script, "pg", filepath.Join(bin, "postgres"), data, dir)
	stdin, err := srv.StdinPipe()
	if err != nil {
		return "", "", err
	}
	stdout, err := srv.StdoutPipe()
	if err != nil {
		return "", "", err
	}
	if err := srv.Start(); err != nil {
		return "", "", err
	}
	keep = stdin
	if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
		return "", "", fmt.Errorf("postgres did not start: %v", err)
	}
	base := (&url.URL{Scheme: "postgres", User: url.User("postgres"), Path: "/postgres", RawQuery: "host=" + url.QueryEscape(dir) + "&sslmode=disable"}).String()
	admin, err = sql.Open("pgx", base)
	if err != nil {
		return "", "", err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err = admin.Ping()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			return "", "", fmt.Errorf("postgres did not answer within 30 s: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+template+` TEMPLATE template0`); err != nil {
		return "", "", err
	}
	db, err := postgres.Open(ctx, withDB(base, template))
	if err != nil {
		return "", "", fmt.Errorf("migrate the template database: %v", err)
	}
	if err := db.Close(); err != nil {
		return "", "", err
	}
	return base, "", nil
}

// keep holds the pipe whose closing stops the server: held in a variable
// so that no finalizer closes it while the test binary runs.
var keep interface{ Close() error }

// Stop stops the cluster now rather than when the test binary exits.
func Stop() error {
	if keep == nil {
		return nil
	}
	return keep.Close()
}

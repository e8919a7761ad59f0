package store_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/store"
	"github.com/dvmm/dvmm/internal/store/storetest"
)

func TestOpen(t *testing.T) {
	ctx := context.Background()

	t.Run("OKFileModes", func(t *testing.T) {
		// The widest umask must not widen the modes.
		old := syscall.Umask(0)
		defer syscall.Umask(old)
		dir := filepath.Join(t.TempDir(), "state", "dvmm")
		path := filepath.Join(dir, "dvmm.db")
		db := MustOpenPath(t, path)
		if db.Path() != path {
			t.Errorf("Path() = %q, want %q", db.Path(), path)
		}
		must(t, db.Update(ctx, func(tx app.Tx) error { return tx.PutSecret(ctx, "acme", "x", []byte("y"), t0) }))
		for _, c := range []struct {
			path string
			mode os.FileMode
		}{{path, 0o600}, {path + "-wal", 0o600}, {dir, 0o700 | os.ModeDir}} {
			fi, err := os.Stat(c.path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode() != c.mode {
				t.Errorf("mode of %s = %v, want %v", c.path, fi.Mode(), c.mode)
			}
		}
	})

	t.Run("ErrDirectory", func(t *testing.T) {
		dir := t.TempDir()
		_, err := store.Open(ctx, dir)
		wantKind(t, err, app.KindInvalid)
		if want := "cannot open database " + dir + ": it is a directory"; err.Error() != want {
			t.Errorf("error = %q, want %q", err, want)
		}
	})

	t.Run("ErrParentIsFile", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		must(t, os.WriteFile(file, nil, 0o600))
		_, err := store.Open(ctx, filepath.Join(file, "dvmm.db"))
		wantKind(t, err, app.KindInvalid)
		if !strings.Contains(err.Error(), file) || strings.Contains(err.Error(), "\n") {
			t.Errorf("error %q should name the path on one line", err)
		}
	})

	t.Run("ErrNotWritable", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root writes anywhere")
		}
		path := filepath.Join(t.TempDir(), "dvmm.db")
		must(t, os.WriteFile(path, nil, 0o400))
		_, err := store.Open(ctx, path)
		wantKind(t, err, app.KindUnavailable)
		if !strings.Contains(err.Error(), path) {
			t.Errorf("error %q should name the path", err)
		}
	})

	t.Run("ErrNotADatabase", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "notes.txt")
		must(t, os.WriteFile(path, []byte(strings.Repeat("not a database at all\n", 200)), 0o600))
		_, err := store.Open(ctx, path)
		wantKind(t, err, app.KindInvalid)
		if want := "cannot open database " + path + ": it is not a dvmm database"; err.Error() != want {
			t.Errorf("error = %q, want %q", err, want)
		}
	})

	t.Run("ErrEmptyPath", func(t *testing.T) {
		_, err := store.Open(ctx, "")
		wantKind(t, err, app.KindInvalid)
	})
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	migrations, err := filepath.Glob("migrations/*.sql")
	must(t, err)

	t.Run("OKIdempotentOnReopen", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "dvmm.db")
		db, err := store.Open(ctx, path)
		must(t, err)
		v, err := db.SchemaVersion(ctx)
		must(t, err)
		// The version is the number the last migration's name starts with.
		last, _, _ := strings.Cut(filepath.Base(migrations[len(migrations)-1]), "_")
		if want, _ := strconv.Atoi(last); v != want {
			t.Fatalf("schema version = %d, want %d", v, want)
		}
		must(t, db.Update(ctx, func(tx app.Tx) error { return tx.PutSecret(ctx, "acme", "k", []byte("v"), t0) }))
		must(t, db.Close())

		for range 2 {
			db = MustOpenPath(t, path)
			again, err := db.SchemaVersion(ctx)
			must(t, err)
			if again != v {
				t.Fatalf("schema version after reopen = %d, want %d", again, v)
			}
			if s, err := db.Secret(ctx, "acme", "k"); err != nil || string(s) != "v" {
				t.Fatalf("data lost on reopen: %q %v", s, err)
			}
		}
		var rows int
		must(t, rawDB(t, path).QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&rows))
		if rows != len(migrations) {
			t.Errorf("schema_migrations has %d rows, want %d", rows, len(migrations))
		}
	})

	t.Run("ErrNewerSchema", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "dvmm.db")
		db, err := store.Open(ctx, path)
		must(t, err)
		must(t, db.Close())
		_, err = rawDB(t, path).Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', '')`)
		must(t, err)
		_, err = store.Open(ctx, path)
		wantKind(t, err, app.KindInvalid)
		if !strings.Contains(err.Error(), "upgrade dvmm") {
			t.Errorf("error %q should say to upgrade", err)
		}
	})
}

func TestUpdate(t *testing.T) {
	ctx := context.Background()

	t.Run("ErrKeptAndRolledBack", func(t *testing.T) {
		db := MustOpenDB(t)
		want := app.Errorf(app.KindForbidden, "no")
		err := db.Update(ctx, func(tx app.Tx) error {
			must(t, tx.PutSecret(ctx, "acme", "k", []byte("v"), t0))
			return want
		})
		if err != want {
			t.Fatalf("Update returned %v, want fn's error unchanged", err)
		}
		_, err = db.Secret(ctx, "acme", "k")
		wantKind(t, err, app.KindNotFound)
	})

	t.Run("OKPanicReleasesWriter", func(t *testing.T) {
		db := MustOpenDB(t)
		func() {
			defer func() { _ = recover() }()
			_ = db.Update(ctx, func(app.Tx) error { panic("boom") })
		}()
		must(t, db.Update(ctx, func(app.Tx) error { return nil }))
	})
}

func TestBusyIsUnavailable(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	holder := rawDB(t, db.Path())
	holder.SetMaxOpenConns(1)
	hold, err := holder.Conn(ctx)
	must(t, err)
	defer hold.Close()
	_, err = hold.ExecContext(ctx, `BEGIN IMMEDIATE`)
	must(t, err)
	defer func() { _, _ = hold.ExecContext(ctx, `ROLLBACK`) }()

	impatient := rawDB(t, db.Path(), "busy_timeout(0)")
	_, err = impatient.Exec(`BEGIN IMMEDIATE`)
	if err == nil {
		t.Fatal("a second writer got the lock")
	}
	err = store.DBError(err)
	wantKind(t, err, app.KindUnavailable)
	if err.Error() != "database is busy: try again" {
		t.Errorf("error = %q", err)
	}
}

func TestUpdateCancelled(t *testing.T) {
	db := MustOpenDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	err := db.Update(ctx, func(tx app.Tx) error {
		must(t, tx.PutSecret(ctx, "acme", "k", []byte("v"), t0))
		cancel()
		return nil
	})
	if err != context.Canceled {
		t.Fatalf("Update returned %v, want context.Canceled", err)
	}
	if _, err := db.Secret(context.Background(), "acme", "k"); app.ErrorKind(err) != app.KindNotFound {
		t.Fatalf("a cancelled transaction committed: %v", err)
	}
	must(t, db.Update(context.Background(), func(app.Tx) error { return nil }))
}

// doctor reads every event as the application would: a damaged payload
// is reported with its sequence number, however many events there are.
func TestHealthChecksFindDamagedEvents(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dvmm.db")
	db := MustOpenPath(t, path)
	storetest.Seed(t, db, nil)
	check := func() app.Check {
		for _, c := range db.HealthChecks(ctx) {
			if c.Name == "events" {
				return c
			}
		}
		t.Fatal("no events check")
		return app.Check{}
	}
	if c := check(); !c.OK {
		t.Fatalf("a sound log: %+v", c)
	}
	raw := rawDB(t, path)
	for _, q := range []string{`DROP TRIGGER events_no_update`,
		`UPDATE events SET data = '{"name": 42' WHERE seq = 5`,
		`UPDATE events SET type = 'no.such_type' WHERE seq = 9`} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	c := check()
	if c.OK || !strings.Contains(c.Detail, "event 5:") || !strings.Contains(c.Detail, "event 9: unknown event type") {
		t.Fatalf("damaged log: %+v", c)
	}
}

// Another program's SQLite database is refused by every command, reads
// included, and left byte for byte as it was: no table, no journal mode
// switch, no -wal or -shm file.
func TestOpenRefusesAForeignDatabase(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []string{"delete", "wal"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "other.db")
			raw := rawDB(t, path, "journal_mode("+mode+")")
			for _, q := range []string{`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)`, `INSERT INTO notes (body) VALUES ('keep me')`} {
				if _, err := raw.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			must(t, raw.Close())
			before := folderDigest(t, dir)
			for range 2 {
				_, err := store.Open(ctx, path)
				wantKind(t, err, app.KindInvalid)
				if app.ErrorCode(err) != app.CodeNotOurDatabase || !strings.Contains(err.Error(), "another program's SQLite database") {
					t.Fatalf("open: %v (%s)", err, app.ErrorCode(err))
				}
			}
			if after := folderDigest(t, dir); after != before {
				t.Fatalf("the folder changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// folderDigest names each file of dir with a digest of its bytes.
func folderDigest(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	must(t, err)
	var out []string
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		must(t, err)
		out = append(out, fmt.Sprintf("%s=%x", e.Name(), sha256.Sum256(data)))
	}
	return strings.Join(out, " ")
}

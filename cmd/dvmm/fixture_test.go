package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestOlderDatabaseShowsTheSame opens a copy of a database an older dvmm
// wrote (before the timeline was kept as data) and checks that 'request
// show', as a table and as JSON, prints what that release printed.
func TestOlderDatabaseShowsTheSame(t *testing.T) {
	dir := filepath.Join("..", "..", "internal", "store", "testdata", "v1")
	data, err := os.ReadFile(filepath.Join(dir, "dvmm.db"))
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "dvmm.db")
	if err := os.WriteFile(db, data, 0o600); err != nil {
		t.Fatal(err)
	}
	// The release wrote its times in UTC; show them the same way.
	local := time.Local
	time.Local = time.UTC
	defer func() { time.Local = local }()
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(files) < 9 {
		t.Fatalf("%d fixture outputs: %v", len(files), err)
	}
	for _, txt := range files {
		jsonFile := strings.TrimSuffix(txt, ".txt") + ".json"
		t.Run(filepath.Base(txt), func(t *testing.T) {
			wantJSON, err := os.ReadFile(jsonFile)
			if err != nil {
				t.Fatal(err)
			}
			var r struct{ ID, Tenant, Requester string }
			if err := json.Unmarshal(wantJSON, &r); err != nil {
				t.Fatal(err)
			}
			wantText, err := os.ReadFile(txt)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				args []string
				want []byte
			}{{nil, wantText}, {[]string{"-o", "json"}, wantJSON}} {
				var out, errOut bytes.Buffer
				args := append([]string{"--db", db, "--tenant", r.Tenant, "--user", r.Requester, "request", "show", r.ID}, c.args...)
				if code := Main(args, strings.NewReader(""), &out, &errOut); code != 0 {
					t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
				}
				if !bytes.Equal(out.Bytes(), c.want) {
					t.Errorf("%v:\n got %s\nwant %s", c.args, out.Bytes(), c.want)
				}
			}
		})
	}
}

// TestOlderDatabaseGetsProjects opens a copy of the older database: the
// projects its requests name become projects (by dvmm, as an upgrade),
// once, even when two processes open it at the same moment; a new request
// in one of them works, and a rebuild gives the same answers.
func TestOlderDatabaseGetsProjects(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "internal", "store", "testdata", "v1", "dvmm.db"))
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "dvmm.db")
	if err := os.WriteFile(db, data, 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		args = append([]string{"--db", db}, args...)
		if code := Main(args, strings.NewReader(""), &out, &errOut); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
		}
		return out.String()
	}
	var tenants []struct{ Name string }
	if err := json.Unmarshal([]byte(run("tenant", "list", "-o", "json")), &tenants); err != nil || len(tenants) != 2 {
		t.Fatalf("tenants %v: %v", tenants, err)
	}
	admin := map[string]string{"acme": "alice", "globex": "gina"}
	projectsOf := func(tenant string) string {
		t.Helper()
		var l struct {
			Projects []struct {
				Name      string
				CreatedBy string `json:"created_by"`
				Upgrade   bool
			}
		}
		if err := json.Unmarshal([]byte(run("--tenant", tenant, "--user", admin[tenant], "project", "list", "-o", "json")), &l); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range l.Projects {
			names = append(names, p.Name+" by "+p.CreatedBy+" upgrade="+strconv.FormatBool(p.Upgrade))
		}
		return strings.Join(names, "; ")
	}
	// The requests' projects, as that release recorded them.
	want := map[string]string{}
	for _, tenant := range []string{"acme", "globex"} {
		var reqs []struct{ Project string }
		if err := json.Unmarshal([]byte(run("--tenant", tenant, "--user", admin[tenant], "request", "list", "-o", "json")), &reqs); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		var names []string
		for _, r := range reqs {
			if !seen[r.Project] {
				seen[r.Project] = true
				names = append(names, r.Project)
			}
		}
		sort.Strings(names)
		for i, n := range names {
			names[i] = n + " by dvmm upgrade=true"
		}
		want[tenant] = strings.Join(names, "; ")
		if want[tenant] == "" {
			t.Fatalf("tenant %s has no requests in the fixture", tenant)
		}
	}
	run("admin", "rebuild") // a write: the upgrade runs first
	for tenant, w := range want {
		if got := projectsOf(tenant); got != w {
			t.Errorf("%s projects: %s, want %s", tenant, got, w)
		}
	}
	created := func() int {
		return strings.Count(run("audit", "export", "--format", "jsonl"), `"project.created"`)
	}
	upgraded := strings.Count(want["acme"]+want["globex"], " by dvmm")
	if n := created(); n != upgraded {
		t.Fatalf("%d project.created events, want %d", n, upgraded)
	}
	run("--tenant", "globex", "--user", "gina", "project", "create", "more") // another write: no upgrade again
	if n := created(); n != upgraded+1 {
		t.Fatalf("%d project.created events after one more, want %d", n, upgraded+1)
	}
	shows := func() string {
		return run("--tenant", "acme", "--user", "alice", "request", "list", "-o", "json") + projectsOf("acme") + projectsOf("globex")
	}
	run("--tenant", "acme", "--user", "alice", "request", "create", "--name", "after-upgrade", "--size", "S",
		"--project", strings.Fields(want["acme"])[0], "--justification", "a request after the upgrade")
	was := shows()
	run("admin", "rebuild")
	if now := shows(); now != was {
		t.Fatalf("after a rebuild:\n%s\nwas\n%s", now, was)
	}
}

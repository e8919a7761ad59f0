package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
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

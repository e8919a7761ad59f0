package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
)

// openFixture opens a copy of a database an older release wrote.
func openFixture(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name, "dvmm.db"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dvmm.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// fixtureShows maps each request's 'request show -o json' file of an
// older release to the request's id.
func fixtureShows(t *testing.T, name string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", name, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "-list.json") || strings.HasSuffix(f, "-vms.json") || strings.HasSuffix(f, "tenants.json") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var r struct{ ID string }
		if err := json.Unmarshal(data, &r); err != nil || r.ID == "" {
			t.Fatalf("%s: %v", f, err)
		}
		out[f] = r.ID
	}
	if len(out) < 9 {
		t.Fatalf("fixture %s has %d requests, want every state", name, len(out))
	}
	return out
}

func showJSON(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestFixtureV1 opens a database written before the timeline was stored
// as data: it migrates, and every request shows, timeline included, byte
// for byte as that release showed it, before and after a rebuild.
func TestFixtureV1(t *testing.T) {
	ctx := context.Background()
	db := MustOpenPath(t, openFixture(t, "v1"))
	shows := fixtureShows(t, "v1")
	check := func(t *testing.T) {
		for file, id := range shows {
			v, err := db.Request(ctx, id)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			tl, err := db.Timeline(ctx, id)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if got := showJSON(t, contract.NewRequestWithTimeline(v, tl)); !bytes.Equal(got, want) {
				t.Errorf("%s:\n got %s\nwant %s", file, got, want)
			}
		}
	}
	v, err := db.SchemaVersion(ctx)
	must(t, err)
	if v < 2 {
		t.Fatalf("schema version %d after open, want the structured timeline's", v)
	}
	t.Run("Migrated", check)
	must(t, app.New(db, nil, nil).Rebuild(ctx))
	t.Run("Rebuilt", check)
}

package store_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dvmm/dvmm/internal/app"
)

// shownRequest is the part of an older release's 'request show -o json'
// that a migrated database must reproduce.
type shownRequest struct {
	app.RequestView
	Timeline []app.TimelineEntry `json:"timeline"`
}

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

func fixtureRequests(t *testing.T, name string) map[string]shownRequest {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", name, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]shownRequest{}
	for _, f := range files {
		if strings.HasSuffix(f, "-list.json") || strings.HasSuffix(f, "-vms.json") || strings.HasSuffix(f, "tenants.json") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var r shownRequest
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = r
	}
	if len(out) < 9 {
		t.Fatalf("fixture %s has %d requests, want every state", name, len(out))
	}
	return out
}

// TestFixtureV1 opens a database written before the timeline was stored
// as data; it must migrate and show every request and timeline as that
// release did, before and after a rebuild.
func TestFixtureV1(t *testing.T) {
	ctx := context.Background()
	db := MustOpenPath(t, openFixture(t, "v1"))
	want := fixtureRequests(t, "v1")
	check := func(t *testing.T) {
		for name, w := range want {
			v, err := db.Request(ctx, w.ID)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !reflect.DeepEqual(v, w.RequestView) {
				t.Errorf("%s: request\n got %+v\nwant %+v", name, v, w.RequestView)
			}
			tl, err := db.Timeline(ctx, w.ID)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for i := range tl {
				tl[i].RequestID = ""
			}
			if !reflect.DeepEqual(tl, w.Timeline) {
				t.Errorf("%s: timeline\n got %+v\nwant %+v", name, tl, w.Timeline)
			}
		}
	}
	t.Run("Migrated", check)
	must(t, app.New(db, nil, nil).Rebuild(ctx))
	t.Run("Rebuilt", check)
}

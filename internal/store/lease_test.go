package store_test

import (
	"strings"
	"testing"
)

// TestDueLeasesUsesIndex: the lease work's query reads the partial index
// on lease_next_at, not every request, so a tick costs what is due.
func TestDueLeasesUsesIndex(t *testing.T) {
	db := MustOpenDB(t)
	raw := rawDB(t, db.Path())
	rows, err := raw.Query(`EXPLAIN QUERY PLAN SELECT id, tenant FROM requests WHERE lease_next_at IS NOT NULL AND lease_next_at <= ?
		ORDER BY lease_next_at, id LIMIT ?`, "2031-03-01T09:00:00.000000000Z", 500)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(plan, "; ")
	if !strings.Contains(got, "USING INDEX requests_lease_due") || strings.Contains(got, "TEMP B-TREE") {
		t.Fatalf("plan %q: want the requests_lease_due index, in its order", got)
	}
}

package errmap_test

import (
	"net/http"
	"testing"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/errmap"
)

func TestTable(t *testing.T) {
	for _, tc := range []struct {
		kind   app.Kind
		exit   int
		status int
	}{
		{app.KindInvalid, 2, 400},
		{app.KindUnauthenticated, 5, 401},
		{app.KindForbidden, 5, 403},
		{app.KindNotFound, 3, 404},
		{app.KindConflict, 4, 409},
		{app.KindUnavailable, 6, 503},
		{app.KindInternal, 1, 500},
		{app.Kind("made-up"), 1, 500},
	} {
		if got := errmap.Exit(tc.kind); got != tc.exit {
			t.Errorf("Exit(%s) = %d, want %d", tc.kind, got, tc.exit)
		}
		if got := errmap.Status(tc.kind); got != tc.status {
			t.Errorf("Status(%s) = %d, want %d", tc.kind, got, tc.status)
		}
		if tc.kind != "made-up" {
			if got := errmap.KindOfStatus(tc.status); got != tc.kind {
				t.Errorf("KindOfStatus(%d) = %s, want %s", tc.status, got, tc.kind)
			}
		}
	}
	if k := errmap.KindOfStatus(http.StatusTooManyRequests); k != app.KindUnavailable {
		t.Errorf("429 = %s", k)
	}
	if k := errmap.KindOfStatus(http.StatusRequestEntityTooLarge); k != app.KindInvalid {
		t.Errorf("413 = %s", k)
	}
}

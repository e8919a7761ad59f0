package store_test

import (
	"testing"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/store/storetest"
)

// TestConformance runs the suite every store passes against SQLite files.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) app.Store { return MustOpenDB(tb) })
}

package store_test

import (
	"path/filepath"
	"testing"

	"github.com/dvmm/dvmm/internal/store/storetest"
)

// TestUpgradeAtOnce: two processes open one database file of an earlier
// version at the same moment; each of its projects is made once.
func TestUpgradeAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dvmm.db")
	storetest.UpgradeAtOnce(t, MustOpenPath(t, path), MustOpenPath(t, path))
}

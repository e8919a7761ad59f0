package memstore_test

import (
	"testing"

	"github.com/dvmm/dvmm/internal/store/memstore"
	"github.com/dvmm/dvmm/internal/store/storetest"
)

// TestUpgradeAtOnce: two upgrades of one store at the same moment make
// each project once.
func TestUpgradeAtOnce(t *testing.T) {
	s := memstore.New()
	storetest.UpgradeAtOnce(t, s, s)
}

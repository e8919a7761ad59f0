package memstore_test

import (
	"testing"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/store/memstore"
	"github.com/dvmm/dvmm/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(testing.TB) app.Store { return memstore.New() })
}

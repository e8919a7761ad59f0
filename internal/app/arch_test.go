package app_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependenciesPointInward keeps the layers honest: the core knows no
// adapter, no SQL, no govmomi and no CLI, and the adapters do not know
// each other.
func TestDependenciesPointInward(t *testing.T) {
	const mod = "github.com/dvmm/dvmm/"
	rules := []struct {
		pkg       string
		forbidden []string
	}{
		{"./", []string{mod + "internal/store/...", mod + "internal/vsphere/...", mod + "cmd/...", "database/sql/...",
			"modernc.org/sqlite/...", "github.com/vmware/govmomi/...", "github.com/spf13/cobra/...", "github.com/spf13/viper/...",
			"github.com/charmbracelet/..."}},
		{"../store", []string{mod + "internal/vsphere/...", "github.com/vmware/govmomi/...", "github.com/spf13/cobra/..."}},
		// govmomi's uuid package uses database/sql/driver; SQL itself is what matters.
		{"../vsphere", []string{mod + "internal/store/...", "database/sql", "modernc.org/sqlite/...", "github.com/spf13/cobra/..."}},
	}
	for _, r := range rules {
		out, err := exec.Command("go", "list", "-deps", r.pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", r.pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, f := range r.forbidden {
				root, tree := strings.CutSuffix(f, "/...")
				if dep == root || (tree && strings.HasPrefix(dep, root+"/")) {
					t.Errorf("%s depends on %s", r.pkg, dep)
				}
			}
		}
	}
}

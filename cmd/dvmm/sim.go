package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/vsphere"
)

func newSimCmd(c *cli) *cobra.Command {
	var (
		listen string
		dir    string
	)
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run the embedded vCenter simulator on a local port",
		Long: `Run the embedded vCenter simulator (govmomi's vcsim with a template to
clone and DHCP-like IP assignment) until interrupted, and print how to point
dvmm and govc at it.`,
		Example: "  dvmm sim --listen 127.0.0.1:8989",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			sim, err := vsphere.StartSimulator(ctx, vsphere.SimOptions{Listen: listen})
			if err != nil {
				return &exitError{code: ExitUnavailable, msg: "cannot start the simulator: " + err.Error()}
			}
			defer sim.Close()
			if dir == "" {
				dir, err = os.MkdirTemp("", "dvmm-sim-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(dir)
			}
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return &exitError{code: ExitInternal, msg: "cannot create " + dir + ": " + err.Error()}
			}
			pwFile := filepath.Join(dir, "vcenter-password")
			if err := os.WriteFile(pwFile, []byte(sim.Password()), 0o600); err != nil {
				return err
			}
			s := sim.Settings("dvmm")
			fmt.Fprintf(c.out, `vCenter simulator listening on %s

Point a tenant at it (as a tenant admin):
  dvmm vmware set --url %s --username %s --password-file %s \
    --datacenter %s --cluster %s --datastore %s --network %q \
    --template %s --folder %s --thumbprint %s

Or use govc:
  export GOVC_URL=%s GOVC_USERNAME=%s GOVC_PASSWORD="$(cat %s)" GOVC_INSECURE=1
  govc find / -type m

Stop with Ctrl-C.
`, sim.URL(), s.URL, s.Username, pwFile, s.Datacenter, s.Cluster, s.Datastore, s.Network, s.Template, s.Folder, s.Thumbprint,
				sim.URL(), sim.Username(), pwFile)
			<-ctx.Done()
			fmt.Fprintln(c.errOut, "simulator stopped")
			return nil
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8989", "address to listen on")
	cmd.Flags().StringVar(&dir, "dir", "", "folder for the password file (default: a temporary one)")
	return cmd
}

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/vsphere"
)

func newDemoCmd(c *cli) *cobra.Command {
	var keep bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole flow on the embedded vCenter simulator",
		Long: `Start the embedded vCenter simulator and a fresh database in a temporary
folder, then run the whole flow as a team would: create a tenant with an
admin and a user, configure VMware, ask for a VM, approve it with --wait,
and show the VM and the request's timeline. Each step prints the dvmm
command it runs, so you can repeat it by hand.`,
		Example: "  dvmm demo\n  dvmm demo --keep",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := os.MkdirTemp("", "dvmm-demo-")
			if err != nil {
				return err
			}
			if !keep {
				defer os.RemoveAll(dir)
			}
			ctx := cmd.Context()
			sim, err := vsphere.StartSimulator(ctx, vsphere.SimOptions{})
			if err != nil {
				return fmt.Errorf("start the simulator: %w", err)
			}
			defer sim.Close()
			pwFile := filepath.Join(dir, "vcenter-password")
			if err := os.WriteFile(pwFile, []byte(sim.Password()), 0o600); err != nil {
				return err
			}
			s := sim.Settings("dvmm")
			db := filepath.Join(dir, "dvmm.db")
			base := []string{"--db", db, "--secret-key", filepath.Join(dir, "secret.key"), "--tenant", "acme"}
			if c.noColor() {
				base = append(base, "--no-color")
			}
			fmt.Fprintf(c.out, "dvmm demo: simulator at %s, database %s\n\n", sim.URL(), db)

			var requestID string
			steps := []struct {
				say  string
				args []string
				keep func(string)
			}{
				{"A tenant, with alice as its admin", []string{"tenant", "create", "acme", "--admin", "alice"}, nil},
				{"bob joins as a user", []string{"--user", "alice", "tenant", "add-member", "acme", "bob", "--role", "user"}, nil},
				{"alice makes a project for the requests", []string{"--user", "alice", "project", "create", "shop"}, nil},
				{"alice points the tenant at vCenter (here: the simulator)", []string{"--user", "alice", "vmware", "set",
					"--url", s.URL, "--username", s.Username, "--password-file", pwFile, "--datacenter", s.Datacenter,
					"--cluster", s.Cluster, "--datastore", s.Datastore, "--network", s.Network, "--template", s.Template,
					"--folder", s.Folder, "--thumbprint", s.Thumbprint, "--ip-timeout", "30s"}, nil},
				{"...and checks them", []string{"--user", "alice", "vmware", "test"}, nil},
				{"bob asks for a VM", []string{"--user", "bob", "request", "create", "--name", "web-01", "--size", "M",
					"--project", "shop", "--justification", "load tests for the shop"}, func(out string) { requestID = strings.TrimSpace(out) }},
				{"the pending request, with the version alice approves", []string{"--user", "alice", "request", "list"}, nil},
				{"alice approves it; provisioning starts at once and --wait runs it here", []string{"--user", "alice", "request", "approve", "{id}", "--expect-version", "1", "--wait"}, nil},
				{"the VM, as vCenter sees it", []string{"--user", "bob", "vm", "status", "{id}"}, nil},
				{"the request and its timeline", []string{"--user", "bob", "request", "show", "{id}"}, nil},
			}
			start := time.Now()
			for _, st := range steps {
				args := make([]string, len(st.args))
				for i, a := range st.args {
					args[i] = strings.ReplaceAll(a, "{id}", requestID)
				}
				fmt.Fprintf(c.out, "# %s\n$ dvmm %s\n", st.say, quoteArgs(args))
				var buf strings.Builder
				code := Main(append(append([]string{}, base...), args...), c.in, teeWriter(c.out, &buf), c.errOut)
				if code != 0 {
					return &exitError{code: code, msg: "demo step failed: dvmm " + quoteArgs(args)}
				}
				if st.keep != nil {
					st.keep(buf.String())
				}
				fmt.Fprintln(c.out)
			}
			fmt.Fprintf(c.out, "Done in %s. ", time.Since(start).Round(time.Millisecond))
			if keep {
				fmt.Fprintf(c.out, "The database is kept in %s.\n", dir)
			} else {
				fmt.Fprintln(c.out, "Run 'dvmm sim' to keep a simulator running and try it yourself.")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the temporary folder with the database")
	return cmd
}

func quoteArgs(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \"'$") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

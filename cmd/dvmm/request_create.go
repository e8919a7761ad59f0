package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
	"github.com/dvmm/dvmm/internal/safefile"
)

func newRequestCreateCmd(c *cli) *cobra.Command {
	var (
		in       app.NewRequestInput
		userData string
		lease    string
		dryRun   bool
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Ask for a VM",
		Long: `Ask for a VM in your tenant. Sizes: S (2 vCPU, 4 GB RAM, 50 GB disk),
M (4, 8, 100; the default), L (8, 16, 200), XL (16, 32, 500). The name is
3-63 lowercase letters, digits and single dashes. Prints the new request's id.
The VM's host name is its name; --user-data passes a cloud-init user-data
file (at most 32 KiB) to the guest through guestinfo.userdata.
--lease asks for a lease other than the tenant's default, up to its
longest (a longer one is refused with exit 2).
--dry-run checks everything a create checks (name, size, project, quota)
and shows the request it would make and the tenant's and the project's
quotas after it, writing nothing.`,
		Example: `  dvmm --tenant acme request create --name web-01 --size M --project shop \
      --justification "load tests for the shop"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lease != "" {
				days, err := app.ParseLeaseDays("--lease", lease, false)
				if err != nil {
					return err
				}
				in.LeaseDays = days
			}
			if userData != "" {
				data, err := safefile.ReadFile(userData, app.MaxUserData)
				if err != nil {
					return app.Errorf(app.KindInvalid, "--user-data: %v", err)
				}
				in.UserData = data
			}
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			if dryRun {
				v, qs, err := a.PreviewRequest(cmd.Context(), c.actor(), in)
				if err != nil {
					return err
				}
				if c.structured() {
					return c.printer.data(contract.NewRequestPreview(v, qs))
				}
				fmt.Fprintf(c.out, "would create request %s (%s, %d vCPU, %d GB RAM, %d GB disk) in project %s; nothing was written\n",
					c.printer.cell(v.Name), v.Size, v.CPUs, v.MemoryGB, v.DiskGB, c.printer.cell(v.Project))
				for _, q := range qs {
					c.printQuota(q)
				}
				return nil
			}
			v, err := a.CreateRequest(cmd.Context(), c.actor(), in)
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(contract.NewRequest(v))
			}
			fmt.Fprintln(c.out, v.ID)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Name, "name", "", "VM name (required)")
	f.StringVar(&in.Size, "size", app.DefaultSize, "size: S, M, L or XL")
	f.StringVar(&in.Project, "project", "", "project the VM is for (required)")
	f.StringVar(&in.Network, "network", "", "network (default: the tenant's)")
	f.StringVar(&in.Justification, "justification", "", "why the VM is needed, at least 10 characters (required)")
	f.StringVar(&lease, "lease", "", "lease of the VM from READY, in days (14d); default: the tenant's policy")
	f.StringVar(&userData, "user-data", "", "cloud-init user-data file for the guest (at most 32 KiB)")
	f.BoolVar(&dryRun, "dry-run", false, "check and show the request and the quota after it, writing nothing")
	_ = cmd.RegisterFlagCompletionFunc("size", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, s := range app.Sizes {
			out = append(out, fmt.Sprintf("%s\t%d vCPU, %d GB RAM, %d GB disk", s.Name, s.CPUs, s.MemoryGB, s.DiskGB))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

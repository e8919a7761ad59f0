package main

import (
	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
)

func newQuotaSetCmd(c *cli) *cobra.Command {
	var (
		project string
		limits  app.Amount
	)
	cmd := &cobra.Command{
		Use:   "set [--project P] [--vms N] [--cpus N] [--memory-gb N] [--disk-gb N]",
		Short: "Set a tenant's or project's limits (admin only)",
		Long: `Set the limits of your tenant, or of one project with --project. A limit
left out keeps its value; 0 is no limit. Limits apply to requests created
or approved from now on: what is already held stays, and a limit below it
lets no more through until enough is freed. Prints the quota after.`,
		Example: "  dvmm --tenant acme quota set --vms 50 --cpus 200 --memory-gb 512 --disk-gb 10000\n  dvmm --tenant acme quota set --project shop --vms 10",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			cur, err := a.ShowQuota(cmd.Context(), c.actor(), project)
			if err != nil {
				return err
			}
			next := cur.Limits
			f := cmd.Flags()
			set := func(flag string, dst *int, v int) {
				if f.Changed(flag) {
					*dst = v
				}
			}
			set("vms", &next.VMs, limits.VMs)
			set("cpus", &next.CPUs, limits.CPUs)
			set("memory-gb", &next.MemoryGB, limits.MemoryGB)
			set("disk-gb", &next.DiskGB, limits.DiskGB)
			q, err := a.SetQuota(cmd.Context(), c.actor(), project, next)
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(contract.NewQuota(q))
			}
			c.printQuota(q)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&project, "project", "", "a project of the tenant (default: the whole tenant)")
	f.IntVar(&limits.VMs, "vms", 0, "most VMs at once (0: no limit)")
	f.IntVar(&limits.CPUs, "cpus", 0, "most vCPUs at once (0: no limit)")
	f.IntVar(&limits.MemoryGB, "memory-gb", 0, "most GB of memory at once (0: no limit)")
	f.IntVar(&limits.DiskGB, "disk-gb", 0, "most GB of disk at once (0: no limit)")
	return cmd
}

package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
)

func newVMExtendCmd(c *cli) *cobra.Command {
	var by string
	cmd := &cobra.Command{
		Use:   "extend <request-id|vm-id|name> --by 14d",
		Short: "Give a VM's lease more days",
		Long: `Extend the lease of a READY VM by some days: its requester or a tenant
admin may. The days are added to the current end (to now once it has
ended: a VM powered off at its end keeps its power state; switch it on
with 'vm power on'). Up to the longest lease of the tenant's policy,
counted from READY, the extension applies at once; past it, it is asked
for and another admin approves it ('vm approve-extension') or rejects it
('vm reject-extension').`,
		Example: "  dvmm --tenant acme vm extend web-01 --by 14d",
		Args:    exactArgs(1, "a request id, VM id or VM name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			days, err := app.ParseLeaseDays("--by", by, false)
			if err != nil {
				return err
			}
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			v, err := a.ExtendLease(cmd.Context(), c.actor(), args[0], days)
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(contract.NewRequest(v))
			}
			if v.Lease != nil && v.Lease.Extension != nil {
				fmt.Fprintf(c.out, "extension of %s by %d days asked for: past the longest lease, an admin must approve it\n", c.printer.cell(v.Name), days)
				return nil
			}
			fmt.Fprintf(c.out, "lease of %s extended: expires on %s\n", c.printer.cell(v.Name), expiry(v))
			return nil
		},
	}
	cmd.Flags().StringVar(&by, "by", "", "days to add, like 14d")
	return cmd
}

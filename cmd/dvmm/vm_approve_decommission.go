package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/contract"
)

func newVMApproveDecommissionCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "approve-decommission <request-id|vm-id|name>",
		Short: "Approve the removal of a VM (admins)",
		Long: `Approve an ask to decommission a VM: a tenant admin other than the one who
asked. The request becomes DECOMMISSIONING and the removal is queued:
'dvmm serve' powers the VM off and removes it from vCenter (a VM already
gone is fine), then the request is DECOMMISSIONED.`,
		Example: "  dvmm --tenant acme vm approve-decommission web-01",
		Args:    exactArgs(1, "a request id, VM id or VM name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			v, err := a.ApproveDecommission(cmd.Context(), c.actor(), args[0])
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(contract.NewRequest(v))
			}
			fmt.Fprintf(c.out, "decommission of %s (request %s) approved: %s; 'dvmm serve' removes the VM\n",
				c.printer.cell(v.Name), v.ID, c.printer.status(v.Status))
			return nil
		},
	}
}

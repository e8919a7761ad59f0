package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/contract"
)

func newVMApproveResizeCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "approve-resize <request-id|vm-id|name>",
		Short: "Approve an asked resize (admins)",
		Long: `Approve the resize asked for a VM: a tenant admin who is neither the VM's
requester nor the asker. The quota is checked again for the difference;
then the reconfiguration is queued for 'dvmm serve', and the timeline says
when the VM has its new size (or why it could not get it).`,
		Example: "  dvmm --tenant acme vm approve-resize web-01",
		Args:    exactArgs(1, "a request id, VM id or VM name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			v, err := a.ApproveResize(cmd.Context(), c.actor(), args[0])
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(contract.NewRequest(v))
			}
			fmt.Fprintf(c.out, "resize of %s (request %s) approved: 'dvmm serve' reconfigures the VM\n", c.printer.cell(v.Name), v.ID)
			return nil
		},
	}
}

package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/contract"
)

func newVMApproveExtensionCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "approve-extension <request-id|vm-id|name>",
		Short: "Approve a lease extension past the longest lease (admins)",
		Long: `Approve an extension asked for past the longest lease of the tenant's
policy: a tenant admin who is neither the VM's requester nor the one who
asked. The lease's end moves on by the days asked for.`,
		Example: "  dvmm --tenant acme vm approve-extension web-01",
		Args:    exactArgs(1, "a request id, VM id or VM name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			v, err := a.ApproveLeaseExtension(cmd.Context(), c.actor(), args[0])
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(contract.NewRequest(v))
			}
			fmt.Fprintf(c.out, "extension of %s approved: expires on %s\n", c.printer.cell(v.Name), expiry(v))
			return nil
		},
	}
}

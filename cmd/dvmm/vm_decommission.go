package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/contract"
)

func newVMDecommissionCmd(c *cli) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "decommission <request-id|vm-id|name> --reason T",
		Short: "Ask to remove a READY VM (requester or admin)",
		Long: `Ask to decommission a READY VM, with a reason: its requester or a tenant
admin may ask. Another admin approves with 'vm approve-decommission' (no one
approves their own ask); then 'dvmm serve' powers the VM off and removes it
from vCenter, and the request ends DECOMMISSIONED, its name, quota share and
leased address free again.`,
		Example: `  dvmm --tenant acme vm decommission web-01 --reason "the load tests are over"`,
		Args:    exactArgs(1, "a request id, VM id or VM name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			v, err := a.RequestDecommission(cmd.Context(), c.actor(), args[0], reason)
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(contract.NewRequest(v))
			}
			fmt.Fprintf(c.out, "decommission of %s (request %s) asked for: an admin approves it with 'dvmm vm approve-decommission %s'\n",
				c.printer.cell(v.Name), v.ID, c.printer.cell(args[0]))
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the VM can go, 10-500 characters (required)")
	_ = cmd.MarkFlagRequired("reason")
	return cmd
}

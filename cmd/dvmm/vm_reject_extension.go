package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/contract"
)

func newVMRejectExtensionCmd(c *cli) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "reject-extension <request-id|vm-id|name> --reason TEXT",
		Short: "Reject a lease extension asked for (admins)",
		Long: `Reject an extension asked for past the longest lease, with a reason (10 to
500 characters): a tenant admin other than the one who asked. The lease
keeps its end.`,
		Example: `  dvmm --tenant acme vm reject-extension web-01 --reason "the project ends this month"`,
		Args:    exactArgs(1, "a request id, VM id or VM name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			v, err := a.RejectLeaseExtension(cmd.Context(), c.actor(), args[0], reason)
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(contract.NewRequest(v))
			}
			fmt.Fprintf(c.out, "extension of %s rejected: expires on %s\n", c.printer.cell(v.Name), expiry(v))
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (10-500 characters)")
	return cmd
}

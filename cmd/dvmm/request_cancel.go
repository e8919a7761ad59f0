package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
)

func newRequestCancelCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:               "cancel <id>",
		Short:             "Withdraw a pending or failed request",
		Long:              "Cancel a request that is still pending, or whose provisioning FAILED (that frees its name). The requester or a tenant admin can cancel. A request whose provisioning still runs is given up with 'request give-up'.",
		Example:           "  dvmm request cancel 3fk2",
		Args:              exactArgs(1, "a request id"),
		ValidArgsFunction: c.completeRequestIDs(app.StatusPending, app.StatusFailed),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			v, err := a.Cancel(cmd.Context(), c.actor(), args[0])
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(contract.NewRequest(v))
			}
			fmt.Fprintf(c.out, "request %s cancelled\n", v.ID)
			return nil
		},
	}
}

package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
)

func newRequestGiveUpCmd(c *cli) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "give-up <id> --reason T",
		Short: "End a request whose provisioning cannot finish (admins)",
		Long: `Give up an approved request whose provisioning cannot finish, as when its
vCenter stays unreachable: its queued work is dropped, its leased address
goes back to the pool, and the request ends CANCELLED with a timeline line
(its name is free again). A VM it may have made is removed by queued work
once vCenter answers ('dvmm serve' runs it); if it cannot be removed, the
timeline says so. Tenant admins only.`,
		Example:           `  dvmm --user alice request give-up 3fk2 --reason "the lab vCenter is gone for good"`,
		Args:              exactArgs(1, "a request id"),
		ValidArgsFunction: c.completeRequestIDs(app.StatusProvisioning, app.StatusApproved),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			v, err := a.GiveUp(cmd.Context(), c.actor(), args[0], reason)
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(contract.NewRequest(v))
			}
			fmt.Fprintf(c.out, "request %s given up: %s\n", v.ID, c.printer.status(v.Status))
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, 10-500 characters (required)")
	_ = cmd.MarkFlagRequired("reason")
	return cmd
}

package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
)

func newRequestRejectCmd(c *cli) *cobra.Command {
	var (
		expected int
		reason   string
	)
	cmd := &cobra.Command{
		Use:   "reject <id>",
		Short: "Reject a pending request with a reason",
		Long: `Reject a pending request of your tenant with a reason of 10-500 characters.
Only a tenant admin who is not the requester can reject.`,
		Example:           `  dvmm --user alice request reject 3fk2 --reason "not in this quarter's budget"`,
		Args:              exactArgs(1, "a request id"),
		ValidArgsFunction: c.completeRequestIDs(app.StatusPending),
		RunE: func(cmd *cobra.Command, args []string) error {
			if expected < 0 || expected == 0 && cmd.Flags().Changed("expect-version") {
				return usageError("--expect-version must be a positive number: versions start at 1")
			}
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			v, err := a.Reject(cmd.Context(), c.actor(), args[0], reason, expected)
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(contract.NewRequest(v))
			}
			fmt.Fprintf(c.out, "request %s rejected\n", v.ID)
			return nil
		},
	}
	cmd.Flags().IntVar(&expected, "expect-version", 0, "refuse unless the request is still at this version")
	cmd.Flags().StringVar(&reason, "reason", "", "why, 10-500 characters (required)")
	return cmd
}

package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

func newVMwareTestCmd(c *cli) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "test",
		Short: "Log in to vCenter and check the inventory the settings name",
		Long: `Log in to the tenant's vCenter and check that the datacenter, cluster or
pool, datastore, network, template and folder exist. One line per check;
exit 6 if any fails.`,
		Example: "  dvmm vmware test",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			ctx, cancel := contextWithTimeout(cmd.Context(), timeout)
			defer cancel()
			checks, err := a.TestVMware(ctx, c.actor())
			if err != nil {
				return err
			}
			failed := 0
			for i, ch := range checks {
				if !ch.OK {
					failed++
					checks[i].Detail = withHint(ch.Detail, ch.Code)
				}
			}
			if c.structured() {
				if err := c.printer.data(checks); err != nil {
					return err
				}
			} else {
				for _, ch := range checks {
					mark := c.printer.checkMark(map[bool]string{true: checkOK, false: checkFail}[ch.OK])
					fmt.Fprintf(c.out, "%s  %-13s %s\n", mark, ch.Name, ch.Detail)
				}
			}
			if failed > 0 {
				return &exitError{code: ExitUnavailable, msg: fmt.Sprintf("%d of %d checks failed", failed, len(checks))}
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "give up after this long")
	return cmd
}

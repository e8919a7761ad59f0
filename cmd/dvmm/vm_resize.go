package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/contract"
)

func newVMResizeCmd(c *cli) *cobra.Command {
	var (
		size         string
		allowRestart bool
	)
	cmd := &cobra.Command{
		Use:   "resize <request-id|vm-id|name> --size S|M|L|XL [--allow-restart]",
		Short: "Ask for another size of a READY VM (requester or admin)",
		Long: `Ask for another size of a READY VM: its requester or a tenant admin may.
An admin other than the VM's requester and the asker approves it with
'vm approve-resize'; the quota must have room for the difference, at the
ask and again at the approval. Then 'dvmm serve' reconfigures the VM. CPU
and memory change only while a VM is off: a VM that is on is powered off
and on again only with --allow-restart, and otherwise the resize fails and
says so. A disk only grows, so a size with a smaller disk is refused.`,
		Example: "  dvmm --tenant acme vm resize web-01 --size L --allow-restart",
		Args:    exactArgs(1, "a request id, VM id or VM name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			v, err := a.AskResize(cmd.Context(), c.actor(), args[0], size, allowRestart)
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(contract.NewRequest(v))
			}
			fmt.Fprintf(c.out, "resize of %s (request %s) to %s asked for: an admin approves it with 'dvmm vm approve-resize %s'\n",
				c.printer.cell(v.Name), v.ID, c.printer.cell(size), c.printer.cell(args[0]))
			return nil
		},
	}
	cmd.Flags().StringVar(&size, "size", "", "the new size: S, M, L or XL (required)")
	cmd.Flags().BoolVar(&allowRestart, "allow-restart", false, "power the VM off and on again if it is on")
	_ = cmd.MarkFlagRequired("size")
	return cmd
}

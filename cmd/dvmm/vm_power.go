package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
)

func newVMPowerCmd(c *cli) *cobra.Command {
	var wait bool
	cmd := &cobra.Command{
		Use:   "power on|off|restart <request-id|vm-id|name>",
		Short: "Switch a READY VM on or off, or restart it",
		Long: `Switch a READY VM on or off, or restart it (a hard reset; a VM that is off
is powered on): its requester or a tenant admin may. The action is queued
vSphere work, run by 'dvmm serve' with retries and the vCenter's task
limit, and its timeline says who asked and what vCenter did. With --wait
it runs here and exits 0 when done, 7 when it failed. A VM already in the
asked state is left as it is.`,
		Example: "  dvmm --tenant acme vm power off web-01\n  dvmm --tenant acme vm power restart web-01 --wait",
		Args:    exactArgs(2, "on, off or restart, and a request id, VM id or VM name"),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return []string{"on", "off", "restart"}, cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			action, err := app.ParsePowerAction(args[0])
			if err != nil {
				return err
			}
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			res, err := a.SwitchPower(cmd.Context(), c.actor(), args[1], action, wait)
			if err != nil {
				return err
			}
			if c.structured() {
				if err := c.printer.data(contract.NewPowerResult(res)); err != nil {
					return err
				}
			} else {
				switch res.Status {
				case app.CommandPending:
					fmt.Fprintf(c.out, "power %s of %s queued: 'dvmm serve' runs it\n", action, c.printer.cell(res.Request.Name))
				case app.CommandDone:
					power := ""
					if res.Request.VM != nil {
						power = res.Request.VM.PowerState
					}
					fmt.Fprintf(c.out, "power %s of %s done: %s\n", action, c.printer.cell(res.Request.Name), c.printer.cell(power))
				}
			}
			if res.Status == app.CommandFailed {
				return &exitError{code: ExitFailed, msg: fmt.Sprintf("power %s of %s failed: %s", action, res.Request.Name, res.Error)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "run the action here and wait for it to end")
	return cmd
}

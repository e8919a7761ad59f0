package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
	"github.com/dvmm/dvmm/internal/textsafe"
)

func newVMReconcileCmd(c *cli) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "reconcile",
		Short: "Record what changed on READY VMs outside dvmm",
		Long: `Compare each READY VM of your tenant (of every tenant with --all) with
vCenter, in one pass per tenant, and record what changed outside dvmm:
deleted, renamed, resized, powered off or on, a new IP. Each change is a
line on the request's timeline. Nothing is changed in vCenter.

A tenant whose vCenter cannot be read is reported and left as it was
(exit 6): an unreachable vCenter is never taken for deleted VMs. 'dvmm
serve' does the same for every tenant each --reconcile-every.`,
		Example: `  dvmm vm reconcile
  dvmm vm reconcile --all -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			res, err := a.Reconcile(cmd.Context(), c.actor(), all)
			if err != nil {
				return err
			}
			out := contract.NewReconcile(res)
			if c.structured() {
				err = c.printer.data(out)
			} else {
				renderReconcile(c.printer, out)
			}
			if err != nil {
				return err
			}
			for _, t := range out.Tenants {
				if t.Error != "" {
					return &exitError{code: ExitUnavailable}
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "reconcile every tenant (operators and platform admins)")
	return cmd
}

// renderReconcile prints a line per tenant, then one per change found.
func renderReconcile(p *printer, r contract.Reconcile) {
	if len(r.Tenants) == 0 {
		fmt.Fprintln(p.w, "No tenant has VMware settings.")
	}
	for _, t := range r.Tenants {
		if t.Error != "" {
			fmt.Fprintf(p.w, "%s: %s\n", t.Tenant, p.bad("vCenter could not be read, nothing recorded: "+textsafe.Escape(t.Error)))
			continue
		}
		fmt.Fprintf(p.w, "%s: %d READY VM(s) checked, %d changed outside dvmm\n", t.Tenant, t.Checked, len(t.Drifted))
		for _, d := range t.Drifted {
			for _, c := range d.Changes {
				// The words carry names vCenter reported: data, shown escaped.
				fmt.Fprintf(p.w, "  %s  %s  %s\n", app.ShortID(d.RequestID), d.Name, textsafe.Escape(c.Text))
			}
		}
	}
}

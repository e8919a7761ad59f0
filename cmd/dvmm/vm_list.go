package main

import (
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
)

func newVMListCmd(c *cli) *cobra.Command {
	var expiring string
	cmd := &cobra.Command{
		Use:   "list [--expiring 7d]",
		Short: "List your tenant's VMs",
		Long: `List the VMs of your tenant as last recorded: state, vCenter name, moref, IP,
vCPU, memory, power state and when the lease expires ("-": never).
--expiring 7d keeps the live VMs whose lease ends within 7 days (or has
ended).`,
		Example: "  dvmm vm list -o json\n  dvmm vm list --expiring 7d",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var within time.Duration
			if expiring != "" {
				var err error
				if within, err = parseWithin(expiring); err != nil {
					return err
				}
			}
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			vs, err := a.ListVMs(cmd.Context(), c.actor())
			if err != nil {
				return err
			}
			if expiring != "" {
				now := time.Now()
				if clockOverride != nil {
					now = clockOverride.Now()
				}
				vs = app.ExpiringWithin(vs, now, within)
			}
			if c.structured() {
				out := make([]contract.VMStatus, 0, len(vs))
				for _, v := range vs {
					out = append(out, contract.NewVMStatus(v, app.LiveVM{}))
				}
				return c.printer.data(out)
			}
			c.printer.table(vmRows(c.printer, vs, c.wide()))
			return nil
		},
	}
	cmd.Flags().StringVar(&expiring, "expiring", "", "only VMs whose lease ends within this many days (7d)")
	return cmd
}

// vmRows renders VMs as table rows; wide adds the full request id, the
// project, stage, vCenter name, folder, instance UUID and attempt.
func vmRows(p *printer, vs []app.RequestView, wide bool) (headers []string, rows [][]string) {
	headers = []string{"REQUEST", "NAME", "STATE", "MOREF", "IP", "VCPU", "MEMORY", "POWER", "EXPIRES"}
	if wide {
		headers = []string{"REQUEST", "NAME", "PROJECT", "STATE", "STAGE", "VCENTER NAME", "FOLDER", "MOREF",
			"INSTANCE UUID", "IP", "VCPU", "MEMORY", "POWER", "ATTEMPT", "EXPIRES"}
	}
	rows = make([][]string, 0, len(vs))
	for _, v := range vs {
		vm := v.VM
		if vm == nil {
			vm = &app.VMView{}
		}
		if !wide {
			rows = append(rows, []string{app.ShortID(v.ID), v.Name, p.status(v.Status), vm.MoRef, vm.IP,
				strconv.Itoa(vm.CPUs), strconv.Itoa(vm.MemoryGB) + " GB", vm.PowerState, expiry(v)})
			continue
		}
		rows = append(rows, []string{v.ID, v.Name, v.Project, p.status(v.Status), string(vm.Stage), vm.VCenterName,
			vm.Folder, vm.MoRef, vm.InstanceUUID, vm.IP, strconv.Itoa(vm.CPUs), strconv.Itoa(vm.MemoryGB) + " GB",
			vm.PowerState, strconv.Itoa(vm.Attempt), expiry(v)})
	}
	return headers, rows
}

package main

import (
	"strconv"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
)

func newVMListCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List your tenant's VMs",
		Long:    "List the VMs of your tenant as last recorded: state, vCenter name, moref, IP, vCPU and memory.",
		Example: "  dvmm vm list -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			vs, err := a.ListVMs(cmd.Context(), c.actor())
			if err != nil {
				return err
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
}

// vmRows renders VMs as table rows; wide adds the full request id, the
// project, stage, vCenter name, folder, instance UUID and attempt.
func vmRows(p *printer, vs []app.RequestView, wide bool) (headers []string, rows [][]string) {
	headers = []string{"REQUEST", "NAME", "STATE", "MOREF", "IP", "VCPU", "MEMORY", "POWER"}
	if wide {
		headers = []string{"REQUEST", "NAME", "PROJECT", "STATE", "STAGE", "VCENTER NAME", "FOLDER", "MOREF",
			"INSTANCE UUID", "IP", "VCPU", "MEMORY", "POWER", "ATTEMPT"}
	}
	rows = make([][]string, 0, len(vs))
	for _, v := range vs {
		vm := v.VM
		if vm == nil {
			vm = &app.VMView{}
		}
		if !wide {
			rows = append(rows, []string{app.ShortID(v.ID), v.Name, p.status(v.Status), vm.MoRef, vm.IP,
				strconv.Itoa(vm.CPUs), strconv.Itoa(vm.MemoryGB) + " GB", vm.PowerState})
			continue
		}
		rows = append(rows, []string{v.ID, v.Name, v.Project, p.status(v.Status), string(vm.Stage), vm.VCenterName,
			vm.Folder, vm.MoRef, vm.InstanceUUID, vm.IP, strconv.Itoa(vm.CPUs), strconv.Itoa(vm.MemoryGB) + " GB",
			vm.PowerState, strconv.Itoa(vm.Attempt)})
	}
	return headers, rows
}

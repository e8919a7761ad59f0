package main

import (
	"strconv"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
)

func newVMListCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List your tenant's VMs",
		Long:    "List the VMs of your tenant as last recorded: state, vCenter name, moref, IP, vCPU and memory.",
		Example: "  dvmm vm list -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := c.App(cmd.Context())
			if err != nil {
				return err
			}
			vs, err := a.ListVMs(cmd.Context(), c.actor())
			if err != nil {
				return err
			}
			if c.jsonOutput() {
				out := make([]vmStatusJSON, 0, len(vs))
				for _, v := range vs {
					out = append(out, vmStatusJSON{ID: app.VMID(v.ID), RequestID: v.ID, Name: v.Name, Status: v.Status, Version: v.Version, Recorded: v.VM, Source: "recorded"})
				}
				return c.printer.json(out)
			}
			rows := make([][]string, 0, len(vs))
			for _, v := range vs {
				vm := v.VM
				rows = append(rows, []string{shortID(v.ID), v.Name, c.printer.status(v.Status), vm.MoRef, vm.IP,
					strconv.Itoa(vm.CPUs), strconv.Itoa(vm.MemoryGB) + " GB", vm.PowerState})
			}
			c.printer.table([]string{"REQUEST", "NAME", "STATE", "MOREF", "IP", "VCPU", "MEMORY", "POWER"}, rows)
			return nil
		},
	}
}

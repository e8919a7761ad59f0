package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
)

// vmStatusJSON is the stable JSON of 'vm status'.
type vmStatusJSON struct {
	ID        string       `json:"id"`
	RequestID string       `json:"request_id"`
	Name      string       `json:"name"`
	Status    app.Status   `json:"status"`
	Version   int          `json:"version"`
	Recorded  *app.VMView  `json:"recorded,omitempty"`
	Live      *app.Machine `json:"live,omitempty"`
	Source    string       `json:"source"`
}

func newVMStatusCmd(c *cli) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "status <request-id|vm-id|vm-name>",
		Short: "Show a VM's state, vCenter name, moref, IP, size and power state",
		Long: `Show a VM: its state, vCenter name, moref, IP, vCPU, memory and power state.
Values are read from vCenter when it answers within --timeout, else the last
recorded ones are shown (and 'source' says which).`,
		Example:           "  dvmm vm status 3fk2\n  dvmm vm status web-01 -o json",
		Args:              exactArgs(1, "a request id, VM id or VM name"),
		ValidArgsFunction: c.completeRequestIDs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.App(cmd.Context())
			if err != nil {
				return err
			}
			v, live, err := a.VmStatus(cmd.Context(), c.actor(), args[0], timeout)
			if err != nil {
				return err
			}
			out := vmStatusJSON{ID: app.VMID(v.ID), RequestID: v.ID, Name: v.Name, Status: v.Status, Version: v.Version, Recorded: v.VM, Live: live, Source: "recorded"}
			if live != nil {
				out.Source = "vcenter"
			}
			if c.jsonOutput() {
				return c.printer.json(out)
			}
			pairs := [][2]string{{"VM", out.ID}, {"Request", v.ID}, {"Name", v.Name}, {"State", c.printer.status(v.Status)}}
			if vm := v.VM; vm != nil {
				name, moref, ip, cpus, mem, power := vm.VCenterName, vm.MoRef, vm.IP, vm.CPUs, vm.MemoryGB*1024, vm.PowerState
				if live != nil {
					name, moref, ip, cpus, mem, power = live.Name, live.MoRef, live.IP, live.CPUs, live.MemoryMB, live.PowerState
				}
				if ip == "" && v.Status == app.StatusReady {
					ip = "(pending)"
				}
				pairs = append(pairs, [][2]string{{"vCenter name", name}, {"MoRef", moref}, {"IP", ip},
					{"vCPU", strconv.Itoa(cpus)}, {"Memory", fmt.Sprintf("%d MB", mem)}, {"Power", power},
					{"Stage", string(vm.Stage)}, {"Error", vm.Error}, {"Source", out.Source}}...)
			}
			c.printer.fields(pairs)
			return nil
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for vCenter before showing recorded values")
	return cmd
}

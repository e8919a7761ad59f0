package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
	"github.com/dvmm/dvmm/internal/textsafe"
)

func newVMStatusCmd(c *cli) *cobra.Command {
	var (
		timeout  time.Duration
		watch    bool
		interval time.Duration
	)
	cmd := &cobra.Command{
		Use:   "status <request-id|vm-id|vm-name>",
		Short: "Show a VM's state, vCenter name, moref, IP, size and power state",
		Long: `Show a VM: its state, vCenter name, moref, IP, vCPU, memory and power state.
The VM is looked up in vCenter by its recorded moref and instance UUID
first. Values are read from vCenter when it answers within --timeout;
otherwise the recorded ones are shown ('source' says which) with the
reason: a VM that vCenter no longer has is reported as not found in
vCenter (exit 9), a vCenter that cannot be read as unavailable (exit 6).

With --watch the VM is shown again every --interval until its request is
READY (exit 0), FAILED (exit 7), REJECTED or CANCELLED (exit 8); Ctrl-C
stops watching (exit 130). On a terminal the view is redrawn in place;
otherwise it is printed once and then one line per change of state, stage
or IP.`,
		Example: `  dvmm vm status 3fk2
  dvmm vm status web-01 -o json
  dvmm vm status web-01 --watch --interval 2s`,
		Args:              exactArgs(1, "a request id, VM id or VM name"),
		ValidArgsFunction: c.completeVMs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkWatchFlags(cmd, watch, interval); err != nil {
				return err
			}
			if err := checkDuration("timeout", timeout, 100*time.Millisecond, time.Minute); err != nil {
				return err
			}
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			if !watch {
				v, live, err := a.VMStatus(cmd.Context(), c.actor(), args[0], timeout)
				if err != nil {
					return err
				}
				out := contract.NewVMStatus(v, live)
				if c.structured() {
					if err := c.printer.data(out); err != nil {
						return err
					}
				} else {
					renderVMStatus(c.printer, out, c.wide())
				}
				return liveOutcome(out)
			}
			ref, last := args[0], ""
			var log []string
			return c.watch(cmd.Context(), interval, func(ctx context.Context) (frame, error) {
				v, live, err := a.VMStatus(ctx, c.actor(), ref, timeout)
				if err != nil {
					return frame{}, err
				}
				ref = v.ID
				s := contract.NewVMStatus(v, live)
				if sum := vmSummary(c.printer, s); sum != last {
					last = sum
					log = append(log, c.printer.dim(formatTime(time.Now()))+"  "+sum)
				}
				wide := c.wide()
				return frame{view: v, data: s, log: log, draw: func(p *printer) { renderVMStatus(p, s, wide) }}, nil
			})
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for vCenter before showing recorded values")
	watchFlags(cmd, &watch, &interval)
	return cmd
}

// liveOutcome is the exit of 'vm status' once the VM is shown: a VM
// vCenter no longer has, or a vCenter that could not be read, is not a
// success for a script that checks the VM.
func liveOutcome(s contract.VMStatus) error {
	switch {
	case s.MissingInVCenter:
		return &exitError{code: ExitMissing, msg: fmt.Sprintf("VM %s not found in vCenter (recorded as %s)", s.Name, s.Recorded.MoRef)}
	case s.VCenterError != "":
		return &exitError{code: ExitUnavailable, msg: "vCenter could not be read: " + s.VCenterError}
	}
	return nil
}

// vmSummary is one line of what a watch of a VM reports when it changes.
func vmSummary(p *printer, s contract.VMStatus) string {
	parts := []string{p.status(s.Status)}
	if vm := s.Recorded; vm != nil {
		if vm.Stage != "" {
			parts = append(parts, "stage "+string(vm.Stage))
		}
		ip := vm.IP
		if s.Live != nil {
			ip = s.Live.IP
		}
		if s.MissingInVCenter {
			parts = append(parts, "not found in vCenter")
		}
		if ip != "" {
			parts = append(parts, "IP "+textsafe.Escape(ip))
		}
		if vm.Error != "" {
			parts = append(parts, textsafe.Escape(withHint(vm.Error, vm.ErrorCode)))
		}
	}
	return strings.Join(parts, ", ")
}

// renderVMStatus draws a VM's fields: vCenter's values when it answered,
// else the recorded ones. wide adds the instance UUID, folder, hostname
// and attempt.
func renderVMStatus(p *printer, s contract.VMStatus, wide bool) {
	pairs := [][2]string{{"VM", s.ID}, {"Request", s.RequestID}, {"Name", s.Name}, {"State", p.status(s.Status)}}
	if vm := s.Recorded; vm != nil {
		name, moref, ip, cpus, mem, power := vm.VCenterName, vm.MoRef, vm.IP, vm.CPUs, vm.MemoryGB*1024, vm.PowerState
		uuid, folder, hostname := vm.InstanceUUID, vm.Folder, ""
		if live := s.Live; live != nil {
			name, moref, ip, cpus, mem, power = live.Name, live.MoRef, live.IP, live.CPUs, live.MemoryMB, live.PowerState
			uuid, folder, hostname = live.InstanceUUID, live.Folder, live.Hostname
		}
		if ip == "" && s.Status == app.StatusReady {
			ip = "(pending)"
		}
		pairs = append(pairs, [][2]string{{"vCenter name", name}, {"MoRef", moref}, {"IP", ip},
			{"vCPU", strconv.Itoa(cpus)}, {"Memory", fmt.Sprintf("%d MB", mem)}, {"Power", power},
			{"Stage", string(vm.Stage)}, {"Error", withHint(vm.Error, vm.ErrorCode)}, {"Source", s.Source}}...)
		pairs = append(pairs, leaseFields(s.Lease)...)
		switch {
		case s.MissingInVCenter:
			pairs = append(pairs, [2]string{"vCenter", p.bad("not found in vCenter")})
		case s.VCenterError != "":
			pairs = append(pairs, [2]string{"vCenter", p.bad("could not be read: " + textsafe.Escape(s.VCenterError))})
		}
		if wide {
			pairs = append(pairs, [][2]string{{"Instance UUID", uuid}, {"Folder", folder}, {"Hostname", hostname},
				{"Attempt", strconv.Itoa(vm.Attempt)}, {"Error code", vm.ErrorCode}}...)
		}
	}
	p.fields(pairs)
}

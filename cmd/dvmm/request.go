package main

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
	"github.com/dvmm/dvmm/internal/textsafe"
)

func newRequestCmd(c *cli) *cobra.Command {
	return groupCmd("request", "Ask for VMs, and approve, reject, cancel or retry requests",
		`A request asks for one VM. A tenant admin other than the requester approves
or rejects it; approval starts provisioning at once.`,
		newRequestCreateCmd(c), newRequestApproveCmd(c), newRequestRejectCmd(c), newRequestCancelCmd(c), newRequestGiveUpCmd(c),
		newRequestRetryCmd(c), newRequestListCmd(c), newRequestShowCmd(c))
}

// printRequest shows a request and its timeline.
func (c *cli) printRequest(v app.RequestView, tl []app.TimelineEntry) error {
	if c.structured() {
		return c.printer.data(contract.NewRequestWithTimeline(v, tl))
	}
	renderRequest(c.printer, v, tl, c.wide())
	return nil
}

// renderRequest draws a request's fields and timeline; wide adds the
// fields a table leaves out (VM folder, instance UUID, attempt, times).
func renderRequest(p *printer, v app.RequestView, tl []app.TimelineEntry, wide bool) {
	pairs := [][2]string{
		{"Request", v.ID},
		{"Name", v.Name},
		{"Status", p.status(v.Status)},
		{"Version", strconv.Itoa(v.Version)},
		{"Tenant", v.Tenant},
		{"Project", v.Project},
		{"Size", fmt.Sprintf("%s (%d vCPU, %d GB RAM, %d GB disk)", v.Size, v.CPUs, v.MemoryGB, v.DiskGB)},
		{"Network", v.Network},
		{"Requester", v.Requester},
		{"Justification", v.Justification},
		{"Decided by", v.DecidedBy},
		{"Reason", v.Reason},
		{"Created", formatTime(v.CreatedAt)},
	}
	if wide {
		pairs = append(pairs, [2]string{"Updated", formatTime(v.UpdatedAt)})
	}
	if r := v.Resize; r != nil {
		ask := "to " + r.Size + " asked for by " + r.RequestedBy
		if r.AllowRestart {
			ask += " (restart allowed)"
		}
		pairs = append(pairs, [2]string{"Resize", ask})
		if r.ApprovedBy != "" {
			pairs = append(pairs, [2]string{"Resize approved by", r.ApprovedBy})
		}
	}
	if d := v.Decommission; d != nil {
		pairs = append(pairs, [][2]string{
			{"Decommission", "asked for by " + d.RequestedBy + ": " + d.Reason},
			{"Approved by", d.ApprovedBy},
		}...)
	}
	pairs = append(pairs, leaseFields(v.Lease)...)
	if vm := v.VM; vm != nil {
		pairs = append(pairs, [][2]string{
			{"VM", vm.ID},
			{"vCenter name", vm.VCenterName},
			{"MoRef", vm.MoRef},
			{"IP", vm.IP},
			{"Stage", string(vm.Stage)},
			{"Error", withHint(vm.Error, vm.ErrorCode)},
		}...)
		if wide {
			pairs = append(pairs, [][2]string{
				{"Folder", vm.Folder},
				{"Instance UUID", vm.InstanceUUID},
				{"Attempt", strconv.Itoa(vm.Attempt)},
				{"Power", vm.PowerState},
				{"Error code", vm.ErrorCode},
			}...)
		}
	}
	p.fields(pairs)
	if tl != nil {
		fmt.Fprintln(p.w)
		p.heading("Timeline")
		for _, line := range timelineLines(p, tl) {
			fmt.Fprintln(p.w, line)
		}
	}
}

// timelineLines renders timeline entries, one aligned line each.
func timelineLines(p *printer, tl []app.TimelineEntry) []string {
	width := 0
	for _, e := range tl {
		width = max(width, utf8.RuneCountInString(timelineText(e)))
	}
	out := make([]string, 0, len(tl))
	for _, e := range tl {
		out = append(out, fmt.Sprintf("  %s  %-*s  %s", p.dim(formatTime(e.At)), width, timelineText(e), p.dim(textsafe.Escape(e.Actor))))
	}
	return out
}

// timelineText is a timeline step's words as a terminal may show them:
// the reason or error in it is data, escaped, so that no text can forge
// a line of the timeline or act on the terminal.
func timelineText(e app.TimelineEntry) string {
	return textsafe.Escape(contract.TimelineText(e))
}

// requestRows renders requests as table rows; wide adds the full id,
// network, who decided, the VM's moref and IP, and the last change.
func (c *cli) requestRows(vs []app.RequestView) (headers []string, rows [][]string) {
	wide := c.wide()
	headers = []string{"ID", "NAME", "PROJECT", "SIZE", "STATUS", "VERSION", "REQUESTER", "CREATED"}
	if wide {
		headers = []string{"ID", "NAME", "PROJECT", "SIZE", "STATUS", "VERSION", "REQUESTER", "NETWORK", "DECIDED BY", "MOREF", "IP", "CREATED", "UPDATED"}
	}
	rows = make([][]string, 0, len(vs))
	for _, v := range vs {
		if !wide {
			rows = append(rows, []string{app.ShortID(v.ID), v.Name, v.Project, v.Size, c.printer.status(v.Status),
				strconv.Itoa(v.Version), v.Requester, formatTime(v.CreatedAt)})
			continue
		}
		moref, ip := "", ""
		if v.VM != nil {
			moref, ip = v.VM.MoRef, v.VM.IP
		}
		rows = append(rows, []string{v.ID, v.Name, v.Project, v.Size, c.printer.status(v.Status),
			strconv.Itoa(v.Version), v.Requester, v.Network, v.DecidedBy, moref, ip,
			formatTime(v.CreatedAt), formatTime(v.UpdatedAt)})
	}
	return headers, rows
}

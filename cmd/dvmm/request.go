package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
)

func newRequestCmd(c *cli) *cobra.Command {
	return groupCmd("request", "Ask for VMs, and approve, reject, cancel or retry requests",
		`A request asks for one VM. A tenant admin other than the requester approves
or rejects it; approval starts provisioning at once.`,
		newRequestCreateCmd(c), newRequestApproveCmd(c), newRequestRejectCmd(c), newRequestCancelCmd(c),
		newRequestRetryCmd(c), newRequestListCmd(c), newRequestShowCmd(c))
}

// requestJSON is the stable JSON of one request with its timeline.
type requestJSON struct {
	app.RequestView
	Timeline []app.TimelineEntry `json:"timeline"`
}

// printRequest shows a request and its timeline.
func (c *cli) printRequest(v app.RequestView, tl []app.TimelineEntry) error {
	if c.jsonOutput() {
		if tl == nil {
			tl = []app.TimelineEntry{}
		}
		return c.printer.json(requestJSON{RequestView: v, Timeline: tl})
	}
	p := c.printer
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
	if vm := v.VM; vm != nil {
		pairs = append(pairs, [][2]string{
			{"VM", vm.ID},
			{"vCenter name", vm.VCenterName},
			{"MoRef", vm.MoRef},
			{"IP", vm.IP},
			{"Stage", string(vm.Stage)},
			{"Error", vm.Error},
		}...)
	}
	p.fields(pairs)
	if tl != nil {
		fmt.Fprintln(c.out)
		p.heading("Timeline")
		width := 0
		for _, e := range tl {
			width = max(width, len(e.Text))
		}
		for _, e := range tl {
			fmt.Fprintf(c.out, "  %s  %-*s  %s\n", p.dim(formatTime(e.At)), width, e.Text, p.dim(e.Actor))
		}
	}
	return nil
}

// requestRows renders requests as table rows.
func (c *cli) requestRows(vs []app.RequestView) [][]string {
	rows := make([][]string, 0, len(vs))
	for _, v := range vs {
		rows = append(rows, []string{shortID(v.ID), v.Name, v.Project, v.Size, c.printer.status(v.Status),
			strconv.Itoa(v.Version), v.Requester, formatTime(v.CreatedAt)})
	}
	return rows
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

package main

import (
	"context"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
)

// completeRequestIDs completes request ids of the user's tenant from the
// local database, optionally only those with one of the given statuses.
func (c *cli) completeRequestIDs(statuses ...app.Status) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		a, err := c.App(cmd.Context())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		vs, err := a.ListRequests(cmd.Context(), c.actor(), app.RequestFilter{Limit: 200})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, v := range vs {
			if len(statuses) > 0 && !hasStatus(statuses, v.Status) {
				continue
			}
			out = append(out, v.ID+"\t"+v.Name+" ("+string(v.Status)+")")
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeVMs completes the names of the tenant's VMs and the ids of
// their requests: 'vm status' takes either.
func (c *cli) completeVMs() func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		a, err := c.App(cmd.Context())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		vs, err := a.ListRequests(cmd.Context(), c.actor(), app.RequestFilter{HasVM: true, Limit: 200})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names, ids []string
		seen := map[string]bool{}
		for _, v := range vs {
			if !seen[v.Name] {
				seen[v.Name] = true
				names = append(names, v.Name+"\tVM of request "+app.ShortID(v.ID)+" ("+string(v.Status)+")")
			}
			ids = append(ids, v.ID+"\t"+v.Name+" ("+string(v.Status)+")")
		}
		return append(names, ids...), cobra.ShellCompDirectiveNoFileComp
	}
}

// completeStatuses completes the values of --status.
func completeStatuses(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	help := map[app.Status]string{
		app.StatusPending: "waiting for an admin", app.StatusApproved: "approved, provisioning not started",
		app.StatusProvisioning: "the VM is being made", app.StatusReady: "the VM is running",
		app.StatusFailed: "provisioning failed", app.StatusRejected: "an admin said no",
		app.StatusCancelled: "withdrawn by the requester",
	}
	out := make([]string, 0, len(app.Statuses))
	for _, s := range app.Statuses {
		out = append(out, string(s)+"\t"+help[s])
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeOutput completes the values of -o.
func completeOutput(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return []string{"table\taligned columns; colour on a terminal", "wide\ttable with more columns",
		"json\tsnake_case fields for programs", "yaml\tthe JSON fields as YAML"}, cobra.ShellCompDirectiveNoFileComp
}

// completeTenants completes tenant names from the local database.
func (c *cli) completeTenants(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	a, err := c.App(cmd.Context())
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ts, err := a.Tenants(cmd.Context())
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.Name+"\t"+strconv.Itoa(len(t.Members))+" members")
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

func hasStatus(list []app.Status, s app.Status) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// contextWithTimeout is context.WithTimeout that treats 0 as no limit.
func contextWithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

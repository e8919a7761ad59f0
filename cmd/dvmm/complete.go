package main

import (
	"context"
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

package main

import (
	"github.com/spf13/cobra"
)

func newRequestShowCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:               "show <id>",
		Short:             "Show a request and its timeline",
		Long:              "Show a request of your tenant, its VM if any, and its timeline, oldest first. Any unique id prefix works.",
		Example:           "  dvmm request show 3fk2\n  dvmm request show 3fk2 -o json",
		Args:              exactArgs(1, "a request id"),
		ValidArgsFunction: c.completeRequestIDs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.App(cmd.Context())
			if err != nil {
				return err
			}
			v, tl, err := a.ShowRequest(cmd.Context(), c.actor(), args[0])
			if err != nil {
				return err
			}
			return c.printRequest(v, tl)
		},
	}
}

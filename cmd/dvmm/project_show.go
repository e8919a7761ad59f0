package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/contract"
)

func newProjectShowCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "show <project>",
		Short: "Show a project: members, quota, usage and live requests",
		Long: `Show a project of your tenant: its status, members, who created it, how
many of its requests are live (pending, approved, provisioning, ready,
failed or decommissioning), and its quota beside what its requests hold.
Any member may look.`,
		Example: "  dvmm --tenant acme project show shop\n  dvmm --tenant acme project show shop -o json",
		Args:    exactArgs(1, "a project"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			d, err := a.ShowProject(cmd.Context(), c.actor(), args[0])
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(contract.NewProjectDetail(d))
			}
			by := d.CreatedBy
			if d.Upgrade {
				by += " (upgrade)"
			}
			fmt.Fprintf(c.out, "Project:       %s\n", c.printer.cell(d.Name))
			fmt.Fprintf(c.out, "Status:        %s\n", projectStatus(d.ProjectView))
			fmt.Fprintf(c.out, "Members:       %s\n", c.printer.cell(projectMembers(d.ProjectView)))
			fmt.Fprintf(c.out, "Created:       %s by %s\n", formatTime(d.CreatedAt), c.printer.cell(by))
			fmt.Fprintf(c.out, "Live requests: %d\n", d.Live)
			c.printQuota(d.Quota)
			return nil
		},
	}
}

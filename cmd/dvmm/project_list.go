package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/contract"
)

func newProjectListCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List your tenant's projects",
		Long: `List the projects of your tenant with their status (active or archived)
and members, and say whether requesters may ask only in their projects.
Any member may look.`,
		Example: "  dvmm --tenant acme project list\n  dvmm --tenant acme project list -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			ps, membersOnly, err := a.ListProjects(cmd.Context(), c.actor())
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(contract.NewProjectList(ps, membersOnly))
			}
			headers := []string{"PROJECT", "STATUS", "MEMBERS"}
			if c.wide() {
				headers = append(headers, "VERSION", "CREATED", "BY")
			}
			rows := make([][]string, 0, len(ps))
			for _, p := range ps {
				row := []string{p.Name, projectStatus(p), projectMembers(p)}
				if c.wide() {
					row = append(row, strconv.Itoa(p.Version), formatTime(p.CreatedAt), p.CreatedBy)
				}
				rows = append(rows, row)
			}
			c.printer.table(headers, rows)
			if membersOnly {
				fmt.Fprintln(c.out, "Requesters may ask only in the projects they belong to.")
			}
			return nil
		},
	}
}

package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newAdminCmd(c *cli) *cobra.Command {
	return groupCmd("admin", "Maintain the database",
		"Maintenance of the local database. These act on the whole database, every tenant included.",
		newAdminRebuildCmd(c), newAdminMigrateCmd(c))
}

func newAdminRebuildCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "rebuild",
		Short: "Rebuild every read model from the event log",
		Long: `Drop the read models (requests, timelines, tenants, VMware settings) and
derive them again from the event log, in one transaction. The answers of
every read command are the same before and after.`,
		Example: "  dvmm admin rebuild",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := c.App(cmd.Context())
			if err != nil {
				return err
			}
			if err := a.Rebuild(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintln(c.out, "read models rebuilt from the event log")
			return nil
		},
	}
}

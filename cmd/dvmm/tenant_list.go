package main

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
)

func newTenantListCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List tenants and their members",
		Long:    "List every tenant in the database with its members and whether VMware is configured.",
		Example: "  dvmm tenant list -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := c.App(cmd.Context())
			if err != nil {
				return err
			}
			ts, err := a.Tenants(cmd.Context())
			if err != nil {
				return err
			}
			if c.jsonOutput() {
				if ts == nil {
					ts = []app.TenantView{}
				}
				return c.printer.json(ts)
			}
			rows := make([][]string, 0, len(ts))
			for _, t := range ts {
				var admins, users []string
				for _, m := range t.Members {
					if m.Role == app.RoleAdmin {
						admins = append(admins, m.User)
					} else {
						users = append(users, m.User)
					}
				}
				rows = append(rows, []string{t.Name, strings.Join(admins, ","), strings.Join(users, ","), strconv.FormatBool(t.Vmware)})
			}
			c.printer.table([]string{"TENANT", "ADMINS", "USERS", "VMWARE"}, rows)
			return nil
		},
	}
}

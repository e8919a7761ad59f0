package main

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
)

func newTenantListCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List tenants and their members",
		Long:    "List every tenant in the database with its members and whether VMware is configured.",
		Example: "  dvmm tenant list -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			ts, err := a.Tenants(cmd.Context())
			if err != nil {
				return err
			}
			if c.structured() {
				if ts == nil {
					ts = []app.TenantView{}
				}
				return c.printer.data(contract.NewTenants(ts))
			}
			c.printer.table(tenantRows(ts, c.wide()))
			return nil
		},
	}
}

// tenantRows renders tenants as table rows; wide adds the version and
// when the tenant was created.
func tenantRows(ts []app.TenantView, wide bool) (headers []string, rows [][]string) {
	headers = []string{"TENANT", "ADMINS", "USERS", "VMWARE"}
	if wide {
		headers = append(headers, "VERSION", "CREATED")
	}
	rows = make([][]string, 0, len(ts))
	for _, t := range ts {
		var admins, users []string
		for _, m := range t.Members {
			if m.Role == app.RoleAdmin {
				admins = append(admins, m.User)
			} else {
				users = append(users, m.User)
			}
		}
		row := []string{t.Name, strings.Join(admins, ","), strings.Join(users, ","), strconv.FormatBool(t.VMware)}
		if wide {
			row = append(row, strconv.Itoa(t.Version), formatTime(t.CreatedAt))
		}
		rows = append(rows, row)
	}
	return headers, rows
}

package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/apiclient"
	"github.com/dvmm/dvmm/internal/app"
)

func newWhoamiCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Say who you act as, and where",
		Long: `Say who commands act as: on a server, the user the token proves and their
tenants; on the database file, --user (or the OS user) as the operator.`,
		Example: "  dvmm whoami -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rc, _, err := c.remoteClient()
			if err != nil {
				return err
			}
			if rc == nil {
				w := apiclient.Whoami{User: c.actor().User, Tenant: c.actor().Tenant, Tenants: []app.Membership{}}
				if c.structured() {
					return c.printer.data(map[string]any{"user": w.User, "tenant": w.Tenant, "mode": "local", "database": c.dbShown()})
				}
				fmt.Fprintf(c.out, "%s, operator of %s\n", w.User, c.dbShown())
				return nil
			}
			w, err := rc.Whoami(cmd.Context(), app.Actor{Tenant: c.v.GetString("tenant")})
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(map[string]any{"user": w.User, "platform_admin": w.PlatformAdmin, "tenant": w.Tenant,
					"tenants": w.Tenants, "mode": "remote", "server": rc.Server})
			}
			role := ""
			if w.PlatformAdmin {
				role = ", platform admin"
			}
			fmt.Fprintf(c.out, "%s on %s%s\n", w.User, rc.Server, role)
			for _, m := range w.Tenants {
				fmt.Fprintf(c.out, "  %s (%s)\n", m.Tenant, m.Role)
			}
			return nil
		},
	}
}

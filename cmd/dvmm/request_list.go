package main

import (
	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
)

func newRequestListCmd(c *cli) *cobra.Command {
	var (
		status  string
		mine    bool
		project string
		limit   int
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List your tenant's requests, newest first",
		Long: `List the requests of your tenant, newest first, with their status and the
version an admin approves. -o wide adds the full id, network, who decided, and
the VM's moref and IP; -o json and -o yaml print every field.`,
		Example: `  dvmm request list --status pending
  dvmm request list --mine --limit 20 -o wide
  dvmm request list --project shop -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := app.RequestFilter{Project: project, Limit: limit}
			if status != "" {
				st, err := app.ParseStatus(status)
				if err != nil {
					return err
				}
				f.Status = st
			}
			if mine {
				f.Requester = c.actor().User
			}
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			vs, err := a.ListRequests(cmd.Context(), c.actor(), f)
			if err != nil {
				return err
			}
			if c.structured() {
				if vs == nil {
					vs = []app.RequestView{}
				}
				return c.printer.data(contract.NewRequests(vs))
			}
			c.printer.table(c.requestRows(vs))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&status, "status", "", "only requests with this status")
	f.BoolVar(&mine, "mine", false, "only your own requests")
	f.StringVar(&project, "project", "", "only requests of this project")
	f.IntVar(&limit, "limit", 0, "at most this many (0: all)")
	_ = cmd.RegisterFlagCompletionFunc("status", completeStatuses)
	return cmd
}

package main

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
)

func newIPPoolListCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the tenant's address pools and what is leased",
		Long: `List your tenant's static address pools: the network, range, gateway and
DNS servers, how many addresses are leased, and to which request each is.`,
		Example: "  dvmm vmware ip-pool list -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			pools, err := a.ListIPPools(cmd.Context(), c.actor())
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(pools)
			}
			rows := make([][]string, 0, len(pools))
			for _, p := range pools {
				leased := make([]string, 0, len(p.Leases))
				for _, l := range p.Leases {
					leased = append(leased, l.Address+"="+app.ShortID(l.RequestID))
				}
				rows = append(rows, []string{p.Network, p.First + "-" + p.Last + "/" + strconv.Itoa(p.Prefix), p.Gateway,
					strings.Join(p.DNS, ","), strconv.Itoa(len(p.Leases)) + "/" + strconv.Itoa(p.Size), strings.Join(leased, " ")})
			}
			c.printer.table([]string{"NETWORK", "RANGE", "GATEWAY", "DNS", "LEASED", "LEASES"}, rows)
			return nil
		},
	}
}

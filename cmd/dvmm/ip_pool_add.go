package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
)

func newIPPoolAddCmd(c *cli) *cobra.Command {
	var (
		p   app.IPPool
		rng string
	)
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Add a static address pool for a network",
		Long: `Add a pool of static IPv4 addresses for one network of your tenant (admins).
New VMs on that network get the lowest free address of the range, with the
prefix, gateway and DNS servers given here, instead of DHCP. The range must
lie in one subnet and leave out its network and broadcast addresses and the
gateway. A network has at most one pool.`,
		Example: `  dvmm vmware ip-pool add --network "VM Network" --range 10.0.5.10-10.0.5.99 --prefix 24 --gateway 10.0.5.1 --dns 10.0.5.2`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if p.First, p.Last, err = app.ParseRange(rng); err != nil {
				return err
			}
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			v, err := a.AddIPPool(cmd.Context(), c.actor(), p)
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(v)
			}
			fmt.Fprintf(c.out, "IP pool of network %s added: %d addresses, %s-%s/%d\n", p.Network, v.Size, p.First, p.Last, p.Prefix)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&p.Network, "network", "", "the network the pool's addresses are on (required)")
	f.StringVar(&rng, "range", "", "FIRST-LAST: the addresses to lease (required)")
	f.IntVar(&p.Prefix, "prefix", 24, "prefix length of the subnet")
	f.StringVar(&p.Gateway, "gateway", "", "default gateway")
	f.StringSliceVar(&p.DNS, "dns", nil, "DNS server (repeat or comma-separate, at most 3)")
	_ = cmd.MarkFlagRequired("network")
	_ = cmd.MarkFlagRequired("range")
	return cmd
}

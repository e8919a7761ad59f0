package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newIPPoolRemoveCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "remove <network>",
		Short: "Remove a network's pool (none of its addresses may be leased)",
		Long: `Remove the static address pool of a network (admins). A pool with an
address leased to a VM stays (exit 4): its VMs' addresses would be given
out again. New VMs on the network then use DHCP.`,
		Example: `  dvmm vmware ip-pool remove "VM Network"`,
		Args:    exactArgs(1, "a network"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			if err := a.RemoveIPPool(cmd.Context(), c.actor(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(c.out, "IP pool of network %s removed; its VMs use DHCP from now on\n", args[0])
			return nil
		},
	}
}

package main

import "github.com/spf13/cobra"

func newIPPoolCmd(c *cli) *cobra.Command {
	return groupCmd("ip-pool", "Static IPv4 addresses for a network (admin only to change)",
		`A network with a pool gives each new VM on it the lowest free address of
the pool, set in the guest by customization with the pool's prefix,
gateway and DNS servers; a network without one uses DHCP. The address is
leased when provisioning starts (a full pool fails the request before any
clone) and given back when the request fails or its VM is removed.`,
		newIPPoolAddCmd(c), newIPPoolListCmd(c), newIPPoolRemoveCmd(c))
}

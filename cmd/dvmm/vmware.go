package main

import "github.com/spf13/cobra"

func newVMwareCmd(c *cli) *cobra.Command {
	return groupCmd("vmware", "Set, show and test your tenant's vCenter settings",
		`Each tenant provisions on its own vCenter settings: where to clone from,
into which folder, on which network and datastore. The password is sealed
with a key kept beside the config file and never shown.`,
		newVMwareSetCmd(c), newVMwareShowCmd(c), newVMwareTestCmd(c), newIPPoolCmd(c))
}

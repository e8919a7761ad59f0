package main

import "github.com/spf13/cobra"

func newVMCmd(c *cli) *cobra.Command {
	return groupCmd("vm", "The VMs made for your tenant's requests: show, reconcile, power, resize, decommission, extend",
		"Each approved request gets one VM. These commands show what dvmm recorded and, when vCenter can be reached, what vCenter says now.",
		newVMStatusCmd(c), newVMListCmd(c), newVMReconcileCmd(c), newVMPowerCmd(c), newVMResizeCmd(c), newVMApproveResizeCmd(c), newVMDecommissionCmd(c), newVMApproveDecommissionCmd(c),
		newVMExtendCmd(c), newVMApproveExtensionCmd(c), newVMRejectExtensionCmd(c))
}

package main

import "github.com/spf13/cobra"

func newTenantCmd(c *cli) *cobra.Command {
	return groupCmd("tenant", "Create tenants and manage their members",
		`A tenant groups people and their VMs. Admins approve requests and set the
tenant's VMware settings; users ask for VMs.`,
		newTenantCreateCmd(c), newTenantAddMemberCmd(c), newTenantSetRoleCmd(c), newTenantRemoveMemberCmd(c), newTenantListCmd(c))
}

package main

import "github.com/spf13/cobra"

func newAuditCmd(c *cli) *cobra.Command {
	return groupCmd("audit", "Export the event log for auditors",
		`The event log is the record of everything dvmm did and everyone decided.
These commands read it on the database itself, as an operator of that
database (like 'doctor' and 'admin').`,
		newAuditExportCmd(c))
}

package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
)

func newProjectCmd(c *cli) *cobra.Command {
	return groupCmd("project", "Projects of a tenant, which every request names (admin only to change)",
		`A project groups a tenant's requests: every request names an existing,
active project (an unknown one is not found, exit 3; an archived one a
conflict, exit 4). Tenant admins create, archive and restore projects and
say who belongs to them; with 'project access members-only' requesters
(role user) may ask only in the projects they belong to (admins always
may). A project with live requests (pending, approved, provisioning, ready,
failed or decommissioning) cannot be archived (exit 4).`,
		newProjectCreateCmd(c), newProjectListCmd(c), newProjectShowCmd(c), newProjectArchiveCmd(c),
		newProjectRestoreCmd(c), newProjectAddMemberCmd(c), newProjectRemoveMemberCmd(c), newProjectAccessCmd(c))
}

// printProject prints what a project change left: the project as one line
// or, structured, the project's contract.
func (c *cli) printProject(p app.ProjectView, what string) error {
	if c.structured() {
		return c.printer.data(contract.NewProject(p))
	}
	fmt.Fprintf(c.out, "project %s %s\n", c.printer.cell(p.Name), what)
	return nil
}

func projectStatus(p app.ProjectView) string {
	if p.Archived {
		return "archived"
	}
	return "active"
}

func projectMembers(p app.ProjectView) string {
	if len(p.Members) == 0 {
		return "-"
	}
	return strings.Join(p.Members, ",")
}

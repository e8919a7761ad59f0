package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
)

func newQuotaCmd(c *cli) *cobra.Command {
	return groupCmd("quota", "Limits on what a tenant or project holds (admin only to change)",
		`Quotas limit how many VMs, vCPUs, GB of memory and GB of disk a tenant, or
one of its projects, may hold. PENDING requests reserve their size;
approved, provisioning, READY and FAILED ones (a failed one can be retried)
hold it; rejected and cancelled ones free it. 'request create' is refused
(exit 4) when the request would pass a limit, and so is an approval when
what approved requests hold would pass it (after a limit was lowered).`,
		newQuotaSetCmd(c), newQuotaShowCmd(c))
}

// printQuota prints a quota as a table of resources: used, limit and
// percent, the percent in red above 90% on a terminal.
func (c *cli) printQuota(q app.QuotaView) {
	scope := "tenant " + q.Tenant
	if q.Project != "" {
		scope = "project " + q.Project + " of tenant " + q.Tenant
	}
	fmt.Fprintf(c.out, "Quota of %s\n", c.printer.cell(scope))
	rows := make([][]string, 0, 4)
	for _, l := range q.Lines() {
		limit, percent := "no limit", "-"
		if l.Limit > 0 {
			limit = strconv.Itoa(l.Limit)
			pct := l.Used * 100 / l.Limit
			percent = strconv.Itoa(pct) + "%"
			if l.Used*10 > l.Limit*9 {
				percent = c.printer.bad(percent)
			}
		}
		rows = append(rows, []string{l.Resource, strconv.Itoa(l.Used), limit, percent})
	}
	c.printer.table([]string{"RESOURCE", "USED", "LIMIT", "PERCENT"}, rows)
}

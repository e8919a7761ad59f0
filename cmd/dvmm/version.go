package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

// Set at release time with -ldflags "-X main.version=... -X main.commit=... -X main.date=...".
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

func versionString() string {
	return fmt.Sprintf("%s (commit %s, built %s, %s)", version, commit, date, runtime.Version())
}

func newVersionCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print dvmm's version",
		Long:    "Print the version, commit and build date of this dvmm binary.",
		Example: "  dvmm version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if c.structured() {
				return c.printer.data(map[string]string{"version": version, "commit": commit, "date": date, "go": runtime.Version()})
			}
			fmt.Fprintln(c.out, "dvmm "+versionString())
			return nil
		},
	}
}

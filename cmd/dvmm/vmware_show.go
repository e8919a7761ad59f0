package main

import (
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

func newVMwareShowCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:     "show",
		Short:   "Show your tenant's vCenter settings (password redacted)",
		Long:    "Show the tenant's vCenter settings. The password is never shown: only whether one is stored.",
		Example: "  dvmm vmware show -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			s, err := a.ShowVMware(cmd.Context(), c.actor())
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(s)
			}
			tls := "system CAs"
			switch {
			case s.Insecure:
				tls = "not verified (--insecure)"
			case s.Thumbprint != "":
				tls = "thumbprint " + s.Thumbprint
			case s.CAFile != "":
				tls = "CA file " + s.CAFile
			}
			pw := "(not set)"
			if s.HasPassword {
				pw = "[redacted]"
			}
			c.printer.fields([][2]string{
				{"URL", s.URL}, {"Username", s.Username}, {"Password", pw}, {"Datacenter", s.Datacenter},
				{"Cluster", s.Cluster}, {"Resource pool", s.ResourcePool}, {"Datastore", s.Datastore},
				{"Network", s.Network}, {"Template", s.Template}, {"Folder", s.Folder}, {"TLS", tls},
				{"IP timeout", (time.Duration(s.IPTimeoutSec) * time.Second).String()},
				{"Max tasks", strconv.Itoa(s.TaskLimit())},
			})
			return nil
		},
	}
}

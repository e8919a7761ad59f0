package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/safefile"
)

func newNotifyAddEmailCmd(c *cli) *cobra.Command {
	var (
		ch           app.NotifyChannel
		passwordFile string
		caFile       string
	)
	cmd := &cobra.Command{
		Use:   "email",
		Short: "Add an email channel",
		Long: `Add an email channel (admins): messages go through the SMTP server
--smtp (host:port) from --from to the --to addresses. dvmm keeps no
user's address, so a --to address holding {user} stands for one address
per user the notification is for (the tenant's admins, or the
requester), e.g. '{user}@example.com'; other addresses get every
message. STARTTLS is required (the server's certificate is checked
against the system's CAs, or --ca-file's) unless --no-tls is given,
which sends in clear text and allows no password. The password, read
from --password-file, is sealed with the secret key and never shown.`,
		Example: `  dvmm notify add email --smtp mail.example:587 --from dvmm@example.com \
      --to '{user}@example.com,ops@example.com' --username dvmm \
      --password-file /run/secrets/smtp --events ready,failed`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ch.Kind = app.ChannelEmail
			var secret string
			if passwordFile != "" {
				var err error
				if secret, err = readSecretFile(passwordFile, "--password-file"); err != nil {
					return err
				}
			}
			if caFile != "" {
				data, err := safefile.ReadFile(caFile, maxCAFile)
				if err != nil {
					return usageError("--ca-file %v", err)
				}
				if !strings.Contains(string(data), "-----BEGIN CERTIFICATE-----") {
					return usageError("--ca-file %s holds no PEM certificate", app.Clip(caFile, 60))
				}
				ch.CAPEM = string(data)
			}
			return addChannel(c, cmd, ch, secret)
		},
	}
	f := cmd.Flags()
	f.StringVar(&ch.SMTP, "smtp", "", "SMTP server, host:port (required)")
	f.StringVar(&ch.From, "from", "", "sender address (required)")
	f.StringSliceVar(&ch.To, "to", nil, "recipients, comma-separated; {user} is replaced by each user told (required)")
	f.StringVar(&ch.Username, "username", "", "SMTP user name")
	f.StringVar(&passwordFile, "password-file", "", "file holding the SMTP password")
	f.StringVar(&caFile, "ca-file", "", "PEM file of the CA that signed the SMTP server's certificate")
	f.BoolVar(&ch.NoTLS, "no-tls", false, "send without STARTTLS, in clear text (no password allowed)")
	f.StringSliceVar(&ch.Events, "events", nil, "events to tell, comma-separated: "+joinKinds())
	for _, n := range []string{"smtp", "from", "to", "events"} {
		_ = cmd.MarkFlagRequired(n)
	}
	return cmd
}

// addChannel adds a channel and prints its id.
func addChannel(c *cli, cmd *cobra.Command, ch app.NotifyChannel, secret string) error {
	a, err := c.Service(cmd.Context())
	if err != nil {
		return err
	}
	v, err := a.AddNotifyChannel(cmd.Context(), c.actor(), ch, secret)
	if err != nil {
		return err
	}
	if c.structured() {
		return c.printer.data(v)
	}
	fmt.Fprintf(c.out, "%s channel %s added\n", v.Kind, v.ID)
	return nil
}

// readSecretFile reads a secret from a regular file of a sane size.
func readSecretFile(path, flag string) (string, error) {
	data, err := safefile.ReadFile(path, maxPasswordFile)
	if err != nil {
		return "", usageError("%s %v", flag, err)
	}
	s := strings.TrimRight(string(data), "\r\n")
	if s == "" {
		return "", usageError("%s is empty", flag)
	}
	return s, nil
}

func joinKinds() string { return strings.Join(app.NotifyKinds(), ", ") }

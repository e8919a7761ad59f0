package main

import (
	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
)

func newNotifyAddWebhookCmd(c *cli) *cobra.Command {
	var (
		events     []string
		secretFile string
	)
	cmd := &cobra.Command{
		Use:   "webhook <url>",
		Short: "Add a webhook channel",
		Long: `Add a webhook (admins). Each notification is an HTTP POST of JSON to the
URL: the event (type, time, actor, fields) and the request as it stood
after it. The body is signed with the secret read from --secret-file:
header X-Dvmm-Signature is "sha256=" and the hex HMAC-SHA256 of the
X-Dvmm-Timestamp header's value, a dot and the body. A 2xx answer is
delivered; connection errors, timeouts, 429 and 5xx are retried with
backoff; other answers fail the delivery. Redirects are not followed.
The secret is sealed with the secret key and never shown again.`,
		Example: `  dvmm notify add webhook https://hooks.example/dvmm --events approval-needed,ready,failed --secret-file /run/secrets/hook`,
		Args:    exactArgs(1, "the webhook's URL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			secret, err := readSecretFile(secretFile, "--secret-file")
			if err != nil {
				return err
			}
			return addChannel(c, cmd, app.NotifyChannel{Kind: app.ChannelWebhook, URL: args[0], Events: events}, secret)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&events, "events", nil, "events to tell, comma-separated: "+joinKinds())
	f.StringVar(&secretFile, "secret-file", "", "file holding the signing secret (required)")
	_ = cmd.MarkFlagRequired("events")
	_ = cmd.MarkFlagRequired("secret-file")
	return cmd
}

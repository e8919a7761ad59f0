package main

import "github.com/spf13/cobra"

func newNotifyCmd(c *cli) *cobra.Command {
	return groupCmd("notify", "Tell people of request events by webhook or email (admins)",
		`A tenant's admins add notification channels: a webhook (an HTTP POST of
the event as JSON, signed with HMAC-SHA256) or email (an SMTP server with
STARTTLS). Each channel names the events it tells: approval-needed (to the
tenant's admins), approved, rejected, ready, failed and decommissioned (to
the requester). Deliveries are queued in the same transaction as the event
and sent by 'dvmm serve', with retries; 'dvmm queue list' shows them.`,
		newNotifyAddCmd(c), newNotifyListCmd(c), newNotifyRemoveCmd(c), newNotifyTestCmd(c))
}

func newNotifyAddCmd(c *cli) *cobra.Command {
	return groupCmd("add", "Add a notification channel",
		`Add a webhook or an email channel to your tenant (admins).`,
		newNotifyAddWebhookCmd(c), newNotifyAddEmailCmd(c))
}

package main

import "github.com/spf13/cobra"

func newQueueCmd(c *cli) *cobra.Command {
	return groupCmd("queue", "See and nudge the queued provisioning work",
		"Approval queues the provisioning work; 'dvmm serve' runs it. These commands show the queue and let an admin retry an item or release a lease.",
		newQueueListCmd(c), newQueueRetryCmd(c), newQueueReleaseCmd(c))
}

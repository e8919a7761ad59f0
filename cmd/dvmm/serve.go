package main

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
)

func newServeCmd(c *cli) *cobra.Command {
	var (
		once      bool
		workers   int
		lease     time.Duration
		poll      time.Duration
		logFormat string
		grace     time.Duration
		reconcile time.Duration
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run queued provisioning work against vCenter",
		Long: `Claim due commands from the queue and run them: the provisioning of
approved requests, and their retries. Runs until SIGINT or SIGTERM; with
--once it drains what is due and exits (for cron): exit 0 when everything
went through, 7 when some work ended FAILED. On each tick it also takes the
lease steps that are due (see 'dvmm lease'): warnings 7 days and 1 day
before a VM's lease ends, the power-off at the end, the decommission after
the grace period; --once takes them before it drains the queue.`,
		Example: "  dvmm serve --workers 4\n  */1 * * * * dvmm serve --once\n  dvmm serve --listen 127.0.0.1:8080",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			api, err := apiOptions(c)
			if err != nil {
				return err
			}
			if api.listen != "" && once {
				return usageError("--once drains the queue and exits: it does not go with --listen")
			}
			if api.listen == "" && (workers < 1 || workers > 64) {
				return usageError("--workers must be between 1 and 64")
			}
			if workers < 0 || workers > 64 {
				return usageError("--workers must be between 0 (API only) and 64")
			}
			if reconcile != 0 && (reconcile < 10*time.Second || reconcile > 24*time.Hour) {
				return usageError("--reconcile-every must be 0 (off) or between 10s and 24h")
			}
			if lease < minLease || lease > maxLease {
				return usageError("--lease must be between %s and %s", minLease, maxLease)
			}
			if poll < 100*time.Millisecond || poll > time.Hour {
				return usageError("--poll must be between 100ms and 1h")
			}
			if grace < 0 || grace > time.Hour {
				return usageError("--grace must be between 0s and 1h")
			}
			logger, err := newLogger(logFormat)
			if err != nil {
				return err
			}
			c.log = logger
			a, err := c.App(cmd.Context())
			if err != nil {
				return err
			}
			worker := workerID(c.corrID[:6])
			c.log.Info("serve started", slog.String("worker", worker), slog.Int("workers", workers), slog.Duration("lease", lease), slog.Bool("once", once))
			var stopAPI func()
			workersRunning := &atomic.Bool{}
			if api.listen != "" {
				if stopAPI, err = startAPI(cmd.Context(), c, a, api, workers, workersRunning); err != nil {
					return err
				}
				defer stopAPI()
			}
			if reconcile > 0 && !once && workers > 0 {
				go a.ReconcileEvery(cmd.Context(), reconcile)
			}
			var res app.ServeResult
			if workers > 0 {
				workersRunning.Store(true)
				res, err = a.Serve(cmd.Context(), app.ServeOptions{Worker: worker, Workers: workers, Lease: lease, Poll: poll, Once: once, Grace: grace})
				workersRunning.Store(false)
				if err != nil && cmd.Context().Err() == nil {
					return err
				}
			} else {
				<-cmd.Context().Done()
			}
			total, failed := res.Ran, res.Failed
			c.log.Info("serve stopped", slog.Int("ran", total), slog.Int("failed", failed), slog.Int("released", res.Released))
			// Only --once reports what its drain did by its exit code. A
			// long-running serve that stopped cleanly on a signal exits 0
			// whatever failed during its life (that is in the log and the
			// timelines), so a service manager does not count a clean stop
			// as a failure.
			if once && failed > 0 {
				return &exitError{code: ExitFailed, msg: fmt.Sprintf("%d of %d commands failed", failed, total)}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&once, "once", false, "drain what is due, then exit")
	f.IntVar(&workers, "workers", 4, "commands run at the same time")
	f.DurationVar(&lease, "lease", 2*time.Minute, "how long a claimed command is ours before another worker may take it (renewed while working)")
	f.DurationVar(&poll, "poll", time.Second, "how often to look for due work")
	f.DurationVar(&grace, "grace", 30*time.Second, "on SIGTERM, how long running commands may finish before they are stopped and given back")
	f.DurationVar(&reconcile, "reconcile-every", 10*time.Minute, "how often to compare READY VMs with vCenter and record what changed outside dvmm (0: never)")
	f.StringVar(&logFormat, "log-format", "", "log format: text or json (default: text on a terminal, json otherwise)")
	f.String("listen", "", "serve the HTTP API on this address (host:port) beside the workers; --workers 0 serves the API only")
	f.String("tls-cert", "", "TLS certificate (PEM) for --listen")
	f.String("tls-key", "", "TLS private key (PEM) for --listen")
	f.Bool("insecure-http", false, "allow plain HTTP on an address other than loopback (tokens cross the network in clear)")
	f.String("oidc-issuer", "", "also accept ID tokens of this OpenID Connect provider (issuer URL) as API tokens")
	f.String("oidc-client-id", "", "the audience the provider's ID tokens must name")
	f.String("oidc-client-secret-file", "", "file with the client secret: lets the web page sign people in with the provider")
	f.String("oidc-user-claim", "preferred_username", "the ID token claim that is the dvmm user name")
	f.String("oidc-groups-claim", "groups", "the ID token claim that lists the user's groups")
	f.StringArray("oidc-group-role", nil, "GROUP=TENANT:ROLE: members of the group hold the role (repeatable)")
	f.String("oidc-platform-admin-group", "", "members of this group hold the platform role")
	return cmd
}

// workerID names this process in the leases it holds: its host and pid
// let 'doctor' tell a lease whose worker is gone.
func workerID(suffix string) string {
	host, _ := os.Hostname()
	return fmt.Sprintf("serve:%s:%d:%s", host, os.Getpid(), suffix)
}

// parseWorkerID undoes workerID; ok is false for other names (a worker
// of an older release, or 'approve --wait').
func parseWorkerID(id string) (host string, pid int, ok bool) {
	parts := strings.Split(id, ":")
	if len(parts) != 4 || parts[0] != "serve" {
		return "", 0, false
	}
	pid, err := strconv.Atoi(parts[2])
	return parts[1], pid, err == nil && pid > 0
}

// A lease is long enough to renew over a slow database (renewals come at a
// third of it) and short enough that the work of a dead worker is taken
// over within the hour.
const (
	minLease = 5 * time.Second
	maxLease = time.Hour
)

// newLogger logs to stderr: text on a terminal, JSON otherwise.
func newLogger(format string) (*slog.Logger, error) {
	if format == "" {
		format = "json"
		if isatty.IsTerminal(os.Stderr.Fd()) {
			format = "text"
		}
	}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, nil)), nil
	}
	return nil, usageError("unknown log format %q: use text or json", format)
}

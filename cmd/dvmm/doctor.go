package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
	"github.com/dvmm/dvmm/internal/secret"
	"github.com/dvmm/dvmm/internal/textsafe"
)

// Check outcomes: a failure makes doctor exit 6; a warning does not.
const (
	checkOK   = contract.CheckOK
	checkWarn = contract.CheckWarn
	checkFail = contract.CheckFail
)

func newDoctorCmd(c *cli) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the database, config, secret key, queue and every tenant's vCenter",
		Long: `Check what dvmm needs, one line per check:

  config      the config file parses (or there is none)
  database    the file exists and opens, with mode 0600
  schema      its schema version is the one this dvmm knows
  integrity   SQLite's integrity_check finds nothing wrong
  journal     the journal mode is WAL
  secret key  the key sealing vCenter passwords is there, mode 0600
  per tenant  VMware is configured; vCenter answers, the login works
              and the datacenter, cluster or pool, datastore, network,
              template and folder exist; no queued work waits for a
              'dvmm serve' that does not run

doctor reads the whole database, every tenant included, as an operator
does. It creates no database and no key; opening the database applies
pending schema migrations, as every command does. It exits 6 if any check fails; warnings (no
VMware settings, overdue work, a database readable by others) do not
change the exit code.`,
		Example: `  dvmm doctor
  dvmm doctor --timeout 10s -o json`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{tolerateConfig: "yes"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkDuration("timeout", timeout, 100*time.Millisecond, 10*time.Minute); err != nil {
				return err
			}
			checks := c.diagnose(cmd.Context(), timeout)
			if err := cmd.Context().Err(); err != nil {
				return err
			}
			return c.printChecks(checks)
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "how long each tenant's vCenter has to answer")
	return cmd
}

// diagnose runs every check in order; a check that cannot run because an
// earlier one failed is left out.
func (c *cli) diagnose(ctx context.Context, timeout time.Duration) []contract.Check {
	var checks []contract.Check
	add := func(name, status, format string, args ...any) {
		checks = append(checks, contract.Check{Name: name, Status: status, Detail: fmt.Sprintf(format, args...)})
	}

	// config
	path, explicit := c.configPath()
	switch _, err := os.Stat(path); {
	case c.configErr != nil:
		add("config", checkFail, "%s", app.ErrorMessage(c.configErr))
	case err == nil:
		add("config", checkOK, "%s", path)
	case explicit:
		add("config", checkFail, "%s cannot be read", path)
	default:
		add("config", checkOK, "no file at %s: flags, environment and defaults only", path)
	}

	// database
	a, ok := c.diagnoseDatabase(ctx, add)
	if !ok {
		return checks
	}
	for _, ch := range a.StoreHealth(ctx) {
		status := checkOK
		if !ch.OK {
			status = checkFail
		}
		add(ch.Name, status, "%s", ch.Detail)
	}

	// tenants: needed to judge the secret key
	tenants, err := a.Tenants(ctx)
	if err != nil {
		add("tenants", checkFail, "%s", app.ErrorMessage(err))
		return checks
	}
	configured := 0
	for _, t := range tenants {
		if t.VMware {
			configured++
		}
	}

	// secret key
	keyOK := true
	keyPath := c.secretKeyPath()
	switch kfi, err := os.Stat(keyPath); {
	case errors.Is(err, fs.ErrNotExist) && configured == 0:
		add("secret key", checkOK, "none yet at %s: the first 'dvmm vmware set' makes it", keyPath)
	case errors.Is(err, fs.ErrNotExist):
		keyOK = false
		add("secret key", checkFail, "%s is missing: the vCenter passwords of %d tenants cannot be opened; set them again with 'dvmm vmware set'", keyPath, configured)
	case err != nil:
		keyOK = false
		add("secret key", checkFail, "%s: %v", keyPath, errors.Unwrap(err))
	default:
		if _, err := secret.LoadOrCreate(keyPath); err != nil {
			keyOK = false
			add("secret key", checkFail, "%s", app.FirstLine(err.Error()))
		} else {
			add("secret key", checkOK, "%s (mode %04o)", keyPath, kfi.Mode().Perm())
		}
	}

	checks = append(checks, leaseChecks(ctx, a)...)

	// each tenant's vCenter and queue, at the same time
	results := make([][]contract.Check, len(tenants))
	var wg sync.WaitGroup
	limit := make(chan struct{}, 8)
	for i, t := range tenants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			limit <- struct{}{}
			defer func() { <-limit }()
			results[i] = tenantChecks(ctx, a, t, keyOK, timeout)
		}()
	}
	wg.Wait()
	for _, r := range results {
		checks = append(checks, r...)
	}
	return checks
}

// diagnoseDatabase opens the database for doctor: a SQLite file must
// exist and be private to its owner; a PostgreSQL database reports its
// connection in the store's own checks.
func (c *cli) diagnoseDatabase(ctx context.Context, add func(name, status, format string, args ...any)) (*app.App, bool) {
	if c.onPostgres() {
		a, err := c.App(ctx)
		if err != nil {
			add("database", checkFail, "%s", app.ErrorMessage(err))
			return nil, false
		}
		return a, true
	}
	dbPath := c.dbPath()
	fi, err := os.Stat(dbPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			add("database", checkFail, "%s does not exist: check --db or DVMM_DB ('dvmm tenant create' makes a new one)", dbPath)
		} else {
			add("database", checkFail, "%s: %v", dbPath, errors.Unwrap(err))
		}
		return nil, false
	}
	a, err := c.App(ctx)
	if err != nil {
		add("database", checkFail, "%s", app.ErrorMessage(err))
		return nil, false
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		add("database", checkWarn, "%s is readable by others (mode %04o): run chmod 600 on it", dbPath, perm)
	} else {
		add("database", checkOK, "%s (mode %04o)", dbPath, perm)
	}
	return a, true
}

// tenantChecks check one tenant's vCenter settings and its queue.
func tenantChecks(ctx context.Context, a *app.App, t app.TenantView, keyOK bool, timeout time.Duration) []contract.Check {
	var checks []contract.Check
	prefix := "tenant " + t.Name + ": "
	add := func(name, status, detail string) {
		checks = append(checks, contract.Check{Name: prefix + name, Status: status, Detail: detail})
	}
	switch {
	case !t.VMware:
		add("vmware", checkWarn, "not configured: approved requests fail until an admin runs 'dvmm vmware set'")
	case !keyOK:
		add("vmware", checkFail, "not checked: the secret key is not usable")
	default:
		cctx, cancel := context.WithTimeout(ctx, timeout)
		vc, err := a.DiagnoseVMware(cctx, t.Name)
		cancel()
		if err != nil {
			add("vmware", checkFail, errorText(err))
			break
		}
		for _, ch := range vc {
			status := checkOK
			if !ch.OK {
				status = checkFail
			}
			add(ch.Name, status, withHint(ch.Detail, ch.Code))
		}
	}
	b, err := a.QueueBacklog(ctx, t.Name)
	if err != nil {
		add("queue", checkFail, errorText(err))
		return checks
	}
	detail := fmt.Sprintf("%d due, %d running, %d waiting for a retry, %d failed", b.Due, b.Running, b.Waiting, b.Failed)
	if b.Overdue {
		add("queue", checkWarn, fmt.Sprintf("%s; the oldest due for %s: is 'dvmm serve' running?", detail, b.Late.Round(time.Second)))
		return checks
	}
	add("queue", checkOK, detail)
	return checks
}

// printChecks prints one line per check and fails if any check failed.
func (c *cli) printChecks(checks []contract.Check) error {
	failed, warned := 0, 0
	for _, ch := range checks {
		switch ch.Status {
		case checkFail:
			failed++
		case checkWarn:
			warned++
		}
	}
	if c.structured() {
		if err := c.printer.data(contract.DoctorReport{OK: failed == 0, Checks: checks}); err != nil {
			return err
		}
	} else {
		p := c.printer
		width := 0
		for _, ch := range checks {
			width = max(width, len(ch.Name))
		}
		for _, ch := range checks {
			fmt.Fprintf(c.out, "%s  %-*s  %s\n", p.checkMark(ch.Status), width, textsafe.Escape(ch.Name), textsafe.Escape(ch.Detail))
		}
		summary := fmt.Sprintf("%d checks: %d failed, %d warnings", len(checks), failed, warned)
		fmt.Fprintln(c.out, p.dim(summary))
	}
	if failed > 0 {
		return &exitError{code: ExitUnavailable, msg: fmt.Sprintf("%d of %d checks failed", failed, len(checks))}
	}
	return nil
}

// checkMark is ✓, ! or ✗ in colour on a terminal, and ok, warn or FAIL
// (padded to one width) otherwise.
func (p *printer) checkMark(status string) string {
	if !p.tty {
		return map[string]string{checkOK: "ok  ", checkWarn: "warn", checkFail: "FAIL"}[status]
	}
	mark, color := "✓", "2"
	switch status {
	case checkWarn:
		mark, color = "!", "3"
	case checkFail:
		mark, color = "✗", "1"
	}
	return p.r.NewStyle().Foreground(lipgloss.Color(color)).Bold(true).Render(mark)
}

// leaseChecks reports leases that outlive the longest a serve gives, and
// leases held by a serve of this host whose process is gone: their work
// waits for the lease to run out unless an admin releases it.
func leaseChecks(ctx context.Context, a *app.App) []contract.Check {
	held, err := a.HeldLeases(ctx)
	if err != nil {
		return []contract.Check{{Name: "leases", Status: checkFail, Detail: app.ErrorMessage(err)}}
	}
	host, _ := os.Hostname()
	now := a.Now()
	var out []contract.Check
	for _, c := range held {
		name := fmt.Sprintf("lease of command %d", c.ID)
		if left := c.LeaseUntil.Sub(now); left > maxLease {
			out = append(out, contract.Check{Name: name, Status: checkWarn, Detail: fmt.Sprintf(
				"held by %s until %s, %s from now: longer than any serve takes (%s); a clock is wrong, or release it with 'dvmm queue release %d'",
				c.ClaimedBy, formatTime(c.LeaseUntil), left.Round(time.Second), maxLease, c.ID)})
			continue
		}
		if h, pid, ok := parseWorkerID(c.ClaimedBy); ok && h == host && !processRuns(pid) {
			out = append(out, contract.Check{Name: name, Status: checkWarn, Detail: fmt.Sprintf(
				"held by %s, which no longer runs on this host: release it with 'dvmm queue release %d' (or wait until %s)",
				c.ClaimedBy, c.ID, formatTime(c.LeaseUntil))})
		}
	}
	if len(out) == 0 {
		out = append(out, contract.Check{Name: "leases", Status: checkOK, Detail: fmt.Sprintf("%d held, none stale", len(held))})
	}
	return out
}

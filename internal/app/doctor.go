package app

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// These use cases serve an operator who looks after the whole database
// ('dvmm doctor'): they ask for no tenant membership, as whoever can read
// the database file and its secret key can see all of it anyway.

// DiagnoseVMware checks a tenant's vCenter settings as 'vmware test'
// does: log in, then look up each inventory object the settings name.
func (a *App) DiagnoseVMware(ctx context.Context, tenant string) ([]Check, error) {
	if _, err := a.Views.VMwareSettings(ctx, tenant); err != nil {
		return nil, err
	}
	t, err := a.target(ctx, tenant)
	if err != nil {
		return []Check{{Name: "password", OK: false, Detail: ErrorMessage(err), Code: ErrorCode(err)}}, nil
	}
	if a.Hypervisor == nil {
		return nil, Errorf(KindUnavailable, "no hypervisor is wired into this process")
	}
	return a.Hypervisor.Check(ctx, t), nil
}

// Backlog sums up a tenant's queue: commands due now and since when the
// oldest of them has been due, commands waiting for a later run (a
// retry, or vCenter down), running ones, and failed ones.
type Backlog struct {
	Due       int       `json:"due"`
	OldestDue time.Time `json:"oldest_due,omitzero"`
	Waiting   int       `json:"waiting"`
	Running   int       `json:"running"`
	Failed    int       `json:"failed"`
	// Late is how long the oldest due command has waited; Overdue says
	// it waited past OverdueAfter, as when no worker drains the queue.
	Late    time.Duration `json:"late"`
	Overdue bool          `json:"overdue"`
}

// OverdueAfter is how long due work may wait before the queue is
// reported overdue: longer than a worker's poll and a retry's delay.
const OverdueAfter = 5 * time.Minute

// QueueBacklog sums up a tenant's queue as of now.
func (a *App) QueueBacklog(ctx context.Context, tenant string) (Backlog, error) {
	cmds, err := a.Queue.ListCommands(ctx, tenant)
	if err != nil {
		return Backlog{}, err
	}
	var b Backlog
	now := a.Now()
	for _, c := range cmds {
		switch queueState(c, now) {
		case "pending":
			b.Due++
			if b.OldestDue.IsZero() || c.NextRunAt.Before(b.OldestDue) {
				b.OldestDue = c.NextRunAt
			}
		case "waiting":
			b.Waiting++
		case "running":
			b.Running++
		case string(CommandFailed):
			b.Failed++
		}
	}
	if b.Due > 0 {
		b.Late = now.Sub(b.OldestDue)
		b.Overdue = b.Late > OverdueAfter
	}
	return b, nil
}

// StoreHealth is what the store reports of its own health, if it checks any.
func (a *App) StoreHealth(ctx context.Context) []Check {
	if h, ok := a.Store.(HealthChecker); ok {
		return h.HealthChecks(ctx)
	}
	return nil
}

// HeldLeases lists the commands a worker holds a live lease on now.
func (a *App) HeldLeases(ctx context.Context) ([]Command, error) {
	cmds, err := a.Queue.ListCommands(ctx, "")
	if err != nil {
		return nil, err
	}
	now := a.Now()
	var out []Command
	for _, c := range cmds {
		if c.Status == CommandPending && c.ClaimedBy != "" && c.LeaseUntil.After(now) {
			out = append(out, c)
		}
	}
	return out, nil
}

// payloadCheck counts the events a store reads for doctor and keeps the
// first few whose payload does not decode, each named by its sequence
// number.
type payloadCheck struct {
	n, bad  int
	damaged []string
}

// Add decodes one event's payload as the application would.
func (p *payloadCheck) Add(seq int64, eventType string, data []byte) {
	p.n++
	if _, err := DecodePayload(eventType, data); err != nil {
		if p.bad++; len(p.damaged) < 3 {
			p.damaged = append(p.damaged, fmt.Sprintf("event %d: %s", seq, Clip(err.Error(), 80)))
		}
	}
}

// Result is how many events were read and the damaged ones.
func (p *payloadCheck) Result() (int, []string) {
	damaged := p.damaged
	if p.bad > len(damaged) {
		damaged = append(damaged, fmt.Sprintf("and %d more", p.bad-len(damaged)))
	}
	return p.n, damaged
}

// EventRows is a walk over the events table's (seq, type, data) rows, as
// a database/sql *Rows gives them.
type EventRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// DecodeRows decodes every event of rows with a payloadCheck; mapErr turns
// the store's errors into app errors.
func DecodeRows(rows EventRows, mapErr func(error) error) (int, []string, error) {
	var check payloadCheck
	for rows.Next() {
		var (
			seq       int64
			typ, data string
		)
		if err := rows.Scan(&seq, &typ, &data); err != nil {
			n, damaged := check.Result()
			return n, damaged, mapErr(err)
		}
		check.Add(seq, typ, []byte(data))
	}
	n, damaged := check.Result()
	return n, damaged, mapErr(rows.Err())
}

// EventsCheck is the doctor line for a walk of the whole log.
func EventsCheck(n int, damaged []string, err error) Check {
	switch {
	case err != nil:
		return Check{Name: "events", Detail: ErrorMessage(err)}
	case len(damaged) > 0:
		return Check{Name: "events", Detail: fmt.Sprintf("%d events, damaged: %s", n, strings.Join(damaged, "; "))}
	default:
		return Check{Name: "events", OK: true, Detail: fmt.Sprintf("all %d events decode", n)}
	}
}

package app

import (
	"context"
	"strconv"
	"time"
)

// QueueItem is a queued command as 'queue list' shows it.
type QueueItem struct {
	Command
	State string `json:"state"` // pending, running, waiting, done, failed
}

// ListQueue lists the commands of the actor's tenant, newest first.
func (a *App) ListQueue(ctx context.Context, actor Actor) ([]QueueItem, error) {
	if _, err := a.memberOf(ctx, actor); err != nil {
		return nil, err
	}
	cmds, err := a.Queue.ListCommands(ctx, actor.Tenant)
	if err != nil {
		return nil, err
	}
	now := a.Now()
	items := make([]QueueItem, 0, len(cmds))
	for _, c := range cmds {
		items = append(items, QueueItem{Command: c, State: queueState(c, now)})
	}
	return items, nil
}

// queueState names what a command is doing: running under a live lease,
// waiting for a later run time (a retry, or vCenter down), or pending.
func queueState(c Command, now time.Time) string {
	switch {
	case c.Status != CommandPending:
		return string(c.Status)
	case c.ClaimedBy != "" && c.LeaseUntil.After(now):
		return "running"
	case c.NextRunAt.After(now):
		return "waiting"
	}
	return "pending"
}

// RetryCommand makes a waiting command due now, or starts a new attempt
// of a failed one's request. Only a tenant admin can.
func (a *App) RetryCommand(ctx context.Context, actor Actor, idText string) (QueueItem, error) {
	it, err := a.adminCommand(ctx, actor, idText, "retry queued work")
	if err != nil {
		return it, err
	}
	switch it.State {
	case "running":
		return it, Errorf(KindConflict, "command %d is running now", it.ID)
	case "done":
		return it, Errorf(KindConflict, "command %d is done", it.ID)
	case "failed":
		if it.Type == CmdNotify {
			return a.resendNotification(ctx, actor, it)
		}
		if _, err := a.Retry(ctx, actor, it.RequestID); err != nil {
			return it, err
		}
	default:
		if err := a.finish(ctx, it.ID, Outcome{Status: CommandPending, Error: it.LastError}); err != nil {
			return it, err
		}
	}
	return a.commandNow(ctx, actor, it)
}

// ReleaseCommand gives back at once the lease of a running command, as when
// the worker holding it is gone and its lease would otherwise run on: the
// next worker takes it. It spends no attempt. Only a tenant admin can.
func (a *App) ReleaseCommand(ctx context.Context, actor Actor, idText string) (QueueItem, error) {
	it, err := a.adminCommand(ctx, actor, idText, "release queued work")
	if err != nil {
		return it, err
	}
	if it.State != "running" {
		return it, Errorf(KindConflict, "command %d is %s: only a running command holds a lease", it.ID, it.State)
	}
	if err := a.Queue.Release(ctx, it.ID, it.ClaimedBy, a.Now()); err != nil {
		return it, err
	}
	return a.commandNow(ctx, actor, it)
}

// adminCommand finds a command of the actor's tenant by the number 'queue
// list' shows, for a tenant admin about to do what.
func (a *App) adminCommand(ctx context.Context, actor Actor, idText, what string) (QueueItem, error) {
	t, err := a.memberOf(ctx, actor)
	if err != nil {
		return QueueItem{}, err
	}
	if err := t.RequireAdmin(actor.User, what); err != nil {
		return QueueItem{}, err
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return QueueItem{}, Coded(KindInvalid, CodeBadCommandID, "invalid command id %s", quote(idText, 20))
	}
	items, err := a.ListQueue(ctx, actor)
	if err != nil {
		return QueueItem{}, err
	}
	for _, it := range items {
		if it.ID == id {
			return it, nil
		}
	}
	return QueueItem{}, Errorf(KindNotFound, "command %d not found in your tenant's queue", id)
}

// commandNow is the command as it stands after a change; it as it was when
// it can no longer be read.
func (a *App) commandNow(ctx context.Context, actor Actor, it QueueItem) (QueueItem, error) {
	items, err := a.ListQueue(ctx, actor)
	if err != nil {
		return it, err
	}
	for _, now := range items {
		if now.ID == it.ID {
			return now, nil
		}
	}
	return it, nil
}

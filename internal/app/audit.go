package app

import (
	"context"
	"time"
)

// AuditFilter narrows an audit export. Zero fields match everything;
// Since is inclusive and Until exclusive.
type AuditFilter struct {
	Since, Until time.Time
	Tenant       string
}

// auditPage bounds how many events an export holds at once.
const auditPage = 1000

// ExportEvents walks the event log itself (not the read models) in
// sequence order and calls emit with every event the filter keeps, a page
// at a time, so that memory stays flat whatever the log's size. It
// returns how many it emitted. It is an operator's view of the whole
// database, like the other maintenance use cases: it asks for no
// membership.
func (a *App) ExportEvents(ctx context.Context, f AuditFilter, emit func(Event) error) (int, error) {
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return 0, Errorf(KindInvalid, "the end of the period (%s) must come after its start (%s)", f.Until.UTC().Format(time.RFC3339), f.Since.UTC().Format(time.RFC3339))
	}
	if f.Tenant != "" {
		if err := ValidateSlug("tenant", f.Tenant); err != nil {
			return 0, err
		}
	}
	var after int64
	n := 0
	for {
		page, err := a.Events.ReadLog(ctx, after, auditPage)
		if err != nil {
			return n, err
		}
		for _, e := range page {
			after = e.Seq
			if f.Tenant != "" && e.TenantID != f.Tenant ||
				!f.Since.IsZero() && e.At.Before(f.Since) || !f.Until.IsZero() && !e.At.Before(f.Until) {
				continue
			}
			if err := emit(e); err != nil {
				return n, err
			}
			n++
		}
		if len(page) < auditPage {
			return n, nil
		}
	}
}

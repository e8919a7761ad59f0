package postgres

import (
	"context"
	"database/sql"

	"github.com/dvmm/dvmm/internal/app"
)

const eventColumns = `seq, tenant_id, stream_type, stream_id, version, type, data, actor, correlation_id, causation_id, source, at`

// Append adds events to one stream at versions expected+1, expected+2, …
// The version check runs under the write lock (see writeLock); the
// UNIQUE (stream_type, stream_id, version) index is what makes a second
// writer of the same version fail whatever path it took, and its SQLSTATE
// 23505 becomes a conflict. Listeners are woken at commit.
func (tx *Tx) Append(ctx context.Context, expected int, events []app.Event) ([]app.Event, error) {
	if len(events) == 0 {
		return nil, nil
	}
	st, id := events[0].StreamType, events[0].StreamID
	if st == "" || id == "" {
		return nil, internal("append: event without a stream")
	}
	for _, e := range events[1:] {
		if e.StreamType != st || e.StreamID != id {
			return nil, internal("append: events of streams %s/%s and %s/%s in one call", st, id, e.StreamType, e.StreamID)
		}
	}
	var current int
	if err := tx.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_type = ? AND stream_id = ?`, st, id).Scan(&current); err != nil {
		return nil, err
	}
	if current != expected {
		return nil, app.Errorf(app.KindConflict, "stream %s/%s changed: expected version %d, found %d", st, id, expected, current)
	}
	out := make([]app.Event, len(events))
	for i, e := range events {
		if e.Data == nil {
			return nil, internal("append: %s event without data", st)
		}
		if e.Type == "" {
			e.Type = e.Data.EventType()
		} else if e.Type != e.Data.EventType() {
			return nil, internal("append: event type %s does not match its data (%s)", e.Type, e.Data.EventType())
		}
		data, err := app.EncodePayload(e.Data)
		if err != nil {
			return nil, internal("append: encode %s: %v", e.Type, err)
		}
		if e.At.IsZero() {
			return nil, internal("append: %s event without a time", e.Type)
		}
		e.Version, e.At = expected+i+1, e.At.UTC()
		err = tx.queryRow(ctx, `INSERT INTO events (tenant_id, stream_type, stream_id, version, type, data, actor, correlation_id, causation_id, source, at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
			e.TenantID, st, id, e.Version, e.Type, string(data), e.Meta.Actor, e.Meta.CorrelationID, e.Meta.CausationID, e.Meta.Source, formatTime(e.At)).Scan(&e.Seq)
		if isUniqueViolation(err) {
			return nil, app.Errorf(app.KindConflict, "stream %s/%s changed: expected version %d, but version %d exists", st, id, expected, e.Version)
		}
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	if err := tx.notify(ctx, notifyLog); err != nil {
		return nil, err
	}
	return out, nil
}

// LoadStream returns a stream's events, oldest first, as this transaction sees them.
func (tx *Tx) LoadStream(ctx context.Context, streamType, streamID string) ([]app.Event, error) {
	return loadStream(ctx, tx, streamType, streamID)
}

// Append adds events to one stream in a transaction of its own.
func (db *DB) Append(ctx context.Context, expected int, events []app.Event) ([]app.Event, error) {
	var out []app.Event
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.Append(ctx, expected, events)
		return err
	})
	return out, err
}

// LoadStream returns a stream's events, oldest first, outside a transaction.
func (db *DB) LoadStream(ctx context.Context, streamType, streamID string) ([]app.Event, error) {
	return loadStream(ctx, db, streamType, streamID)
}

func loadStream(ctx context.Context, q queryer, streamType, streamID string) ([]app.Event, error) {
	rows, err := q.query(ctx, `SELECT `+eventColumns+` FROM events WHERE stream_type = ? AND stream_id = ? ORDER BY version`, streamType, streamID)
	if err != nil {
		return nil, err
	}
	return scanEvents(rows)
}

func scanEvents(rows *sql.Rows) ([]app.Event, error) {
	defer rows.Close()
	var events []app.Event
	for rows.Next() {
		var (
			e        app.Event
			data, at string
		)
		if err := rows.Scan(&e.Seq, &e.TenantID, &e.StreamType, &e.StreamID, &e.Version, &e.Type, &data,
			&e.Meta.Actor, &e.Meta.CorrelationID, &e.Meta.CausationID, &e.Meta.Source, &at); err != nil {
			return nil, dbError(err)
		}
		p, err := app.DecodePayload(e.Type, []byte(data))
		if err != nil {
			return nil, internal("event %d: %v", e.Seq, err)
		}
		e.Data = p
		if e.At, err = parseTime(at); err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return events, dbError(rows.Err())
}

// CountEvents is the number of events in the log.
func (db *DB) CountEvents(ctx context.Context) (int64, error) {
	var n int64
	err := db.queryRow(ctx, `SELECT COUNT(*) FROM events`).Scan(&n)
	return n, err
}

// LastSeq is the sequence number of the newest event, 0 for an empty log.
func (db *DB) LastSeq(ctx context.Context) (int64, error) {
	var n int64
	err := db.queryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM events`).Scan(&n)
	return n, err
}

// eventPage bounds what one read of the whole log holds in memory.
const eventPage = 1000

// ReadLog returns up to limit events after seq after, in sequence order.
func (db *DB) ReadLog(ctx context.Context, after int64, limit int) ([]app.Event, error) {
	return readLog(ctx, db, after, limit)
}

// ReadLog reads the log as this transaction sees it.
func (tx *Tx) ReadLog(ctx context.Context, after int64, limit int) ([]app.Event, error) {
	return readLog(ctx, tx, after, limit)
}

func readLog(ctx context.Context, q queryer, after int64, limit int) ([]app.Event, error) {
	if limit <= 0 {
		return nil, internal("read log: limit %d is not positive", limit)
	}
	rows, err := q.query(ctx, `SELECT `+eventColumns+` FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, err
	}
	return scanEvents(rows)
}

// ForEachEvent calls fn for every event in sequence order. It reads the
// log a page at a time, so fn may use the database meanwhile; an error
// from fn stops the walk and comes back unchanged.
func (db *DB) ForEachEvent(ctx context.Context, fn func(app.Event) error) error {
	var after int64
	for {
		page, err := db.ReadLog(ctx, after, eventPage)
		if err != nil {
			return err
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(page) < eventPage {
			return nil
		}
		after = page[len(page)-1].Seq
	}
}

// ResetReadModels drops every read model, before a rebuild. Secrets and
// the command queue are not derived from events and stay as they are.
func (tx *Tx) ResetReadModels(ctx context.Context) error {
	for _, table := range []string{"timeline", "requests", "vmware_settings", "tenants"} {
		if _, err := tx.exec(ctx, `DELETE FROM `+table); err != nil {
			return err
		}
	}
	return nil
}

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/dvmm/dvmm/internal/app"
)

// Requests

// PutRequest writes a request's read model, replacing the previous one.
func (tx *Tx) PutRequest(ctx context.Context, v app.RequestView) error {
	if v.ID == "" {
		return internal("put request: no id")
	}
	view, err := json.Marshal(v)
	if err != nil {
		return internal("put request %s: %v", v.ID, err)
	}
	hasVM := 0
	if v.VM != nil {
		hasVM = 1
	}
	// lease_next_at is when the VM's lease has its next step due (NULL:
	// none), indexed so that the lease work finds due VMs cheaply.
	var leaseNext any
	if v.Lease != nil && !v.Lease.NextActionAt.IsZero() {
		leaseNext = formatTime(v.Lease.NextActionAt)
	}
	_, err = tx.exec(ctx, `INSERT INTO requests (id, tenant, name, project, size, status, requester, version, created_at, updated_at, has_vm, view, lease_next_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET tenant = excluded.tenant, name = excluded.name, project = excluded.project,
			size = excluded.size, status = excluded.status, requester = excluded.requester, version = excluded.version,
			created_at = excluded.created_at, updated_at = excluded.updated_at, has_vm = excluded.has_vm, view = excluded.view,
			lease_next_at = excluded.lease_next_at`,
		v.ID, v.Tenant, v.Name, v.Project, v.Size, string(v.Status), v.Requester, v.Version,
		formatTime(v.CreatedAt), formatTime(v.UpdatedAt), hasVM, string(view), leaseNext)
	return err
}

// DueLeases lists the VMs whose lease has a step due at now, earliest
// first, by the partial index on lease_next_at.
func (tx *Tx) DueLeases(ctx context.Context, now time.Time, limit int) ([]app.LeaseDue, error) {
	return dueLeasesOf(ctx, tx, now, limit)
}

// DueLeases reads outside a transaction.
func (db *DB) DueLeases(ctx context.Context, now time.Time, limit int) ([]app.LeaseDue, error) {
	return dueLeasesOf(ctx, db, now, limit)
}

func dueLeasesOf(ctx context.Context, q queryer, now time.Time, limit int) ([]app.LeaseDue, error) {
	rows, err := q.query(ctx, `SELECT id, tenant FROM requests WHERE lease_next_at IS NOT NULL AND lease_next_at <= ?
		ORDER BY lease_next_at, id LIMIT ?`, formatTime(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []app.LeaseDue
	for rows.Next() {
		var d app.LeaseDue
		if err := rows.Scan(&d.RequestID, &d.Tenant); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Request reads a request's read model as this transaction sees it.
func (tx *Tx) Request(ctx context.Context, id string) (app.RequestView, error) {
	return getRequest(ctx, tx, id)
}

// Request reads a request's read model.
func (db *DB) Request(ctx context.Context, id string) (app.RequestView, error) {
	return getRequest(ctx, db, id)
}

func getRequest(ctx context.Context, q queryer, id string) (app.RequestView, error) {
	var view string
	err := q.queryRow(ctx, `SELECT view FROM requests WHERE id = ?`, id).Scan(&view)
	if isNoRows(err) {
		return app.RequestView{}, requestNotFound(id)
	}
	if err != nil {
		return app.RequestView{}, err
	}
	var v app.RequestView
	if err := json.Unmarshal([]byte(view), &v); err != nil {
		return app.RequestView{}, internal("request %s: bad read model: %v", id, err)
	}
	return v, nil
}

func requestNotFound(id string) error {
	return app.Coded(app.KindNotFound, app.CodeRequestNotFound, "request %s not found in your tenant", app.Clip(id, 30))
}

// LiveRequestNamed finds a request of the tenant's project that holds the
// name: one neither rejected nor cancelled.
func (tx *Tx) LiveRequestNamed(ctx context.Context, tenant, project, name string) (string, bool, error) {
	return liveRequestNamed(ctx, tx, tenant, project, name)
}

// LiveRequestNamed finds a live request of that name outside a transaction.
func (db *DB) LiveRequestNamed(ctx context.Context, tenant, project, name string) (string, bool, error) {
	return liveRequestNamed(ctx, db, tenant, project, name)
}

func liveRequestNamed(ctx context.Context, q queryer, tenant, project, name string) (string, bool, error) {
	var id string
	err := q.queryRow(ctx, `SELECT id FROM requests WHERE tenant = ? AND project = ? AND name = ? AND status NOT IN (?, ?, ?) LIMIT 1`,
		tenant, project, name, string(app.StatusRejected), string(app.StatusCancelled), string(app.StatusDecommissioned)).Scan(&id)
	if isNoRows(err) {
		return "", false, nil
	}
	return id, err == nil, err
}

// ResolveRequestID finds the one request of the tenant whose id starts
// with prefix. An exact id wins over longer ones it prefixes.
func resolveRequestIDOf(ctx context.Context, db queryer, tenant, prefix string) (string, error) {
	if prefix == "" {
		return "", app.Errorf(app.KindInvalid, "a request id is required")
	}
	// A range on the (tenant, id) index rather than LIKE, which SQLite
	// only turns into a range under conditions that are easy to lose.
	// Comparison is bytewise (SQLite's BINARY collation; PostgreSQL would
	// need COLLATE "C").
	query := `SELECT id FROM requests WHERE tenant = ? AND id >= ? ORDER BY id LIMIT 2`
	args := []any{tenant, prefix}
	if end, ok := prefixEnd(prefix); ok {
		query = `SELECT id FROM requests WHERE tenant = ? AND id >= ? AND id < ? ORDER BY id LIMIT 2`
		args = append(args, end)
	}
	rows, err := db.query(ctx, query, args...)
	if err != nil {
		return "", err
	}
	ids, err := scanStrings(rows)
	if err != nil {
		return "", err
	}
	switch {
	case len(ids) == 0 || !strings.HasPrefix(ids[0], prefix):
		return "", requestNotFound(prefix)
	case len(ids) == 1 || ids[0] == prefix || !strings.HasPrefix(ids[1], prefix):
		return ids[0], nil
	}
	return "", app.Errorf(app.KindInvalid, "id prefix %s is ambiguous: give more characters", app.Clip(prefix, 30))
}

// prefixEnd is the least string greater than every string starting with
// prefix; ok is false when there is none (prefix is all 0xff bytes).
func prefixEnd(prefix string) (string, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// ListRequests lists requests newest first. Every filter is an equality
// on a leading index column, so the cost follows the rows returned, not
// the size of the log.
func listRequestsOf(ctx context.Context, db queryer, f app.RequestFilter) ([]app.RequestView, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, arg any) {
		where = append(where, cond)
		args = append(args, arg)
	}
	if f.Tenant != "" {
		add("tenant = ?", f.Tenant)
	}
	if f.Status != "" {
		add("status = ?", string(f.Status))
	}
	if f.Requester != "" {
		add("requester = ?", f.Requester)
	}
	if f.Project != "" {
		add("project = ?", f.Project)
	}
	if f.HasVM {
		add("has_vm = ?", 1)
	}
	query := `SELECT view FROM requests`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY created_at DESC, id`
	if f.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := db.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	views, err := scanStrings(rows)
	if err != nil {
		return nil, err
	}
	out := make([]app.RequestView, len(views))
	for i, s := range views {
		if err := json.Unmarshal([]byte(s), &out[i]); err != nil {
			return nil, internal("request list: bad read model: %v", err)
		}
	}
	return out, nil
}

// Timeline

// AddTimeline adds one step to a request's timeline.
func (tx *Tx) AddTimeline(ctx context.Context, e app.TimelineEntry) error {
	if e.Data == nil || e.Type != e.Data.EventType() {
		return internal("timeline of %s: step %d has no data of its type %q", e.RequestID, e.Seq, e.Type)
	}
	data, err := app.EncodePayload(e.Data)
	if err != nil {
		return internal("timeline of %s: %v", e.RequestID, err)
	}
	_, err = tx.exec(ctx, `INSERT INTO timeline (request_id, seq, at, actor, type, data) VALUES (?, ?, ?, ?, ?, ?)`,
		e.RequestID, e.Seq, formatTime(e.At), e.Actor, e.Type, string(data))
	return err
}

// timelineOf returns a request's timeline, oldest first.
func timelineOf(ctx context.Context, db queryer, requestID string) ([]app.TimelineEntry, error) {
	rows, err := db.query(ctx, `SELECT seq, at, actor, type, data FROM timeline WHERE request_id = ? ORDER BY seq`, requestID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []app.TimelineEntry{}
	for rows.Next() {
		e := app.TimelineEntry{RequestID: requestID}
		var at, data string
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Type, &data); err != nil {
			return nil, dbError(err)
		}
		if e.At, err = parseTime(at); err != nil {
			return nil, err
		}
		if e.Data, err = app.DecodePayload(e.Type, []byte(data)); err != nil {
			return nil, internal("timeline of %s, step %d: %v", requestID, e.Seq, err)
		}
		out = append(out, e)
	}
	return out, dbError(rows.Err())
}

// Tenants

// PutTenant writes a tenant's read model.
func (tx *Tx) PutTenant(ctx context.Context, v app.TenantView) error {
	if v.Name == "" {
		return internal("put tenant: no name")
	}
	view, err := json.Marshal(v)
	if err != nil {
		return internal("put tenant %s: %v", v.Name, err)
	}
	_, err = tx.exec(ctx, `INSERT INTO tenants (name, view) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET view = excluded.view`,
		v.Name, string(view))
	return err
}

// Tenant reads a tenant's read model as this transaction sees it.
func (tx *Tx) Tenant(ctx context.Context, name string) (app.TenantView, error) {
	return getTenant(ctx, tx, name)
}

// Tenant reads a tenant's read model.
func (db *DB) Tenant(ctx context.Context, name string) (app.TenantView, error) {
	return getTenant(ctx, db, name)
}

func getTenant(ctx context.Context, q queryer, name string) (app.TenantView, error) {
	var view string
	err := q.queryRow(ctx, `SELECT view FROM tenants WHERE name = ?`, name).Scan(&view)
	if isNoRows(err) {
		return app.TenantView{}, app.Coded(app.KindNotFound, app.CodeTenantNotFound, "tenant %q not found", app.Clip(name, 70))
	}
	if err != nil {
		return app.TenantView{}, err
	}
	var v app.TenantView
	if err := json.Unmarshal([]byte(view), &v); err != nil {
		return app.TenantView{}, internal("tenant %s: bad read model: %v", name, err)
	}
	return v, nil
}

// Tenants lists every tenant by name.
func tenantsOf(ctx context.Context, db queryer) ([]app.TenantView, error) {
	rows, err := db.query(ctx, `SELECT view FROM tenants ORDER BY name`)
	if err != nil {
		return nil, err
	}
	views, err := scanStrings(rows)
	if err != nil {
		return nil, err
	}
	out := make([]app.TenantView, len(views))
	for i, s := range views {
		if err := json.Unmarshal([]byte(s), &out[i]); err != nil {
			return nil, internal("tenant list: bad read model: %v", err)
		}
	}
	return out, nil
}

// VMware settings and secrets

// PutVMwareSettings writes a tenant's VMware settings (never a password:
// app.VMwareSettings has no field for one).
func (tx *Tx) PutVMwareSettings(ctx context.Context, tenant string, s app.VMwareSettings) error {
	data, err := json.Marshal(s)
	if err != nil {
		return internal("put VMware settings of %s: %v", tenant, err)
	}
	_, err = tx.exec(ctx, `INSERT INTO vmware_settings (tenant, settings) VALUES (?, ?)
		ON CONFLICT (tenant) DO UPDATE SET settings = excluded.settings`, tenant, string(data))
	return err
}

// VMwareSettings reads a tenant's VMware settings.
func vmwareSettingsOf(ctx context.Context, db queryer, tenant string) (app.VMwareSettings, error) {
	var data string
	err := db.queryRow(ctx, `SELECT settings FROM vmware_settings WHERE tenant = ?`, tenant).Scan(&data)
	if isNoRows(err) {
		return app.VMwareSettings{}, app.Coded(app.KindNotFound, app.CodeVMwareNotConfigured, "VMware is not configured for tenant %s", app.Clip(tenant, 70))
	}
	if err != nil {
		return app.VMwareSettings{}, err
	}
	var s app.VMwareSettings
	if err := json.Unmarshal([]byte(data), &s); err != nil {
		return app.VMwareSettings{}, internal("VMware settings of %s: %v", tenant, err)
	}
	return s, nil
}

// PutSecret stores a sealed secret, replacing an older one of that name.
func (tx *Tx) PutSecret(ctx context.Context, tenant, name string, sealed []byte, at time.Time) error {
	if sealed == nil {
		sealed = []byte{}
	}
	_, err := tx.exec(ctx, `INSERT INTO secrets (tenant, name, sealed, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (tenant, name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
		tenant, name, sealed, formatTime(at))
	return err
}

// PutSecret stores a sealed secret in a transaction of its own.
func (db *DB) PutSecret(ctx context.Context, tenant, name string, sealed []byte, at time.Time) error {
	return db.update(ctx, func(tx *Tx) error { return tx.PutSecret(ctx, tenant, name, sealed, at) })
}

// Secret reads a sealed secret.
func secretOf(ctx context.Context, db queryer, tenant, name string) ([]byte, error) {
	var sealed []byte
	err := db.queryRow(ctx, `SELECT sealed FROM secrets WHERE tenant = ? AND name = ?`, tenant, name).Scan(&sealed)
	if isNoRows(err) {
		return nil, app.Errorf(app.KindNotFound, "no secret %s is stored for tenant %s", app.Clip(name, 40), app.Clip(tenant, 70))
	}
	return sealed, err
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func scanStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, dbError(err)
		}
		out = append(out, s)
	}
	return out, dbError(rows.Err())
}

// ResolveRequestID reads outside a transaction.
func (db *DB) ResolveRequestID(ctx context.Context, tenant, prefix string) (string, error) {
	return resolveRequestIDOf(ctx, db, tenant, prefix)
}

// ResolveRequestID reads as this transaction sees it.
func (tx *Tx) ResolveRequestID(ctx context.Context, tenant, prefix string) (string, error) {
	return resolveRequestIDOf(ctx, tx, tenant, prefix)
}

// ListRequests reads outside a transaction.
func (db *DB) ListRequests(ctx context.Context, f app.RequestFilter) ([]app.RequestView, error) {
	return listRequestsOf(ctx, db, f)
}

// ListRequests reads as this transaction sees it.
func (tx *Tx) ListRequests(ctx context.Context, f app.RequestFilter) ([]app.RequestView, error) {
	return listRequestsOf(ctx, tx, f)
}

// Timeline reads outside a transaction.
func (db *DB) Timeline(ctx context.Context, requestID string) ([]app.TimelineEntry, error) {
	return timelineOf(ctx, db, requestID)
}

// Timeline reads as this transaction sees it.
func (tx *Tx) Timeline(ctx context.Context, requestID string) ([]app.TimelineEntry, error) {
	return timelineOf(ctx, tx, requestID)
}

// Tenants reads outside a transaction.
func (db *DB) Tenants(ctx context.Context) ([]app.TenantView, error) {
	return tenantsOf(ctx, db)
}

// Tenants reads as this transaction sees it.
func (tx *Tx) Tenants(ctx context.Context) ([]app.TenantView, error) {
	return tenantsOf(ctx, tx)
}

// VMwareSettings reads outside a transaction.
func (db *DB) VMwareSettings(ctx context.Context, tenant string) (app.VMwareSettings, error) {
	return vmwareSettingsOf(ctx, db, tenant)
}

// VMwareSettings reads as this transaction sees it.
func (tx *Tx) VMwareSettings(ctx context.Context, tenant string) (app.VMwareSettings, error) {
	return vmwareSettingsOf(ctx, tx, tenant)
}

// Secret reads outside a transaction.
func (db *DB) Secret(ctx context.Context, tenant, name string) ([]byte, error) {
	return secretOf(ctx, db, tenant, name)
}

// Secret reads as this transaction sees it.
func (tx *Tx) Secret(ctx context.Context, tenant, name string) ([]byte, error) {
	return secretOf(ctx, tx, tenant, name)
}

// SealedSecrets counts the sealed secrets the database holds: a new
// secret key would leave them unreadable.
func (db *DB) SealedSecrets(ctx context.Context) (int, error) {
	var n int
	err := db.queryRow(ctx, `SELECT COUNT(*) FROM secrets`).Scan(&n)
	return n, dbError(err)
}

-- The event log is the source of truth; every other table but secrets and
-- commands is a read model that 'dvmm admin rebuild' can derive again.
-- Times are UTC text of fixed width (2006-01-02T15:04:05.000000000Z) so
-- they sort and compare as strings, here and in PostgreSQL alike.

CREATE TABLE events (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id      TEXT    NOT NULL,
    stream_type    TEXT    NOT NULL,
    stream_id      TEXT    NOT NULL,
    version        INTEGER NOT NULL CHECK (version > 0),
    type           TEXT    NOT NULL,
    data           TEXT    NOT NULL,
    actor          TEXT    NOT NULL DEFAULT '',
    correlation_id TEXT    NOT NULL DEFAULT '',
    causation_id   TEXT    NOT NULL DEFAULT '',
    at             TEXT    NOT NULL,
    -- Optimistic concurrency's last line of defence, and the index that
    -- loads a stream in version order and finds its current version.
    UNIQUE (stream_type, stream_id, version)
);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: an event cannot be changed');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: an event cannot be deleted');
END;

-- One row per request. view holds the whole app.RequestView as JSON; the
-- other columns exist to be filtered and sorted on.
CREATE TABLE requests (
    id         TEXT    PRIMARY KEY,
    tenant     TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    project    TEXT    NOT NULL,
    size       TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    requester  TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    has_vm     INTEGER NOT NULL DEFAULT 0,
    view       TEXT    NOT NULL
);

-- Each list filter gets an index that also yields newest-first order, so a
-- list never sorts the tenant's whole history.
CREATE INDEX requests_by_tenant    ON requests (tenant, created_at DESC, id);
CREATE INDEX requests_by_status    ON requests (tenant, status, created_at DESC, id);
CREATE INDEX requests_by_requester ON requests (tenant, requester, created_at DESC, id);
CREATE INDEX requests_by_vm        ON requests (tenant, has_vm, created_at DESC, id);
-- The live-name check at create time, and the project filter.
CREATE INDEX requests_by_name      ON requests (tenant, project, name);
-- Id prefixes resolve by a range scan (id >= prefix AND id < next prefix).
CREATE INDEX requests_by_id_prefix ON requests (tenant, id);

-- Small rows, always read by request: stored in key order (WITHOUT ROWID;
-- a PostgreSQL schema would drop the clause) so a line is one b-tree write
-- and a request's timeline one range read.
CREATE TABLE timeline (
    request_id TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    at         TEXT    NOT NULL,
    actor      TEXT    NOT NULL DEFAULT '',
    text       TEXT    NOT NULL,
    PRIMARY KEY (request_id, seq)
) WITHOUT ROWID;

CREATE TABLE tenants (
    name TEXT PRIMARY KEY,
    view TEXT NOT NULL
);

CREATE TABLE vmware_settings (
    tenant   TEXT PRIMARY KEY,
    settings TEXT NOT NULL
);

-- Secrets are sealed by the app and kept out of the log: a rebuild leaves
-- them alone, and nothing projects them.
CREATE TABLE secrets (
    tenant     TEXT NOT NULL,
    name       TEXT NOT NULL,
    sealed     BLOB NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant, name)
);

-- The command queue: an outbox written in the same transaction as the
-- events that cause it, drained by workers holding a lease.
CREATE TABLE commands (
    id             INTEGER PRIMARY KEY,
    key            TEXT    NOT NULL UNIQUE,
    type           TEXT    NOT NULL,
    tenant         TEXT    NOT NULL,
    request_id     TEXT    NOT NULL DEFAULT '',
    payload        TEXT    NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    next_run_at    TEXT    NOT NULL,
    claimed_by     TEXT,
    lease_until    TEXT,
    last_error     TEXT    NOT NULL DEFAULT '',
    correlation_id TEXT    NOT NULL DEFAULT '',
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL
);

CREATE INDEX commands_due       ON commands (status, next_run_at, id);
CREATE INDEX commands_by_tenant ON commands (tenant, id);

-- Leases, as the SQLite store's migration 7: when a VM's lease has its
-- next step due, NULL when none will, with a partial index for the due rows.
ALTER TABLE requests ADD COLUMN lease_next_at TEXT COLLATE "C";
CREATE INDEX requests_lease_due ON requests (lease_next_at, id) WHERE lease_next_at IS NOT NULL;

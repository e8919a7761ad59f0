-- Leases: when a VM's lease has its next step due (a warning, the end,
-- the decommission after the grace period), NULL when none will; the
-- lease work reads only the due rows through the partial index.
ALTER TABLE requests ADD COLUMN lease_next_at TEXT;
CREATE INDEX requests_lease_due ON requests (lease_next_at, id) WHERE lease_next_at IS NOT NULL;

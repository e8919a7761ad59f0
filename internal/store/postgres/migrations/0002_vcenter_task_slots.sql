-- Per-vCenter task limits, as the SQLite store's migration 5: a command's
-- slot (its vCenter) and how many commands of the slot may hold a live
-- lease at once; '' is no limit.
ALTER TABLE commands ADD COLUMN slot TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE commands ADD COLUMN slot_limit INTEGER NOT NULL DEFAULT 0;
CREATE INDEX commands_slot_leases ON commands (slot, lease_until) WHERE slot <> '' AND status = 'pending';

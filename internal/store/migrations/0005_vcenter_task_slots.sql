-- Per-vCenter task limits: a command's slot (its vCenter) and how many
-- commands of that slot may hold a live lease at once. '' is no limit,
-- which is what every command queued before this version has.
ALTER TABLE commands ADD COLUMN slot TEXT NOT NULL DEFAULT '';
ALTER TABLE commands ADD COLUMN slot_limit INTEGER NOT NULL DEFAULT 0;
CREATE INDEX commands_slot_leases ON commands (slot, lease_until) WHERE slot <> '' AND status = 'pending';

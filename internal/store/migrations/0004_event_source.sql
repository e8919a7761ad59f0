-- Where an event came from: the client address of an API call ('' for the
-- CLI on the database file and for dvmm's own work). With the actor, it
-- says who did what from where.
ALTER TABLE events ADD COLUMN source TEXT NOT NULL DEFAULT '';

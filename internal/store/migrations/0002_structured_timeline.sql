-- The timeline keeps each step as data (the event's type and fields), not
-- as words: an edge words it when it shows it. A step's seq is its event's,
-- so the data of the steps already recorded comes from the log.
ALTER TABLE timeline ADD COLUMN type TEXT NOT NULL DEFAULT '';
ALTER TABLE timeline ADD COLUMN data TEXT NOT NULL DEFAULT '{}';
UPDATE timeline SET
    type = (SELECT e.type FROM events e WHERE e.seq = timeline.seq),
    data = (SELECT e.data FROM events e WHERE e.seq = timeline.seq);
ALTER TABLE timeline DROP COLUMN text;

-- Password hashes (argon2id) and personal API token hashes (SHA-256 of a
-- 256-bit secret). Like secrets they are not events and are never
-- projected: the log records only that a password changed or a token was
-- made, so an exported log holds nothing to attack.
CREATE TABLE credentials (
    kind       TEXT NOT NULL CHECK (kind IN ('password', 'token')),
    id         TEXT NOT NULL,      -- the user name for a password, the token id for a token
    user_name  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;

-- Migration 11: time-limited support access and retention (issue 19, item 7).
-- Released: never edit; append a new migration instead.

-- A support grant: a `users` row (so sessions and API tokens work as for anyone) that this
-- row makes a read-only `support` user until `expires_at` or `revoked_at`. The users table's
-- role CHECK cannot be altered in SQLite, and rebuilding `users` would cascade-delete every
-- session and token; so the user row is stored as 'operator' and the grant overrides it.
-- The triggers keep that override from ever being lost: a grant cannot be deleted while its
-- user exists, nor moved to another user.
CREATE TABLE support_grants (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    revoked_by TEXT
) STRICT;

CREATE TRIGGER support_grants_stay BEFORE DELETE ON support_grants
WHEN EXISTS (SELECT 1 FROM users WHERE id = OLD.user_id)
BEGIN
    SELECT RAISE(ABORT, 'a support grant cannot be deleted while its user exists; revoke it instead');
END;

CREATE TRIGGER support_grants_pinned BEFORE UPDATE OF user_id ON support_grants
WHEN NEW.user_id IS NOT OLD.user_id
BEGIN
    SELECT RAISE(ABORT, 'a support grant cannot move to another user');
END;

-- Retention (`ledgerlink purge`): what was removed, and when, so summaries stay honest.
-- A run whose items were purged keeps its row and its per-outcome counts (JSON object).
ALTER TABLE runs ADD COLUMN items_purged_at INTEGER;
ALTER TABLE runs ADD COLUMN item_counts TEXT;
-- A plan whose body was purged cannot be applied any more; compare again.
ALTER TABLE plans ADD COLUMN body_purged_at INTEGER;
-- A settled intent whose payload was purged keeps its key (so it is never sent twice), its
-- state and remote id, and whether it created the record (for rollback).
ALTER TABLE outbox ADD COLUMN payload_purged_at INTEGER;

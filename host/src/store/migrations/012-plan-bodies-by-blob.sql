-- Migration 12: a plan's body is written and read a buffer at a time (SQLite's incremental
-- blob I/O, `store/plans.rs`), so a 100,000-row plan is never held as one JSON string
-- (issue 15, scale). Incremental writes need a blob, which a STRICT table's TEXT column
-- refuses: `body` becomes ANY, so the bodies stored as text before stay as they are and
-- read the same way. SQLite cannot change a column's type in place: the table is rebuilt.
-- Released: never edit; append a new migration instead.

CREATE TABLE plans_by_blob (
    id             INTEGER PRIMARY KEY,
    connection     TEXT NOT NULL,
    entity         TEXT NOT NULL,
    direction      TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    body           ANY NOT NULL,
    body_purged_at INTEGER
) STRICT;
INSERT INTO plans_by_blob (id, connection, entity, direction, created_at, body, body_purged_at)
    SELECT id, connection, entity, direction, created_at, body, body_purged_at FROM plans;
DROP TABLE plans;
ALTER TABLE plans_by_blob RENAME TO plans;

-- Migration 2: the sync engine: id map, plans, runs and their items, outbox, audit log.
-- Released: never edit; append a new migration instead.

CREATE TABLE id_map (
    connection         TEXT NOT NULL,
    entity             TEXT NOT NULL,
    home_key           TEXT NOT NULL,
    remote_id          TEXT NOT NULL,
    home_fingerprint   TEXT NOT NULL,
    remote_fingerprint TEXT NOT NULL,
    synced_at          INTEGER NOT NULL,
    PRIMARY KEY (connection, entity, home_key),
    UNIQUE (connection, entity, remote_id)
) STRICT;
CREATE TABLE plans (
    id         INTEGER PRIMARY KEY,
    connection TEXT NOT NULL,
    entity     TEXT NOT NULL,
    direction  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    body       TEXT NOT NULL
) STRICT;
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    plan_id     INTEGER,
    connection  TEXT NOT NULL,
    entity      TEXT NOT NULL,
    direction   TEXT NOT NULL,
    dry_run     INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    status      TEXT NOT NULL
) STRICT;
CREATE TABLE run_items (
    run_id    INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    home_key  TEXT,
    remote_id TEXT,
    name      TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    reason    TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
) STRICT;
CREATE TABLE outbox (
    idempotency_key TEXT PRIMARY KEY,
    run_id          INTEGER NOT NULL,
    connection      TEXT NOT NULL,
    entity          TEXT NOT NULL,
    home_key        TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL,
    remote_id       TEXT,
    created_at      INTEGER NOT NULL,
    settled_at      INTEGER
) STRICT;
CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY,
    at     INTEGER NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
) STRICT;

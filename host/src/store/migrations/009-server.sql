-- Migration 9: `ledgerlink serve` (issue 19): users and their sign-in, server-side sessions,
-- personal API tokens, throttling of failed sign-ins, the audit log's actor, and transfers
-- as background jobs with a lease.
-- Released: never edit; append a new migration instead.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'operator')),
    -- PHC string of an argon2id hash; never the password.
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

-- A browser session: only the SHA-256 of the cookie's value is kept, so a copy of the
-- database signs nobody in.
CREATE TABLE sessions (
    id_sha256    TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
) STRICT;

-- Personal API tokens, shown once and kept only as SHA-256.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_sha256 TEXT NOT NULL UNIQUE,
    label        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
) STRICT;

-- Failed sign-ins, per account and per address, for throttling.
CREATE TABLE sign_in_failures (
    scope TEXT NOT NULL CHECK (scope IN ('account', 'address')),
    key   TEXT NOT NULL,
    at    INTEGER NOT NULL
) STRICT;
CREATE INDEX sign_in_failures_key ON sign_in_failures (scope, key, at);

-- Who made a change (a user of the server); NULL for the CLI and the engine.
ALTER TABLE audit_log ADD COLUMN actor TEXT;

-- Transfers started through the API. A process claims a job with one conditional UPDATE
-- (queued, or running under an expired lease, and no live job on the same connection) and
-- holds it by renewing `lease_until`; see docs/architecture.md, "Jobs".
CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    connection      TEXT NOT NULL,
    -- The host's own versioned JSON of what to do (server/jobs), never the contract's types.
    request         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    created_by      TEXT NOT NULL,
    idempotency_key TEXT,
    created_at      INTEGER NOT NULL,
    owner           TEXT,
    lease_until     INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    started_at      INTEGER,
    finished_at     INTEGER,
    progress_what   TEXT,
    progress_done   INTEGER NOT NULL DEFAULT 0,
    progress_total  INTEGER NOT NULL DEFAULT 0,
    run_id          INTEGER,
    result          TEXT,
    error           TEXT
) STRICT;
CREATE INDEX jobs_claim ON jobs (status, connection, id);
CREATE UNIQUE INDEX jobs_idempotency ON jobs (created_by, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

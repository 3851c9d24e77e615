-- Migration 1 on PostgreSQL (SQLite: ../001-connections.sql): connections and their
-- (non-secret) credential health.
-- Released: never edit; append a new migration instead.

CREATE TABLE connections (
    name                 TEXT PRIMARY KEY,
    connector            TEXT NOT NULL,
    settings             TEXT NOT NULL DEFAULT '{}',
    routes               TEXT NOT NULL DEFAULT '{}',
    status               TEXT NOT NULL DEFAULT 'not-connected',
    status_message       TEXT,
    access_expires_at    BIGINT,
    refresh_expires_at   BIGINT,
    last_refresh_at      BIGINT,
    last_refresh_outcome TEXT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);

-- Migration 6 on PostgreSQL (SQLite: ../006-plugin-components.sql): plugin components by
-- SHA-256, installed plugins, and each connection's pinned component.
-- Released: never edit; append a new migration instead.

CREATE TABLE plugin_components (
    sha256      TEXT PRIMARY KEY,
    origin      TEXT NOT NULL,
    source      TEXT NOT NULL,
    size        BIGINT NOT NULL,
    name        TEXT NOT NULL,
    facts       TEXT,
    problem_kind TEXT,
    problem     TEXT,
    recorded_at BIGINT NOT NULL
);
CREATE TABLE installed_plugins (
    name         TEXT PRIMARY KEY,
    sha256       TEXT NOT NULL REFERENCES plugin_components(sha256),
    installed_at BIGINT NOT NULL
);
ALTER TABLE connections ADD COLUMN component_sha256 TEXT;
ALTER TABLE connections ADD COLUMN component_facts TEXT;

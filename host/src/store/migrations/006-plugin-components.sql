-- Migration 6: plugin components by SHA-256 (the manifest cache), the current installed version of
-- each plugin, and the component each connection is pinned to.
-- Released: never edit; append a new migration instead.

CREATE TABLE plugin_components (
    sha256      TEXT PRIMARY KEY,
    origin      TEXT NOT NULL,
    source      TEXT NOT NULL,
    size        INTEGER NOT NULL,
    name        TEXT NOT NULL,
    facts       TEXT,
    problem_kind TEXT,
    problem     TEXT,
    recorded_at INTEGER NOT NULL
) STRICT;
CREATE TABLE installed_plugins (
    name         TEXT PRIMARY KEY,
    sha256       TEXT NOT NULL REFERENCES plugin_components(sha256),
    installed_at INTEGER NOT NULL
) STRICT;
ALTER TABLE connections ADD COLUMN component_sha256 TEXT;
ALTER TABLE connections ADD COLUMN component_facts TEXT;

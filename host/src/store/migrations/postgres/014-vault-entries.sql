-- Migration 14 on PostgreSQL (SQLite: ../014-vault-entries.sql): the vault in the database.
-- Released: never edit; append a new migration instead.

CREATE TABLE vault_entries (
    name       TEXT NOT NULL PRIMARY KEY,
    nonce      BYTEA NOT NULL,
    ciphertext BYTEA NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE vault_key_check (
    id         BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
    nonce      BYTEA NOT NULL,
    ciphertext BYTEA NOT NULL
);

-- Migration 14: the vault in the database (issue 21, "Secrets for a fleet").
-- Released: never edit; append a new migration instead.

-- Each connection secret sealed as the file vault seals it (XChaCha20-Poly1305, a fresh
-- 192-bit nonce per write, the entry's name bound as associated data) under the key every
-- host is given (LEDGERLINK_VAULT_KEY or LEDGERLINK_VAULT_KEY_FILE). Only ciphertext is
-- stored: the database alone never reveals a token.
CREATE TABLE vault_entries (
    name       TEXT NOT NULL PRIMARY KEY,
    nonce      BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- A known text sealed under the same key, so a wrong key is told apart from a tampered
-- entry before any entry is read or written. One row at most.
CREATE TABLE vault_key_check (
    id         INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    nonce      BLOB NOT NULL,
    ciphertext BLOB NOT NULL
) STRICT;

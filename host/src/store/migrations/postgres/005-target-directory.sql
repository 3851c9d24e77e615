-- Migration 5 on PostgreSQL (SQLite: ../005-target-directory.sql): what the host knows of each
-- target, the customer review items, and two columns of runs.
-- Released: never edit; append a new migration instead.

CREATE TABLE target_customers (
    connection TEXT NOT NULL,
    remote_id  TEXT NOT NULL,
    name       TEXT NOT NULL,
    email      TEXT,
    tax_number TEXT,
    active     BIGINT NOT NULL,
    PRIMARY KEY (connection, remote_id)
);
CREATE TABLE target_documents (
    connection  TEXT NOT NULL,
    entity      TEXT NOT NULL,
    remote_id   TEXT NOT NULL,
    number      TEXT NOT NULL,
    customer_id TEXT,
    PRIMARY KEY (connection, entity, remote_id)
);
ALTER TABLE runs ADD COLUMN failure TEXT;
ALTER TABLE runs ADD COLUMN calls BIGINT;
CREATE INDEX target_documents_number ON target_documents (connection, number);
CREATE TABLE customer_reviews (
    connection TEXT NOT NULL,
    home_key   TEXT NOT NULL,
    home_name  TEXT NOT NULL,
    candidates TEXT NOT NULL,
    reason     TEXT NOT NULL,
    run_id     BIGINT NOT NULL,
    decision   TEXT,
    remote_id  TEXT,
    PRIMARY KEY (connection, home_key)
);

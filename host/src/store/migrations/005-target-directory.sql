-- Migration 5: what the host knows of each target (customers for matching, document numbers),
-- the customer review items matching raised, and two columns of runs: why a failed run
-- stopped and how many vendor API calls a run made.
-- Released: never edit; append a new migration instead.

CREATE TABLE target_customers (
    connection TEXT NOT NULL,
    remote_id  TEXT NOT NULL,
    name       TEXT NOT NULL,
    email      TEXT,
    tax_number TEXT,
    active     INTEGER NOT NULL,
    PRIMARY KEY (connection, remote_id)
) STRICT;
CREATE TABLE target_documents (
    connection  TEXT NOT NULL,
    entity      TEXT NOT NULL,
    remote_id   TEXT NOT NULL,
    number      TEXT NOT NULL,
    customer_id TEXT,
    PRIMARY KEY (connection, entity, remote_id)
) STRICT;
ALTER TABLE runs ADD COLUMN failure TEXT;
ALTER TABLE runs ADD COLUMN calls INTEGER;
CREATE INDEX target_documents_number ON target_documents (connection, number);
CREATE TABLE customer_reviews (
    connection TEXT NOT NULL,
    home_key   TEXT NOT NULL,
    home_name  TEXT NOT NULL,
    candidates TEXT NOT NULL,
    reason     TEXT NOT NULL,
    run_id     INTEGER NOT NULL,
    decision   TEXT,
    remote_id  TEXT,
    PRIMARY KEY (connection, home_key)
) STRICT;

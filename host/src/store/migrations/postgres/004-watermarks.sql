-- Migration 4 on PostgreSQL (SQLite: ../004-watermarks.sql): delta watermarks.
-- Released: never edit; append a new migration instead.

CREATE TABLE watermarks (
    connection TEXT NOT NULL,
    entity     TEXT NOT NULL,
    direction  TEXT NOT NULL,
    at         TEXT NOT NULL,
    run_id     BIGINT NOT NULL,
    PRIMARY KEY (connection, entity, direction)
);

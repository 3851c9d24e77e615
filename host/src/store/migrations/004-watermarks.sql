-- Migration 4: delta watermarks. One row per connection, entity and direction: the instant from
-- which the next delta transfer reads the target (the start of the last complete one).
-- Released: never edit; append a new migration instead.

CREATE TABLE watermarks (
    connection TEXT NOT NULL,
    entity     TEXT NOT NULL,
    direction  TEXT NOT NULL,
    at         TEXT NOT NULL,
    run_id     INTEGER NOT NULL,
    PRIMARY KEY (connection, entity, direction)
) STRICT;

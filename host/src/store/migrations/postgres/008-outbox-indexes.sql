-- Migration 8 on PostgreSQL: the statements of ../008-outbox-indexes.sql, unchanged
-- (nothing in them is SQLite-only).
-- Released: never edit; append a new migration instead.

CREATE INDEX outbox_record ON outbox (connection, entity, home_key);
CREATE INDEX outbox_state ON outbox (connection, entity, state);
CREATE INDEX outbox_run ON outbox (run_id);

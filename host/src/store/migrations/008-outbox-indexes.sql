-- Migration 8: indexes for the outbox's lookups by record and by state, so recovery
-- (`pending`), a compare's "last sent" and a rollback's "created in run" cost a lookup rather
-- than a scan of every write ever made (issue 15, scale).
-- Released: never edit; append a new migration instead.

CREATE INDEX outbox_record ON outbox (connection, entity, home_key);
CREATE INDEX outbox_state ON outbox (connection, entity, state);
CREATE INDEX outbox_run ON outbox (run_id);

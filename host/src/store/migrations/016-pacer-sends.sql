-- Migration 16: the vendor call windows shared by every process (issue 21, item 4).
-- Released: never edit; append a new migration instead.

-- One row per request a connection sent to its vendor, when the store is shared by
-- several ledgerlink processes: each process counts every process's sends in the vendor's
-- windows before sending (store/pacing.rs), so five workers together stay under one
-- organisation's limit. Rows older than the longest window are deleted as sends are
-- recorded. `sent_at_ms` is the database's clock (one clock for every host).
CREATE TABLE pacer_sends (
    id         INTEGER NOT NULL PRIMARY KEY,
    connection TEXT NOT NULL,
    sent_at_ms INTEGER NOT NULL
) STRICT;

CREATE INDEX pacer_sends_by_connection ON pacer_sends (connection, sent_at_ms);

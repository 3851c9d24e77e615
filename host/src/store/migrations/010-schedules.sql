-- Migration 10: scheduled transfers (issue 19 item 6). A schedule queues one job of its
-- transfer whenever its cron expression comes due; `ledgerlink serve` fires it. A process
-- claims a due schedule with one conditional UPDATE on `next_run_at` (the value it read),
-- so two processes on one store never queue the same tick twice; see docs/architecture.md,
-- "Schedules".
-- Released: never edit; append a new migration instead.

CREATE TABLE schedules (
    id          INTEGER PRIMARY KEY,
    connection  TEXT NOT NULL,
    -- The job to queue: the host's versioned JSON job request (server/jobs), as stored in
    -- jobs.request.
    transfer    TEXT NOT NULL,
    -- A cron expression (croner: 5 fields, or 6 with seconds first).
    cron        TEXT NOT NULL,
    -- The IANA time zone the expression is read in.
    timezone    TEXT NOT NULL DEFAULT 'UTC',
    paused      INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    -- Unix seconds: when it is next due.
    next_run_at INTEGER NOT NULL,
    last_run_at INTEGER,
    last_job_id INTEGER,
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX schedules_due ON schedules (paused, next_run_at);

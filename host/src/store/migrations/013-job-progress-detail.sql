-- Migration 13: a job's progress in detail (issue 20, the web admin's progress screen).
-- Released: never edit; append a new migration instead.

-- Records of the current step that were created, updated or failed so far, and the vendor
-- wait the connection's pacer is in (how long is left, in milliseconds, and the connector
-- it waits for), as of the runner's last progress write.
ALTER TABLE jobs ADD COLUMN progress_created INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN progress_updated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN progress_failed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN progress_wait_ms INTEGER;
ALTER TABLE jobs ADD COLUMN progress_wait_vendor TEXT;

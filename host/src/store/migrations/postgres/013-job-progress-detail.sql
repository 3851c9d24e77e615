-- Migration 13 on PostgreSQL (SQLite: ../013-job-progress-detail.sql): a job's progress in
-- detail.
-- Released: never edit; append a new migration instead.

ALTER TABLE jobs ADD COLUMN progress_created BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN progress_updated BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN progress_failed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN progress_wait_ms BIGINT;
ALTER TABLE jobs ADD COLUMN progress_wait_vendor TEXT;

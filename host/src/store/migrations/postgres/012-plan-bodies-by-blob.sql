-- Migration 12 on PostgreSQL: nothing to do. On SQLite (../012-plan-bodies-by-blob.sql) this
-- step rebuilt `plans` only because a STRICT table's TEXT column refuses the blobs SQLite's
-- incremental blob I/O writes, and SQLite cannot change a column's type in place. PostgreSQL
-- has neither that I/O nor that restriction's cause: `plans` keeps the columns and names the
-- SQLite rebuild kept, and how a PostgreSQL plan body is streamed is decided when
-- store/plans.rs moves onto store/sql.rs (a later step of issue 21 may change `body` then).
-- Released: never edit; append a new migration instead.
SELECT 1;

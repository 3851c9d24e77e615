-- Migration 7 on PostgreSQL: the statements of ../007-paid-and-line-tax-rate.sql, unchanged
-- (nothing in them is SQLite-only).
-- Released: never edit; append a new migration instead.

ALTER TABLE home_jobs ADD COLUMN amount_paid TEXT NOT NULL DEFAULT '0';
ALTER TABLE home_contract_invoices ADD COLUMN amount_paid TEXT NOT NULL DEFAULT '0';
ALTER TABLE home_job_lines ADD COLUMN tax_rate TEXT;
ALTER TABLE home_contract_invoice_lines ADD COLUMN tax_rate TEXT;

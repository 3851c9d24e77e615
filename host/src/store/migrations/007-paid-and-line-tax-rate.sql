-- Migration 7 (contract 0.2): what is paid of each job and contract invoice, and each line's
-- tax rate. Books imported before this step read as nothing paid and no line rate.
-- Released: never edit; append a new migration instead.

ALTER TABLE home_jobs ADD COLUMN amount_paid TEXT NOT NULL DEFAULT '0';
ALTER TABLE home_contract_invoices ADD COLUMN amount_paid TEXT NOT NULL DEFAULT '0';
ALTER TABLE home_job_lines ADD COLUMN tax_rate TEXT;
ALTER TABLE home_contract_invoice_lines ADD COLUMN tax_rate TEXT;

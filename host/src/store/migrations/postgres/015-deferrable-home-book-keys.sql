-- Migration 15 on PostgreSQL (SQLite: ../015-deferrable-home-book-keys.sql): the home book's
-- foreign keys become DEFERRABLE INITIALLY IMMEDIATE, so `HomeStore::import_each` can check
-- them at its commit (`SET CONSTRAINTS ALL DEFERRED` in its transaction) and take records
-- in any order, as on SQLite; every other statement still checks them at once.
-- Released: never edit; append a new migration instead.

-- The names are the ones PostgreSQL gave the unnamed REFERENCES of migration 3
-- (<table>_<column>_fkey).
ALTER TABLE home_jobs
    ALTER CONSTRAINT home_jobs_customer_id_fkey DEFERRABLE INITIALLY IMMEDIATE;
ALTER TABLE home_job_lines
    ALTER CONSTRAINT home_job_lines_job_id_fkey DEFERRABLE INITIALLY IMMEDIATE;
ALTER TABLE home_contracts
    ALTER CONSTRAINT home_contracts_customer_id_fkey DEFERRABLE INITIALLY IMMEDIATE;
ALTER TABLE home_contract_invoices
    ALTER CONSTRAINT home_contract_invoices_contract_id_fkey DEFERRABLE INITIALLY IMMEDIATE;
ALTER TABLE home_contract_invoices
    ALTER CONSTRAINT home_contract_invoices_customer_id_fkey DEFERRABLE INITIALLY IMMEDIATE;
ALTER TABLE home_contract_invoice_lines
    ALTER CONSTRAINT home_contract_invoice_lines_invoice_id_fkey DEFERRABLE INITIALLY IMMEDIATE;

-- Migration 3 on PostgreSQL (SQLite: ../003-home-book.sql): the home book: Tracker Pro's
-- customers, jobs, contracts and contract invoices. Decimals are TEXT as written (scale kept),
-- dates and timestamps TEXT, flags 0/1 (BIGINT, as SQLite's INTEGER, so the same queries bind
-- the same values on both engines).
-- Released: never edit; append a new migration instead.

CREATE TABLE home_customers (
    id                      TEXT PRIMARY KEY,
    name                    TEXT NOT NULL,
    account_number          TEXT,
    contact_name            TEXT,
    email                   TEXT,
    phone                   TEXT,
    tax_number              TEXT,
    billing_line1           TEXT,
    billing_line2           TEXT,
    billing_city            TEXT,
    billing_region          TEXT,
    billing_postal_code     TEXT,
    billing_country         TEXT,
    shipping_line1          TEXT,
    shipping_line2          TEXT,
    shipping_city           TEXT,
    shipping_region         TEXT,
    shipping_postal_code    TEXT,
    shipping_country        TEXT,
    currency                TEXT,
    active                  BIGINT NOT NULL CHECK (active IN (0, 1)),
    flagged_for_integration BIGINT NOT NULL CHECK (flagged_for_integration IN (0, 1)),
    updated_at              TEXT,
    fingerprint             TEXT NOT NULL,
    changed_at              BIGINT NOT NULL
);
CREATE TABLE home_jobs (
    id                  TEXT PRIMARY KEY,
    number              TEXT NOT NULL,
    customer_id         TEXT NOT NULL REFERENCES home_customers(id),
    status              TEXT NOT NULL CHECK (status IN ('open', 'closed', 'cancelled')),
    ready_for_invoice_1 BIGINT NOT NULL CHECK (ready_for_invoice_1 IN (0, 1)),
    ready_for_invoice_2 BIGINT NOT NULL CHECK (ready_for_invoice_2 IN (0, 1)),
    closed_at           TEXT,
    invoice_date        TEXT NOT NULL,
    due_date            TEXT,
    currency            TEXT NOT NULL,
    tax_mode            TEXT NOT NULL CHECK (tax_mode IN ('exclusive', 'inclusive', 'none')),
    subtotal            TEXT NOT NULL,
    tax_total           TEXT NOT NULL,
    total               TEXT NOT NULL,
    memo                TEXT,
    updated_at          TEXT,
    fingerprint         TEXT NOT NULL,
    changed_at          BIGINT NOT NULL
);
CREATE INDEX home_jobs_customer ON home_jobs(customer_id);
CREATE TABLE home_job_lines (
    job_id           TEXT NOT NULL REFERENCES home_jobs(id) ON DELETE CASCADE,
    position         BIGINT NOT NULL,
    description      TEXT NOT NULL,
    quantity         TEXT NOT NULL,
    unit_price       TEXT NOT NULL,
    discount_percent TEXT,
    amount           TEXT NOT NULL,
    item_code        TEXT,
    account_code     TEXT,
    tax_code         TEXT,
    tax_amount       TEXT,
    PRIMARY KEY (job_id, position)
);
CREATE TABLE home_contracts (
    id          TEXT PRIMARY KEY,
    number      TEXT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES home_customers(id),
    description TEXT,
    updated_at  TEXT,
    fingerprint TEXT NOT NULL,
    changed_at  BIGINT NOT NULL
);
CREATE INDEX home_contracts_customer ON home_contracts(customer_id);
CREATE TABLE home_contract_invoices (
    id                  TEXT PRIMARY KEY,
    number              TEXT NOT NULL,
    contract_id         TEXT NOT NULL REFERENCES home_contracts(id),
    customer_id         TEXT NOT NULL REFERENCES home_customers(id),
    status              TEXT NOT NULL CHECK (status IN ('draft', 'generated', 'cancelled')),
    ready_for_invoice_1 BIGINT NOT NULL CHECK (ready_for_invoice_1 IN (0, 1)),
    ready_for_invoice_2 BIGINT NOT NULL CHECK (ready_for_invoice_2 IN (0, 1)),
    invoice_date        TEXT NOT NULL,
    due_date            TEXT,
    currency            TEXT NOT NULL,
    tax_mode            TEXT NOT NULL CHECK (tax_mode IN ('exclusive', 'inclusive', 'none')),
    subtotal            TEXT NOT NULL,
    tax_total           TEXT NOT NULL,
    total               TEXT NOT NULL,
    memo                TEXT,
    updated_at          TEXT,
    fingerprint         TEXT NOT NULL,
    changed_at          BIGINT NOT NULL
);
CREATE INDEX home_contract_invoices_contract ON home_contract_invoices(contract_id);
CREATE INDEX home_contract_invoices_customer ON home_contract_invoices(customer_id);
CREATE TABLE home_contract_invoice_lines (
    invoice_id       TEXT NOT NULL REFERENCES home_contract_invoices(id) ON DELETE CASCADE,
    position         BIGINT NOT NULL,
    description      TEXT NOT NULL,
    quantity         TEXT NOT NULL,
    unit_price       TEXT NOT NULL,
    discount_percent TEXT,
    amount           TEXT NOT NULL,
    item_code        TEXT,
    account_code     TEXT,
    tax_code         TEXT,
    tax_amount       TEXT,
    PRIMARY KEY (invoice_id, position)
);

//! Writing home-book records: upserts by id (`ON CONFLICT DO UPDATE`), lines replaced,
//! `changed_at` moved only when the content fingerprint changes.

use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;

use super::{LINE_COLUMNS, Lines, table};
use crate::home::changes::Change;
use crate::home::fingerprint;
use crate::home::model::{
    HomeAddress, HomeContract, HomeContractInvoice, HomeCustomer, HomeJob, HomeLine, Named,
    RecordKind,
};

/// What writing a record with fingerprint `new` over the stored one does.
fn change(db: &Connection, kind: RecordKind, id: &str, new: &str) -> rusqlite::Result<Change> {
    let sql = format!("SELECT fingerprint FROM {} WHERE id = ?1", table(kind));
    let old: Option<String> = db.query_row(&sql, params![id], |r| r.get(0)).optional()?;
    Ok(match old {
        None => Change::Added,
        Some(old) if old == new => Change::Unchanged,
        Some(_) => Change::Changed,
    })
}

/// `changed_at` keeps its value when the content did not change.
const CHANGED_AT: &str = "changed_at = CASE WHEN fingerprint = excluded.fingerprint \
                          THEN changed_at ELSE excluded.changed_at END";

/// Upsert a customer.
pub fn write_customer(db: &Connection, c: &HomeCustomer, now: i64) -> rusqlite::Result<Change> {
    let fp = fingerprint::customer(c);
    let change = change(db, RecordKind::Customer, &c.id, &fp)?;
    let (b, s) = (address(&c.billing_address), address(&c.shipping_address));
    db.prepare_cached(&format!(
        "INSERT INTO home_customers (id, name, account_number, contact_name, email, phone, tax_number,
            billing_line1, billing_line2, billing_city, billing_region, billing_postal_code, billing_country,
            shipping_line1, shipping_line2, shipping_city, shipping_region, shipping_postal_code, shipping_country,
            currency, active, flagged_for_integration, updated_at, fingerprint, changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
                 ?20, ?21, ?22, ?23, ?24, ?25)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, account_number = excluded.account_number,
            contact_name = excluded.contact_name, email = excluded.email, phone = excluded.phone,
            tax_number = excluded.tax_number, billing_line1 = excluded.billing_line1,
            billing_line2 = excluded.billing_line2, billing_city = excluded.billing_city,
            billing_region = excluded.billing_region, billing_postal_code = excluded.billing_postal_code,
            billing_country = excluded.billing_country, shipping_line1 = excluded.shipping_line1,
            shipping_line2 = excluded.shipping_line2, shipping_city = excluded.shipping_city,
            shipping_region = excluded.shipping_region, shipping_postal_code = excluded.shipping_postal_code,
            shipping_country = excluded.shipping_country, currency = excluded.currency,
            active = excluded.active, flagged_for_integration = excluded.flagged_for_integration,
            updated_at = excluded.updated_at, {CHANGED_AT}, fingerprint = excluded.fingerprint"
    ))?
    .execute(params![
        c.id, c.name, c.account_number, c.contact_name, c.email, c.phone, c.tax_number,
        b[0], b[1], b[2], b[3], b[4], b[5], s[0], s[1], s[2], s[3], s[4], s[5],
        c.currency, c.active, c.flagged_for_integration, c.updated_at, fp, now
    ])?;
    Ok(change)
}

fn address(a: &Option<HomeAddress>) -> [Option<&str>; 6] {
    match a {
        None => [None; 6],
        Some(a) => crate::home::validation::address_parts(a).map(|(_, v)| v),
    }
}

/// Upsert a service contract (its customer must exist).
pub fn write_contract(db: &Connection, c: &HomeContract, now: i64) -> rusqlite::Result<Change> {
    let fp = fingerprint::contract(c);
    let change = change(db, RecordKind::Contract, &c.id, &fp)?;
    db.prepare_cached(&format!(
        "INSERT INTO home_contracts (id, number, customer_id, description, updated_at, fingerprint, changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(id) DO UPDATE SET number = excluded.number, customer_id = excluded.customer_id,
            description = excluded.description, updated_at = excluded.updated_at, {CHANGED_AT},
            fingerprint = excluded.fingerprint"
    ))?
    .execute(params![c.id, c.number, c.customer_id, c.description, c.updated_at, fp, now])?;
    Ok(change)
}

/// Upsert a job and replace its lines (its customer must exist).
pub fn write_job(db: &Connection, j: &HomeJob, now: i64) -> rusqlite::Result<Change> {
    let fp = fingerprint::job(j);
    let change = change(db, RecordKind::Job, &j.id, &fp)?;
    let b = &j.body;
    db.prepare_cached(&format!(
        "INSERT INTO home_jobs (id, number, customer_id, status, ready_for_invoice_1, ready_for_invoice_2,
            closed_at, invoice_date, due_date, currency, tax_mode, subtotal, tax_total, total, memo,
            updated_at, fingerprint, changed_at, amount_paid)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
         ON CONFLICT(id) DO UPDATE SET number = excluded.number, customer_id = excluded.customer_id,
            status = excluded.status, ready_for_invoice_1 = excluded.ready_for_invoice_1,
            ready_for_invoice_2 = excluded.ready_for_invoice_2, closed_at = excluded.closed_at,
            {BODY_UPDATE}, updated_at = excluded.updated_at, {CHANGED_AT}, fingerprint = excluded.fingerprint"
    ))?
    .execute(params![
        j.id, j.number, j.customer_id, j.status.name(), j.ready_for_invoice_1, j.ready_for_invoice_2,
        j.closed_at, b.invoice_date, b.due_date, b.currency, b.tax_mode.name(),
        b.subtotal.to_string(), b.tax_total.to_string(), b.total.to_string(), b.memo,
        j.updated_at, fp, now, b.amount_paid.to_string()
    ])?;
    write_lines(db, Lines::JOB, &j.id, &b.lines)?;
    Ok(change)
}

/// Upsert a contract invoice and replace its lines (its contract and customer must exist).
pub fn write_contract_invoice(
    db: &Connection,
    i: &HomeContractInvoice,
    now: i64,
) -> rusqlite::Result<Change> {
    let fp = fingerprint::contract_invoice(i);
    let change = change(db, RecordKind::ContractInvoice, &i.id, &fp)?;
    let b = &i.body;
    db.prepare_cached(&format!(
        "INSERT INTO home_contract_invoices (id, number, contract_id, customer_id, status,
            ready_for_invoice_1, ready_for_invoice_2, invoice_date, due_date, currency, tax_mode,
            subtotal, tax_total, total, memo, updated_at, fingerprint, changed_at, amount_paid)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
         ON CONFLICT(id) DO UPDATE SET number = excluded.number, contract_id = excluded.contract_id,
            customer_id = excluded.customer_id, status = excluded.status,
            ready_for_invoice_1 = excluded.ready_for_invoice_1,
            ready_for_invoice_2 = excluded.ready_for_invoice_2,
            {BODY_UPDATE}, updated_at = excluded.updated_at, {CHANGED_AT}, fingerprint = excluded.fingerprint"
    ))?
    .execute(params![
        i.id, i.number, i.contract_id, i.customer_id, i.status.name(), i.ready_for_invoice_1,
        i.ready_for_invoice_2, b.invoice_date, b.due_date, b.currency, b.tax_mode.name(),
        b.subtotal.to_string(), b.tax_total.to_string(), b.total.to_string(), b.memo,
        i.updated_at, fp, now, b.amount_paid.to_string()
    ])?;
    write_lines(db, Lines::CONTRACT_INVOICE, &i.id, &b.lines)?;
    Ok(change)
}

const BODY_UPDATE: &str = "invoice_date = excluded.invoice_date, due_date = excluded.due_date,
    currency = excluded.currency, tax_mode = excluded.tax_mode, subtotal = excluded.subtotal,
    tax_total = excluded.tax_total, total = excluded.total, memo = excluded.memo,
    amount_paid = excluded.amount_paid";

fn write_lines(db: &Connection, t: Lines, owner: &str, lines: &[HomeLine]) -> rusqlite::Result<()> {
    db.prepare_cached(&format!("DELETE FROM {} WHERE {} = ?1", t.table, t.owner))?
        .execute(params![owner])?;
    let mut insert = db.prepare_cached(&format!(
        "INSERT INTO {} ({}, position, {LINE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        t.table, t.owner
    ))?;
    let dec = |d: &Option<Decimal>| d.map(|d| d.to_string());
    for (position, l) in lines.iter().enumerate() {
        insert.execute(params![
            owner,
            position as i64,
            l.description,
            l.quantity.to_string(),
            l.unit_price.to_string(),
            dec(&l.discount_percent),
            l.amount.to_string(),
            l.item_code,
            l.account_code,
            l.tax_code,
            dec(&l.tax_amount),
            dec(&l.tax_rate),
        ])?;
    }
    Ok(())
}

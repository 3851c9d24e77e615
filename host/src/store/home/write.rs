//! Writing home-book records: upserts by id (`ON CONFLICT DO UPDATE`), lines replaced,
//! `changed_at` moved only when the content fingerprint changes.

use rust_decimal::Decimal;

use super::{BODY_COLUMNS, LINE_COLUMNS, Lines, table};
use crate::home::changes::Change;
use crate::home::fingerprint;
use crate::home::model::{
    HomeAddress, HomeContract, HomeContractInvoice, HomeCustomer, HomeJob, HomeLine, InvoiceBody,
    Named, RecordKind,
};
use crate::store::sql::{self, Tx, Value};

/// What writing a record with fingerprint `new` over the stored one does.
fn change(tx: &Tx<'_>, kind: RecordKind, id: &str, new: &str) -> Result<Change, sql::Error> {
    let sql = format!("SELECT fingerprint FROM {} WHERE id = ?1", table(kind));
    let old = tx
        .query_opt(&sql, &[id.into()])?
        .map(|r| r.text(0))
        .transpose()?;
    Ok(match old {
        None => Change::Added,
        Some(old) if old == new => Change::Unchanged,
        Some(_) => Change::Changed,
    })
}

/// `changed_at` keeps its value when the content did not change. The stored row's columns
/// are named with `table`'s name: PostgreSQL finds a bare `fingerprint` ambiguous there.
fn changed_at(kind: RecordKind) -> String {
    let t = table(kind);
    format!(
        "changed_at = CASE WHEN {t}.fingerprint = excluded.fingerprint \
         THEN {t}.changed_at ELSE excluded.changed_at END"
    )
}

/// Upsert a customer.
pub fn write_customer(tx: &Tx<'_>, c: &HomeCustomer, now: i64) -> Result<Change, sql::Error> {
    let fp = fingerprint::customer(c);
    let change = change(tx, RecordKind::Customer, &c.id, &fp)?;
    let (b, s) = (address(&c.billing_address), address(&c.shipping_address));
    let mut params: Vec<Value> = vec![
        c.id.as_str().into(),
        c.name.as_str().into(),
        c.account_number.as_deref().into(),
        c.contact_name.as_deref().into(),
        c.email.as_deref().into(),
        c.phone.as_deref().into(),
        c.tax_number.as_deref().into(),
    ];
    params.extend(b.into_iter().chain(s).map(Value::from));
    params.extend([
        c.currency.as_deref().into(),
        flag(c.active),
        flag(c.flagged_for_integration),
        c.updated_at.as_deref().into(),
        fp.into(),
        Value::Int(now),
    ]);
    tx.execute(&format!(
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
            updated_at = excluded.updated_at, {changed_at}, fingerprint = excluded.fingerprint",
        changed_at = changed_at(RecordKind::Customer)
    ), &params)?;
    Ok(change)
}

/// A flag as stored: 0 or 1.
fn flag(on: bool) -> Value {
    Value::Int(i64::from(on))
}

/// A decimal as stored: its text, scale kept.
fn dec(d: &Decimal) -> Value {
    Value::Text(d.to_string())
}

fn address(a: &Option<HomeAddress>) -> [Option<&str>; 6] {
    match a {
        None => [None; 6],
        Some(a) => crate::home::validation::address_parts(a).map(|(_, v)| v),
    }
}

/// Upsert a service contract (its customer must exist).
pub fn write_contract(tx: &Tx<'_>, c: &HomeContract, now: i64) -> Result<Change, sql::Error> {
    let fp = fingerprint::contract(c);
    let change = change(tx, RecordKind::Contract, &c.id, &fp)?;
    tx.execute(&format!(
        "INSERT INTO home_contracts (id, number, customer_id, description, updated_at, fingerprint, changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(id) DO UPDATE SET number = excluded.number, customer_id = excluded.customer_id,
            description = excluded.description, updated_at = excluded.updated_at, {changed_at},
            fingerprint = excluded.fingerprint",
        changed_at = changed_at(RecordKind::Contract)
    ), &[
        c.id.as_str().into(),
        c.number.as_str().into(),
        c.customer_id.as_str().into(),
        c.description.as_deref().into(),
        c.updated_at.as_deref().into(),
        fp.into(),
        Value::Int(now),
    ])?;
    Ok(change)
}

/// Upsert a job and replace its lines (its customer must exist).
pub fn write_job(tx: &Tx<'_>, j: &HomeJob, now: i64) -> Result<Change, sql::Error> {
    let fp = fingerprint::job(j);
    let change = change(tx, RecordKind::Job, &j.id, &fp)?;
    let b = &j.body;
    tx.execute(&format!(
        "INSERT INTO home_jobs (id, number, customer_id, status, ready_for_invoice_1, ready_for_invoice_2,
            closed_at, {BODY_COLUMNS}, updated_at, fingerprint, changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
         ON CONFLICT(id) DO UPDATE SET number = excluded.number, customer_id = excluded.customer_id,
            status = excluded.status, ready_for_invoice_1 = excluded.ready_for_invoice_1,
            ready_for_invoice_2 = excluded.ready_for_invoice_2, closed_at = excluded.closed_at,
            {BODY_UPDATE}, updated_at = excluded.updated_at, {changed_at}, fingerprint = excluded.fingerprint",
        changed_at = changed_at(RecordKind::Job)
    ), &with_body(
        [
            j.id.as_str().into(),
            j.number.as_str().into(),
            j.customer_id.as_str().into(),
            j.status.name().into(),
            flag(j.ready_for_invoice_1),
            flag(j.ready_for_invoice_2),
            j.closed_at.as_deref().into(),
        ],
        b,
        [j.updated_at.as_deref().into(), fp.into(), Value::Int(now)],
    ))?;
    write_lines(tx, Lines::JOB, &j.id, &b.lines)?;
    Ok(change)
}

/// Upsert a contract invoice and replace its lines (its contract and customer must exist).
pub fn write_contract_invoice(
    tx: &Tx<'_>,
    i: &HomeContractInvoice,
    now: i64,
) -> Result<Change, sql::Error> {
    let fp = fingerprint::contract_invoice(i);
    let change = change(tx, RecordKind::ContractInvoice, &i.id, &fp)?;
    let b = &i.body;
    tx.execute(&format!(
        "INSERT INTO home_contract_invoices (id, number, contract_id, customer_id, status,
            ready_for_invoice_1, ready_for_invoice_2, {BODY_COLUMNS}, updated_at, fingerprint, changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
         ON CONFLICT(id) DO UPDATE SET number = excluded.number, contract_id = excluded.contract_id,
            customer_id = excluded.customer_id, status = excluded.status,
            ready_for_invoice_1 = excluded.ready_for_invoice_1,
            ready_for_invoice_2 = excluded.ready_for_invoice_2,
            {BODY_UPDATE}, updated_at = excluded.updated_at, {changed_at}, fingerprint = excluded.fingerprint",
        changed_at = changed_at(RecordKind::ContractInvoice)
    ), &with_body(
        [
            i.id.as_str().into(),
            i.number.as_str().into(),
            i.contract_id.as_str().into(),
            i.customer_id.as_str().into(),
            i.status.name().into(),
            flag(i.ready_for_invoice_1),
            flag(i.ready_for_invoice_2),
        ],
        b,
        [i.updated_at.as_deref().into(), fp.into(), Value::Int(now)],
    ))?;
    write_lines(tx, Lines::CONTRACT_INVOICE, &i.id, &b.lines)?;
    Ok(change)
}

/// The parameters of an invoice row: `head`, then the body's in `BODY_COLUMNS`' order,
/// then `tail`.
fn with_body(head: [Value; 7], b: &InvoiceBody, tail: [Value; 3]) -> Vec<Value> {
    let body = [
        b.invoice_date.as_str().into(),
        b.due_date.as_deref().into(),
        b.currency.as_str().into(),
        b.tax_mode.name().into(),
        dec(&b.subtotal),
        dec(&b.tax_total),
        dec(&b.total),
        b.memo.as_deref().into(),
        dec(&b.amount_paid),
    ];
    head.into_iter().chain(body).chain(tail).collect()
}

const BODY_UPDATE: &str = "invoice_date = excluded.invoice_date, due_date = excluded.due_date,
    currency = excluded.currency, tax_mode = excluded.tax_mode, subtotal = excluded.subtotal,
    tax_total = excluded.tax_total, total = excluded.total, memo = excluded.memo,
    amount_paid = excluded.amount_paid";

fn write_lines(tx: &Tx<'_>, t: Lines, owner: &str, lines: &[HomeLine]) -> Result<(), sql::Error> {
    tx.execute(
        &format!("DELETE FROM {} WHERE {} = ?1", t.table, t.owner),
        &[owner.into()],
    )?;
    let insert = format!(
        "INSERT INTO {} ({}, position, {LINE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        t.table, t.owner
    );
    let opt = |d: &Option<Decimal>| d.as_ref().map_or(Value::Null, dec);
    for (position, l) in lines.iter().enumerate() {
        tx.execute(
            &insert,
            &[
                owner.into(),
                Value::Int(position as i64),
                l.description.as_str().into(),
                dec(&l.quantity),
                dec(&l.unit_price),
                opt(&l.discount_percent),
                dec(&l.amount),
                l.item_code.as_deref().into(),
                l.account_code.as_deref().into(),
                l.tax_code.as_deref().into(),
                opt(&l.tax_amount),
                opt(&l.tax_rate),
            ],
        )?;
    }
    Ok(())
}

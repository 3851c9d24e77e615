//! Reading home-book records back into the model; a stored value the model cannot hold
//! (edited by hand) is [`HomeStoreError::Unreadable`] naming its column, never a panic.
//! Every list is ordered by id bytewise ([`Engine::bytewise`]), on both engines.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use rust_decimal::Decimal;

use super::{BODY_COLUMNS, HomeStoreError, LINE_COLUMNS, Lines};
use crate::home::import::{KnownIds, NumberHolder};
use crate::home::model::{
    HomeAddress, HomeContract, HomeContractInvoice, HomeCustomer, HomeJob, HomeLine, InvoiceBody,
    Named,
};
use crate::store::sql::{Engine, Row, Tx, Value};

/// How many jobs [`each_job`] reads at a time (3 in tests, so they walk several pages).
const JOB_PAGE: i64 = if cfg!(test) { 3 } else { 256 };

/// The customer and contract ids in the book.
pub fn read_known_ids(tx: &Tx<'_>) -> Result<KnownIds, HomeStoreError> {
    let ids = |sql: &str| -> Result<HashSet<String>, HomeStoreError> {
        tx.query(sql, &[])?.iter().map(|r| Ok(r.text(0)?)).collect()
    };
    let numbers = tx.query(
        "SELECT number, 'job', id FROM home_jobs \
         UNION ALL SELECT number, 'contract invoice', id FROM home_contract_invoices",
        &[],
    )?;
    Ok(KnownIds {
        customers: ids("SELECT id FROM home_customers")?,
        contracts: ids("SELECT id FROM home_contracts")?,
        invoice_numbers: numbers
            .iter()
            .map(|r| {
                Ok(NumberHolder {
                    number: r.text(0)?,
                    kind: if r.text(1)? == "job" {
                        "job"
                    } else {
                        "contract invoice"
                    },
                    id: r.text(2)?,
                })
            })
            .collect::<Result<Vec<_>, HomeStoreError>>()?,
    })
}

fn unreadable(r: &Row, i: usize, value: String, reason: String) -> HomeStoreError {
    HomeStoreError::Unreadable {
        column: r.column_name(i).to_owned(),
        value,
        reason,
    }
}

fn decimal(r: &Row, i: usize) -> Result<Decimal, HomeStoreError> {
    let s = r.text(i)?;
    Decimal::from_str(&s).map_err(|e| unreadable(r, i, s, e.to_string()))
}

fn opt_decimal(r: &Row, i: usize) -> Result<Option<Decimal>, HomeStoreError> {
    match r.opt_text(i)? {
        None => Ok(None),
        Some(s) => Decimal::from_str(&s)
            .map(Some)
            .map_err(|e| unreadable(r, i, s, e.to_string())),
    }
}

fn named<T: Named>(r: &Row, i: usize) -> Result<T, HomeStoreError> {
    let s = r.text(i)?;
    T::from_name(&s).ok_or_else(|| unreadable(r, i, s, "not a known value".to_owned()))
}

/// A 0/1 flag.
fn flag(r: &Row, i: usize) -> Result<bool, HomeStoreError> {
    Ok(r.i64(i)? != 0)
}

fn read_address(r: &Row, at: usize) -> Result<Option<HomeAddress>, HomeStoreError> {
    let a = HomeAddress {
        line1: r.opt_text(at)?,
        line2: r.opt_text(at + 1)?,
        city: r.opt_text(at + 2)?,
        region: r.opt_text(at + 3)?,
        postal_code: r.opt_text(at + 4)?,
        country: r.opt_text(at + 5)?,
    };
    Ok((!a.is_empty()).then_some(a))
}

/// The columns [`customer_row`] reads, in its order.
const CUSTOMER_COLUMNS: &str = "id, name, account_number, contact_name, email, phone, tax_number,
    billing_line1, billing_line2, billing_city, billing_region, billing_postal_code, billing_country,
    shipping_line1, shipping_line2, shipping_city, shipping_region, shipping_postal_code, shipping_country,
    currency, active, flagged_for_integration, updated_at";

fn customer_row(r: &Row) -> Result<HomeCustomer, HomeStoreError> {
    Ok(HomeCustomer {
        id: r.text(0)?,
        name: r.text(1)?,
        account_number: r.opt_text(2)?,
        contact_name: r.opt_text(3)?,
        email: r.opt_text(4)?,
        phone: r.opt_text(5)?,
        tax_number: r.opt_text(6)?,
        billing_address: read_address(r, 7)?,
        shipping_address: read_address(r, 13)?,
        currency: r.opt_text(19)?,
        active: flag(r, 20)?,
        flagged_for_integration: flag(r, 21)?,
        updated_at: r.opt_text(22)?,
    })
}

/// ` WHERE id = ?1` when one record is asked for, and the order by id (bytewise).
fn one_or_all(engine: Engine, id: Option<&str>) -> (String, Vec<Value>) {
    let order = format!(" ORDER BY id{}", engine.bytewise());
    match id {
        Some(id) => (format!(" WHERE id = ?1{order}"), vec![id.into()]),
        None => (order, Vec::new()),
    }
}

/// Customers (one when `id` is given), by id.
pub fn read_customers(tx: &Tx<'_>, id: Option<&str>) -> Result<Vec<HomeCustomer>, HomeStoreError> {
    let (rest, params) = one_or_all(tx.engine(), id);
    tx.query(
        &format!("SELECT {CUSTOMER_COLUMNS} FROM home_customers{rest}"),
        &params,
    )?
    .iter()
    .map(customer_row)
    .collect()
}

/// The customers of `ids` the book holds, each looked up by its primary key, in the order
/// of `ids`.
pub fn read_customers_among(
    tx: &Tx<'_>,
    ids: &[&str],
) -> Result<Vec<HomeCustomer>, HomeStoreError> {
    let sql = format!("SELECT {CUSTOMER_COLUMNS} FROM home_customers WHERE id = ?1");
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(r) = tx.query_opt(&sql, &[(*id).into()])? {
            found.push(customer_row(&r)?);
        }
    }
    Ok(found)
}

/// Service contracts (one when `id` is given), by id.
pub fn read_contracts(tx: &Tx<'_>, id: Option<&str>) -> Result<Vec<HomeContract>, HomeStoreError> {
    let (rest, params) = one_or_all(tx.engine(), id);
    tx.query(
        &format!(
            "SELECT id, number, customer_id, description, updated_at FROM home_contracts{rest}"
        ),
        &params,
    )?
    .iter()
    .map(|r| {
        Ok(HomeContract {
            id: r.text(0)?,
            number: r.text(1)?,
            customer_id: r.text(2)?,
            description: r.opt_text(3)?,
            updated_at: r.opt_text(4)?,
        })
    })
    .collect()
}

/// The invoice body from `BODY_COLUMNS` starting at column `at` (lines added later).
fn read_body(r: &Row, at: usize) -> Result<InvoiceBody, HomeStoreError> {
    Ok(InvoiceBody {
        invoice_date: r.text(at)?,
        due_date: r.opt_text(at + 1)?,
        currency: r.text(at + 2)?,
        tax_mode: named(r, at + 3)?,
        subtotal: decimal(r, at + 4)?,
        tax_total: decimal(r, at + 5)?,
        total: decimal(r, at + 6)?,
        memo: r.opt_text(at + 7)?,
        amount_paid: decimal(r, at + 8)?,
        lines: Vec::new(),
    })
}

/// One line row: its owner's id and the line.
fn line_row(r: &Row) -> Result<(String, HomeLine), HomeStoreError> {
    Ok((
        r.text(0)?,
        HomeLine {
            description: r.text(1)?,
            quantity: decimal(r, 2)?,
            unit_price: decimal(r, 3)?,
            discount_percent: opt_decimal(r, 4)?,
            amount: decimal(r, 5)?,
            item_code: r.opt_text(6)?,
            account_code: r.opt_text(7)?,
            tax_code: r.opt_text(8)?,
            tax_amount: opt_decimal(r, 9)?,
            tax_rate: opt_decimal(r, 10)?,
        },
    ))
}

/// Lines by owner: of one owner, of the owners from `range.0` to `range.1` (both included),
/// or of every owner; each owner's in order.
fn read_lines(
    tx: &Tx<'_>,
    t: Lines,
    owner: Option<&str>,
    range: Option<(&str, &str)>,
) -> Result<HashMap<String, Vec<HomeLine>>, HomeStoreError> {
    let c = tx.engine().bytewise();
    let (owner_col, table) = (t.owner, t.table);
    let (filter, params): (String, Vec<Value>) = match (owner, range) {
        (Some(o), _) => (format!("WHERE {owner_col} = ?1"), vec![o.into()]),
        (None, Some((first, last))) => (
            format!("WHERE {owner_col}{c} BETWEEN ?1 AND ?2"),
            vec![first.into(), last.into()],
        ),
        (None, None) => (String::new(), Vec::new()),
    };
    let rows = tx.query(
        &format!(
            "SELECT {owner_col}, {LINE_COLUMNS} FROM {table} {filter} ORDER BY {owner_col}{c}, position"
        ),
        &params,
    )?;
    let mut by_owner: HashMap<String, Vec<HomeLine>> = HashMap::new();
    for r in &rows {
        let (owner, line) = line_row(r)?;
        by_owner.entry(owner).or_default().push(line);
    }
    Ok(by_owner)
}

/// The job columns [`job_row`] reads.
const JOB_SELECT: &str =
    "SELECT id, number, customer_id, status, ready_for_invoice_1, ready_for_invoice_2,
    closed_at, updated_at, ";

/// One job row (its lines added later).
fn job_row(r: &Row) -> Result<HomeJob, HomeStoreError> {
    Ok(HomeJob {
        id: r.text(0)?,
        number: r.text(1)?,
        customer_id: r.text(2)?,
        status: named(r, 3)?,
        ready_for_invoice_1: flag(r, 4)?,
        ready_for_invoice_2: flag(r, 5)?,
        closed_at: r.opt_text(6)?,
        updated_at: r.opt_text(7)?,
        body: read_body(r, 8)?,
    })
}

/// Jobs with their lines (one when `id` is given), by id.
pub fn read_jobs(tx: &Tx<'_>, id: Option<&str>) -> Result<Vec<HomeJob>, HomeStoreError> {
    let mut lines = read_lines(tx, Lines::JOB, id, None)?;
    let (rest, params) = one_or_all(tx.engine(), id);
    let mut jobs = tx
        .query(
            &format!("{JOB_SELECT}{BODY_COLUMNS} FROM home_jobs{rest}"),
            &params,
        )?
        .iter()
        .map(job_row)
        .collect::<Result<Vec<_>, _>>()?;
    for j in &mut jobs {
        j.body.lines = lines.remove(&j.id).unwrap_or_default();
    }
    Ok(jobs)
}

/// Every job with its lines, by id, handed to `f` one at a time: what [`read_jobs`] returns,
/// without holding the book. Jobs are read [`JOB_PAGE`] at a time, each page after the last
/// id of the one before (bytewise, on both engines), with the lines of that page's ids.
/// `range` (first and last id, both included) limits the walk to the jobs between them: a
/// push reads its due invoices back a batch at a time. Run it in one transaction that reads
/// one snapshot (see `HomeStore::each_job_between`).
pub fn each_job<E: From<HomeStoreError>>(
    tx: &Tx<'_>,
    range: Option<(&str, &str)>,
    mut f: impl FnMut(HomeJob) -> Result<(), E>,
) -> Result<(), E> {
    let c = tx.engine().bytewise();
    // The bounds as separate statements, not `?2 IS NULL OR ...`: a range must be able to
    // stop at its last id (a scan to the table's end per batch otherwise).
    let upper = match range {
        Some(_) => format!(" AND id{c} <= ?2"),
        None => String::new(),
    };
    let last = range.map_or("", |(_, last)| last);
    let mut after: Option<String> = None;
    loop {
        let (op, from) = match &after {
            Some(id) => (">", id.as_str()),
            None => (">=", range.map_or("", |(first, _)| first)),
        };
        let mut params = vec![Value::from(from), Value::from(last), Value::Int(JOB_PAGE)];
        if range.is_none() {
            params.remove(1);
        }
        let limit = params.len();
        let page = tx
            .query(
                &format!(
                    "{JOB_SELECT}{BODY_COLUMNS} FROM home_jobs WHERE id{c} {op} ?1{upper}
                     ORDER BY id{c} LIMIT ?{limit}"
                ),
                &params,
            )
            .map_err(HomeStoreError::from)?
            .iter()
            .map(job_row)
            .collect::<Result<Vec<_>, _>>()?;
        let (Some(first), Some(end)) = (page.first(), page.last()) else {
            return Ok(());
        };
        let mut lines = read_lines(tx, Lines::JOB, None, Some((&first.id, &end.id)))?;
        after = Some(end.id.clone());
        let full = page.len() as i64 == JOB_PAGE;
        for mut job in page {
            job.body.lines = lines.remove(&job.id).unwrap_or_default();
            f(job)?;
        }
        if !full {
            return Ok(());
        }
    }
}

/// Contract invoices with their lines (one when `id` is given), by id.
pub fn read_contract_invoices(
    tx: &Tx<'_>,
    id: Option<&str>,
) -> Result<Vec<HomeContractInvoice>, HomeStoreError> {
    let mut lines = read_lines(tx, Lines::CONTRACT_INVOICE, id, None)?;
    let (rest, params) = one_or_all(tx.engine(), id);
    let mut invoices = tx
        .query(
            &format!(
                "SELECT id, number, contract_id, customer_id, status, ready_for_invoice_1,
                    ready_for_invoice_2, updated_at, {BODY_COLUMNS}
                 FROM home_contract_invoices{rest}"
            ),
            &params,
        )?
        .iter()
        .map(|r| {
            Ok(HomeContractInvoice {
                id: r.text(0)?,
                number: r.text(1)?,
                contract_id: r.text(2)?,
                customer_id: r.text(3)?,
                status: named(r, 4)?,
                ready_for_invoice_1: flag(r, 5)?,
                ready_for_invoice_2: flag(r, 6)?,
                updated_at: r.opt_text(7)?,
                body: read_body(r, 8)?,
            })
        })
        .collect::<Result<Vec<_>, HomeStoreError>>()?;
    for i in &mut invoices {
        i.body.lines = lines.remove(&i.id).unwrap_or_default();
    }
    Ok(invoices)
}

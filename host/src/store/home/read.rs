//! Reading home-book records back into the model; a stored value the model cannot hold
//! (edited by hand) is a conversion error naming its column, never a panic.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use rusqlite::types::Type;
use rusqlite::{Connection, Row, params};
use rust_decimal::Decimal;

use super::{BODY_COLUMNS, LINE_COLUMNS, Lines};
use crate::home::import::{KnownIds, NumberHolder};
use crate::home::model::{
    HomeAddress, HomeContract, HomeContractInvoice, HomeCustomer, HomeJob, HomeLine, InvoiceBody,
    Named,
};

/// The customer and contract ids in the book.
pub fn read_known_ids(db: &Connection) -> rusqlite::Result<KnownIds> {
    let ids = |sql: &str| -> rusqlite::Result<HashSet<String>> {
        let mut stmt = db.prepare(sql)?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect()
    };
    Ok(KnownIds {
        customers: ids("SELECT id FROM home_customers")?,
        contracts: ids("SELECT id FROM home_contracts")?,
        invoice_numbers: {
            let mut stmt = db.prepare(
                "SELECT number, 'job', id FROM home_jobs \
                 UNION ALL SELECT number, 'contract invoice', id FROM home_contract_invoices",
            )?;
            let rows = stmt.query_map([], |r| {
                let kind: String = r.get(1)?;
                Ok(NumberHolder {
                    number: r.get(0)?,
                    kind: if kind == "job" {
                        "job"
                    } else {
                        "contract invoice"
                    },
                    id: r.get(2)?,
                })
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        },
    })
}

fn conversion(i: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(i, Type::Text, Box::new(e))
}

fn decimal(r: &Row<'_>, i: usize) -> rusqlite::Result<Decimal> {
    let s: String = r.get(i)?;
    Decimal::from_str(&s).map_err(|e| conversion(i, e))
}

fn opt_decimal(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<Decimal>> {
    let s: Option<String> = r.get(i)?;
    s.map(|s| Decimal::from_str(&s).map_err(|e| conversion(i, e)))
        .transpose()
}

/// A stored value outside an enumeration (written by something other than this module).
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not a known value")]
struct UnknownValue(String);

fn named<T: Named>(r: &Row<'_>, i: usize) -> rusqlite::Result<T> {
    let s: String = r.get(i)?;
    T::from_name(&s).ok_or_else(|| conversion(i, UnknownValue(s)))
}

fn read_address(r: &Row<'_>, at: usize) -> rusqlite::Result<Option<HomeAddress>> {
    let a = HomeAddress {
        line1: r.get(at)?,
        line2: r.get(at + 1)?,
        city: r.get(at + 2)?,
        region: r.get(at + 3)?,
        postal_code: r.get(at + 4)?,
        country: r.get(at + 5)?,
    };
    Ok((!a.is_empty()).then_some(a))
}

/// The columns [`customer_row`] reads, in its order.
const CUSTOMER_COLUMNS: &str = "id, name, account_number, contact_name, email, phone, tax_number,
    billing_line1, billing_line2, billing_city, billing_region, billing_postal_code, billing_country,
    shipping_line1, shipping_line2, shipping_city, shipping_region, shipping_postal_code, shipping_country,
    currency, active, flagged_for_integration, updated_at";

fn customer_row(r: &Row<'_>) -> rusqlite::Result<HomeCustomer> {
    Ok(HomeCustomer {
        id: r.get(0)?,
        name: r.get(1)?,
        account_number: r.get(2)?,
        contact_name: r.get(3)?,
        email: r.get(4)?,
        phone: r.get(5)?,
        tax_number: r.get(6)?,
        billing_address: read_address(r, 7)?,
        shipping_address: read_address(r, 13)?,
        currency: r.get(19)?,
        active: r.get(20)?,
        flagged_for_integration: r.get(21)?,
        updated_at: r.get(22)?,
    })
}

/// Customers (one when `id` is given), by id.
pub fn read_customers(db: &Connection, id: Option<&str>) -> rusqlite::Result<Vec<HomeCustomer>> {
    let mut stmt = db.prepare_cached(&format!(
        "SELECT {CUSTOMER_COLUMNS} FROM home_customers WHERE ?1 IS NULL OR id = ?1 ORDER BY id"
    ))?;
    let rows = stmt.query_map(params![id], customer_row)?;
    rows.collect()
}

/// The customers of `ids` the book holds, each looked up by its primary key (a statement of
/// its own: `?1 IS NULL OR id = ?1` would walk the whole table), in the order of `ids`.
pub fn read_customers_among(db: &Connection, ids: &[&str]) -> rusqlite::Result<Vec<HomeCustomer>> {
    let mut stmt = db.prepare_cached(&format!(
        "SELECT {CUSTOMER_COLUMNS} FROM home_customers WHERE id = ?1"
    ))?;
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        for c in stmt.query_map(params![id], customer_row)? {
            found.push(c?);
        }
    }
    Ok(found)
}

/// Service contracts (one when `id` is given), by id.
pub fn read_contracts(db: &Connection, id: Option<&str>) -> rusqlite::Result<Vec<HomeContract>> {
    let mut stmt = db.prepare_cached(
        "SELECT id, number, customer_id, description, updated_at FROM home_contracts
         WHERE ?1 IS NULL OR id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![id], |r| {
        Ok(HomeContract {
            id: r.get(0)?,
            number: r.get(1)?,
            customer_id: r.get(2)?,
            description: r.get(3)?,
            updated_at: r.get(4)?,
        })
    })?;
    rows.collect()
}

/// The invoice body from `BODY_COLUMNS` starting at column `at` (lines added later).
fn read_body(r: &Row<'_>, at: usize) -> rusqlite::Result<InvoiceBody> {
    Ok(InvoiceBody {
        invoice_date: r.get(at)?,
        due_date: r.get(at + 1)?,
        currency: r.get(at + 2)?,
        tax_mode: named(r, at + 3)?,
        subtotal: decimal(r, at + 4)?,
        tax_total: decimal(r, at + 5)?,
        total: decimal(r, at + 6)?,
        memo: r.get(at + 7)?,
        amount_paid: decimal(r, at + 8)?,
        lines: Vec::new(),
    })
}

/// One line row: its owner's id and the line.
fn line_row(r: &Row<'_>) -> rusqlite::Result<(String, HomeLine)> {
    Ok((
        r.get::<_, String>(0)?,
        HomeLine {
            description: r.get(1)?,
            quantity: decimal(r, 2)?,
            unit_price: decimal(r, 3)?,
            discount_percent: opt_decimal(r, 4)?,
            amount: decimal(r, 5)?,
            item_code: r.get(6)?,
            account_code: r.get(7)?,
            tax_code: r.get(8)?,
            tax_amount: opt_decimal(r, 9)?,
            tax_rate: opt_decimal(r, 10)?,
        },
    ))
}

/// Lines of every owner (or of one), in order.
fn read_lines(
    db: &Connection,
    t: Lines,
    owner: Option<&str>,
) -> rusqlite::Result<HashMap<String, Vec<HomeLine>>> {
    let mut stmt = db.prepare_cached(&format!(
        "SELECT {owner_col}, {LINE_COLUMNS} FROM {table} WHERE ?1 IS NULL OR {owner_col} = ?1
         ORDER BY {owner_col}, position",
        owner_col = t.owner,
        table = t.table
    ))?;
    let rows = stmt.query_map(params![owner], line_row)?;
    let mut by_owner: HashMap<String, Vec<HomeLine>> = HashMap::new();
    for row in rows {
        let (owner, line) = row?;
        by_owner.entry(owner).or_default().push(line);
    }
    Ok(by_owner)
}

/// The job columns [`job_row`] reads.
const JOB_SELECT: &str =
    "SELECT id, number, customer_id, status, ready_for_invoice_1, ready_for_invoice_2,
    closed_at, updated_at, ";

/// One job row (its lines added later).
fn job_row(r: &Row<'_>) -> rusqlite::Result<HomeJob> {
    Ok(HomeJob {
        id: r.get(0)?,
        number: r.get(1)?,
        customer_id: r.get(2)?,
        status: named(r, 3)?,
        ready_for_invoice_1: r.get(4)?,
        ready_for_invoice_2: r.get(5)?,
        closed_at: r.get(6)?,
        updated_at: r.get(7)?,
        body: read_body(r, 8)?,
    })
}

/// Jobs with their lines (one when `id` is given), by id.
pub fn read_jobs(db: &Connection, id: Option<&str>) -> rusqlite::Result<Vec<HomeJob>> {
    let mut lines = read_lines(db, Lines::JOB, id)?;
    let mut stmt = db.prepare_cached(&format!(
        "{JOB_SELECT}{BODY_COLUMNS} FROM home_jobs WHERE ?1 IS NULL OR id = ?1 ORDER BY id"
    ))?;
    let rows = stmt.query_map(params![id], job_row)?;
    let mut jobs = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    for j in &mut jobs {
        j.body.lines = lines.remove(&j.id).unwrap_or_default();
    }
    Ok(jobs)
}

/// Every job with its lines, by id, handed to `f` one at a time: what [`read_jobs`] returns,
/// without holding the book. The jobs and their lines are read side by side, both ordered by
/// job id (SQLite's `BINARY` order of text is byte order, as `str`'s), so each job's lines
/// are the run of line rows with its id. `range` (first and last id, both included) limits
/// the walk to the jobs between them: a push reads its due invoices back a batch at a time.
pub fn each_job<E: From<rusqlite::Error>>(
    db: &Connection,
    range: Option<(&str, &str)>,
    mut f: impl FnMut(HomeJob) -> Result<(), E>,
) -> Result<(), E> {
    // Two statements, not `?1 IS NULL OR ...`: a range must be able to use the primary keys
    // (a scan and a sort of every line per batch otherwise).
    let (job_where, line_where) = match range {
        Some(_) => (
            "WHERE id BETWEEN ?1 AND ?2",
            "WHERE job_id BETWEEN ?1 AND ?2",
        ),
        None => ("", ""),
    };
    let bounds = || rusqlite::params_from_iter(range.into_iter().flat_map(|(a, b)| [a, b]));
    let mut line_stmt = db.prepare_cached(&format!(
        "SELECT job_id, {LINE_COLUMNS} FROM home_job_lines {line_where} ORDER BY job_id, position"
    ))?;
    let mut lines = line_stmt.query_map(bounds(), line_row)?.peekable();
    let mut job_stmt = db.prepare_cached(&format!(
        "{JOB_SELECT}{BODY_COLUMNS} FROM home_jobs {job_where} ORDER BY id"
    ))?;
    for job in job_stmt.query_map(bounds(), job_row)? {
        let mut job = job?;
        loop {
            let owner = match lines.peek() {
                None => break,
                Some(Ok((owner, _))) => owner.as_str(),
                Some(Err(_)) => match lines.next() {
                    Some(Err(e)) => return Err(e.into()),
                    _ => continue,
                },
            };
            match owner.cmp(job.id.as_str()) {
                // A line of no job read here (the foreign key makes it impossible): left out,
                // as `read_jobs` leaves it out.
                std::cmp::Ordering::Less => {
                    lines.next();
                }
                std::cmp::Ordering::Equal => {
                    if let Some(Ok((_, line))) = lines.next() {
                        job.body.lines.push(line);
                    }
                }
                std::cmp::Ordering::Greater => break,
            }
        }
        f(job)?;
    }
    Ok(())
}

/// Contract invoices with their lines (one when `id` is given), by id.
pub fn read_contract_invoices(
    db: &Connection,
    id: Option<&str>,
) -> rusqlite::Result<Vec<HomeContractInvoice>> {
    let mut lines = read_lines(db, Lines::CONTRACT_INVOICE, id)?;
    let mut stmt = db.prepare_cached(&format!(
        "SELECT id, number, contract_id, customer_id, status, ready_for_invoice_1, ready_for_invoice_2,
            updated_at, {BODY_COLUMNS}
         FROM home_contract_invoices WHERE ?1 IS NULL OR id = ?1 ORDER BY id"
    ))?;
    let rows = stmt.query_map(params![id], |r| {
        Ok(HomeContractInvoice {
            id: r.get(0)?,
            number: r.get(1)?,
            contract_id: r.get(2)?,
            customer_id: r.get(3)?,
            status: named(r, 4)?,
            ready_for_invoice_1: r.get(5)?,
            ready_for_invoice_2: r.get(6)?,
            updated_at: r.get(7)?,
            body: read_body(r, 8)?,
        })
    })?;
    let mut invoices = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    for i in &mut invoices {
        i.body.lines = lines.remove(&i.id).unwrap_or_default();
    }
    Ok(invoices)
}

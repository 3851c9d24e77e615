//! One Notes account's customers and invoices, and every write rule that needs the whole
//! book: unique names and numbers, versions, locked paid invoices, customers in use.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use serde_json::Value;

use super::Refusal;
use super::records::{Customer, CustomerInput, Invoice, InvoiceInput};

/// A write answered before, kept for its idempotency key.
#[derive(Debug, Clone)]
pub(crate) struct Replay {
    /// Method, path and body hash of the request that got it.
    pub fingerprint: String,
    pub status: u16,
    pub body: Value,
}

/// One account (one API key).
#[derive(Debug, Default)]
pub(crate) struct Book {
    customers: BTreeMap<u64, Customer>,
    invoices: BTreeMap<u64, Invoice>,
    last_customer: u64,
    last_invoice: u64,
    last_number: u64,
    pub(crate) replays: HashMap<String, Replay>,
}

/// A list request: filters and the page wanted.
#[derive(Debug, Default)]
pub(crate) struct ListQuery {
    pub updated_since: Option<DateTime<FixedOffset>>,
    pub after: u64,
    pub limit: usize,
    pub name: Option<String>,
    pub email: Option<String>,
    pub kind: Option<String>,
    pub number: Option<String>,
    pub ids: Option<Vec<String>>,
}

/// One page of records and the cursor of the next.
#[derive(Debug, Serialize)]
pub(crate) struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

/// The cursor after the record with sequence number `n`.
pub(crate) fn cursor_after(n: u64) -> String {
    format!("after_{n}")
}

/// The sequence number a cursor stands for.
pub(crate) fn parse_cursor(cursor: &str) -> Option<u64> {
    cursor.strip_prefix("after_")?.parse().ok()
}

fn seq(id: &str, prefix: &str) -> Option<u64> {
    id.strip_prefix(prefix)?.parse().ok()
}

fn since_ok(updated_at: &str, since: Option<&DateTime<FixedOffset>>) -> bool {
    match since {
        None => true,
        Some(since) => DateTime::parse_from_rfc3339(updated_at).is_ok_and(|at| at >= *since),
    }
}

fn page<'a, T: Clone + 'a>(
    records: impl Iterator<Item = (&'a u64, &'a T)>,
    query: &ListQuery,
) -> Page<T> {
    let mut data = Vec::new();
    let mut last = None;
    let mut more = false;
    for (n, record) in records.filter(|(n, _)| **n > query.after) {
        if data.len() == query.limit {
            more = true;
            break;
        }
        data.push(record.clone());
        last = Some(*n);
    }
    Page {
        data,
        next_cursor: last.filter(|_| more).map(cursor_after),
    }
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

impl Book {
    /// How many customers and invoices the account holds.
    pub(crate) fn counts(&self) -> (usize, usize) {
        (self.customers.len(), self.invoices.len())
    }

    /// Every customer, oldest first.
    pub(crate) fn all_customers(&self) -> Vec<Customer> {
        self.customers.values().cloned().collect()
    }

    /// Every invoice, oldest first.
    pub(crate) fn all_invoices(&self) -> Vec<Invoice> {
        self.invoices.values().cloned().collect()
    }

    pub(crate) fn list_customers(&self, q: &ListQuery) -> Page<Customer> {
        page(
            self.customers.iter().filter(|(_, c)| {
                since_ok(&c.updated_at, q.updated_since.as_ref())
                    && q.name
                        .as_deref()
                        .is_none_or(|n| same_name(n, &c.fields.name))
                    && q.email.as_deref().is_none_or(|e| {
                        c.fields
                            .email
                            .as_deref()
                            .is_some_and(|x| x.eq_ignore_ascii_case(e))
                    })
            }),
            q,
        )
    }

    pub(crate) fn list_invoices(&self, q: &ListQuery) -> Page<Invoice> {
        page(
            self.invoices.iter().filter(|(_, i)| {
                since_ok(&i.updated_at, q.updated_since.as_ref())
                    && q.kind.as_deref().is_none_or(|k| k == i.fields.kind)
                    && q.number.as_deref().is_none_or(|n| n == i.fields.number)
                    && q.ids.as_ref().is_none_or(|ids| ids.contains(&i.id))
            }),
            q,
        )
    }

    pub(crate) fn customer(&self, id: &str) -> Result<&Customer, Refusal> {
        seq(id, "cus_")
            .and_then(|n| self.customers.get(&n))
            .ok_or_else(|| Refusal::not_found(format!("no customer {id}")))
    }

    pub(crate) fn invoice(&self, id: &str) -> Result<&Invoice, Refusal> {
        seq(id, "inv_")
            .and_then(|n| self.invoices.get(&n))
            .ok_or_else(|| Refusal::not_found(format!("no invoice {id}")))
    }

    fn unique_name(&self, name: &str, except: Option<&str>) -> Result<(), Refusal> {
        match self
            .customers
            .values()
            .find(|c| Some(c.id.as_str()) != except && same_name(&c.fields.name, name))
        {
            Some(other) => Err(Refusal::duplicate(
                "name",
                format!(
                    "a customer named {:?} already exists ({})",
                    other.fields.name, other.id
                ),
                &other.id,
            )),
            None => Ok(()),
        }
    }

    fn unique_number(&self, number: &str, except: Option<&str>) -> Result<(), Refusal> {
        match self
            .invoices
            .values()
            .find(|i| Some(i.id.as_str()) != except && i.fields.number == number)
        {
            Some(other) => Err(Refusal::duplicate(
                "number",
                format!("invoice number {number} is already used by {}", other.id),
                &other.id,
            )),
            None => Ok(()),
        }
    }

    fn check_version(id: &str, current: u64, sent: Option<u64>) -> Result<(), Refusal> {
        match sent {
            Some(v) if v != current => Err(Refusal::stale(format!(
                "{id} is at version {current}, not {v}; read it again and resend"
            ))),
            _ => Ok(()),
        }
    }

    pub(crate) fn create_customer(
        &mut self,
        input: CustomerInput,
        now: &str,
    ) -> Result<Customer, Refusal> {
        input.check()?;
        self.unique_name(&input.name, None)?;
        self.last_customer += 1;
        let n = self.last_customer;
        let customer = Customer {
            id: format!("cus_{n}"),
            version: 1,
            fields: input,
            created_at: now.to_owned(),
            updated_at: now.to_owned(),
        };
        self.customers.insert(n, customer.clone());
        Ok(customer)
    }

    pub(crate) fn update_customer(
        &mut self,
        id: &str,
        input: CustomerInput,
        now: &str,
    ) -> Result<Customer, Refusal> {
        let current = self.customer(id)?.version;
        Self::check_version(id, current, input.version)?;
        input.check()?;
        self.unique_name(&input.name, Some(id))?;
        let n = seq(id, "cus_").ok_or_else(|| Refusal::not_found(format!("no customer {id}")))?;
        let customer = self
            .customers
            .get_mut(&n)
            .ok_or_else(|| Refusal::not_found(format!("no customer {id}")))?;
        customer.fields = input;
        customer.version += 1;
        now.clone_into(&mut customer.updated_at);
        Ok(customer.clone())
    }

    pub(crate) fn delete_customer(&mut self, id: &str) -> Result<(), Refusal> {
        self.customer(id)?;
        if let Some(inv) = self.invoices.values().find(|i| i.fields.customer_id == id) {
            return Err(Refusal::in_use(format!(
                "customer {id} has invoice {}; delete its invoices first",
                inv.id
            )));
        }
        if let Some(n) = seq(id, "cus_") {
            self.customers.remove(&n);
        }
        Ok(())
    }

    fn check_invoice(
        &mut self,
        input: &mut InvoiceInput,
        except: Option<&str>,
    ) -> Result<(), Refusal> {
        input.check()?;
        self.customer(&input.customer_id).map_err(|_| {
            Refusal::validation(
                "customer_id",
                format!(
                    "customer_id {:?} is not a customer of this account",
                    input.customer_id
                ),
            )
        })?;
        if input.number.trim().is_empty() {
            self.last_number += 1;
            input.number = format!("N-{:04}", self.last_number);
        }
        self.unique_number(&input.number, except)
    }

    pub(crate) fn create_invoice(
        &mut self,
        mut input: InvoiceInput,
        now: &str,
    ) -> Result<Invoice, Refusal> {
        self.check_invoice(&mut input, None)?;
        self.last_invoice += 1;
        let n = self.last_invoice;
        let invoice = Invoice {
            id: format!("inv_{n}"),
            version: 1,
            fields: input,
            amount_paid: "0.00".to_owned(),
            created_at: now.to_owned(),
            updated_at: now.to_owned(),
        };
        self.invoices.insert(n, invoice.clone());
        Ok(invoice)
    }

    fn editable(&self, id: &str) -> Result<u64, Refusal> {
        let invoice = self.invoice(id)?;
        if invoice.fields.status == "paid" {
            return Err(Refusal::locked(format!(
                "invoice {} ({id}) is paid and can no longer be changed or deleted",
                invoice.fields.number
            )));
        }
        Ok(invoice.version)
    }

    pub(crate) fn update_invoice(
        &mut self,
        id: &str,
        mut input: InvoiceInput,
        now: &str,
    ) -> Result<Invoice, Refusal> {
        let current = self.editable(id)?;
        Self::check_version(id, current, input.version)?;
        self.check_invoice(&mut input, Some(id))?;
        let n = seq(id, "inv_").ok_or_else(|| Refusal::not_found(format!("no invoice {id}")))?;
        let invoice = self
            .invoices
            .get_mut(&n)
            .ok_or_else(|| Refusal::not_found(format!("no invoice {id}")))?;
        invoice.fields = input;
        invoice.version += 1;
        now.clone_into(&mut invoice.updated_at);
        Ok(invoice.clone())
    }

    pub(crate) fn pay_invoice(&mut self, id: &str, now: &str) -> Result<Invoice, Refusal> {
        self.editable(id)?;
        let n = seq(id, "inv_").ok_or_else(|| Refusal::not_found(format!("no invoice {id}")))?;
        let invoice = self
            .invoices
            .get_mut(&n)
            .ok_or_else(|| Refusal::not_found(format!("no invoice {id}")))?;
        "paid".clone_into(&mut invoice.fields.status);
        invoice.amount_paid.clone_from(&invoice.fields.total);
        invoice.version += 1;
        now.clone_into(&mut invoice.updated_at);
        Ok(invoice.clone())
    }

    pub(crate) fn delete_invoice(&mut self, id: &str) -> Result<(), Refusal> {
        self.editable(id)?;
        if let Some(n) = seq(id, "inv_") {
            self.invoices.remove(&n);
        }
        Ok(())
    }
}

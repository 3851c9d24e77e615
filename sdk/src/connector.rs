//! The [`Connector`] trait: what a connector implements.

use crate::error::unsupported;
use crate::types::{
    CheckReport, ConnectorError, Customer, CustomerPage, CustomerQuery, Invoice, InvoiceKind,
    InvoicePage, Manifest, PushResult, RecordKind, Written,
};

/// A connector: translates between the canonical model and one vendor's system.
///
/// Only [`manifest`](Connector::manifest) is required. Every other method answers
/// `unsupported`, naming the operation, until you implement it; list what you implement in
/// the manifest's capabilities so the host offers it.
///
/// Methods take no `self`: a plugin keeps no state between calls. Everything it needs
/// comes in the arguments, from [`config`](crate::config) or through [`http`](crate::http)
/// and [`files`](crate::files).
///
/// Pushes are per record: implement [`push_customer`](Connector::push_customer) and
/// [`push_invoice`](Connector::push_invoice), and the batch methods call them once per
/// record, so one bad record never fails its batch. Override the batch methods only when
/// the vendor has a batch API.
pub trait Connector {
    /// Describe the connector. Called at load; must not call any host import.
    fn manifest() -> Manifest;

    /// Verify the connection works: settings valid, credentials accepted, target reachable.
    fn check() -> Result<CheckReport, ConnectorError> {
        Err(unsupported("check"))
    }

    /// Customers changed at or after `since` (all when `None`), one page at a time.
    fn pull_customers(
        since: Option<String>,
        cursor: Option<String>,
    ) -> Result<CustomerPage, ConnectorError> {
        let _ = (since, cursor);
        Err(unsupported("pull-customers"))
    }

    /// Customers in the target matching `query`.
    fn find_customers(query: CustomerQuery) -> Result<Vec<Customer>, ConnectorError> {
        let _ = query;
        Err(unsupported("find-customers"))
    }

    /// Create (no `remote_id`) or update (with `remote_id`) one customer.
    fn push_customer(customer: Customer) -> Result<Written, ConnectorError> {
        let _ = customer;
        Err(unsupported("push-customers"))
    }

    /// Push a batch of customers; one result per record, in order.
    fn push_customers(batch: Vec<Customer>) -> Vec<PushResult> {
        batch
            .into_iter()
            .map(|customer| PushResult {
                key: customer.key.clone(),
                outcome: Self::push_customer(customer),
            })
            .collect()
    }

    /// Invoices of `kind` changed at or after `since`, one page at a time.
    fn pull_invoices(
        kind: InvoiceKind,
        since: Option<String>,
        cursor: Option<String>,
    ) -> Result<InvoicePage, ConnectorError> {
        let _ = (kind, since, cursor);
        Err(unsupported("pull-invoices"))
    }

    /// `get-invoices` (contract 0.2, capability `get-invoices`): the documents of `kind`
    /// with these ids as the target holds them now, at most 100 ids a call; leave out an id
    /// the target does not have (never an error). The host reads back what a push wrote
    /// with it. Default: unsupported.
    fn get_invoices(kind: InvoiceKind, ids: Vec<String>) -> Result<Vec<Invoice>, ConnectorError> {
        let _ = (kind, ids);
        Err(unsupported("get-invoices"))
    }

    /// Create or update one invoice. `invoice.customer.remote_id` is set by the host.
    fn push_invoice(invoice: Invoice) -> Result<Written, ConnectorError> {
        let _ = invoice;
        Err(unsupported("push-invoices"))
    }

    /// Push a batch of invoices; one result per record, in order.
    fn push_invoices(batch: Vec<Invoice>) -> Vec<PushResult> {
        batch
            .into_iter()
            .map(|invoice| PushResult {
                key: invoice.key.clone(),
                outcome: Self::push_invoice(invoice),
            })
            .collect()
    }

    /// Delete (or void) a record this host created, to roll back a transfer.
    fn delete(kind: RecordKind, id: String) -> Result<(), ConnectorError> {
        let _ = (kind, id);
        Err(unsupported("delete"))
    }
}

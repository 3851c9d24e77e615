//! Xero's Accounting API (`/xero/api.xro/2.0/...`): contacts, invoices,
//! credit notes, payments, currencies, accounts, tax rates and items, per tenant, as
//! `xero_accounting.yaml` (v16.1.0) and Xero's docs describe them.
//!
//! # Endpoints (Bearer token and `xero-tenant-id` on every call)
//!
//! | method | path | body / query |
//! |---|---|---|
//! | GET | `/xero/api.xro/2.0/Contacts` | `where`, `searchTerm`, `IDs`, `includeArchived`, `page`, `pageSize`; header `If-Modified-Since` |
//! | GET | `/xero/api.xro/2.0/Contacts/{ContactID}` | (a ContactNumber works too) |
//! | PUT, POST | `/xero/api.xro/2.0/Contacts` | `{"Contacts":[Contact...]}` (or one Contact); `summarizeErrors`; header `Idempotency-Key` |
//! | POST | `/xero/api.xro/2.0/Contacts/{ContactID}` | update one contact |
//! | GET | `/xero/api.xro/2.0/Invoices` | `where`, `IDs`, `InvoiceNumbers`, `ContactIDs`, `Statuses`, `page`, `pageSize`, `unitdp`; `If-Modified-Since` |
//! | GET | `/xero/api.xro/2.0/Invoices/{InvoiceID}` | (an InvoiceNumber works too); `unitdp` |
//! | PUT, POST | `/xero/api.xro/2.0/Invoices` | `{"Invoices":[Invoice...]}`; `summarizeErrors`, `unitdp`; `Idempotency-Key` |
//! | POST | `/xero/api.xro/2.0/Invoices/{InvoiceID}` | update one invoice |
//! | GET | `/xero/api.xro/2.0/CreditNotes` | `where`, `order`, `page`, `pageSize`, `unitdp`; `If-Modified-Since` |
//! | GET | `/xero/api.xro/2.0/CreditNotes/{CreditNoteID}` | (a CreditNoteNumber works too); `unitdp` |
//! | PUT, POST | `/xero/api.xro/2.0/CreditNotes` | `{"CreditNotes":[CreditNote...]}`; `summarizeErrors`, `unitdp`; `Idempotency-Key` |
//! | POST | `/xero/api.xro/2.0/CreditNotes/{CreditNoteID}` | update one credit note |
//! | GET | `/xero/api.xro/2.0/Currencies` | the base currency and those added; `where`, `order` |
//! | PUT | `/xero/api.xro/2.0/Currencies` | `{"Code":"AUD"}` (or `{"Currencies":[...]}`): add; `Idempotency-Key` |
//! | GET | `/xero/api.xro/2.0/Payments` | all payments |
//! | PUT | `/xero/api.xro/2.0/Payments` | `{"Payments":[{"Invoice":{"InvoiceID"|"InvoiceNumber"},"Account":{"Code"|"AccountID"},"Amount":n,"Date":"YYYY-MM-DD"}]}` |
//! | GET | `/xero/api.xro/2.0/Accounts`, `/Items` | seeded reference data; `where`, `order`; `If-Modified-Since` |
//! | GET | `/xero/api.xro/2.0/TaxRates` | seeded reference data; `where`, `order` |
//!
//! Every list takes `where` and `order` (`Name ASC, Code DESC`; see [`filters`]).
//!
//! POST with a `ContactID` (or existing `ContactNumber`) updates, as does
//! POST with an `InvoiceID` (or an existing ACCREC `InvoiceNumber`); PUT
//! behaves the same (Xero's PUT and POST differ only in intent).
//! `summarizeErrors` defaults to true (Xero's documented behaviour; the spec's
//! `default: false` describes the generated SDKs' parameter).
//!
//! Errors: 400 `{"ErrorNumber":10,"Type":"ValidationException","Message":
//! "A validation exception occurred","Elements":[{...,"ValidationErrors":
//! [{"Message":...}]}]}`; 400 `PostDataInvalidException` (14) for a body
//! that is not JSON; 400 `QueryParseException` (16) for a bad `where`,
//! paging or `If-Modified-Since`; 404 plain text "The resource you're
//! looking for cannot be found"; 401/403 as `/Organisation`; 429 plain text
//! with `Retry-After` and `X-Rate-Limit-Problem`; 503 for an injected fault.
//! An injected cut (`cut_after_write`, applied; `drop_before_apply`, not
//! applied) is a 200 whose body breaks off; `timeout_after_apply` applies the
//! write and answers late.
//!
//! # Control endpoints (no auth; `{tenant}` is a tenant id)
//!
//! | method | path | answer |
//! |---|---|---|
//! | GET | `/_sandbox/xero/{tenant}/contacts` | `{"Contacts":[...]}`: every contact, archived included |
//! | GET | `/_sandbox/xero/{tenant}/invoices` | `{"Invoices":[...]}`: every invoice, deleted and voided included, `unitdp=4` |
//! | GET | `/_sandbox/xero/{tenant}/creditnotes` | `{"CreditNotes":[...]}`: every credit note, deleted and voided included, `unitdp=4` |
//! | GET | `/_sandbox/xero/{tenant}/currencies` | `{"Currencies":[...]}`: the base currency and those added |
//! | POST | `/_sandbox/xero/{tenant}/currencies` | body `{"Code":"AUD"}` (optional `Description`): adds it as `PUT /Currencies` does; answers every currency as the GET; 400 `ValidationException` for a code that is not a currency |
//! | GET | `/_sandbox/xero/{tenant}/payments` | `{"Payments":[...]}` |
//! | POST | `/_sandbox/xero/{tenant}/reset` | `{"tenant":...,"reset":true}`: data, idempotency keys and rate-limit counters back to the seed; the tenant's queued faults, fault rates and fault count cleared (see [`crate::FaultScope`]) |
//!
//! An unknown tenant id is 404.

mod amounts;
mod call;
mod contacts;
mod control;
mod currencies;
mod errors;
mod filters;
mod idempotency;
mod invoices;
mod lists;
mod payments;
mod rate_limit;
mod reference_data;
mod wire;
mod writes;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::routing::{get, post};

use crate::state::Core;
use contacts::Contact;
use currencies::Currency;
use idempotency::Idempotency;
use invoices::Invoice;
use payments::Payment;
use reference_data::ReferenceData;

/// Base path of the Accounting API.
pub(crate) const BASE: &str = "/xero/api.xro/2.0";

/// Every tenant's accounting data and rate-limit counters.
#[derive(Debug, Default)]
pub(crate) struct Books {
    ledgers: Mutex<HashMap<&'static str, Ledger>>,
    limits: rate_limit::RateLimits,
}

/// One tenant's books.
#[derive(Debug, Clone)]
pub(crate) struct Ledger {
    data: Data,
    idempotency: Idempotency,
}

/// One tenant's records; cloned for a batch so a refused batch changes nothing.
#[derive(Debug, Clone)]
pub(crate) struct Data {
    reference: ReferenceData,
    contacts: Vec<Contact>,
    invoices: Vec<Invoice>,
    credit_notes: Vec<Invoice>,
    payments: Vec<Payment>,
    /// The base currency first, then every currency added.
    currencies: Vec<Currency>,
    /// The last number used by `INV-0001`-style auto-numbering.
    invoice_sequence: u32,
    /// The last number used by `CN-0001`-style auto-numbering.
    credit_note_sequence: u32,
}

impl Ledger {
    fn seed(tenant: &str) -> Ledger {
        let reference = ReferenceData::seed(tenant);
        Ledger {
            data: Data {
                currencies: vec![Currency::new(reference.currency, None)],
                reference,
                contacts: Vec::new(),
                invoices: Vec::new(),
                credit_notes: Vec::new(),
                payments: Vec::new(),
                invoice_sequence: 0,
                credit_note_sequence: 0,
            },
            idempotency: Idempotency::default(),
        }
    }
}

impl Books {
    /// Runs `work` on `tenant`'s ledger under the books' lock (never held
    /// across an `.await`).
    fn with<R>(&self, tenant: &'static str, work: impl FnOnce(&mut Ledger) -> R) -> R {
        // No code path panics while holding the lock; a batch is applied to
        // a clone and swapped in whole, so the ledger is always consistent.
        let mut ledgers = self.ledgers.lock().unwrap_or_else(PoisonError::into_inner);
        let ledger = ledgers
            .entry(tenant)
            .or_insert_with(|| Ledger::seed(tenant));
        work(ledger)
    }

    /// Puts `tenant` back to its seed data and forgets its counters.
    fn reset(&self, tenant: &'static str) {
        self.ledgers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(tenant, Ledger::seed(tenant));
        self.limits.reset(tenant);
    }
}

/// The accounting routes.
pub(crate) fn routes() -> Router<Arc<Core>> {
    Router::new()
        .route(
            &format!("{BASE}/Contacts"),
            get(contacts::list).put(contacts::put).post(contacts::post),
        )
        .route(
            &format!("{BASE}/Contacts/{{id}}"),
            get(contacts::get_one).post(contacts::post_one),
        )
        .route(
            &format!("{BASE}/Invoices"),
            get(invoices::list).put(invoices::put).post(invoices::post),
        )
        .route(
            &format!("{BASE}/Invoices/{{id}}"),
            get(invoices::get_one).post(invoices::post_one),
        )
        .route(
            &format!("{BASE}/CreditNotes"),
            get(invoices::list_credit_notes)
                .put(invoices::put_credit_notes)
                .post(invoices::post_credit_notes),
        )
        .route(
            &format!("{BASE}/CreditNotes/{{id}}"),
            get(invoices::get_credit_note).post(invoices::post_credit_note),
        )
        .route(
            &format!("{BASE}/Currencies"),
            get(currencies::list).put(currencies::put),
        )
        .route(
            &format!("{BASE}/Payments"),
            get(payments::list).put(payments::put).post(payments::put),
        )
        .route(&format!("{BASE}/Accounts"), get(lists::accounts))
        .route(&format!("{BASE}/TaxRates"), get(lists::tax_rates))
        .route(&format!("{BASE}/Items"), get(lists::items))
        .route("/_sandbox/xero/{tenant}/contacts", get(control::contacts))
        .route("/_sandbox/xero/{tenant}/invoices", get(control::invoices))
        .route(
            "/_sandbox/xero/{tenant}/creditnotes",
            get(control::credit_notes),
        )
        .route(
            "/_sandbox/xero/{tenant}/currencies",
            get(control::currencies).post(control::add_currency),
        )
        .route("/_sandbox/xero/{tenant}/payments", get(control::payments))
        .route("/_sandbox/xero/{tenant}/reset", post(control::reset))
}

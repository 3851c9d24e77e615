//! "Notes": a tiny generic CRM API (customers and invoices) to write a first connector
//! against. It stands for `https://api.notes.example` (routed to `/notes` here) and has the
//! habits of a typical modern REST API, each of which a connector has to handle:
//!
//! * **API key** in header `X-Api-Key`. Any key that starts with `nk_` and is at least 16
//!   characters long is valid and opens an account of its own (so tests never share data);
//!   [`NOTES_API_KEY`] is one. No key or another key: 401.
//! * **JSON** in and out; money and quantities as decimal strings (`"185.00"`).
//! * **Cursor paging** on lists: `limit` (1–200, default 50) and `cursor` (the `next_cursor`
//!   of the previous page, opaque; `null` on the last page).
//! * **`updated_since`** (RFC 3339) on lists: records changed at or after it.
//! * **Versions**: every record has `version` (1, then +1 per write); a `PUT` that sends an
//!   older `version` is refused with 409 `version_conflict`. A `PUT` without one overwrites.
//! * **Idempotency**: a write with header `Idempotency-Key` is answered once; the same key
//!   again returns the original status and body (header `Idempotent-Replayed: true`), even
//!   when the first answer was a refusal; the same key with a different request is 422
//!   `idempotency_key_reused`.
//! * **Duplicates**: a customer name (case-insensitive) or invoice number already used is 409
//!   `duplicate`, with `field` and `existing_id`.
//! * **Validation**: 400 `validation` naming the `field` (`name`, `email`, `issue_date`,
//!   `lines[0].amount`, `total` = `subtotal` + `tax_total` to the cent (the subtotal is before
//!   tax in every tax mode),
//!   `customer_id` that is not a customer of the account, …). A body that is not the JSON
//!   expected is 400 with the serde message.
//! * **Locked**: a paid invoice cannot be changed or deleted: 423 `locked`.
//! * **Delete**: `DELETE` answers 204; a customer with invoices is 409 `in_use`.
//!
//! Errors are `{"error": {"code", "message", "field", "existing_id"}}`.
//!
//! # Endpoints (`X-Api-Key` on every call)
//!
//! | method | path | |
//! |---|---|---|
//! | GET | `/notes/v1/account` | `{"name", "customers", "invoices"}`: the account and its counts |
//! | GET | `/notes/v1/customers` | `limit`, `cursor`, `updated_since`, `name`, `email` → `{"data": [...], "next_cursor"}` |
//! | POST | `/notes/v1/customers` | create → 201 customer |
//! | GET, PUT, DELETE | `/notes/v1/customers/{id}` | read, replace (send `version`), delete |
//! | GET | `/notes/v1/invoices` | `limit`, `cursor`, `updated_since`, `kind`, `number`, `ids` (comma-separated) |
//! | POST | `/notes/v1/invoices` | create → 201 invoice (empty `number`: numbered `N-0001`, …) |
//! | GET, PUT, DELETE | `/notes/v1/invoices/{id}` | read, replace (send `version`), delete |
//! | POST | `/notes/v1/invoices/{id}/pay` | mark paid (`amount_paid` = `total`); it is locked from then on |
//!
//! A customer: `id` (`cus_N`), `version`, `name`, `email`, `phone`, `account_number`,
//! `contact_name`, `tax_number`, `currency`, `active`, `billing_address`,
//! `shipping_address` (`line1`, `line2`, `city`, `region`, `postal_code`, `country`),
//! `created_at`, `updated_at`. An invoice: `id` (`inv_N`), `version`, `kind`
//! (`job`|`contract`|`order`), `number`, `customer_id`, `issue_date`, `due_date`,
//! `currency`, `tax_mode` (`exclusive`|`inclusive`|`none`), `lines` (`description`,
//! `quantity`, `unit_price`, `discount_percent`, `amount`, `item_code`, `account_code`,
//! `tax_code`, `tax_amount`, `tax_rate`), `subtotal`, `tax_total`, `total`, `reference`,
//! `memo`, `status` (`draft`|`open` on a write; `paid`), `amount_paid`, `created_at`,
//! `updated_at`. Unknown fields in a write are refused (400).
//!
//! # Control endpoints (no auth; `{key}` is the account's API key)
//!
//! | method | path | |
//! |---|---|---|
//! | GET | `/_sandbox/notes/{key}/customers` | `{"data": [...]}`: every customer |
//! | GET | `/_sandbox/notes/{key}/invoices` | `{"data": [...]}`: every invoice |
//! | POST | `/_sandbox/notes/{key}/reset` | the account emptied |

mod api;
mod book;
mod records;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::state::Core;
use api::{Customers, Invoices};
use book::Book;

/// An API key the Notes emulator accepts (any `nk_…` key of 16 characters or more does).
pub const NOTES_API_KEY: &str = "nk_sandbox_demo_key_0001";

/// Base path of the API.
pub(crate) const BASE: &str = "/notes/v1";
/// Base path of its control endpoints.
pub(crate) const CONTROL: &str = "/_sandbox/notes";

/// Why a request was refused: the status and the error body's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    pub existing_id: Option<String>,
}

impl Refusal {
    fn new(status: u16, code: &'static str, message: String) -> Self {
        Self {
            status,
            code,
            message,
            field: None,
            existing_id: None,
        }
    }

    pub(crate) fn validation(field: &str, message: String) -> Self {
        Self {
            field: Some(field.to_owned()),
            ..Self::new(400, "validation", message)
        }
    }

    pub(crate) fn duplicate(field: &str, message: String, existing_id: &str) -> Self {
        Self {
            field: Some(field.to_owned()),
            existing_id: Some(existing_id.to_owned()),
            ..Self::new(409, "duplicate", message)
        }
    }

    pub(crate) fn stale(message: String) -> Self {
        Self::new(409, "version_conflict", message)
    }

    pub(crate) fn locked(message: String) -> Self {
        Self::new(423, "locked", message)
    }

    pub(crate) fn not_found(message: String) -> Self {
        Self::new(404, "not_found", message)
    }

    pub(crate) fn in_use(message: String) -> Self {
        Self::new(409, "in_use", message)
    }

    pub(crate) fn unauthorized(message: String) -> Self {
        Self::new(401, "unauthorized", message)
    }

    pub(crate) fn reused_key(message: String) -> Self {
        Self::new(422, "idempotency_key_reused", message)
    }

    /// The JSON error body.
    pub(crate) fn body(&self) -> Value {
        json!({"error": {
            "code": self.code,
            "message": self.message,
            "field": self.field,
            "existing_id": self.existing_id,
        }})
    }
}

/// Every account's book, by API key.
#[derive(Debug, Default)]
pub(crate) struct Books {
    accounts: Mutex<HashMap<String, Book>>,
}

impl Books {
    /// Runs `work` on the account of `key` under the lock (never held across an `.await`).
    fn with<R>(&self, key: &str, work: impl FnOnce(&mut Book) -> R) -> R {
        // No code path panics while holding the lock; if one ever did, the sandbox keeps
        // serving the books as they were left.
        let mut accounts = self.accounts.lock().unwrap_or_else(PoisonError::into_inner);
        work(accounts.entry(key.to_owned()).or_default())
    }

    fn reset(&self, key: &str) {
        self.accounts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
    }
}

/// Whether `key` opens an account.
pub(crate) fn valid_key(key: &str) -> bool {
    key.starts_with("nk_") && key.chars().count() >= 16
}

/// The API and control routes.
pub(crate) fn routes() -> Router<Arc<Core>> {
    Router::new()
        .route(&format!("{BASE}/account"), get(api::account))
        .route(
            &format!("{BASE}/customers"),
            get(api::list::<Customers>).post(api::create::<Customers>),
        )
        .route(
            &format!("{BASE}/customers/{{id}}"),
            get(api::get_one::<Customers>)
                .put(api::update::<Customers>)
                .delete(api::delete::<Customers>),
        )
        .route(
            &format!("{BASE}/invoices"),
            get(api::list::<Invoices>).post(api::create::<Invoices>),
        )
        .route(
            &format!("{BASE}/invoices/{{id}}"),
            get(api::get_one::<Invoices>)
                .put(api::update::<Invoices>)
                .delete(api::delete::<Invoices>),
        )
        .route(
            &format!("{BASE}/invoices/{{id}}/pay"),
            post(api::pay_invoice),
        )
        .route(
            &format!("{CONTROL}/{{key}}/customers"),
            get(api::control_customers),
        )
        .route(
            &format!("{CONTROL}/{{key}}/invoices"),
            get(api::control_invoices),
        )
        .route(
            &format!("{CONTROL}/{{key}}/reset"),
            post(api::control_reset),
        )
}

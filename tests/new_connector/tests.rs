//! Native unit tests of the Notes mapping against the SDK's fake host. This file replaces the
//! `src/tests.rs` that `ledgerlink new connector` writes, next to the Notes `src/vendor.rs`.

use ledgerlink_sdk::prelude::*;
use ledgerlink_sdk::testing::{FakeHost, FakeResponse, Method};
use serde_json::json;

use crate::NotesConnector;

fn notes_customer(id: &str, version: u64, name: &str) -> serde_json::Value {
    json!({
        "id": id, "version": version, "name": name, "email": null, "phone": null,
        "account_number": null, "contact_name": null, "tax_number": "123 456", "currency": "NZD",
        "active": true, "billing_address": {"line1": "12 Wharf Street", "line2": null, "city": "Auckland",
        "region": null, "postal_code": "1010", "country": "NZ"}, "shipping_address": null,
        "created_at": "2026-11-01T00:00:00Z", "updated_at": "2026-11-22T14:21:27+13:00"
    })
}

fn customer() -> Customer {
    Customer::from_json(&json!({"name": "Harbour Plumbing Ltd", "active": true}))
        .expect("canonical")
}

#[test]
fn customers_are_pulled_page_by_page() {
    let host = FakeHost::new();
    host.respond(
        Method::Get,
        "/v1/customers",
        FakeResponse::json(200, json!({"data": [notes_customer("cus_1", 2, "Harbour Plumbing Ltd")], "next_cursor": "after_1"})),
    );
    let _installed = host.install();
    let page =
        NotesConnector::pull_customers(Some("2026-11-01T00:00:00Z".into()), None).expect("a page");
    assert_eq!(page.next.as_deref(), Some("after_1"));
    let c = &page.items[0];
    assert_eq!(
        (c.remote_id.as_deref(), c.version.as_deref()),
        (Some("cus_1"), Some("2"))
    );
    assert_eq!(c.updated_at.as_deref(), Some("2026-11-22T01:21:27Z"));
    assert_eq!(
        c.billing_address
            .as_ref()
            .and_then(|a| a.postal_code.as_deref()),
        Some("1010")
    );
    let sent = &host.requests()[0];
    assert_eq!(
        sent.query("updated_since").as_deref(),
        Some("2026-11-01T00:00:00Z")
    );
    assert_eq!(sent.query("limit").as_deref(), Some("100"));
}

#[test]
fn a_push_sends_notes_fields_with_the_idempotency_key() {
    let host = FakeHost::new();
    host.respond(
        Method::Put,
        "/v1/customers/cus_1",
        FakeResponse::json(200, notes_customer("cus_1", 3, "Harbour")),
    );
    let _installed = host.install();
    let mut customer = customer();
    customer.remote_id = Some("cus_1".into());
    customer.version = Some("2".into());
    customer.idempotency_key = Some("k-1".into());
    let written = NotesConnector::push_customer(customer).expect("written");
    assert_eq!(
        (written.remote_id.as_str(), written.version.as_deref()),
        ("cus_1", Some("3"))
    );
    assert_eq!(written.action, WriteAction::Updated);
    let sent = &host.requests()[0];
    assert_eq!(sent.header("Idempotency-Key"), Some("k-1"));
    let body = sent.json().expect("JSON");
    assert_eq!(body["version"], 2);
    assert!(body.get("remote_id").is_none() && body.get("key").is_none());
}

#[test]
fn refusals_become_error_classes_with_fields() {
    let host = FakeHost::new();
    let refusal = |code: &str, field: &str| json!({"error": {"code": code, "message": "no", "field": field, "existing_id": "cus_9"}});
    host.respond(
        Method::Post,
        "/v1/customers",
        FakeResponse::json(409, refusal("duplicate", "name")),
    )
    .respond(
        Method::Post,
        "/v1/customers",
        FakeResponse::json(400, refusal("validation", "email")),
    )
    .respond(
        Method::Post,
        "/v1/customers",
        FakeResponse::status(429).header("Retry-After", "2"),
    );
    let _installed = host.install();
    let push = || NotesConnector::push_customer(customer()).expect_err("refused");
    let duplicate = push();
    assert!(
        matches!(&duplicate, ConnectorError::Duplicate(d) if d.existing_id.as_deref() == Some("cus_9"))
    );
    assert_eq!(duplicate.field(), Some("name"));
    assert_eq!(push().field(), Some("email"));
    assert!(matches!(push(), ConnectorError::RateLimited(r) if r.retry_after_ms == Some(2000)));
}

#[test]
fn invoices_come_back_with_canonical_statuses_and_amounts_due() {
    let host = FakeHost::new();
    let invoice = json!({
        "id": "inv_4", "version": 1, "kind": "job", "number": "J5001", "customer_id": "cus_1",
        "issue_date": "2026-11-02", "due_date": null, "currency": "NZD", "tax_mode": "exclusive",
        "lines": [{"description": "Valve", "quantity": "1", "unit_price": "185.00", "discount_percent": null,
                   "amount": "185.00", "item_code": null, "account_code": "200", "tax_code": "GST",
                   "tax_amount": "27.75", "tax_rate": null}],
        "subtotal": "185.00", "tax_total": "27.75", "total": "212.75", "reference": null, "memo": null,
        "status": "open", "amount_paid": "12.75", "created_at": "2026-11-02T00:00:00Z", "updated_at": "2026-11-02T00:00:00Z"
    });
    host.respond(
        Method::Get,
        "/v1/invoices",
        FakeResponse::json(200, json!({"data": [invoice], "next_cursor": null})),
    );
    let _installed = host.install();
    let found =
        NotesConnector::get_invoices(InvoiceKind::Job, vec!["inv_4".into()]).expect("found");
    let i = &found[0];
    assert_eq!(i.status, InvoiceStatus::Authorised);
    assert_eq!(i.customer.remote_id.as_deref(), Some("cus_1"));
    assert_eq!(
        (i.amount_paid.as_deref(), i.amount_due.as_deref()),
        (Some("12.75"), Some("200.00"))
    );
    assert_eq!(host.requests()[0].query("ids").as_deref(), Some("inv_4"));
}

//! Package throughput: N orders (3 lines each, every 4th taxed per document so it gets an
//! adjustment line) applied to the connector's state and the whole import package rendered,
//! natively in release. Prints rows/s for the render and for apply + render.
//!
//! N is 100,000 unless `LEDGERLINK_BENCH_SCALE` says otherwise.
//! Run: `cargo bench -p ledgerlink-plugin-ordertrac --bench package`.
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use ledgerlink_plugin_ordertrac::package;
use ledgerlink_plugin_ordertrac::state::{PushContext, State};
use ledgerlink_sdk::types::{
    Customer, CustomerRef, Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, TaxMode,
};

fn main() {
    let n: usize = std::env::var("LEDGERLINK_BENCH_SCALE")
        .ok()
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(100_000);
    let mut state = State::new("preview");
    let customers: Vec<String> = (0..1000)
        .map(|c| {
            state
                .push_customer(&Customer {
                    key: format!("TP-CUST-{c}"),
                    remote_id: None,
                    version: None,
                    idempotency_key: None,
                    name: format!("Customer {c}"),
                    account_number: None,
                    contact_name: None,
                    email: Some(format!("c{c}@example.test")),
                    phone: None,
                    tax_number: None,
                    billing_address: None,
                    shipping_address: None,
                    currency: Some("NZD".into()),
                    active: true,
                    updated_at: None,
                })
                .unwrap()
                .remote_id
        })
        .collect();
    let line = |p: &str| InvoiceLine {
        description: "Labour".into(),
        quantity: "1".into(),
        unit_price: p.into(),
        discount_percent: None,
        amount: p.into(),
        item_code: None,
        account_code: None,
        tax_code: None,
        tax_amount: None,
        tax_rate: Some("15".into()),
    };
    let invoices: Vec<Invoice> = (0..n)
        .map(|i| {
            let doc = i.is_multiple_of(4);
            Invoice {
                key: format!("TP-JOB-{i}"),
                remote_id: None,
                version: None,
                idempotency_key: None,
                kind: InvoiceKind::Job,
                number: format!("J{i}"),
                customer: CustomerRef {
                    remote_id: Some(customers[i % customers.len()].clone()),
                    name: String::new(),
                },
                issue_date: "2026-11-05".into(),
                due_date: None,
                currency: "NZD".into(),
                tax_mode: TaxMode::Exclusive,
                lines: vec![line("10.10"), line("10.10"), line("10.10")],
                subtotal: "30.30".into(),
                // Taxed once: 4.55; per line 3 × 1.52 = 4.56.
                tax_total: if doc { "4.55" } else { "4.56" }.into(),
                total: if doc { "34.85" } else { "34.86" }.into(),
                reference: None,
                memo: None,
                status: InvoiceStatus::Authorised,
                amount_paid: None,
                amount_due: None,
                locked: None,
                updated_at: None,
            }
        })
        .collect();
    let cx = PushContext::default();
    let t = Instant::now();
    for i in &invoices {
        state.push_invoice(i, &cx).unwrap();
    }
    let apply = t.elapsed();
    let t = Instant::now();
    let files = package::render(&state, "preview.ordertracinventory.com");
    let render = t.elapsed();
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let rows = n * 3 + n / 4;
    println!(
        "orders: {n}, package rows (lines + adjustment lines): {rows}, package bytes: {bytes}"
    );
    println!(
        "apply to state: {:.2} s ({:.0} orders/s)",
        apply.as_secs_f64(),
        n as f64 / apply.as_secs_f64()
    );
    println!(
        "render package: {:.2} s ({:.0} rows/s)",
        render.as_secs_f64(),
        rows as f64 / render.as_secs_f64()
    );
    println!(
        "apply + render: {:.0} package rows/s",
        rows as f64 / (apply + render).as_secs_f64()
    );
}

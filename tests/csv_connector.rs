//! The reference CSV connector, driven through the real runtime: round trips keep every
//! decimal exactly, updates respect versions, one bad record never fails its batch.
#![allow(clippy::unwrap_used)]

use crate::support;

use std::time::Duration;

use ledgerlink::files::ConnectionFolder;
use ledgerlink::model::{
    Address, ConnectorError, Customer, CustomerQuery, CustomerRef, Invoice, InvoiceKind,
    InvoiceLine, InvoiceStatus, PushResult, RecordKind, TaxMode, WriteAction, Written,
};
use ledgerlink::runtime::{CallContext, Plugin};
use support::{context, runtime};

async fn csv() -> Plugin {
    let rt = runtime(Duration::from_secs(30), 256);
    let b = ledgerlink::builtin::get("csv").expect("csv is built in");
    rt.load_bytes(b.wasm, "built-in plugin csv").await.unwrap()
}

fn ctx(plugin: &Plugin, dir: &std::path::Path, settings: &[(&str, &str)]) -> CallContext {
    context(plugin, settings, Some(ConnectionFolder::open(dir).unwrap()))
}

fn customer(key: &str, name: &str, email: &str) -> Customer {
    Customer {
        key: key.into(),
        remote_id: None,
        version: None,
        idempotency_key: None,
        name: name.into(),
        account_number: None,
        contact_name: Some("Ana Ruiz".into()),
        email: Some(email.into()),
        phone: None,
        tax_number: Some("12 345 678".into()),
        billing_address: Some(Address {
            line1: Some("1 Main St, Unit 4".into()),
            line2: None,
            city: Some("Wellington".into()),
            region: None,
            postal_code: Some("6011".into()),
            country: Some("NZ".into()),
        }),
        shipping_address: None,
        currency: Some("NZD".into()),
        active: true,
        updated_at: None,
    }
}

fn line(description: &str, quantity: &str, unit_price: &str, amount: &str) -> InvoiceLine {
    InvoiceLine {
        description: description.into(),
        quantity: quantity.into(),
        unit_price: unit_price.into(),
        discount_percent: None,
        amount: amount.into(),
        item_code: Some("SVC".into()),
        account_code: Some("200".into()),
        tax_code: Some("OUTPUT2".into()),
        tax_amount: None,
        tax_rate: None,
    }
}

fn invoice(
    key: &str,
    number: &str,
    customer_id: &str,
    lines: Vec<InvoiceLine>,
    totals: [&str; 3],
) -> Invoice {
    Invoice {
        key: key.into(),
        remote_id: None,
        version: None,
        idempotency_key: None,
        kind: InvoiceKind::Job,
        number: number.into(),
        customer: CustomerRef {
            remote_id: Some(customer_id.into()),
            name: "Acme".into(),
        },
        issue_date: "2026-11-01".into(),
        due_date: None,
        currency: "NZD".into(),
        tax_mode: TaxMode::Exclusive,
        lines,
        subtotal: totals[0].into(),
        tax_total: totals[1].into(),
        total: totals[2].into(),
        reference: Some("JOB 7".into()),
        memo: Some("Thanks,\n\"the team\"".into()),
        status: InvoiceStatus::Authorised,
        amount_paid: None,
        amount_due: None,
        locked: None,
        updated_at: None,
    }
}

fn written(r: &PushResult) -> &Written {
    r.outcome
        .as_ref()
        .unwrap_or_else(|e| panic!("{}: {}", r.key, e.describe()))
}

fn failed(r: &PushResult) -> &ConnectorError {
    r.outcome
        .as_ref()
        .err()
        .unwrap_or_else(|| panic!("{} should have failed", r.key))
}

#[tokio::test]
async fn customers_and_invoices_round_trip_with_decimals_exact() {
    let plugin = csv().await;
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(&plugin, dir.path(), &[]);

    let sent = vec![
        customer("k1", "Acme, Ltd", "ap@acme.example"),
        customer("k2", "Büro \"Nord\"", "nord@buero.example"),
    ];
    let results = plugin.push_customers(&ctx, sent.clone()).await.unwrap();
    assert_eq!(
        results.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
        ["k1", "k2"]
    );
    assert_eq!(written(&results[0]).remote_id, "C-000001");
    assert_eq!(written(&results[1]).remote_id, "C-000002");
    assert!(
        results
            .iter()
            .all(|r| written(r).action == WriteAction::Created
                && written(r).version.as_deref() == Some("1"))
    );

    let page = plugin
        .pull_customers(&ctx, None, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.next, None);
    assert_eq!(page.items.len(), 2);
    for (got, want) in page.items.iter().zip(&sent) {
        assert_eq!(got.name, want.name);
        assert_eq!(got.email, want.email);
        assert_eq!(got.tax_number, want.tax_number);
        assert_eq!(got.billing_address, want.billing_address);
        assert_eq!(got.currency, want.currency);
        assert!(got.updated_at.is_some());
    }

    let inv = invoice(
        "j7",
        "INV-0007",
        "C-000001",
        vec![
            line("Parts", "3", "1234.50", "3703.50"),
            line("Fraction", "0.125", "8.00", "1.00"),
            line("Credit", "1", "-3.10", "-3.10"),
        ],
        ["3701.40", "555.21", "4256.61"],
    );
    let results = plugin.push_invoices(&ctx, vec![inv.clone()]).await.unwrap();
    assert_eq!(written(&results[0]).remote_id, "J-000001");

    let page = plugin
        .pull_invoices(&ctx, InvoiceKind::Job, None, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let got = &page.items[0];
    assert_eq!(
        got.lines, inv.lines,
        "every line, every decimal string, exactly"
    );
    assert_eq!(
        (
            got.subtotal.as_str(),
            got.tax_total.as_str(),
            got.total.as_str()
        ),
        ("3701.40", "555.21", "4256.61")
    );
    assert_eq!(got.memo, inv.memo);
    assert_eq!(got.customer.remote_id.as_deref(), Some("C-000001"));
    assert_eq!(got.kind, InvoiceKind::Job);

    // Contract invoices live in their own file.
    let contracts = plugin
        .pull_invoices(&ctx, InvoiceKind::Contract, None, None)
        .await
        .unwrap()
        .unwrap();
    assert!(contracts.items.is_empty());
    let file = std::fs::read_to_string(dir.path().join("job-invoices.csv")).unwrap();
    assert!(file.contains(",Parts,3,1234.50,,3703.50,"), "{file}");
    assert!(file.contains(",Credit,1,-3.10,,-3.10,"), "{file}");
}

#[tokio::test]
async fn updates_respect_versions_and_report_unchanged() {
    let plugin = csv().await;
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(&plugin, dir.path(), &[]);
    let created = plugin
        .push_customers(&ctx, vec![customer("k1", "Acme", "a@acme.example")])
        .await
        .unwrap();
    let id = written(&created[0]).remote_id.clone();

    let mut changed = customer("k1", "Acme", "billing@acme.example");
    changed.remote_id = Some(id.clone());
    changed.version = Some("1".into());
    let r = plugin
        .push_customers(&ctx, vec![changed.clone()])
        .await
        .unwrap();
    assert_eq!(written(&r[0]).action, WriteAction::Updated);
    assert_eq!(written(&r[0]).version.as_deref(), Some("2"));

    changed.version = Some("2".into());
    let r = plugin
        .push_customers(&ctx, vec![changed.clone()])
        .await
        .unwrap();
    assert_eq!(written(&r[0]).action, WriteAction::Unchanged);
    assert_eq!(written(&r[0]).version.as_deref(), Some("2"));

    let mut stale = changed.clone();
    stale.version = Some("1".into());
    stale.email = Some("late@acme.example".into());
    let r = plugin.push_customers(&ctx, vec![stale]).await.unwrap();
    let e = failed(&r[0]);
    assert_eq!(e.class(), "stale");
    assert_eq!(e.field(), Some("version"));
    assert_eq!(
        e.message(),
        format!(
            "customer {id} in customers.csv is at version 2 but the update is based on version 1; read it again and reapply the change"
        )
    );
    let found = plugin
        .find_customers(
            &ctx,
            CustomerQuery {
                name: None,
                email: Some("BILLING@acme.example".into()),
                tax_number: None,
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.len(), 1, "the stale write was not applied");
    assert_eq!(found[0].remote_id.as_deref(), Some(id.as_str()));
}

#[tokio::test]
async fn one_bad_record_never_fails_its_batch() {
    let plugin = csv().await;
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(&plugin, dir.path(), &[]);
    let batch = vec![
        customer("ok-1", "First", "1@x.example"),
        customer("bad", "  ", "2@x.example"),
        customer("ok-2", "Third", "3@x.example"),
    ];
    let r = plugin.push_customers(&ctx, batch).await.unwrap();
    assert_eq!(written(&r[0]).remote_id, "C-000001");
    let e = failed(&r[1]);
    assert_eq!((e.class(), e.field()), ("validation", Some("name")));
    assert_eq!(written(&r[2]).remote_id, "C-000002");

    let bad_money = invoice(
        "j1",
        "INV-1",
        "C-000001",
        vec![line("x", "1,000.00", "1.00", "1000.00")],
        ["1000.00", "0", "1000.00"],
    );
    let good = invoice(
        "j2",
        "INV-2",
        "C-000001",
        vec![line("y", "1", "10.50", "10.50")],
        ["10.50", "0.00", "10.50"],
    );
    let r = plugin
        .push_invoices(&ctx, vec![bad_money, good])
        .await
        .unwrap();
    let e = failed(&r[0]);
    assert_eq!(e.field(), Some("lines[0].quantity"));
    assert_eq!(
        e.message(),
        "lines[0].quantity must be a decimal number like \"1234.50\", got \"1,000.00\""
    );
    assert_eq!(written(&r[1]).remote_id, "J-000001");

    let dup = invoice("j3", "INV-2", "C-000001", vec![], ["0", "0", "0"]);
    let r = plugin.push_invoices(&ctx, vec![dup]).await.unwrap();
    let ConnectorError::Duplicate(d) = failed(&r[0]) else {
        panic!("{:?}", r[0])
    };
    assert_eq!(d.existing_id.as_deref(), Some("J-000001"));
}

#[tokio::test]
async fn pages_follow_cursors_and_delete_rolls_back() {
    let plugin = csv().await;
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(&plugin, dir.path(), &[("page-size", "2")]);
    let batch: Vec<_> = (1..=5)
        .map(|i| {
            customer(
                &format!("k{i}"),
                &format!("Customer {i}"),
                &format!("{i}@x.example"),
            )
        })
        .collect();
    plugin.push_customers(&ctx, batch).await.unwrap();

    let mut names = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = plugin
            .pull_customers(&ctx, None, cursor)
            .await
            .unwrap()
            .unwrap();
        pages += 1;
        names.extend(page.items.into_iter().map(|c| c.name));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        names,
        [
            "Customer 1",
            "Customer 2",
            "Customer 3",
            "Customer 4",
            "Customer 5"
        ]
    );

    plugin
        .delete(&ctx, RecordKind::Customer, "C-000003".into())
        .await
        .unwrap()
        .unwrap();
    let all = plugin
        .pull_customers(
            &context(
                &plugin,
                &[],
                Some(ConnectionFolder::open(dir.path()).unwrap()),
            ),
            None,
            None,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        all.items
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["Customer 1", "Customer 2", "Customer 4", "Customer 5"]
    );
    let again = plugin
        .delete(&ctx, RecordKind::Customer, "C-000003".into())
        .await
        .unwrap()
        .expect_err("gone");
    assert_eq!(again.class(), "not-found");

    let bad = plugin
        .pull_customers(&ctx, None, Some("not-a-cursor".into()))
        .await
        .unwrap()
        .expect_err("bad cursor");
    assert_eq!(bad.class(), "validation");
}

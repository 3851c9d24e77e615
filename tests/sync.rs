//! The sync engine with the csv reference connector: compare, plan, partial selection,
//! id map, run report, dry run, and recovery of interrupted writes.
#![allow(clippy::unwrap_used)]

use crate::support;

use std::time::Duration;

use ledgerlink::files::ConnectionFolder;
use ledgerlink::model::Customer;
use ledgerlink::runtime::{CallContext, Plugin};
use ledgerlink::store::DataDir;
use ledgerlink::store::sync_state::{RunItem, SyncState};
use ledgerlink::sync::apply;
use ledgerlink::sync::compare::{Action, Direction};
use ledgerlink::sync::customers::{compare_and_plan, load_plan};
use ledgerlink::sync::outbox::idempotency_key;
use ledgerlink::sync::plan::Selection;
use ledgerlink::sync::progress::Silent;

struct Bench {
    _tmp: tempfile::TempDir,
    folder: std::path::PathBuf,
    state: SyncState,
    plugin: Plugin,
}

impl Bench {
    async fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let data = DataDir::new(tmp.path());
        let rt = support::runtime(Duration::from_secs(30), 256);
        let b = ledgerlink::builtin::get("csv").unwrap();
        let plugin = rt.load_bytes(b.wasm, "csv").await.unwrap();
        Self {
            folder: data.connection_files("books"),
            state: support::engine::sync_state(tmp.path()),
            plugin,
            _tmp: tmp,
        }
    }

    fn ctx(&self) -> CallContext {
        support::context(
            &self.plugin,
            &[],
            Some(ConnectionFolder::open(&self.folder).unwrap()),
        )
    }

    fn customers_csv(&self) -> String {
        std::fs::read_to_string(self.folder.join("customers.csv")).unwrap_or_default()
    }
}

fn customer(key: &str, name: &str, email: &str) -> Customer {
    Customer {
        key: key.into(),
        remote_id: None,
        version: None,
        idempotency_key: None,
        name: name.into(),
        account_number: None,
        contact_name: None,
        email: Some(email.into()),
        phone: None,
        tax_number: None,
        billing_address: None,
        shipping_address: None,
        currency: Some("NZD".into()),
        active: true,
        updated_at: None,
    }
}

fn book() -> Vec<Customer> {
    vec![
        customer("TP-1", "Harbour Plumbing", "ap@harbour.example"),
        customer("TP-2", "Kea Electrical", "new@kea.example"),
        customer("TP-3", "Southern Cross", "ap@southern.example"),
        customer("TP-4", "Totara Builders", "ap@totara.example"),
    ]
}

#[tokio::test]
async fn compare_then_apply_a_partial_selection() {
    let b = Bench::new().await;
    let ctx = b.ctx();
    // The target already knows Kea Electrical, with an older e-mail.
    let seeded = b
        .plugin
        .push_customers(
            &ctx,
            vec![customer("x", "Kea Electrical", "old@kea.example")],
        )
        .await
        .unwrap();
    assert_eq!(seeded[0].outcome.as_ref().unwrap().remote_id, "C-000001");

    let (plan_id, plan) =
        compare_and_plan(&b.state, &b.plugin, &ctx, "books", book(), Direction::Push)
            .await
            .unwrap();
    let actions: Vec<_> = plan
        .items
        .iter()
        .map(|p| (p.item.home_key.clone().unwrap(), p.item.action))
        .collect();
    assert_eq!(
        actions,
        [
            ("TP-1".to_owned(), Action::Add),
            ("TP-2".to_owned(), Action::Update),
            ("TP-3".to_owned(), Action::Add),
            ("TP-4".to_owned(), Action::Add),
        ]
    );
    assert_eq!(plan.items[1].item.remote_id.as_deref(), Some("C-000001"));
    assert_eq!(plan.items[1].item.diffs[0].field, "email");

    // A dry run writes nothing.
    let before = b.customers_csv();
    let dry = apply::push_customers(
        &b.state,
        &b.plugin,
        &ctx,
        plan_id,
        load_plan(&b.state, plan_id).unwrap(),
        &Selection::All,
        true,
        &Silent,
    )
    .await
    .unwrap();
    assert_eq!((dry.created, dry.updated), (3, 1));
    assert_eq!(b.customers_csv(), before);

    // Apply exactly two rows of the stored plan.
    let selection = Selection::Keys(vec!["TP-1".into(), "TP-2".into()]);
    let summary = apply::push_customers(
        &b.state,
        &b.plugin,
        &ctx,
        plan_id,
        plan.clone(),
        &selection,
        false,
        &Silent,
    )
    .await
    .unwrap();
    assert_eq!(
        (
            summary.created,
            summary.updated,
            summary.failed,
            summary.skipped
        ),
        (1, 1, 0, 0)
    );

    let csv = b.customers_csv();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(rows[0].starts_with("C-000001,2,Kea Electrical,"), "{csv}");
    assert!(rows[0].contains(",new@kea.example,"), "{csv}");
    assert!(rows[1].starts_with("C-000002,1,Harbour Plumbing,"), "{csv}");

    let map: Vec<_> = b
        .state
        .id_map("books", "customers")
        .unwrap()
        .into_iter()
        .map(|e| (e.home_key, e.remote_id))
        .collect();
    assert_eq!(
        map,
        [
            ("TP-1".to_owned(), "C-000002".to_owned()),
            ("TP-2".to_owned(), "C-000001".to_owned())
        ]
    );

    let (run, items) = b.state.run(summary.run_id).unwrap();
    assert_eq!(run.status, "finished");
    let report: Vec<_> = items
        .iter()
        .map(|i| {
            (
                i.home_key.clone().unwrap(),
                i.outcome.clone(),
                i.remote_id.clone().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        report,
        [
            (
                "TP-1".to_owned(),
                "created".to_owned(),
                "C-000002".to_owned()
            ),
            (
                "TP-2".to_owned(),
                "updated".to_owned(),
                "C-000001".to_owned()
            ),
        ]
    );

    // The next compare sees what was done.
    let (_, again) = compare_and_plan(&b.state, &b.plugin, &ctx, "books", book(), Direction::Push)
        .await
        .unwrap();
    let actions: Vec<_> = again.items.iter().map(|p| p.item.action).collect();
    assert_eq!(
        actions,
        [
            Action::Unchanged,
            Action::Unchanged,
            Action::Add,
            Action::Add
        ]
    );
}

#[tokio::test]
async fn an_interrupted_write_is_neither_duplicated_nor_forgotten() {
    let b = Bench::new().await;
    let ctx = b.ctx();
    let (plan_id, plan) = compare_and_plan(
        &b.state,
        &b.plugin,
        &ctx,
        "books",
        book()[..2].to_vec(),
        Direction::Push,
    )
    .await
    .unwrap();
    // A previous process recorded both intents, sent the first, and died before settling.
    let run = b
        .state
        .start_run(Some(plan_id), "books", "customers", "push", false)
        .unwrap();
    for p in &plan.items {
        let r = p.record.as_ref().unwrap();
        let key = idempotency_key(
            "books",
            "customers",
            &r.key,
            None,
            &ledgerlink::model::fingerprint::customer(r),
            None,
        );
        assert!(
            b.state
                .record_intent(
                    run,
                    "books",
                    "customers",
                    &r.key,
                    &key,
                    &serde_json::to_string(r).unwrap()
                )
                .unwrap()
        );
    }
    b.plugin
        .push_customers(&ctx, vec![plan.items[0].record.clone().unwrap()])
        .await
        .unwrap();
    assert_eq!(
        b.customers_csv().lines().count(),
        2,
        "header + the one that was sent"
    );

    // The next run resolves both before doing anything else.
    let summary = apply::push_customers(
        &b.state,
        &b.plugin,
        &ctx,
        plan_id,
        plan.clone(),
        &Selection::All,
        false,
        &Silent,
    )
    .await
    .unwrap();
    assert_eq!(
        (summary.recovered, summary.resent),
        (1, 1),
        "the one sent is found in the target, the other sent again"
    );
    assert_eq!(
        (summary.created, summary.unchanged),
        (0, 2),
        "both already settled by recovery"
    );
    let csv = b.customers_csv();
    assert_eq!(csv.lines().count(), 3, "exactly one row each:\n{csv}");
    assert_eq!(csv.matches("Harbour Plumbing").count(), 1);
    assert_eq!(csv.matches("Kea Electrical").count(), 1);
    assert_eq!(b.state.id_map("books", "customers").unwrap().len(), 2);
    assert!(b.state.pending("books", "customers").unwrap().is_empty());
    let (_, items) = b.state.run(summary.run_id).unwrap();
    assert!(items.iter().all(
        |i: &RunItem| i.outcome == "unchanged" && i.reason == "already sent by an earlier run"
    ));
}

fn job_invoice(n: usize, customer: &Customer) -> ledgerlink::model::Invoice {
    use ledgerlink::model::{
        CustomerRef, Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, TaxMode,
    };
    Invoice {
        key: format!("JOB-{n}"),
        remote_id: None,
        version: None,
        idempotency_key: None,
        kind: InvoiceKind::Job,
        number: format!("J{n:04}"),
        customer: CustomerRef {
            remote_id: None,
            name: customer.name.clone(),
        },
        issue_date: "2026-11-02".into(),
        due_date: None,
        currency: "NZD".into(),
        tax_mode: TaxMode::Exclusive,
        lines: vec![InvoiceLine {
            description: "Call-out".into(),
            quantity: "1".into(),
            unit_price: "96.50".into(),
            discount_percent: None,
            amount: "96.50".into(),
            item_code: None,
            account_code: Some("200".into()),
            tax_code: None,
            tax_amount: Some("14.48".into()),
            tax_rate: None,
        }],
        subtotal: "96.50".into(),
        tax_total: "14.48".into(),
        total: "110.98".into(),
        reference: None,
        memo: None,
        status: InvoiceStatus::Authorised,
        amount_paid: None,
        amount_due: None,
        locked: None,
        updated_at: None,
    }
}

#[tokio::test]
async fn fifty_invoices_for_an_unknown_customer_create_it_once() {
    use ledgerlink::model::InvoiceKind;
    use ledgerlink::sync::invoices::{self, InvoiceJob};
    let b = Bench::new().await;
    let ctx = b.ctx();
    let newcomer = customer("TP-77", "Totara Builders", "ap@totara.example");
    // A customer the target already has, under the same name: linked, not duplicated.
    b.plugin
        .push_customers(
            &ctx,
            vec![customer("x", "Kea Electrical", "ap@kea.example")],
        )
        .await
        .unwrap();
    let known = customer("TP-2", "Kea Electrical", "ap@kea.example");
    let mut jobs: Vec<InvoiceJob> = (1..=50)
        .map(|n| InvoiceJob {
            invoice: job_invoice(n, &newcomer),
            customer: newcomer.clone(),
            overwrite: None,
        })
        .collect();
    jobs.push(InvoiceJob {
        invoice: job_invoice(51, &known),
        customer: known.clone(),
        overwrite: None,
    });

    let summary = invoices::push(
        &b.state,
        &b.plugin,
        &ctx,
        "books",
        InvoiceKind::Job,
        jobs,
        &Silent,
    )
    .await
    .unwrap();
    assert_eq!(
        (summary.created, summary.failed, summary.skipped),
        (52, 0, 0),
        "51 invoices + 1 customer"
    );

    let csv = b.customers_csv();
    assert_eq!(csv.matches("Totara Builders").count(), 1, "{csv}");
    assert_eq!(csv.matches("Kea Electrical").count(), 1, "{csv}");
    let map = b.state.id_map("books", "customers").unwrap();
    let ids: Vec<_> = map
        .iter()
        .map(|e| (e.home_key.as_str(), e.remote_id.as_str()))
        .collect();
    assert_eq!(ids, [("TP-2", "C-000001"), ("TP-77", "C-000002")]);
    let invoices_csv = std::fs::read_to_string(b.folder.join("job-invoices.csv")).unwrap();
    assert_eq!(
        invoices_csv.lines().count(),
        52,
        "header + 51 one-line invoices"
    );
    assert_eq!(
        invoices_csv.matches(",C-000002,Totara Builders,").count(),
        50
    );
    assert_eq!(b.state.id_map("books", "job-invoices").unwrap().len(), 51);

    // Pushing the same invoices again sends nothing.
    let again: Vec<InvoiceJob> = (1..=50)
        .map(|n| InvoiceJob {
            invoice: job_invoice(n, &newcomer),
            customer: newcomer.clone(),
            overwrite: None,
        })
        .collect();
    let summary = invoices::push(
        &b.state,
        &b.plugin,
        &ctx,
        "books",
        InvoiceKind::Job,
        again,
        &Silent,
    )
    .await
    .unwrap();
    assert_eq!((summary.created, summary.unchanged), (0, 50));
    assert_eq!(
        std::fs::read_to_string(b.folder.join("job-invoices.csv"))
            .unwrap()
            .lines()
            .count(),
        52
    );
}

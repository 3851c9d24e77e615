//! Boundary costs: compile, cached load, instantiate, a trivial call, and pushing 100k
//! canonical invoices across the boundary in batches.
//!
//! Run: `cargo bench -p ledgerlink --bench boundary`. Figures go in docs/performance.md.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ledgerlink::model::{CustomerRef, Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, TaxMode};
use ledgerlink::runtime::{CallContext, Runtime, RuntimeConfig, SystemClock};

fn probe_wasm() -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("LEDGERLINK_FIXTURES_DIR")).join("probe.wasm")).unwrap()
}

fn ctx(behaviour: &str) -> CallContext {
    CallContext {
        settings: BTreeMap::from([("behaviour".to_owned(), behaviour.to_owned())]),
        http: None,
        folder: None,
        clock: Arc::new(SystemClock),
    }
}

/// A realistic invoice: three lines, decimal strings throughout.
fn invoice(i: usize) -> Invoice {
    let line = |n: usize| InvoiceLine {
        description: format!("Service visit {n} for job {i}"),
        quantity: "1.5".into(),
        unit_price: "120.00".into(),
        discount_percent: None,
        amount: "180.00".into(),
        item_code: Some("LABOUR".into()),
        account_code: Some("200".into()),
        tax_code: Some("OUTPUT2".into()),
        tax_amount: Some("27.00".into()),
        tax_rate: None,
    };
    Invoice {
        key: format!("job-{i}"),
        remote_id: None,
        version: None,
        idempotency_key: None,
        kind: InvoiceKind::Job,
        number: format!("INV-{i:06}"),
        customer: CustomerRef {
            remote_id: Some(format!("C-{:06}", i % 500)),
            name: format!("Customer {}", i % 500),
        },
        issue_date: "2026-11-01".into(),
        due_date: Some("2026-11-20".into()),
        currency: "NZD".into(),
        tax_mode: TaxMode::Exclusive,
        lines: (0..3).map(line).collect(),
        subtotal: "540.00".into(),
        tax_total: "81.00".into(),
        total: "621.00".into(),
        reference: Some(format!("JOB-{i}")),
        memo: None,
        status: InvoiceStatus::Authorised,
        amount_paid: None,
        amount_due: None,
        locked: None,
        updated_at: Some("2026-11-01T09:30:00Z".into()),
    }
}

fn boundary(c: &mut Criterion) {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let wasm = probe_wasm();

    let uncached = Runtime::new(RuntimeConfig::default()).unwrap();
    c.bench_function("load/first (compile)", |b| {
        b.iter(|| tokio.block_on(uncached.load_bytes(&wasm, "probe")).unwrap())
    });

    let cache_dir = tempfile::tempdir().unwrap();
    let cached = Runtime::new(RuntimeConfig {
        limits: Default::default(),
        cache_dir: Some(cache_dir.path().to_path_buf()),
    })
    .unwrap();
    tokio.block_on(cached.load_bytes(&wasm, "probe")).unwrap();
    c.bench_function("load/cached", |b| {
        b.iter(|| tokio.block_on(cached.load_bytes(&wasm, "probe")).unwrap())
    });

    let plugin = tokio.block_on(cached.load_bytes(&wasm, "probe")).unwrap();
    let ok = ctx("ok");
    c.bench_function("instantiate", |b| {
        b.iter(|| tokio.block_on(plugin.instantiate_only(&ok)).unwrap())
    });
    c.bench_function("call/check (instantiate + trivial call)", |b| {
        b.iter(|| tokio.block_on(plugin.check(&ok)).unwrap().unwrap())
    });

    const TOTAL: usize = 100_000;
    let mut group = c.benchmark_group("push-invoices 100k");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Elements(TOTAL as u64));
    for batch in [100usize, 1_000, 10_000] {
        group.bench_function(format!("batches of {batch}"), |b| {
            b.iter_batched(
                || (0..TOTAL).map(invoice).collect::<Vec<_>>(),
                |all| {
                    let mut all = all.into_iter();
                    let mut pushed = 0;
                    loop {
                        let chunk: Vec<Invoice> = all.by_ref().take(batch).collect();
                        if chunk.is_empty() {
                            break;
                        }
                        let results = tokio.block_on(plugin.push_invoices(&ok, chunk)).unwrap();
                        pushed += results.len();
                    }
                    assert_eq!(pushed, TOTAL);
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, boundary);
criterion_main!(benches);

//! The QuickBooks Online connector, driven through the real runtime against the sandbox's
//! Accounting API (`/qbo/v3/company/{realmId}`), with the real origin routed to the sandbox
//! and a bearer token from the sandbox's control endpoint. Every test asserts what is stored
//! in the sandbox company (its `/_sandbox/qbo/{realm}/...` dumps), not just what the plugin
//! answered.
#![allow(clippy::unwrap_used)]

use crate::support;

use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use ledgerlink::model::{
    ConnectorError, Customer, CustomerQuery, CustomerRef, Invoice, InvoiceKind, InvoiceLine,
    InvoiceStatus, PushResult, RecordKind, TaxMode, WriteAction,
};
use ledgerlink::net::credentials::Credentials;
use ledgerlink::net::{HttpLimits, NetError, OutboundHttp, Routes};
use ledgerlink::runtime::{CallContext, Clock, Plugin, SystemClock};
use ledgerlink_sandbox::{LogEntry, QBO_REALM_ID, SandboxConfig, SandboxHandle};
use serde_json::Value;

/// A fixed bearer token, as the host's OAuth layer would add it.
struct Bearer(String);

#[async_trait]
impl Credentials for Bearer {
    async fn apply(&self, headers: &mut reqwest::header::HeaderMap) -> Result<(), NetError> {
        let mut value =
            reqwest::header::HeaderValue::from_str(&format!("Bearer {}", self.0)).unwrap();
        value.set_sensitive(true);
        headers.insert(reqwest::header::AUTHORIZATION, value);
        Ok(())
    }
}

/// A clock stopped at one instant (the sandbox's virtual time, after it was advanced).
struct StoppedAt(SystemTime);

impl Clock for StoppedAt {
    fn now(&self) -> SystemTime {
        self.0
    }
}

struct World {
    sandbox: SandboxHandle,
    plugin: Plugin,
    token: String,
    web: reqwest::Client,
}

impl World {
    async fn new() -> World {
        let sandbox = SandboxHandle::start(SandboxConfig::default())
            .await
            .unwrap();
        let web = reqwest::Client::new();
        let token: Value = web
            .post(format!(
                "{}/_sandbox/qbo/{QBO_REALM_ID}/token",
                sandbox.base_url()
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let rt = support::runtime(Duration::from_secs(30), 256);
        let b = ledgerlink::builtin::get("quickbooks").expect("quickbooks is built in");
        let plugin = rt
            .load_bytes(b.wasm, "built-in plugin quickbooks")
            .await
            .unwrap();
        World {
            token: token["access_token"].as_str().unwrap().to_owned(),
            sandbox,
            plugin,
            web,
        }
    }

    fn ctx(&self) -> CallContext {
        self.ctx_with_clock(Arc::new(SystemClock))
    }

    /// A call context whose clock reads the sandbox's virtual time now.
    fn ctx_at_sandbox_time(&self) -> CallContext {
        self.ctx_with_clock(Arc::new(StoppedAt(self.sandbox.now())))
    }

    fn ctx_with_clock(&self, clock: Arc<dyn Clock>) -> CallContext {
        let routes = Routes::parse(&BTreeMap::from([(
            "https://quickbooks.api.intuit.com:443".to_owned(),
            format!("{}/qbo", self.sandbox.base_url()),
        )]))
        .unwrap();
        let http = OutboundHttp::new(
            "quickbooks",
            self.plugin.manifest().allowed_hosts.clone(),
            HttpLimits::default(),
            Arc::new(Bearer(self.token.clone())),
        )
        .unwrap()
        .with_routes(routes);
        let settings = [
            ("realm-id", QBO_REALM_ID),
            ("items", "HOURS=2,PARTS=3"),
            ("default-item", "1"),
            ("tax-codes", "TAX=TAX,NONE=NON"),
            ("default-tax-code", "TAX"),
        ];
        CallContext {
            settings: settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            http: Some(http),
            folder: None,
            clock,
        }
    }

    /// A fresh access token (one minted earlier expires when the sandbox clock is advanced).
    async fn renew_token(&mut self) {
        let token: Value = self
            .web
            .post(format!(
                "{}/_sandbox/qbo/{QBO_REALM_ID}/token",
                self.sandbox.base_url()
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        self.token = token["access_token"].as_str().unwrap().to_owned();
    }

    /// Reset the sandbox company with `options` (e.g. `{"batchLimit": 10}`).
    async fn reset_with(&self, options: Value) -> Value {
        let r = self
            .web
            .post(format!(
                "{}/_sandbox/qbo/{QBO_REALM_ID}/reset",
                self.sandbox.base_url()
            ))
            .json(&options)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
        r.json().await.unwrap()
    }

    /// Create customers named `names` straight through the sandbox's `/batch`, 30 a request.
    async fn create_customers_directly(&self, names: &[String]) {
        for chunk in names.chunks(30) {
            let items: Vec<Value> = chunk
                .iter()
                .enumerate()
                .map(|(n, name)| {
                    serde_json::json!({"bId": n.to_string(), "operation": "create", "Customer": {"DisplayName": name}})
                })
                .collect();
            let r: Value = self
                .web
                .post(format!(
                    "{}/qbo/v3/company/{QBO_REALM_ID}/batch",
                    self.sandbox.base_url()
                ))
                .bearer_auth(&self.token)
                .json(&serde_json::json!({ "BatchItemRequest": items }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let answers = r["BatchItemResponse"].as_array().unwrap();
            assert_eq!(answers.len(), chunk.len(), "{r}");
            assert!(
                answers.iter().all(|a| a["Customer"]["Id"].is_string()),
                "{r}"
            );
        }
    }

    /// Requests the sandbox answered from the `from`th on.
    fn log_since(&self, from: usize) -> Vec<LogEntry> {
        self.sandbox.log().into_iter().skip(from).collect()
    }

    /// Requests made so far (a mark for [`World::log_since`]).
    fn log_mark(&self) -> usize {
        self.sandbox.log().len()
    }

    /// Every stored record of `what` ("customers" → `Customer`, "invoices" → `Invoice`).
    async fn dump(&self, what: &str, element: &str) -> Vec<Value> {
        let v: Value = self
            .web
            .get(format!(
                "{}/_sandbox/qbo/{QBO_REALM_ID}/{what}",
                self.sandbox.base_url()
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v[element].as_array().cloned().unwrap_or_default()
    }

    async fn customers_named(&self, name: &str) -> Vec<Value> {
        self.dump("customers", "Customer")
            .await
            .into_iter()
            .filter(|c| c["DisplayName"] == name)
            .collect()
    }

    async fn stored_invoice(&self, id: &str) -> Value {
        self.dump("invoices", "Invoice")
            .await
            .into_iter()
            .find(|i| i["Id"] == id)
            .unwrap_or(Value::Null)
    }

    async fn push_customers(&self, batch: Vec<Customer>) -> Vec<PushResult> {
        self.plugin
            .push_customers(&self.ctx(), batch)
            .await
            .unwrap()
    }

    async fn push_invoices(&self, batch: Vec<Invoice>) -> Vec<PushResult> {
        self.plugin.push_invoices(&self.ctx(), batch).await.unwrap()
    }

    /// Pay `amount` of invoice `id` of customer `customer` directly in the sandbox company.
    async fn pay(&self, customer: &str, id: &str, amount: &str) {
        let body = format!(
            r#"{{"CustomerRef":{{"value":"{customer}"}},"TotalAmt":{amount},"Line":[{{"Amount":{amount},"LinkedTxn":[{{"TxnId":"{id}","TxnType":"Invoice"}}]}}]}}"#
        );
        let r = self
            .web
            .post(format!(
                "{}/qbo/v3/company/{QBO_REALM_ID}/payment?minorversion=75",
                self.sandbox.base_url()
            ))
            .bearer_auth(&self.token)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }
}

fn customer(key: &str, name: &str, email: &str) -> Customer {
    Customer {
        key: key.into(),
        remote_id: None,
        version: None,
        idempotency_key: Some(format!("idem-{key}")),
        name: name.into(),
        account_number: Some(format!("ACC-{key}")),
        contact_name: Some("Ana Maria Ruiz".into()),
        email: Some(email.into()),
        phone: Some("+1 415 555 0100".into()),
        tax_number: None,
        billing_address: None,
        shipping_address: None,
        currency: None,
        active: true,
        updated_at: None,
    }
}

fn written(r: &PushResult) -> (String, Option<String>, WriteAction) {
    match &r.outcome {
        Ok(w) => (w.remote_id.clone(), w.version.clone(), w.action),
        Err(e) => panic!("{} failed: {e:?}", r.key),
    }
}

fn line(
    description: &str,
    qty: &str,
    price: &str,
    amount: &str,
    item: Option<&str>,
    tax: Option<&str>,
) -> InvoiceLine {
    InvoiceLine {
        description: description.into(),
        quantity: qty.into(),
        unit_price: price.into(),
        discount_percent: None,
        amount: amount.into(),
        item_code: item.map(Into::into),
        account_code: None,
        tax_code: tax.map(Into::into),
        tax_amount: None,
        tax_rate: None,
    }
}

fn invoice(key: &str, kind: InvoiceKind, number: &str, customer_id: &str) -> Invoice {
    Invoice {
        key: key.into(),
        remote_id: None,
        version: None,
        idempotency_key: Some(format!("idem-{key}")),
        kind,
        number: number.into(),
        customer: CustomerRef {
            remote_id: Some(customer_id.into()),
            name: "Ruiz Plumbing".into(),
        },
        issue_date: "2026-11-20".into(),
        due_date: Some("2026-12-20".into()),
        currency: "USD".into(),
        tax_mode: TaxMode::Exclusive,
        lines: vec![
            line("Labour", "2", "80.10", "160.20", Some("HOURS"), Some("TAX")),
            line(
                "Washers",
                "4",
                "3.125",
                "12.50",
                Some("PARTS"),
                Some("NONE"),
            ),
        ],
        subtotal: "172.70".into(),
        tax_total: "13.62".into(),
        total: "186.32".into(),
        reference: Some(format!("{number}-REF")),
        memo: Some("Thank you".into()),
        status: InvoiceStatus::Authorised,
        amount_paid: None,
        amount_due: None,
        locked: None,
        updated_at: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_names_the_company() {
    let w = World::new().await;
    let r = w.plugin.check(&w.ctx()).await.unwrap().unwrap();
    assert_eq!(r.message, "Connected to Sandbox Company_US_1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_push_find_and_pull() {
    let w = World::new().await;
    let results = w
        .push_customers(vec![
            customer("c1", "O'Brien \\ Sons", "accounts@obrien.example"),
            customer("c2", "Ruiz Plumbing", "ana@ruiz.example"),
        ])
        .await;
    let (id1, v1, a1) = written(&results[0]);
    let (id2, _, _) = written(&results[1]);
    assert_eq!(
        (results[0].key.as_str(), a1, v1.as_deref()),
        ("c1", WriteAction::Created, Some("0"))
    );
    let stored = w.customers_named("O'Brien \\ Sons").await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["Id"], id1.as_str());
    assert_eq!(
        stored[0]["PrimaryEmailAddr"]["Address"],
        "accounts@obrien.example"
    );
    assert_eq!(stored[0]["GivenName"], "Ana Maria");
    assert_eq!(stored[0]["FamilyName"], "Ruiz");
    assert!(
        stored[0].get("AcctNum").is_none(),
        "QuickBooks Online has no customer account number"
    );

    // find: the quote and backslash survive the query language.
    let found = w
        .plugin
        .find_customers(
            &w.ctx(),
            CustomerQuery {
                name: Some("o'brien \\ sons".into()),
                email: None,
                tax_number: None,
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].remote_id.as_deref(), Some(id1.as_str()));
    let found = w
        .plugin
        .find_customers(
            &w.ctx(),
            CustomerQuery {
                name: None,
                email: Some("ana@ruiz.example".into()),
                tax_number: None,
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        found
            .iter()
            .map(|c| c.remote_id.clone().unwrap())
            .collect::<Vec<_>>(),
        std::slice::from_ref(&id2)
    );
    let e = w
        .plugin
        .find_customers(
            &w.ctx(),
            CustomerQuery {
                name: None,
                email: None,
                tax_number: Some("12-345".into()),
            },
        )
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(e, ConnectorError::Unsupported(_)), "{e:?}");

    // pull everything (query), then the delta since a minute ago (CDC).
    let page = w
        .plugin
        .pull_customers(&w.ctx(), None, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.next, None);
    let pulled = page
        .items
        .iter()
        .find(|c| c.remote_id.as_deref() == Some(id2.as_str()))
        .unwrap();
    assert_eq!(pulled.name, "Ruiz Plumbing");
    assert_eq!(pulled.contact_name.as_deref(), Some("Ana Maria Ruiz"));
    assert_eq!(pulled.email.as_deref(), Some("ana@ruiz.example"));
    assert!(pulled.updated_at.as_deref().unwrap().ends_with('Z'));
    let since = pulled.updated_at.clone().unwrap();
    let delta = w
        .plugin
        .pull_customers(&w.ctx(), Some(since), None)
        .await
        .unwrap()
        .unwrap();
    let ids: Vec<_> = delta
        .items
        .iter()
        .filter_map(|c| c.remote_id.clone())
        .collect();
    assert!(ids.contains(&id1) && ids.contains(&id2), "{ids:?}");
    assert_eq!(delta.next, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_batch_writes_each_record_once() {
    let w = World::new().await;
    let batch = vec![
        customer("r1", "Replay One", "one@example.com"),
        customer("r2", "Replay Two", "two@example.com"),
    ];
    let first = w.push_customers(batch.clone()).await;
    let again = w.push_customers(batch).await;
    for (a, b) in first.iter().zip(&again) {
        assert_eq!(written(a).0, written(b).0);
    }
    assert_eq!(w.customers_named("Replay One").await.len(), 1);
    assert_eq!(w.customers_named("Replay Two").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_names_are_matched_and_illegal_names_refused_before_sending() {
    let w = World::new().await;
    let (existing, _, _) = written(
        &w.push_customers(vec![customer("d1", "Acme Supplies", "a@acme.example")])
            .await[0],
    );
    let results = w
        .push_customers(vec![
            customer("d2", "Acme Supplies", "b@acme.example"),
            customer("d3", "Acme: North", "n@acme.example"),
            customer("d4", "Fine Name", "f@example.com"),
        ])
        .await;
    match &results[0].outcome {
        Err(ConnectorError::Duplicate(d)) => {
            assert_eq!(d.field.as_deref(), Some("name"));
            assert_eq!(d.existing_id.as_deref(), Some(existing.as_str()));
        }
        other => panic!("{other:?}"),
    }
    match &results[1].outcome {
        Err(ConnectorError::Validation(d)) => {
            assert_eq!(d.field.as_deref(), Some("name"));
            assert_eq!(
                d.message,
                "customer name \"Acme: North\" contains a colon (:), which QuickBooks does not allow in a display name; remove it"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        written(&results[2]).2,
        WriteAction::Created,
        "one bad record never fails its batch"
    );
    assert_eq!(w.customers_named("Acme Supplies").await.len(), 1);
    assert!(w.customers_named("Acme: North").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_sync_token_is_refused_as_stale_and_not_applied() {
    let w = World::new().await;
    let (id, v0, _) = written(
        &w.push_customers(vec![customer("s1", "Stale Co", "s@example.com")])
            .await[0],
    );
    let mut first = customer("s1", "Stale Co", "first@example.com");
    first.remote_id = Some(id.clone());
    first.version = v0.clone();
    first.idempotency_key = Some("s1-update-1".into());
    let (_, v1, a) = written(&w.push_customers(vec![first]).await[0]);
    assert_eq!(a, WriteAction::Updated);
    assert_ne!(v1, v0);
    // Sent with the old token: QuickBooks' 5010, refused as stale, nothing applied.
    let mut second = customer("s1", "Stale Co", "second@example.com");
    second.remote_id = Some(id.clone());
    second.version = v0;
    second.idempotency_key = Some("s1-update-2".into());
    let results = w.push_customers(vec![second]).await;
    let e = results[0].outcome.as_ref().expect_err("stale");
    assert_eq!((e.class(), e.field()), ("stale", Some("version")));
    assert!(e.message().contains("(code 5010)"), "{}", e.message());
    let stored = w.customers_named("Stale Co").await;
    assert_eq!(
        stored[0]["PrimaryEmailAddr"]["Address"],
        "first@example.com"
    );
    assert_eq!(stored[0]["SyncToken"], v1.unwrap().as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoices_push_with_exact_totals_and_pull_by_kind() {
    let w = World::new().await;
    let (cid, _, _) = written(
        &w.push_customers(vec![customer("ic", "Ruiz Plumbing", "ana@ruiz.example")])
            .await[0],
    );
    let results = w
        .push_invoices(vec![
            invoice("j1", InvoiceKind::Job, "J-1001", &cid),
            invoice("s1", InvoiceKind::Contract, "S-2001", &cid),
        ])
        .await;
    let (jid, _, ja) = written(&results[0]);
    let (sid, _, _) = written(&results[1]);
    assert_eq!(ja, WriteAction::Created);
    let stored = w.stored_invoice(&jid).await;
    assert_eq!(stored["DocNumber"], "J-1001");
    assert_eq!(stored["PrivateNote"], "Tracker Pro job J-1001-REF");
    assert_eq!(stored["CustomerRef"]["value"], cid.as_str());
    assert_eq!(stored["GlobalTaxCalculation"], "TaxExcluded");
    assert_eq!(
        stored["Line"][0]["SalesItemLineDetail"]["ItemRef"]["value"],
        "2"
    );
    assert_eq!(
        stored["Line"][1]["SalesItemLineDetail"]["TaxCodeRef"]["value"],
        "NON"
    );
    assert_eq!(stored["TotalAmt"].to_string(), "186.32");

    let jobs = w
        .plugin
        .pull_invoices(&w.ctx(), InvoiceKind::Job, None, None)
        .await
        .unwrap()
        .unwrap();
    let job = jobs
        .items
        .iter()
        .find(|i| i.remote_id.as_deref() == Some(jid.as_str()))
        .unwrap();
    assert!(
        !jobs
            .items
            .iter()
            .any(|i| i.remote_id.as_deref() == Some(sid.as_str()))
    );
    assert_eq!(
        (
            job.subtotal.as_str(),
            job.tax_total.as_str(),
            job.total.as_str()
        ),
        ("172.70", "13.62", "186.32")
    );
    assert_eq!(job.reference.as_deref(), Some("J-1001-REF"));
    assert_eq!(job.status, InvoiceStatus::Authorised);
    assert_eq!(job.lines[1].unit_price, "3.125");
    assert_eq!(job.lines[1].amount, "12.50");
    assert_eq!(job.lines[0].item_code.as_deref(), Some("HOURS"));
    let contracts = w
        .plugin
        .pull_invoices(&w.ctx(), InvoiceKind::Contract, None, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        contracts
            .items
            .iter()
            .filter_map(|i| i.remote_id.clone())
            .collect::<Vec<_>>(),
        [sid]
    );

    // Same number again: duplicate on `number` naming the invoice already there.
    let again = w
        .push_invoices(vec![invoice("j2", InvoiceKind::Job, "J-1001", &cid)])
        .await;
    match &again[0].outcome {
        Err(ConnectorError::Duplicate(d)) => {
            assert_eq!(d.field.as_deref(), Some("number"));
            assert_eq!(d.existing_id.as_deref(), Some(jid.as_str()));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_deletes_locks_paid_invoices_and_deactivates_customers() {
    let w = World::new().await;
    let (cid, _, _) = written(
        &w.push_customers(vec![customer("rc", "Rollback Ltd", "r@example.com")])
            .await[0],
    );
    let results = w
        .push_invoices(vec![
            invoice("d1", InvoiceKind::Job, "J-3001", &cid),
            invoice("d2", InvoiceKind::Job, "J-3002", &cid),
        ])
        .await;
    let (gone, _, _) = written(&results[0]);
    let (paid, _, _) = written(&results[1]);

    w.plugin
        .delete(&w.ctx(), RecordKind::Invoice, gone.clone())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(w.stored_invoice(&gone).await["status"], "Deleted");
    // Deleting again is done already.
    w.plugin
        .delete(&w.ctx(), RecordKind::Invoice, gone)
        .await
        .unwrap()
        .unwrap();

    w.pay(&cid, &paid, "186.32").await;
    let e = w
        .plugin
        .delete(&w.ctx(), RecordKind::Invoice, paid.clone())
        .await
        .unwrap()
        .unwrap_err();
    match &e {
        ConnectorError::Locked(d) => {
            assert!(d.message.starts_with("invoice J-3002"), "{}", d.message)
        }
        other => panic!("{other:?}"),
    }
    let jobs = w
        .plugin
        .pull_invoices(&w.ctx(), InvoiceKind::Job, None, None)
        .await
        .unwrap()
        .unwrap();
    let p = jobs
        .items
        .iter()
        .find(|i| i.remote_id.as_deref() == Some(paid.as_str()))
        .unwrap();
    assert_eq!(p.status, InvoiceStatus::Paid);

    w.plugin
        .delete(&w.ctx(), RecordKind::Customer, cid)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(w.customers_named("Rollback Ltd").await[0]["Active"], false);
}

/// The API calls among `log` to endpoint `tail` ("/batch", "/cdc", "/query").
fn calls_to<'a>(log: &'a [LogEntry], tail: &str) -> Vec<&'a LogEntry> {
    let suffix = format!("/qbo/v3/company/{QBO_REALM_ID}{tail}");
    log.iter().filter(|e| e.path == suffix).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_customers_go_ten_at_a_time_when_quickbooks_refuses_thirty() {
    let w = World::new().await;
    assert_eq!(
        w.reset_with(serde_json::json!({"batchLimit": 10})).await["batchLimit"],
        10
    );
    let batch: Vec<Customer> = (0..30)
        .map(|n| {
            customer(
                &format!("b{n:02}"),
                &format!("Bulk Customer {n:02}"),
                &format!("bulk{n:02}@example.com"),
            )
        })
        .collect();
    let mark = w.log_mark();
    let results = w.push_customers(batch).await;
    assert_eq!(results.len(), 30);
    let mut ids = BTreeSet::new();
    for (n, r) in results.iter().enumerate() {
        assert_eq!(r.key, format!("b{n:02}"));
        let (id, version, action) = written(r);
        assert_eq!(
            (action, version.as_deref()),
            (WriteAction::Created, Some("0"))
        );
        assert!(ids.insert(id), "an id given to two records");
    }

    // One refused batch of 30 (1040), then three of 10, nothing sent twice.
    let log = w.log_since(mark);
    let batches = calls_to(&log, "/batch");
    assert_eq!(
        batches.iter().map(|e| e.status).collect::<Vec<_>>(),
        [400, 200, 200, 200],
        "{batches:?}"
    );
    let stored = w.dump("customers", "Customer").await;
    assert_eq!(stored.len(), 30);
    let stored_ids: BTreeSet<String> = stored
        .iter()
        .map(|c| c["Id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(stored_ids, ids);
    for n in 0..30 {
        assert_eq!(
            w.customers_named(&format!("Bulk Customer {n:02}"))
                .await
                .len(),
            1
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_pull_pages_past_a_thousand_customers() {
    let w = World::new().await;
    let names: Vec<String> = (0..1001)
        .map(|n| format!("Paged Customer {n:04}"))
        .collect();
    w.create_customers_directly(&names).await;
    let stored: BTreeSet<String> = w
        .dump("customers", "Customer")
        .await
        .iter()
        .map(|c| c["Id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(stored.len(), 1001);

    let mark = w.log_mark();
    let mut pulled = Vec::new();
    let mut page_sizes = Vec::new();
    let mut cursors = Vec::new();
    let mut cursor = None;
    loop {
        let page = w
            .plugin
            .pull_customers(&w.ctx(), None, cursor.clone())
            .await
            .unwrap()
            .unwrap();
        page_sizes.push(page.items.len());
        pulled.extend(page.items.into_iter().map(|c| c.remote_id.unwrap()));
        cursors.push(page.next.clone());
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
        assert!(cursors.len() < 5, "the pull does not end: {cursors:?}");
    }
    assert_eq!(page_sizes, [1000, 1]);
    assert_eq!(cursors, [Some("1001".to_owned()), None]);
    let unique: BTreeSet<String> = pulled.iter().cloned().collect();
    assert_eq!(unique.len(), pulled.len(), "a customer pulled twice");
    assert_eq!(unique, stored);
    let log = w.log_since(mark);
    assert_eq!(calls_to(&log, "/query").len(), 2);
    assert!(calls_to(&log, "/cdc").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_since_is_pulled_with_a_query_and_a_recent_one_with_cdc() {
    let mut w = World::new().await;
    let (old_id, _, _) = written(
        &w.push_customers(vec![customer("o1", "Old Co", "old@example.com")])
            .await[0],
    );
    let created = w.sandbox.now();
    w.sandbox.advance_clock(Duration::from_secs(40 * 24 * 3600));
    w.renew_token().await;
    let (new_id, _, _) = written(
        &w.push_customers(vec![customer("n1", "New Co", "new@example.com")])
            .await[0],
    );
    let ids = |items: &[Customer]| -> Vec<String> {
        items.iter().filter_map(|c| c.remote_id.clone()).collect()
    };

    // 35 days back: past CDC's 30, so a query, which finds what changed since then.
    let since =
        humantime::format_rfc3339_seconds(created + Duration::from_secs(5 * 24 * 3600)).to_string();
    let mark = w.log_mark();
    let page = w
        .plugin
        .pull_customers(&w.ctx_at_sandbox_time(), Some(since), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ids(&page.items), std::slice::from_ref(&new_id));
    assert_eq!(page.next, None);
    let log = w.log_since(mark);
    assert!(calls_to(&log, "/cdc").is_empty(), "{log:?}");
    assert_eq!(calls_to(&log, "/query").len(), 1, "{log:?}");

    // 45 days back: still a query, and it holds both.
    let since =
        humantime::format_rfc3339_seconds(created - Duration::from_secs(5 * 24 * 3600)).to_string();
    let page = w
        .plugin
        .pull_customers(&w.ctx_at_sandbox_time(), Some(since), None)
        .await
        .unwrap()
        .unwrap();
    let mut both = ids(&page.items);
    both.sort();
    let mut expected = vec![old_id, new_id.clone()];
    expected.sort();
    assert_eq!(both, expected);

    // A day back: CDC, and no query.
    let since = humantime::format_rfc3339_seconds(w.sandbox.now() - Duration::from_secs(24 * 3600))
        .to_string();
    let mark = w.log_mark();
    let page = w
        .plugin
        .pull_customers(&w.ctx_at_sandbox_time(), Some(since), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ids(&page.items), [new_id]);
    assert_eq!(page.next, None);
    let log = w.log_since(mark);
    assert_eq!(calls_to(&log, "/cdc").len(), 1, "{log:?}");
    assert!(calls_to(&log, "/query").is_empty(), "{log:?}");
}

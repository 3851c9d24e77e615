//! The Xero connector, built in and driven through the real runtime and host HTTP against the
//! sandbox's Xero (OAuth connect, tenant choice, Accounting API). Every test asserts what
//! the sandbox holds afterwards, read from its `/_sandbox/xero/{tenant}/...` dumps.
#![allow(clippy::unwrap_used)]

use crate::support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ledgerlink::auth::connect::{self, ConnectRequest, ConnectUi, Tenant};
use ledgerlink::auth::context::{self, Services};
use ledgerlink::auth::refresh::RefreshPolicy;
use ledgerlink::auth::vault::{self, Secret, VaultPreference};
use ledgerlink::model::{
    ConnectorError, Customer, CustomerQuery, CustomerRef, Invoice, InvoiceKind, InvoiceLine,
    InvoiceStatus, PushResult, RecordKind, TaxMode, WriteAction, Written,
};
use ledgerlink::net::HttpLimits;
use ledgerlink::runtime::{CallContext, Plugin, SystemClock};
use ledgerlink::store::DataDir;
use ledgerlink_sandbox::{
    SandboxConfig, SandboxHandle, XERO_CLIENT_ID, XERO_CLIENT_SECRET, XERO_TENANT_NZ_ID,
};
use serde_json::Value;

const VAULT_KEY: &str = "LEDGERLINK_VAULT_KEY";

/// A data folder, a sandbox, and connection "demo" of the built-in xero connector, connected
/// through the sandbox's OAuth flow to "Demo Company (NZ)".
struct World {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    key: String,
    sandbox: SandboxHandle,
    plugin: Plugin,
}

impl World {
    async fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let key = vault::generate_key().unwrap();
        let sandbox = SandboxHandle::start(SandboxConfig::default())
            .await
            .unwrap();
        let rt = support::runtime(Duration::from_secs(30), 256);
        let builtin = ledgerlink::builtin::get("xero").expect("xero is built in");
        let plugin = rt
            .load_bytes(builtin.wasm, "built-in plugin xero")
            .await
            .unwrap();
        let world = Self {
            _tmp: tmp,
            data,
            key,
            sandbox,
            plugin,
        };
        world.connect().await;
        world
    }

    fn services(&self) -> Services {
        let data = DataDir::new(&self.data);
        let key = self.key.clone();
        let store = support::engine::connections(&self.data);
        let vault = vault::open_with_env(
            &self.data,
            &store.db(),
            VaultPreference::File,
            &move |name| (name == VAULT_KEY).then(|| key.clone()),
        )
        .unwrap();
        Services {
            store,
            data,
            vault,
            clock: Arc::new(SystemClock),
            http_limits: HttpLimits::default(),
            refresh: RefreshPolicy::default(),
            pacers: Default::default(),
        }
    }

    async fn connect(&self) {
        let services = self.services();
        services
            .store
            .add("demo", "xero", &BTreeMap::new())
            .unwrap();
        services
            .store
            .set_routes("demo", &self.sandbox.routes())
            .unwrap();
        let connection = services.store.get("demo").unwrap();
        let mut ui = HeadlessBrowser { played: None };
        let connected = connect::connect(
            ConnectRequest {
                services: &services,
                plugin: &self.plugin,
                connection: &connection,
                client_id: XERO_CLIENT_ID.to_owned(),
                client_secret: Secret::new(XERO_CLIENT_SECRET),
                tenant: None,
                timeout: Duration::from_secs(30),
            },
            &mut ui,
        )
        .await
        .unwrap();
        ui.played.take().unwrap().await.unwrap();
        assert_eq!(connected.tenant.unwrap().id, XERO_TENANT_NZ_ID);
    }

    /// A call context for "demo" with `settings` added to what the connection has.
    async fn ctx(&self, settings: &[(&str, &str)]) -> CallContext {
        let services = self.services();
        let mut connection = services.store.get("demo").unwrap();
        assert_eq!(
            connection.settings.get("tenant-id").map(String::as_str),
            Some(XERO_TENANT_NZ_ID)
        );
        for (k, v) in settings {
            connection.settings.insert((*k).to_owned(), (*v).to_owned());
        }
        context::call_context(&services, &self.plugin, &connection)
            .await
            .unwrap()
    }

    /// A sandbox dump: `contacts` or `invoices` of the NZ tenant.
    async fn dump(&self, what: &str) -> Vec<Value> {
        let url = self
            .sandbox
            .url(&format!("/_sandbox/xero/{XERO_TENANT_NZ_ID}/{what}"));
        let body: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
        let key = if what == "contacts" {
            "Contacts"
        } else {
            "Invoices"
        };
        body[key].as_array().unwrap().clone()
    }

    async fn contact(&self, id: &str) -> Value {
        self.dump("contacts")
            .await
            .into_iter()
            .find(|c| c["ContactID"] == id)
            .unwrap_or_else(|| panic!("no contact {id} in the sandbox"))
    }

    async fn invoice(&self, id: &str) -> Value {
        self.dump("invoices")
            .await
            .into_iter()
            .find(|c| c["InvoiceID"] == id)
            .unwrap_or_else(|| panic!("no invoice {id} in the sandbox"))
    }
}

/// The browser's part: open the consent page, approve, follow the redirect to the loopback.
async fn play_browser(authorize_url: &str) {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let html = browser
        .get(authorize_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let field = |name: &str| {
        html.split(name)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no {name} in consent page: {html}"))
            .to_owned()
    };
    let request_id = field("name=\"request_id\" value=\"");
    let action = field("action=\"");
    let base = url::Url::parse(authorize_url).unwrap();
    let consent = browser
        .post(base.join(&action).unwrap())
        .form(&[("request_id", request_id)])
        .send()
        .await
        .unwrap();
    assert_eq!(consent.status(), 302);
    let callback = consent.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(browser.get(&callback).send().await.unwrap().status(), 200);
}

struct HeadlessBrowser {
    played: Option<tokio::task::JoinHandle<()>>,
}

impl ConnectUi for HeadlessBrowser {
    fn authorize(&mut self, url: &url::Url) {
        let url = url.to_string();
        self.played = Some(tokio::spawn(async move { play_browser(&url).await }));
    }
    fn choose_tenant(&mut self, tenants: &[Tenant]) -> Result<usize, String> {
        tenants
            .iter()
            .position(|t| t.name == "Demo Company (NZ)")
            .ok_or_else(|| "no NZ tenant".to_owned())
    }
}

fn customer(key: &str, name: &str, email: &str, tax: &str) -> Customer {
    Customer {
        key: key.into(),
        remote_id: None,
        version: None,
        idempotency_key: Some(format!("idem-{key}")),
        name: name.into(),
        account_number: None,
        contact_name: Some("Ana Ruiz".into()),
        email: Some(email.into()),
        phone: Some("04 555 0101".into()),
        tax_number: Some(tax.into()),
        billing_address: None,
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
        item_code: None,
        account_code: None,
        tax_code: Some("GST".into()),
        tax_amount: None,
        tax_rate: None,
    }
}

fn invoice(key: &str, kind: InvoiceKind, number: &str, contact_id: &str) -> Invoice {
    Invoice {
        key: key.into(),
        remote_id: None,
        version: None,
        idempotency_key: Some(format!("idem-{key}")),
        kind,
        number: number.into(),
        customer: CustomerRef {
            remote_id: Some(contact_id.into()),
            name: "Acme".into(),
        },
        issue_date: "2026-11-02".into(),
        due_date: Some("2026-11-20".into()),
        currency: "NZD".into(),
        tax_mode: TaxMode::Exclusive,
        lines: vec![
            InvoiceLine {
                item_code: Some("LICENCE".into()),
                ..line("Valve", "3", "12.3456", "37.04")
            },
            line("Labour", "2.5", "96.50", "241.25"),
        ],
        subtotal: "278.29".into(),
        // Xero rounds tax per line: 5.556 → 5.56 and 36.1875 → 36.19.
        tax_total: "41.75".into(),
        total: "320.04".into(),
        reference: Some(format!("{number}-REF")),
        memo: None,
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

const MAPPING: &[(&str, &str)] = &[
    ("tax-types", "GST=OUTPUT2,EXEMPT=EXEMPTOUTPUT,NONE=NONE"),
    ("item-accounts", "DEV=200,LICENCE=260"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_are_created_found_paged_replayed_and_archived() {
    let world = World::new().await;
    let ctx = world.ctx(&[("page-size", "2")]).await;
    let p = &world.plugin;
    let before = world.dump("contacts").await.len();

    let batch = vec![
        customer(
            "c1",
            "Harbour Plumbing Ltd",
            "ap@harbour.example",
            "12 345 678",
        ),
        customer(
            "c2",
            "Kauri \"Best\" Builders",
            "info@kauri.example",
            "98-765-432",
        ),
        customer("c3", "Tui Electrical", "tui@tui.example", "111222333"),
    ];
    let results = p.push_customers(&ctx, batch.clone()).await.unwrap();
    assert_eq!(
        results.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
        ["c1", "c2", "c3"]
    );
    assert!(
        results
            .iter()
            .all(|r| written(r).action == WriteAction::Created)
    );
    let ids: Vec<String> = results
        .iter()
        .map(|r| written(r).remote_id.clone())
        .collect();

    let c1 = world.contact(&ids[0]).await;
    assert_eq!(c1["Name"], "Harbour Plumbing Ltd");
    assert_eq!(c1["EmailAddress"], "ap@harbour.example");
    assert_eq!(c1["TaxNumber"], "12 345 678");
    assert_eq!(c1["FirstName"], "Ana");
    assert_eq!(c1["LastName"], "Ruiz");
    assert_eq!(c1["ContactStatus"], "ACTIVE");
    assert_eq!(
        world.contact(&ids[1]).await["Name"],
        "Kauri \"Best\" Builders"
    );

    // Replay with the same idempotency keys: the same contacts, nothing new.
    let again = p.push_customers(&ctx, batch.clone()).await.unwrap();
    let again_ids: Vec<String> = again.iter().map(|r| written(r).remote_id.clone()).collect();
    assert_eq!(again_ids, ids);
    assert_eq!(world.dump("contacts").await.len(), before + 3);

    // A new write with a taken name: duplicate on "name", the rest of the batch saved.
    let mut dup = customer("c4", "harbour plumbing ltd", "x@x.example", "1");
    dup.idempotency_key = Some("idem-c4".into());
    let fresh = customer("c5", "Rimu Roofing", "rimu@rimu.example", "5");
    let results = p.push_customers(&ctx, vec![dup, fresh]).await.unwrap();
    let e = failed(&results[0]);
    assert_eq!(e.class(), "duplicate", "{}", e.describe());
    assert_eq!(e.field(), Some("name"));
    assert_eq!(written(&results[1]).action, WriteAction::Created);

    // Find: name without case, e-mail, tax number without spaces, quotes in names.
    let find = |name: Option<&str>, email: Option<&str>, tax: Option<&str>| CustomerQuery {
        name: name.map(str::to_owned),
        email: email.map(str::to_owned),
        tax_number: tax.map(str::to_owned),
    };
    let by_name = p
        .find_customers(&ctx, find(Some("HARBOUR plumbing LTD"), None, None))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_name.len(), 1);
    assert_eq!(by_name[0].remote_id.as_deref(), Some(ids[0].as_str()));
    let by_email = p
        .find_customers(&ctx, find(None, Some("info@kauri.example"), None))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_email[0].name, "Kauri \"Best\" Builders");
    let by_quoted = p
        .find_customers(&ctx, find(Some("Kauri \"Best\" Builders"), None, None))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_quoted.len(), 1);
    let by_tax = p
        .find_customers(&ctx, find(None, None, Some("12345678")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_tax.len(), 1, "{by_tax:?}");
    assert_eq!(by_tax[0].remote_id.as_deref(), Some(ids[0].as_str()));
    assert!(
        p.find_customers(&ctx, find(Some("Nobody"), None, None))
            .await
            .unwrap()
            .unwrap()
            .is_empty()
    );

    // Pull everything, two per page: every pushed contact, once.
    let mut pulled = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = p
            .pull_customers(&ctx, None, cursor.clone())
            .await
            .unwrap()
            .unwrap();
        assert!(page.items.len() <= 2);
        pulled.extend(page.items);
        pages += 1;
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(pulled.len(), before + 4);
    assert!(pages >= 2);
    for id in &ids {
        assert_eq!(
            pulled
                .iter()
                .filter(|c| c.remote_id.as_deref() == Some(id))
                .count(),
            1
        );
    }
    // A delta from the future is empty.
    let page = p
        .pull_customers(&ctx, Some("2100-01-01T00:00:00Z".into()), None)
        .await
        .unwrap()
        .unwrap();
    assert!(page.items.is_empty(), "{:?}", page.items);

    // Rollback archives (Xero cannot delete a contact).
    p.delete(&ctx, RecordKind::Customer, ids[2].clone())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(world.contact(&ids[2]).await["ContactStatus"], "ARCHIVED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoices_are_pushed_exactly_pulled_by_kind_and_rolled_back() {
    let world = World::new().await;
    let ctx = world.ctx(MAPPING).await;
    let p = &world.plugin;

    let contact = p
        .push_customers(
            &ctx,
            vec![customer("c1", "Harbour Plumbing Ltd", "ap@h.example", "1")],
        )
        .await
        .unwrap();
    let contact_id = written(&contact[0]).remote_id.clone();

    let mut bad = invoice("j2", InvoiceKind::Job, "TP-J-2", &contact_id);
    bad.lines[1].account_code = Some("999".into());
    let batch = vec![
        invoice("j1", InvoiceKind::Job, "TP-J-1", &contact_id),
        bad,
        invoice("s1", InvoiceKind::Contract, "TP-S-1", &contact_id),
    ];
    let results = p.push_invoices(&ctx, batch.clone()).await.unwrap();
    let job_id = written(&results[0]).remote_id.clone();
    let e = failed(&results[1]);
    assert_eq!(e.class(), "validation", "{}", e.describe());
    assert_eq!(e.field(), Some("lines[1].account-code"), "{}", e.describe());
    let contract_id = written(&results[2]).remote_id.clone();

    // In the sandbox: exact amounts, mapped accounts and tax types, the kind in Reference.
    let x = world.invoice(&job_id).await;
    assert_eq!(x["Type"], "ACCREC");
    assert_eq!(x["InvoiceNumber"], "TP-J-1");
    assert_eq!(x["Reference"], "Job TP-J-1-REF");
    assert_eq!(x["Status"], "AUTHORISED");
    assert_eq!(x["Contact"]["ContactID"], contact_id.as_str());
    assert_eq!(x["LineItems"][0]["AccountCode"], "260");
    assert_eq!(x["LineItems"][0]["TaxType"], "OUTPUT2");
    assert_eq!(x["LineItems"][0]["UnitAmount"].to_string(), "12.3456");
    assert_eq!(x["LineItems"][1]["AccountCode"], "200");
    assert_eq!(x["SubTotal"].to_string(), "278.29");
    assert_eq!(x["TotalTax"].to_string(), "41.75");
    assert_eq!(x["Total"].to_string(), "320.04");
    assert_eq!(
        world.invoice(&contract_id).await["Reference"],
        "Contract TP-S-1-REF"
    );

    // Replay of the same batch (same Idempotency-Key): same ids, no second invoice.
    let count = world.dump("invoices").await.len();
    let again = p.push_invoices(&ctx, batch.clone()).await.unwrap();
    assert_eq!(written(&again[0]).remote_id, job_id);
    assert_eq!(written(&again[2]).remote_id, contract_id);
    assert_eq!(world.dump("invoices").await.len(), count);
    // A different create with a number already in Xero is refused (PUT), never turned into
    // an update of that invoice.
    let mut other = batch[0].clone();
    other.lines.truncate(1);
    other.subtotal = other.lines[0].amount.clone();
    let refused = p.push_invoices(&ctx, vec![other]).await.unwrap();
    assert_eq!(failed(&refused[0]).class(), "duplicate");
    assert_eq!(world.invoice(&job_id).await["Total"].to_string(), "320.04");

    // Pull by kind: the marked reference tells them apart and comes back unmarked.
    let jobs = p
        .pull_invoices(&ctx, InvoiceKind::Job, None, None)
        .await
        .unwrap()
        .unwrap();
    let job = jobs
        .items
        .iter()
        .find(|i| i.remote_id.as_deref() == Some(job_id.as_str()))
        .expect("job pulled");
    assert!(jobs.items.iter().all(|i| i.kind == InvoiceKind::Job));
    assert!(
        !jobs
            .items
            .iter()
            .any(|i| i.remote_id.as_deref() == Some(contract_id.as_str()))
    );
    assert_eq!(job.reference.as_deref(), Some("TP-J-1-REF"));
    assert_eq!(job.total, "320.04");
    assert_eq!(job.tax_total, "41.75");
    assert_eq!(job.lines[0].unit_price, "12.3456");
    assert_eq!(job.lines[0].tax_code.as_deref(), Some("GST"));
    assert_eq!(job.status, InvoiceStatus::Authorised);
    let contracts = p
        .pull_invoices(&ctx, InvoiceKind::Contract, None, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(contracts.items.len(), 1);
    assert_eq!(
        contracts.items[0].remote_id.as_deref(),
        Some(contract_id.as_str())
    );

    // Rollback: authorised → voided; a draft → deleted; twice is fine.
    p.delete(&ctx, RecordKind::Invoice, job_id.clone())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(world.invoice(&job_id).await["Status"], "VOIDED");
    p.delete(&ctx, RecordKind::Invoice, job_id.clone())
        .await
        .unwrap()
        .unwrap();

    let draft_ctx = world
        .ctx(&[MAPPING, &[("invoice-status", "DRAFT")]].concat())
        .await;
    let draft = p
        .push_invoices(
            &draft_ctx,
            vec![invoice("j3", InvoiceKind::Job, "TP-J-3", &contact_id)],
        )
        .await
        .unwrap();
    let draft_id = written(&draft[0]).remote_id.clone();
    assert_eq!(world.invoice(&draft_id).await["Status"], "DRAFT");
    p.delete(&draft_ctx, RecordKind::Invoice, draft_id.clone())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(world.invoice(&draft_id).await["Status"], "DELETED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_settings_are_reported_naming_the_setting() {
    let world = World::new().await;
    let ctx = world.ctx(&[("invoice-status", "PAID")]).await;
    let e = world
        .plugin
        .pull_customers(&ctx, None, None)
        .await
        .unwrap()
        .expect_err("bad setting");
    assert_eq!(e.class(), "validation");
    assert_eq!(
        e.message(),
        "setting invoice-status must be DRAFT, SUBMITTED or AUTHORISED, got \"PAID\""
    );
    let ok = world.ctx(&[]).await;
    let report = world.plugin.check(&ok).await.unwrap().unwrap();
    assert!(
        report.message.starts_with("Connected to "),
        "{}",
        report.message
    );
}

impl World {
    /// The access token the connection holds, for calling the sandbox directly.
    fn access_token(&self) -> String {
        let services = self.services();
        ledgerlink::auth::tokens::load(&*services.vault, "demo")
            .unwrap()
            .expect("demo has tokens")
            .access_token
    }

    /// A direct call to the sandbox's Accounting API as the connection: PUT `body` to
    /// `/xero/api.xro/2.0/{what}`; the answer must be 200.
    async fn put_direct(&self, what: &str, body: &Value) -> Value {
        let url = self.sandbox.url(&format!("/xero/api.xro/2.0/{what}"));
        let answer = reqwest::Client::new()
            .put(url)
            .bearer_auth(self.access_token())
            .header("xero-tenant-id", XERO_TENANT_NZ_ID)
            .header("accept", "application/json")
            .json(body)
            .send()
            .await
            .unwrap();
        let status = answer.status();
        let text = answer.text().await.unwrap();
        assert_eq!(status, 200, "PUT {what}: {text}");
        serde_json::from_str(&text).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_past_one_thousand_contacts_takes_exactly_two_default_pages() {
    const CREATED: usize = 1_001;
    let world = World::new().await;
    // No page-size setting: the connector's default of 1000 per page.
    let ctx = world.ctx(&[]).await;
    let before = world.dump("contacts").await.len();
    let total = before + CREATED;
    assert!(
        total > 1000 && total <= 2000,
        "{total} contacts would not take exactly two pages"
    );

    // Straight into the sandbox as the connection, 250 per request.
    let mut created = Vec::new();
    for chunk in (0..CREATED).collect::<Vec<_>>().chunks(250) {
        let contacts: Vec<Value> = chunk
            .iter()
            .map(|i| {
                serde_json::json!({
                    "Name": format!("Bulk Contact {i:04}"),
                    "EmailAddress": format!("bulk{i}@bulk.example"),
                })
            })
            .collect();
        let answer = world
            .put_direct("Contacts", &serde_json::json!({ "Contacts": contacts }))
            .await;
        let ids = answer["Contacts"].as_array().unwrap();
        assert_eq!(ids.len(), chunk.len());
        created.extend(
            ids.iter()
                .map(|c| c["ContactID"].as_str().unwrap().to_owned()),
        );
    }
    assert_eq!(created.len(), CREATED);
    assert_eq!(world.dump("contacts").await.len(), total);

    let mut pulled = Vec::new();
    let mut cursors = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor = None;
    loop {
        let page = world
            .plugin
            .pull_customers(&ctx, None, cursor.clone())
            .await
            .unwrap()
            .unwrap();
        sizes.push(page.items.len());
        pulled.extend(page.items);
        cursors.push(cursor);
        assert!(cursors.len() <= 2, "more than two pages: {cursors:?}");
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(cursors, [None, Some("2".to_owned())]);
    assert_eq!(sizes, [1000, total - 1000]);
    assert_eq!(pulled.len(), total);
    let distinct: std::collections::BTreeSet<&str> = pulled
        .iter()
        .map(|c| c.remote_id.as_deref().expect("a pulled contact has an id"))
        .collect();
    assert_eq!(distinct.len(), total, "a contact came twice");
    for id in &created {
        assert!(distinct.contains(id.as_str()), "contact {id} never came");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_invoice_is_not_rolled_back_and_stays_paid() {
    let world = World::new().await;
    let ctx = world.ctx(MAPPING).await;
    let p = &world.plugin;

    let contact = p
        .push_customers(
            &ctx,
            vec![customer("c1", "Harbour Plumbing Ltd", "ap@h.example", "1")],
        )
        .await
        .unwrap();
    let contact_id = written(&contact[0]).remote_id.clone();
    let pushed = p
        .push_invoices(
            &ctx,
            vec![invoice("p1", InvoiceKind::Job, "TP-P-1", &contact_id)],
        )
        .await
        .unwrap();
    let invoice_id = written(&pushed[0]).remote_id.clone();
    let x = world.invoice(&invoice_id).await;
    assert_eq!(x["Status"], "AUTHORISED");
    assert_eq!(x["Total"].to_string(), "320.04");

    // Paid in full from the seeded bank account 090 (a BANK account that takes payments).
    world
        .put_direct(
            "Payments",
            &serde_json::json!({ "Payments": [{
                "Invoice": { "InvoiceID": invoice_id },
                "Account": { "Code": "090" },
                "Amount": x["Total"],
                "Date": "2026-11-22",
            }]}),
        )
        .await;
    let x = world.invoice(&invoice_id).await;
    assert_eq!(x["Status"], "PAID", "{x}");

    let e = p
        .delete(&ctx, RecordKind::Invoice, invoice_id.clone())
        .await
        .unwrap()
        .expect_err("a paid invoice cannot be rolled back");
    assert_eq!(e.class(), "locked", "{}", e.describe());
    assert!(e.message().contains("TP-P-1"), "{}", e.message());
    assert_eq!(
        e.message(),
        "invoice TP-P-1 has payments or credits in Xero, so it cannot be voided from here; \
         remove them in Xero and void the invoice there"
    );

    let x = world.invoice(&invoice_id).await;
    assert_eq!(x["Status"], "PAID", "{x}");
    assert_eq!(x["AmountDue"].as_f64(), Some(0.0), "{x}");
    assert_eq!(x["AmountPaid"], x["Total"], "{x}");
}

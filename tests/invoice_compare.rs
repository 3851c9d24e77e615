//! Compare Jobs → select → Start Sync (issue 15), against the sandbox Xero and QuickBooks
//! through the real binary: Add, Update after an edit in Tracker Pro (updated in place, no
//! second document), Conflict after an accountant's edit in the target, Locked for a paid
//! invoice (never sent), selection of rows, a dry run with no call to the target, and the
//! refusals of bad plan input.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use crate::vendor_world;
use vendor_world::{Vendor, World};

fn job(vendor: Vendor, id: &str, amount: &str) -> Value {
    let currency = match vendor {
        Vendor::Xero => "NZD",
        Vendor::QuickBooks => "USD",
    };
    json!({
        "id": id, "number": id, "customer_id": "A", "status": "closed",
        "ready_for_invoice_1": true, "ready_for_invoice_2": true,
        "invoice_date": "2026-11-20", "currency": currency, "tax_mode": "none",
        "subtotal": amount, "tax_total": "0", "total": amount,
        "lines": [{"description": "Service call", "quantity": "1", "unit_price": amount,
                   "amount": amount, "account_code": "200"}],
    })
}

fn book(vendor: Vendor, jobs: &[(&str, &str)]) -> Value {
    json!({
        "version": 1,
        "customers": [{"id": "A", "name": "Acme Ltd", "flagged_for_integration": true}],
        "jobs": jobs.iter().map(|(id, amount)| job(vendor, id, amount)).collect::<Vec<_>>(),
    })
}

fn compare(w: &World) -> (String, Vec<Value>) {
    let v: Value = serde_json::from_str(&w.ok(&[
        "compare",
        "job-invoices",
        "--connection",
        w.vendor.connector(),
        "--json",
    ]))
    .unwrap();
    (
        v["plan"].as_i64().unwrap().to_string(),
        v["items"].as_array().unwrap().clone(),
    )
}

fn actions(rows: &[Value]) -> Vec<(String, String)> {
    rows.iter()
        .map(|r| {
            (
                r["home_key"].as_str().unwrap().to_owned(),
                r["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// (number, total) of every live invoice in the target.
async fn target(w: &World) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = w
        .invoice_records()
        .await
        .iter()
        .filter(|i| !matches!(i["Status"].as_str(), Some("DELETED" | "VOIDED")))
        .map(|i| match w.vendor {
            Vendor::Xero => (
                i["InvoiceNumber"].as_str().unwrap().to_owned(),
                i["Total"].to_string(),
            ),
            Vendor::QuickBooks => (
                i["DocNumber"].as_str().unwrap().to_owned(),
                i["TotalAmt"].to_string(),
            ),
        })
        .collect();
    out.sort();
    out
}

fn remote_id(w: &World, key: &str) -> String {
    w.state()
        .id_map(w.vendor.connector(), "job-invoices")
        .unwrap()
        .into_iter()
        .find(|e| e.home_key == key)
        .unwrap()
        .remote_id
}

/// The accountant changes the invoice's line in the target.
async fn edit_in_target(w: &World, id: &str) {
    match w.vendor {
        Vendor::Xero => {
            w.api(
                reqwest::Method::POST,
                &format!("Invoices/{id}"),
                Some(json!({"Invoices": [{"InvoiceID": id, "LineItems": [
                    {"Description": "Edited by the accountant", "Quantity": 1,
                     "UnitAmount": 99, "AccountCode": "200"}]}]})),
            )
            .await;
        }
        Vendor::QuickBooks => {
            let current = w
                .api(reqwest::Method::GET, &format!("invoice/{id}"), None)
                .await;
            let token = current["Invoice"]["SyncToken"].clone();
            w.api(
                reqwest::Method::POST,
                "invoice",
                Some(json!({"Id": id, "SyncToken": token, "sparse": true, "Line": [
                    {"DetailType": "SalesItemLineDetail", "Amount": 99,
                     "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": 99}}]})),
            )
            .await;
        }
    }
}

/// The customer pays the invoice in full.
async fn pay_in_target(w: &World, id: &str, amount: &str) {
    let amount: f64 = amount.parse().unwrap();
    match w.vendor {
        Vendor::Xero => {
            w.by_hand(
                "Payments",
                json!({"Payments": [{"Invoice": {"InvoiceID": id}, "Account": {"Code": "090"},
                    "Amount": amount, "Date": "2026-11-22"}]}),
            )
            .await;
        }
        Vendor::QuickBooks => {
            let inv = w
                .api(reqwest::Method::GET, &format!("invoice/{id}"), None)
                .await;
            let customer = inv["Invoice"]["CustomerRef"]["value"].clone();
            w.by_hand(
                "payment",
                json!({"CustomerRef": {"value": customer}, "TotalAmt": amount,
                    "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": id, "TxnType": "Invoice"}]}]}),
            )
            .await;
        }
    }
}

async fn compare_select_and_start_sync(vendor: Vendor) {
    let w = World::with_book(
        vendor,
        &book(
            vendor,
            &[
                ("J1", "100.00"),
                ("J2", "200.00"),
                ("J3", "300.00"),
                ("J4", "400.00"),
            ],
        )
        .to_string(),
        &[],
    )
    .await;
    let c = vendor.connector();

    // Everything is an Add; the customer is created first.
    let (plan, rows) = compare(&w);
    assert_eq!(
        actions(&rows),
        [("J1", "add"), ("J2", "add"), ("J3", "add"), ("J4", "add")]
            .map(|(k, a)| (k.to_owned(), a.to_owned()))
    );
    assert!(rows.iter().all(|r| r["creates_customer"] == true));

    // A dry run makes no call to the target.
    let before = w.sandbox.log().len();
    let dry = w.ok(&["sync", "--plan", &plan, "--select", "J1,J2,J3", "--dry-run"]);
    assert!(dry.contains("3 created"), "{dry}");
    assert_eq!(w.sandbox.log().len(), before, "a dry run called the target");
    assert!(target(&w).await.is_empty());

    // Bad input: a key not in the plan; nothing sent.
    let (_, err) = w.fails(&["sync", "--plan", &plan, "--select", "J9"]);
    assert_eq!(
        err,
        format!(
            "error: plan {plan} has no row J9; `ledgerlink compare job-invoices` lists its rows — nothing was sent\n"
        )
    );
    assert!(target(&w).await.is_empty());

    // Start Sync on three of four rows.
    w.ok(&["sync", "--plan", &plan, "--select", "J1,J2,J3"]);
    let sent = target(&w).await;
    assert_eq!(
        sent.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["J1", "J2", "J3"]
    );
    // The same plan again is refused.
    let (_, err) = w.fails(&["sync", "--plan", &plan, "--all"]);
    assert!(err.contains("was already applied by run"), "{err}");

    // Tracker Pro edits J1; the accountant edits J2 in the target; J3 is paid there.
    w.import(&book(
        vendor,
        &[
            ("J1", "150.00"),
            ("J2", "200.00"),
            ("J3", "300.00"),
            ("J4", "400.00"),
        ],
    ));
    edit_in_target(&w, &remote_id(&w, "J2")).await;
    pay_in_target(&w, &remote_id(&w, "J3"), "300.00").await;

    let (plan, rows) = compare(&w);
    assert_eq!(
        actions(&rows),
        [
            ("J1", "update"),
            ("J2", "conflict"),
            ("J3", "locked"),
            ("J4", "add")
        ]
        .map(|(k, a)| (k.to_owned(), a.to_owned()))
    );
    let j1 = &rows[0];
    assert!(
        j1["diffs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["field"] == "total" && d["home"] == "150" && d["remote"] == "100"),
        "{j1}"
    );
    assert!(
        rows[2]["reason"].as_str().unwrap().starts_with("paid in "),
        "{}",
        rows[2]
    );

    // Start Sync --all: J1 updated in place, J4 created; the conflict and the locked row stay.
    w.ok(&["sync", "--plan", &plan, "--all"]);
    let after = target(&w).await;
    assert_eq!(after.len(), 4, "{after:?}");
    assert!(
        after[0].1.starts_with("150"),
        "J1 updated in place: {after:?}"
    );
    assert!(
        after[1].1.starts_with("99"),
        "J2 keeps the accountant's edit: {after:?}"
    );
    let runs: Value = serde_json::from_str(&w.ok(&["runs", "list", "--json"])).unwrap();
    let run = runs
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["plan-id"].as_i64().map(|p| p.to_string()) == Some(plan.clone())
                && r["dry-run"] == false
        })
        .map(|r| r["id"].as_i64().unwrap())
        .max()
        .unwrap();
    let shown: Value =
        serde_json::from_str(&w.ok(&["runs", "show", &run.to_string(), "--json"])).unwrap();
    let outcome = |key: &str| {
        shown["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["home-key"] == key)
            .map(|i| i["outcome"].as_str().unwrap().to_owned())
    };
    assert_eq!(outcome("J1").as_deref(), Some("updated"));
    assert_eq!(outcome("J4").as_deref(), Some("created"));
    assert_eq!(outcome("J3").as_deref(), Some("locked"));

    // The conflict, selected by key, overwrites the accountant's edit with Tracker Pro's.
    let (plan, rows) = compare(&w);
    assert_eq!(rows[1]["action"], "conflict");
    w.ok(&["sync", "--plan", &plan, "--select", "J2"]);
    let after = target(&w).await;
    assert!(after[1].1.starts_with("200"), "{after:?}");
    let (_, rows) = compare(&w);
    assert_eq!(
        actions(&rows),
        [
            ("J1", "unchanged"),
            ("J2", "unchanged"),
            ("J3", "locked"),
            ("J4", "unchanged")
        ]
        .map(|(k, a)| (k.to_owned(), a.to_owned()))
    );
    let _ = c;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xero_compare_select_and_start_sync() {
    compare_select_and_start_sync(Vendor::Xero).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickbooks_compare_select_and_start_sync() {
    compare_select_and_start_sync(Vendor::QuickBooks).await;
}

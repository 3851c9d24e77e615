//! QuickBooks Online Accounting API: customers, invoices with tax, payments,
//! query, CDC, batch, requestid replay, throttles and injected faults. Every
//! body received is checked against Intuit's XSDs (`qbo_support`).
#![allow(clippy::unwrap_used)]

use crate::common;
use crate::qbo_support;

use std::time::Duration;

use common::*;
use ledgerlink_sandbox::{Fault, Profile, QBO_REALM_ID};
use qbo_support::{AU_REALM_ID, Qbo, Schema, au, us};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn fault(body: &Value) -> (&str, &str, &str) {
    let error = &body["Fault"]["Error"][0];
    (
        error["code"].as_str().unwrap(),
        error["Message"].as_str().unwrap(),
        body["Fault"]["type"].as_str().unwrap(),
    )
}

async fn customer(qbo: &Qbo, name: &str) -> Value {
    let (status, body) = qbo.post("/customer", &json!({ "DisplayName": name })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["Customer"].clone()
}

fn line(item: &str, qty: Value, price: Value, code: &str) -> Value {
    json!({
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": { "ItemRef": { "value": item }, "Qty": qty, "UnitPrice": price, "TaxCodeRef": { "value": code } },
    })
}

async fn invoice(qbo: &Qbo, body: Value) -> Value {
    let (status, body) = qbo.post("/invoice", &body).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["Invoice"].clone()
}

#[tokio::test]
async fn customers_create_read_update_sparse_and_stale() {
    let sandbox = start().await;
    let qbo = us(&sandbox).await;
    let (status, body) = qbo
        .post(
            "/customer?minorversion=75",
            &json!({ "GivenName": "Ada", "FamilyName": "Lovelace", "PrimaryEmailAddr": { "Address": "ada@example.com" },
                     "BillAddr": { "Line1": "1 Analytical Way", "City": "London" } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let created = &body["Customer"];
    assert_eq!(created["DisplayName"], "Ada Lovelace");
    assert_eq!(created["SyncToken"], "0");
    assert_eq!(created["Active"], true);
    let id = created["Id"].as_str().unwrap().to_owned();
    assert!(id.parse::<u64>().is_ok());
    let create_time = created["MetaData"]["CreateTime"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        create_time.ends_with("-07:00") && create_time.len() == 25,
        "{create_time}"
    );

    sandbox.advance_clock(Duration::from_secs(60));
    let (status, body) = qbo
        .post(
            "/customer",
            &json!({ "Id": id, "SyncToken": "0", "sparse": true, "CompanyName": "Engines Ltd" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["Customer"]["SyncToken"], "1");
    assert_eq!(
        body["Customer"]["GivenName"], "Ada",
        "sparse keeps what it was not sent"
    );
    assert_eq!(
        body["Customer"]["MetaData"]["CreateTime"],
        create_time.as_str()
    );
    assert_ne!(
        body["Customer"]["MetaData"]["LastUpdatedTime"],
        create_time.as_str()
    );

    // Full update: what is not sent is cleared.
    let (status, body) = qbo
        .post(
            "/customer",
            &json!({ "Id": id, "SyncToken": "1", "DisplayName": "Ada L.", "Active": false }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["Customer"]["SyncToken"], "2");
    assert!(body["Customer"].get("GivenName").is_none());
    assert_eq!(body["Customer"]["Active"], false);

    let (status, body) = qbo
        .post(
            "/customer",
            &json!({ "Id": id, "SyncToken": "1", "sparse": true, "Notes": "x" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        fault(&body),
        ("5010", "Stale Object Error", "ValidationFault")
    );
    assert!(
        body["Fault"]["Error"][0]["Detail"]
            .as_str()
            .unwrap()
            .starts_with("Stale Object Error : ")
    );

    let (status, body) = qbo.get(&format!("/customer/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["Customer"]["DisplayName"], "Ada L.");
    assert_eq!(body["Customer"]["SyncToken"], "2");
    let (status, body) = qbo.get("/customer/999").await;
    assert_eq!((status, fault(&body).0), (StatusCode::BAD_REQUEST, "610"));

    let stored = qbo.control("customers").await;
    assert_eq!(stored["Customer"].as_array().unwrap().len(), 1);
    assert_eq!(stored["Customer"][0]["DisplayName"], "Ada L.");
}

#[tokio::test]
async fn customer_names_are_unique_across_people_and_within_rules() {
    let sandbox = start().await;
    let qbo = us(&sandbox).await;
    for taken in ["Bob's Burger Joint", "emily platt"] {
        let (status, body) = qbo
            .post("/customer", &json!({ "DisplayName": taken }))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            fault(&body),
            ("6240", "Duplicate Name Exists Error", "ValidationFault")
        );
        assert_eq!(
            body["Fault"]["Error"][0]["Detail"],
            "The name supplied already exists. : Another customer, vendor or employee is already using this name. Please use a different name."
        );
    }
    customer(&qbo, "Cool Cars").await;
    let (_, body) = qbo
        .post("/customer", &json!({ "DisplayName": "Cool Cars" }))
        .await;
    assert_eq!(fault(&body).0, "6240");
    for bad in ["A:B", "Tab\there", "New\nline"] {
        let (status, body) = qbo.post("/customer", &json!({ "DisplayName": bad })).await;
        assert_eq!(
            (status, fault(&body).0),
            (StatusCode::BAD_REQUEST, "2040"),
            "{bad}"
        );
    }
    let cases = [
        (json!({ "DisplayName": "x".repeat(501) }), "DisplayName"),
        (json!({ "GivenName": "x".repeat(101) }), "GivenName"),
        (
            json!({ "DisplayName": "ok", "FamilyName": "x".repeat(101) }),
            "FamilyName",
        ),
        (
            json!({ "DisplayName": "ok", "CompanyName": "x".repeat(101) }),
            "CompanyName",
        ),
        (
            json!({ "DisplayName": "ok", "PrimaryEmailAddr": { "Address": format!("{}@x.io", "a".repeat(96)) } }),
            "PrimaryEmailAddr.Address",
        ),
    ];
    for (body, element) in cases {
        let (status, body) = qbo.post("/customer", &body).await;
        assert_eq!((status, fault(&body).0), (StatusCode::BAD_REQUEST, "2050"));
        assert_eq!(body["Fault"]["Error"][0]["element"], element);
    }
    customer(&qbo, &"x".repeat(500)).await;
    let (_, body) = qbo
        .post(
            "/customer",
            &json!({ "DisplayName": "ok", "Nickname": "no" }),
        )
        .await;
    assert_eq!(fault(&body).0, "2010");
    assert_eq!(
        qbo.control("customers").await["Customer"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn invoices_compute_tax_in_every_mode() {
    let sandbox = start().await;
    let qbo = us(&sandbox).await;
    let cust = customer(&qbo, "Tax Payer").await;
    let id = cust["Id"].as_str().unwrap();
    let lines = json!([
        line("2", json!(2), json!(75), "TAX"),
        line("3", json!(3), json!(12.5), "NON")
    ]);
    let excluded = invoice(
        &qbo,
        json!({ "CustomerRef": { "value": id }, "Line": lines }),
    )
    .await;
    assert_eq!(excluded["GlobalTaxCalculation"], "TaxExcluded");
    assert_eq!(excluded["Line"][0]["Amount"], json!(150));
    assert_eq!(excluded["Line"][1]["Amount"], json!(37.5));
    assert_eq!(excluded["TxnTaxDetail"]["TotalTax"], json!(12.75));
    assert_eq!(
        excluded["TxnTaxDetail"]["TaxLine"][0]["TaxLineDetail"]["NetAmountTaxable"],
        json!(150)
    );
    assert_eq!(excluded["TotalAmt"], json!(200.25));
    assert_eq!(excluded["Balance"], json!(200.25));
    assert_eq!(excluded["DocNumber"], "1001");

    let inclusive = invoice(
        &qbo,
        json!({ "CustomerRef": { "value": id }, "GlobalTaxCalculation": "TaxInclusive", "Line": [line("2", json!(2), json!(75), "TAX")] }),
    )
    .await;
    // 150 × 8.5 / 108.5 = 11.7511... → 11.75
    assert_eq!(inclusive["TxnTaxDetail"]["TotalTax"], json!(11.75));
    assert_eq!(inclusive["TotalAmt"], json!(150));
    assert_eq!(
        inclusive["Line"][0]["SalesItemLineDetail"]["TaxInclusiveAmt"],
        json!(150)
    );

    let none = invoice(&qbo, json!({ "CustomerRef": { "value": id }, "GlobalTaxCalculation": "NotApplicable", "Line": lines })).await;
    assert_eq!(
        (
            none["TxnTaxDetail"]["TotalTax"].clone(),
            none["TotalAmt"].clone()
        ),
        (json!(0), json!(187.5))
    );

    // Per-line rounding: 3 × 0.35 = 1.05 → tax 0.08925 → 0.09, twice → 0.18.
    let rounding = invoice(
        &qbo,
        json!({ "CustomerRef": { "value": id }, "Line": [line("1", json!(3), json!(0.35), "TAX"), line("1", json!(3), json!(0.35), "TAX")] }),
    )
    .await;
    assert_eq!(rounding["TxnTaxDetail"]["TotalTax"], json!(0.18));
    assert_eq!(rounding["TotalAmt"], json!(2.28));

    let mut wrong = line("2", json!(2), json!(75), "TAX");
    wrong["Amount"] = json!(149.99);
    let (status, body) = qbo
        .post(
            "/invoice",
            &json!({ "CustomerRef": { "value": id }, "Line": [wrong] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(fault(&body).0, "6070");
    assert_eq!(
        body["Fault"]["Error"][0]["Detail"],
        "Amount is not equal to Qty * UnitPrice. Supplied value:149.99"
    );
    let (_, body) = qbo
        .post(
            "/invoice",
            &json!({ "CustomerRef": { "value": "999" }, "Line": lines }),
        )
        .await;
    assert_eq!(
        fault(&body),
        ("2500", "Invalid Reference Id", "ValidationFault")
    );
    let (_, body) = qbo.post("/invoice", &json!({ "CustomerRef": { "value": id }, "Line": [line("2", json!(1), json!(1), "GST")] })).await;
    assert_eq!(fault(&body).0, "6100");

    // The Australian realm: numeric codes, GST 10 %.
    let au = au(&sandbox).await;
    let au_customer = customer(&au, "Tax Payer").await;
    let gst = invoice(
        &au,
        json!({ "CustomerRef": { "value": au_customer["Id"] }, "GlobalTaxCalculation": "TaxExcluded",
                "Line": [line("2", json!(1), json!(99.99), "10"), line("3", json!(2), json!(5), "11")] }),
    )
    .await;
    assert_eq!(gst["TxnTaxDetail"]["TotalTax"], json!(10));
    assert_eq!(gst["TotalAmt"], json!(119.99));
    assert_eq!(gst["CurrencyRef"]["value"], "AUD");
    assert_eq!(
        qbo.control("invoices").await["Invoice"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    // Customer balance follows its open invoices.
    let (_, body) = qbo.get(&format!("/customer/{id}")).await;
    // 200.25 + 150 + 187.5 + 2.28
    assert_eq!(body["Customer"]["Balance"], json!(540.03));
}

#[tokio::test]
async fn doc_numbers_updates_delete_void_and_payments() {
    let sandbox = start().await;
    let qbo = us(&sandbox).await;
    let cust = customer(&qbo, "Payer").await;
    let cid = cust["Id"].as_str().unwrap();
    let first = invoice(&qbo, json!({ "CustomerRef": { "value": cid }, "DocNumber": "A-1", "Line": [line("2", json!(1), json!(100), "NON")] })).await;
    let (status, body) = qbo.post("/invoice", &json!({ "CustomerRef": { "value": cid }, "DocNumber": "A-1", "Line": [line("2", json!(1), json!(1), "NON")] })).await;
    assert_eq!(
        (status, fault(&body)),
        (
            StatusCode::BAD_REQUEST,
            ("6140", "Duplicate Document Number Error", "ValidationFault")
        )
    );
    let second = invoice(
        &qbo,
        json!({ "CustomerRef": { "value": cid }, "Line": [line("2", json!(1), json!(50), "NON")] }),
    )
    .await;
    assert_eq!(second["DocNumber"], "1001");
    let fid = first["Id"].as_str().unwrap();

    // Sparse update of the private note, full update of the lines.
    let (status, body) = qbo
        .post(
            "/invoice",
            &json!({ "Id": fid, "SyncToken": "0", "sparse": true, "PrivateNote": "hello" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (
            body["Invoice"]["SyncToken"].clone(),
            body["Invoice"]["TotalAmt"].clone()
        ),
        (json!("1"), json!(100))
    );
    let (status, body) = qbo
        .post("/invoice", &json!({ "Id": fid, "SyncToken": "1", "CustomerRef": { "value": cid }, "DocNumber": "A-1", "Line": [line("2", json!(2), json!(100), "TAX")] }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["Invoice"]["TotalAmt"], json!(217));
    assert!(body["Invoice"].get("PrivateNote").is_none());
    let (_, body) = qbo
        .post(
            "/invoice",
            &json!({ "Id": fid, "SyncToken": "1", "sparse": true, "PrivateNote": "late" }),
        )
        .await;
    assert_eq!(fault(&body).0, "5010");

    // A payment lowers the balance and blocks deletion.
    let (status, body) = qbo
        .post("/payment", &json!({ "CustomerRef": { "value": cid }, "TotalAmt": 117, "Line": [{ "Amount": 117, "LinkedTxn": [{ "TxnId": fid, "TxnType": "Invoice" }] }] }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["Payment"]["UnappliedAmt"], json!(0));
    let (_, body) = qbo.get(&format!("/invoice/{fid}")).await;
    assert_eq!(body["Invoice"]["Balance"], json!(100));
    assert_eq!(body["Invoice"]["LinkedTxn"][0]["TxnType"], "Payment");
    let sync = body["Invoice"]["SyncToken"].clone();
    let (status, body) = qbo
        .post(
            "/invoice?operation=delete",
            &json!({ "Id": fid, "SyncToken": sync }),
        )
        .await;
    assert_eq!((status, fault(&body).0), (StatusCode::BAD_REQUEST, "6480"));

    // Void keeps the record with zero amounts.
    let (status, body) = qbo
        .post(
            "/invoice?operation=void",
            &json!({ "Id": fid, "SyncToken": sync }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let voided = &body["Invoice"];
    assert_eq!(
        (
            voided["TotalAmt"].clone(),
            voided["Balance"].clone(),
            voided["PrivateNote"].clone()
        ),
        (json!(0), json!(0), json!("Voided"))
    );
    assert_eq!(voided["Line"][0]["Amount"], json!(0));
    assert_eq!(voided["TxnTaxDetail"]["TotalTax"], json!(0));

    // Delete the unpaid one: gone for reads, kept in the dump.
    let sid = second["Id"].as_str().unwrap();
    let (status, body) = qbo
        .post(
            "/invoice?operation=delete",
            &json!({ "Id": sid, "SyncToken": "0" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["Invoice"]["status"], "Deleted");
    let (status, body) = qbo.get(&format!("/invoice/{sid}")).await;
    assert_eq!((status, fault(&body).0), (StatusCode::BAD_REQUEST, "610"));
    let dump = qbo.control("invoices").await;
    let stored = dump["Invoice"].as_array().unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[1]["status"], "Deleted");
    assert_eq!(stored[0]["PrivateNote"], "Voided");
    assert_eq!(
        qbo.control("payments").await["Payment"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // The freed number can be used again.
    invoice(&qbo, json!({ "CustomerRef": { "value": cid }, "DocNumber": "1001", "Line": [line("2", json!(1), json!(1), "NON")] })).await;
}

#[tokio::test]
async fn items_tax_codes_and_the_query_language() {
    let sandbox = start().await;
    let qbo = us(&sandbox).await;
    let (_, body) = qbo.get("/item/2").await;
    assert_eq!(
        (
            body["Item"]["Name"].clone(),
            body["Item"]["UnitPrice"].clone()
        ),
        (json!("Hours"), json!(75))
    );
    let (_, body) = qbo.get("/taxcode/TAX").await;
    assert_eq!(
        body["TaxCode"]["SalesTaxRateList"]["TaxRateDetail"][0]["TaxRateRef"]["value"],
        "1"
    );
    let (_, body) = qbo.query("select * from TaxCode").await;
    assert_eq!(
        body["QueryResponse"]["TaxCode"].as_array().unwrap().len(),
        2
    );
    let (_, body) = qbo.query("select * from Item").await;
    assert_eq!(
        body["QueryResponse"]["Item"].as_array().unwrap().len(),
        3,
        "inactive items are hidden"
    );
    let (_, body) = qbo.query("SELECT * FROM Item WHERE Active = false").await;
    assert_eq!(body["QueryResponse"]["Item"][0]["Name"], "Old Rates");

    for name in [
        "Alpha One",
        "Beta Two",
        "Gamma Three",
        "Delta Four",
        "Epsilon Five",
    ] {
        customer(&qbo, name).await;
    }
    let (_, body) = qbo
        .query("select * from Customer where DisplayName = 'Beta Two'")
        .await;
    assert_eq!(body["QueryResponse"]["Customer"][0]["Id"], "2");
    let (_, body) = qbo
        .query("select * from Customer where DisplayName like '%o%' orderby DisplayName desc")
        .await;
    let names: Vec<&str> = body["QueryResponse"]["Customer"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["DisplayName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Epsilon Five", "Delta Four", "Beta Two", "Alpha One"]
    );
    let (_, body) = qbo
        .query("select * from Customer where Id in ('1', '3', '5') startposition 2 maxresults 1")
        .await;
    assert_eq!(body["QueryResponse"]["Customer"][0]["Id"], "3");
    assert_eq!(
        (
            body["QueryResponse"]["startPosition"].clone(),
            body["QueryResponse"]["maxResults"].clone()
        ),
        (json!(2), json!(1))
    );
    let (_, body) = qbo.query("select count(*) from Customer").await;
    assert_eq!(body["QueryResponse"]["totalCount"], 5);
    let (_, body) = qbo
        .query("select * from Customer where DisplayName = 'nobody'")
        .await;
    assert_eq!(body["QueryResponse"], json!({}));

    sandbox.advance_clock(Duration::from_secs(120));
    let cutoff = sandbox.now() - Duration::from_secs(60);
    let cutoff = chrono::DateTime::<chrono::Utc>::from(cutoff)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    customer(&qbo, "Late Comer").await;
    let (_, body) = qbo
        .query(&format!(
            "select * from Customer where MetaData.LastUpdatedTime > '{cutoff}'"
        ))
        .await;
    assert_eq!(
        body["QueryResponse"]["Customer"].as_array().unwrap().len(),
        1
    );
    assert_eq!(
        body["QueryResponse"]["Customer"][0]["DisplayName"],
        "Late Comer"
    );

    let cust = body["QueryResponse"]["Customer"][0]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    invoice(&qbo, json!({ "CustomerRef": { "value": cust }, "DocNumber": "Q-1", "Line": [line("1", json!(1), json!(10), "NON")] })).await;
    let (_, body) = qbo
        .query(&format!(
            "select * from Invoice where CustomerRef = '{cust}' and DocNumber = 'Q-1'"
        ))
        .await;
    assert_eq!(body["QueryResponse"]["Invoice"][0]["TotalAmt"], json!(10));
    // POST with the query as the body.
    let response = http()
        .post(qbo.url("/query"))
        .bearer_auth(&qbo.token)
        .header("content-type", "application/text")
        .body("select * from Invoice maxresults 5000")
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    qbo_support::assert_faithful(&body);
    assert_eq!(body["QueryResponse"]["maxResults"], 1);

    let (status, body) = qbo.query("select * frm Customer").await;
    assert_eq!(
        (status, fault(&body)),
        (
            StatusCode::BAD_REQUEST,
            ("4000", "Error parsing query", "ValidationFault")
        )
    );
    assert!(
        body["Fault"]["Error"][0]["Detail"]
            .as_str()
            .unwrap()
            .starts_with("QueryParserError: Encountered")
    );
    let (_, body) = qbo.query("select * from Customer where Notes = 'x'").await;
    assert_eq!(fault(&body).0, "4001");
}

#[tokio::test]
async fn cdc_reports_changes_and_deletions_within_30_days() {
    let sandbox = start().await;
    let qbo = us(&sandbox).await;
    sandbox.advance_clock(Duration::from_secs(600));
    let since =
        chrono::DateTime::<chrono::Utc>::from(sandbox.now() - Duration::from_secs(1)).to_rfc3339();
    let cust = customer(&qbo, "Changed").await;
    let cid = cust["Id"].as_str().unwrap();
    let gone = invoice(
        &qbo,
        json!({ "CustomerRef": { "value": cid }, "Line": [line("1", json!(1), json!(10), "NON")] }),
    )
    .await;
    qbo.post(
        "/invoice?operation=delete",
        &json!({ "Id": gone["Id"], "SyncToken": "0" }),
    )
    .await;
    let kept = invoice(
        &qbo,
        json!({ "CustomerRef": { "value": cid }, "Line": [line("1", json!(1), json!(20), "NON")] }),
    )
    .await;
    let response = http()
        .get(qbo.url("/cdc"))
        .query(&[
            ("entities", "Customer,Invoice,Item"),
            ("changedSince", since.as_str()),
        ])
        .bearer_auth(&qbo.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    qbo_support::assert_faithful(&body);
    let responses = &body["CDCResponse"][0]["QueryResponse"];
    assert_eq!(responses[0]["Customer"][0]["DisplayName"], "Changed");
    let invoices = responses[1]["Invoice"].as_array().unwrap();
    assert_eq!(invoices.len(), 2);
    assert_eq!(
        invoices[0],
        json!({ "Id": gone["Id"], "status": "Deleted", "domain": "QBO", "MetaData": invoices[0]["MetaData"] })
    );
    assert_eq!(invoices[1]["Id"], kept["Id"]);
    assert_eq!(responses[2], json!({}), "no item changed");

    let old =
        chrono::DateTime::<chrono::Utc>::from(sandbox.now() - Duration::from_secs(31 * 24 * 3600))
            .to_rfc3339();
    let (status, body) = qbo
        .get(&format!(
            "/cdc?entities=Customer&changedSince={}",
            old.replace('+', "%2B")
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(fault(&body).0, "1000");
    assert!(
        body["Fault"]["Error"][0]["Detail"]
            .as_str()
            .unwrap()
            .contains("which is older than fixed days is not supported")
    );
}

#[tokio::test]
async fn batches_of_30_run_each_item_on_its_own_and_31_are_refused() {
    let sandbox = start().await;
    let qbo = us(&sandbox).await;
    let mut items: Vec<Value> = (0..28)
        .map(|n| json!({ "bId": n.to_string(), "operation": "create", "Customer": { "DisplayName": format!("Batch {n}") } }))
        .collect();
    items.push(
        json!({ "bId": "dup", "operation": "create", "Customer": { "DisplayName": "Batch 3" } }),
    );
    items.push(json!({ "bId": "q", "Query": "select count(*) from Customer" }));
    let (status, body) = qbo
        .post("/batch", &json!({ "BatchItemRequest": items }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let responses = body["BatchItemResponse"].as_array().unwrap();
    assert_eq!(responses.len(), 30);
    assert_eq!(responses[5]["Customer"]["DisplayName"], "Batch 5");
    assert_eq!(responses[28]["bId"], "dup");
    assert_eq!(responses[28]["Fault"]["Error"][0]["code"], "6240");
    assert_eq!(responses[29]["QueryResponse"]["totalCount"], 28);
    assert_eq!(
        qbo.control("customers").await["Customer"]
            .as_array()
            .unwrap()
            .len(),
        28
    );

    let items: Vec<Value> = (0..31)
        .map(|n| json!({ "bId": n.to_string(), "Query": "select * from Item" }))
        .collect();
    let (status, body) = qbo
        .post("/batch", &json!({ "BatchItemRequest": items }))
        .await;
    assert_eq!((status, fault(&body).0), (StatusCode::BAD_REQUEST, "1040"));
}

#[tokio::test]
async fn a_reset_with_batch_limit_refuses_larger_batches_until_the_next_reset() {
    let sandbox = start().await;
    let qbo = us(&sandbox).await;
    let url = sandbox.url(&format!("/_sandbox/qbo/{QBO_REALM_ID}/reset"));
    let answer: Value = http()
        .post(&url)
        .json(&json!({ "batchLimit": 10 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer,
        json!({ "realmId": QBO_REALM_ID, "reset": true, "batchLimit": 10 })
    );
    let batch = |n: usize| {
        let items: Vec<Value> = (0..n)
            .map(|i| json!({ "bId": i.to_string(), "Query": "select * from Item" }))
            .collect();
        json!({ "BatchItemRequest": items })
    };
    let (status, body) = qbo.post("/batch", &batch(11)).await;
    assert_eq!((status, fault(&body).0), (StatusCode::BAD_REQUEST, "1040"));
    assert_eq!(
        body["Fault"]["Error"][0]["Detail"],
        "Batch size 11 exceeds the allowed limit of 10"
    );
    let (status, body) = qbo.post("/batch", &batch(10)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The setting is no requestid a client can send, read or replace.
    let (status, _) = qbo.post("/batch?requestid=abc-limit", &batch(11)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    for bad in [
        json!({ "batchLimit": 0 }),
        json!({ "batchLimit": 31 }),
        json!({ "batchLimit": "10" }),
    ] {
        let status = http().post(&url).json(&bad).send().await.unwrap().status();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
    // A plain reset restores 30.
    assert_eq!(qbo.control("reset").await["reset"], true);
    let (status, body) = qbo.post("/batch", &batch(30)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = qbo.post("/batch", &batch(31)).await;
    assert_eq!((status, fault(&body).0), (StatusCode::BAD_REQUEST, "1040"));
}

#[tokio::test]
async fn requestid_replays_the_first_response_per_realm() {
    let sandbox = start().await;
    let qbo = us(&sandbox).await;
    let (first_status, first) = qbo
        .post(
            "/customer?requestid=abc-1",
            &json!({ "DisplayName": "Once" }),
        )
        .await;
    sandbox.advance_clock(Duration::from_secs(5));
    let (again_status, again) = qbo
        .post(
            "/customer?requestid=abc-1",
            &json!({ "DisplayName": "Once" }),
        )
        .await;
    assert_eq!(
        (first_status, &first),
        (again_status, &again),
        "identical status and body, time included"
    );
    assert_eq!(
        qbo.control("customers").await["Customer"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // A fault is replayed too, even after the cause is gone.
    let (_, dup) = qbo
        .post(
            "/customer?requestid=abc-2",
            &json!({ "DisplayName": "Once" }),
        )
        .await;
    assert_eq!(fault(&dup).0, "6240");
    let (_, dup_again) = qbo
        .post(
            "/customer?requestid=abc-2",
            &json!({ "DisplayName": "Twice" }),
        )
        .await;
    assert_eq!(dup, dup_again);
    // Per realm: the same id in another realm is a new request.
    let au = au(&sandbox).await;
    let (status, _) = au
        .post(
            "/customer?requestid=abc-1",
            &json!({ "DisplayName": "Once" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        au.control("customers").await["Customer"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Lengths: 50 for entities, 36 for batch.
    let (status, body) = qbo
        .post(
            &format!("/customer?requestid={}", "r".repeat(51)),
            &json!({ "DisplayName": "Long" }),
        )
        .await;
    assert_eq!((status, fault(&body).0), (StatusCode::BAD_REQUEST, "2050"));
    let (status, _) = qbo
        .post(
            &format!("/customer?requestid={}", "r".repeat(50)),
            &json!({ "DisplayName": "Long" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let batch = json!({ "BatchItemRequest": [{ "bId": "1", "Query": "select * from Item" }] });
    let (status, body) = qbo
        .post(&format!("/batch?requestid={}", "b".repeat(37)), &batch)
        .await;
    assert_eq!((status, fault(&body).0), (StatusCode::BAD_REQUEST, "2050"));
    let (status, _) = qbo
        .post(&format!("/batch?requestid={}", "b".repeat(36)), &batch)
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn auth_realms_and_minorversion() {
    let sandbox = start().await;
    let qbo = us(&sandbox).await;
    let anonymous = Qbo {
        token: "nope".into(),
        ..qbo.clone()
    };
    let (status, body) = anonymous.get("/item/1").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["fault"]["error"][0]["code"], "3200");
    let wrong_realm = Qbo {
        realm: AU_REALM_ID.into(),
        ..qbo.clone()
    };
    let (status, body) = wrong_realm.get("/item/1").await;
    assert_eq!((status, fault(&body).0), (StatusCode::FORBIDDEN, "003100"));
    let au = au(&sandbox).await;
    let (status, body) = au.get("/taxcode/10").await;
    assert_eq!(
        (status, body["TaxCode"]["Name"].clone()),
        (StatusCode::OK, json!("GST"))
    );
    let (status, _) = qbo.get("/item/1?minorversion=75").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = qbo.get("/item/1?minorversion=4").await;
    assert_eq!(status, StatusCode::OK);
    for bad in ["abc", "76", "7.5"] {
        let (status, body) = qbo.get(&format!("/item/1?minorversion={bad}")).await;
        assert_eq!(
            (status, fault(&body).0),
            (StatusCode::BAD_REQUEST, "2010"),
            "{bad}"
        );
    }
    // Token values never reach the log.
    let log = serde_json::to_string(&sandbox.log()).unwrap();
    assert!(!log.contains(&qbo.token) && !log.contains(&au.token));
}

#[tokio::test]
async fn throttles_past_500_a_minute_and_10_in_flight() {
    let sandbox = start().await;
    let qbo = us(&sandbox).await;
    sandbox.set_time_scale(12); // a minute lasts 5 s
    let started = std::time::Instant::now();
    let mut accepted = 0;
    for _ in 0..50 {
        let calls = (0..10).map(|_| qbo.get("/item/1"));
        for (status, _) in futures_util::future::join_all(calls).await {
            assert_eq!(status, StatusCode::OK);
            accepted += 1;
        }
    }
    assert_eq!(accepted, 500);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "too slow to prove the window"
    );
    let (status, body) = qbo.get("/item/1").await;
    assert_eq!(
        (status, fault(&body)),
        (
            StatusCode::TOO_MANY_REQUESTS,
            (
                "3001",
                "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                "SERVICE"
            )
        )
    );
    // Another realm is not affected; the window passes.
    let (status, _) = au(&sandbox).await.get("/item/1").await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(
        Duration::from_secs(5) - started.elapsed().min(Duration::from_secs(5))
            + Duration::from_millis(200),
    )
    .await;
    let (status, _) = qbo.get("/item/1").await;
    assert_eq!(status, StatusCode::OK);

    // Ten slow requests hold every slot; the eleventh is refused.
    qbo.control("reset").await;
    sandbox.queue_faults(
        Profile::QuickBooks,
        (0..10).map(|_| Fault::Slow { millis: 1500 }),
    );
    let slow: Vec<_> = (0..10)
        .map(|_| {
            tokio::spawn({
                let qbo = qbo.clone();
                async move { qbo.get("/item/1").await.0 }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, body) = qbo.get("/item/2").await;
    assert_eq!(
        (status, fault(&body).0),
        (StatusCode::TOO_MANY_REQUESTS, "3001")
    );
    for call in slow {
        assert_eq!(call.await.unwrap(), StatusCode::OK);
    }
    let (status, _) = qbo.get("/item/2").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn injected_faults_including_cut_after_write() {
    let sandbox = start().await;
    let qbo = us(&sandbox).await;
    sandbox.queue_faults(
        Profile::QuickBooks,
        [
            Fault::TooManyRequests,
            Fault::ServerError,
            Fault::Slow { millis: 300 },
        ],
    );
    let (status, body) = qbo
        .post("/customer", &json!({ "DisplayName": "Unlucky" }))
        .await;
    assert_eq!(
        (status, fault(&body).0),
        (StatusCode::TOO_MANY_REQUESTS, "3001")
    );
    let (status, body) = qbo
        .post("/customer", &json!({ "DisplayName": "Unlucky" }))
        .await;
    assert_eq!(
        (status, fault(&body)),
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            (
                "10000",
                "An application error has occurred while processing your request",
                "SystemFault"
            )
        )
    );
    assert_eq!(
        qbo.control("customers").await["Customer"],
        json!([]),
        "nothing applied"
    );
    let started = std::time::Instant::now();
    let (status, _) = qbo
        .post("/customer", &json!({ "DisplayName": "Unlucky" }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));

    sandbox.queue_faults(Profile::QuickBooks, [Fault::CutAfterWrite]);
    let cut = http()
        .post(qbo.url("/customer?requestid=cut-1"))
        .bearer_auth(&qbo.token)
        .json(&json!({ "DisplayName": "Cut Off" }))
        .send()
        .await
        .unwrap();
    assert_eq!(cut.status(), StatusCode::OK);
    assert!(cut.bytes().await.is_err(), "the body breaks off");
    let stored = qbo.control("customers").await;
    assert_eq!(
        stored["Customer"][1]["DisplayName"], "Cut Off",
        "the write was applied"
    );
    // The retry with the same requestid gets the original answer, no second record.
    let (status, body) = qbo
        .post(
            "/customer?requestid=cut-1",
            &json!({ "DisplayName": "Cut Off" }),
        )
        .await;
    assert_eq!(
        (status, body["Customer"]["Id"].clone()),
        (StatusCode::OK, stored["Customer"][1]["Id"].clone())
    );
    assert_eq!(
        qbo.control("customers").await["Customer"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(sandbox.faults_injected(Profile::QuickBooks), 4);
    let outcomes: Vec<String> = sandbox
        .log()
        .into_iter()
        .filter(|e| e.path.ends_with("/customer"))
        .map(|e| e.outcome)
        .collect();
    assert_eq!(outcomes[..4], ["injected_429", "injected_500", "ok", "cut"]);
}

#[tokio::test]
async fn the_fidelity_check_rejects_unknown_elements() {
    let schema = Schema::get();
    let good = json!({ "Customer": { "Id": "1", "DisplayName": "x", "sparse": false, "domain": "QBO",
        "CurrencyRef": { "value": "USD", "name": "US Dollar" }, "MetaData": { "CreateTime": "t" } }, "time": "t" });
    assert_eq!(schema.violations(&good), Vec::<String>::new());
    let bad = json!({ "Invoice": { "Line": [{ "SalesItemLineDetail": { "ItemRef": { "value": "1", "colour": "red" } } }], "Totally": 1 } });
    let violations = schema.violations(&bad);
    assert_eq!(violations.len(), 2, "{violations:?}");
    assert!(violations.iter().any(|v| v.contains("Invoice.Totally")));
    assert!(violations.iter().any(|v| v.contains("ItemRef.colour")));
    let nested =
        json!({ "QueryResponse": { "Customer": [{ "PrimaryEmailAddr": { "Adress": "typo" } }] } });
    assert_eq!(schema.violations(&nested).len(), 1);
}

//! QuickBooks Online money rules (issue 13): multicurrency as Intuit documents it
//! (Preferences, customer and transaction currencies, exchange rates, home amounts), negative
//! totals refused, and the `CreditMemo` entity. Every body received is checked against
//! Intuit's XSDs (`qbo_support`).
#![allow(clippy::unwrap_used)]

use crate::common;
use crate::qbo_support;

use common::*;
use ledgerlink_sandbox::{QBO_REALM_ID, SandboxHandle};
use qbo_support::{AU_REALM_ID, Qbo, Schema, au, us};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn reset(sandbox: &SandboxHandle, realm: &str, options: Value) -> (StatusCode, Value) {
    let response = http()
        .post(sandbox.url(&format!("/_sandbox/qbo/{realm}/reset")))
        .json(&options)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

/// `(code, Detail, element)` of the first error.
fn fault(body: &Value) -> (&str, &str, &str) {
    let error = &body["Fault"]["Error"][0];
    assert_eq!(body["Fault"]["type"], "ValidationFault", "{body}");
    (
        error["code"].as_str().unwrap(),
        error["Detail"].as_str().unwrap(),
        error["element"].as_str().unwrap_or(""),
    )
}

async fn customer(qbo: &Qbo, body: Value) -> Value {
    let (status, body) = qbo.post("/customer", &body).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["Customer"].clone()
}

fn line(qty: Value, price: Value, code: &str) -> Value {
    json!({
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": { "ItemRef": { "value": "1" }, "Qty": qty, "UnitPrice": price, "TaxCodeRef": { "value": code } },
    })
}

fn id(entity: &Value) -> String {
    entity["Id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn preferences_report_the_home_currency_and_the_multicurrency_switch() {
    let sandbox = start().await;
    let qbo = us(&sandbox).await;
    let (status, body) = qbo.get("/preferences?minorversion=75").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let prefs = &body["Preferences"]["CurrencyPrefs"];
    assert_eq!(prefs["MultiCurrencyEnabled"], false);
    assert_eq!(prefs["HomeCurrency"]["value"], "USD");
    assert_eq!(
        body["Preferences"]["SalesFormsPrefs"]["CustomTxnNumbers"],
        true
    );

    let (status, answer) = reset(&sandbox, QBO_REALM_ID, json!({ "multiCurrency": true })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        answer,
        json!({ "realmId": QBO_REALM_ID, "reset": true, "multiCurrency": true })
    );
    let (_, body) = qbo.get("/preferences").await;
    assert_eq!(
        body["Preferences"]["CurrencyPrefs"]["MultiCurrencyEnabled"],
        true
    );
    let (status, answer) = reset(&sandbox, QBO_REALM_ID, json!({ "multiCurrency": "yes" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    // A plain reset is single-currency again.
    assert_eq!(qbo.control("reset").await["reset"], true);
    let (_, body) = qbo.get("/preferences").await;
    assert_eq!(
        body["Preferences"]["CurrencyPrefs"]["MultiCurrencyEnabled"],
        false
    );
    let (status, body) = qbo
        .post(
            "/preferences",
            &json!({ "CurrencyPrefs": { "MultiCurrencyEnabled": true } }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let au = au(&sandbox).await;
    let (_, body) = au.get("/preferences").await;
    assert_eq!(
        body["Preferences"]["CurrencyPrefs"]["HomeCurrency"]["value"],
        "AUD"
    );
}

#[tokio::test]
async fn a_single_currency_company_refuses_foreign_currencies() {
    let sandbox = start().await;
    let qbo = us(&sandbox).await;
    let (status, body) = qbo
        .post(
            "/customer",
            &json!({ "DisplayName": "Tokyo Ltd", "CurrencyRef": { "value": "JPY" } }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        fault(&body),
        (
            "6000",
            "Business Validation Error: Multicurrency is not enabled for this company. Only the home \
             currency USD can be used; turn on multicurrency in QuickBooks (Account and Settings > \
             Advanced > Currency) to use JPY.",
            "CurrencyRef"
        )
    );
    assert_eq!(
        body["Fault"]["Error"][0]["Message"],
        "A business validation error has occurred while processing your request"
    );
    let acme = customer(
        &qbo,
        json!({ "DisplayName": "Acme", "CurrencyRef": { "value": "USD" } }),
    )
    .await;
    assert_eq!(acme["CurrencyRef"]["value"], "USD");
    let (status, body) = qbo
        .post(
            "/invoice",
            &json!({ "CustomerRef": { "value": id(&acme) }, "CurrencyRef": { "value": "AUD" },
                "Line": [line(json!(1), json!(100), "NON")] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(fault(&body).0, "6000");
    assert!(fault(&body).1.contains("to use AUD."), "{body}");
    // Home currency: no ExchangeRate or home amounts in a single-currency company.
    let (status, body) = qbo
        .post(
            "/invoice",
            &json!({ "CustomerRef": { "value": id(&acme) }, "CurrencyRef": { "value": "USD" },
                "Line": [line(json!(1), json!(100), "NON")] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let invoice = &body["Invoice"];
    assert_eq!(invoice["CurrencyRef"]["value"], "USD");
    for absent in ["ExchangeRate", "HomeTotalAmt", "HomeBalance"] {
        assert!(invoice.get(absent).is_none(), "{absent}: {invoice}");
    }
}

#[tokio::test]
async fn multicurrency_customers_invoices_rates_and_home_amounts() {
    let sandbox = start().await;
    let qbo = us(&sandbox).await;
    reset(&sandbox, QBO_REALM_ID, json!({ "multiCurrency": true })).await;
    let home = customer(&qbo, json!({ "DisplayName": "Home Co" })).await;
    assert_eq!(
        home["CurrencyRef"],
        json!({ "value": "USD", "name": "United States Dollar" })
    );
    let sydney = customer(
        &qbo,
        json!({ "DisplayName": "Sydney Pty", "CurrencyRef": { "value": "AUD" } }),
    )
    .await;
    assert_eq!(sydney["CurrencyRef"]["value"], "AUD");
    let (status, body) = qbo
        .post(
            "/customer",
            &json!({ "DisplayName": "Nowhere", "CurrencyRef": { "value": "XYZ" } }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        fault(&body),
        (
            "2500",
            "Invalid Reference Id : Currency element id XYZ not found",
            "CurrencyRef"
        )
    );

    // The customer's currency is fixed: a sparse or full update naming another is refused;
    // one without CurrencyRef keeps it.
    let (status, body) = qbo
        .post(
            "/customer",
            &json!({ "Id": id(&sydney), "SyncToken": "0", "sparse": true, "CurrencyRef": { "value": "USD" } }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        fault(&body),
        (
            "6000",
            "Business Validation Error: You can't change the currency of a customer once it's set. \
             Customer currency: AUD, supplied: USD",
            "CurrencyRef"
        )
    );
    let (status, body) = qbo
        .post(
            "/customer",
            &json!({ "Id": id(&sydney), "SyncToken": "0", "DisplayName": "Sydney Pty Ltd" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["Customer"]["CurrencyRef"]["value"], "AUD");

    // An invoice is in its customer's currency, with the sandbox rate (0.65 USD per AUD).
    let (status, body) = qbo
        .post(
            "/invoice",
            &json!({ "CustomerRef": { "value": id(&sydney) },
                "Line": [line(json!(3), json!(33.33), "NON")] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let invoice = &body["Invoice"];
    assert_eq!(invoice["CurrencyRef"]["value"], "AUD");
    assert_eq!(invoice["ExchangeRate"], json!(0.65));
    assert_eq!(invoice["TotalAmt"], json!(99.99));
    // 99.99 × 0.65 = 64.9935 → 64.99
    assert_eq!(invoice["HomeTotalAmt"], json!(64.99));
    assert_eq!(invoice["HomeBalance"], json!(64.99));

    // A supplied rate wins; the currency must be the customer's.
    let (status, body) = qbo
        .post(
            "/invoice",
            &json!({ "CustomerRef": { "value": id(&sydney) }, "CurrencyRef": { "value": "AUD" },
                "ExchangeRate": 0.6612, "Line": [line(json!(1), json!(1000), "NON")] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["Invoice"]["ExchangeRate"], json!(0.6612));
    assert_eq!(body["Invoice"]["HomeTotalAmt"], json!(661.2));
    let (status, body) = qbo
        .post(
            "/invoice",
            &json!({ "CustomerRef": { "value": id(&sydney) }, "CurrencyRef": { "value": "EUR" },
                "Line": [line(json!(1), json!(10), "NON")] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        fault(&body),
        (
            "6000",
            "Business Validation Error: The currency of the transaction (EUR) must be the currency \
             of the customer (AUD). Customer: Sydney Pty Ltd",
            "CurrencyRef"
        )
    );
    let (status, body) = qbo
        .post(
            "/invoice",
            &json!({ "CustomerRef": { "value": id(&sydney) }, "ExchangeRate": 0,
                "Line": [line(json!(1), json!(10), "NON")] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(fault(&body).0, "2010");
    // A home-currency invoice in a multicurrency company: rate 1, home amounts = amounts.
    let (status, body) = qbo
        .post(
            "/invoice",
            &json!({ "CustomerRef": { "value": id(&home) }, "Line": [line(json!(2), json!(10.5), "TAX")] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["Invoice"]["ExchangeRate"], json!(1));
    assert_eq!(body["Invoice"]["TotalAmt"], json!(22.79));
    assert_eq!(body["Invoice"]["HomeTotalAmt"], json!(22.79));

    // JPY (no minor unit): the rate per yen, home amounts in cents.
    let tokyo = customer(
        &qbo,
        json!({ "DisplayName": "Tokyo KK", "CurrencyRef": { "value": "JPY" } }),
    )
    .await;
    let (status, body) = qbo
        .post(
            "/invoice",
            &json!({ "CustomerRef": { "value": id(&tokyo) }, "Line": [line(json!(1), json!(12345), "NON")] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["Invoice"]["ExchangeRate"], json!(0.0067));
    // 12345 × 0.0067 = 82.7115 → 82.71
    assert_eq!(body["Invoice"]["HomeTotalAmt"], json!(82.71));

    // Queries return (and filter by) CurrencyRef.
    let (status, body) = qbo
        .query("select * from Invoice where CurrencyRef = 'AUD'")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let found = body["QueryResponse"]["Invoice"].as_array().unwrap();
    assert_eq!(found.len(), 2);
    assert!(found.iter().all(|i| i["CurrencyRef"]["value"] == "AUD"));
    let (_, body) = qbo
        .query("select * from Customer where CurrencyRef = 'JPY'")
        .await;
    assert_eq!(
        body["QueryResponse"]["Customer"][0]["DisplayName"],
        "Tokyo KK"
    );

    // A payment is in the customer's currency and lowers HomeBalance too.
    let invoice_id = id(invoice);
    let (status, body) = qbo
        .post(
            "/payment",
            &json!({ "CustomerRef": { "value": id(&sydney) }, "TotalAmt": 50,
                "Line": [{ "Amount": 50, "LinkedTxn": [{ "TxnId": invoice_id, "TxnType": "Invoice" }] }] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["Payment"]["CurrencyRef"]["value"], "AUD");
    let (_, body) = qbo.get(&format!("/invoice/{invoice_id}")).await;
    assert_eq!(body["Invoice"]["Balance"], json!(49.99));
    // 49.99 × 0.65 = 32.4935 → 32.49
    assert_eq!(body["Invoice"]["HomeBalance"], json!(32.49));
}

#[tokio::test]
async fn the_au_company_is_aud_at_home() {
    let sandbox = start().await;
    let qbo = au(&sandbox).await;
    reset(&sandbox, AU_REALM_ID, json!({ "multiCurrency": true })).await;
    let us_client = customer(
        &qbo,
        json!({ "DisplayName": "Boston Inc", "CurrencyRef": { "value": "USD" } }),
    )
    .await;
    let (status, body) = qbo
        .post(
            "/invoice",
            &json!({ "CustomerRef": { "value": id(&us_client) }, "GlobalTaxCalculation": "TaxExcluded",
                "Line": [line(json!(1), json!(200), "11")] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["Invoice"]["CurrencyRef"]["value"], "USD");
    assert_eq!(body["Invoice"]["ExchangeRate"], json!(1.5));
    assert_eq!(body["Invoice"]["HomeTotalAmt"], json!(300));
}

#[tokio::test]
async fn negative_invoice_totals_are_refused_but_negative_lines_are_not() {
    let sandbox = start().await;
    let qbo = us(&sandbox).await;
    let acme = customer(&qbo, json!({ "DisplayName": "Acme" })).await;
    let (status, body) = qbo
        .post(
            "/invoice",
            &json!({ "CustomerRef": { "value": id(&acme) },
                "Line": [line(json!(1), json!(-10), "NON")] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        fault(&body),
        (
            "6000",
            "Business Validation Error: Invoice amount cannot be negative. TotalAmt:-10",
            "TotalAmt"
        )
    );
    let (status, body) = qbo
        .post(
            "/invoice",
            &json!({ "CustomerRef": { "value": id(&acme) },
                "Line": [line(json!(1), json!(100), "NON"), line(json!(2), json!(-25), "NON")] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["Invoice"]["TotalAmt"], json!(50));
    // An update that would make it negative is refused too.
    let (status, body) = qbo
        .post(
            "/invoice",
            &json!({ "Id": id(&body["Invoice"]), "SyncToken": "0", "sparse": true,
                "Line": [line(json!(1), json!(-0.01), "NON")] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(fault(&body).2, "TotalAmt");
}

#[tokio::test]
async fn credit_memos_create_read_update_delete_query_and_numbers() {
    let sandbox = start().await;
    let qbo = us(&sandbox).await;
    let acme = customer(&qbo, json!({ "DisplayName": "Acme" })).await;
    let (status, body) = qbo
        .post(
            "/creditmemo?minorversion=75",
            &json!({ "CustomerRef": { "value": id(&acme) }, "DocNumber": "CM-1", "TxnDate": "2026-11-20",
                "PrivateNote": "Tracker Pro job J-1",
                "Line": [line(json!(2), json!(40), "TAX"), line(json!(1), json!(10), "NON")] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let memo = body["CreditMemo"].clone();
    // 80 taxed at 8.5 % = 6.80, + 10 untaxed.
    assert_eq!(memo["TotalAmt"], json!(96.8));
    assert_eq!(memo["TxnTaxDetail"]["TotalTax"], json!(6.8));
    assert_eq!(memo["Balance"], json!(96.8));
    assert_eq!(memo["RemainingCredit"], json!(96.8));
    assert_eq!(memo["CurrencyRef"]["value"], "USD");
    assert_eq!(memo["SyncToken"], "0");
    let memo_id = id(&memo);
    let (_, body) = qbo.get(&format!("/customer/{}", id(&acme))).await;
    assert_eq!(body["Customer"]["Balance"], json!(-96.8), "a credit");

    let (status, body) = qbo.get(&format!("/creditmemo/{memo_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["CreditMemo"]["DocNumber"], "CM-1");

    // The same number on another credit memo is refused; on an invoice it is not.
    let (status, body) = qbo
        .post(
            "/creditmemo",
            &json!({ "CustomerRef": { "value": id(&acme) }, "DocNumber": "CM-1",
                "Line": [line(json!(1), json!(1), "NON")] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (code, detail, element) = fault(&body);
    assert_eq!((code, element), ("6140", "DocNumber"));
    assert!(
        detail.ends_with(&format!(
            "DocNumber=CM-1 is assigned to TxnType=CreditMemo with TxnId={memo_id}"
        )),
        "{detail}"
    );
    let (status, body) = qbo
        .post(
            "/invoice",
            &json!({ "CustomerRef": { "value": id(&acme) }, "DocNumber": "CM-1",
                "Line": [line(json!(1), json!(1), "NON")] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Without a number: the next of the shared sales-form sequence.
    let (_, body) = qbo
        .post(
            "/creditmemo",
            &json!({ "CustomerRef": { "value": id(&acme) }, "Line": [line(json!(1), json!(1), "NON")] }),
        )
        .await;
    assert_eq!(body["CreditMemo"]["DocNumber"], "1001");
    let (_, body) = qbo
        .post(
            "/invoice",
            &json!({ "CustomerRef": { "value": id(&acme) }, "Line": [line(json!(1), json!(1), "NON")] }),
        )
        .await;
    assert_eq!(body["Invoice"]["DocNumber"], "1002");

    // Negative totals refused.
    let (status, body) = qbo
        .post(
            "/creditmemo",
            &json!({ "CustomerRef": { "value": id(&acme) }, "Line": [line(json!(1), json!(-5), "NON")] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        fault(&body).1,
        "Business Validation Error: CreditMemo amount cannot be negative. TotalAmt:-5"
    );

    // Sparse update, stale SyncToken, full update.
    let (status, body) = qbo
        .post(
            "/creditmemo",
            &json!({ "Id": memo_id, "SyncToken": "0", "sparse": true, "PrivateNote": "changed" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["CreditMemo"]["SyncToken"], "1");
    assert_eq!(body["CreditMemo"]["TotalAmt"], json!(96.8));
    assert_eq!(body["CreditMemo"]["PrivateNote"], "changed");
    let (status, body) = qbo
        .post(
            "/creditmemo",
            &json!({ "Id": memo_id, "SyncToken": "0", "sparse": true, "PrivateNote": "late" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(fault(&body).0, "5010");
    let (status, body) = qbo
        .post(
            "/creditmemo",
            &json!({ "Id": memo_id, "SyncToken": "1", "CustomerRef": { "value": id(&acme) },
                "DocNumber": "CM-1", "Line": [line(json!(1), json!(20), "NON")] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["CreditMemo"]["TotalAmt"], json!(20));
    assert!(body["CreditMemo"].get("PrivateNote").is_none());

    // Query.
    let (status, body) = qbo
        .query("select * from CreditMemo where DocNumber = 'CM-1'")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["QueryResponse"]["CreditMemo"][0]["Id"],
        memo_id.as_str()
    );
    let (_, body) = qbo.query("select count(*) from CreditMemo").await;
    assert_eq!(body["QueryResponse"]["totalCount"], 2);

    // Void is not offered for credit memos; delete is.
    let (status, body) = qbo
        .post(
            "/creditmemo?operation=void",
            &json!({ "Id": memo_id, "SyncToken": "2" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(fault(&body).0, "500");
    let (status, body) = qbo
        .post(
            "/creditmemo?operation=delete",
            &json!({ "Id": memo_id, "SyncToken": "2" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["CreditMemo"]["status"], "Deleted");
    let (status, body) = qbo.get(&format!("/creditmemo/{memo_id}")).await;
    assert_eq!((status, fault(&body).0), (StatusCode::BAD_REQUEST, "610"));

    // The control dump keeps the deleted one.
    let dump = qbo.control("creditmemos").await;
    let memos = dump["CreditMemo"].as_array().unwrap();
    assert_eq!(memos.len(), 2);
    assert_eq!(memos[0]["status"], "Deleted");
    qbo_support::assert_faithful(&json!({ "CreditMemo": memos[1] }));
}

#[tokio::test]
async fn credit_memos_in_batches_cdc_requestid_and_foreign_currency() {
    let sandbox = start().await;
    let qbo = us(&sandbox).await;
    reset(&sandbox, QBO_REALM_ID, json!({ "multiCurrency": true })).await;
    let euro = customer(
        &qbo,
        json!({ "DisplayName": "Paris SA", "CurrencyRef": { "value": "EUR" } }),
    )
    .await;
    let batch = json!({ "BatchItemRequest": [
        { "bId": "0", "operation": "create", "CreditMemo": { "CustomerRef": { "value": id(&euro) },
            "Line": [line(json!(1), json!(100), "NON")] } },
        { "bId": "1", "operation": "create", "CreditMemo": { "CustomerRef": { "value": id(&euro) },
            "CurrencyRef": { "value": "GBP" }, "Line": [line(json!(1), json!(100), "NON")] } },
        { "bId": "2", "Query": "select * from CreditMemo" },
    ] });
    let (status, first) = qbo.post("/batch?requestid=cm-batch-1", &batch).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let items = first["BatchItemResponse"].as_array().unwrap();
    let memo = &items[0]["CreditMemo"];
    assert_eq!(memo["CurrencyRef"]["value"], "EUR");
    assert_eq!(memo["ExchangeRate"], json!(1.08));
    assert_eq!(memo["HomeTotalAmt"], json!(108));
    assert_eq!(items[1]["Fault"]["Error"][0]["code"], "6000");
    assert_eq!(items[1]["Fault"]["Error"][0]["element"], "CurrencyRef");
    assert_eq!(
        items[2]["QueryResponse"]["CreditMemo"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // The same requestid replays the first answer and writes nothing.
    let (_, again) = qbo.post("/batch?requestid=cm-batch-1", &batch).await;
    assert_eq!(again, first);
    assert_eq!(
        qbo.control("creditmemos").await["CreditMemo"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Single-entity requestid too.
    let single =
        json!({ "CustomerRef": { "value": id(&euro) }, "Line": [line(json!(1), json!(5), "NON")] });
    let (_, one) = qbo.post("/creditmemo?requestid=cm-one", &single).await;
    let (_, two) = qbo.post("/creditmemo?requestid=cm-one", &single).await;
    assert_eq!(one, two);

    // Delete through a batch, then CDC shows it deleted.
    let memo_id = id(memo);
    let (_, body) = qbo
        .post(
            "/batch",
            &json!({ "BatchItemRequest": [{ "bId": "d", "operation": "delete",
                "CreditMemo": { "Id": memo_id, "SyncToken": "0" } }] }),
        )
        .await;
    assert_eq!(
        body["BatchItemResponse"][0]["CreditMemo"]["status"],
        "Deleted"
    );
    let since =
        chrono::DateTime::<chrono::Utc>::from(sandbox.now() - std::time::Duration::from_secs(3600))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (status, body) = qbo
        .get(&format!("/cdc?entities=CreditMemo&changedSince={since}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let changed = body["CDCResponse"][0]["QueryResponse"][0]["CreditMemo"]
        .as_array()
        .unwrap();
    assert_eq!(changed.len(), 2);
    assert!(
        changed
            .iter()
            .any(|m| m["Id"] == memo_id.as_str() && m["status"] == "Deleted")
    );
}

#[tokio::test]
async fn the_fidelity_check_knows_the_new_elements() {
    let schema = Schema::get();
    let good = json!({
        "Preferences": { "Id": "1", "CurrencyPrefs": { "MultiCurrencyEnabled": true, "HomeCurrency": { "value": "USD" } },
            "SalesFormsPrefs": { "CustomTxnNumbers": true } },
        "time": "t",
    });
    assert_eq!(schema.violations(&good), Vec::<String>::new());
    let memo = json!({ "CreditMemo": { "Id": "1", "RemainingCredit": 1, "ExchangeRate": 0.65,
        "HomeTotalAmt": 1, "HomeBalance": 1, "CurrencyRef": { "value": "AUD" } } });
    assert_eq!(schema.violations(&memo), Vec::<String>::new());
    let bad = json!({ "CreditMemo": { "HomeTotal": 1 }, "Preferences": { "CurrencyPrefs": { "Multi": true } } });
    assert_eq!(schema.violations(&bad).len(), 2);
}

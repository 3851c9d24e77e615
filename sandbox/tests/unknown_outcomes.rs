//! Writes whose outcome the client cannot know, for both vendors: a write
//! dropped before it is applied (the client sees the same cut as after an
//! applied write, and the company holds nothing), a write applied and then
//! answered too late (the client times out, and the company holds the
//! record), and fault switches kept per company (a Xero tenant, a QuickBooks
//! realm) and cleared by that company's reset.
#![allow(clippy::unwrap_used)]

use crate::common;
use crate::qbo_support;
use crate::xero_support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::*;
use ledgerlink_sandbox::{
    Company, Fault, Profile, QBO_REALM_ID, SandboxHandle, XERO_TENANT_NZ_ID, XERO_TENANT_US_ID,
};
use qbo_support::{AU_REALM_ID, Qbo};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use xero_support::{Api, BASE};

/// Shorter than every `TimeoutAfterApply` delay below that must outlast it.
const CLIENT_TIMEOUT: Duration = Duration::from_millis(400);
/// A delay the impatient client does not wait for.
const LATE: Fault = Fault::TimeoutAfterApply { millis: 3_000 };

fn company(profile: Profile, id: &str) -> Company {
    Company::find(profile, id).unwrap()
}

fn impatient() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(CLIENT_TIMEOUT)
        .build()
        .unwrap()
}

fn header_names(headers: &HeaderMap) -> BTreeSet<String> {
    headers
        .keys()
        .map(|name| name.as_str().to_owned())
        .collect()
}

/// The `field` of every record in `records`.
fn fields(records: &[Value], field: &str) -> Vec<String> {
    records
        .iter()
        .map(|record| record[field].as_str().unwrap().to_owned())
        .collect()
}

/// The log outcomes of the sandbox's requests to paths ending in `tail`.
fn outcomes(sandbox: &SandboxHandle, method: &str, tail: &str) -> Vec<String> {
    sandbox
        .log()
        .into_iter()
        .filter(|entry| entry.method == method && entry.path.ends_with(tail))
        .map(|entry| entry.outcome)
        .collect()
}

/// `GET`, `POST` or `DELETE /_sandbox/faults`.
async fn faults_control(
    sandbox: &SandboxHandle,
    method: Method,
    query: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = http().request(method, sandbox.url(&format!("/_sandbox/faults{query}")));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

// ---------------------------------------------------------------- Xero

fn xero_invoice(reference: &str) -> Value {
    json!({"Invoices": [{"Type": "ACCREC", "Contact": {"Name": "Acme Ltd"}, "Reference": reference,
        "Date": "2024-05-01", "DueDate": "2024-05-31", "LineItems": [{"Description": "Work",
        "Quantity": 1, "UnitAmount": 100, "AccountCode": "200", "TaxType": "OUTPUT2"}]}]})
}

/// Sends `body` as the connected client to tenant `tenant`, with a client that gives up
/// after [`CLIENT_TIMEOUT`].
async fn xero_impatient(
    api: &Api,
    method: Method,
    path: &str,
    body: &Value,
) -> reqwest::Result<reqwest::Response> {
    impatient()
        .request(method, api.sandbox.url(&format!("{BASE}/{path}")))
        .bearer_auth(&api.token)
        .header("xero-tenant-id", api.tenant)
        .json(body)
        .send()
        .await
}

#[tokio::test]
async fn xero_drop_before_apply_cuts_like_an_applied_write_but_stores_nothing() {
    let api = Api::start().await;
    let nz = company(Profile::Xero, XERO_TENANT_NZ_ID);
    api.sandbox
        .queue_faults(nz, [Fault::DropBeforeApply, Fault::DropBeforeApply]);

    // A read before it is served normally; the drop waits for the next write.
    assert_eq!(api.get("Contacts").await.status, StatusCode::OK);
    let contact = json!({"Contacts": [{"Name": "Dropped Ltd"}]});
    let send_keyed = || {
        api.call(
            Method::PUT,
            "Contacts",
            Some(&contact),
            &[("Idempotency-Key", "drop-1")],
        )
    };
    let dropped = send_keyed().await;
    assert!(dropped.cut, "no complete answer: {}", dropped.text);
    assert_eq!(dropped.body, Value::Null);
    assert!(
        api.contacts().await.is_empty(),
        "the contact was not stored"
    );

    let invoice = api.post("Invoices", &xero_invoice("dropped")).await;
    assert!(invoice.cut, "no complete answer: {}", invoice.text);
    assert!(
        api.invoices().await.is_empty(),
        "the invoice was not stored"
    );
    assert!(api.contacts().await.is_empty(), "nor its contact");

    // A cut after an applied write looks the same to the client.
    api.sandbox.queue_faults(nz, [Fault::CutAfterWrite]);
    let applied = api.put("Contacts", &json!({"Name": "Applied Ltd"})).await;
    assert!(applied.cut);
    assert_eq!(
        (applied.status, header_names(&applied.headers)),
        (dropped.status, header_names(&dropped.headers))
    );
    assert_eq!(fields(&api.contacts().await, "Name"), ["Applied Ltd"]);

    // The dropped write's key was never used: sending it again creates the contact once.
    let retry = send_keyed().await;
    assert_eq!(retry.status, StatusCode::OK, "{}", retry.text);
    assert_eq!(
        fields(&api.contacts().await, "Name"),
        ["Applied Ltd", "Dropped Ltd"]
    );
    assert_eq!(api.sandbox.faults_injected(nz), 3);
    assert_eq!(
        outcomes(&api.sandbox, "PUT", "/Contacts"),
        ["drop_before_apply", "cut_after_write", "ok"]
    );
    assert_eq!(
        outcomes(&api.sandbox, "POST", "/Invoices"),
        ["drop_before_apply"]
    );
}

#[tokio::test]
async fn xero_timeout_after_apply_times_the_client_out_but_stores_the_record() {
    let api = Api::start().await;
    let nz = company(Profile::Xero, XERO_TENANT_NZ_ID);
    api.sandbox.queue_faults(nz, [LATE, LATE]);

    let gave_up = xero_impatient(
        &api,
        Method::PUT,
        "Contacts",
        &json!({"Contacts": [{"Name": "Late Ltd"}]}),
    )
    .await
    .unwrap_err();
    assert!(gave_up.is_timeout(), "{gave_up}");
    assert_eq!(fields(&api.contacts().await, "Name"), ["Late Ltd"]);

    let gave_up = xero_impatient(&api, Method::POST, "Invoices", &xero_invoice("late"))
        .await
        .unwrap_err();
    assert!(gave_up.is_timeout(), "{gave_up}");
    assert_eq!(fields(&api.invoices().await, "Reference"), ["late"]);

    // A client that waits long enough gets the real answer, late.
    api.sandbox
        .queue_faults(nz, [Fault::TimeoutAfterApply { millis: 300 }]);
    let started = Instant::now();
    let patient = api.put("Contacts", &json!({"Name": "Patient Ltd"})).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(patient.status, StatusCode::OK, "{}", patient.text);
    assert_eq!(patient.body["Contacts"][0]["Name"], "Patient Ltd");
    assert_eq!(
        fields(&api.contacts().await, "Name"),
        ["Late Ltd", "Acme Ltd", "Patient Ltd"]
    );
    assert_eq!(api.sandbox.faults_injected(nz), 3);
    assert_eq!(
        outcomes(&api.sandbox, "PUT", "/Contacts").last().unwrap(),
        "timeout_after_apply"
    );
}

#[tokio::test]
async fn xero_faults_are_per_tenant_and_a_tenant_reset_clears_them() {
    let api = Api::start().await;
    let us_tenant = [("xero-tenant-id", XERO_TENANT_US_ID)];
    // Queued over HTTP for the NZ tenant only.
    let (status, body) = faults_control(
        &api.sandbox,
        Method::POST,
        "",
        Some(json!({"profile": "xero", "company": XERO_TENANT_NZ_ID,
                    "queue": [{"kind": "drop_before_apply"}, {"kind": "drop_before_apply"}]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"profile": "xero", "company": XERO_TENANT_NZ_ID, "injected": 0, "queued": 2})
    );

    // The US tenant's writes are not touched.
    let us = api
        .call(
            Method::PUT,
            "Contacts",
            Some(&json!({"Name": "US Ltd"})),
            &us_tenant,
        )
        .await;
    assert_eq!(us.status, StatusCode::OK, "{}", us.text);
    assert_eq!(
        fields(&api.dump(XERO_TENANT_US_ID, "contacts").await, "Name"),
        ["US Ltd"]
    );
    let us_company = company(Profile::Xero, XERO_TENANT_US_ID);
    assert_eq!(api.sandbox.faults_injected(us_company), 0);

    // The NZ tenant's are.
    let nz = api.put("Contacts", &json!({"Name": "NZ Ltd"})).await;
    assert!(nz.cut);
    assert!(api.contacts().await.is_empty());
    let query = format!("?profile=xero&company={XERO_TENANT_NZ_ID}");
    let (_, body) = faults_control(&api.sandbox, Method::GET, &query, None).await;
    assert_eq!((&body["injected"], &body["queued"]), (&json!(1), &json!(1)));

    // A reset of NZ clears its queue and its count, and nothing of US.
    api.sandbox.queue_faults(us_company, [Fault::ServerError]);
    let reset = api
        .call(
            Method::POST,
            &format!("/_sandbox/xero/{XERO_TENANT_NZ_ID}/reset"),
            None,
            &[],
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK);
    let (_, body) = faults_control(&api.sandbox, Method::GET, &query, None).await;
    assert_eq!((&body["injected"], &body["queued"]), (&json!(0), &json!(0)));
    let nz = api.put("Contacts", &json!({"Name": "NZ Ltd"})).await;
    assert_eq!(nz.status, StatusCode::OK, "{}", nz.text);
    assert_eq!(fields(&api.contacts().await, "Name"), ["NZ Ltd"]);
    assert_eq!(api.sandbox.faults_queued(us_company), 1);
    let us = api
        .call(
            Method::PUT,
            "Contacts",
            Some(&json!({"Name": "US Two"})),
            &us_tenant,
        )
        .await;
    assert_eq!(us.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(api.sandbox.faults_injected(us_company), 1);
    assert_eq!(api.sandbox.faults_injected(Profile::Xero), 1);
}

// ---------------------------------------------------------------- QuickBooks

async fn qbo_customers(qbo: &Qbo) -> Vec<Value> {
    qbo.control("customers").await["Customer"]
        .as_array()
        .unwrap()
        .clone()
}

fn qbo_batch(names: &[&str]) -> Value {
    let items: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(n, name)| json!({ "bId": n.to_string(), "operation": "create", "Customer": { "DisplayName": name } }))
        .collect();
    json!({ "BatchItemRequest": items })
}

/// POSTs `body` to `tail` of `qbo`'s realm and returns the raw response.
async fn qbo_send(
    client: &reqwest::Client,
    qbo: &Qbo,
    tail: &str,
    body: &Value,
) -> reqwest::Result<reqwest::Response> {
    client
        .post(qbo.url(tail))
        .bearer_auth(&qbo.token)
        .json(body)
        .send()
        .await
}

#[tokio::test]
async fn quickbooks_drop_before_apply_cuts_like_an_applied_write_but_stores_nothing() {
    let sandbox = start().await;
    let qbo = qbo_support::us(&sandbox).await;
    let realm = company(Profile::QuickBooks, QBO_REALM_ID);
    sandbox.queue_faults(realm, [Fault::DropBeforeApply, Fault::DropBeforeApply]);

    // A read before it is served normally; the drop waits for the next write.
    let (status, _) = qbo.get("/item/1").await;
    assert_eq!(status, StatusCode::OK);
    let client = http();
    let customer = json!({ "DisplayName": "Dropped Co" });
    let dropped = qbo_send(&client, &qbo, "/customer?requestid=drop-1", &customer)
        .await
        .unwrap();
    let (status, headers) = (dropped.status(), header_names(dropped.headers()));
    assert!(dropped.bytes().await.is_err(), "no complete answer");
    assert_eq!(qbo_customers(&qbo).await, Vec::<Value>::new());

    let batch = qbo_send(&client, &qbo, "/batch", &qbo_batch(&["B1", "B2"]))
        .await
        .unwrap();
    assert!(batch.bytes().await.is_err(), "no complete answer");
    assert_eq!(qbo_customers(&qbo).await, Vec::<Value>::new());

    // A cut after an applied write looks the same to the client.
    sandbox.queue_faults(realm, [Fault::CutAfterWrite]);
    let applied = qbo_send(
        &client,
        &qbo,
        "/customer",
        &json!({ "DisplayName": "Applied Co" }),
    )
    .await
    .unwrap();
    assert_eq!(
        (applied.status(), header_names(applied.headers())),
        (status, headers)
    );
    assert!(applied.bytes().await.is_err());
    assert_eq!(
        fields(&qbo_customers(&qbo).await, "DisplayName"),
        ["Applied Co"]
    );

    // The dropped write's requestid was never used: sending it again creates it once.
    let (status, body) = qbo.post("/customer?requestid=drop-1", &customer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        fields(&qbo_customers(&qbo).await, "DisplayName"),
        ["Applied Co", "Dropped Co"]
    );
    assert_eq!(sandbox.faults_injected(realm), 3);
    assert_eq!(
        outcomes(&sandbox, "POST", "/customer"),
        ["drop_before_apply", "cut", "ok"]
    );
    assert_eq!(outcomes(&sandbox, "POST", "/batch"), ["drop_before_apply"]);
}

#[tokio::test]
async fn quickbooks_timeout_after_apply_times_the_client_out_but_stores_the_record() {
    let sandbox = start().await;
    let qbo = qbo_support::us(&sandbox).await;
    let realm = company(Profile::QuickBooks, QBO_REALM_ID);
    let (status, body) = qbo
        .post("/customer", &json!({ "DisplayName": "Late Co" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["Customer"]["Id"].as_str().unwrap().to_owned();
    sandbox.queue_faults(realm, [LATE, LATE]);

    // An update.
    let update = json!({ "Id": id, "SyncToken": "0", "sparse": true, "CompanyName": "Late Ltd" });
    let gave_up = qbo_send(&impatient(), &qbo, "/customer", &update)
        .await
        .unwrap_err();
    assert!(gave_up.is_timeout(), "{gave_up}");
    let stored = qbo_customers(&qbo).await;
    assert_eq!(
        (&stored[0]["CompanyName"], &stored[0]["SyncToken"]),
        (&json!("Late Ltd"), &json!("1"))
    );

    // A batch.
    let gave_up = qbo_send(&impatient(), &qbo, "/batch", &qbo_batch(&["B1", "B2"]))
        .await
        .unwrap_err();
    assert!(gave_up.is_timeout(), "{gave_up}");
    assert_eq!(
        fields(&qbo_customers(&qbo).await, "DisplayName"),
        ["Late Co", "B1", "B2"]
    );

    // A client that waits long enough gets the real answer, late.
    sandbox.queue_faults(realm, [Fault::TimeoutAfterApply { millis: 300 }]);
    let started = Instant::now();
    let (status, body) = qbo
        .post("/customer", &json!({ "DisplayName": "Patient Co" }))
        .await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(
        (status, &body["Customer"]["DisplayName"]),
        (StatusCode::OK, &json!("Patient Co"))
    );
    assert_eq!(qbo_customers(&qbo).await.len(), 4);
    assert_eq!(sandbox.faults_injected(realm), 3);
    assert_eq!(
        outcomes(&sandbox, "POST", "/customer").last().unwrap(),
        "timeout_after_apply"
    );
}

#[tokio::test]
async fn quickbooks_faults_are_per_realm_and_a_realm_reset_clears_them() {
    let sandbox = start().await;
    let us = qbo_support::us(&sandbox).await;
    let au = qbo_support::au(&sandbox).await;
    let (status, body) = faults_control(
        &sandbox,
        Method::POST,
        "",
        Some(json!({"profile": "qbo", "company": QBO_REALM_ID,
                    "queue": [{"kind": "drop_before_apply"}, {"kind": "timeout_after_apply", "millis": 3000}]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"profile": "quickbooks", "company": QBO_REALM_ID, "injected": 0, "queued": 2})
    );

    // The AU realm's writes are not touched.
    let (status, body) = au
        .post("/customer", &json!({ "DisplayName": "AU Co" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(fields(&qbo_customers(&au).await, "DisplayName"), ["AU Co"]);
    let au_company = company(Profile::QuickBooks, AU_REALM_ID);
    assert_eq!(sandbox.faults_injected(au_company), 0);

    // The US realm's are.
    let dropped = qbo_send(
        &http(),
        &us,
        "/customer",
        &json!({ "DisplayName": "US Co" }),
    )
    .await
    .unwrap();
    assert!(dropped.bytes().await.is_err());
    assert_eq!(qbo_customers(&us).await, Vec::<Value>::new());
    let query = format!("?profile=quickbooks&company={QBO_REALM_ID}");
    let (_, body) = faults_control(&sandbox, Method::GET, &query, None).await;
    assert_eq!((&body["injected"], &body["queued"]), (&json!(1), &json!(1)));

    // A reset of US clears its queue (the timeout never fires) and its count.
    sandbox.queue_faults(au_company, [Fault::ServerError]);
    let reset = us.control("reset").await;
    assert_eq!(reset["reset"], true);
    let (_, body) = faults_control(&sandbox, Method::GET, &query, None).await;
    assert_eq!((&body["injected"], &body["queued"]), (&json!(0), &json!(0)));
    let started = Instant::now();
    let (status, body) = us
        .post("/customer", &json!({ "DisplayName": "US Co" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(started.elapsed() < Duration::from_secs(3), "not held back");
    assert_eq!(fields(&qbo_customers(&us).await, "DisplayName"), ["US Co"]);
    // ... and nothing of AU.
    assert_eq!(sandbox.faults_queued(au_company), 1);
    let (status, _) = au
        .post("/customer", &json!({ "DisplayName": "AU Two" }))
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(sandbox.faults_injected(Profile::QuickBooks), 1);
}

// ---------------------------------------------------------------- the control endpoint

#[tokio::test]
async fn the_faults_endpoint_refuses_unknown_companies_and_impossible_rates() {
    let sandbox = start().await;
    let (status, body) = faults_control(
        &sandbox,
        Method::POST,
        "",
        Some(json!({"profile": "xero", "company": QBO_REALM_ID, "queue": [{"kind": "server_error"}]})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body["error"],
        format!(
            "the sandbox has no Xero tenant \"{QBO_REALM_ID}\"; its Xero tenants are \
             {XERO_TENANT_NZ_ID}, {XERO_TENANT_US_ID}"
        )
    );
    assert_eq!(sandbox.faults_queued(Profile::Xero), 0, "nothing queued");

    let (status, body) = faults_control(
        &sandbox,
        Method::POST,
        "",
        Some(json!({"profile": "quickbooks", "company": AU_REALM_ID,
                    "rates": {"drop_before_apply": 600, "timeout_after_apply": 600, "timeout_millis": 100}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"],
        "the rates add up to 1200 per mille; at most 1000 of every 1000 requests can fail"
    );

    // Vendor-wide switches still work, and a vendor's clear covers its companies.
    let (status, body) = faults_control(
        &sandbox,
        Method::POST,
        "",
        Some(json!({"profile": "quickbooks", "queue": [{"kind": "server_error"}]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["company"], Value::Null);
    sandbox.queue_faults(
        company(Profile::QuickBooks, AU_REALM_ID),
        [Fault::DropBeforeApply],
    );
    let (_, body) = faults_control(&sandbox, Method::GET, "?profile=quickbooks", None).await;
    assert_eq!(body["queued"], 2);
    let (status, body) =
        faults_control(&sandbox, Method::DELETE, "?profile=quickbooks", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (&body["cleared"], &body["queued"]),
        (&json!(true), &json!(0))
    );

    let time_scale = |method: Method, body: Option<Value>| {
        let mut request = http().request(method, sandbox.url("/_sandbox/time-scale"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let body: Value = request.send().await.unwrap().json().await.unwrap();
            body
        }
    };
    assert_eq!(time_scale(Method::GET, None).await, json!({"scale": 1}));
    assert_eq!(
        time_scale(Method::POST, Some(json!({"scale": 60}))).await,
        json!({"scale": 60})
    );
    assert_eq!(time_scale(Method::GET, None).await, json!({"scale": 60}));
}

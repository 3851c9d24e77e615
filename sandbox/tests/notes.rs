//! Notes, the generic CRM emulator: API key, cursor paging, `updated_since`, versions,
//! idempotency keys, duplicates, validation, locked paid invoices, delete.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use ledgerlink_sandbox::{NOTES_API_KEY, SandboxConfig, SandboxHandle};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct Notes {
    sandbox: SandboxHandle,
    http: reqwest::Client,
    key: String,
}

impl Notes {
    async fn start() -> Self {
        Self::with_key(NOTES_API_KEY).await
    }

    async fn with_key(key: &str) -> Self {
        Self {
            sandbox: SandboxHandle::start(SandboxConfig::default())
                .await
                .unwrap(),
            http: reqwest::Client::new(),
            key: key.to_owned(),
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut req = self
            .http
            .request(method, self.sandbox.url(&format!("/notes/v1{path}")));
        if !self.key.is_empty() {
            req = req.header("X-Api-Key", &self.key);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        };
        (status, headers, body)
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let (status, _, body) = self.send(method, path, body, &[]).await;
        (status, body)
    }

    async fn customer(&self, name: &str) -> Value {
        let (status, body) = self
            .call(Method::POST, "/customers", Some(json!({"name": name})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    async fn control(&self, what: &str) -> Vec<Value> {
        let url = self
            .sandbox
            .url(&format!("/_sandbox/notes/{}/{what}", self.key));
        get_json(self.http.get(url)).await["data"]
            .as_array()
            .unwrap()
            .clone()
    }
}

async fn get_json(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

fn invoice(customer_id: &str, number: &str) -> Value {
    json!({
        "kind": "job", "number": number, "customer_id": customer_id,
        "issue_date": "2026-11-02", "due_date": "2026-11-20", "currency": "NZD",
        "tax_mode": "exclusive",
        "lines": [
            {"description": "Valve", "quantity": "1", "unit_price": "185.00", "amount": "185.00",
             "tax_code": "GST", "tax_amount": "27.75"},
            {"description": "Labour", "quantity": "2.5", "unit_price": "96.50", "amount": "241.25",
             "tax_amount": "36.19"}
        ],
        "subtotal": "426.25", "tax_total": "63.94", "total": "490.19", "reference": "J5001"
    })
}

fn error(body: &Value) -> (&str, Option<&str>) {
    (
        body["error"]["code"].as_str().unwrap(),
        body["error"]["field"].as_str(),
    )
}

#[tokio::test]
async fn the_api_key_opens_its_own_account() {
    let notes = Notes::start().await;
    notes.customer("Harbour Plumbing Ltd").await;
    let (status, body) = notes.call(Method::GET, "/account", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["customers"], 1);

    for key in ["", "wrong-key-0000000000", "nk_short"] {
        let other = Notes {
            key: key.to_owned(),
            ..Notes::with_key("").await
        };
        let (status, body) = other.call(Method::GET, "/account", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{key:?}");
        assert_eq!(error(&body).0, "unauthorized");
    }
    // Another valid key is another account: empty.
    let url = notes.sandbox.url("/notes/v1/account");
    let body = get_json(
        notes
            .http
            .get(url)
            .header("X-Api-Key", "nk_another_account_1"),
    )
    .await;
    assert_eq!(body["customers"], 0);
}

#[tokio::test]
async fn customers_duplicates_validation_and_versions() {
    let notes = Notes::start().await;
    let harbour = notes.customer("Harbour Plumbing Ltd").await;
    assert_eq!(harbour["id"], "cus_1");
    assert_eq!(harbour["version"], 1);
    assert_eq!(harbour["active"], true);

    let (status, body) = notes
        .call(
            Method::POST,
            "/customers",
            Some(json!({"name": "harbour plumbing ltd "})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error(&body), ("duplicate", Some("name")));
    assert_eq!(body["error"]["existing_id"], "cus_1");

    let (status, body) = notes
        .call(
            Method::POST,
            "/customers",
            Some(json!({"name": "Kea", "email": "not-an-address"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error(&body), ("validation", Some("email")));
    let (status, body) = notes
        .call(
            Method::POST,
            "/customers",
            Some(json!({"name": "Kea", "colour": "red"})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "unknown fields are refused"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("colour")
    );

    let update = json!({"name": "Harbour Plumbing", "email": "a@b.example", "version": 1});
    let (status, body) = notes
        .call(Method::PUT, "/customers/cus_1", Some(update.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 2);
    assert_eq!(body["email"], "a@b.example");
    // The same write again carries a version that is now old.
    let (status, body) = notes
        .call(Method::PUT, "/customers/cus_1", Some(update))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error(&body).0, "version_conflict");

    let (status, body) = notes.call(Method::GET, "/customers/cus_9", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error(&body).0, "not_found");

    let (status, _) = notes.call(Method::DELETE, "/customers/cus_1", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(notes.control("customers").await.is_empty());
}

#[tokio::test]
async fn an_idempotency_key_answers_once() {
    let notes = Notes::start().await;
    let body = json!({"name": "Kea Electrical"});
    let key = [("Idempotency-Key", "push-1")];
    let (s1, h1, first) = notes
        .send(Method::POST, "/customers", Some(body.clone()), &key)
        .await;
    let (s2, h2, second) = notes
        .send(Method::POST, "/customers", Some(body), &key)
        .await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(first, second);
    assert!(h1.get("idempotent-replayed").is_none());
    assert_eq!(h2["idempotent-replayed"], "true");
    assert_eq!(notes.control("customers").await.len(), 1);

    let (status, _, body) = notes
        .send(
            Method::POST,
            "/customers",
            Some(json!({"name": "Other"})),
            &key,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error(&body).0, "idempotency_key_reused");
}

#[tokio::test]
async fn lists_page_by_cursor_and_filter_by_updated_since() {
    let notes = Notes::start().await;
    for n in 1..=5 {
        notes.customer(&format!("Customer {n}")).await;
    }
    let mut names = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let (status, page) = notes
            .call(
                Method::GET,
                &format!("/customers?limit=2&cursor={cursor}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        pages += 1;
        for c in page["data"].as_array().unwrap() {
            names.push(c["name"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names.len(), 5);
    assert_eq!(names[4], "Customer 5");

    let (status, body) = notes
        .call(Method::GET, "/customers?cursor=page-2", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error(&body), ("validation", Some("cursor")));

    notes.sandbox.advance_clock(Duration::from_secs(3600));
    let (_, now) = notes.call(Method::GET, "/customers/cus_3", None).await;
    notes
        .call(
            Method::PUT,
            "/customers/cus_3",
            Some(json!({"name": "Customer 3 renamed", "version": now["version"]})),
        )
        .await;
    let since = now["updated_at"].as_str().unwrap();
    let (_, page) = notes.call(Method::GET, "/customers?limit=200", None).await;
    let updated = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "cus_3")
        .unwrap()["updated_at"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(updated.as_str() > since, "{updated} after {since}");
    let (_, page) = notes
        .call(
            Method::GET,
            &format!("/customers?updated_since={}", updated.replace('+', "%2B")),
            None,
        )
        .await;
    let ids: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["cus_3"]);
    let (status, body) = notes
        .call(Method::GET, "/customers?updated_since=yesterday", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error(&body), ("validation", Some("updated_since")));
}

#[tokio::test]
async fn invoices_rules_locks_and_delete() {
    let notes = Notes::start().await;
    let customer = notes.customer("Harbour Plumbing Ltd").await;
    let cid = customer["id"].as_str().unwrap();

    let (status, inv) = notes
        .call(Method::POST, "/invoices", Some(invoice(cid, "J5001")))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{inv}");
    assert_eq!(inv["id"], "inv_1");
    assert_eq!(inv["total"], "490.19");
    assert_eq!(inv["lines"][1]["quantity"], "2.5");
    assert_eq!(inv["status"], "open");
    assert_eq!(inv["amount_paid"], "0.00");

    let (status, body) = notes
        .call(Method::POST, "/invoices", Some(invoice(cid, "J5001")))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error(&body), ("duplicate", Some("number")));
    assert_eq!(body["error"]["existing_id"], "inv_1");

    let mut wrong = invoice(cid, "J5002");
    wrong["total"] = json!("490.20");
    let (status, body) = notes.call(Method::POST, "/invoices", Some(wrong)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error(&body), ("validation", Some("total")));
    let mut wrong = invoice(cid, "J5002");
    wrong["lines"][0]["amount"] = json!("185,00");
    let (_, body) = notes.call(Method::POST, "/invoices", Some(wrong)).await;
    assert_eq!(error(&body), ("validation", Some("lines[0].amount")));
    let (_, body) = notes
        .call(Method::POST, "/invoices", Some(invoice("cus_77", "J5002")))
        .await;
    assert_eq!(error(&body), ("validation", Some("customer_id")));

    // Numbered by Notes when the number is empty.
    let (_, auto) = notes
        .call(Method::POST, "/invoices", Some(invoice(cid, "")))
        .await;
    assert_eq!(auto["number"], "N-0001");

    let (_, found) = notes
        .call(Method::GET, "/invoices?ids=inv_2,inv_9", None)
        .await;
    assert_eq!(found["data"].as_array().unwrap().len(), 1);

    let (status, paid) = notes.call(Method::POST, "/invoices/inv_1/pay", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["amount_paid"], "490.19");
    let (status, body) = notes
        .call(Method::PUT, "/invoices/inv_1", Some(invoice(cid, "J5001")))
        .await;
    assert_eq!(status.as_u16(), 423);
    assert_eq!(error(&body).0, "locked");
    let (status, _) = notes.call(Method::DELETE, "/invoices/inv_1", None).await;
    assert_eq!(status.as_u16(), 423);

    let (status, body) = notes
        .call(Method::DELETE, &format!("/customers/{cid}"), None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error(&body).0, "in_use");

    let (status, _) = notes.call(Method::DELETE, "/invoices/inv_2", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = notes.call(Method::GET, "/invoices/inv_2", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let all = notes.control("invoices").await;
    assert_eq!(all.len(), 1);

    let reset = notes
        .sandbox
        .url(&format!("/_sandbox/notes/{}/reset", notes.key));
    notes.http.post(reset).send().await.unwrap();
    assert!(notes.control("invoices").await.is_empty());
}

#[tokio::test]
async fn the_notes_origin_is_routed() {
    let notes = Notes::start().await;
    let routes = notes.sandbox.routes();
    assert_eq!(
        routes["https://api.notes.example:443"],
        notes.sandbox.url("/notes")
    );
}

//! Control endpoints over HTTP, the index page, and the request log.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::{Duration, SystemTime};

use common::*;
use ledgerlink_sandbox::{
    LogEntry, Profile, QBO_CLIENT_ID, QBO_CLIENT_SECRET, XERO_CLIENT_ID, XERO_CLIENT_SECRET,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn parse_time(value: &Value) -> SystemTime {
    let text = value.as_str().unwrap();
    SystemTime::from(chrono::DateTime::parse_from_rfc3339(text).unwrap())
}

#[tokio::test]
async fn clock_advances_over_http_and_in_process() {
    let sandbox = start().await;
    let before = sandbox.now();
    let response = http()
        .post(sandbox.url("/_sandbox/clock/advance"))
        .json(&json!({"seconds": 7200}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["offset_seconds"], 7200);
    let reported = parse_time(&body["now"]);
    let gap = reported.duration_since(before).unwrap();
    assert!(
        gap >= Duration::from_secs(7200) && gap < Duration::from_secs(7260),
        "{gap:?}"
    );

    sandbox.advance_clock(Duration::from_secs(60));
    let body: Value = http()
        .get(sandbox.url("/_sandbox/clock"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["offset_seconds"], 7260);
    assert!(parse_time(&body["now"]) <= sandbox.now());

    let response = http()
        .post(sandbox.url("/_sandbox/clock/advance"))
        .json(&json!({"seconds": -5}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error());
    let body: Value = http()
        .get(sandbox.url("/_sandbox/clock"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["offset_seconds"], 7260, "the clock never moves back");
}

#[tokio::test]
async fn drop_next_refresh_over_http_applies_the_refresh_and_breaks_the_response() {
    let sandbox = start().await;
    let token = string(
        &connect(&sandbox, Profile::QuickBooks).await,
        "refresh_token",
    );
    let response = http()
        .post(sandbox.url("/_sandbox/drop-next-refresh"))
        .json(&json!({"profile": "quickbooks"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let response = http()
        .post(sandbox.url("/qbo/oauth2/v1/tokens/bearer"))
        .basic_auth(QBO_CLIENT_ID, Some(QBO_CLIENT_SECRET))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.bytes().await.is_err());

    let count: Value = http()
        .get(sandbox.url("/_sandbox/refresh-count?profile=quickbooks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(count, json!({"profile": "quickbooks", "count": 1}));
    // Only the next one is dropped; the same value still works.
    let (status, body) = refresh(&sandbox, Profile::QuickBooks, &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(string(&body, "refresh_token"), token);
    assert_eq!(sandbox.refresh_count(Profile::QuickBooks), 2);
    assert_eq!(sandbox.refresh_count(Profile::Xero), 0);

    let response = http()
        .post(sandbox.url("/_sandbox/drop-next-refresh"))
        .json(&json!({"profile": "sage"}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error());
}

#[tokio::test]
async fn log_records_grant_types_and_outcomes_but_never_token_values() {
    let sandbox = start().await;
    let tokens = connect(&sandbox, Profile::Xero).await;
    let (access, refresh_token) = (
        string(&tokens, "access_token"),
        string(&tokens, "refresh_token"),
    );
    let (_, refreshed) = refresh(&sandbox, Profile::Xero, &refresh_token).await;
    let (status, _) = refresh(&sandbox, Profile::Xero, "forged").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let response = http()
        .post(sandbox.url("/xero/identity/connect/token"))
        .basic_auth(XERO_CLIENT_ID, Some("wrong"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    sandbox.advance_clock(Duration::from_secs(31 * 60));
    let (status, _) = get_bearer(&sandbox.url("/xero/connections"), &access, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let response = http()
        .get(sandbox.url("/_sandbox/log"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let raw = response.text().await.unwrap();
    let secrets = [
        access.as_str(),
        refresh_token.as_str(),
        refreshed["access_token"].as_str().unwrap(),
        refreshed["refresh_token"].as_str().unwrap(),
        XERO_CLIENT_SECRET,
    ];
    for secret in secrets {
        assert!(!raw.contains(secret), "log leaks a secret");
    }
    let log: Vec<LogEntry> = serde_json::from_str(&raw).unwrap();
    // The handle's log also holds the GET /_sandbox/log that produced `raw`.
    let mut in_process = sandbox.log();
    let reading = in_process.pop().unwrap();
    assert_eq!(
        (reading.path.as_str(), reading.profile),
        ("/_sandbox/log", None)
    );
    assert_eq!(log, in_process);

    let summary: Vec<(&str, &str, Option<&str>, u16, &str)> = log
        .iter()
        .map(|entry| {
            (
                entry.method.as_str(),
                entry.path.as_str(),
                entry.grant_type.as_deref(),
                entry.status,
                entry.outcome.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("GET", "/xero/identity/connect/authorize", None, 200, "ok"),
            ("POST", "/xero/identity/connect/consent", None, 302, "ok"),
            (
                "POST",
                "/xero/identity/connect/token",
                Some("authorization_code"),
                200,
                "ok"
            ),
            (
                "POST",
                "/xero/identity/connect/token",
                Some("refresh_token"),
                200,
                "ok"
            ),
            (
                "POST",
                "/xero/identity/connect/token",
                Some("refresh_token"),
                400,
                "invalid_grant"
            ),
            (
                "POST",
                "/xero/identity/connect/token",
                Some("refresh_token"),
                401,
                "invalid_client"
            ),
            ("GET", "/xero/connections", None, 401, "unauthorized"),
        ]
    );
    assert!(log.iter().all(|entry| entry.profile == Some(Profile::Xero)));
    // The refresh and the failed client auth presented the same token: same hash.
    assert_eq!(log[3].token_hash, log[5].token_hash);
    assert_eq!(log[3].token_hash.as_deref().map(str::len), Some(8));
    assert_ne!(log[3].token_hash, log[4].token_hash);
    assert!(log[6].at.duration_since(log[0].at).unwrap() >= Duration::from_secs(31 * 60));
}

#[tokio::test]
async fn index_lists_endpoints_and_clients_and_unknown_paths_are_logged_404s() {
    let sandbox = start().await;
    let response = http().get(sandbox.url("/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert_eq!(text, sandbox.banner());
    for needle in [
        XERO_CLIENT_ID,
        XERO_CLIENT_SECRET,
        QBO_CLIENT_ID,
        QBO_CLIENT_SECRET,
        &sandbox.url("/xero/identity/connect/authorize"),
        &sandbox.url("/xero/identity/connect/token"),
        &sandbox.url("/qbo/connect/oauth2"),
        &sandbox.url("/qbo/oauth2/v1/tokens/bearer"),
        &sandbox.url("/_sandbox/clock/advance"),
        &format!("DELETE {}", sandbox.url("/_sandbox/faults")),
        &format!("POST  {}", sandbox.url("/_sandbox/faults")),
        &format!("POST  {}", sandbox.url("/_sandbox/time-scale")),
    ] {
        assert!(text.contains(needle), "index lacks {needle}");
    }

    let response = http()
        .get(sandbox.url("/xero/nowhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let last = sandbox.log().pop().unwrap();
    assert_eq!(
        (last.path.as_str(), last.status, last.outcome.as_str()),
        ("/xero/nowhere", 404, "not_found")
    );
    assert_eq!(last.profile, Some(Profile::Xero));
    assert_eq!(sandbox.log()[0].profile, None);
}

#[tokio::test]
async fn fixed_port_and_shutdown() {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let sandbox =
        ledgerlink_sandbox::SandboxHandle::start(ledgerlink_sandbox::SandboxConfig { port })
            .await
            .unwrap();
    assert_eq!(sandbox.base_url(), format!("http://127.0.0.1:{port}"));
    assert_eq!(sandbox.url("/x"), format!("http://127.0.0.1:{port}/x"));
    let url = sandbox.url("/_sandbox/clock");
    assert_eq!(
        http().get(&url).send().await.unwrap().status(),
        StatusCode::OK
    );
    sandbox.shutdown().await;
    assert!(reqwest::Client::new().get(&url).send().await.is_err());
}

//! QuickBooks Online profile: realmId on the callback, optional PKCE,
//! same-value refresh for 24 hours, 100-day rolling expiry, revocation and
//! the company info resource.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::Duration;

use common::*;
use ledgerlink_sandbox::{Profile, QBO_CLIENT_ID, QBO_CLIENT_SECRET, QBO_REALM_ID, SandboxHandle};
use reqwest::StatusCode;
use serde_json::{Value, json};

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

fn company_info_url(sandbox: &SandboxHandle, realm: &str, id: &str) -> String {
    sandbox.url(&format!("/qbo/v3/company/{realm}/companyinfo/{id}"))
}

async fn company_info(sandbox: &SandboxHandle, access: &str) -> (StatusCode, Value) {
    get_bearer(
        &company_info_url(sandbox, QBO_REALM_ID, QBO_REALM_ID),
        access,
        &[],
    )
    .await
}

#[tokio::test]
async fn code_flow_without_pkce_returns_realm_id_and_intuit_token_shape() {
    let sandbox = start().await;
    let callback = approve(
        &sandbox,
        Profile::QuickBooks,
        &standard_query(Profile::QuickBooks, "qs", None),
    )
    .await;
    assert_eq!(callback.realm_id.as_deref(), Some(QBO_REALM_ID));
    assert_eq!(callback.realm_id.as_deref(), Some("9341453172470495"));
    assert_eq!(callback.state.as_deref(), Some("qs"));
    let code = callback.code.unwrap();

    let (status, body) = token_request(
        &sandbox,
        Profile::QuickBooks,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["x_refresh_token_expires_in"], 8_640_000);
    assert!(body.get("scope").is_none());
    let access = string(&body, "access_token");

    let (status, body) = company_info(&sandbox, &access).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["CompanyInfo"]["CompanyName"], "Sandbox Company_US_1");
    assert_eq!(body["CompanyInfo"]["Id"], "1");
    assert!(body["time"].as_str().unwrap().ends_with("-07:00"));
}

#[tokio::test]
async fn pkce_when_used_must_verify() {
    let sandbox = start().await;
    let pkce = pkce("qbo");
    let query = standard_query(Profile::QuickBooks, "s", Some(&pkce));
    let code = approve(&sandbox, Profile::QuickBooks, &query)
        .await
        .code
        .unwrap();
    let (status, body) = token_request(
        &sandbox,
        Profile::QuickBooks,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    assert_eq!(
        body["error_description"],
        "code_verifier is required: the authorization request carried a code_challenge"
    );
    // And the happy path with the right verifier.
    let body = connect(&sandbox, Profile::QuickBooks).await;
    assert_eq!(body["token_type"], "bearer");
}

#[tokio::test]
async fn refresh_within_a_day_returns_the_same_value_with_a_rolled_expiry() {
    let sandbox = start().await;
    let tokens = connect(&sandbox, Profile::QuickBooks).await;
    let (first_access, refresh_token) = (
        string(&tokens, "access_token"),
        string(&tokens, "refresh_token"),
    );

    sandbox.advance_clock(HOUR);
    let (status, body) = refresh(&sandbox, Profile::QuickBooks, &refresh_token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(string(&body, "refresh_token"), refresh_token);
    assert_eq!(body["x_refresh_token_expires_in"], 8_640_000);
    assert_eq!(body["expires_in"], 3600);
    assert_ne!(string(&body, "access_token"), first_access);

    sandbox.advance_clock(22 * HOUR);
    let (status, body) = refresh(&sandbox, Profile::QuickBooks, &refresh_token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(string(&body, "refresh_token"), refresh_token);
    assert_eq!(sandbox.refresh_count(Profile::QuickBooks), 2);
}

#[tokio::test]
async fn after_a_day_refresh_issues_a_new_value_and_the_old_one_fails() {
    let sandbox = start().await;
    let old = string(
        &connect(&sandbox, Profile::QuickBooks).await,
        "refresh_token",
    );
    sandbox.advance_clock(DAY);
    let (status, body) = refresh(&sandbox, Profile::QuickBooks, &old).await;
    assert_eq!(status, StatusCode::OK);
    let new = string(&body, "refresh_token");
    assert_ne!(new, old);
    assert_eq!(body["x_refresh_token_expires_in"], 8_640_000);

    let (status, body) = refresh(&sandbox, Profile::QuickBooks, &old).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({
            "error": "invalid_grant",
            "error_description": "refresh token was replaced by a newer value; use the latest refresh token",
        })
    );
    let (status, body) = refresh(&sandbox, Profile::QuickBooks, &new).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(string(&body, "refresh_token"), new);
}

#[tokio::test]
async fn refresh_tokens_expire_one_hundred_days_after_their_last_use() {
    let sandbox = start().await;
    let idle = string(
        &connect(&sandbox, Profile::QuickBooks).await,
        "refresh_token",
    );
    let active = string(
        &connect(&sandbox, Profile::QuickBooks).await,
        "refresh_token",
    );
    sandbox.advance_clock(23 * HOUR);
    assert_eq!(
        refresh(&sandbox, Profile::QuickBooks, &active).await.0,
        StatusCode::OK
    );
    // Now 100 days after issue: the idle token is dead, the used one rolled forward.
    sandbox.advance_clock(100 * DAY - 23 * HOUR);
    let (status, body) = refresh(&sandbox, Profile::QuickBooks, &idle).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, body) = refresh(&sandbox, Profile::QuickBooks, &active).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(
        string(&body, "refresh_token"),
        active,
        "over a day old, so a new value"
    );
}

#[tokio::test]
async fn expired_access_token_gets_intuits_authentication_fault() {
    let sandbox = start().await;
    let access = string(
        &connect(&sandbox, Profile::QuickBooks).await,
        "access_token",
    );
    sandbox.advance_clock(HOUR);
    let (status, body) = company_info(&sandbox, &access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["fault"]["type"], "AUTHENTICATION");
    assert_eq!(
        body["fault"]["error"],
        json!([{
            "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
            "detail": "Token expired",
            "code": "3200",
        }])
    );
}

#[tokio::test]
async fn company_info_is_only_for_the_granted_realm() {
    let sandbox = start().await;
    let access = string(
        &connect(&sandbox, Profile::QuickBooks).await,
        "access_token",
    );
    let (status, body) = get_bearer(&company_info_url(&sandbox, "123", "123"), &access, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["Fault"]["Error"][0]["code"], "003100");
    let (status, body) =
        get_bearer(&company_info_url(&sandbox, QBO_REALM_ID, "1"), &access, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["Fault"]["type"], "ValidationFault");
    // A Xero token does not open QuickBooks.
    let xero_access = string(&connect(&sandbox, Profile::Xero).await, "access_token");
    assert_eq!(
        company_info(&sandbox, &xero_access).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn wrong_client_secret_is_401_invalid_client() {
    let sandbox = start().await;
    let refresh_token = string(
        &connect(&sandbox, Profile::QuickBooks).await,
        "refresh_token",
    );
    let response = http()
        .post(sandbox.url("/qbo/oauth2/v1/tokens/bearer"))
        .basic_auth(QBO_CLIENT_ID, Some("nope"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(sandbox.refresh_count(Profile::QuickBooks), 0);
}

#[tokio::test]
async fn revoke_takes_json_and_ends_the_grant() {
    let sandbox = start().await;
    let tokens = connect(&sandbox, Profile::QuickBooks).await;
    let (access, refresh_token) = (
        string(&tokens, "access_token"),
        string(&tokens, "refresh_token"),
    );
    let revoke = |body: Value, secret: &'static str| {
        http()
            .post(sandbox.url("/qbo/v2/oauth2/tokens/revoke"))
            .basic_auth(QBO_CLIENT_ID, Some(secret))
            .json(&body)
            .send()
    };
    assert_eq!(
        revoke(json!({"token": refresh_token}), "bad")
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        revoke(json!({}), QBO_CLIENT_SECRET).await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(company_info(&sandbox, &access).await.0, StatusCode::OK);

    let response = revoke(json!({"token": refresh_token}), QBO_CLIENT_SECRET)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (status, body) = refresh(&sandbox, Profile::QuickBooks, &refresh_token).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, body) = company_info(&sandbox, &access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["fault"]["error"][0]["detail"], "Token revoked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_refreshes_get_the_same_value() {
    let sandbox = start().await;
    let token = string(
        &connect(&sandbox, Profile::QuickBooks).await,
        "refresh_token",
    );
    let (a, b) = tokio::join!(
        refresh(&sandbox, Profile::QuickBooks, &token),
        refresh(&sandbox, Profile::QuickBooks, &token)
    );
    assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK));
    assert_eq!(string(&a.1, "refresh_token"), token);
    assert_eq!(string(&b.1, "refresh_token"), token);

    // After a day, concurrent refreshes are serialized: one rotates, the other
    // presents a value that was just retired.
    sandbox.advance_clock(DAY);
    let (a, b) = tokio::join!(
        refresh(&sandbox, Profile::QuickBooks, &token),
        refresh(&sandbox, Profile::QuickBooks, &token)
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::BAD_REQUEST]);
}

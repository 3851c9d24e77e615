//! Xero profile: authorization code + PKCE, rotation with a grace period,
//! expiry by the virtual clock, revocation, and the protected resources.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::Duration;

use common::*;
use ledgerlink_sandbox::{
    Profile, XERO_CLIENT_ID, XERO_CLIENT_SECRET, XERO_TENANT_NZ_ID, XERO_TENANT_US_ID,
};
use reqwest::StatusCode;
use serde_json::json;

const MINUTE: Duration = Duration::from_secs(60);
const DAY: Duration = Duration::from_secs(24 * 3600);

async fn connections(
    sandbox: &ledgerlink_sandbox::SandboxHandle,
    access: &str,
) -> (StatusCode, serde_json::Value) {
    get_bearer(&sandbox.url("/xero/connections"), access, &[]).await
}

#[tokio::test]
async fn full_code_flow_with_pkce_yields_working_tokens_for_both_tenants() {
    let sandbox = start().await;
    let pkce = pkce("full");
    let query = standard_query(Profile::Xero, "opaque-state-42", Some(&pkce));
    let callback = approve(&sandbox, Profile::Xero, &query).await;
    assert_eq!(
        callback.location.origin().ascii_serialization(),
        "http://127.0.0.1:53682"
    );
    assert_eq!(callback.location.path(), "/callback");
    assert_eq!(callback.state.as_deref(), Some("opaque-state-42"));
    assert_eq!(callback.realm_id, None);
    let code = callback.code.unwrap();

    let (status, body) = token_request(
        &sandbox,
        Profile::Xero,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &pkce.verifier),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["expires_in"], 1800);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], XERO_SCOPE);
    let access = string(&body, "access_token");
    assert_ne!(access, string(&body, "refresh_token"));

    let (status, list) = connections(&sandbox, &access).await;
    assert_eq!(status, StatusCode::OK);
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 2);
    let names: Vec<_> = list
        .iter()
        .map(|c| c["tenantName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Demo Company (NZ)", "Demo Company (US)"]);
    let ids: Vec<_> = list
        .iter()
        .map(|c| c["tenantId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [XERO_TENANT_NZ_ID, XERO_TENANT_US_ID]);
    for connection in &list {
        assert_eq!(connection["tenantType"], "ORGANISATION");
        assert_eq!(connection["authEventId"], list[0]["authEventId"]);
        assert_eq!(connection["createdDateUtc"], connection["updatedDateUtc"]);
        assert_eq!(connection["id"].as_str().unwrap().len(), 36);
        // 2019-12-07T18:46:19.5165400: seven fraction digits, no zone.
        assert_eq!(connection["createdDateUtc"].as_str().unwrap().len(), 27);
    }
    assert_ne!(list[0]["id"], list[1]["id"]);

    let auth_event = list[0]["authEventId"].as_str().unwrap().to_owned();
    let filtered = sandbox.url(&format!("/xero/connections?authEventId={auth_event}"));
    let (_, same) = get_bearer(&filtered, &access, &[]).await;
    assert_eq!(same.as_array().unwrap().len(), 2);
    let other = sandbox.url("/xero/connections?authEventId=00000000-0000-0000-0000-000000000000");
    assert_eq!(get_bearer(&other, &access, &[]).await.1, json!([]));

    let organisation_url = sandbox.url("/xero/api.xro/2.0/Organisation");
    let (status, body) = get_bearer(
        &organisation_url,
        &access,
        &[("xero-tenant-id", XERO_TENANT_US_ID)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let organisation = &body["Organisations"][0];
    assert_eq!(organisation["OrganisationID"], XERO_TENANT_US_ID);
    assert_eq!(organisation["Name"], "Demo Company (US)");
    assert_eq!(organisation["BaseCurrency"], "USD");
    assert_eq!(body["Status"], "OK");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn organisation_requires_a_tenant_the_grant_covers() {
    let sandbox = start().await;
    let access = string(&connect(&sandbox, Profile::Xero).await, "access_token");
    let url = sandbox.url("/xero/api.xro/2.0/Organisation");
    let (status, body) = get_bearer(
        &url,
        &access,
        &[("xero-tenant-id", "00000000-0000-0000-0000-000000000001")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["Title"], "Forbidden");
    assert_eq!(body["Status"], 403);
    let (status, _) = get_bearer(&url, &access, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = get_bearer(&url, &access, &[("xero-tenant-id", XERO_TENANT_NZ_ID)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["Organisations"][0]["Name"], "Demo Company (NZ)");
}

#[tokio::test]
async fn wrong_verifier_is_invalid_grant_and_burns_the_code() {
    let sandbox = start().await;
    let pkce = pkce("verifier");
    let callback = approve(
        &sandbox,
        Profile::Xero,
        &standard_query(Profile::Xero, "s", Some(&pkce)),
    )
    .await;
    let code = callback.code.unwrap();
    let wrong = common::pkce("another").verifier;
    let exchange = |verifier: String| {
        let code = code.clone();
        let sandbox = &sandbox;
        async move {
            token_request(
                sandbox,
                Profile::Xero,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT_URI),
                    ("code_verifier", &verifier),
                ],
            )
            .await
        }
    };
    let (status, body) = exchange(wrong).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        body["error_description"],
        "code_verifier does not match the code_challenge"
    );
    // A code is single-use even when its first presentation failed.
    let (status, body) = exchange(pkce.verifier.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn codes_are_single_use_bound_to_redirect_uri_and_live_five_minutes() {
    let sandbox = start().await;
    let pkce = pkce("code-rules");
    let query = standard_query(Profile::Xero, "s", Some(&pkce));
    let redeem = |code: String, redirect: &'static str| {
        let verifier = pkce.verifier.clone();
        let sandbox = &sandbox;
        async move {
            token_request(
                sandbox,
                Profile::Xero,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", redirect),
                    ("code_verifier", &verifier),
                ],
            )
            .await
        }
    };

    let code = approve(&sandbox, Profile::Xero, &query).await.code.unwrap();
    assert_eq!(redeem(code.clone(), REDIRECT_URI).await.0, StatusCode::OK);
    let (status, body) = redeem(code, REDIRECT_URI).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );

    let code = approve(&sandbox, Profile::Xero, &query).await.code.unwrap();
    let (_, body) = redeem(code, "http://127.0.0.1:53682/other").await;
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        body["error_description"],
        "redirect_uri does not match the one in the authorization request"
    );

    let code = approve(&sandbox, Profile::Xero, &query).await.code.unwrap();
    sandbox.advance_clock(5 * MINUTE);
    let (_, body) = redeem(code, REDIRECT_URI).await;
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn authorize_refuses_bad_requests_with_a_400_page_and_no_redirect() {
    let sandbox = start().await;
    let pkce = pkce("bad");
    let base = standard_query(Profile::Xero, "s", Some(&pkce));
    let with = |name: &'static str, value: Option<&'static str>| {
        let mut query: Vec<(&str, &str)> = base
            .iter()
            .copied()
            .filter(|(key, _)| *key != name)
            .collect();
        if let Some(value) = value {
            query.push((name, value));
        }
        query
    };
    let cases = [
        (
            with("client_id", Some("NOT-A-CLIENT")),
            "client_id `NOT-A-CLIENT` is not registered",
        ),
        (
            with("redirect_uri", Some("https://evil.example/cb")),
            "redirect_uri must use the http scheme",
        ),
        (
            with("redirect_uri", Some("http://evil.example/cb")),
            "redirect_uri must point at this machine",
        ),
        (
            with("redirect_uri", None),
            "parameter `redirect_uri` is missing",
        ),
        (
            with("response_type", Some("token")),
            "response_type must be `code`, not `token`",
        ),
        (with("state", None), "parameter `state` is missing"),
        (with("scope", None), "parameter `scope` is missing"),
        (with("code_challenge", None), "code_challenge is required"),
        (
            with("code_challenge_method", Some("plain")),
            "code_challenge_method must be `S256`, not `plain`",
        ),
        (
            with("code_challenge", Some("too-short")),
            "code_challenge must be BASE64URL(SHA256(code_verifier))",
        ),
    ];
    for (query, expected) in cases {
        let response = http()
            .get(authorize_url(&sandbox, Profile::Xero, &query))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{expected}");
        assert!(response.headers().get("location").is_none());
        let page = response.text().await.unwrap();
        assert!(page.contains(expected), "expected `{expected}` in {page}");
        assert!(!page.contains("request_id"));
    }
}

#[tokio::test]
async fn denying_consent_redirects_with_access_denied_and_the_state() {
    let sandbox = start().await;
    let pkce = pkce("deny");
    let request_id = open_consent(
        &sandbox,
        Profile::Xero,
        &standard_query(Profile::Xero, "st", Some(&pkce)),
    )
    .await;
    let callback = submit_consent(
        &sandbox,
        Profile::Xero,
        &[("request_id", &request_id), ("decision", "deny")],
    )
    .await;
    assert_eq!(callback.error.as_deref(), Some("access_denied"));
    assert_eq!(callback.state.as_deref(), Some("st"));
    assert_eq!(callback.code, None);
    // The request was answered: it cannot be approved afterwards.
    let response = http()
        .post(sandbox.url("/xero/identity/connect/consent"))
        .form(&[("request_id", &request_id)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("unknown, expired or already answered")
    );
}

#[tokio::test]
async fn refresh_rotates_and_the_old_token_works_only_within_the_grace_period() {
    let sandbox = start().await;
    let first = string(&connect(&sandbox, Profile::Xero).await, "refresh_token");

    let (status, body) = refresh(&sandbox, Profile::Xero, &first).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["expires_in"], 1800);
    let second = string(&body, "refresh_token");
    assert_ne!(second, first);

    sandbox.advance_clock(29 * MINUTE);
    let (status, body) = refresh(&sandbox, Profile::Xero, &first).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "retry within grace gets a fresh pair"
    );
    let retried = string(&body, "refresh_token");
    assert_ne!(retried, first);
    assert_ne!(retried, second);

    sandbox.advance_clock(2 * MINUTE);
    let (status, body) = refresh(&sandbox, Profile::Xero, &first).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");

    // Both successors are unused and valid: two chains, as at Xero.
    assert_eq!(
        refresh(&sandbox, Profile::Xero, &second).await.0,
        StatusCode::OK
    );
    assert_eq!(
        refresh(&sandbox, Profile::Xero, &retried).await.0,
        StatusCode::OK
    );
    assert_eq!(sandbox.refresh_count(Profile::Xero), 4);
}

#[tokio::test]
async fn access_token_expires_after_thirty_minutes() {
    let sandbox = start().await;
    let access = string(&connect(&sandbox, Profile::Xero).await, "access_token");
    sandbox.advance_clock(30 * MINUTE - Duration::from_secs(1));
    assert_eq!(connections(&sandbox, &access).await.0, StatusCode::OK);
    sandbox.advance_clock(Duration::from_secs(1));

    let response = http()
        .get(sandbox.url("/xero/connections"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["Title"], "Unauthorized");
    assert_eq!(body["Status"], 401);
    assert_eq!(body["Type"], serde_json::Value::Null);
    assert!(
        body["Detail"]
            .as_str()
            .unwrap()
            .starts_with("TokenExpired: token expired at ")
    );

    let (status, body) = connections(&sandbox, "not-a-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["Detail"], "AuthenticationUnsuccessful");
    let url = sandbox.url("/xero/api.xro/2.0/Organisation");
    let (status, _) = get_bearer(&url, &access, &[("xero-tenant-id", XERO_TENANT_NZ_ID)]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_unused_refresh_token_expires_after_sixty_days() {
    let sandbox = start().await;
    let almost = string(&connect(&sandbox, Profile::Xero).await, "refresh_token");
    let expired = string(&connect(&sandbox, Profile::Xero).await, "refresh_token");
    sandbox.advance_clock(60 * DAY - MINUTE);
    assert_eq!(
        refresh(&sandbox, Profile::Xero, &almost).await.0,
        StatusCode::OK
    );
    sandbox.advance_clock(MINUTE);
    let (status, body) = refresh(&sandbox, Profile::Xero, &expired).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        body["error_description"],
        "refresh token expired: it was not used for 60 days"
    );
}

#[tokio::test]
async fn revocation_ends_the_grant() {
    let sandbox = start().await;
    let tokens = connect(&sandbox, Profile::Xero).await;
    let (access, refresh_token) = (
        string(&tokens, "access_token"),
        string(&tokens, "refresh_token"),
    );
    let response = http()
        .post(sandbox.url("/xero/identity/connect/revocation"))
        .basic_auth(XERO_CLIENT_ID, Some(XERO_CLIENT_SECRET))
        .form(&[("token", &refresh_token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (status, body) = refresh(&sandbox, Profile::Xero, &refresh_token).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    assert_eq!(
        connections(&sandbox, &access).await.0,
        StatusCode::UNAUTHORIZED
    );

    // RFC 7009: revoking an unknown token is not an error; bad client auth is.
    let response = http()
        .post(sandbox.url("/xero/identity/connect/revocation"))
        .basic_auth(XERO_CLIENT_ID, Some(XERO_CLIENT_SECRET))
        .form(&[("token", "unknown")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = http()
        .post(sandbox.url("/xero/identity/connect/revocation"))
        .basic_auth(XERO_CLIENT_ID, Some("wrong"))
        .form(&[("token", "unknown")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn client_authentication_and_grant_type_errors() {
    let sandbox = start().await;
    let refresh_token = string(&connect(&sandbox, Profile::Xero).await, "refresh_token");
    let url = sandbox.url("/xero/identity/connect/token");

    let response = http()
        .post(&url)
        .basic_auth(XERO_CLIENT_ID, Some("wrong-secret"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");

    let (status, body) =
        token_request(&sandbox, Profile::Xero, &[("grant_type", "password")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
    );

    // Form-field client authentication works as well as Basic.
    let response = http()
        .post(&url)
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.as_str()),
            ("client_id", XERO_CLIENT_ID),
            ("client_secret", XERO_CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");

    let response = http()
        .post(&url)
        .basic_auth(XERO_CLIENT_ID, Some(XERO_CLIENT_SECRET))
        .json(&json!({"grant_type": "refresh_token"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn without_offline_access_there_is_no_refresh_token() {
    let sandbox = start().await;
    let pkce = pkce("online");
    let mut query = standard_query(Profile::Xero, "s", Some(&pkce));
    for pair in &mut query {
        if pair.0 == "scope" {
            pair.1 = "accounting.settings";
        }
    }
    let code = approve(&sandbox, Profile::Xero, &query).await.code.unwrap();
    let (status, body) = token_request(
        &sandbox,
        Profile::Xero,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &pkce.verifier),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert_eq!(body["scope"], "accounting.settings");
}

#[tokio::test]
async fn a_dropped_refresh_response_breaks_but_the_rotation_happened() {
    let sandbox = start().await;
    let first = string(&connect(&sandbox, Profile::Xero).await, "refresh_token");
    sandbox.drop_next_refresh(Profile::Xero);

    let (id, secret) = credentials(Profile::Xero);
    let response = http()
        .post(sandbox.url("/xero/identity/connect/token"))
        .basic_auth(id, Some(secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", first.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.is_err(), "the body must break off");
    assert_eq!(sandbox.refresh_count(Profile::Xero), 1);

    // The client never saw the new token; retrying the old one within grace works.
    let (status, body) = refresh(&sandbox, Profile::Xero, &first).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(string(&body, "refresh_token"), first);
    assert_eq!(sandbox.refresh_count(Profile::Xero), 2);

    let outcomes: Vec<_> = sandbox
        .log()
        .into_iter()
        .filter(|entry| entry.grant_type.as_deref() == Some("refresh_token"))
        .map(|entry| (entry.status, entry.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [(200, "dropped".to_owned()), (200, "ok".to_owned())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_refreshes_with_one_token_both_succeed_within_grace() {
    let sandbox = start().await;
    let first = string(&connect(&sandbox, Profile::Xero).await, "refresh_token");
    let (a, b) = tokio::join!(
        refresh(&sandbox, Profile::Xero, &first),
        refresh(&sandbox, Profile::Xero, &first)
    );
    assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK));
    let (a, b) = (string(&a.1, "refresh_token"), string(&b.1, "refresh_token"));
    assert_ne!(a, b);
    assert_eq!(sandbox.refresh_count(Profile::Xero), 2);
}

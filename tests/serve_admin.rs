//! Administering connections through `ledgerlink serve`, end to end: the real binary over
//! HTTP, the sandbox Xero's consent page, the server's own `/oauth/callback`. Add a Xero
//! connection, connect it, choose its organisation, check it, remove it (revoking at
//! Xero); store an API key; list and inspect connectors; a replayed `state`, a signed-out
//! session, an operator and an anonymous caller are refused. Every answer is validated
//! against the served OpenAPI document, and no secret appears in an answer or the log.

use reqwest::Method;
use serde_json::{Value, json};
use sha2::Digest as _;

use ledgerlink::auth::tokens;
use ledgerlink::auth::vault::{self, VaultPreference};
use ledgerlink_sandbox::{
    SandboxConfig, SandboxHandle, XERO_CLIENT_ID, XERO_CLIENT_SECRET, XERO_TENANT_NZ_ID,
    XERO_TENANT_US_ID,
};

use crate::auth::approve;
use crate::plugin_identity::Variant;
use crate::serve::{
    ADMIN_PASSWORD, Api, OPERATOR_PASSWORD, Server, add_user, assert_no_secrets, bare, create_token,
};
use crate::vendor_world;

const REPLAYED: &str = "this authorization callback's state was not issued by this server, was already used, or expired (authorizations last ten minutes and work once; a replayed callback is refused as possible cross-site request forgery); nothing was stored. Begin again with GET /api/v1/connections/NAME/connect";

/// The long API key the tests store.
const API_KEY: &str = "k3y-0f-s1xteen-chars-and-more";

/// The template and an instance of every endpoint this file is about.
fn admin_endpoints() -> Vec<(Method, &'static str, &'static str, Option<Value>)> {
    vec![
        (
            Method::POST,
            "/api/v1/connections",
            "/api/v1/connections",
            Some(json!({"name": "other", "connector": "xero"})),
        ),
        (
            Method::DELETE,
            "/api/v1/connections/{name}",
            "/api/v1/connections/books",
            None,
        ),
        (
            Method::PUT,
            "/api/v1/connections/{name}/key",
            "/api/v1/connections/books/key",
            Some(json!({"key": API_KEY})),
        ),
        (
            Method::GET,
            "/api/v1/connections/{name}/connect",
            "/api/v1/connections/books/connect",
            None,
        ),
        (
            Method::GET,
            "/api/v1/connections/{name}/tenants",
            "/api/v1/connections/books/tenants",
            None,
        ),
        (
            Method::PUT,
            "/api/v1/connections/{name}/tenants",
            "/api/v1/connections/books/tenants",
            Some(json!({"tenant": XERO_TENANT_NZ_ID})),
        ),
        (
            Method::GET,
            "/api/v1/connectors",
            "/api/v1/connectors",
            None,
        ),
        (
            Method::POST,
            "/api/v1/connectors",
            "/api/v1/connectors?filename=x.wasm",
            Some(Value::String("not a component".into())),
        ),
        (
            Method::GET,
            "/api/v1/connectors/{name}",
            "/api/v1/connectors/xero",
            None,
        ),
    ]
}

/// Begin connecting `name` as `api`, approve on the sandbox's consent page: the callback URL
/// the vendor sends the browser to (not followed yet), after checking the authorize answer.
async fn authorize(api: &Api, server: &Server, name: &str) -> String {
    let path = format!("/api/v1/connections/{name}/connect");
    let begun = api
        .call(
            Method::GET,
            "/api/v1/connections/{name}/connect",
            &path,
            None,
            &[],
        )
        .await;
    assert_eq!(begun.status, 200, "{}", begun.text);
    let view = begun.json();
    let redirect = format!("{}/oauth/callback", server.base);
    assert_eq!(view["redirect_uri"], redirect.as_str());
    assert_eq!(view["expires_in"], 600);
    let authorize_url = url::Url::parse(view["authorize_url"].as_str().unwrap()).unwrap();
    let query: std::collections::BTreeMap<String, String> =
        authorize_url.query_pairs().into_owned().collect();
    assert_eq!(
        query["code_challenge_method"], "S256",
        "PKCE: {authorize_url}"
    );
    assert_eq!(query["redirect_uri"], redirect);
    assert_eq!(query["client_id"], XERO_CLIENT_ID);
    let callback = approve(authorize_url.as_str()).await;
    assert!(callback.starts_with(&redirect), "{callback}");
    callback
}

/// The browser landing on the server's callback: no cookie (SameSite=Strict is not sent on
/// a cross-site redirect), the answer validated like every other.
async fn land(browser: &Api, callback: &str) -> crate::serve::Answer {
    let path = callback
        .split_once("/oauth/callback")
        .map(|(_, q)| format!("/oauth/callback{q}"))
        .unwrap();
    browser
        .call(Method::GET, "/oauth/callback", &path, None, &[])
        .await
}

/// Upload `bytes` as connector plugin `filename`.
async fn upload(api: &Api, bytes: Vec<u8>, filename: &str) -> crate::serve::Answer {
    let path = format!("/api/v1/connectors?filename={filename}");
    api.upload(
        "/api/v1/connectors",
        &path,
        bytes,
        &[("content-type", "application/wasm")],
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_adds_connects_chooses_checks_and_removes_a_xero_connection_over_the_api() {
    let tmp = tempfile::tempdir().unwrap();
    let cli = bare(tmp.path());
    let sandbox = SandboxHandle::start(SandboxConfig::default())
        .await
        .unwrap();
    add_user(cli(), "admin", "admin", ADMIN_PASSWORD);
    add_user(cli(), "olive", "operator", OPERATOR_PASSWORD);
    let operator_token = create_token(cli(), "olive");
    let log = tmp.path().join("serve.log");
    let server = Server::start(cli(), &[], &log);
    let mut api = Api::new(&server.base).await;
    assert_eq!(api.sign_in("admin", ADMIN_PASSWORD).await.status, 200);

    // No caller: 401 on each new endpoint; an operator: 403 with the role's sentence.
    let anon = api.anonymous();
    let mut operator = api.anonymous();
    operator.token = Some(operator_token.clone());
    for (method, template, path, body) in admin_endpoints() {
        let a = anon
            .call(method.clone(), template, path, body.clone(), &[])
            .await;
        assert_eq!(a.status, 401, "{method} {path}: {}", a.text);
        let o = operator
            .call(method.clone(), template, path, body, &[])
            .await;
        assert_eq!(o.status, 403, "{method} {path}: {}", o.text);
        assert_eq!(
            o.json()["detail"],
            "user olive is an operator; connections, credentials, plugins and users are for an admin"
        );
    }

    // Connectors: the list and one inspected, as `plugins list` / `inspect` show them.
    let listed = api
        .call(
            Method::GET,
            "/api/v1/connectors",
            "/api/v1/connectors",
            None,
            &[],
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let xero = listed.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "xero")
        .cloned()
        .unwrap();
    assert_eq!(
        (
            &xero["origin"],
            &xero["status"],
            &xero["auth"],
            &xero["source"]
        ),
        (
            &json!("built-in"),
            &json!("current"),
            &json!("oauth2"),
            &json!("built-in")
        ),
        "{xero}"
    );
    assert!(
        xero["allowed_hosts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h.as_str().unwrap().contains("api.xero.com")),
        "{xero}"
    );
    let inspected = api
        .call(
            Method::GET,
            "/api/v1/connectors/{name}",
            "/api/v1/connectors/xero",
            None,
            &[],
        )
        .await;
    assert_eq!(inspected.status, 200, "{}", inspected.text);
    let detail = inspected.json();
    assert_eq!(detail["name"], "xero");
    assert_eq!(detail["sha256"], xero["sha256"]);
    assert_eq!(detail["auth"]["kind"], "oauth2");
    assert_eq!(
        detail["auth"]["token_url"],
        "https://identity.xero.com/connect/token"
    );
    let unknown = api
        .call(
            Method::GET,
            "/api/v1/connectors/{name}",
            "/api/v1/connectors/nosuch",
            None,
            &[],
        )
        .await;
    assert_eq!(unknown.status, 422, "{}", unknown.text);
    assert!(
        unknown.json()["detail"]
            .as_str()
            .unwrap()
            .contains("nosuch"),
        "{}",
        unknown.text
    );

    // Add: 201, pinned, not connected yet; the same name again is the CLI's refusal.
    let new = json!({
        "name": "books",
        "connector": "xero",
        "client_id": XERO_CLIENT_ID,
        "client_secret": XERO_CLIENT_SECRET,
        "sandbox": sandbox.base_url(),
    });
    let added = api
        .call(
            Method::POST,
            "/api/v1/connections",
            "/api/v1/connections",
            Some(new.clone()),
            &[],
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    let view = added.json();
    assert_eq!(view["connection"]["name"], "books");
    assert_eq!(view["connection"]["health"], "not-connected");
    assert_eq!(view["auth"], "oauth2");
    assert_eq!(view["sha256"], xero["sha256"]);
    assert_eq!(
        view["next"],
        "connect it: GET /api/v1/connections/books/connect and open the authorize_url it returns"
    );
    let again = api
        .call(
            Method::POST,
            "/api/v1/connections",
            "/api/v1/connections",
            Some(new),
            &[],
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert_eq!(
        again.json()["detail"],
        "a connection called \"books\" already exists; pick another name or remove it first"
    );
    let bad_setting = api
        .call(
            Method::POST,
            "/api/v1/connections",
            "/api/v1/connections",
            Some(
                json!({"name": "typo", "connector": "xero", "settings": {"no-such-setting": "1"}}),
            ),
            &[],
        )
        .await;
    assert_eq!(bad_setting.status, 422, "{}", bad_setting.text);
    assert!(
        bad_setting.json()["detail"]
            .as_str()
            .unwrap()
            .starts_with("connector xero has no setting \"no-such-setting\"; its settings are: "),
        "{}",
        bad_setting.text
    );

    // Connect: the authorize URL, the consent page, the browser back at /oauth/callback.
    let browser = api.anonymous();
    let callback = authorize(&api, &server, "books").await;
    let landed = land(&browser, &callback).await;
    assert_eq!(landed.status, 200, "{}", landed.text);
    assert!(
        landed.text.contains(
            "ledgerlink received the authorization of books. It covers several organisations: choose one in ledgerlink."
        ),
        "{}",
        landed.text
    );

    // The same callback again: refused, and nothing changes.
    let replayed = land(&browser, &callback).await;
    assert_eq!(replayed.status, 400, "{}", replayed.text);
    assert_eq!(replayed.json()["detail"], REPLAYED);
    let forged = land(&browser, "/oauth/callback?code=abc&state=never-issued").await;
    assert_eq!(forged.status, 400);
    assert_eq!(forged.json()["detail"], REPLAYED);

    // Two organisations: the choice is the admin's.
    let pending = api
        .call(
            Method::GET,
            "/api/v1/connections/{name}/tenants",
            "/api/v1/connections/books/tenants",
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(pending["pending"], true, "{pending}");
    assert_eq!(pending["chosen"], Value::Null, "{pending}");
    let mut offered: Vec<&str> = pending["offered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    offered.sort();
    let mut want = vec![XERO_TENANT_NZ_ID, XERO_TENANT_US_ID];
    want.sort();
    assert_eq!(offered, want);
    let shown = api
        .call(
            Method::GET,
            "/api/v1/connections/{name}",
            "/api/v1/connections/books",
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(shown["health"], "error", "{shown}");
    assert!(
        shown["status_message"]
            .as_str()
            .unwrap()
            .ends_with("choose one with PUT /api/v1/connections/books/tenants"),
        "{shown}"
    );
    let wrong = api
        .call(
            Method::PUT,
            "/api/v1/connections/{name}/tenants",
            "/api/v1/connections/books/tenants",
            Some(json!({"tenant": "Nowhere Ltd"})),
            &[],
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.text);
    assert!(
        wrong.json()["detail"].as_str().unwrap().starts_with(
            "\"Nowhere Ltd\" is not among the organisations this authorization covers: Demo Company"
        ),
        "{}",
        wrong.text
    );
    let chosen = api
        .call(
            Method::PUT,
            "/api/v1/connections/{name}/tenants",
            "/api/v1/connections/books/tenants",
            Some(json!({"tenant": "demo company (nz)"})),
            &[],
        )
        .await;
    assert_eq!(chosen.status, 200, "{}", chosen.text);
    assert_eq!(
        chosen.json(),
        json!({"chosen": {"id": XERO_TENANT_NZ_ID, "name": "Demo Company (NZ)"}, "offered": [], "pending": false})
    );
    let twice = api
        .call(
            Method::PUT,
            "/api/v1/connections/{name}/tenants",
            "/api/v1/connections/books/tenants",
            Some(json!({"tenant": XERO_TENANT_NZ_ID})),
            &[],
        )
        .await;
    assert_eq!(twice.status, 409, "{}", twice.text);

    // Connected: Xero answers a check through the stored tokens.
    let shown = api
        .call(
            Method::GET,
            "/api/v1/connections/{name}",
            "/api/v1/connections/books",
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(shown["health"], "connected", "{shown}");
    let checked = api
        .call(
            Method::POST,
            "/api/v1/connections/{name}/check",
            "/api/v1/connections/books/check",
            None,
            &[],
        )
        .await;
    assert_eq!(checked.status, 200, "{}", checked.text);
    assert_eq!(checked.json()["ok"], true, "{}", checked.text);
    assert!(
        checked.json()["message"]
            .as_str()
            .unwrap()
            .contains("Demo Company (NZ)"),
        "{}",
        checked.text
    );

    // The tokens are in the vault.
    let data = tmp.path().join("data");
    let key = cli()
        .get_envs()
        .find(|(k, _)| *k == vendor_world::VAULT_KEY)
        .and_then(|(_, v)| v)
        .map(|v| v.to_string_lossy().into_owned())
        .unwrap();
    let db = crate::support::engine::db(&data);
    let vault = vault::open_with_env(&data, &db, VaultPreference::File, &move |name| {
        (name == vendor_world::VAULT_KEY).then(|| key.clone())
    })
    .unwrap();
    let stored = tokens::load(vault.as_ref(), "books").unwrap().unwrap();
    let refresh = stored.refresh_token.clone().unwrap();

    // Connecting again keeps the organisation chosen (the grant still covers it).
    let callback = authorize(&api, &server, "books").await;
    let landed = land(&browser, &callback).await;
    assert_eq!(landed.status, 200, "{}", landed.text);
    assert!(
        landed
            .text
            .contains("ledgerlink connected books to Demo Company (NZ). You can close this tab."),
        "{}",
        landed.text
    );
    let renewed = tokens::load(vault.as_ref(), "books").unwrap().unwrap();
    assert_ne!(renewed.access_token, stored.access_token);

    // A callback whose session signed out meanwhile stores nothing.
    let mut second = api.anonymous();
    assert_eq!(second.sign_in("admin", ADMIN_PASSWORD).await.status, 200);
    let callback = authorize(&second, &server, "books").await;
    let out = second
        .call(
            Method::DELETE,
            "/api/v1/session",
            "/api/v1/session",
            None,
            &[],
        )
        .await;
    assert_eq!(out.status, 204);
    let orphan = land(&browser, &callback).await;
    assert_eq!(orphan.status, 401, "{}", orphan.text);
    assert_eq!(
        orphan.json()["detail"],
        "the session that began connecting books has ended (signed out or expired); nothing was stored. Sign in and begin again with GET /api/v1/connections/books/connect"
    );
    let unchanged = tokens::load(vault.as_ref(), "books").unwrap().unwrap();
    assert_eq!(unchanged.access_token, renewed.access_token);

    // Set-key on an OAuth connection: the CLI's refusal.
    let not_key = api
        .call(
            Method::PUT,
            "/api/v1/connections/{name}/key",
            "/api/v1/connections/books/key",
            Some(json!({"key": API_KEY})),
            &[],
        )
        .await;
    assert_eq!(not_key.status, 422, "{}", not_key.text);
    assert_eq!(
        not_key.json()["detail"],
        "connection books (connector xero) does not use an API key (its auth is oauth2); nothing was stored"
    );

    // The audit log names the admin for each change, the callback's included.
    let audit = api
        .call(Method::GET, "/api/v1/audit", "/api/v1/audit", None, &[])
        .await
        .json();
    let lines: Vec<String> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| format!("{} {}", l["actor"], l["detail"]))
        .collect();
    for change in [
        "POST /api/v1/connections → 201",
        "began connecting books",
        "connected books through /oauth/callback; organisation to choose",
        "PUT /api/v1/connections/books/tenants → 200",
        "connected books through /oauth/callback to Demo Company (NZ)",
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("\"admin\"") && l.contains(change)),
            "{change} not audited: {lines:#?}"
        );
    }

    // Remove: access revoked at Xero, the vault emptied, the connection gone.
    let removed = api
        .call(
            Method::DELETE,
            "/api/v1/connections/{name}",
            "/api/v1/connections/books",
            None,
            &[],
        )
        .await;
    assert_eq!(removed.status, 200, "{}", removed.text);
    assert_eq!(
        removed.json(),
        json!({
            "revocation": "revoked",
            "message": "Revoked ledgerlink's access at Xero. Removed connection books and its credentials.",
            "vault_items": ["tokens", "client-secret", "api-key"],
        })
    );
    assert!(tokens::load(vault.as_ref(), "books").unwrap().is_none());
    let gone = api
        .call(
            Method::GET,
            "/api/v1/connections/{name}",
            "/api/v1/connections/books",
            None,
            &[],
        )
        .await;
    assert_eq!(gone.status, 404);
    assert_eq!(
        gone.json()["detail"],
        "there is no connection called \"books\"; `ledgerlink connections list` shows them"
    );

    drop(server);
    let log_text = std::fs::read_to_string(&log).unwrap();
    let secrets = [
        ADMIN_PASSWORD,
        OPERATOR_PASSWORD,
        operator_token.as_str(),
        XERO_CLIENT_SECRET,
        stored.access_token.as_str(),
        refresh.as_str(),
        renewed.access_token.as_str(),
        renewed.refresh_token.as_deref().unwrap(),
    ];
    assert_no_secrets("the server log", &log_text, &secrets);
    for caller in [&api, &anon, &operator, &browser, &second] {
        assert_no_secrets(
            "the API's answers",
            &caller.seen.lock().unwrap().join("\n"),
            &secrets,
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_is_uploaded_and_its_api_key_stored_through_the_api_never_answered_back() {
    let tmp = tempfile::tempdir().unwrap();
    let cli = bare(tmp.path());
    add_user(cli(), "admin", "admin", ADMIN_PASSWORD);
    let log = tmp.path().join("serve.log");
    let server = Server::start(cli(), &[], &log);
    let mut api = Api::new(&server.base).await;
    assert_eq!(api.sign_in("admin", ADMIN_PASSWORD).await.status, 200);

    // Upload the plugin: the CLI's install path, its reserved-name refusal included.
    let variant = |name: &str| {
        let file = tmp.path().join(format!("{name}.wasm"));
        Variant {
            name,
            auth: "api-key",
            ..Variant::default()
        }
        .write(&file);
        std::fs::read(&file).unwrap()
    };
    let wasm = variant("keyed");
    let installed = upload(&api, wasm.clone(), "keyed.wasm").await;
    assert_eq!(installed.status, 201, "{}", installed.text);
    let sha = format!("{:x}", sha2::Sha256::digest(&wasm));
    assert_eq!(
        installed.json(),
        json!({
            "name": "keyed",
            "version": "0.1.0",
            "sha256": sha,
            "replaced_version": null,
            "not_upgraded": [],
            "message": format!("Installed keyed 0.1.0 (sha256 {sha}) from keyed.wasm."),
        })
    );
    let impostor = upload(&api, variant("xero"), "xero.wasm").await;
    assert_eq!(impostor.status, 422, "{}", impostor.text);
    assert!(
        impostor.json()["detail"].as_str().unwrap().contains(
            "declares the name \"xero\", which is reserved for ledgerlink's built-in xero connector"
        ),
        "{}",
        impostor.text
    );
    let empty = upload(&api, Vec::new(), "nothing.wasm").await;
    assert_eq!(empty.status, 422, "{}", empty.text);
    assert_eq!(
        empty.json()["detail"],
        "the upload nothing.wasm is empty; send the connector's .wasm component as the request body"
    );

    // The installed connector is listed, with where it came from.
    let listed = api
        .call(
            Method::GET,
            "/api/v1/connectors",
            "/api/v1/connectors?limit=500",
            None,
            &[],
        )
        .await
        .json();
    let keyed = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "keyed")
        .cloned()
        .unwrap();
    assert_eq!(keyed["origin"], "installed", "{keyed}");
    assert_eq!(keyed["source"], "keyed.wasm (uploaded by admin)", "{keyed}");
    assert_eq!(keyed["sha256"], sha.as_str(), "{keyed}");
    assert_eq!(keyed["auth"], "api-key", "{keyed}");
    let inspected = api
        .call(
            Method::GET,
            "/api/v1/connectors/{name}",
            "/api/v1/connectors/keyed",
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(inspected["auth"]["kind"], "api-key", "{inspected}");
    assert_eq!(inspected["sha256"], keyed["sha256"]);

    let added = api
        .call(
            Method::POST,
            "/api/v1/connections",
            "/api/v1/connections",
            Some(json!({"name": "k", "connector": "keyed"})),
            &[],
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    assert_eq!(
        added.json()["next"],
        "store its API key: PUT /api/v1/connections/k/key"
    );

    let short = api
        .call(
            Method::PUT,
            "/api/v1/connections/{name}/key",
            "/api/v1/connections/k/key",
            Some(json!({"key": "abc1234"})),
            &[],
        )
        .await;
    assert_eq!(short.status, 422, "{}", short.text);
    assert_eq!(
        short.json()["detail"],
        "the API key given for k is 7 characters long; ledgerlink refuses keys shorter than 16 characters (a short key is easy to guess and cannot be reliably redacted when a vendor echoes it back). Nothing was stored; give the full key your vendor issued"
    );
    let empty = api
        .call(
            Method::PUT,
            "/api/v1/connections/{name}/key",
            "/api/v1/connections/k/key",
            Some(json!({"key": "  "})),
            &[],
        )
        .await;
    assert_eq!(empty.status, 422, "{}", empty.text);
    let stored = api
        .call(
            Method::PUT,
            "/api/v1/connections/{name}/key",
            "/api/v1/connections/k/key",
            Some(json!({"key": API_KEY})),
            &[],
        )
        .await;
    assert_eq!(stored.status, 204, "{}", stored.text);
    assert_eq!(stored.text, "");
    let shown = api
        .call(
            Method::GET,
            "/api/v1/connections/{name}",
            "/api/v1/connections/k",
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(shown["health"], "connected", "{shown}");
    let unknown = api
        .call(
            Method::PUT,
            "/api/v1/connections/{name}/key",
            "/api/v1/connections/nosuch/key",
            Some(json!({"key": API_KEY})),
            &[],
        )
        .await;
    assert_eq!(unknown.status, 404, "{}", unknown.text);

    // In the vault, nowhere else.
    let out = cli()
        .args(["connections", "show", "k", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains(API_KEY));
    let removed = api
        .call(
            Method::DELETE,
            "/api/v1/connections/{name}",
            "/api/v1/connections/k",
            None,
            &[],
        )
        .await;
    assert_eq!(removed.status, 200, "{}", removed.text);
    assert_eq!(removed.json()["revocation"], "not-needed");
    assert_eq!(
        removed.json()["message"],
        "Removed connection k and its credentials."
    );

    drop(server);
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert_no_secrets("the server log", &log_text, &[ADMIN_PASSWORD, API_KEY]);
    assert_no_secrets(
        "the API's answers",
        &api.seen.lock().unwrap().join("\n"),
        &[ADMIN_PASSWORD, API_KEY],
    );
}

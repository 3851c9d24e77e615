//! Support access and retention (issue 19, item 7), end to end against the real
//! `ledgerlink serve` and CLI: a time-limited support user reads runs, plans, jobs and the audit log,
//! is refused everything else, is audited on every request and stops working when revoked or
//! expired; `ledgerlink purge` removes old records and keeps summaries. Every response is
//! validated against the served OpenAPI document (tests/serve.rs's `Api`).

use std::path::Path;

use ledgerlink::store::id_map::MapEntry;
use ledgerlink::store::sync_state::{NewIntent, RunItem, Settlement, SyncState};
use reqwest::Method;
use serde_json::{Value, json};

use crate::serve::{
    ADMIN_PASSWORD, Api, OPERATOR_PASSWORD, Server, add_user, assert_no_secrets, bare, create_token,
};
use crate::support::engine;

fn item(key: &str, outcome: &str) -> RunItem {
    RunItem {
        home_key: Some(key.to_owned()),
        remote_id: None,
        name: format!("Customer {key}"),
        outcome: outcome.to_owned(),
        reason: if outcome == "failed" {
            "refused by the target".to_owned()
        } else {
            String::new()
        },
    }
}

fn entry(key: &str, remote: &str) -> MapEntry {
    MapEntry {
        home_key: key.to_owned(),
        remote_id: remote.to_owned(),
        home_fingerprint: "h".into(),
        remote_fingerprint: "r".into(),
        synced_at: 1,
    }
}

/// A finished push run on its own plan: `written` keys created (intent key `<run>:<key>`),
/// `failed` keys refused by the target, `skipped` keys skipped. Returns (run, plan).
fn push_run(state: &SyncState, written: &[&str], failed: &[&str], skipped: &[&str]) -> (i64, i64) {
    let plan = state
        .save_plan("xero", "customers", "push", "{\"version\":1,\"rows\":[]}")
        .unwrap();
    let run = state
        .start_run(Some(plan), "xero", "customers", "push", false)
        .unwrap();
    let keys: Vec<(String, &str)> = written
        .iter()
        .chain(failed)
        .map(|k| (format!("{run}:{k}"), *k))
        .collect();
    let intents: Vec<NewIntent<'_>> = keys
        .iter()
        .map(|(key, home)| NewIntent {
            home_key: home,
            key,
            payload: format!("{{\"name\":\"Customer {home}\",\"remote_id\":null}}"),
        })
        .collect();
    state
        .record_intents(run, "xero", "customers", &intents)
        .unwrap();
    let entries: Vec<MapEntry> = written
        .iter()
        .map(|k| entry(k, &format!("X-{run}-{k}")))
        .collect();
    let created: Vec<RunItem> = written.iter().map(|k| item(k, "created")).collect();
    let refused: Vec<RunItem> = failed.iter().map(|k| item(k, "failed")).collect();
    let mut settlements: Vec<Settlement<'_>> = Vec::new();
    for (i, (key, _)) in keys.iter().enumerate() {
        settlements.push(if i < written.len() {
            Settlement::Written {
                key,
                entry: &entries[i],
                item: &created[i],
            }
        } else {
            Settlement::Failed {
                key,
                item: &refused[i - written.len()],
            }
        });
    }
    state
        .settle_all(run, "xero", "customers", &settlements)
        .unwrap();
    for k in skipped {
        state.record_item(run, &item(k, "skipped")).unwrap();
    }
    state.finish_run(run).unwrap();
    (run, plan)
}

fn run_cli(mut cmd: std::process::Command, args: &[&str]) -> (bool, String, String) {
    let out = cmd.args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The data folder `bare(tmp)` uses.
fn data(tmp: &Path) -> std::path::PathBuf {
    tmp.join("data")
}

/// The operations a support user may call; every other one (but the open three) is refused.
fn support_may(method: &str, template: &str) -> bool {
    match method {
        "get" => {
            template == "/api/v1/session"
                || template == "/api/v1/audit"
                || template.starts_with("/api/v1/runs")
                || template == "/api/v1/plans/{id}"
                || template.starts_with("/api/v1/jobs")
        }
        "delete" => template == "/api/v1/session",
        _ => false,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn support_reads_runs_and_the_audit_log_is_refused_the_rest_audited_and_stops_on_revoke_or_expiry()
 {
    let tmp = tempfile::tempdir().unwrap();
    let cli = bare(tmp.path());
    add_user(cli(), "admin", "admin", ADMIN_PASSWORD);
    add_user(cli(), "olive", "operator", OPERATOR_PASSWORD);
    let operator_token = create_token(cli(), "olive");
    let (run, _) = push_run(
        &engine::sync_state(&data(tmp.path())),
        &["TP-1", "TP-2"],
        &["TP-3"],
        &["TP-4"],
    );

    // A grant from the CLI: the token alone on standard output.
    let (ok, out, err) = run_cli(
        cli(),
        &["support", "grant", "--days", "3", "--name", "vendor-ann"],
    );
    assert!(ok, "{err}");
    let cli_token = out.trim().to_owned();
    assert!(
        cli_token.starts_with("llk_") && !cli_token.contains('\n'),
        "{out}"
    );
    assert!(
        err.starts_with(
            "Support grant 1 for user vendor-ann: read-only (runs, plans, jobs, audit log) until "
        ),
        "{err}"
    );
    // Nonsense is refused with what to do.
    let (ok, _, err) = run_cli(cli(), &["support", "grant", "--days", "0"]);
    assert!(!ok);
    assert!(err.contains("--days"), "{err}");
    let (ok, _, err) = run_cli(
        cli(),
        &["support", "grant", "--days", "2", "--name", "vendor-ann"],
    );
    assert!(!ok);
    assert!(
        err.contains("there is already a user vendor-ann; choose another name"),
        "{err}"
    );

    let log = tmp.path().join("serve.log");
    let server = Server::start(cli(), &[], &log);
    let anon = Api::new(&server.base).await;
    let mut admin = anon.anonymous();
    assert_eq!(admin.sign_in("admin", ADMIN_PASSWORD).await.status, 200);

    // A grant through the API, with a sign-in password as well.
    let a = admin
        .call(
            Method::POST,
            "/api/v1/support",
            "/api/v1/support",
            Some(json!({"days": 2, "with_password": true})),
            &[],
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let created = a.json();
    assert_eq!(created["grant"]["id"], 2);
    assert_eq!(created["grant"]["name"], "support-2");
    assert_eq!(created["grant"]["granted_by"], "admin");
    assert_eq!(created["grant"]["status"], "active");
    assert_eq!(
        created["grant"]["expires_at"].as_i64().unwrap()
            - created["grant"]["created_at"].as_i64().unwrap(),
        2 * 86_400
    );
    let api_token = created["token"].as_str().unwrap().to_owned();
    let api_password = created["password"].as_str().unwrap().to_owned();
    let a = admin
        .call(
            Method::POST,
            "/api/v1/support",
            "/api/v1/support",
            Some(json!({"days": 91})),
            &[],
        )
        .await;
    assert_eq!(a.status, 422, "{}", a.text);
    assert_eq!(
        a.json()["detail"],
        "support access lasts 1 to 90 days, not 91; pass --days with a number in that range"
    );
    // An operator grants nothing.
    let mut operator = anon.anonymous();
    operator.token = Some(operator_token.clone());
    let a = operator
        .call(
            Method::POST,
            "/api/v1/support",
            "/api/v1/support",
            Some(json!({"days": 1})),
            &[],
        )
        .await;
    assert_eq!(a.status, 403);

    // A stored compare for the support user to read (as `compare` stores one).
    let plan = serde_json::from_value::<ledgerlink::sync::plan::Plan>(json!({
        "version": 1, "connection": "books", "entity": "customers", "direction": "push",
        "items": [{"item": {"home_key": "TP-5", "remote_id": null, "name": "Customer TP-5",
            "action": "add", "reason": "not in the target yet", "diffs": []},
            "record": null}],
    }))
    .unwrap();
    let plan_id = engine::sync_state(&data(tmp.path()))
        .save_plan(
            "books",
            "customers",
            "push",
            &serde_json::to_string(&plan).unwrap(),
        )
        .unwrap();

    // The support user reads runs, their records, plans, jobs and the audit log.
    let mut support = anon.anonymous();
    support.token = Some(cli_token.clone());
    let me = support
        .call(Method::GET, "/api/v1/session", "/api/v1/session", None, &[])
        .await;
    assert_eq!(
        me.json(),
        json!({"user": "vendor-ann", "role": "support", "csrf_token": null})
    );
    let runs = support
        .call(Method::GET, "/api/v1/runs", "/api/v1/runs", None, &[])
        .await;
    assert_eq!(runs.status, 200);
    assert_eq!(runs.json()["items"][0]["id"], run);
    let items_path = format!("/api/v1/runs/{run}/items");
    let items = support
        .call(
            Method::GET,
            "/api/v1/runs/{id}/items",
            &items_path,
            None,
            &[],
        )
        .await;
    assert_eq!(items.status, 200);
    let outcomes: Vec<(String, String)> = items.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["home_key"].as_str().unwrap().to_owned(),
                i["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("TP-1".to_owned(), "created".to_owned()),
            ("TP-2".into(), "created".into()),
            ("TP-3".into(), "failed".into()),
            ("TP-4".into(), "skipped".into())
        ]
    );
    let shown = support
        .call(
            Method::GET,
            "/api/v1/plans/{id}",
            &format!("/api/v1/plans/{plan_id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    assert_eq!(shown.json()["rows"][0]["key"], "TP-5");
    assert_eq!(shown.json()["counts"], json!({"add": 1}));
    let export_path = format!("/api/v1/runs/{run}/export");
    let export = support
        .call(
            Method::GET,
            "/api/v1/runs/{id}/export",
            &export_path,
            None,
            &[],
        )
        .await;
    assert_eq!(export.status, 200);
    assert!(
        export
            .text
            .contains("TP-3,,Customer TP-3,failed,refused by the target"),
        "{}",
        export.text
    );
    assert_eq!(
        support
            .call(Method::GET, "/api/v1/jobs", "/api/v1/jobs", None, &[])
            .await
            .status,
        200
    );
    assert_eq!(
        support
            .call(Method::GET, "/api/v1/audit", "/api/v1/audit", None, &[])
            .await
            .status,
        200
    );

    // Everything else is refused before it runs: credentials, settings, users, tokens,
    // plugins, any change.
    let mut refused = Vec::new();
    let open = [
        ("get", "/api/v1/health"),
        ("get", "/api/v1/openapi.json"),
        ("post", "/api/v1/session"),
        // The vendor's redirect back: it trusts only the server-side state binding.
        ("get", "/oauth/callback"),
    ];
    for (template, ops) in anon.doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            if open.contains(&(method.as_str(), template.as_str())) || support_may(method, template)
            {
                continue;
            }
            let path = template
                .replace("{name}", "xero")
                .replace("{connection}", "xero")
                .replace("{id}", "1")
                .replace("{key}", "TP-1")
                .replace("{record}", "jobs");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let a = support.call(m, template, &path, Some(json!({})), &[]).await;
            assert_eq!(a.status, 403, "{method} {template}: {}", a.text);
            assert_eq!(
                a.json()["detail"],
                "user vendor-ann has support access: it reads runs, plans, jobs and the audit log, and changes nothing; ask an admin of this ledgerlink"
            );
            refused.push(format!("{} {path} → 403", method.to_uppercase()));
        }
    }
    for must in [
        "GET /api/v1/connections → 403",
        "GET /api/v1/connections/xero/settings → 403",
        "PATCH /api/v1/connections/xero/settings → 403",
        "POST /api/v1/plans/1/apply → 403",
        "POST /api/v1/runs/1/rollback → 403",
        "POST /api/v1/home/import → 403",
        "POST /api/v1/support → 403",
        "GET /api/v1/support → 403",
        "DELETE /api/v1/support/1 → 403",
        // What came with the server's later endpoints: customer data and administration.
        "GET /api/v1/reviews → 403",
        "PUT /api/v1/reviews/xero/TP-1 → 403",
        "GET /api/v1/home/export → 403",
        "PUT /api/v1/home/jobs/1/flags → 403",
        "GET /api/v1/schedules → 403",
        "POST /api/v1/schedules → 403",
        "POST /api/v1/connections → 403",
        "DELETE /api/v1/connections/xero → 403",
        "GET /api/v1/connections/xero/connect → 403",
        "POST /api/v1/connectors → 403",
        "POST /api/v1/connections/xero/push-invoices → 403",
    ] {
        assert!(
            refused.iter().any(|r| r == must),
            "{must} not refused: {refused:?}"
        );
    }

    // The same user through a browser session: signs in, reads, and a change with its CSRF
    // token is still refused.
    let mut browser = anon.anonymous();
    assert_eq!(
        browser.sign_in("support-2", &api_password).await.status,
        200
    );
    assert_eq!(
        browser
            .call(Method::GET, "/api/v1/runs", "/api/v1/runs", None, &[])
            .await
            .status,
        200
    );
    let a = browser
        .call(
            Method::POST,
            "/api/v1/home/import",
            "/api/v1/home/import",
            Some(json!({})),
            &[],
        )
        .await;
    assert_eq!(a.status, 403);

    // Every request of a support user is in the audit log: who, method, path, answer, when.
    let audit = admin
        .call(
            Method::GET,
            "/api/v1/audit",
            "/api/v1/audit?limit=500",
            None,
            &[],
        )
        .await
        .json();
    let lines: Vec<(String, String)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["action"] == "support-access")
        .map(|l| {
            assert!(l["at"].as_i64().unwrap() > 1_700_000_000);
            (
                l["actor"].as_str().unwrap().to_owned(),
                l["detail"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let ann = |d: &str| ("vendor-ann".to_owned(), d.to_owned());
    for expected in [
        ann("GET /api/v1/session → 200"),
        ann("GET /api/v1/runs → 200"),
        ann(&format!("GET {items_path} → 200")),
        ann("GET /api/v1/audit → 200"),
        ann("GET /api/v1/connections/xero/settings → 403"),
        ann("POST /api/v1/support → 403"),
        ann(&format!("GET /api/v1/plans/{plan_id} → 200")),
        ("support-2".to_owned(), "GET /api/v1/runs → 200".to_owned()),
        (
            "support-2".to_owned(),
            "POST /api/v1/home/import → 403".to_owned(),
        ),
    ] {
        assert!(
            lines.contains(&expected),
            "{expected:?} not audited: {lines:?}"
        );
    }
    // vendor-ann's seven reads (session, runs, items, plan, export, jobs, audit) and its
    // refusals; support-2's read and refusal.
    assert_eq!(lines.len(), 7 + refused.len() + 2, "{lines:?}");
    let grants_audited: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["action"] == "support")
        .map(|l| l["detail"].as_str().unwrap())
        .collect();
    assert_eq!(
        grants_audited,
        [
            "support grant 2: user support-2 may read runs, plans, jobs and the audit log for 2 day(s), with a sign-in password",
            "support grant 1: user vendor-ann may read runs, plans, jobs and the audit log for 3 day(s)",
        ]
    );

    // The admin lists the grants with their expiry.
    let list = admin
        .call(Method::GET, "/api/v1/support", "/api/v1/support", None, &[])
        .await
        .json();
    let listed: Vec<(i64, String, String)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["id"].as_i64().unwrap(),
                g["name"].as_str().unwrap().to_owned(),
                g["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (2, "support-2".to_owned(), "active".to_owned()),
            (1, "vendor-ann".into(), "active".into())
        ]
    );

    // Revoked: its token and its session stop at once.
    let a = admin
        .call(
            Method::DELETE,
            "/api/v1/support/{id}",
            "/api/v1/support/2",
            None,
            &[],
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json()["status"], "revoked");
    let mut revoked = anon.anonymous();
    revoked.token = Some(api_token.clone());
    assert_eq!(
        revoked
            .call(Method::GET, "/api/v1/runs", "/api/v1/runs", None, &[])
            .await
            .status,
        401
    );
    assert_eq!(
        browser
            .call(Method::GET, "/api/v1/runs", "/api/v1/runs", None, &[])
            .await
            .status,
        401
    );
    let mut again = anon.anonymous();
    assert_eq!(again.sign_in("support-2", &api_password).await.status, 401);
    let a = admin
        .call(
            Method::DELETE,
            "/api/v1/support/{id}",
            "/api/v1/support/2",
            None,
            &[],
        )
        .await;
    assert_eq!(a.status, 404);
    assert_eq!(
        a.json()["detail"],
        "there is no unrevoked support grant 2; `ledgerlink support list` shows the grants"
    );

    // Expired: the grant's end moved into the past through the store; its token stops.
    engine::accounts(&data(tmp.path()))
        .set_support_expiry(1, chrono::Utc::now().timestamp() - 1, "test")
        .unwrap();
    assert_eq!(
        support
            .call(Method::GET, "/api/v1/runs", "/api/v1/runs", None, &[])
            .await
            .status,
        401
    );
    let (ok, out, err) = run_cli(cli(), &["support", "list"]);
    assert!(ok, "{err}");
    let rows: Vec<Vec<&str>> = out
        .lines()
        .filter(|l| l.contains("support-2") || l.contains("vendor-ann"))
        .map(|l| {
            l.split_whitespace()
                .filter(|w| !matches!(*w, "│" | "┆"))
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), 2, "{out}");
    assert_eq!(
        (rows[0][0], rows[0][1], *rows[0].last().unwrap()),
        ("2", "support-2", "revoked")
    );
    assert_eq!(
        (rows[1][0], rows[1][1], *rows[1].last().unwrap()),
        ("1", "vendor-ann", "expired")
    );
    let (ok, _, err) = run_cli(cli(), &["support", "revoke", "1"]);
    assert!(ok, "{err}");
    let (ok, _, err) = run_cli(cli(), &["support", "revoke", "1"]);
    assert!(!ok);
    assert!(
        err.contains("there is no unrevoked support grant 1"),
        "{err}"
    );

    // No token, password or hash in anything a support user or the admin received, nor in
    // the server's log (the grant's own answer, which shows them once, aside).
    let support_seen = [&support, &browser, &revoked]
        .iter()
        .flat_map(|a| a.seen.lock().unwrap().clone())
        .collect::<Vec<String>>()
        .join("\n");
    let secrets = [
        cli_token.as_str(),
        api_token.as_str(),
        api_password.as_str(),
        ADMIN_PASSWORD,
        operator_token.as_str(),
    ];
    assert_no_secrets("the support user's answers", &support_seen, &secrets);
    let admin_seen: Vec<String> = admin.seen.lock().unwrap().clone();
    let after_grant: String = admin_seen
        .iter()
        .filter(|s| !s.contains("\"token\""))
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    assert_no_secrets("the admin's answers", &after_grant, &secrets);
    drop(server);
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert_no_secrets("the server log", &log_text, &secrets);
}

#[tokio::test(flavor = "multi_thread")]
async fn purge_removes_old_records_keeps_summaries_and_unsettled_intents_and_the_api_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let cli = bare(tmp.path());
    add_user(cli(), "admin", "admin", ADMIN_PASSWORD);
    let token = create_token(cli(), "admin");
    let state = engine::sync_state(&data(tmp.path()));
    // An old run: two created, one refused, one skipped.
    let (old, old_plan) = push_run(&state, &["TP-1", "TP-2"], &["TP-3"], &["TP-4"]);
    // A recent run that sent TP-1 again (so the old payload of TP-1 is superseded).
    let (recent, _) = push_run(&state, &["TP-1"], &[], &[]);
    // An old run that died mid-push with a write not yet settled.
    let died = state
        .start_run(None, "xero", "customers", "push", false)
        .unwrap();
    state
        .record_intent(
            died,
            "xero",
            "customers",
            "TP-9",
            "died:TP-9",
            "{\"name\":\"Customer TP-9\"}",
        )
        .unwrap();
    state.mark_interrupted(died).unwrap();
    drop(state);
    let db = engine::db(&data(tmp.path()));
    db.execute_batch(&format!(
        "UPDATE runs SET started_at = started_at - 100 * 86400,
             finished_at = finished_at - 100 * 86400 WHERE id IN ({old}, {died});
         UPDATE plans SET created_at = created_at - 100 * 86400 WHERE id = {old_plan};
         UPDATE outbox SET created_at = created_at - 100 * 86400,
             settled_at = settled_at - 100 * 86400 WHERE run_id IN ({old}, {died});"
    ))
    .unwrap();
    let count = |sql: &str| -> i64 { engine::count(&db, sql, &[]) };

    // Nonsense and too short are refused, saying what to write.
    let (ok, _, err) = run_cli(cli(), &["purge", "--older-than", "ninety"]);
    assert!(!ok);
    assert!(
        err.contains("\"ninety\" is not a retention period; write a whole number and a unit: h (hours), d (days) or w (weeks), e.g. 90d or 12w"),
        "{err}"
    );
    let (ok, _, err) = run_cli(cli(), &["purge", "--older-than", "12h"]);
    assert!(!ok);
    assert!(err.contains("\"12h\" is shorter than one day"), "{err}");

    let table = |out: &str| -> Vec<(String, i64)> {
        out.lines()
            .filter_map(|l| {
                let cells: Vec<&str> = l
                    .split(['│', '┆'])
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .collect();
                match cells[..] {
                    [kind, n] => Some((kind.to_owned(), n.parse().ok()?)),
                    _ => None,
                }
            })
            .collect()
    };
    let expected = vec![
        ("plan bodies".to_owned(), 1),
        // The old TP-1 payload (superseded) and the refused TP-3; TP-2's is its newest.
        ("outbox payloads".to_owned(), 2),
        ("run items".to_owned(), 4),
        ("runs (summaries kept)".to_owned(), 1),
    ];
    let (ok, out, err) = run_cli(cli(), &["purge", "--older-than", "90d", "--dry-run"]);
    assert!(ok, "{err}");
    assert!(
        out.starts_with("Would remove what is older than 90d (dry run: nothing was changed):"),
        "{out}"
    );
    assert_eq!(table(&out), expected, "{out}");
    assert_eq!(count("SELECT COUNT(*) FROM run_items"), 5);

    let (ok, out, err) = run_cli(cli(), &["purge", "--older-than", "12w"]);
    assert!(ok, "{err}");
    assert!(out.starts_with("Removed what is older than 12w:"), "{out}");
    assert_eq!(table(&out), expected, "{out}");
    assert_eq!(
        count(&format!(
            "SELECT COUNT(*) FROM run_items WHERE run_id = {old}"
        )),
        0
    );
    assert_eq!(
        count(&format!(
            "SELECT COUNT(*) FROM run_items WHERE run_id = {recent}"
        )),
        1
    );
    // Id maps stay; the unsettled intent keeps its payload for recovery.
    assert_eq!(count("SELECT COUNT(*) FROM id_map"), 2);
    let pending = db
        .query_one(
            "SELECT payload FROM outbox WHERE idempotency_key = 'died:TP-9' AND state = 'pending'",
            &[],
        )
        .unwrap()
        .text(0)
        .unwrap();
    assert_eq!(pending, "{\"name\":\"Customer TP-9\"}");
    // Again: nothing more.
    let (ok, out, _) = run_cli(cli(), &["purge", "--older-than", "90d"]);
    assert!(ok);
    assert!(table(&out).iter().all(|(_, n)| *n == 0), "{out}");

    // The CLI still lists and shows the run, and says its records were purged.
    let (ok, out, err) = run_cli(cli(), &["runs", "list"]);
    assert!(ok, "{err}");
    assert!(out.contains("finished (records purged)"), "{out}");
    let (ok, out, err) = run_cli(cli(), &["runs", "show", &old.to_string()]);
    assert!(ok, "{err}");
    assert!(
        out.contains("it had 2 created, 1 failed, 1 skipped."),
        "{out}"
    );
    assert!(
        out.contains("Its records were removed by retention (`ledgerlink purge`) on "),
        "{out}"
    );

    // So does the API; the records endpoint answers 410 and says why.
    let log = tmp.path().join("serve.log");
    let server = Server::start(cli(), &[], &log);
    let mut api = Api::new(&server.base).await;
    api.token = Some(token);
    let runs = api
        .call(Method::GET, "/api/v1/runs", "/api/v1/runs", None, &[])
        .await
        .json();
    let old_view: &Value = runs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == old)
        .unwrap();
    assert!(
        old_view["items_purged_at"].as_i64().unwrap() > 0,
        "{old_view}"
    );
    assert_eq!(old_view["status"], "finished");
    let show_path = format!("/api/v1/runs/{old}");
    let shown = api
        .call(Method::GET, "/api/v1/runs/{id}", &show_path, None, &[])
        .await
        .json();
    assert_eq!(
        shown["purged_item_counts"],
        json!({"created": 2, "failed": 1, "skipped": 1})
    );
    let items_path = format!("/api/v1/runs/{old}/items");
    let a = api
        .call(
            Method::GET,
            "/api/v1/runs/{id}/items",
            &items_path,
            None,
            &[],
        )
        .await;
    assert_eq!(a.status, 410, "{}", a.text);
    let detail = a.json()["detail"].as_str().unwrap().to_owned();
    assert!(
        detail.starts_with(&format!(
            "the records of run {old} were removed by retention (`ledgerlink purge`) on "
        )),
        "{detail}"
    );
    assert!(
        detail.ends_with(&format!(
            "its summary and counts stay: GET /api/v1/runs/{old}"
        )),
        "{detail}"
    );
    let recent_items = format!("/api/v1/runs/{recent}/items");
    let a = api
        .call(
            Method::GET,
            "/api/v1/runs/{id}/items",
            &recent_items,
            None,
            &[],
        )
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["items"].as_array().unwrap().len(), 1);
    // A purged plan is not applied: compare again.
    let apply_path = format!("/api/v1/plans/{old_plan}/apply");
    let a = api
        .call(
            Method::POST,
            "/api/v1/plans/{id}/apply",
            &apply_path,
            Some(json!({"pick": "all"})),
            &[],
        )
        .await;
    assert_eq!(a.status, 410, "{}", a.text);
    assert_eq!(
        a.json()["detail"],
        format!(
            "plan {old_plan} was removed by retention (`ledgerlink purge`); compare again for a new plan"
        )
    );
    // The purges are audited.
    let audit = api
        .call(Method::GET, "/api/v1/audit", "/api/v1/audit", None, &[])
        .await
        .json();
    let purges: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["action"] == "purge")
        .map(|l| l["detail"].as_str().unwrap())
        .collect();
    assert_eq!(
        purges,
        [
            "purged what is older than 90d: 0 plan bodies, 0 outbox payloads, 0 run items (of 0 runs)",
            "purged what is older than 12w: 1 plan bodies, 2 outbox payloads, 4 run items (of 1 runs)",
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_with_retention_purges_at_start_and_audits_it_as_the_server() {
    let tmp = tempfile::tempdir().unwrap();
    let cli = bare(tmp.path());
    add_user(cli(), "admin", "admin", ADMIN_PASSWORD);
    let token = create_token(cli(), "admin");
    let state = engine::sync_state(&data(tmp.path()));
    let (old, _) = push_run(&state, &["TP-1"], &[], &["TP-2"]);
    drop(state);
    let db = engine::db(&data(tmp.path()));
    db.execute(
        "UPDATE runs SET started_at = started_at - 40 * 86400, finished_at = finished_at - 40 * 86400",
        &[],
    )
    .unwrap();
    db.execute("UPDATE plans SET created_at = created_at - 40 * 86400", &[])
        .unwrap();
    let (ok, _, err) = run_cli(cli(), &["serve", "--retention", "2h"]);
    assert!(!ok);
    assert!(err.contains("\"2h\" is shorter than one day"), "{err}");

    let log = tmp.path().join("serve.log");
    let server = Server::start(cli(), &["--retention", "30d"], &log);
    let mut api = Api::new(&server.base).await;
    api.token = Some(token);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let path = format!("/api/v1/runs/{old}");
    loop {
        let run = api
            .call(Method::GET, "/api/v1/runs/{id}", &path, None, &[])
            .await
            .json();
        if !run["items_purged_at"].is_null() {
            assert_eq!(
                run["purged_item_counts"],
                json!({"created": 1, "skipped": 1})
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not purged: {run}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let audit = api
        .call(Method::GET, "/api/v1/audit", "/api/v1/audit", None, &[])
        .await
        .json();
    let purge = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["action"] == "purge")
        .unwrap()
        .clone();
    assert_eq!(purge["actor"], "server");
    assert_eq!(
        purge["detail"],
        "purged what is older than 30d: 1 plan bodies, 0 outbox payloads, 2 run items (of 1 runs)"
    );
}

//! Scheduled transfers end to end: the real `ledgerlink serve` over HTTP against the sandbox
//! Xero. A schedule made through the API and one made with the CLI fire on time and run their
//! transfer as a job whose run lands records in Xero; a paused schedule does not fire; ticks
//! missed while no server ran collapse into one run at start; roles; a bad cron expression;
//! push-invoices as a job. Every answer is validated against the server's OpenAPI document
//! (the validator of `serve.rs`).

use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike as _, Timelike as _, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::serve::{
    ADMIN_PASSWORD, Answer, Api, OPERATOR_PASSWORD, Server, add_user, create_token, job_book,
};
use crate::vendor_world::{Vendor, World};

/// A world with three customers and two closed, ready jobs; an admin and an operator (olive)
/// with API tokens; a running server.
async fn setup() -> (World, Server, Api, Api) {
    let world = World::with_book(Vendor::Xero, &job_book(3, 2), &[]).await;
    add_user(world.cli(), "admin", "admin", ADMIN_PASSWORD);
    add_user(world.cli(), "olive", "operator", OPERATOR_PASSWORD);
    let admin_token = create_token(world.cli(), "admin");
    let olive_token = create_token(world.cli(), "olive");
    let server = Server::start(world.cli(), &[], &world.data.join("serve.log"));
    let mut admin = Api::new(&server.base).await;
    admin.token = Some(admin_token);
    let mut olive = admin.anonymous();
    olive.token = Some(olive_token);
    (world, server, admin, olive)
}

/// GET `path` (an instance of `template`), which must answer 200; its JSON.
async fn get(api: &Api, template: &str, path: &str) -> Value {
    let a = api.call(Method::GET, template, path, None, &[]).await;
    assert_eq!(a.status, 200, "{path}: {}", a.text);
    a.json()
}

/// POST a schedule.
async fn add_schedule(api: &Api, body: Value) -> Answer {
    api.call(
        Method::POST,
        "/api/v1/schedules",
        "/api/v1/schedules",
        Some(body),
        &[],
    )
    .await
}

/// `answer` is a problem with `status` and exactly `detail`.
fn assert_refused(answer: &Answer, status: u16, detail: &str) {
    assert_eq!(answer.status, status, "{}", answer.text);
    assert_eq!(answer.headers["content-type"], "application/problem+json");
    assert_eq!(answer.json()["detail"], detail);
}

/// Every job schedule `id` queued, oldest first.
async fn jobs_of(api: &Api, schedule: i64) -> Vec<Value> {
    let page = get(api, "/api/v1/jobs", "/api/v1/jobs?limit=500").await;
    let by = format!("schedule {schedule}");
    let mut jobs: Vec<Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["created_by"] == by.as_str())
        .cloned()
        .collect();
    jobs.reverse();
    jobs
}

/// The first job schedule `id` queues (waiting up to `within`).
async fn first_job_of(api: &Api, schedule: i64, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        if let Some(job) = jobs_of(api, schedule).await.into_iter().next() {
            return job;
        }
        assert!(
            Instant::now() < deadline,
            "schedule {schedule} queued no job within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn schedule(api: &Api, id: i64) -> Value {
    let list = get(api, "/api/v1/schedules", "/api/v1/schedules").await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no schedule {id}: {list}"))
}

async fn set_paused(api: &Api, id: i64, paused: bool) -> Value {
    let a = api
        .call(
            Method::PATCH,
            "/api/v1/schedules/{id}",
            &format!("/api/v1/schedules/{id}"),
            Some(json!({ "paused": paused })),
            &[],
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.json()
}

/// A cron expression (seconds first) due once a day at each of `times` (which share one
/// minute of one hour).
fn at_seconds(times: &[DateTime<Utc>]) -> String {
    let seconds: Vec<String> = times.iter().map(|t| t.second().to_string()).collect();
    format!(
        "{} {} {} * * *",
        seconds.join(","),
        times[0].minute(),
        times[0].hour()
    )
}

/// Now, at a whole second at most 45 seconds into its minute, so that the next ten seconds
/// share its minute.
async fn early_in_a_minute() -> DateTime<Utc> {
    loop {
        let now = Utc::now();
        if now.second() <= 45 {
            return now.with_nanosecond(0).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn unix(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

#[tokio::test(flavor = "multi_thread")]
async fn schedules_fire_on_time_run_their_transfer_pause_and_collapse_missed_ticks() {
    let (world, mut server, admin, olive) = setup().await;

    // An operator may not make a schedule.
    let every_two_seconds = json!({
        "connection": "xero", "transfer": "customers", "cron": "*/2 * * * * *"
    });
    assert_refused(
        &add_schedule(&olive, every_two_seconds.clone()).await,
        403,
        "user olive is an operator; an operator may pause and resume schedules, but making one is for an admin",
    );

    // (a) The admin schedules a customers push every two seconds: it fires on time and its
    // job's run creates the three customers in Xero.
    let before = Utc::now().timestamp();
    let made = add_schedule(&admin, every_two_seconds).await;
    assert_eq!(made.status, 201, "{}", made.text);
    let made = made.json();
    assert_eq!(
        (
            &made["id"],
            &made["connection"],
            &made["transfer"],
            &made["cron"],
            &made["timezone"],
            &made["paused"],
            &made["created_by"],
            &made["last_job_id"],
        ),
        (
            &json!(1),
            &json!("xero"),
            &json!("customers"),
            &json!("*/2 * * * * *"),
            &json!("UTC"),
            &json!(false),
            &json!("admin"),
            &Value::Null
        )
    );
    let due = made["next_run_at"].as_i64().unwrap();
    assert!(
        due > before && due <= before + 3 && due % 2 == 0,
        "next even second: {due} (made at {before})"
    );
    let job = first_job_of(&admin, 1, Duration::from_secs(20)).await;
    let queued = job["created_at"].as_i64().unwrap();
    assert!(
        (due..=due + 2).contains(&queued),
        "due at {due}, queued at {queued}"
    );
    assert_eq!(
        (&job["kind"], &job["connection"]),
        (&json!("transfer"), &json!("xero"))
    );
    let done = admin.wait_job(job["id"].as_i64().unwrap()).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let run = done["run_id"].as_i64().unwrap();
    let mut names = world.customer_names().await;
    names.sort();
    assert_eq!(
        names,
        [
            "Stress Customer 0",
            "Stress Customer 1",
            "Stress Customer 2"
        ]
    );
    let items = get(
        &admin,
        "/api/v1/runs/{id}/items",
        &format!("/api/v1/runs/{run}/items"),
    )
    .await;
    let mut created: Vec<(String, String)> = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["home_key"].as_str().unwrap_or("-").to_owned(),
                i["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    created.sort();
    assert_eq!(
        created,
        [("C0", "created"), ("C1", "created"), ("C2", "created")]
            .map(|(k, o)| (k.to_owned(), o.to_owned())),
        "{items}"
    );

    // (c) The operator pauses it: once its live job (if any) ended, nothing more fires.
    let paused = set_paused(&olive, 1, true).await;
    assert_eq!(paused["paused"], true);
    let deadline = Instant::now() + Duration::from_secs(120);
    let settled = loop {
        let jobs = jobs_of(&admin, 1).await;
        if jobs
            .iter()
            .all(|j| matches!(j["status"].as_str(), Some("succeeded" | "failed")))
        {
            break jobs;
        }
        assert!(Instant::now() < deadline, "jobs did not end: {jobs:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // Later runs found nothing to do, and did it without failing.
    for j in &settled {
        assert_eq!(j["status"], "succeeded", "{j}");
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        jobs_of(&admin, 1).await.len(),
        settled.len(),
        "a paused schedule fired"
    );
    assert_eq!(schedule(&admin, 1).await["paused"], true);

    // (e) The operator may resume it but not remove it; the audit log names her.
    let resumed_at = Utc::now().timestamp();
    let resumed = set_paused(&olive, 1, false).await;
    assert_eq!(resumed["paused"], false);
    let next = resumed["next_run_at"].as_i64().unwrap();
    assert!(next > resumed_at - 1 && next <= resumed_at + 3, "{resumed}");
    set_paused(&olive, 1, true).await;
    let remove = olive
        .call(
            Method::DELETE,
            "/api/v1/schedules/{id}",
            "/api/v1/schedules/1",
            None,
            &[],
        )
        .await;
    assert_refused(
        &remove,
        403,
        "user olive is an operator; an operator may pause and resume schedules, but removing one is for an admin",
    );
    let audit = get(&admin, "/api/v1/audit", "/api/v1/audit?limit=500").await;
    let lines: Vec<(String, String)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["actor"].as_str().unwrap_or("-").to_owned(),
                l["detail"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (actor, detail) in [
        ("olive", "schedule 1 paused"),
        ("olive", "schedule 1 resumed"),
        ("admin", "schedule 1 added"),
    ] {
        assert!(
            lines
                .iter()
                .any(|(a, d)| a == actor && d.starts_with(detail)),
            "{actor}: {detail} not audited: {lines:#?}"
        );
    }

    // (a) A schedule made with the CLI: job invoices, once, a few seconds from now. It fires
    // on time and its run creates both invoices in Xero.
    let now = early_in_a_minute().await;
    let due = now + chrono::Duration::seconds(4);
    let cron = at_seconds(&[due]);
    let out = world.ok(&[
        "schedules",
        "add",
        "--connection",
        "xero",
        "--transfer",
        "job-invoices",
        "--cron",
        &cron,
    ]);
    assert_eq!(
        out.trim(),
        format!(
            "Added schedule 2: job-invoices on xero at {cron:?} (UTC); next run {}. `ledgerlink serve` runs it.",
            due.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )
    );
    let job = first_job_of(&admin, 2, Duration::from_secs(20)).await;
    let queued = job["created_at"].as_i64().unwrap();
    assert!(
        (unix(due)..=unix(due) + 2).contains(&queued),
        "due at {due}, queued at {queued}"
    );
    let done = admin.wait_job(job["id"].as_i64().unwrap()).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let mut numbers: Vec<String> = world.invoices().await.into_iter().map(|(n, _)| n).collect();
    numbers.sort();
    assert_eq!(numbers, ["J100001", "J100002"]);
    let listed = world.ok(&["schedules", "list"]);
    assert!(
        listed.contains(&format!("{cron} (UTC)")) && listed.contains("paused"),
        "{listed}"
    );

    // (b) The server stops; a schedule due three times in the next six seconds is made while
    // it is down. Started again after all three, it runs the schedule ONCE, at start.
    assert!(server.terminate().success());
    let now = early_in_a_minute().await;
    let ticks: Vec<DateTime<Utc>> = [2, 4, 6]
        .iter()
        .map(|s| now + chrono::Duration::seconds(*s))
        .collect();
    let cron = at_seconds(&ticks);
    world.ok(&[
        "schedules",
        "add",
        "--connection",
        "xero",
        "--transfer",
        "customers-pull",
        "--cron",
        &cron,
    ]);
    let listed: Value = serde_json::from_str(&world.ok(&["schedules", "list", "--json"])).unwrap();
    assert_eq!(listed[2]["next_run_at"], unix(ticks[0]), "{listed}");
    while Utc::now() < ticks[2] + chrono::Duration::seconds(2) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let started = Utc::now().timestamp();
    let server = Server::start(world.cli(), &[], &world.data.join("serve.log"));
    let mut admin = admin;
    admin.base = server.base.clone();
    let job = first_job_of(&admin, 3, Duration::from_secs(20)).await;
    let queued = job["created_at"].as_i64().unwrap();
    assert!(
        (started..=started + 3).contains(&queued),
        "queued at start ({started}), not at {queued}"
    );
    let done = admin.wait_job(job["id"].as_i64().unwrap()).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["kind"], "transfer");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let jobs = jobs_of(&admin, 3).await;
    assert_eq!(jobs.len(), 1, "three missed ticks, one run: {jobs:?}");
    let after = schedule(&admin, 3).await;
    assert_eq!(after["last_job_id"], job["id"]);
    assert_eq!(
        after["next_run_at"],
        unix(ticks[0]) + 24 * 3600,
        "next due tomorrow at the first of its seconds: {after}"
    );
    // The paused schedule 1 did not fire at start either.
    assert_eq!(jobs_of(&admin, 1).await.len(), settled.len());
    let log = std::fs::read_to_string(world.data.join("serve.log")).unwrap();
    assert_eq!(
        log.matches(&format!("schedule 3 queued job {}", job["id"]))
            .count(),
        1,
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_cron_is_refused_by_cli_and_api_and_push_invoices_is_one_job_per_key() {
    let (world, _server, admin, _olive) = setup().await;

    // (d) The same sentence from the CLI and the API; nothing is stored.
    let message = "the cron expression \"61 * * * *\" is not valid: its minute field \"61\" is not one of 0-59. Give five fields (minute hour day-of-month month day-of-week) or six with seconds first, e.g. \"*/15 * * * *\" (every 15 minutes) or \"0 9-21 * * MON-FRI\" (hourly on weekdays, 09:00 to 21:00)";
    let body = json!({"connection": "xero", "transfer": "customers", "cron": "61 * * * *"});
    assert_refused(&add_schedule(&admin, body).await, 422, message);
    let (_, err) = world.fails(&[
        "schedules",
        "add",
        "--connection",
        "xero",
        "--transfer",
        "customers",
        "--cron",
        "61 * * * *",
    ]);
    assert_eq!(err.trim(), format!("error: {message}"));
    // A zone other than UTC, and an unknown connection, are refused too.
    let body = json!({"connection": "xero", "transfer": "customers", "cron": "0 9 * * *", "timezone": "Europe/Osl"});
    assert_refused(
        &add_schedule(&admin, body).await,
        422,
        "time zone \"Europe/Osl\" is not known: give an IANA zone name such as Europe/London or Pacific/Auckland, or leave it out for UTC",
    );
    let body = json!({"connection": "nowhere", "transfer": "customers", "cron": "0 9 * * *"});
    assert_eq!(add_schedule(&admin, body).await.status, 404);
    let list = get(&admin, "/api/v1/schedules", "/api/v1/schedules").await;
    assert_eq!(list, json!({"items": []}));
    assert_eq!(world.ok(&["schedules", "list", "--json"]).trim(), "[]");

    // A named zone: Monday 09:00 in Auckland, stored as the UTC instant it stands for; the
    // admin removes it.
    let body = json!({"connection": "xero", "transfer": "job-invoices", "cron": "0 9 * * MON", "timezone": "Pacific/Auckland"});
    let made = add_schedule(&admin, body).await;
    assert_eq!(made.status, 201, "{}", made.text);
    let made = made.json();
    assert_eq!(made["timezone"], "Pacific/Auckland");
    let auckland = chrono_tz::Pacific::Auckland;
    let today = Utc::now().with_timezone(&auckland).date_naive();
    let monday_nine = (0..=7)
        .map(|d| today + chrono::Days::new(d))
        .filter(|d| d.weekday() == chrono::Weekday::Mon)
        .filter_map(|d| {
            d.and_hms_opt(9, 0, 0)?
                .and_local_timezone(auckland)
                .single()
        })
        .find(|t| *t > Utc::now())
        .unwrap();
    assert_eq!(made["next_run_at"], monday_nine.timestamp(), "{made}");
    let id = made["id"].as_i64().unwrap();
    let removed = admin
        .call(
            Method::DELETE,
            "/api/v1/schedules/{id}",
            &format!("/api/v1/schedules/{id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(removed.status, 204, "{}", removed.text);
    let list = get(&admin, "/api/v1/schedules", "/api/v1/schedules").await;
    assert_eq!(list, json!({"items": []}));

    // (f) push-invoices: 202 and a job; the same Idempotency-Key twice is that one job.
    let first = admin.push_invoices("job", Some("push-1")).await;
    assert_eq!(first.status, 202, "{}", first.text);
    let again = admin.push_invoices("job", Some("push-1")).await;
    assert_eq!(again.status, 202, "{}", again.text);
    let job = first.json();
    assert_eq!(again.json()["id"], job["id"], "one job for one key");
    assert_eq!(
        (&job["kind"], &job["connection"], &job["created_by"]),
        (&json!("push-invoices"), &json!("xero"), &json!("admin"))
    );
    let done = admin.wait_job(job["id"].as_i64().unwrap()).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let mut numbers: Vec<String> = world.invoices().await.into_iter().map(|(n, _)| n).collect();
    numbers.sort();
    assert_eq!(numbers, ["J100001", "J100002"]);
    let jobs = get(&admin, "/api/v1/jobs", "/api/v1/jobs").await;
    assert_eq!(jobs["items"].as_array().unwrap().len(), 1, "{jobs}");

    // A kind that is not pushed.
    let bad = admin.push_invoices("customers", None).await;
    assert_refused(
        &bad,
        400,
        "kind \"customers\" is not pushed as invoices; use job or contract",
    );
}

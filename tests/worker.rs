//! `ledgerlink worker` beside `ledgerlink serve --no-jobs` on one data folder, against the
//! sandbox Xero: the API only queues, the workers run; with two workers every job runs in
//! exactly one of them, one job per connection at a time, and the invoices land once each.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::serve::{ADMIN_PASSWORD, Api, Server, add_user, create_token, job_book};
use crate::vendor_world::{Vendor, World};

const JOBS: usize = 30;

#[tokio::test(flavor = "multi_thread")]
async fn workers_run_what_an_api_only_server_queues_each_job_exactly_once() {
    let world = World::with_book(Vendor::Xero, &job_book(3, JOBS), &[]).await;
    add_user(world.cli(), "admin", "admin", ADMIN_PASSWORD);
    let token = create_token(world.cli(), "admin");
    let server = Server::start(world.cli(), &["--no-jobs"], &world.data.join("serve.log"));
    let mut api = Api::new(&server.base).await;
    api.token = Some(token);

    let push = |key: &'static str| {
        let api = &api;
        async move {
            let a = api.push_invoices("job", Some(key)).await;
            assert_eq!(a.status, 202, "{}", a.text);
            a.json()["id"].as_i64().unwrap()
        }
    };
    let first = push("first").await;
    let second = push("second").await;
    assert_ne!(first, second);

    // Served with --no-jobs, nothing runs them.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for job in [first, second] {
        let path = format!("/api/v1/jobs/{job}");
        let j = api
            .call(Method::GET, "/api/v1/jobs/{id}", &path, None, &[])
            .await
            .json();
        assert_eq!(j["status"], "queued", "{j}");
        assert_eq!(j["attempts"], 0, "{j}");
    }
    assert!(world.invoices().await.is_empty());

    // Two workers on the same data folder.
    let logs = [
        world.data.join("worker-a.log"),
        world.data.join("worker-b.log"),
    ];
    let mut workers: Vec<Server> = logs
        .iter()
        .map(|log| Server::worker(world.cli(), &["--job-lease", "5"], log))
        .collect();

    let a = api.wait_job(first).await;
    let b = api.wait_job(second).await;
    assert_eq!(a["status"], "succeeded", "{a}");
    assert_eq!(b["status"], "succeeded", "{b}");
    assert_eq!((&a["attempts"], &b["attempts"]), (&json!(1), &json!(1)));
    // One job per connection at a time: the second began after the first ended.
    assert!(
        b["started_at"].as_i64().unwrap() >= a["finished_at"].as_i64().unwrap(),
        "{a}\n{b}"
    );

    let mut numbers: Vec<String> = world.invoices().await.into_iter().map(|(n, _)| n).collect();
    numbers.sort();
    let want: Vec<String> = (0..JOBS).map(|j| format!("J{}", 100_001 + j)).collect();
    assert_eq!(numbers, want, "every invoice once, none twice");

    // Each job ran in exactly one worker.
    let texts: Vec<String> = logs
        .iter()
        .map(|l| std::fs::read_to_string(l).unwrap())
        .collect();
    for job in [first, second] {
        let marker = format!("job{{id={job} ");
        let ran_in = texts.iter().filter(|t| t.contains(&marker)).count();
        assert_eq!(ran_in, 1, "job {job} ran in {ran_in} workers:\n{texts:#?}");
    }
    let served = std::fs::read_to_string(world.data.join("serve.log")).unwrap();
    assert!(!served.contains("job{id="), "the API-only server ran a job");

    // SIGTERM stops a worker cleanly.
    for w in &mut workers {
        assert!(w.terminate().success());
    }
}

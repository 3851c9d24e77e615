//! `ledgerlink serve` end to end: the real binary over HTTP against the sandbox Xero. Sign in,
//! import, compare, apply a selection as a job, follow its events, read and export the run,
//! roll back; the security of every endpoint; a server killed mid-job. Every response is
//! validated against the OpenAPI document the server itself serves.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::vendor_world::{self, Vendor, World};

pub(crate) const ADMIN_PASSWORD: &str = "admin password of some length";
pub(crate) const OPERATOR_PASSWORD: &str = "operator password, also long";

/// Start `cmd` with `args` (data folder and vault already in its environment), its log
/// (stderr) appended to `log`; returns it with the first line it printed (`serve` and
/// `worker` print one when they are ready). Its stdout is read on so it never blocks.
pub(crate) fn spawn_until_first_line(
    mut cmd: Command,
    args: &[&str],
    log: &Path,
) -> (Child, String) {
    let err = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let mut child = cmd
        .args(args)
        .env("LEDGERLINK_LOG", "info,ledgerlink=debug")
        .stdout(Stdio::piped())
        .stderr(err)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines
        .next()
        .unwrap_or_else(|| panic!("{args:?} printed nothing; see {}", log.display()))
        .unwrap();
    std::thread::spawn(move || for _ in lines {});
    (child, line)
}

/// A running `ledgerlink serve`.
pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
}

impl Server {
    /// Start `serve` from `cmd` (data folder and vault already in its environment) on a free
    /// port, with `extra` arguments; its log (stderr) goes to `log`.
    pub(crate) fn start(cmd: Command, extra: &[&str], log: &Path) -> Server {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let (child, line) = spawn_until_first_line(cmd, &args, log);
        let base = line
            .split("listening on ")
            .nth(1)
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .trim()
            .to_owned();
        Server { child, base }
    }

    fn kill(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }

    /// Start `ledgerlink worker` with `extra` arguments; it serves nothing, so its `base` is
    /// empty.
    pub(crate) fn worker(cmd: Command, extra: &[&str], log: &Path) -> Server {
        let mut args = vec!["worker"];
        args.extend_from_slice(extra);
        let (child, line) = spawn_until_first_line(cmd, &args, log);
        assert!(
            line.starts_with("ledgerlink worker: running jobs"),
            "{line:?}"
        );
        Server {
            child,
            base: String::new(),
        }
    }

    /// SIGTERM, and the exit status.
    pub(crate) fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An HTTP client that signs in one way or another, and checks every answer against the
/// server's own OpenAPI document.
pub(crate) struct Api {
    http: reqwest::Client,
    pub(crate) base: String,
    pub(crate) doc: Value,
    pub(crate) cookie: Option<String>,
    pub(crate) csrf: Option<String>,
    pub(crate) token: Option<String>,
    /// Every body received, for the secret scan.
    pub(crate) seen: std::sync::Mutex<Vec<String>>,
}

pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) text: String,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

impl Api {
    pub(crate) async fn new(base: &str) -> Api {
        Api::with_client(base, reqwest::Client::new()).await
    }

    /// As [`Api::new`], through `http` (e.g. one that trusts a test certificate).
    pub(crate) async fn with_client(base: &str, http: reqwest::Client) -> Api {
        let doc: Value = http
            .get(format!("{base}/api/v1/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            doc["openapi"].as_str().map(|v| &v[..3]),
            Some("3.1"),
            "{doc}"
        );
        Api {
            http,
            base: base.to_owned(),
            doc,
            cookie: None,
            csrf: None,
            token: None,
            seen: Default::default(),
        }
    }

    pub(crate) fn anonymous(&self) -> Api {
        Api {
            http: self.http.clone(),
            base: self.base.clone(),
            doc: self.doc.clone(),
            cookie: None,
            csrf: None,
            token: None,
            seen: Default::default(),
        }
    }

    /// `method` on `path` (an instance of the documented `template`), with a JSON body or raw
    /// bytes; the answer must be documented and match its schema.
    pub(crate) async fn call(
        &self,
        method: Method,
        template: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let body = body.map(|b| match b {
            Value::String(raw) => (reqwest::Body::from(raw), false),
            other => (reqwest::Body::from(other.to_string()), true),
        });
        self.send(method, template, path, body, headers).await
    }

    /// [`Api::call`] with raw bytes as the body.
    pub(crate) async fn upload(
        &self,
        template: &str,
        path: &str,
        bytes: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> Answer {
        self.send(
            Method::POST,
            template,
            path,
            Some((bytes.into(), false)),
            headers,
        )
        .await
    }

    async fn send(
        &self,
        method: Method,
        template: &str,
        path: &str,
        body: Option<(reqwest::Body, bool)>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            req = req.header("cookie", format!("ledgerlink_session={c}"));
        }
        if let Some(c) = &self.csrf {
            req = req.header("x-csrf-token", c);
        }
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some((b, json)) = body {
            if json {
                req = req.header("content-type", "application/json");
            }
            req = req.body(b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        self.seen
            .lock()
            .unwrap()
            .push(format!("{headers:?} {text}"));
        self.validate(&method, template, status, &headers, &text);
        Answer {
            status,
            headers,
            text,
        }
    }

    fn validate(
        &self,
        method: &Method,
        template: &str,
        status: u16,
        headers: &HeaderMap,
        text: &str,
    ) {
        let op = &self.doc["paths"][template][method.as_str().to_lowercase()];
        assert!(
            op.is_object(),
            "{method} {template} is not in the OpenAPI document"
        );
        let response = &op["responses"][status.to_string()];
        assert!(
            response.is_object(),
            "{method} {template} answered {status}, which its OpenAPI operation does not document: {text}"
        );
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .to_owned();
        if !content_type.ends_with("json") {
            return;
        }
        let schema = &response["content"][&content_type]["schema"];
        assert!(
            schema.is_object(),
            "{method} {template} {status}: content type {content_type} is not documented ({response})"
        );
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.doc["components"],
            "allOf": [schema],
        });
        let validator = jsonschema::validator_for(&root).unwrap();
        let instance: Value = serde_json::from_str(text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {template} {status} does not match its schema: {errors:?}\n{text}"
        );
    }

    pub(crate) async fn sign_in(&mut self, name: &str, password: &str) -> Answer {
        let a = self
            .call(
                Method::POST,
                "/api/v1/session",
                "/api/v1/session",
                Some(json!({"name": name, "password": password})),
                &[],
            )
            .await;
        if a.status == 200 {
            let cookie = a.headers["set-cookie"].to_str().unwrap().to_owned();
            assert!(cookie.contains("HttpOnly"), "{cookie}");
            assert!(cookie.contains("SameSite=Strict"), "{cookie}");
            assert_eq!(
                cookie.contains("; Secure"),
                self.base.starts_with("https://"),
                "Secure exactly when served over TLS: {cookie}"
            );
            let value = cookie
                .split(';')
                .next()
                .unwrap()
                .strip_prefix("ledgerlink_session=")
                .unwrap();
            self.cookie = Some(value.to_owned());
            self.csrf = a.json()["csrf_token"].as_str().map(str::to_owned);
        }
        a
    }

    /// The job's events until `end`; returns every event (name, data).
    async fn follow(&self, job: i64) -> Vec<(String, Value)> {
        let path = format!("/api/v1/jobs/{job}/events");
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(c) = &self.cookie {
            req = req.header("cookie", format!("ledgerlink_session={c}"));
        }
        let mut resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        let mut buffer = String::new();
        let mut events = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(300);
        while Instant::now() < deadline {
            let Some(chunk) = tokio::time::timeout(Duration::from_secs(60), resp.chunk())
                .await
                .expect("an event or a keep-alive within a minute")
                .unwrap()
            else {
                break;
            };
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                let mut name = String::new();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if name.is_empty() {
                    continue; // keep-alive comment
                }
                let job: Value = serde_json::from_str(&data).unwrap();
                // Each event's data is a JobView, as the document says.
                let root = json!({"components": self.doc["components"], "$ref": "#/components/schemas/JobView"});
                assert!(jsonschema::is_valid(&root, &job), "{job}");
                let done = name == "end";
                events.push((name, job));
                if done {
                    return events;
                }
            }
        }
        panic!("the event stream of job {job} ended without an end event: {events:?}");
    }

    /// `POST /api/v1/connections/xero/push-invoices` of `kind`, with an `Idempotency-Key`
    /// when given.
    pub(crate) async fn push_invoices(&self, kind: &str, key: Option<&str>) -> Answer {
        let headers: Vec<(&str, &str)> = key.map(|k| ("idempotency-key", k)).into_iter().collect();
        self.call(
            Method::POST,
            "/api/v1/connections/{name}/push-invoices",
            "/api/v1/connections/xero/push-invoices",
            Some(json!({ "kind": kind })),
            &headers,
        )
        .await
    }

    pub(crate) async fn wait_job(&self, job: i64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let path = format!("/api/v1/jobs/{job}");
            let j = self
                .call(Method::GET, "/api/v1/jobs/{id}", &path, None, &[])
                .await
                .json();
            if matches!(j["status"].as_str(), Some("succeeded" | "failed")) {
                return j;
            }
            assert!(Instant::now() < deadline, "job {job} did not end: {j}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

pub(crate) fn add_user(cmd: Command, name: &str, role: &str, password: &str) {
    let mut cmd = cmd;
    let mut child = cmd
        .args(["users", "add", name, "--role", role])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("Added {role} user {name}")));
}

pub(crate) fn create_token(cmd: Command, user: &str) -> String {
    let mut cmd = cmd;
    let out = cmd
        .args(["tokens", "create", "--user", user])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Nothing secret in `haystack`.
pub(crate) fn assert_no_secrets(what: &str, haystack: &str, secrets: &[&str]) {
    for s in secrets.iter().filter(|s| s.len() >= 8) {
        assert!(
            !haystack.contains(s),
            "{what} holds a secret ({}…)",
            &s[..4]
        );
    }
    assert!(
        !haystack.contains("$argon2id$"),
        "{what} holds a password hash"
    );
}

pub(crate) fn job_book(customers: usize, jobs: usize) -> String {
    vendor_world::book_json(Vendor::Xero, customers, jobs)
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_import_compare_apply_two_rows_follow_events_export_and_roll_back() {
    // The connection is made (OAuth through the sandbox's consent page) over a three-customer
    // book; the book with jobs is uploaded through the API.
    let world = World::with_book(Vendor::Xero, &job_book(3, 0), &[]).await;
    let log = world.data.join("serve.log");
    let server = Server::start(world.cli(), &[], &log);

    // No user yet: nothing but how to create one, on every path.
    for path in [
        "/api/v1/health",
        "/api/v1/openapi.json",
        "/api/v1/runs",
        "/elsewhere",
    ] {
        let a = reqwest::get(format!("{}{path}", server.base))
            .await
            .unwrap();
        assert_eq!(a.status(), 503, "{path}");
        let body: Value = a.json().await.unwrap();
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("ledgerlink users add NAME --role admin"),
            "{body}"
        );
    }
    add_user(world.cli(), "admin", "admin", ADMIN_PASSWORD);
    let mut api = Api::new(&server.base).await;
    let a = api
        .call(Method::GET, "/api/v1/health", "/api/v1/health", None, &[])
        .await;
    assert_eq!((a.status, a.json()["status"].as_str()), (200, Some("ok")));

    assert_eq!(api.sign_in("admin", ADMIN_PASSWORD).await.status, 200);
    let me = api
        .call(Method::GET, "/api/v1/session", "/api/v1/session", None, &[])
        .await;
    assert_eq!(me.json()["role"], "admin");

    // Settings carry an ETag: a stale write is refused (412), a write without one too (428).
    let settings_path = "/api/v1/connections/xero/settings";
    let settings_template = "/api/v1/connections/{name}/settings";
    let read = api
        .call(Method::GET, settings_template, settings_path, None, &[])
        .await;
    assert_eq!(read.status, 200, "{}", read.text);
    let first_tag = read.headers["etag"].to_str().unwrap().to_owned();
    let change = json!({"settings": {"push-batch-records": "50"}});
    let ok = api
        .call(
            Method::PATCH,
            settings_template,
            settings_path,
            Some(change.clone()),
            &[("if-match", &first_tag)],
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.json()["settings"]["push-batch-records"], "50");
    let second_tag = ok.headers["etag"].to_str().unwrap().to_owned();
    assert_ne!(first_tag, second_tag);
    let stale = api
        .call(
            Method::PATCH,
            settings_template,
            settings_path,
            Some(change.clone()),
            &[("if-match", &first_tag)],
        )
        .await;
    assert_eq!(stale.status, 412, "{}", stale.text);
    let blind = api
        .call(
            Method::PATCH,
            settings_template,
            settings_path,
            Some(change),
            &[],
        )
        .await;
    assert_eq!(blind.status, 428, "{}", blind.text);
    let cleared = api
        .call(
            Method::PATCH,
            settings_template,
            settings_path,
            Some(json!({"settings": {"push-batch-records": ""}})),
            &[("if-match", &second_tag)],
        )
        .await;
    assert_eq!(cleared.status, 200, "{}", cleared.text);
    assert!(
        cleared.json()["settings"]
            .get("push-batch-records")
            .is_none()
    );

    // Import: six closed, ready jobs for ten customers.
    let a = api
        .call(
            Method::POST,
            "/api/v1/home/import",
            "/api/v1/home/import?format=json",
            Some(Value::String(job_book(10, 6))),
            &[("content-type", "application/octet-stream")],
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json()["jobs"]["added"], 6, "{}", a.text);
    let home = api
        .call(Method::GET, "/api/v1/home", "/api/v1/home", None, &[])
        .await
        .json();
    assert_eq!(home["jobs"]["closed_and_ready"], 6, "{home}");

    // A bad upload: the importer's own message, as problem+json.
    let bad = api
        .call(
            Method::POST,
            "/api/v1/home/import",
            "/api/v1/home/import?format=json",
            Some(Value::String(
                "{\"version\": 1, \"jobs\": [{\"id\": 1}]}".into(),
            )),
            &[],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(bad.headers["content-type"], "application/problem+json");

    // Flags, as `home flags set|clear`: JOB5 out of the next transfer and back in.
    let flag = |path: String, body: Value| {
        let api = &api;
        async move {
            api.call(
                Method::PUT,
                "/api/v1/home/{record}/{id}/flags",
                &path,
                Some(body),
                &[],
            )
            .await
        }
    };
    let cleared = flag(
        "/api/v1/home/jobs/JOB5/flags".into(),
        json!({"ready": false}),
    )
    .await;
    assert_eq!(cleared.status, 200, "{}", cleared.text);
    assert_eq!(
        cleared.json(),
        json!([{"record": "job", "id": "JOB5", "flag": "ready", "set": false, "note": null}])
    );
    let home = api
        .call(Method::GET, "/api/v1/home", "/api/v1/home", None, &[])
        .await
        .json();
    assert_eq!(home["jobs"]["closed_and_ready"], 5, "{home}");
    let set = flag(
        "/api/v1/home/jobs/JOB5/flags".into(),
        json!({"ready": true}),
    )
    .await;
    assert_eq!(set.json()[0]["set"], true, "{}", set.text);
    let missing = flag(
        "/api/v1/home/jobs/JOB99/flags".into(),
        json!({"ready": true}),
    )
    .await;
    assert_eq!(missing.status, 404, "{}", missing.text);
    assert_eq!(
        missing.json()["detail"],
        "there is no job with id \"JOB99\" in the home book; `ledgerlink home export` lists every record"
    );
    let unsaid = flag("/api/v1/home/customers/C0/flags".into(), json!({})).await;
    assert_eq!(unsaid.status, 422, "{}", unsaid.text);
    assert_eq!(
        unsaid.json()["detail"],
        "say which flag: {\"integration\": true} sets it, false clears it"
    );
    let wrong = flag(
        "/api/v1/home/customers/C0/flags".into(),
        json!({"ready": true}),
    )
    .await;
    assert_eq!(wrong.status, 422, "{}", wrong.text);
    let unknown = flag(
        "/api/v1/home/contracts/K1/flags".into(),
        json!({"ready": true}),
    )
    .await;
    assert_eq!(unknown.status, 404, "{}", unknown.text);

    // The export is the import format, every record.
    let exported = api
        .call(
            Method::GET,
            "/api/v1/home/export",
            "/api/v1/home/export",
            None,
            &[],
        )
        .await;
    assert_eq!(exported.status, 200, "{}", exported.text);
    let doc = exported.json();
    assert_eq!(doc["version"], 1, "{doc}");
    let mut job_ids: Vec<&str> = doc["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    job_ids.sort();
    assert_eq!(job_ids, ["JOB0", "JOB1", "JOB2", "JOB3", "JOB4", "JOB5"]);
    assert!(
        doc["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["ready_for_invoice_1"] == true && j["ready_for_invoice_2"] == true),
        "{doc}"
    );

    // Compare job invoices: six to add.
    let a = api
        .call(
            Method::POST,
            "/api/v1/connections/{name}/compare",
            "/api/v1/connections/xero/compare",
            Some(json!({"entity": "job-invoices"})),
            &[],
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let plan = a.json();
    let items = plan["items"].as_array().unwrap();
    assert_eq!(items.len(), 6, "{plan}");
    assert!(items.iter().all(|i| i["action"] == "add"), "{plan}");
    let keys: Vec<String> = items[..2]
        .iter()
        .map(|i| i["home_key"].as_str().unwrap().to_owned())
        .collect();
    let plan_id = plan["plan"].as_i64().unwrap();

    // Start Sync with two rows; the same Idempotency-Key starts one job.
    let apply_path = format!("/api/v1/plans/{plan_id}/apply");
    let body = json!({"pick": "keys", "keys": keys});
    let first = api
        .call(
            Method::POST,
            "/api/v1/plans/{id}/apply",
            &apply_path,
            Some(body.clone()),
            &[("idempotency-key", "start-sync-1")],
        )
        .await;
    assert_eq!(first.status, 202, "{}", first.text);
    let again = api
        .call(
            Method::POST,
            "/api/v1/plans/{id}/apply",
            &apply_path,
            Some(body),
            &[("idempotency-key", "start-sync-1")],
        )
        .await;
    assert_eq!(again.status, 202);
    let job = first.json()["id"].as_i64().unwrap();
    assert_eq!(
        again.json()["id"].as_i64(),
        Some(job),
        "one job for one key"
    );

    let events = api.follow(job).await;
    let (last, end) = events.last().unwrap();
    assert_eq!(last, "end");
    assert_eq!(end["status"], "succeeded", "{end}");
    let run = end["run_id"].as_i64().unwrap();

    // Exactly the two rows are in Xero.
    let invoices = world.invoices().await;
    assert_eq!(invoices.len(), 2, "{invoices:?}");

    // The run's records, a page at a time: the two invoices (and the customers they needed,
    // created first).
    let mut records = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            None => format!("/api/v1/runs/{run}/items?limit=1"),
            Some(c) => format!("/api/v1/runs/{run}/items?limit=1&cursor={c}"),
        };
        let page = api
            .call(Method::GET, "/api/v1/runs/{id}/items", &path, None, &[])
            .await
            .json();
        pages += 1;
        records.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, records.len(), "one record per page");
    let mut invoiced: Vec<String> = records
        .iter()
        .filter(|r| r["home_key"].as_str().is_some_and(|k| k.starts_with("JOB")))
        .map(|r| {
            assert_eq!(r["outcome"], "created", "{r}");
            r["home_key"].as_str().unwrap().to_owned()
        })
        .collect();
    invoiced.sort();
    let mut want = keys.clone();
    want.sort();
    assert_eq!(invoiced, want, "{records:?}");

    let export_path = format!("/api/v1/runs/{run}/export?format=csv");
    let csv = api
        .call(
            Method::GET,
            "/api/v1/runs/{id}/export",
            &export_path,
            None,
            &[],
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        csv.text
            .starts_with("home_key,remote_id,name,outcome,reason"),
        "{}",
        csv.text
    );
    // records=all: every record, as the report shows them; an unknown choice is refused.
    let all = api
        .call(
            Method::GET,
            "/api/v1/runs/{id}/export",
            &format!("/api/v1/runs/{run}/export?format=csv&records=all"),
            None,
            &[],
        )
        .await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(all.text.lines().count(), records.len() + 1, "{}", all.text);
    let bad = api
        .call(
            Method::GET,
            "/api/v1/runs/{id}/export",
            &format!("/api/v1/runs/{run}/export?format=csv&records=some"),
            None,
            &[],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.json()["detail"],
        "records \"some\" is not one this export knows; use problems (the default: the records to act on) or all"
    );
    let export_json = format!("/api/v1/runs/{run}/export?format=json");
    let j = api
        .call(
            Method::GET,
            "/api/v1/runs/{id}/export",
            &export_json,
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(j["items"].as_array().unwrap().len(), records.len());

    // Roll back: the two invoices are voided or deleted in Xero.
    let rollback_path = format!("/api/v1/runs/{run}/rollback");
    let rb = api
        .call(
            Method::POST,
            "/api/v1/runs/{id}/rollback",
            &rollback_path,
            None,
            &[],
        )
        .await;
    assert_eq!(rb.status, 202, "{}", rb.text);
    let done = api.wait_job(rb.json()["id"].as_i64().unwrap()).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let records = world.invoice_records().await;
    assert!(
        records
            .iter()
            .all(|i| matches!(i["Status"].as_str(), Some("DELETED" | "VOIDED"))),
        "{records:?}"
    );

    // The audit log names the user for every change.
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
        format!("POST /api/v1/plans/{plan_id}/apply"),
        "POST /api/v1/home/import".to_owned(),
        rollback_path.clone(),
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("\"admin\"") && l.contains(&change)),
            "{change} not audited: {lines:#?}"
        );
    }

    // Sign out: the session is gone.
    let out = api
        .call(
            Method::DELETE,
            "/api/v1/session",
            "/api/v1/session",
            None,
            &[],
        )
        .await;
    assert_eq!(out.status, 204);
    let after = api
        .call(Method::GET, "/api/v1/session", "/api/v1/session", None, &[])
        .await;
    assert_eq!(after.status, 401);

    // SIGTERM: a clean exit.
    let mut server = server;
    assert!(server.terminate().success());
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(
        log_text.contains("request{id=") && log_text.contains("finished processing request"),
        "request logs with ids: {log_text}"
    );
    let secrets = [
        ADMIN_PASSWORD,
        world.key.as_str(),
        ledgerlink_sandbox::XERO_CLIENT_SECRET,
        api.cookie.as_deref().unwrap_or_default(),
        api.csrf.as_deref().unwrap_or_default(),
    ];
    assert_no_secrets("the server log", &log_text, &secrets);
    let bodies = api.seen.lock().unwrap().join("\n");
    // The session answer carries its own CSRF token and the cookie; nothing else may.
    assert_no_secrets("the API's answers", &bodies, &secrets[..3]);
}

/// A data folder with the vault's environment, and no connection.
pub(crate) fn bare(tmp: &Path) -> impl Fn() -> Command {
    let data = tmp.join("data");
    let key = ledgerlink::auth::vault::generate_key().unwrap();
    move || {
        let mut cmd = crate::support::engine::command(&data);
        cmd.env(vendor_world::VAULT_KEY, &key)
            .env("LEDGERLINK_VAULT", "file")
            .env_remove("LEDGERLINK_LOG");
        cmd
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_endpoint_needs_a_caller_roles_csrf_sessions_and_throttling_hold() {
    let tmp = tempfile::tempdir().unwrap();
    let cli = bare(tmp.path());

    // Not on a public address in the clear.
    let out = cli()
        .args(["serve", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--tls-cert") && err.contains("--insecure-http"),
        "{err}"
    );

    add_user(cli(), "admin", "admin", ADMIN_PASSWORD);
    add_user(cli(), "olive", "operator", OPERATOR_PASSWORD);
    let short = cli()
        .args(["users", "add", "x", "--role", "operator"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap()
        .wait_with_output()
        .unwrap();
    assert!(!short.status.success(), "an empty password is refused");
    let token = create_token(cli(), "olive");
    assert!(token.starts_with("llk_"));

    let log = tmp.path().join("serve.log");
    let server = Server::start(cli(), &[], &log);
    let anon = Api::new(&server.base).await;

    // Every documented operation but the open three: 401 without a caller.
    let open = [
        ("get", "/api/v1/health"),
        ("get", "/api/v1/openapi.json"),
        ("post", "/api/v1/session"),
        ("get", "/oauth/callback"),
    ];
    let mut checked = 0;
    for (template, ops) in anon.doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            if open.contains(&(method.as_str(), template.as_str())) {
                continue;
            }
            let path = template.replace("{name}", "xero").replace("{id}", "1");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let a = anon.call(m, template, &path, Some(json!({})), &[]).await;
            assert_eq!(a.status, 401, "{method} {template}: {}", a.text);
            checked += 1;
        }
    }
    assert!(checked >= 18, "only {checked} operations");

    // A forged cookie, and a token that is not one.
    let mut forged = anon.anonymous();
    forged.cookie = Some("AAAAforgedAAAA".into());
    assert_eq!(
        forged
            .call(Method::GET, "/api/v1/runs", "/api/v1/runs", None, &[])
            .await
            .status,
        401
    );
    let mut wrong = anon.anonymous();
    wrong.token = Some("llk_not-a-token".into());
    assert_eq!(
        wrong
            .call(Method::GET, "/api/v1/runs", "/api/v1/runs", None, &[])
            .await
            .status,
        401
    );

    // The operator's token: the transfer endpoints yes, the admin ones no.
    let mut operator = anon.anonymous();
    operator.token = Some(token.clone());
    assert_eq!(
        operator
            .call(Method::GET, "/api/v1/runs", "/api/v1/runs", None, &[])
            .await
            .status,
        200
    );
    assert_eq!(
        operator
            .call(
                Method::GET,
                "/api/v1/connections",
                "/api/v1/connections",
                None,
                &[]
            )
            .await
            .status,
        200
    );
    for (m, template, path) in [
        (Method::GET, "/api/v1/audit", "/api/v1/audit"),
        (
            Method::GET,
            "/api/v1/connections/{name}",
            "/api/v1/connections/xero",
        ),
        (
            Method::GET,
            "/api/v1/connections/{name}/settings",
            "/api/v1/connections/xero/settings",
        ),
        (
            Method::PATCH,
            "/api/v1/connections/{name}/settings",
            "/api/v1/connections/xero/settings",
        ),
        (
            Method::POST,
            "/api/v1/connections/{name}/check",
            "/api/v1/connections/xero/check",
        ),
    ] {
        let body = (m == Method::PATCH).then(|| json!({"settings": {}}));
        let a = operator
            .call(m.clone(), template, path, body, &[("if-match", "\"x\"")])
            .await;
        assert_eq!(a.status, 403, "{m} {path}: {}", a.text);
        assert!(a.json()["detail"].as_str().unwrap().contains("operator"));
    }

    // A session: changes without the CSRF token are refused, form posts included.
    let mut admin = anon.anonymous();
    assert_eq!(admin.sign_in("admin", ADMIN_PASSWORD).await.status, 200);
    let csrf = admin.csrf.take();
    let form = admin
        .call(
            Method::POST,
            "/api/v1/home/import",
            "/api/v1/home/import",
            Some(Value::String("customers=1".into())),
            &[("content-type", "application/x-www-form-urlencoded")],
        )
        .await;
    assert_eq!(form.status, 403, "{}", form.text);
    assert!(form.json()["detail"].as_str().unwrap().contains("CSRF"));
    admin.csrf = Some("not the token".into());
    let wrong_csrf = admin
        .call(
            Method::POST,
            "/api/v1/runs/{id}/rollback",
            "/api/v1/runs/1/rollback",
            None,
            &[],
        )
        .await;
    assert_eq!(wrong_csrf.status, 403);
    admin.csrf = csrf;
    let with_csrf = admin
        .call(
            Method::POST,
            "/api/v1/runs/{id}/rollback",
            "/api/v1/runs/1/rollback",
            None,
            &[],
        )
        .await;
    assert_eq!(
        with_csrf.status, 404,
        "past the guard, there is no run 1: {}",
        with_csrf.text
    );
    assert!(
        with_csrf.json()["detail"]
            .as_str()
            .unwrap()
            .contains("there is no run 1"),
        "the CLI's message"
    );

    // An expired session is refused: age it in the store.
    crate::support::engine::db(&tmp.path().join("data"))
        .execute(
            "UPDATE sessions SET last_seen_at = last_seen_at - 100000",
            &[],
        )
        .unwrap();
    assert_eq!(
        admin
            .call(Method::GET, "/api/v1/session", "/api/v1/session", None, &[])
            .await
            .status,
        401
    );

    // Twenty wrong passwords: throttled after five, and then even the right one waits.
    let mut guesser = anon.anonymous();
    let mut statuses = Vec::new();
    for i in 0..20 {
        statuses.push(
            guesser
                .sign_in("admin", &format!("wrong password {i:02}"))
                .await
                .status,
        );
    }
    assert_eq!(&statuses[..5], &[401; 5], "{statuses:?}");
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    let right = guesser.sign_in("admin", ADMIN_PASSWORD).await;
    assert_eq!(right.status, 429);
    assert!(right.headers.get("retry-after").is_some());

    // A revoked token stops working.
    let list = cli().args(["tokens", "list"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&list.stdout).contains(&token));
    assert!(
        cli()
            .args(["tokens", "revoke", "1"])
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(
        operator
            .call(Method::GET, "/api/v1/runs", "/api/v1/runs", None, &[])
            .await
            .status,
        401
    );

    drop(server);
    let log_text = std::fs::read_to_string(&log).unwrap();
    let secrets = [ADMIN_PASSWORD, OPERATOR_PASSWORD, token.as_str()];
    assert_no_secrets("the server log", &log_text, &secrets);
    for api in [&anon, &operator, &admin, &guesser, &forged, &wrong] {
        assert_no_secrets(
            "the API's answers",
            &api.seen.lock().unwrap().join("\n"),
            &secrets,
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_serve_killed_mid_job_and_stopped_finishes_it_with_nothing_twice_or_missing() {
    const JOBS: usize = 2000;
    // Small push calls, so that each kill lands inside the job rather than after it.
    let world = World::with_book(
        Vendor::Xero,
        &job_book(40, JOBS),
        &[("push-batch-records", "10")],
    )
    .await;
    add_user(world.cli(), "admin", "admin", ADMIN_PASSWORD);
    let token = create_token(world.cli(), "admin");
    let log = world.data.join("serve.log");
    let lease = ["--job-lease", "2"];
    let mut server = Server::start(world.cli(), &lease, &log);
    let mut api = Api::new(&server.base).await;
    api.token = Some(token.clone());
    let plan = api
        .call(
            Method::POST,
            "/api/v1/connections/{name}/compare",
            "/api/v1/connections/xero/compare",
            Some(json!({"entity": "job-invoices"})),
            &[],
        )
        .await
        .json();
    let plan_id = plan["plan"].as_i64().unwrap();
    let path = format!("/api/v1/plans/{plan_id}/apply");
    let job = api
        .call(
            Method::POST,
            "/api/v1/plans/{id}/apply",
            &path,
            Some(json!({"pick": "all"})),
            &[],
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();

    let mut kills = 0;
    let mut seen_at_kill = Vec::new();
    // Two SIGKILLs and a SIGTERM.
    while kills < 3 {
        // Wait for the job to make progress beyond what was there at the last kill.
        let deadline = Instant::now() + Duration::from_secs(120);
        let before = world.invoices().await.len();
        loop {
            let now = world.invoices().await.len();
            if now > before || now == JOBS {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "job {job} made no progress after kill {kills}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if kills == 1 {
            // A graceful stop (SIGTERM) between the kills: the job is queued again at once.
            assert!(server.terminate().success());
            let status = crate::support::engine::db(&world.data)
                .query_one("SELECT status FROM jobs WHERE id = ?1", &[job.into()])
                .unwrap()
                .text(0)
                .unwrap();
            assert_eq!(status, "queued", "a stopped server gives its job back");
        } else {
            server.kill();
        }
        kills += 1;
        let there = world.invoices().await.len();
        seen_at_kill.push(there);
        if there == JOBS {
            break;
        }
        server = Server::start(world.cli(), &lease, &log);
        api.base = server.base.clone();
    }
    eprintln!("invoices in Xero at each kill: {seen_at_kill:?}");
    assert!(
        seen_at_kill.iter().any(|n| *n > 0 && *n < JOBS),
        "a kill landed mid-job: {seen_at_kill:?}"
    );

    // The server started after the last kill takes the job over after its lease; a second
    // `serve` on the same data folder runs beside it. The job still runs exactly once.
    let second = Server::start(world.cli(), &lease, &log);
    api.base = second.base.clone();
    let end = api.wait_job(job).await;
    assert_eq!(end["status"], "succeeded", "{end}");
    assert!(end["attempts"].as_i64().unwrap() >= 2, "{end}");

    let invoices = world.invoices().await;
    let mut numbers: Vec<&str> = invoices.iter().map(|(n, _)| n.as_str()).collect();
    numbers.sort();
    let total = numbers.len();
    numbers.dedup();
    assert_eq!(total, numbers.len(), "0 duplicates");
    let want: Vec<String> = (0..JOBS).map(|j| format!("J{}", 100_001 + j)).collect();
    assert_eq!(
        numbers,
        want.iter().map(String::as_str).collect::<Vec<_>>(),
        "0 missing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn over_tls_the_api_is_https_only_and_its_session_cookie_is_secure() {
    let tmp = tempfile::tempdir().unwrap();
    let cli = bare(tmp.path());
    add_user(cli(), "admin", "admin", ADMIN_PASSWORD);
    let made =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let cert = tmp.path().join("cert.pem");
    let key = tmp.path().join("key.pem");
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let (cert_arg, key_arg) = (cert.to_str().unwrap(), key.to_str().unwrap());

    // A certificate that is not one is refused at start, naming the file.
    let junk = tmp.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let out = cli()
        .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&junk)
        .args(["--tls-key", key_arg])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("junk.pem"), "names the file: {err}");

    let log = tmp.path().join("serve.log");
    let server = Server::start(cli(), &["--tls-cert", cert_arg, "--tls-key", key_arg], &log);
    assert!(
        server.base.starts_with("https://127.0.0.1:"),
        "{}",
        server.base
    );

    let trusting = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(made.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let mut api = Api::with_client(&server.base, trusting).await;
    let signed = api.sign_in("admin", ADMIN_PASSWORD).await;
    assert_eq!(signed.status, 200, "{}", signed.text);
    let me = api
        .call(Method::GET, "/api/v1/session", "/api/v1/session", None, &[])
        .await;
    assert_eq!(me.json()["user"], "admin", "{}", me.text);

    // Plain HTTP to the same port gets no answer, and a client that does not trust the
    // certificate does not get one either.
    let plain = server.base.replacen("https://", "http://", 1);
    let cleartext = reqwest::Client::new()
        .get(format!("{plain}/api/v1/health"))
        .send()
        .await;
    assert!(
        cleartext.is_err() || cleartext.is_ok_and(|r| !r.status().is_success()),
        "plain HTTP on the TLS port must not be served"
    );
    let untrusting = reqwest::Client::new()
        .get(format!("{}/api/v1/health", server.base))
        .send()
        .await;
    assert!(
        untrusting.is_err(),
        "an unknown certificate is not accepted"
    );

    // The server still answers after both (a failed handshake never takes it down).
    let health = api
        .call(Method::GET, "/api/v1/health", "/api/v1/health", None, &[])
        .await;
    assert_eq!(health.status, 200);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert_no_secrets("the TLS server's log", &logged, &[ADMIN_PASSWORD]);
}

#[tokio::test(flavor = "multi_thread")]
async fn review_items_are_listed_and_decided_over_the_api_as_the_cli_does() {
    use ledgerlink::store::directory::{Review, TargetCustomer};
    use ledgerlink::store::id_map::MapEntry;

    let tmp = tempfile::tempdir().unwrap();
    let cli = bare(tmp.path());
    add_user(cli(), "olive", "operator", OPERATOR_PASSWORD);
    let token = create_token(cli(), "olive");

    // Three review items, as a push raises them: one candidate, two candidates, and one
    // whose only candidate is already linked to another Tracker Pro customer.
    let state = crate::support::engine::sync_state(&tmp.path().join("data"));
    let run = state
        .start_run(None, "books", "customers", "push", false)
        .unwrap();
    let candidate = |id: &str, name: &str| TargetCustomer {
        remote_id: id.to_owned(),
        name: name.to_owned(),
        email: Some("shared@example.com".to_owned()),
        tax_number: None,
        active: true,
    };
    for (key, candidates) in [
        ("N", vec![candidate("X-1", "Someone Else Ltd")]),
        (
            "P",
            vec![candidate("X-2", "Two Ltd"), candidate("X-3", "Three Ltd")],
        ),
        ("Q", vec![candidate("X-9", "Taken Ltd")]),
    ] {
        state
            .raise_review(&Review {
                connection: "books".to_owned(),
                home_key: key.to_owned(),
                home_name: format!("Customer {key}"),
                candidates,
                reason: format!(
                    "\"Customer {key}\" has the e-mail of a Xero customer: link, create, or skip?"
                ),
                run_id: run,
                decision: None,
            })
            .unwrap();
    }
    state
        .link(
            "books",
            "customers",
            &MapEntry {
                home_key: "A".to_owned(),
                remote_id: "X-9".to_owned(),
                home_fingerprint: String::new(),
                remote_fingerprint: String::new(),
                synced_at: 0,
            },
        )
        .unwrap();
    drop(state);

    let server = Server::start(cli(), &[], &tmp.path().join("serve.log"));
    let mut api = Api::new(&server.base).await;
    api.token = Some(token);

    let list = api
        .call(
            Method::GET,
            "/api/v1/reviews",
            "/api/v1/reviews?connection=books&limit=2",
            None,
            &[],
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    let page = list.json();
    let keys: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["home_key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["N", "P"]);
    assert_eq!(page["items"][0]["decision"], "open");
    assert_eq!(page["items"][0]["candidates"][0]["remote_id"], "X-1");
    assert!(page["next_cursor"].is_string(), "{page}");

    let decide = |key: &'static str, body: Value| {
        let api = &api;
        async move {
            api.call(
                Method::PUT,
                "/api/v1/reviews/{connection}/{key}",
                &format!("/api/v1/reviews/books/{key}"),
                Some(body),
                &[],
            )
            .await
        }
    };
    // A bare link takes the only candidate.
    let linked = decide("N", json!({"decision": "link"})).await;
    assert_eq!(linked.status, 200, "{}", linked.text);
    assert_eq!(
        (&linked.json()["decision"], &linked.json()["remote_id"]),
        (&json!("link"), &json!("X-1"))
    );
    // The CLI's refusals, word for word.
    let many = decide("P", json!({"decision": "link"})).await;
    assert_eq!(many.status, 422, "{}", many.text);
    assert_eq!(
        many.json()["detail"],
        "customer \"P\" has 2 candidates (X-2, X-3); name one: --link <id>"
    );
    let taken = decide("Q", json!({"decision": "link", "remote_id": "X-9"})).await;
    assert_eq!(taken.status, 422, "{}", taken.text);
    assert_eq!(
        taken.json()["detail"],
        "target customer X-9 is already linked to Tracker Pro customer A; one target customer serves one Tracker Pro customer — choose --create or --skip"
    );
    let nothing = decide("Z", json!({"decision": "skip"})).await;
    assert_eq!(nothing.status, 404, "{}", nothing.text);
    assert_eq!(
        nothing.json()["detail"],
        "there is no review item for customer \"Z\" on connection \"books\"; `ledgerlink reviews list` shows them"
    );
    let odd = decide("P", json!({"decision": "merge"})).await;
    assert_eq!(odd.status, 422, "{}", odd.text);
    let chosen = decide("P", json!({"decision": "link", "remote_id": "X-3"})).await;
    assert_eq!(chosen.json()["remote_id"], "X-3", "{}", chosen.text);
    let skipped = decide("Q", json!({"decision": "skip"})).await;
    assert_eq!(skipped.json()["decision"], "skip", "{}", skipped.text);

    // The CLI reads the same decisions.
    let out = cli().args(["reviews", "list", "--json"]).output().unwrap();
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let decisions: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["decision"])
        .collect();
    assert_eq!(
        decisions,
        [
            &json!({"decision": "link", "remote-id": "X-1"}),
            &json!({"decision": "link", "remote-id": "X-3"}),
            &json!({"decision": "skip"}),
        ]
    );
}

/// `quickstart --serve`: the whole quickstart, then the web admin and the sandbox stay up on
/// its data — an admin signs in with the printed password and finds the runs it made, the
/// connection still connected to the sandbox (its tokens live in that process's memory
/// vault), and the pages behind sign-in.
#[tokio::test(flavor = "multi_thread")]
async fn quickstart_serve_leaves_the_web_admin_and_the_sandbox_running_on_its_data() {
    let tmp = tempfile::tempdir().unwrap();
    let cmd = bare(tmp.path());
    let mut child = cmd()
        .args([
            "quickstart",
            "--target",
            "xero",
            "--serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let base = loop {
        let Some(line) = lines.next() else {
            let _ = child.kill();
            panic!(
                "quickstart --serve ended before serving:\n{}",
                printed.join("\n")
            );
        };
        let line = line.unwrap();
        if let Some(base) = line.split("listening on ").nth(1) {
            break base.trim().to_owned();
        }
        printed.push(line);
    };
    std::thread::spawn(move || for _ in lines {});
    let mut server = Server { child, base };
    let text = printed.join("\n");
    assert!(
        text.contains("Done: every customer and invoice is in the sandbox Xero"),
        "{text}"
    );
    let password = text
        .split("Sign in as admin with the password ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("no password printed:\n{text}"))
        .to_owned();

    let mut api = Api::new(&server.base).await;
    // The pages are behind sign-in.
    let page = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/runs", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(api.sign_in("admin", "not the password").await.status, 401);
    assert_eq!(api.sign_in("admin", &password).await.status, 200);
    let runs = api
        .call(Method::GET, "/api/v1/runs", "/api/v1/runs", None, &[])
        .await
        .json();
    let entities: Vec<&str> = runs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["entity"].as_str().unwrap())
        .collect();
    assert_eq!(
        entities,
        ["contract-invoices", "job-invoices", "customers"],
        "newest first: {runs}"
    );
    let check = api
        .call(
            Method::POST,
            "/api/v1/connections/{name}/check",
            "/api/v1/connections/xero/check",
            None,
            &[],
        )
        .await;
    assert_eq!(check.status, 200, "{}", check.text);
    assert_eq!(check.json()["ok"], true, "{}", check.text);
    assert!(server.terminate().success() || cfg!(not(unix)));
}

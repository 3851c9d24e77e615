//! The web admin in a real browser: Debian's headless Chromium driven through chromedriver
//! (WebDriver), against the real `ledgerlink serve` and the sandbox Xero. Assertions are on
//! what the page shows and on the records in the sandbox. Every screen is saved as a PNG
//! (into `docs/web-admin/` when `LEDGERLINK_UPDATE_SCREENSHOTS=1`, else into the test's
//! temporary folder).
//!
//! Needs `chromium` and `chromedriver` (Debian: `chromium`, `chromium-driver`), which
//! `.ci/run` installs when missing; without them the test fails saying so.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use ledgerlink_sandbox::{
    QBO_CLIENT_ID, QBO_CLIENT_SECRET, QBO_REALM_ID, XERO_CLIENT_ID, XERO_CLIENT_SECRET,
};
use serde_json::json;

use crate::serve::{ADMIN_PASSWORD, OPERATOR_PASSWORD, Server, add_user, job_book};
use crate::vendor_world::{Vendor, World};

/// chromedriver on a free port, stopped on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn find(program: &str) -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{program} is not installed: the web admin's browser tests need Debian's `chromium` and `chromium-driver` packages (`apt-get install chromium chromium-driver`; .ci/run installs them)"
            )
        })
}

async fn browser(log: &Path) -> (Driver, Client) {
    let chromium = find("chromium");
    let driver_bin = find("chromedriver");
    let port = free_port();
    let child = Command::new(driver_bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let driver = Driver { child, port };
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--lang=en-GB"],
        }),
    );
    let started = Instant::now();
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
        {
            Ok(client) => return (driver, client),
            Err(e) if started.elapsed() < Duration::from_secs(20) => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("chromedriver did not start a browser: {e}"),
        }
    }
}

/// Where screenshots go.
fn shots_dir(tmp: &Path) -> PathBuf {
    if std::env::var_os("LEDGERLINK_UPDATE_SCREENSHOTS").is_some() {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/web-admin")
    } else {
        tmp.join("screenshots")
    }
}

struct Page<'a> {
    client: &'a Client,
    base: String,
    shots: PathBuf,
}

impl Page<'_> {
    async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(60))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
    }

    /// Wait until `css`'s text contains `text`; returns the text.
    async fn wait_text(&self, css: &str, text: &str) -> String {
        let started = Instant::now();
        loop {
            if let Ok(el) = self.client.find(Locator::Css(css)).await
                && let Ok(t) = el.text().await
                && t.contains(text)
            {
                return t;
            }
            if started.elapsed() > Duration::from_secs(90) {
                let source = self.client.source().await.unwrap_or_default();
                panic!("{css} never showed {text:?}; the page: {source}");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Wait until `css`'s text is exactly `text`.
    async fn wait_exact(&self, css: &str, text: &str) {
        let started = Instant::now();
        loop {
            let seen = self.wait_text(css, "").await;
            if seen == text {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{css} shows {seen:?}, never {text:?}"
            );
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Click `css`, finding it again when a screen redrew it between finding and clicking.
    async fn click(&self, css: &str) {
        for attempt in 0.. {
            match self.wait_for(css).await.click().await {
                Ok(()) => return,
                Err(e) if attempt < 5 => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("could not click {css}: {e}"),
            }
        }
    }

    async fn fill(&self, css: &str, text: &str) {
        let el = self.wait_for(css).await;
        el.clear().await.unwrap();
        el.send_keys(text).await.unwrap();
    }

    async fn shot(&self, name: &str) {
        std::fs::create_dir_all(&self.shots).unwrap();
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }

    async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    async fn sign_in(&self, name: &str, password: &str) {
        self.open("/signin").await;
        self.fill("#name", name).await;
        self.fill("#password", password).await;
        self.click("#signin").await;
        self.wait_text("#who", name).await;
    }

    async fn sign_out(&self) {
        self.click("#signout").await;
        self.wait_for("#signin-form").await;
    }

    /// GET `path` from the API with the browser's session, as JSON.
    async fn api_get(&self, path: &str) -> serde_json::Value {
        serde_json::from_str(&self.api_text(path).await).unwrap()
    }

    /// GET `path` with the browser's session, as the browser would fetch it.
    async fn api_text(&self, path: &str) -> String {
        reqwest::Client::new()
            .get(format!("{}{path}", self.base))
            .header(
                "cookie",
                format!("ledgerlink_session={}", self.cookie().await),
            )
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    async fn cookie(&self) -> String {
        self.client
            .get_named_cookie("ledgerlink_session")
            .await
            .unwrap()
            .value()
            .to_owned()
    }
}

/// A connection to add through the Integrations screen.
struct NewConnection<'a> {
    name: &'a str,
    connector: &'a str,
    /// OAuth client id and secret.
    client: (&'a str, &'a str),
    /// The sandbox's base URL.
    sandbox: &'a str,
    /// Connector settings to fill in the form (key, value).
    settings: &'a [(&'a str, &'a str)],
}

/// (home key, name) of every row of a report's CSV export, each a created record with a
/// target id, sorted.
fn exported_created(csv: &str) -> Vec<(String, String)> {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader.headers().unwrap(),
        vec!["home_key", "remote_id", "name", "outcome", "reason"]
    );
    let mut rows: Vec<(String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            assert_eq!(&r[3], "created", "{r:?}");
            assert!(!r[1].is_empty(), "a target id: {r:?}");
            (r[0].to_owned(), r[2].to_owned())
        })
        .collect();
    rows.sort();
    rows
}

impl Page<'_> {
    /// On a report: the CSV its Export CSV link gives, and [`exported_created`] of it.
    async fn exported_csv(&self) -> (String, Vec<(String, String)>) {
        let href = self
            .wait_for("#export-csv")
            .await
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        let csv = self.api_text(&href).await;
        let rows = exported_created(&csv);
        (csv, rows)
    }

    /// On Tracker Pro data: choose the book file at `path` and press Import.
    async fn upload_book(&self, path: &Path) {
        self.wait_for("#book-file")
            .await
            .send_keys(path.to_str().unwrap())
            .await
            .unwrap();
        self.click("#import").await;
    }

    /// On Integrations: add `new`, Connect it through the sandbox's consent page (choosing
    /// the first organisation when the grant offers several) until its badge says connected.
    /// `shots`: the add form's and the consent page's screenshot names.
    async fn add_and_connect(&self, new: &NewConnection<'_>, shots: Option<(&str, &str)>) {
        let name = new.name;
        self.fill("#conn-name", name).await;
        self.wait_for(&format!("#connector option[value={}]", new.connector))
            .await;
        self.wait_for("#connector")
            .await
            .select_by_value(new.connector)
            .await
            .unwrap();
        self.wait_for("#client_id").await;
        self.fill("#client_id", new.client.0).await;
        self.fill("#client_secret", new.client.1).await;
        self.fill("#sandbox", new.sandbox).await;
        for (key, value) in new.settings {
            self.fill(&format!("#setting-{key}"), value).await;
        }
        if let Some((add, _)) = shots {
            self.shot(add).await;
        }
        self.click("#add").await;
        self.wait_text(&format!("tr[data-connection={name}]"), "not connected")
            .await;
        self.click(&format!("tr[data-connection={name}] [data-action=connect]"))
            .await;
        // The sandbox's consent page: approve.
        self.wait_url(
            new.sandbox,
            "Connect never went to the sandbox's consent page",
        )
        .await;
        if let Some((_, consent)) = shots {
            self.shot(consent).await;
        }
        self.click("form [type=submit]").await;
        self.wait_url(
            &self.base,
            "the consent page never sent the browser back to /oauth/callback",
        )
        .await;
        let callback_text = self.wait_text("body", name).await;
        self.click("a[href='/integrations']").await;
        // A grant over several organisations: choose one.
        if callback_text.contains("several organisations") {
            let chooser = self
                .wait_for(&format!("select[data-tenant-choice={name}]"))
                .await;
            let first = chooser
                .find(Locator::Css("option"))
                .await
                .unwrap()
                .attr("value")
                .await
                .unwrap()
                .unwrap();
            chooser.select_by_value(&first).await.unwrap();
            self.click(&format!(
                "tr[data-connection={name}] [data-action=choose-tenant]"
            ))
            .await;
        }
        self.wait_exact(&format!("tr[data-connection={name}] .badge"), "connected")
            .await;
    }

    /// Wait until the browser's address starts with `prefix`.
    async fn wait_url(&self, prefix: &str, why: &str) {
        let started = Instant::now();
        while !self
            .client
            .current_url()
            .await
            .unwrap()
            .as_str()
            .starts_with(prefix)
        {
            assert!(started.elapsed() < Duration::from_secs(60), "{why}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_connects_xero_and_an_operator_imports_compares_syncs_reports_and_rolls_back_in_chromium()
 {
    // A world with a connected `xero` connection over a three-customer book.
    let world = World::with_book(Vendor::Xero, &job_book(3, 0), &[]).await;
    let tmp = world.data.parent().unwrap().to_owned();
    let server = Server::start(world.cli(), &[], &world.data.join("serve.log"));
    add_user(world.cli(), "admin", "admin", ADMIN_PASSWORD);
    add_user(world.cli(), "olive", "operator", OPERATOR_PASSWORD);
    let (_driver, client) = browser(&tmp.join("chromedriver.log")).await;
    let page = Page {
        client: &client,
        base: server.base.clone(),
        shots: shots_dir(&tmp),
    };

    // Every page and asset carries the strict policy: scripts and styles from here only.
    for path in ["/signin", "/assets/app.js", "/assets/app.css"] {
        let r = reqwest::get(format!("{}{path}", server.base))
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(
            r.headers()["content-security-policy"],
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            "{path}"
        );
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
    }
    let shell = reqwest::get(format!("{}/signin", server.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !shell.contains("<script>") && !shell.contains("style="),
        "no inline script or style"
    );

    // No session: a page sends the browser to sign in, and back after it.
    page.open("/integrations").await;
    page.wait_for("#signin-form").await;
    assert_eq!(page.path().await, "/signin?next=%2Fintegrations");
    page.shot("01-sign-in").await;
    page.fill("#name", "admin").await;
    page.fill("#password", "not the password").await;
    page.click("#signin").await;
    page.wait_text("#signin-form .error", "").await;
    page.fill("#password", ADMIN_PASSWORD).await;
    page.click("#signin").await;
    page.wait_text("#who", "admin (admin)").await;
    assert_eq!(page.path().await, "/integrations");
    page.wait_text("tr[data-connection=xero]", "connected")
        .await;

    // Add a second Xero connection and connect it through the sandbox's consent page.
    page.add_and_connect(
        &NewConnection {
            name: "books",
            connector: "xero",
            client: (XERO_CLIENT_ID, XERO_CLIENT_SECRET),
            sandbox: &world.sandbox.base_url(),
            settings: &[],
        },
        Some(("02-add-connection", "03-consent")),
    )
    .await;
    page.shot("04-integrations").await;

    // Remove: the confirmation names what is revoked and deleted (never a value), then the
    // connection and its vault items are gone.
    let removal = page.api_get("/api/v1/connections/books/removal").await;
    assert!(world.vault_item("books", "tokens").is_some());
    assert!(world.vault_item("books", "client-secret").is_some());
    page.click("tr[data-connection=books] [data-action=remove]")
        .await;
    let mut said = Vec::new();
    page.wait_for("#confirm-lines li").await;
    for li in client
        .find_all(Locator::Css("#confirm-lines li"))
        .await
        .unwrap()
    {
        said.push(li.text().await.unwrap());
    }
    assert_eq!(
        page.wait_text("#confirm-title", "books").await,
        "Remove connection books?"
    );
    assert_eq!(
        said,
        [
            "Revokes ledgerlink's access at Xero first.",
            "Deletes from the vault: tokens, client-secret.",
            "Deletes its tenant choice (tenant-id, tenant-name).",
            "Deletes its other settings: api-base, client-id, contract-reference-prefix, default-account-code, invoice-status, job-reference-prefix, page-size, scopes.",
            "Its runs and their reports stay.",
        ],
        "{removal}"
    );
    page.shot("14-remove-connection").await;
    page.click("#confirm-yes").await;
    page.wait_text("#notice", "Removed connection books").await;
    let left = page.api_get("/api/v1/connections").await;
    assert!(
        left["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["name"] != "books"),
        "{left}"
    );
    assert!(
        client
            .find_all(Locator::Css("tr[data-connection=books]"))
            .await
            .unwrap()
            .is_empty()
    );
    for item in ["tokens", "client-secret", "api-key"] {
        assert_eq!(world.vault_item("books", item), None, "{item}");
    }
    page.sign_out().await;

    // The operator: no admin screen, a 403 page saying why.
    page.sign_in("olive", OPERATOR_PASSWORD).await;
    page.open("/integrations").await;
    let refused = page.wait_text("main", "for an admin").await;
    assert!(
        refused.contains("user olive is an operator; this screen (connections, credentials, plugins) is for an admin"),
        "{refused}"
    );

    // A book with problems: every one listed by file, line and field; nothing imported.
    page.open("/data").await;
    let home_before = page.api_get("/api/v1/home").await;
    let bad = tmp.join("bad-book.json");
    std::fs::write(
        &bad,
        r#"{
  "customers": [
    {"id": "TP-CUST-2009", "name": "   "}
  ],
  "jobs": [
    {
      "id": "TP-JOB-6004",
      "number": "J6004",
      "customer_id": "TP-CUST-9999",
      "status": "open",
      "invoice_date": "2026-11-05",
      "currency": "NZD",
      "tax_mode": "none",
      "subtotal": "0",
      "tax_total": "0",
      "total": "0"
    }
  ]
}
"#,
    )
    .unwrap();
    page.upload_book(&bad).await;
    let said = page
        .wait_text("#import-errors", "Nothing was imported")
        .await;
    assert!(
        said.starts_with("Nothing was imported: bad-book.json has 2 problems."),
        "{said}"
    );
    let mut listed = Vec::new();
    for row in client
        .find_all(Locator::Css("#import-problems tbody tr"))
        .await
        .unwrap()
    {
        let mut cells = Vec::new();
        for td in row.find_all(Locator::Css("td")).await.unwrap() {
            cells.push(td.text().await.unwrap());
        }
        listed.push(cells);
    }
    assert_eq!(
        listed,
        [
            [
                "bad-book.json",
                "3",
                "customers[0].name",
                "required but only spaces; fill it in"
            ],
            [
                "bad-book.json",
                "9",
                "jobs[0].customer_id",
                "no customer \"TP-CUST-9999\" in this import or in the home book; import that customer too, or correct the id"
            ]
        ]
    );
    page.shot("13-import-problems").await;
    assert_eq!(page.api_get("/api/v1/home").await, home_before);

    // Import a book: ten customers, six closed ready jobs.
    page.open("/data").await;
    let book = tmp.join("book-upload.json");
    std::fs::write(&book, job_book(10, 6)).unwrap();
    page.upload_book(&book).await;
    page.wait_text("#home-counts", "6 closed and ready for invoice")
        .await;
    page.shot("05-tracker-pro-data").await;

    // Set Flags as a table: clear JOB0's two Ready-for-Invoice flags (out of the next sync),
    // then set them again.
    page.wait_text("#flag-status", "6 closed jobs").await;
    let flag_cells = "#flag-table tr[data-id=JOB0] td[data-flag]";
    let flags_of = |record: serde_json::Value| {
        let job = record["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["id"] == "JOB0")
            .cloned()
            .unwrap();
        (
            job["ready_for_invoice_1"].clone(),
            job["ready_for_invoice_2"].clone(),
            job["due"].clone(),
        )
    };
    for (button, shown, on, ready) in [
        ("#clear-flags", "No", false, 5),
        ("#set-flags", "Yes", true, 6),
    ] {
        page.click("#flag-table tr[data-id=JOB0] input[type=checkbox]")
            .await;
        page.wait_text("#flag-status", "1 selected").await;
        page.click(button).await;
        page.wait_exact("#flag-table tr[data-id=JOB0] td[data-flag='2']", shown)
            .await;
        assert_eq!(page.texts(flag_cells).await, [shown, shown]);
        assert_eq!(
            flags_of(page.api_get("/api/v1/home/jobs?status=closed").await),
            (json!(on), json!(on), json!(on))
        );
        assert_eq!(
            page.api_get("/api/v1/home").await["jobs"]["closed_and_ready"],
            ready
        );
        if !on {
            page.shot("12-set-flags").await;
        }
    }

    // Customers: compare, tick two rows, Start Sync.
    page.open("/connections/xero").await;
    page.click("#compare").await;
    page.wait_for("#plan-rows tbody tr").await;
    let counts = page.wait_text("#plan-counts", "add").await;
    assert_eq!(counts, "10 add");
    let before = world.customer_names().await.len();
    page.shot("06-compare-customers").await;
    let boxes = client
        .find_all(Locator::Css(
            "#plan-rows tbody input[type=checkbox]:not([disabled])",
        ))
        .await
        .unwrap();
    let mut picked = Vec::new();
    for b in boxes.iter().take(2) {
        picked.push(b.attr("data-key").await.unwrap().unwrap());
        b.click().await.unwrap();
    }
    page.wait_text("#plan-status", "2 selected").await;
    page.click("#start-sync").await;
    page.wait_text("#job-status", "100 %").await;
    let status = page.wait_text("#job-status", "succeeded").await;
    assert!(status.starts_with("succeeded"), "{status}");
    // The tally of the step, on the page and in the job behind it.
    let tally = page.wait_text("#job-tally", "2 created").await;
    assert_eq!(tally, "2 created, 0 updated, 0 failed so far");
    let job_path = page.path().await;
    let job = page.api_get(&format!("/api/v1{job_path}")).await;
    assert_eq!(
        job["progress"],
        json!({"what": "sending customers", "done": 2, "total": 2, "created": 2, "updated": 0,
               "failed": 0, "vendor_wait": null}),
        "{job}"
    );
    page.shot("07-progress").await;
    page.click("#report-link").await;
    let summary = page.wait_text("#run-summary", "created").await;
    assert!(summary.contains("2 created"), "{summary}");
    for key in &picked {
        page.wait_text(&format!("#run-items tr[data-key='{key}']"), "created")
            .await;
    }
    page.shot("08-report").await;
    let names = world.customer_names().await;
    assert_eq!(names.len(), before + 2, "{names:?}");

    // The report's CSV export, fetched as the browser would: every record of the report,
    // the two customers, created, with their Xero ids.
    let (csv, rows) = page.exported_csv().await;
    let mut keys: Vec<String> = rows.into_iter().map(|(k, _)| k).collect();
    keys.sort();
    let mut want = picked.clone();
    want.sort();
    assert_eq!(keys, want, "{csv}");

    // Invoice Jobs: compare and sync all adds; the six invoices are in Xero.
    page.open("/connections/xero?option=jobs").await;
    page.click("#compare").await;
    let counts = page.wait_text("#plan-counts", "add").await;
    assert!(counts.contains("6 add"), "{counts}");
    page.shot("09-compare-invoice-jobs").await;
    page.click("#select-adds").await;
    page.wait_text("#job-status", "succeeded").await;
    page.click("#report-link").await;
    let summary = page.wait_text("#run-summary", "created").await;
    assert!(
        summary.contains("6 created") || summary.contains("created"),
        "{summary}"
    );
    let invoices = world.invoices().await;
    assert_eq!(invoices.len(), 6, "{invoices:?}");

    // Roll the invoice run back: confirmed, then the invoices are voided or deleted.
    page.click("#rollback").await;
    client.accept_alert().await.unwrap();
    page.wait_text("#job-status", "succeeded").await;
    page.shot("10-rollback").await;
    let left: Vec<_> = world
        .dump(
            &Vendor::Xero.invoices_dump().0,
            Vendor::Xero.invoices_dump().1,
        )
        .await
        .into_iter()
        .filter(|i| !matches!(i["Status"].as_str(), Some("VOIDED" | "DELETED")))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // Activity: schedules (an operator sees no audit log).
    page.open("/activity").await;
    page.wait_for("#schedules").await;
    page.shot("11-activity").await;
    assert!(
        client
            .find_all(Locator::Css("#add-schedule"))
            .await
            .unwrap()
            .is_empty(),
        "an operator makes no schedule"
    );
    page.sign_out().await;

    // An admin adds a schedule: a bad cron is refused with the server's own words; a good one
    // shows its next run; pause and resume.
    page.sign_in("admin", ADMIN_PASSWORD).await;
    page.open("/activity").await;
    page.wait_for("#schedule-transfer option[value=job-invoices]")
        .await;
    page.wait_for("#schedule-connection")
        .await
        .select_by_value("xero")
        .await
        .unwrap();
    page.wait_for("#schedule-transfer")
        .await
        .select_by_value("job-invoices")
        .await
        .unwrap();
    page.fill("#schedule-cron", "61 * * * *").await;
    page.click("#add-schedule-button").await;
    let refused = page.wait_text("#schedule-error", "cron").await;
    assert_eq!(
        refused,
        "the cron expression \"61 * * * *\" is not valid: its minute field \"61\" is not one of 0-59. Give five fields (minute hour day-of-month month day-of-week) or six with seconds first, e.g. \"*/15 * * * *\" (every 15 minutes) or \"0 9-21 * * MON-FRI\" (hourly on weekdays, 09:00 to 21:00)"
    );
    assert_eq!(page.api_get("/api/v1/schedules").await["items"], json!([]));
    page.fill("#schedule-cron", "0 2 * * *").await;
    page.click("#add-schedule-button").await;
    page.wait_for("#schedules tr[data-schedule]").await;
    let made = page.api_get("/api/v1/schedules").await["items"][0].clone();
    assert_eq!(
        (
            &made["connection"],
            &made["transfer"],
            &made["cron"],
            &made["paused"]
        ),
        (
            &json!("xero"),
            &json!("job-invoices"),
            &json!("0 2 * * *"),
            &json!(false)
        ),
        "{made}"
    );
    let id = made["id"].as_i64().unwrap();
    let row = format!("#schedules tr[data-schedule='{id}']");
    let next = page.wait_text(&format!("{row} .next-run"), "").await;
    assert!(!next.is_empty() && next != "paused", "{next}");
    page.shot("15-schedules").await;
    page.click(&format!("{row} [data-action=pause]")).await;
    page.wait_text(&format!("{row} .next-run"), "paused").await;
    assert_eq!(
        page.api_get("/api/v1/schedules").await["items"][0]["paused"],
        true
    );
    page.click(&format!("{row} [data-action=resume]")).await;
    page.wait_for(&format!("{row} [data-action=pause]")).await;
    let resumed = page.api_get("/api/v1/schedules").await["items"][0].clone();
    assert_eq!(resumed["paused"], false, "{resumed}");
    assert_ne!(
        page.wait_text(&format!("{row} .next-run"), "").await,
        "paused"
    );
    client.close().await.unwrap();
}

impl Page<'_> {
    /// Press and release `key` (a character, or a [`Key`] code) as WebDriver key actions.
    async fn press(&self, key: char) {
        let actions = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        self.client.perform_actions(actions).await.unwrap();
    }

    async fn type_keys(&self, text: &str) {
        for c in text.chars() {
            self.press(c).await;
        }
    }

    /// Press Tab until the focused element has attribute `attr` (equal to `value` when
    /// given); returns the attribute's value.
    async fn tab_to(&self, attr: &str, value: Option<&str>) -> String {
        for _ in 0..80 {
            self.press(Key::Tab.into()).await;
            let focused = self.client.active_element().await.unwrap();
            if let Some(found) = focused.attr(attr).await.unwrap()
                && value.is_none_or(|v| v == found)
            {
                return found;
            }
        }
        panic!("Tab never reached [{attr}={value:?}]");
    }

    /// The focused element shows it: `:focus-visible` applies and draws the outline.
    async fn assert_focus_visible(&self) {
        let seen = self
            .client
            .execute(
                "const e = document.activeElement; const s = getComputedStyle(e); return [e.matches(':focus-visible'), s.outlineStyle, s.outlineColor];",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(seen, json!([true, "solid", "rgb(255, 191, 71)"]));
    }

    /// The text of every element matching `css`, read in one step (a table that redraws
    /// meanwhile cannot leave a stale element behind).
    async fn texts(&self, css: &str) -> Vec<String> {
        self.read_all(css, "e.textContent.trim()").await
    }

    /// Attribute `attr` of every element matching `css`, read in one step.
    async fn attrs(&self, css: &str, attr: &str) -> Vec<String> {
        self.read_all(css, &format!("e.getAttribute({}) || ''", json!(attr)))
            .await
    }

    async fn read_all(&self, css: &str, expr: &str) -> Vec<String> {
        let script = format!(
            "return Array.from(document.querySelectorAll({})).map((e) => {expr});",
            json!(css)
        );
        serde_json::from_value(self.client.execute(&script, vec![]).await.unwrap()).unwrap()
    }
}

/// A server over `world` with an operator, and a browser.
async fn operator_session(world: &World) -> (Server, Driver, Client) {
    let tmp = world.data.parent().unwrap().to_owned();
    let server = Server::start(world.cli(), &[], &world.data.join("serve.log"));
    add_user(world.cli(), "olive", "operator", OPERATOR_PASSWORD);
    let (driver, client) = browser(&tmp.join("chromedriver.log")).await;
    (server, driver, client)
}

#[tokio::test(flavor = "multi_thread")]
async fn keyboard_alone_signs_in_ticks_a_row_and_starts_a_dry_run_with_the_focus_visible() {
    let world = World::with_book(Vendor::Xero, &job_book(3, 0), &[]).await;
    let tmp = world.data.parent().unwrap().to_owned();
    let (server, _driver, client) = operator_session(&world).await;
    let page = Page {
        client: &client,
        base: server.base.clone(),
        shots: shots_dir(&tmp),
    };
    let before = world.customer_names().await;

    page.open("/signin?next=%2Fconnections%2Fxero").await;
    page.wait_for("#signin-form").await;
    page.tab_to("id", Some("name")).await;
    page.assert_focus_visible().await;
    page.type_keys("olive").await;
    page.tab_to("id", Some("password")).await;
    page.type_keys(OPERATOR_PASSWORD).await;
    page.press(Key::Enter.into()).await;
    page.wait_text("#who", "olive (operator)").await;
    assert_eq!(page.path().await, "/connections/xero");

    page.wait_for("#compare").await;
    page.tab_to("id", Some("compare")).await;
    page.assert_focus_visible().await;
    page.press(Key::Enter.into()).await;
    page.wait_text("#plan-counts", "3 add").await;
    let key = page.tab_to("data-key", None).await;
    page.assert_focus_visible().await;
    page.shot("17-keyboard-focus").await;
    page.press(Key::Space.into()).await;
    page.wait_text("#plan-status", "1 selected").await;
    page.tab_to("id", Some("dry-run")).await;
    page.press(Key::Enter.into()).await;
    page.wait_text("#job-status", "succeeded").await;

    // A dry run of exactly that row: nothing written to Xero.
    let job = page.api_get(&format!("/api/v1{}", page.path().await)).await;
    let run = page
        .api_get(&format!("/api/v1/runs/{}", job["run_id"]))
        .await;
    assert_eq!(run["dry_run"], true, "{run}");
    let items = page
        .api_get(&format!("/api/v1/runs/{}/items", job["run_id"]))
        .await;
    let keys: Vec<_> = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["home_key"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(keys, [key], "{items}");
    assert_eq!(world.customer_names().await, before);
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ten_thousand_row_plan_pages_filters_and_searches_with_one_page_in_the_dom() {
    let world = World::with_book(Vendor::Xero, &job_book(10_000, 0), &[]).await;
    let tmp = world.data.parent().unwrap().to_owned();
    let (server, _driver, client) = operator_session(&world).await;
    let page = Page {
        client: &client,
        base: server.base.clone(),
        shots: shots_dir(&tmp),
    };
    page.sign_in("olive", OPERATOR_PASSWORD).await;
    page.open("/connections/xero").await;
    page.click("#compare").await;
    assert_eq!(page.wait_text("#plan-counts", "add").await, "10000 add");
    let status = page.wait_text("#plan-status", "shown").await;
    assert_eq!(status, "10000 row(s) shown by the filter; 0 selected");
    let rows = "#plan-rows tbody tr";
    let first = page.attrs(rows, "data-key").await;
    assert_eq!(first.len(), 100, "one page of rows in the DOM");
    assert_eq!(
        client.find_all(Locator::Css("tr")).await.unwrap().len(),
        101,
        "the header and one page, nothing else"
    );

    // The next page: another hundred, none of the first.
    page.click("#next").await;
    let started = Instant::now();
    let second = loop {
        let now = page.attrs(rows, "data-key").await;
        if now.first() != first.first() && now.len() == 100 {
            break now;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "Next never showed another page"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(second.iter().all(|k| !first.contains(k)), "{second:?}");
    page.shot("16-ten-thousand-rows").await;

    // A filter with no rows, then a search for one customer.
    page.wait_for("#flag-filter")
        .await
        .select_by_value("update")
        .await
        .unwrap();
    page.wait_exact("#plan-status", "0 row(s) shown by the filter; 0 selected")
        .await;
    assert!(page.attrs(rows, "data-key").await.is_empty());
    page.wait_for("#flag-filter")
        .await
        .select_by_value("")
        .await
        .unwrap();
    page.wait_text("#plan-status", "10000 row(s) shown").await;
    page.fill("#search", "Stress Customer 9876\u{e007}").await;
    page.wait_exact("#plan-status", "1 row(s) shown by the filter; 0 selected")
        .await;
    assert_eq!(page.attrs(rows, "data-key").await, ["C9876"]);
    assert_eq!(
        page.texts(&format!("{rows} td:nth-child(4)")).await,
        ["Stress Customer 9876"]
    );
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_connects_quickbooks_and_an_operator_syncs_customers_and_invoice_jobs_and_rolls_back_in_chromium()
 {
    // The operator imports the book in the browser (below); the world starts empty.
    let world = World::with_book(
        Vendor::QuickBooks,
        &crate::vendor_world::book_json(Vendor::QuickBooks, 0, 0),
        &[],
    )
    .await;
    let tmp = world.data.parent().unwrap().to_owned();
    let (server, _driver, client) = operator_session(&world).await;
    add_user(world.cli(), "admin", "admin", ADMIN_PASSWORD);
    let page = Page {
        client: &client,
        base: server.base.clone(),
        shots: shots_dir(&tmp),
    };

    // The admin adds a QuickBooks connection; the consent page's grant names the company
    // (realmId), which the connection keeps.
    page.sign_in("admin", ADMIN_PASSWORD).await;
    page.open("/integrations").await;
    page.add_and_connect(
        &NewConnection {
            name: "qbo",
            connector: "quickbooks",
            client: (QBO_CLIENT_ID, QBO_CLIENT_SECRET),
            sandbox: &world.sandbox.base_url(),
            // The book's lines carry no item: bill them as item 1; its tax code as is.
            settings: &[("default-item", "1"), ("tax-codes", "TAX=TAX")],
        },
        Some(("18-add-quickbooks", "19-quickbooks-consent")),
    )
    .await;
    let settings = page.api_get("/api/v1/connections/qbo/settings").await;
    assert_eq!(settings["settings"]["realm-id"], QBO_REALM_ID, "{settings}");
    page.sign_out().await;

    // The operator compares customers over it, ticks two, Start Sync: both are in the
    // sandbox company.
    page.sign_in("olive", OPERATOR_PASSWORD).await;
    page.open("/data").await;
    let book = tmp.join("book-upload.json");
    std::fs::write(
        &book,
        crate::vendor_world::book_json(Vendor::QuickBooks, 4, 3),
    )
    .unwrap();
    page.upload_book(&book).await;
    // The page showed the empty book's counts before: wait for the imported ones.
    page.wait_text("#home-counts", "3 closed and ready for invoice")
        .await;
    page.open("/connections/qbo").await;
    page.click("#compare").await;
    assert_eq!(page.wait_text("#plan-counts", "add").await, "4 add");
    let before = world.customer_names().await;
    let boxes = client
        .find_all(Locator::Css(
            "#plan-rows tbody input[type=checkbox]:not([disabled])",
        ))
        .await
        .unwrap();
    let mut picked = Vec::new();
    for b in boxes.iter().take(2) {
        let key = b.attr("data-key").await.unwrap().unwrap();
        let name = page
            .texts(&format!("#plan-rows tr[data-key='{key}'] td:nth-child(4)"))
            .await
            .remove(0);
        picked.push(name);
        b.click().await.unwrap();
    }
    page.wait_text("#plan-status", "2 selected").await;
    page.click("#start-sync").await;
    page.wait_text("#job-status", "succeeded").await;
    assert_eq!(
        page.wait_text("#job-tally", "2 created").await,
        "2 created, 0 updated, 0 failed so far"
    );
    page.shot("20-quickbooks-progress").await;
    page.click("#report-link").await;
    let summary = page.wait_text("#run-summary", "created").await;
    assert!(summary.contains("2 created"), "{summary}");
    let mut after = world.customer_names().await;
    after.retain(|n| !before.contains(n));
    after.sort();
    picked.sort();
    assert_eq!(after, picked);

    // The report's CSV export: every record, the two customers created with their
    // QuickBooks ids.
    let (csv, rows) = page.exported_csv().await;
    let mut names: Vec<String> = rows.into_iter().map(|(_, n)| n).collect();
    names.sort();
    assert_eq!(names, picked, "{csv}");

    // Invoice Jobs: compare and sync all adds; the customers they bill that were not sent yet
    // are created first, and the three invoices are in the QuickBooks company.
    page.open("/connections/qbo?option=jobs").await;
    page.click("#compare").await;
    let counts = page.wait_text("#plan-counts", "add").await;
    assert!(counts.contains("3 add"), "{counts}");
    page.click("#select-adds").await;
    page.wait_text("#job-status", "succeeded").await;
    page.click("#report-link").await;
    let summary = page.wait_text("#run-summary", "created").await;
    // The run counts the customers its invoices needed created first, too.
    let customers_created = world.customer_names().await.len() - before.len() - 2;
    assert!(
        summary.contains(&format!("{} created", 3 + customers_created)),
        "{summary}"
    );
    let live = |records: Vec<serde_json::Value>| -> Vec<serde_json::Value> {
        records
            .into_iter()
            .filter(|i| i["status"] != "Deleted" && i["PrivateNote"] != "Voided")
            .collect()
    };
    let invoices = live(world.invoice_records().await);
    assert_eq!(invoices.len(), 3, "{invoices:?}");

    // Roll the invoice run back: confirmed, then the invoices are gone from QuickBooks.
    page.click("#rollback").await;
    client.accept_alert().await.unwrap();
    page.wait_text("#job-status", "succeeded").await;
    let left = live(world.invoice_records().await);
    assert!(left.is_empty(), "{left:?}");
    client.close().await.unwrap();
}

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

use fantoccini::{Client, ClientBuilder, Locator};
use ledgerlink_sandbox::{XERO_CLIENT_ID, XERO_CLIENT_SECRET};
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

    async fn cookie(&self) -> String {
        self.client
            .get_named_cookie("ledgerlink_session")
            .await
            .unwrap()
            .value()
            .to_owned()
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
    page.fill("#conn-name", "books").await;
    page.wait_for("#connector option[value=xero]").await;
    page.wait_for("#connector")
        .await
        .select_by_value("xero")
        .await
        .unwrap();
    page.wait_for("#client_id").await;
    page.fill("#client_id", XERO_CLIENT_ID).await;
    page.fill("#client_secret", XERO_CLIENT_SECRET).await;
    page.fill("#sandbox", &world.sandbox.base_url()).await;
    page.shot("02-add-connection").await;
    page.click("#add").await;
    page.wait_text("tr[data-connection=books]", "not connected")
        .await;
    page.click("tr[data-connection=books] [data-action=connect]")
        .await;
    // The sandbox's consent page: approve.
    let sandbox = world.sandbox.base_url();
    let started = Instant::now();
    while !client
        .current_url()
        .await
        .unwrap()
        .as_str()
        .starts_with(&sandbox)
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "Connect never went to the sandbox's consent page"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    page.shot("03-consent").await;
    page.click("form [type=submit]").await;
    while !client
        .current_url()
        .await
        .unwrap()
        .as_str()
        .starts_with(&server.base)
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the consent page never sent the browser back to /oauth/callback"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let callback_text = page.wait_text("body", "books").await;
    page.click("a[href='/integrations']").await;
    // A grant over several organisations: choose one.
    if callback_text.contains("several organisations") {
        let chooser = page.wait_for("select[data-tenant-choice=books]").await;
        let first = chooser
            .find(Locator::Css("option"))
            .await
            .unwrap()
            .attr("value")
            .await
            .unwrap()
            .unwrap();
        chooser.select_by_value(&first).await.unwrap();
        page.click("tr[data-connection=books] [data-action=choose-tenant]")
            .await;
    }
    page.wait_text("tr[data-connection=books] .badge", "connected")
        .await;
    let badge = page
        .wait_text("tr[data-connection=books] .badge", "connected")
        .await;
    assert_eq!(badge, "connected");
    page.shot("04-integrations").await;
    page.sign_out().await;

    // The operator: no admin screen, a 403 page saying why.
    page.sign_in("olive", OPERATOR_PASSWORD).await;
    page.open("/integrations").await;
    let refused = page.wait_text("main", "for an admin").await;
    assert!(
        refused.contains("user olive is an operator; this screen (connections, credentials, plugins) is for an admin"),
        "{refused}"
    );

    // Import a book: ten customers, six closed ready jobs.
    page.open("/data").await;
    let book = tmp.join("book-upload.json");
    std::fs::write(&book, job_book(10, 6)).unwrap();
    page.wait_for("#book-file")
        .await
        .send_keys(book.to_str().unwrap())
        .await
        .unwrap();
    page.click("#import").await;
    page.wait_text("#home-counts", "6 closed and ready for invoice")
        .await;
    page.shot("05-tracker-pro-data").await;

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

    // The report's CSV export, fetched as the browser would.
    let href = page
        .wait_for("#export-csv")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let csv = reqwest::Client::new()
        .get(format!("{}{href}", server.base))
        .header(
            "cookie",
            format!("ledgerlink_session={}", page.cookie().await),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.starts_with("home_key,remote_id,name,outcome,reason"),
        "{csv}"
    );

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
    client.close().await.unwrap();
}

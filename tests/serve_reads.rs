//! Reading back over the API what a person decides from: a stored plan page by page (flag,
//! search, cursor), the same rows in `ledgerlink plans show`, and the home book as CSV (one
//! file, or the four in one ZIP archive) next to its JSON.

use std::io::Read as _;

use reqwest::Method;
use serde_json::{Value, json};

use crate::serve::{ADMIN_PASSWORD, Api, Server, add_user, job_book};
use crate::vendor_world::{Vendor, World};

const PLAN: &str = "/api/v1/plans/{id}";

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_reads_back_by_flag_search_and_page_and_the_book_exports_as_csv() {
    let world = World::with_book(Vendor::Xero, &job_book(10, 6), &[]).await;
    let server = Server::start(world.cli(), &[], &world.data.join("serve.log"));
    add_user(world.cli(), "admin", "admin", ADMIN_PASSWORD);
    let mut api = Api::new(&server.base).await;
    assert_eq!(api.sign_in("admin", ADMIN_PASSWORD).await.status, 200);

    let compared = api
        .call(
            Method::POST,
            "/api/v1/connections/{name}/compare",
            "/api/v1/connections/xero/compare",
            Some(json!({"entity": "job-invoices"})),
            &[],
        )
        .await;
    assert_eq!(compared.status, 201, "{}", compared.text);
    let id = compared.json()["plan"].as_i64().unwrap();
    let path = |query: &str| format!("/api/v1/plans/{id}{query}");

    // Four rows a page: two pages, the flag counts over the whole plan on each.
    let first = api
        .call(Method::GET, PLAN, &path("?limit=4"), None, &[])
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    let first = first.json();
    assert_eq!(first["connection"], "xero");
    assert_eq!(first["entity"], "job-invoices");
    assert_eq!(first["direction"], "push");
    assert_eq!(first["counts"], json!({"add": 6}));
    assert_eq!(first["matching"], 6);
    let keys = |page: &Value| -> Vec<String> {
        page["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["key"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(keys(&first), ["JOB0", "JOB1", "JOB2", "JOB3"]);
    assert_eq!(
        first["rows"][0],
        json!({
            "key": "JOB0", "name": "J100001", "customer": "Stress Customer 0", "total": "11.50",
            "flag": "add", "remote_id": null, "diffs": [], "creates_customer": true,
            "not_undoable": null,
            "reason": "not in Xero yet; its customer \"Stress Customer 0\" is matched or created first"
        })
    );
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = api
        .call(
            Method::GET,
            PLAN,
            &path(&format!("?limit=4&cursor={cursor}")),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(keys(&second), ["JOB4", "JOB5"]);
    assert!(second["next_cursor"].is_null(), "{second}");

    // A search (any case) and a flag that no row has.
    let found = api
        .call(Method::GET, PLAN, &path("?q=job5"), None, &[])
        .await
        .json();
    assert_eq!(
        (keys(&found), found["matching"].as_u64()),
        (vec!["JOB5".to_owned()], Some(1))
    );
    let none = api
        .call(Method::GET, PLAN, &path("?flag=update"), None, &[])
        .await
        .json();
    assert_eq!(
        (none["matching"].as_u64(), none["counts"]["add"].as_u64()),
        (Some(0), Some(6))
    );

    // What cannot be read says why.
    let bad_flag = api
        .call(Method::GET, PLAN, &path("?flag=maybe"), None, &[])
        .await;
    assert_eq!(bad_flag.status, 400, "{}", bad_flag.text);
    assert_eq!(
        bad_flag.json()["detail"],
        "flag \"maybe\" is not a plan flag; use one of add, update, unchanged, conflict, locked"
    );
    let missing = api
        .call(Method::GET, PLAN, "/api/v1/plans/9999", None, &[])
        .await;
    assert_eq!(missing.status, 404, "{}", missing.text);

    // The CLI reads the same rows.
    let out = world
        .cli()
        .args(["plans", "show", &id.to_string(), "--search", "JOB5"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("JOB5"), "{stdout}");
    assert!(!stdout.contains("JOB4"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "Plan {id} (job-invoices push on xero): 6 add. Rows 1–1 of 1 matching."
        )),
        "{stdout}"
    );
    let out = world
        .cli()
        .args(["plans", "show", &id.to_string(), "--flag", "maybe"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "flag \"maybe\" is not a plan flag; use one of add, update, unchanged, conflict, locked"
        ),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The home book as one CSV file, and as all four in one archive: the same bytes.
    const EXPORT: &str = "/api/v1/home/export";
    let jobs = api
        .call(
            Method::GET,
            EXPORT,
            &format!("{EXPORT}?format=csv&file=jobs.csv"),
            None,
            &[],
        )
        .await;
    assert_eq!(jobs.status, 200, "{}", jobs.text);
    assert_eq!(jobs.headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        jobs.headers["content-disposition"],
        "attachment; filename=\"jobs.csv\""
    );
    for n in 0..6 {
        assert!(jobs.text.contains(&format!("\nJOB{n},")), "{}", jobs.text);
    }
    let zip = reqwest::Client::new()
        .get(format!("{}{EXPORT}?format=csv", server.base))
        .header(
            "cookie",
            format!("ledgerlink_session={}", api.cookie.as_deref().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(zip.status(), 200);
    assert_eq!(zip.headers()["content-type"], "application/zip");
    let bytes = zip.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut sorted: Vec<String> = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "contract-invoices.csv",
            "contracts.csv",
            "customers.csv",
            "jobs.csv"
        ]
    );
    let mut inside = String::new();
    archive
        .by_name("jobs.csv")
        .unwrap()
        .read_to_string(&mut inside)
        .unwrap();
    assert_eq!(inside, jobs.text);
    let bad = api
        .call(
            Method::GET,
            EXPORT,
            &format!("{EXPORT}?format=csv&file=../secrets"),
            None,
            &[],
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert_eq!(
        bad.json()["detail"],
        "\"../secrets\" is not one of the export's files; use customers.csv, jobs.csv, contracts.csv or contract-invoices.csv"
    );
    let xml = api
        .call(
            Method::GET,
            EXPORT,
            &format!("{EXPORT}?format=xml"),
            None,
            &[],
        )
        .await;
    assert_eq!(xml.status, 400, "{}", xml.text);
    assert_eq!(
        xml.json()["detail"],
        "format \"xml\" is not an export format; use json or csv"
    );
}

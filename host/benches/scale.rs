//! Scale: a large Tracker Pro book through the csv connector, end to end, driving the real
//! `ledgerlink` release binary (issue 15, "Done when", Scale), and the invoice compare alone.
//!
//! - **cli**: a generated book of N customers (all flagged for integration) and N closed job
//!   invoices ready to send (3 lines each), imported and sent with the commands an admin
//!   types: `home import` → `compare customers` → `sync --plan P --all` →
//!   `push-invoices --kind job`, then a second, no-op round of compare + sync + push. Each
//!   step is one process; its wall time and its peak RSS (`wait4`'s `ru_maxrss` for that
//!   child alone) are printed.
//! - **compare**: the job-invoice classification in process: N home invoices, all sent before,
//!   against N target invoices read from an in-memory page source through the host's paging
//!   loop (every record inspected), no plugin. Time and the process's peak RSS growth.
//!
//! N is 100,000 unless `LEDGERLINK_BENCH_SCALE` says otherwise; `LEDGERLINK_BENCH_ONLY=cli`
//! or `=compare` runs one part. Figures go to docs/performance.md.
//!
//! Run: `cargo bench -p ledgerlink --bench scale`. Cargo builds the `ledgerlink` binary of
//! this package for a bench (bench profile = release) and names it in
//! `CARGO_BIN_EXE_ledgerlink`, so the binary driven is always the one just built.
#![allow(clippy::unwrap_used)]

// The allocator the `ledgerlink` binary uses (src/main.rs), so the in-process part measures
// what the binary does.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ledgerlink::model::{Invoice, InvoiceStatus};
use ledgerlink::store::sync_state::MapEntry;
use ledgerlink::sync::invoices::{InvoiceJob, READ_BACK_MARK};
use ledgerlink::sync::paging::{PullLimits, pull_each};
use ledgerlink::transfer::invoice_plans::{
    InvoiceAction, InvoicePlan, Known, TargetIndex, classify,
};
use rust_decimal::{Decimal, RoundingStrategy};

fn scale() -> usize {
    std::env::var("LEDGERLINK_BENCH_SCALE")
        .ok()
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(100_000)
}

/// A tiny deterministic generator (the same book every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, of: &[&'a str]) -> &'a str {
        of[(self.next() as usize) % of.len()]
    }
}

/// What a line bills, and its unit price.
const WORK: [(&str, &str); 4] = [
    ("Service call", "120.00"),
    ("Hourly labour", "88.40"),
    ("Parts, assorted, per kit", "37.15"),
    ("Disposal fee", "9.95"),
];
const QUANTITIES: [&str; 5] = ["1", "2", "2.5", "0.75", "12"];
const CITIES: [&str; 5] = [
    "Auckland",
    "Wellington",
    "Christchurch",
    "Hamilton",
    "Dunedin",
];

fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// The texts of `customers.csv` and `jobs.csv` (the home book's CSV format) of a book of
/// `n` customers and `n` closed jobs ready for invoicing, 3 lines each.
fn book_text(n: usize) -> (String, String) {
    let mut rng = Lcg(15);
    let mut customers = String::from(
        "customer_id,name,email,phone,billing_line1,billing_city,billing_postal_code,billing_country,currency,active,flagged_for_integration\n",
    );
    for i in 0..n {
        let city = rng.pick(&CITIES);
        writeln!(
            customers,
            "TP-CUST-{i:06},Customer {i:06} Ltd,accounts{i}@customer.example,+64 9 555 {:04},{} Wharf Street,{city},1010,NZ,NZD,true,true",
            i % 10_000,
            i % 500 + 1
        )
        .unwrap();
    }
    let rate: Decimal = "0.15".parse().unwrap();
    let mut jobs = String::from(
        "job_id,number,customer_id,status,ready_for_invoice_1,ready_for_invoice_2,invoice_date,due_date,currency,tax_mode,subtotal,tax_total,total,line_description,line_quantity,line_unit_price,line_amount,line_tax_code,line_tax_amount\n",
    );
    for i in 0..n {
        // Every customer has one job; the order is shuffled (7 is coprime with 10^k).
        let customer = (i * 7 + 3) % n;
        let lines: Vec<(&str, &str, &str, Decimal, Decimal)> = (0..3)
            .map(|_| {
                let (what, price) = WORK[(rng.next() as usize) % WORK.len()];
                let qty = rng.pick(&QUANTITIES);
                let amount =
                    cents(qty.parse::<Decimal>().unwrap() * price.parse::<Decimal>().unwrap());
                let tax = cents(amount * rate);
                (what, qty, price, amount, tax)
            })
            .collect();
        let subtotal: Decimal = lines.iter().map(|l| l.3).sum();
        let tax: Decimal = lines.iter().map(|l| l.4).sum();
        let day = i % 28 + 1;
        for (j, (what, qty, price, amount, line_tax)) in lines.iter().enumerate() {
            if j == 0 {
                write!(
                    jobs,
                    "TP-JOB-{i:06},J{i:06},TP-CUST-{customer:06},closed,true,true,2026-11-{day:02},2026-12-{day:02},NZD,exclusive,{subtotal},{tax},{},",
                    subtotal + tax
                )
                .unwrap();
            } else {
                write!(jobs, "TP-JOB-{i:06},,,,,,,,,,,,,").unwrap();
            }
            writeln!(jobs, "\"{what}\",{qty},{price},{amount},OUTPUT2,{line_tax}").unwrap();
        }
    }
    (customers, jobs)
}

/// Writes the book of [`book_text`] into `dir`.
fn generate_book(dir: &Path, n: usize) -> (PathBuf, PathBuf) {
    let (customers, jobs) = book_text(n);
    let c = dir.join("customers.csv");
    let j = dir.join("jobs.csv");
    std::fs::write(&c, customers).unwrap();
    std::fs::write(&j, jobs).unwrap();
    (c, j)
}

/// One finished step: its name, wall time, peak RSS (KiB) and standard output.
struct Step {
    name: String,
    took: Duration,
    max_rss_kib: i64,
    stdout: String,
}

struct Desk {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    key: String,
    steps: Vec<Step>,
}

impl Desk {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let key = ledgerlink::auth::vault::generate_key().unwrap();
        Self {
            _tmp: tmp,
            data,
            key,
            steps: Vec::new(),
        }
    }

    /// Runs `ledgerlink args`, timed, and waits for it with `wait4` to read its own peak RSS.
    fn run(&mut self, name: &str, args: &[&str]) -> &Step {
        let out_path = self
            .data
            .with_file_name(format!("step-{}.out", self.steps.len()));
        let err_path = out_path.with_extension("err");
        let started = Instant::now();
        // Waited for with `wait4` below (for its rusage), not through `child`.
        #[allow(clippy::zombie_processes)]
        let child = Command::new(env!("CARGO_BIN_EXE_ledgerlink"))
            .args(args)
            .env("LEDGERLINK_DATA_DIR", &self.data)
            .env("LEDGERLINK_VAULT", "file")
            .env("LEDGERLINK_VAULT_KEY", &self.key)
            .env_remove("LEDGERLINK_LOG")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out_path).unwrap())
            .stderr(std::fs::File::create(&err_path).unwrap())
            .spawn()
            .unwrap();
        let pid = child.id() as libc::pid_t;
        let mut status: libc::c_int = 0;
        // SAFETY: `rusage` is plain old data, fully written by wait4 on success.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: waits for our own child (never waited on through `child`); both pointers
        // are valid for the call.
        let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        let took = started.elapsed();
        assert_eq!(waited, pid, "wait4: {}", std::io::Error::last_os_error());
        let stdout = std::fs::read_to_string(&out_path).unwrap();
        let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
        assert!(
            ok,
            "{args:?} failed ({status}):\n{}\n{}",
            stdout.chars().take(2_000).collect::<String>(),
            std::fs::read_to_string(&err_path).unwrap_or_default()
        );
        let step = Step {
            name: name.to_owned(),
            took,
            max_rss_kib: usage.ru_maxrss,
            stdout,
        };
        println!(
            "  {:<34} {:>9.2} s  {:>7.1} MiB peak RSS",
            step.name,
            step.took.as_secs_f64(),
            step.max_rss_kib as f64 / 1024.0
        );
        self.steps.push(step);
        self.steps.last().unwrap()
    }
}

/// The plan number in `compare --json` output.
fn plan_of(compare_json: &str) -> (String, usize) {
    let v: serde_json::Value = serde_json::from_str(compare_json).unwrap();
    (
        v["plan"].as_i64().unwrap().to_string(),
        v["items"].as_array().map_or(0, Vec::len),
    )
}

/// The last line of a step's output that starts a run report.
fn report(step: &Step) -> String {
    step.stdout
        .lines()
        .rfind(|l| l.starts_with("Run ") || l.starts_with("Imported") || l.contains("added"))
        .unwrap_or_default()
        .to_owned()
}

fn cli(n: usize) {
    println!(
        "cli: {n} customers and {n} job invoices (3 lines each) through the csv connector, binary {}",
        env!("CARGO_BIN_EXE_ledgerlink")
    );
    let mut desk = Desk::new();
    let started = Instant::now();
    let (customers, jobs) = generate_book(desk.data.parent().unwrap(), n);
    println!(
        "  generated the book in {:.2} s ({} + {} bytes)",
        started.elapsed().as_secs_f64(),
        std::fs::metadata(&customers).unwrap().len(),
        std::fs::metadata(&jobs).unwrap().len()
    );
    let (customers, jobs) = (customers.to_str().unwrap(), jobs.to_str().unwrap());
    desk.run("home import", &["home", "import", customers, jobs]);
    desk.run(
        "connections add (csv)",
        &["connections", "add", "books", "--connector", "csv"],
    );
    let first = desk.steps.len();
    let compare = ["compare", "customers", "--connection", "books", "--json"];
    let (plan, items) = plan_of(&desk.run("compare customers", &compare).stdout);
    assert_eq!(items, n, "every customer is due");
    let step = desk.run(
        "sync --all (customers)",
        &["sync", "--plan", &plan, "--all"],
    );
    println!("    {}", report(step));
    let push = ["push-invoices", "--connection", "books", "--kind", "job"];
    let step = desk.run("push-invoices (job)", &push);
    println!("    {}", report(step));
    let second = desk.steps.len();
    let (plan, items) = plan_of(&desk.run("no-op: compare customers", &compare).stdout);
    assert_eq!(items, 0, "nothing is due the second time");
    desk.run("no-op: sync --all", &["sync", "--plan", &plan, "--all"]);
    let step = desk.run("no-op: push-invoices", &push);
    println!("    {}", report(step));

    let total = |from: usize, to: usize| -> (f64, f64) {
        let steps = &desk.steps[from..to];
        (
            steps.iter().map(|s| s.took.as_secs_f64()).sum(),
            steps.iter().map(|s| s.max_rss_kib).max().unwrap_or(0) as f64 / 1024.0,
        )
    };
    let (all, all_rss) = total(0, desk.steps.len());
    let (first_run, _) = total(first, second);
    let (noop, noop_rss) = total(second, desk.steps.len());
    println!(
        "  import + first run: {:.2} s (target < 60 s); first run alone {first_run:.2} s",
        total(0, second).0
    );
    println!("  no-op run: {noop:.2} s (target < 5 s), peak {noop_rss:.1} MiB");
    println!(
        "  everything: {all:.2} s; largest peak RSS of a step {all_rss:.1} MiB (target < 300 MB)"
    );
    let csv = ledgerlink::store::DataDir::new(&desk.data).connection_files("books");
    for f in ["customers.csv", "job-invoices.csv"] {
        let len = std::fs::metadata(csv.join(f)).map_or(0, |m| m.len());
        println!("  the connection's {f}: {len} bytes");
    }
    // `LEDGERLINK_BENCH_KEEP=1` keeps the book and data folder (for profiling a step again).
    if std::env::var_os("LEDGERLINK_BENCH_KEEP").is_some() {
        std::fs::write(desk.data.with_file_name("key"), &desk.key).unwrap();
        let kept = desk._tmp.keep();
        println!("  kept {} (LEDGERLINK_VAULT_KEY is in key)", kept.display());
    }
}

/// The process's peak RSS since the last [`reset_peak`], in KiB (`VmHWM` of
/// /proc/self/status).
fn self_peak_kib() -> i64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// CPU seconds (user + system) this process has used: what the in-process part costs
/// whatever else the machine runs (its wall time grows with the load; this does not).
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given, which is zeroed and ours.
    #[allow(unsafe_code)]
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, &mut usage), 0);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// Start measuring the peak RSS again from the current RSS (Linux: `5` to clear_refs).
fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
}

/// The book of [`book_text`], read by the home book's own import and turned into what a
/// compare of job invoices sees (canonical invoices with their customers).
fn home_invoices(n: usize) -> Vec<InvoiceJob> {
    use ledgerlink::home::canonical::{to_canonical_customer, to_canonical_job_invoice};
    use ledgerlink::home::import::{Format, KnownIds, SourceText, parse};
    let (customers, jobs) = book_text(n);
    let sources =
        [("customers.csv", &customers), ("jobs.csv", &jobs)].map(|(name, text)| SourceText {
            name: name.into(),
            bytes: text.as_bytes(),
            format: Format::Csv,
            kind: None,
        });
    let book = parse(&sources, &KnownIds::default())
        .unwrap_or_else(|e| panic!("the generated book imports: {e}"));
    let by_id: std::collections::HashMap<&str, _> =
        book.customers.iter().map(|c| (c.id.as_str(), c)).collect();
    book.jobs
        .iter()
        .map(|job| {
            let customer = by_id[job.customer_id.as_str()];
            InvoiceJob {
                invoice: to_canonical_job_invoice(job, customer),
                customer: to_canonical_customer(customer),
                overwrite: None,
            }
        })
        .collect()
}

/// The job-invoice compare alone, in process: N home invoices, every one sent before (the
/// id map links it, with the fingerprints of the last sync and of its read-back), against N
/// target documents read through the host's paging loop from an in-memory page source (no
/// plugin). 1 in 50 changed in Tracker Pro since (Update), 1 in 100 edited in the target
/// (Conflict), 1 in 20 paid there (Locked), the rest Unchanged.
// `classify` takes the host's own `TransferError` from its `last_sent` lookup.
#[allow(clippy::result_large_err)]
fn compare_alone(n: usize) {
    println!("compare: {n} home job invoices against {n} target invoices, in process");
    let mut ready = Vec::with_capacity(n);
    let mut map = std::collections::HashMap::with_capacity(n);
    let mut target: Vec<Invoice> = Vec::with_capacity(n);
    let mut last_sent = std::collections::HashMap::new();
    for (i, job) in home_invoices(n).into_iter().enumerate() {
        let mut sent = job.invoice.clone();
        let remote_id = format!("J-{:06}", i + 1);
        sent.remote_id = Some(remote_id.clone());
        sent.customer.remote_id = Some(format!("C-{:06}", i + 1));
        let fp = ledgerlink::model::fingerprint::invoice(&job.invoice);
        let mut there = sent.clone();
        there.version = Some("1".into());
        there.updated_at = Some("2026-11-30T10:00:00Z".into());
        let mut home = job;
        let changed = i % 50 == 7;
        if changed {
            home.invoice.memo = Some("Re-issued with a note".into());
        }
        if i % 100 == 3 {
            there.due_date = Some("2027-01-31".into());
        }
        if i % 20 == 11 {
            there.status = InvoiceStatus::Paid;
            there.amount_paid = Some(there.total.clone());
            there.amount_due = Some("0.00".into());
        }
        map.insert(
            home.invoice.key.clone(),
            MapEntry {
                home_key: home.invoice.key.clone(),
                remote_id: remote_id.clone(),
                home_fingerprint: fp,
                remote_fingerprint: format!(
                    "{READ_BACK_MARK}{}",
                    ledgerlink::model::fingerprint::invoice(&sent)
                ),
                synced_at: 1_700_000_000,
            },
        );
        if changed || i % 100 == 3 {
            last_sent.insert(home.invoice.key.clone(), sent);
        }
        ready.push((home, Some(changed)));
        target.push(there);
    }
    let linked = ready.iter().map(|(j, _)| j.customer.key.clone()).collect();
    // The target's pages, as a connector would hand them over (5,000 a page, the default
    // bound), decoded and waiting in memory: each is handed over once, as a plugin's reply
    // is (decoding a plugin's reply is the boundary bench's part, not this one's).
    let mut pages: Vec<Vec<Invoice>> = Vec::new();
    while !target.is_empty() {
        let rest = target.split_off(target.len().min(5_000));
        pages.push(std::mem::replace(&mut target, rest));
    }
    let page_count = pages.len();
    let mut pages = pages.into_iter();
    reset_peak();
    let base_kib = self_peak_kib();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();

    let started = Instant::now();
    let cpu_started = cpu_seconds();
    // What `invoice_plans::compare` does: each page reduced as it arrives.
    let read_back = TargetIndex::read_backs(&map);
    let mut there = TargetIndex::default();
    let mut at = 0usize;
    let refused = runtime
        .block_on(pull_each(
            "memory",
            PullLimits::default(),
            |_cursor| {
                let page = pages.next().unwrap_or_default();
                at += 1;
                let next = (at < page_count).then(|| at.to_string());
                async move { Ok(Ok((page, next))) }
            },
            |page| there.add(&read_back, page),
        ))
        .unwrap();
    drop(read_back);
    let read = started.elapsed();
    assert!(refused.is_empty());
    assert_eq!(there.len(), n);
    let known = Known {
        target: "CSV files",
        map,
        linked,
        there,
        can_pull: true,
        can_delete: true,
    };
    let rows = classify(ready, &known, |key| Ok(last_sent.get(key).cloned())).unwrap();
    let classified = started.elapsed() - read;
    let count = |a: InvoiceAction| rows.iter().filter(|r| r.action == a).count();
    let counts = [
        count(InvoiceAction::Add),
        count(InvoiceAction::Update),
        count(InvoiceAction::Unchanged),
        count(InvoiceAction::Conflict),
        count(InvoiceAction::Locked),
    ];
    let plan = InvoicePlan {
        version: ledgerlink::transfer::invoice_plans::PLAN_VERSION,
        connection: "books".into(),
        entity: "job-invoices".into(),
        numbering: ledgerlink::transfer::numbering::Numbering::Keep,
        rows,
        refused,
    };
    let before_json = started.elapsed();
    let body = serde_json::to_string(&plan).unwrap();
    let json = started.elapsed() - before_json;
    let took = started.elapsed();
    let cpu = cpu_seconds() - cpu_started;
    let peak = self_peak_kib();
    println!(
        "  read {n} target invoices through the paging loop (inspected, each page reduced as it arrives): {:.3} s",
        read.as_secs_f64()
    );
    println!(
        "  classified: {:.3} s — {} add, {} update, {} unchanged, {} conflict, {} locked",
        classified.as_secs_f64(),
        counts[0],
        counts[1],
        counts[2],
        counts[3],
        counts[4]
    );
    println!(
        "  plan as JSON ({} bytes): {:.3} s",
        body.len(),
        json.as_secs_f64()
    );
    println!(
        "  compare alone: {:.3} s (target < 1 s), {cpu:.3} s of CPU; peak RSS {:.1} MiB, of which {:.1} MiB the prepared inputs held before it started (target < 300 MB)",
        took.as_secs_f64(),
        peak as f64 / 1024.0,
        base_kib as f64 / 1024.0
    );
}

fn main() {
    ledgerlink::allocator::tune();
    let only = std::env::var("LEDGERLINK_BENCH_ONLY").ok();
    let run = |part: &str| only.as_deref().is_none_or(|o| o == part);
    let n = scale();
    if run("cli") {
        cli(n);
    }
    if run("compare") {
        compare_alone(n);
    }
}

//! `ledgerlink conformance <plugin> --connection <name>`: run the conformance suite and print
//! its checks; exit 1 when any applicable check fails.

use anyhow::bail;
use ledgerlink::conformance::{self, Options, Overrides, Report};

use super::{Env, plugins, table, transfers};

/// `ledgerlink conformance <plugin.wasm | name> --connection <name>`
#[derive(Debug, clap::Args)]
pub struct ConformanceArgs {
    /// The connector under test: a .wasm component, or a built-in or installed plugin's name.
    /// It must be the component the connection runs.
    pub plugin: String,
    /// The connection to run against (a vendor's test company, never a live one: the suite
    /// creates, changes and deletes records).
    #[arg(long)]
    pub connection: String,
    /// Currency of the documents (default: connection setting conformance-currency, else
    /// NZD; USD for quickbooks).
    #[arg(long)]
    pub currency: Option<String>,
    /// Tax code of every line (default: setting conformance-tax-code, else GST; OUTPUT2 for
    /// xero, TAX for quickbooks).
    #[arg(long)]
    pub tax_code: Option<String>,
    /// Rate of that tax code in percent (default: setting conformance-tax-rate, else 15; 8.5
    /// for quickbooks).
    #[arg(long)]
    pub tax_rate: Option<String>,
    /// Revenue account code of every line (default: setting conformance-account-code, else
    /// 200; none for quickbooks).
    #[arg(long)]
    pub account_code: Option<String>,
    /// Most customers the paging check may create to get past one page.
    #[arg(long, value_name = "N", default_value_t = conformance::options::DEFAULT_PAGING_LIMIT)]
    pub paging_limit: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(env: &Env, args: ConformanceArgs) -> anyhow::Result<()> {
    let subject = plugins::load(env, &args.plugin).await?;
    let transfers = transfers::transfers(env)?;
    let link = transfers.link(&args.connection).await?;
    conformance::ensure_same_component(&subject, &link)?;
    let options = Options::resolve(
        &link.connection.connector,
        &link.connection.settings,
        &Overrides {
            currency: args.currency,
            tax_code: args.tax_code,
            tax_rate: args.tax_rate,
            account_code: args.account_code,
            paging_limit: Some(args.paging_limit),
        },
    )?;
    let report = conformance::run(&link, &options).await;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&report);
    }
    let failed: Vec<&str> = report.failures().map(|c| c.name.as_str()).collect();
    if !failed.is_empty() {
        bail!(
            "{} of {} checks failed: {}",
            failed.len(),
            report.checks.len(),
            failed.join(", ")
        );
    }
    Ok(())
}

fn print_table(report: &Report) {
    let mut t = table::new(&["CHECK", "RESULT", "REASON"]);
    for c in &report.checks {
        t.add_row(vec![
            c.name.clone(),
            c.verdict.label().to_owned(),
            table::printable(c.verdict.reason().unwrap_or("")),
        ]);
    }
    println!(
        "Conformance of {} {} on connection {} (records tagged {}):",
        report.connector, report.version, report.connection, report.tag
    );
    println!("{t}");
    let (passed, failed, not_applicable) = report.counts();
    println!("{passed} passed, {failed} failed, {not_applicable} not applicable.");
    if !report.leftovers.is_empty() {
        println!("Left in the target (remove them by hand):");
        for l in &report.leftovers {
            println!("  {}", table::printable(l));
        }
    }
}

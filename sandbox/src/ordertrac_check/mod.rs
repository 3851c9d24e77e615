//! An independent checker for the OrderTrac import package ledgerlink writes
//! (`ledgerlink sandbox ordertrac-check DIR`), built from `docs/ordertrac-package.md` alone: it
//! shares no code with the plugin. It reads the CSV files by their column names, verifies
//! the manifest's checksums and counts, recomputes every line's tax itself (rate × amount,
//! rounded on the line to the cent, half away from zero), checks each order's subtotal,
//! tax, total and balance due against the manifest, the adjustment line's amount, unique
//! references and resolvable customers — and can write the CSV exports an OrderTrac account
//! holding the package would then show (`export`), so reconciliation is tested against
//! files the plugin did not write.

pub mod export;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The adjustment line's description, as OrderTrac's migration tool names it.
pub const ADJUSTMENT: &str = "Migration total difference adjustment";
const MANIFEST: &str = "ordertrac-manifest.json";
const CUSTOMERS: &str = "ordertrac-customers.csv";
const ORDERS: &str = "ordertrac-sales-orders.csv";
const QUOTES: &str = "ordertrac-quotes.csv";

/// Why the folder could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The path given is not a folder.
    #[error("{0} is not a folder")]
    NotAFolder(PathBuf),
    /// A file could not be read or written.
    #[error("could not read or write {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The manifest is missing or not JSON.
    #[error("{0}")]
    Manifest(String),
}

/// One thing OrderTrac's migration would refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// File and row (`ordertrac-sales-orders.csv row 7`), or the file.
    pub at: String,
    /// What is wrong.
    pub message: String,
}

/// One order or quote as the package's rows give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// `Sales Order` or `Quote`.
    pub doc_type: String,
    /// Tracker Pro's number, the order's reference.
    pub reference: String,
    /// The package's customer ID.
    pub customer_id: String,
    /// The customer's name as the row gives it.
    pub customer_name: String,
    /// Order date.
    pub date: String,
    /// The lines, adjustment line included.
    pub lines: Vec<Line>,
}

/// One line of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Item code.
    pub item: String,
    /// What was sold.
    pub description: String,
    /// Quantity as written.
    pub quantity: String,
    /// Unit price as written.
    pub price: String,
    /// Line amount before tax.
    pub amount: Decimal,
    /// Tax rate, percent.
    pub rate: Decimal,
    /// Line tax.
    pub tax: Decimal,
}

/// What the checker found.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    /// `preview` or `production`, from the manifest.
    pub environment: String,
    /// Customer ID → (name, email, phone).
    pub customers: BTreeMap<String, (String, Option<String>, Option<String>)>,
    /// Every document, in file order.
    pub documents: Vec<Document>,
    /// Reference → adjustment amount, as recomputed here.
    pub adjustments: BTreeMap<String, Decimal>,
    /// Refusals.
    pub refusals: Vec<Refusal>,
}

impl CheckReport {
    /// Whether everything would be accepted.
    pub fn accepted(&self) -> bool {
        self.refusals.is_empty()
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = |t: &str| self.documents.iter().filter(|d| d.doc_type == t).count();
        writeln!(f, "Environment: {}", self.environment)?;
        writeln!(f, "Customers: {}", self.customers.len())?;
        writeln!(
            f,
            "Sales orders: {} ({} line(s))",
            count("Sales Order"),
            self.documents
                .iter()
                .filter(|d| d.doc_type == "Sales Order")
                .map(|d| d.lines.len())
                .sum::<usize>()
        )?;
        writeln!(f, "Quotes: {}", count("Quote"))?;
        writeln!(f, "Adjustment lines: {}", self.adjustments.len())?;
        for (r, a) in &self.adjustments {
            writeln!(f, "  {r}: {a}")?;
        }
        for r in &self.refusals {
            writeln!(f, "REFUSE {}: {}", r.at, r.message)?;
        }
        if self.accepted() {
            write!(f, "OrderTrac's migration would accept all of it")
        } else {
            write!(f, "{} refusal(s)", self.refusals.len())
        }
    }
}

fn cents(d: Decimal) -> Decimal {
    let mut r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    r
}

fn dec(s: &str) -> Option<Decimal> {
    Decimal::from_str(s.trim()).ok()
}

/// A CSV file's rows: each row's number in the file, and its column → value.
type Rows = Vec<(usize, BTreeMap<String, String>)>;

/// A CSV file as rows of column → value, with each row's number in the file.
fn read_csv(path: &Path) -> Result<Rows, CheckError> {
    let bytes = std::fs::read(path).map_err(|source| CheckError::Io {
        path: path.to_owned(),
        source,
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let mut r = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header: Vec<String> = r
        .headers()
        .map(|h| h.iter().map(str::to_owned).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for (n, rec) in r.records().enumerate() {
        let Ok(rec) = rec else { continue };
        out.push((
            n + 2,
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_owned))
                .collect(),
        ));
    }
    Ok(out)
}

fn sha256(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    Some(
        Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    )
}

/// Check the package in `dir`.
pub fn check_dir(dir: &Path) -> Result<CheckReport, CheckError> {
    if !dir.is_dir() {
        return Err(CheckError::NotAFolder(dir.to_owned()));
    }
    let manifest_path = dir.join(MANIFEST);
    let manifest: Value = std::fs::read(&manifest_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| {
            CheckError::Manifest(format!(
                "{} is missing or not JSON: this is not a complete OrderTrac package",
                manifest_path.display()
            ))
        })?;
    let mut report = CheckReport {
        environment: manifest["environment"].as_str().unwrap_or("").to_owned(),
        ..CheckReport::default()
    };
    let mut refusals: Vec<Refusal> = Vec::new();
    let mut no = |at: String, message: String| refusals.push(Refusal { at, message });

    // Files: present, checksums and row counts as the manifest states.
    for f in manifest["files"].as_array().into_iter().flatten() {
        let name = f["name"].as_str().unwrap_or("");
        let path = dir.join(name);
        match sha256(&path) {
            None => no(name.to_owned(), "listed in the manifest but missing".into()),
            Some(s) if Some(s.as_str()) != f["sha256"].as_str() => no(
                name.to_owned(),
                "its SHA-256 is not the manifest's: the package is partial or was edited; generate it again".into(),
            ),
            Some(_) => {}
        }
    }

    // Customers.
    let customers = read_csv(&dir.join(CUSTOMERS))?;
    for (row, c) in &customers {
        let id = c.get("Customer ID").cloned().unwrap_or_default();
        let name = c.get("Name").cloned().unwrap_or_default();
        if name.trim().is_empty() {
            no(
                format!("{CUSTOMERS} row {row}"),
                format!("customer {id} has no name"),
            );
        }
        if report.customers.contains_key(&id) {
            no(
                format!("{CUSTOMERS} row {row}"),
                format!("customer ID {id} is used twice"),
            );
        }
        let opt = |k: &str| c.get(k).filter(|v| !v.is_empty()).cloned();
        report
            .customers
            .insert(id, (name, opt("Email"), opt("Phone")));
    }

    // Documents, from both files.
    let mut per_manifest: BTreeMap<String, &Value> = BTreeMap::new();
    for d in manifest["documents"].as_array().into_iter().flatten() {
        per_manifest.insert(d["reference"].as_str().unwrap_or("").to_owned(), d);
    }
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for file in [ORDERS, QUOTES] {
        let rows = read_csv(&dir.join(file))?;
        let mut i = 0;
        while i < rows.len() {
            let (first_row, first) = &rows[i];
            let reference = first.get("Reference").cloned().unwrap_or_default();
            let at = format!("{file} row {first_row}");
            let mut group = Vec::new();
            while i < rows.len() && rows[i].1.get("Reference") == Some(&reference) {
                group.push(&rows[i]);
                i += 1;
            }
            if !seen.insert(reference.clone()) {
                no(
                    at.clone(),
                    format!("reference {reference} is used by another document"),
                );
            }
            let get = |k: &str| first.get(k).cloned().unwrap_or_default();
            let customer_id = get("Customer ID");
            match report.customers.get(&customer_id) {
                None => no(
                    at.clone(),
                    format!("{reference}: customer {customer_id} is not in {CUSTOMERS}"),
                ),
                Some((name, _, _)) if *name != get("Customer Name") => no(
                    at.clone(),
                    format!(
                        "{reference}: customer {customer_id} is {name:?} in {CUSTOMERS}, not {:?}",
                        get("Customer Name")
                    ),
                ),
                Some(_) => {}
            }
            let mut doc = Document {
                doc_type: get("Document Type"),
                reference: reference.clone(),
                customer_id,
                customer_name: get("Customer Name"),
                date: get("Order Date"),
                lines: Vec::new(),
            };
            let inclusive = per_manifest
                .get(&reference)
                .is_some_and(|m| m["tax_mode"] == "inclusive");
            let (mut net, mut tax) = (Decimal::ZERO, Decimal::ZERO);
            let mut adjustment = None;
            for (row, r) in &group {
                let at = format!("{file} row {row}");
                let val = |k: &str| r.get(k).cloned().unwrap_or_default();
                let (Some(amount), Some(rate), Some(line_tax)) = (
                    dec(&val("Line Amount")),
                    dec(&val("Tax Rate")),
                    dec(&val("Line Tax")),
                ) else {
                    no(
                        at,
                        format!("{reference}: Line Amount, Tax Rate or Line Tax is not a number"),
                    );
                    continue;
                };
                if val("Description") == ADJUSTMENT {
                    if adjustment.is_some() {
                        no(at.clone(), format!("{reference}: a second adjustment line"));
                    }
                    if !line_tax.is_zero() || val("Taxable") != "no" {
                        no(
                            at.clone(),
                            format!("{reference}: the adjustment line must be untaxed"),
                        );
                    }
                    adjustment = Some((at, amount));
                } else {
                    // Tax on the net amount; for a tax-inclusive document, the tax inside the
                    // gross amount (net + tax), each rounded on the line.
                    let expected = if inclusive {
                        cents((amount + line_tax) * rate / (Decimal::from(100) + rate))
                    } else {
                        cents(amount * rate / Decimal::from(100))
                    };
                    if line_tax != expected {
                        no(
                            at,
                            format!(
                                "{reference}: line tax {line_tax} is not {rate}% of {amount} rounded on the line ({expected})"
                            ),
                        );
                    }
                }
                net += amount;
                tax += line_tax;
                doc.lines.push(Line {
                    item: val("Item Code"),
                    description: val("Description"),
                    quantity: val("Quantity"),
                    price: val("Unit Price"),
                    amount,
                    rate,
                    tax: line_tax,
                });
            }
            let head = |k: &str| dec(&get(k)).unwrap_or(Decimal::MIN);
            if head("Order Subtotal") != net {
                no(
                    at.clone(),
                    format!(
                        "{reference}: Order Subtotal {} is not the sum of its lines {net}",
                        get("Order Subtotal")
                    ),
                );
            }
            if head("Order Tax") != tax {
                no(
                    at.clone(),
                    format!(
                        "{reference}: Order Tax {} is not the sum of its line taxes {tax}",
                        get("Order Tax")
                    ),
                );
            }
            match per_manifest.get(&reference) {
                None => no(at.clone(), format!("{reference} is not in the manifest")),
                Some(m) => {
                    let mdec = |k: &str| m[k].as_str().and_then(dec);
                    let total = mdec("total").unwrap_or(Decimal::MIN);
                    let paid = mdec("amount_paid").unwrap_or(Decimal::ZERO);
                    if cents(net + tax) != total || head("Order Total") != total {
                        no(
                            at.clone(),
                            format!(
                                "{reference}: lines add up to {}, the manifest's total is {total}",
                                cents(net + tax)
                            ),
                        );
                    }
                    if head("Balance Due") != total - paid
                        || mdec("balance_due") != Some(total - paid)
                    {
                        no(
                            at.clone(),
                            format!(
                                "{reference}: Balance Due {} is not total {total} − paid {paid}",
                                get("Balance Due")
                            ),
                        );
                    }
                    // The adjustment: exactly Tracker Pro's total − the taxed lines; none when zero.
                    let expected =
                        total - (net - adjustment.as_ref().map_or(Decimal::ZERO, |a| a.1) + tax);
                    match &adjustment {
                        Some((at, a)) if *a != expected || a.is_zero() => no(
                            at.clone(),
                            format!(
                                "{reference}: adjustment {a}, but the lines miss the total by {expected}"
                            ),
                        ),
                        None if !expected.is_zero() => no(
                            at.clone(),
                            format!(
                                "{reference}: the lines miss the total by {expected} and there is no adjustment line"
                            ),
                        ),
                        _ => {}
                    }
                    if mdec("adjustment") != adjustment.as_ref().map(|a| a.1) {
                        no(
                            at.clone(),
                            format!("{reference}: the manifest's adjustment is not the line's"),
                        );
                    }
                }
            }
            if let Some((_, a)) = adjustment {
                report.adjustments.insert(reference.clone(), a);
            }
            report.documents.push(doc);
        }
    }
    for (reference, _) in per_manifest {
        if !seen.contains(&reference) {
            no(
                MANIFEST.into(),
                format!("{reference} is in the manifest but in no file"),
            );
        }
    }
    report.refusals = refusals;
    Ok(report)
}

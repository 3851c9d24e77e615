//! What the OrderTrac quickstart prints after the push: where the import package is, what is
//! in it (from its manifest), which orders got an adjustment line, and what to do next.

use std::path::Path;

use serde_json::Value;

/// Print the package in `folder` and the next steps.
pub fn explain(folder: &Path) {
    let manifest: Option<Value> = std::fs::read(folder.join("ordertrac-manifest.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let Some(m) = manifest else {
        println!("   No ordertrac-manifest.json was written: see the runs above for why.");
        return;
    };
    let count = |k: &str| m["counts"][k].as_u64().unwrap_or(0);
    println!(
        "   The OrderTrac import package for the {} environment ({}): {} customers, {} sales orders, {} quotes.",
        m["environment"].as_str().unwrap_or("?"),
        m["environment_host"].as_str().unwrap_or("?"),
        count("customers"),
        count("sales_orders"),
        count("quotes"),
    );
    for f in m["files"].as_array().into_iter().flatten() {
        println!("     {}", f["name"].as_str().unwrap_or("?"));
    }
    println!("     ordertrac-manifest.json");
    let adjustments = m["adjustments"].as_array().cloned().unwrap_or_default();
    println!(
        "   Orders with a \"Migration total difference adjustment\" line (per-line tax rounding differs from Tracker Pro's total): {}",
        adjustments.len()
    );
    for a in &adjustments {
        println!(
            "     {}: {}",
            a[0].as_str().unwrap_or("?"),
            a[1].as_str().unwrap_or("?")
        );
    }
    println!(
        "   Next: check it with `ledgerlink sandbox ordertrac-check {}`, then send those files (not ordertrac-state.json) to OrderTrac's migration service for your preview account. After the import, drop OrderTrac's Sales Orders report (CSV) into exports/ there and run `ledgerlink compare job-invoices --connection ordertrac` to reconcile.",
        folder.display()
    );
}

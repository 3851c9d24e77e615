//! The CSV reports an OrderTrac web account holding the package would let a user download:
//! a sales-order report (one row per line) and a customers report. OrderTrac numbers its
//! own documents; the Tracker Pro number travels in the Reference column.

use std::path::Path;

use super::{CheckError, CheckReport};

/// The sales-order report's columns (docs/ordertrac-package.md, "Reconciliation").
pub const ORDER_COLUMNS: [&str; 13] = [
    "Order #",
    "Type",
    "Status",
    "Reference",
    "Customer",
    "Date",
    "Item",
    "Description",
    "Qty",
    "Price",
    "Tax Rate",
    "Tax",
    "Total",
];
/// The customers report's columns.
pub const CUSTOMER_COLUMNS: [&str; 4] = ["Customer #", "Name", "Email", "Phone"];

/// Orders export.
pub const ORDERS_EXPORT: &str = "ordertrac-sales-orders-report.csv";
/// Customers export.
pub const CUSTOMERS_EXPORT: &str = "ordertrac-customers-report.csv";

/// Write both reports into `out` (created if missing); every document takes `status`
/// (`Open`, …) unless `statuses` names its reference.
pub fn write_exports(
    report: &CheckReport,
    out: &Path,
    statuses: &[(String, String)],
) -> Result<(), CheckError> {
    let io = |source| CheckError::Io {
        path: out.to_owned(),
        source,
    };
    std::fs::create_dir_all(out).map_err(io)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(ORDER_COLUMNS);
    for (n, d) in report.documents.iter().enumerate() {
        let number = if d.doc_type == "Quote" {
            format!("QT-{}", 1001 + n)
        } else {
            format!("SO-{}", 1001 + n)
        };
        let status = statuses
            .iter()
            .find(|(r, _)| *r == d.reference)
            .map_or("Open", |(_, s)| s.as_str());
        for l in &d.lines {
            let _ = w.write_record([
                number.as_str(),
                d.doc_type.as_str(),
                status,
                d.reference.as_str(),
                d.customer_name.as_str(),
                d.date.as_str(),
                l.item.as_str(),
                l.description.as_str(),
                l.quantity.as_str(),
                l.price.as_str(),
                &l.rate.to_string(),
                &l.tax.to_string(),
                &l.amount.to_string(),
            ]);
        }
    }
    let bytes = w.into_inner().unwrap_or_default();
    let path = out.join(ORDERS_EXPORT);
    std::fs::write(&path, bytes).map_err(|source| CheckError::Io { path, source })?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(CUSTOMER_COLUMNS);
    for (n, (_, (name, email, phone))) in report.customers.iter().enumerate() {
        let _ = w.write_record([
            (5001 + n).to_string(),
            name.clone(),
            email.clone().unwrap_or_default(),
            phone.clone().unwrap_or_default(),
        ]);
    }
    let bytes = w.into_inner().unwrap_or_default();
    let path = out.join(CUSTOMERS_EXPORT);
    std::fs::write(&path, bytes).map_err(|source| CheckError::Io { path, source })?;
    Ok(())
}

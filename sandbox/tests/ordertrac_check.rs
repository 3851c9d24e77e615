//! The OrderTrac package checker on packages written here by hand (not by the plugin): a good
//! package is accepted and its reports written; a wrong line tax, a wrong or missing
//! adjustment, an unknown customer, a reference used twice and an edited file are each
//! refused with file, row and what is wrong.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use ledgerlink_sandbox::ordertrac_check::{check_dir, export};
use sha2::{Digest, Sha256};

const HEAD: &str = "Document Type,Reference,Converted From Quote,Customer ID,Customer Name,Order Date,Due Date,Currency,Memo,Line No,Item Code,Description,Quantity,Unit Price,Line Amount,Tax Code,Tax Rate,Line Tax,Taxable,Order Subtotal,Order Tax,Order Total,Amount Paid,Balance Due,Tracker Pro Kind,Tracker Pro Key";

/// J1: three lines of 10.10 at 15 % (per line 1.52 each) taxed once by Tracker Pro at 4.55:
/// total 34.85, so an adjustment of −0.01. J2: one line, no adjustment, 5.00 paid.
fn orders(j1_tax: &str, adjustment: Option<&str>, j2_customer: &str) -> String {
    let mut s = format!("{HEAD}\n");
    let sub = match adjustment {
        Some(a) => (rust_decimal::Decimal::from_str_exact("30.30").unwrap()
            + rust_decimal::Decimal::from_str_exact(a).unwrap())
        .to_string(),
        None => "30.30".into(),
    };
    let tax = (rust_decimal::Decimal::from_str_exact(j1_tax).unwrap()
        + rust_decimal::Decimal::from_str_exact("3.04").unwrap())
    .to_string();
    let tail = format!("{sub},{tax},34.85,0.00,34.85,job,TP-1");
    for (n, t) in [(1, j1_tax), (2, "1.52"), (3, "1.52")] {
        s += &format!(
            "Sales Order,J1,,C-000001,Harbour,2026-11-02,,NZD,,{n},,Work,1,10.10,10.10,GST,15,{t},yes,{tail}\n"
        );
    }
    if let Some(a) = adjustment {
        s += &format!(
            "Sales Order,J1,,C-000001,Harbour,2026-11-02,,NZD,,4,,Migration total difference adjustment,1,{a},{a},,0,0.00,no,{tail}\n"
        );
    }
    s += &format!(
        "Sales Order,J2,,{j2_customer},Kea,2026-11-02,,NZD,,1,,Call-out,1,100.00,100.00,GST,15,15.00,yes,100.00,15.00,115.00,5.00,110.00,job,TP-2\n"
    );
    s
}

fn write_package(dir: &Path, orders: &str, manifest_adjustment: Option<&str>) {
    let customers = "Customer ID,Name,Contact,Email,Phone,Tax Number,Address Line 1,Address Line 2,City,Region,Postal Code,Country,Currency,Active,Tracker Pro Key\nC-000001,Harbour,,h@example.test,,,,,,,,,NZD,yes,TP-C1\nC-000002,Kea,,,,,,,,,,,NZD,yes,TP-C2\n";
    let quotes = format!("{HEAD}\n");
    std::fs::write(dir.join("ordertrac-customers.csv"), customers).unwrap();
    std::fs::write(dir.join("ordertrac-sales-orders.csv"), orders).unwrap();
    std::fs::write(dir.join("ordertrac-quotes.csv"), &quotes).unwrap();
    let sha = |s: &str| {
        Sha256::digest(s.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let manifest = serde_json::json!({
        "format": 1, "environment": "preview",
        "files": [
            {"name": "ordertrac-customers.csv", "rows": 2, "sha256": sha(customers)},
            {"name": "ordertrac-sales-orders.csv", "rows": 5, "sha256": sha(orders)},
            {"name": "ordertrac-quotes.csv", "rows": 0, "sha256": sha(&quotes)},
        ],
        "documents": [
            {"reference": "J1", "total": "34.85", "amount_paid": "0.00", "balance_due": "34.85", "adjustment": manifest_adjustment},
            {"reference": "J2", "total": "115.00", "amount_paid": "5.00", "balance_due": "110.00", "adjustment": null},
        ]
    });
    std::fs::write(
        dir.join("ordertrac-manifest.json"),
        serde_json::to_vec(&manifest).unwrap(),
    )
    .unwrap();
}

fn refusals(dir: &Path) -> Vec<String> {
    check_dir(dir)
        .unwrap()
        .refusals
        .iter()
        .map(|r| format!("{}: {}", r.at, r.message))
        .collect()
}

#[test]
fn a_good_package_is_accepted_and_its_reports_written() {
    let dir = tempfile::tempdir().unwrap();
    write_package(
        dir.path(),
        &orders("1.52", Some("-0.01"), "C-000002"),
        Some("-0.01"),
    );
    let report = check_dir(dir.path()).unwrap();
    assert!(report.accepted(), "{report}");
    assert_eq!(
        report.adjustments.get("J1").map(ToString::to_string),
        Some("-0.01".into())
    );
    export::write_exports(
        &report,
        &dir.path().join("exports"),
        &[("J2".into(), "Completed".into())],
    )
    .unwrap();
    let text =
        std::fs::read_to_string(dir.path().join("exports").join(export::ORDERS_EXPORT)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "Order #,Type,Status,Reference,Customer,Date,Item,Description,Qty,Price,Tax Rate,Tax,Total"
    );
    assert_eq!(
        lines[1],
        "SO-1001,Sales Order,Open,J1,Harbour,2026-11-02,,Work,1,10.10,15,1.52,10.10"
    );
    assert_eq!(
        lines[4],
        "SO-1001,Sales Order,Open,J1,Harbour,2026-11-02,,Migration total difference adjustment,1,-0.01,0,0.00,-0.01"
    );
    assert_eq!(
        lines[5],
        "SO-1002,Sales Order,Completed,J2,Kea,2026-11-02,,Call-out,1,100.00,15,15.00,100.00"
    );
}

#[test]
fn wrong_tax_wrong_or_missing_adjustments_unknown_customers_and_edits_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // Line tax taxed on the document (1.51), not on the line.
    write_package(
        dir.path(),
        &orders("1.51", Some("0.00"), "C-000002"),
        Some("0.00"),
    );
    let r = refusals(dir.path());
    assert!(
        r.contains(&"ordertrac-sales-orders.csv row 2: J1: line tax 1.51 is not 15% of 10.10 rounded on the line (1.52)".to_owned()),
        "{r:#?}"
    );
    // No adjustment although the lines miss the total by a cent.
    write_package(dir.path(), &orders("1.52", None, "C-000002"), None);
    let r = refusals(dir.path());
    assert!(
        r.contains(&"ordertrac-sales-orders.csv row 2: J1: the lines miss the total by -0.01 and there is no adjustment line".to_owned()),
        "{r:#?}"
    );
    // A customer that is in no customers file.
    write_package(
        dir.path(),
        &orders("1.52", Some("-0.01"), "C-000009"),
        Some("-0.01"),
    );
    let r = refusals(dir.path());
    assert!(
        r.iter()
            .any(|m| m.ends_with("J2: customer C-000009 is not in ordertrac-customers.csv")),
        "{r:#?}"
    );
    // An edited file no longer matches the manifest's checksum.
    write_package(
        dir.path(),
        &orders("1.52", Some("-0.01"), "C-000002"),
        Some("-0.01"),
    );
    let path = dir.path().join("ordertrac-customers.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("Harbour", "Harbor")).unwrap();
    let r = refusals(dir.path());
    assert!(
        r.iter()
            .any(|m| m.starts_with("ordertrac-customers.csv: its SHA-256 is not the manifest's")),
        "{r:#?}"
    );
}

//! Field-level differences between two canonical customers, for Update and Conflict rows.

use serde::{Deserialize, Serialize};

use crate::model::{Address, Customer};

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDiff {
    /// Canonical field name ("email", "billing-address.city").
    pub field: String,
    /// Value on the home (Tracker Pro) side.
    pub home: Option<String>,
    /// Value in the target.
    pub remote: Option<String>,
}

/// Every content field of two customers that differs, in a stable order.
pub fn customers(home: &Customer, remote: &Customer) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    let mut field = |name: &str, h: Option<&str>, r: Option<&str>| {
        if h != r {
            out.push(FieldDiff {
                field: name.to_owned(),
                home: h.map(str::to_owned),
                remote: r.map(str::to_owned),
            });
        }
    };
    field("name", Some(&home.name), Some(&remote.name));
    field(
        "account-number",
        home.account_number.as_deref(),
        remote.account_number.as_deref(),
    );
    field(
        "contact-name",
        home.contact_name.as_deref(),
        remote.contact_name.as_deref(),
    );
    field("email", home.email.as_deref(), remote.email.as_deref());
    field("phone", home.phone.as_deref(), remote.phone.as_deref());
    field(
        "tax-number",
        home.tax_number.as_deref(),
        remote.tax_number.as_deref(),
    );
    for (prefix, h, r) in [
        (
            "billing-address",
            &home.billing_address,
            &remote.billing_address,
        ),
        (
            "shipping-address",
            &home.shipping_address,
            &remote.shipping_address,
        ),
    ] {
        let part = |a: &Option<Address>, f: fn(&Address) -> &Option<String>| {
            a.as_ref().and_then(|a| f(a).clone())
        };
        for (name, get) in [
            (
                "line1",
                (|a: &Address| &a.line1) as fn(&Address) -> &Option<String>,
            ),
            ("line2", |a: &Address| &a.line2),
            ("city", |a: &Address| &a.city),
            ("region", |a: &Address| &a.region),
            ("postal-code", |a: &Address| &a.postal_code),
            ("country", |a: &Address| &a.country),
        ] {
            field(
                &format!("{prefix}.{name}"),
                part(h, get).as_deref(),
                part(r, get).as_deref(),
            );
        }
    }
    field(
        "currency",
        home.currency.as_deref(),
        remote.currency.as_deref(),
    );
    let active = |b: bool| if b { "true" } else { "false" };
    field(
        "active",
        Some(active(home.active)),
        Some(active(remote.active)),
    );
    out
}

/// Every content field of two invoices that differs, in a stable order: header fields,
/// each line's fields (lines added or removed named as such), totals. `home` is the
/// Tracker Pro side; `remote` the version it is compared with (what was sent last, or what
/// the target holds).
pub fn invoices(home: &crate::model::Invoice, remote: &crate::model::Invoice) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    let mut field = |name: String, h: Option<&str>, r: Option<&str>| {
        if h != r {
            out.push(FieldDiff {
                field: name,
                home: h.map(str::to_owned),
                remote: r.map(str::to_owned),
            });
        }
    };
    let money = |s: &str| {
        s.parse::<rust_decimal::Decimal>()
            .map(|d| d.normalize().to_string())
            .unwrap_or_else(|_| s.to_owned())
    };
    field("number".into(), Some(&home.number), Some(&remote.number));
    field(
        "customer".into(),
        Some(&home.customer.name),
        Some(&remote.customer.name),
    );
    field(
        "issue-date".into(),
        Some(&home.issue_date),
        Some(&remote.issue_date),
    );
    field(
        "due-date".into(),
        home.due_date.as_deref(),
        remote.due_date.as_deref(),
    );
    field(
        "currency".into(),
        Some(&home.currency),
        Some(&remote.currency),
    );
    for i in 0..home.lines.len().max(remote.lines.len()) {
        match (home.lines.get(i), remote.lines.get(i)) {
            (Some(h), Some(r)) => {
                let p = format!("lines[{i}]");
                field(
                    format!("{p}.description"),
                    Some(&h.description),
                    Some(&r.description),
                );
                for (name, a, b) in [
                    ("quantity", Some(&h.quantity), Some(&r.quantity)),
                    ("unit-price", Some(&h.unit_price), Some(&r.unit_price)),
                    ("amount", Some(&h.amount), Some(&r.amount)),
                    ("tax-amount", h.tax_amount.as_ref(), r.tax_amount.as_ref()),
                    ("tax-rate", h.tax_rate.as_ref(), r.tax_rate.as_ref()),
                    (
                        "discount-percent",
                        h.discount_percent.as_ref(),
                        r.discount_percent.as_ref(),
                    ),
                ] {
                    let (a, b) = (a.map(|s| money(s)), b.map(|s| money(s)));
                    field(format!("{p}.{name}"), a.as_deref(), b.as_deref());
                }
                field(
                    format!("{p}.tax-code"),
                    h.tax_code.as_deref(),
                    r.tax_code.as_deref(),
                );
            }
            (Some(h), None) => field(
                format!("lines[{i}]"),
                Some(&format!("added: {} {}", h.description, h.amount)),
                None,
            ),
            (None, Some(r)) => field(
                format!("lines[{i}]"),
                None,
                Some(&format!("removed: {} {}", r.description, r.amount)),
            ),
            (None, None) => {}
        }
    }
    for (name, a, b) in [
        ("subtotal", &home.subtotal, &remote.subtotal),
        ("tax-total", &home.tax_total, &remote.tax_total),
        ("total", &home.total, &remote.total),
    ] {
        field(name.into(), Some(&money(a)), Some(&money(b)));
    }
    field("memo".into(), home.memo.as_deref(), remote.memo.as_deref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fingerprint::tests::customer_named;

    #[test]
    fn lists_exactly_the_fields_that_differ() {
        let home = customer_named("Acme Ltd");
        let mut remote = customer_named("ACME Limited");
        remote.email = None;
        remote.billing_address = Some(Address {
            line1: None,
            line2: None,
            city: Some("Nelson".into()),
            region: None,
            postal_code: None,
            country: None,
        });
        assert_eq!(
            customers(&home, &remote),
            vec![
                FieldDiff {
                    field: "name".into(),
                    home: Some("Acme Ltd".into()),
                    remote: Some("ACME Limited".into())
                },
                FieldDiff {
                    field: "email".into(),
                    home: Some("a@b.example".into()),
                    remote: None
                },
                FieldDiff {
                    field: "billing-address.city".into(),
                    home: None,
                    remote: Some("Nelson".into())
                },
            ]
        );
        assert!(customers(&home, &home).is_empty());
    }
}

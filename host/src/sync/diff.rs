//! Field-level differences between two canonical customers, for Update and Conflict rows.

use serde::{Deserialize, Serialize};

use crate::runtime::bindings::{Address, Customer};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::fingerprint::tests::customer_named;

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

//! `find-customers`: Xero's `where` filter for a query, and the contract's matching rules.
//!
//! The filter narrows what Xero sends; the rules (every given field matches; name and e-mail
//! without regard to case; tax numbers without regard to spaces) are then applied here, so
//! the answer follows the contract whatever Xero's own comparison does.

use ledgerlink_sdk::error;
use ledgerlink_sdk::types::{ConnectorError, Customer, CustomerQuery};

/// A string literal of Xero's `where` language: double-quoted, with `"` escaped as `\"`.
/// (Backslashes are left alone: Xero's parser reads `\"` as a quote and nothing else as an
/// escape.)
pub fn literal(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\\\""))
}

fn compact(tax_number: &str) -> String {
    tax_number.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The `where` filters to ask Xero for `query`, e.g. `Name=="Acme" AND
/// EmailAddress=="a@acme.example"`; the answers of all of them together hold every match.
///
/// A tax number written with spaces is asked for as written and without spaces (two
/// filters: Xero's `where` has no `OR` that every Xero-compatible server accepts). A contact
/// whose tax number is stored with spaces elsewhere is found only through its name or e-mail.
pub fn where_clauses(query: &CustomerQuery) -> Result<Vec<String>, ConnectorError> {
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let mut parts = Vec::new();
    if let Some(name) = given(&query.name) {
        parts.push(format!("Name=={}", literal(&name)));
    }
    if let Some(email) = given(&query.email) {
        parts.push(format!("EmailAddress=={}", literal(&email)));
    }
    let tax = given(&query.tax_number);
    if parts.is_empty() && tax.is_none() {
        return Err(error::validation(
            "find-customers needs a name, an e-mail address or a tax number to look for",
        ));
    }
    let base = parts.join(" AND ");
    let with = |clause: String| {
        if base.is_empty() {
            clause
        } else {
            format!("{base} AND {clause}")
        }
    };
    Ok(match tax {
        None => vec![base],
        Some(tax) => {
            let bare = compact(&tax);
            let mut clauses = vec![with(format!("TaxNumber=={}", literal(&tax)))];
            if bare != tax {
                clauses.push(with(format!("TaxNumber=={}", literal(&bare))));
            }
            clauses
        }
    })
}

/// The broader filter to try when the exact ones found nothing for a tax number: tax
/// numbers starting with the query's first character (Xero stores them as typed, so
/// "12345678" may be stored "12 345 678"), with the name and e-mail clauses. The caller
/// filters what comes back with [`matches`]. `None` when the query has no tax number.
pub fn tax_number_fallback(query: &CustomerQuery) -> Option<String> {
    let tax = compact(query.tax_number.as_deref()?.trim());
    let first = tax.chars().next()?;
    let exact = where_clauses(&CustomerQuery {
        tax_number: None,
        ..query.clone()
    })
    .ok();
    let starts = format!("TaxNumber.StartsWith({})", literal(&first.to_string()));
    Some(match exact {
        Some(clauses) => format!("{} AND {starts}", clauses.join(" AND ")),
        None => starts,
    })
}

/// Whether `customer` matches every field `query` gives.
pub fn matches(customer: &Customer, query: &CustomerQuery) -> bool {
    let same_text =
        |want: &Option<String>, have: &Option<String>| match want.as_deref().map(str::trim) {
            None | Some("") => true,
            Some(w) => have
                .as_deref()
                .is_some_and(|h| h.trim().to_lowercase() == w.to_lowercase()),
        };
    let same_tax = match query.tax_number.as_deref().map(str::trim) {
        None | Some("") => true,
        Some(w) => customer
            .tax_number
            .as_deref()
            .is_some_and(|h| compact(h).eq_ignore_ascii_case(&compact(w))),
    };
    same_text(&query.name, &Some(customer.name.clone()))
        && same_text(&query.email, &customer.email)
        && same_tax
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(name: Option<&str>, email: Option<&str>, tax: Option<&str>) -> CustomerQuery {
        CustomerQuery {
            name: name.map(str::to_owned),
            email: email.map(str::to_owned),
            tax_number: tax.map(str::to_owned),
        }
    }

    #[test]
    fn quotes_and_backslashes_are_escaped() {
        assert_eq!(literal(r#"O"Brien"#), r#""O\"Brien""#);
        assert_eq!(
            where_clauses(&query(Some("Bob's \"Best\""), None, None)).expect("clause"),
            [r#"Name=="Bob's \"Best\"""#]
        );
    }

    #[test]
    fn a_tax_number_falls_back_to_its_first_character() {
        assert_eq!(
            tax_number_fallback(&query(None, None, Some(" 12345678"))).as_deref(),
            Some(r#"TaxNumber.StartsWith("1")"#)
        );
        assert_eq!(
            tax_number_fallback(&query(Some("Acme"), None, Some("9 8"))).as_deref(),
            Some(r#"Name=="Acme" AND TaxNumber.StartsWith("9")"#)
        );
        assert_eq!(tax_number_fallback(&query(Some("Acme"), None, None)), None);
    }

    #[test]
    fn every_given_field_is_filtered_on() {
        assert_eq!(
            where_clauses(&query(
                Some("Acme"),
                Some("a@acme.example"),
                Some("12 345 678")
            ))
            .expect("clause"),
            [
                r#"Name=="Acme" AND EmailAddress=="a@acme.example" AND TaxNumber=="12 345 678""#,
                r#"Name=="Acme" AND EmailAddress=="a@acme.example" AND TaxNumber=="12345678""#
            ]
        );
        assert_eq!(
            where_clauses(&query(None, None, Some("12345678"))).expect("clause"),
            [r#"TaxNumber=="12345678""#]
        );
        assert_eq!(
            where_clauses(&query(None, Some(" "), None))
                .expect_err("empty")
                .to_string_for_test(),
            "find-customers needs a name, an e-mail address or a tax number to look for"
        );
    }

    trait T {
        fn to_string_for_test(&self) -> String;
    }
    impl T for ConnectorError {
        fn to_string_for_test(&self) -> String {
            use ledgerlink_sdk::error::ConnectorErrorExt;
            self.message().to_owned()
        }
    }

    fn customer(name: &str, email: Option<&str>, tax: Option<&str>) -> Customer {
        Customer {
            key: String::new(),
            remote_id: Some("id".into()),
            version: None,
            idempotency_key: None,
            name: name.into(),
            account_number: None,
            contact_name: None,
            email: email.map(str::to_owned),
            phone: None,
            tax_number: tax.map(str::to_owned),
            billing_address: None,
            shipping_address: None,
            currency: None,
            active: true,
            updated_at: None,
        }
    }

    #[test]
    fn matching_ignores_case_and_tax_number_spaces() {
        let c = customer(
            "Acme Plumbing",
            Some("Accounts@Acme.example"),
            Some("12 345 678"),
        );
        assert!(matches(&c, &query(Some("ACME plumbing"), None, None)));
        assert!(matches(
            &c,
            &query(None, Some("accounts@acme.EXAMPLE"), None)
        ));
        assert!(matches(&c, &query(None, None, Some("12345678"))));
        assert!(matches(
            &c,
            &query(Some("acme plumbing"), None, Some("123 45678"))
        ));
        assert!(!matches(&c, &query(Some("Acme"), None, None)));
        assert!(!matches(
            &c,
            &query(Some("Acme Plumbing"), Some("other@acme.example"), None)
        ));
        assert!(!matches(
            &customer("Acme Plumbing", None, None),
            &query(None, None, Some("1"))
        ));
    }
}

//! Matching customers against a `find-customers` query.
//!
//! The host calls `find-customers` to link a home-book customer to one already in the
//! target before creating it, so a match must be a real match: every given field must agree,
//! names and e-mail addresses ignoring case, tax numbers ignoring spaces.

use ledgerlink_sdk::error;
use ledgerlink_sdk::types::{ConnectorError, Customer, CustomerQuery};

/// The customers of `table` matching `query`, in file order.
///
/// A query with no field given is refused: it would match every customer, and linking to
/// "the first customer in the file" is never what the host means. A field given as blank
/// text counts as not given.
pub fn matching(
    table: Vec<Customer>,
    query: &CustomerQuery,
) -> Result<Vec<Customer>, ConnectorError> {
    let given = |field: &Option<String>| field.clone().filter(|v| !v.trim().is_empty());
    let name = given(&query.name).map(|v| v.to_lowercase());
    let email = given(&query.email).map(|v| v.to_lowercase());
    let tax_number = given(&query.tax_number).map(|v| without_spaces(&v));
    if name.is_none() && email.is_none() && tax_number.is_none() {
        return Err(error::validation(
            "find-customers needs at least one of name, email or tax-number",
        ));
    }

    let agrees = |wanted: &Option<String>, have: Option<String>| match wanted {
        None => true,
        Some(wanted) => have.as_ref() == Some(wanted),
    };
    Ok(table
        .into_iter()
        .filter(|c| {
            agrees(&name, Some(c.name.to_lowercase()))
                && agrees(&email, c.email.as_deref().map(str::to_lowercase))
                && agrees(&tax_number, c.tax_number.as_deref().map(without_spaces))
        })
        .collect())
}

fn without_spaces(value: &str) -> String {
    value.chars().filter(|c| !c.is_whitespace()).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use ledgerlink_sdk::error::ConnectorErrorExt;

    fn customer(id: &str, name: &str, email: Option<&str>, tax: Option<&str>) -> Customer {
        Customer {
            key: String::new(),
            remote_id: Some(id.into()),
            version: Some("1".into()),
            idempotency_key: None,
            name: name.into(),
            account_number: None,
            contact_name: None,
            email: email.map(Into::into),
            phone: None,
            tax_number: tax.map(Into::into),
            billing_address: None,
            shipping_address: None,
            currency: None,
            active: true,
            updated_at: None,
        }
    }

    fn table() -> Vec<Customer> {
        vec![
            customer(
                "C-000001",
                "Zoë's Café",
                Some("Zoe@Cafe.example"),
                Some("123 456 789"),
            ),
            customer("C-000002", "Acme Ltd", Some("accounts@acme.example"), None),
            customer("C-000003", "ACME LTD", None, Some("123456789")),
        ]
    }

    fn query(name: Option<&str>, email: Option<&str>, tax: Option<&str>) -> CustomerQuery {
        CustomerQuery {
            name: name.map(Into::into),
            email: email.map(Into::into),
            tax_number: tax.map(Into::into),
        }
    }

    fn ids(found: Vec<Customer>) -> Vec<String> {
        found.into_iter().filter_map(|c| c.remote_id).collect()
    }

    #[test]
    fn name_matches_whole_and_ignoring_case() {
        let found = matching(table(), &query(Some("acme ltd"), None, None)).unwrap();
        assert_eq!(ids(found), ["C-000002", "C-000003"]);
        let found = matching(table(), &query(Some("ZOË'S CAFÉ"), None, None)).unwrap();
        assert_eq!(ids(found), ["C-000001"]);
        let found = matching(table(), &query(Some("acme"), None, None)).unwrap();
        assert!(found.is_empty());
    }

    #[test]
    fn email_matches_ignoring_case() {
        let found = matching(table(), &query(None, Some("zoe@cafe.EXAMPLE"), None)).unwrap();
        assert_eq!(ids(found), ["C-000001"]);
    }

    #[test]
    fn tax_number_matches_ignoring_spaces() {
        let found = matching(table(), &query(None, None, Some("123456 789"))).unwrap();
        assert_eq!(ids(found), ["C-000001", "C-000003"]);
    }

    #[test]
    fn every_given_field_must_match() {
        let found = matching(table(), &query(Some("Acme Ltd"), None, Some("123 456 789"))).unwrap();
        assert_eq!(ids(found), ["C-000003"]);
        // C-000003 has no e-mail, so an e-mail in the query rules it out.
        let found = matching(
            table(),
            &query(
                Some("Acme Ltd"),
                Some("accounts@acme.example"),
                Some("123456789"),
            ),
        )
        .unwrap();
        assert!(found.is_empty());
    }

    #[test]
    fn a_query_with_nothing_given_is_refused() {
        let e = matching(table(), &query(None, Some("  "), None)).unwrap_err();
        assert_eq!(
            e.message(),
            "find-customers needs at least one of name, email or tax-number"
        );
    }
}

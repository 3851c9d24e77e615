//! `find-customers` matching. QuickBooks' query filters `DisplayName` and `PrimaryEmailAddr`;
//! results are checked again here (case-insensitively, as the contract asks). QuickBooks
//! cannot filter by tax number and masks `PrimaryTaxIdentifier` in answers (`XXXXXX1234`), so
//! a tax number is compared on what is visible: the whole value, or a masked value's
//! visible last characters.

use ledgerlink_sdk::types::CustomerQuery;

use crate::map::customer::is_masked_tax_id;
use crate::map::qbo;

fn squeeze(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase()
}

/// Whether a QuickBooks customer matches every given field of `query`.
pub fn matches(c: &qbo::Customer, query: &CustomerQuery) -> bool {
    let name_ok = query.name.as_deref().is_none_or(|n| {
        c.display_name
            .as_deref()
            .is_some_and(|d| d.trim().to_lowercase() == n.trim().to_lowercase())
    });
    let email_ok = query.email.as_deref().is_none_or(|e| {
        c.primary_email_addr
            .as_ref()
            .and_then(|a| a.address.as_deref())
            .is_some_and(|a| a.trim().eq_ignore_ascii_case(e.trim()))
    });
    let tax_ok = query.tax_number.as_deref().is_none_or(|t| {
        let wanted = squeeze(t);
        c.primary_tax_identifier.as_deref().is_some_and(|have| {
            if is_masked_tax_id(have) {
                let visible: String = squeeze(have).trim_start_matches('X').to_owned();
                !visible.is_empty() && wanted.ends_with(&visible)
            } else {
                squeeze(have) == wanted
            }
        })
    });
    name_ok && email_ok && tax_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(name: Option<&str>, email: Option<&str>, tax: Option<&str>) -> CustomerQuery {
        CustomerQuery {
            name: name.map(Into::into),
            email: email.map(Into::into),
            tax_number: tax.map(Into::into),
        }
    }

    fn c(name: &str, email: Option<&str>, tax: Option<&str>) -> qbo::Customer {
        qbo::Customer {
            display_name: Some(name.into()),
            primary_email_addr: email.map(|e| qbo::EmailAddress {
                address: Some(e.into()),
            }),
            primary_tax_identifier: tax.map(Into::into),
            ..qbo::Customer::default()
        }
    }

    #[test]
    fn name_and_email_ignore_case() {
        let acme = c("Acme Ltd", Some("Accounts@Acme.example"), None);
        assert!(matches(&acme, &q(Some("ACME LTD"), None, None)));
        assert!(matches(
            &acme,
            &q(Some("acme ltd"), Some("accounts@acme.example"), None)
        ));
        assert!(!matches(&acme, &q(Some("Acme"), None, None)));
        assert!(!matches(&acme, &q(None, Some("other@acme.example"), None)));
    }

    #[test]
    fn tax_numbers_ignore_spaces_and_respect_masking() {
        assert!(matches(
            &c("A", None, Some("123 456 789")),
            &q(None, None, Some("123456789"))
        ));
        assert!(matches(
            &c("A", None, Some("XXXXXX6789")),
            &q(None, None, Some("123 45 6789"))
        ));
        assert!(!matches(
            &c("A", None, Some("XXXXXX6789")),
            &q(None, None, Some("123456780"))
        ));
        assert!(!matches(&c("A", None, None), &q(None, None, Some("1"))));
    }
}

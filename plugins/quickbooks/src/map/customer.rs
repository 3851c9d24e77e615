//! Canonical customer ⇄ QuickBooks `Customer`.
//!
//! | canonical | QuickBooks | notes |
//! |---|---|---|
//! | `remote-id` | `Id` | |
//! | `version` | `SyncToken` | sent back on update, so a stale write is refused |
//! | `name` | `DisplayName`, and `CompanyName` when ≤ 100 characters | `DisplayName` rules: [`check_display_name`] |
//! | `account-number` | — (pulled from `AcctNum` when present) | not sent: the XSD marks `AcctNum` QuickBooks Desktop only ("Product: QBW"), and QuickBooks Online refuses it |
//! | `contact-name` | `GivenName` + `FamilyName` | last word is the family name |
//! | `email` | `PrimaryEmailAddr.Address` | |
//! | `phone` | `PrimaryPhone.FreeFormNumber` | |
//! | `tax-number` | `PrimaryTaxIdentifier` | QuickBooks masks it in answers (`XXXXXX1234`); a masked value is pulled as none |
//! | `billing-address`, `shipping-address` | `BillAddr`, `ShipAddr` | `region` is `CountrySubDivisionCode`; `country` is sent as given |
//! | `currency` | `CurrencyRef.value` | checked against the company's currencies before sending; QuickBooks fixes it at creation |
//! | `active` | `Active` | a customer deleted in QuickBooks (CDC `status: Deleted`) is pulled inactive |
//! | `updated-at` | `MetaData.LastUpdatedTime` | as RFC 3339 UTC |
//!
//! Updates are sparse (`"sparse": true`): only the elements sent change, so QuickBooks-only
//! data (terms, notes, sub-customer links) is kept. A canonical field that became empty is
//! therefore left as it is in QuickBooks rather than cleared.

use ledgerlink_sdk::error::{self, ConnectorErrorExt};
use ledgerlink_sdk::types::{Address, ConnectorError, Customer};

use super::qbo;
use super::timestamp;

/// QuickBooks' limit on `DisplayName`, in characters.
pub const DISPLAY_NAME_MAX: usize = 500;
/// QuickBooks' limit on `CompanyName`, `GivenName` and `FamilyName`, in characters.
pub const NAME_PART_MAX: usize = 100;

/// Check `name` against QuickBooks' `DisplayName` rules before anything is sent: not empty,
/// at most 500 characters, and no colon (QuickBooks uses ':' to separate a sub-customer
/// from its parent), tab or line break.
pub fn check_display_name(name: &str) -> Result<(), ConnectorError> {
    let invalid = |why: String| Err(error::validation(why).at("name"));
    if name.trim().is_empty() {
        return invalid(
            "the customer has no name; QuickBooks needs a display name on every customer"
                .to_owned(),
        );
    }
    let len = name.chars().count();
    if len > DISPLAY_NAME_MAX {
        return invalid(format!(
            "customer name is {len} characters long; QuickBooks allows at most {DISPLAY_NAME_MAX}, shorten it"
        ));
    }
    for (bad, what) in [
        (':', "a colon (:)"),
        ('\t', "a tab"),
        ('\n', "a line break"),
        ('\r', "a line break"),
    ] {
        if name.contains(bad) {
            return invalid(format!(
                "customer name {:?} contains {what}, which QuickBooks does not allow in a display name; remove it",
                name
            ));
        }
    }
    Ok(())
}

/// Split a contact name into `GivenName` and `FamilyName`: the last word is the family name
/// ("Mary Jane Smith" → "Mary Jane" + "Smith"); a single word is a given name.
pub fn split_contact_name(contact: &str) -> (Option<String>, Option<String>) {
    let words: Vec<&str> = contact.split_whitespace().collect();
    match words.as_slice() {
        [] => (None, None),
        [one] => (Some((*one).to_owned()), None),
        [given @ .., family] => (Some(given.join(" ")), Some((*family).to_owned())),
    }
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn address_to_qbo(address: &Option<Address>) -> Option<qbo::PhysicalAddress> {
    let a = address.as_ref()?;
    let q = qbo::PhysicalAddress {
        line1: non_empty(&a.line1),
        line2: non_empty(&a.line2),
        city: non_empty(&a.city),
        country_sub_division_code: non_empty(&a.region),
        postal_code: non_empty(&a.postal_code),
        country: non_empty(&a.country),
    };
    (q != qbo::PhysicalAddress::default()).then_some(q)
}

fn address_from_qbo(address: Option<qbo::PhysicalAddress>) -> Option<Address> {
    let q = address?;
    let a = Address {
        line1: non_empty(&q.line1),
        line2: non_empty(&q.line2),
        city: non_empty(&q.city),
        region: non_empty(&q.country_sub_division_code),
        postal_code: non_empty(&q.postal_code),
        country: non_empty(&q.country),
    };
    let empty = a.line1.is_none()
        && a.line2.is_none()
        && a.city.is_none()
        && a.region.is_none()
        && a.postal_code.is_none()
        && a.country.is_none();
    (!empty).then_some(a)
}

/// The QuickBooks customer to send for `customer`: a create when it has no `remote-id`,
/// otherwise a sparse update of that `Id` with `sync_token`.
pub fn to_qbo(
    customer: &Customer,
    sync_token: Option<&str>,
) -> Result<qbo::Customer, ConnectorError> {
    check_display_name(&customer.name)?;
    let name = customer.name.trim().to_owned();
    let (given_name, family_name) = customer
        .contact_name
        .as_deref()
        .map(split_contact_name)
        .unwrap_or((None, None));
    for (part, value) in [("given", &given_name), ("family", &family_name)] {
        if let Some(v) = value
            && v.chars().count() > NAME_PART_MAX
        {
            return Err(error::validation(format!(
                "the contact's {part} name is longer than the {NAME_PART_MAX} characters QuickBooks allows; shorten the contact name"
            ))
            .at("contact-name"));
        }
    }
    let update = customer.remote_id.is_some();
    Ok(qbo::Customer {
        id: customer.remote_id.clone(),
        sync_token: if update {
            sync_token.map(str::to_owned)
        } else {
            None
        },
        sparse: update.then_some(true),
        status: None,
        meta_data: None,
        // CompanyName is limited to 100 characters; a longer display name is still valid,
        // so the company name is then left out rather than refusing the customer.
        company_name: (name.chars().count() <= NAME_PART_MAX).then(|| name.clone()),
        display_name: Some(name),
        given_name,
        family_name,
        primary_email_addr: non_empty(&customer.email)
            .map(|a| qbo::EmailAddress { address: Some(a) }),
        primary_phone: non_empty(&customer.phone).map(|n| qbo::TelephoneNumber {
            free_form_number: Some(n),
        }),
        // AcctNum is a QuickBooks Desktop element (XSD: "Product: QBW"); Online refuses it.
        acct_num: None,
        primary_tax_identifier: non_empty(&customer.tax_number),
        bill_addr: address_to_qbo(&customer.billing_address),
        ship_addr: address_to_qbo(&customer.shipping_address),
        // Fixed by QuickBooks once the customer exists; sent on updates too, so a changed
        // currency is refused (6000 on CurrencyRef → validation on `currency`), never ignored.
        currency_ref: non_empty(&customer.currency)
            .map(|c| qbo::ReferenceType::id(c.to_ascii_uppercase())),
        active: Some(customer.active),
    })
}

/// Whether QuickBooks masked a tax identifier in its answer (`XXXXXX1234`).
pub fn is_masked_tax_id(value: &str) -> bool {
    value.trim_start().starts_with("XXX")
}

/// A canonical customer from a QuickBooks customer (a query, CDC, read or write answer).
pub fn from_qbo(q: qbo::Customer) -> Result<Customer, ConnectorError> {
    let deleted = q.status.as_deref() == Some("Deleted");
    let updated_at = match q
        .meta_data
        .as_ref()
        .and_then(|m| m.last_updated_time.as_deref())
    {
        Some(t) => Some(timestamp::to_utc(t).map_err(|e| {
            error::transient(format!(
                "QuickBooks sent customer {} with MetaData.LastUpdatedTime {e}",
                q.id.as_deref().unwrap_or("?")
            ))
        })?),
        None => None,
    };
    let contact = [q.given_name.as_deref(), q.family_name.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Customer {
        key: String::new(),
        remote_id: q.id,
        version: q.sync_token,
        idempotency_key: None,
        name: q.display_name.unwrap_or_default(),
        account_number: non_empty(&q.acct_num),
        contact_name: (!contact.is_empty()).then_some(contact),
        email: q.primary_email_addr.and_then(|e| non_empty(&e.address)),
        phone: q.primary_phone.and_then(|p| non_empty(&p.free_form_number)),
        tax_number: non_empty(&q.primary_tax_identifier).filter(|t| !is_masked_tax_id(t)),
        billing_address: address_from_qbo(q.bill_addr),
        shipping_address: address_from_qbo(q.ship_addr),
        currency: q.currency_ref.map(|r| r.value).filter(|v| !v.is_empty()),
        active: !deleted && q.active.unwrap_or(true),
        updated_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer() -> Customer {
        Customer {
            key: "cust-1".into(),
            remote_id: None,
            version: None,
            idempotency_key: Some("k1".into()),
            name: "Acme Plumbing Ltd".into(),
            account_number: Some("ACME01".into()),
            contact_name: Some("Mary Jane Smith".into()),
            email: Some("accounts@acme.example".into()),
            phone: Some("+64 9 555 0100".into()),
            tax_number: Some("123-456-789".into()),
            billing_address: Some(Address {
                line1: Some("1 Queen St".into()),
                line2: None,
                city: Some("Auckland".into()),
                region: Some("AUK".into()),
                postal_code: Some("1010".into()),
                country: Some("NZ".into()),
            }),
            shipping_address: None,
            currency: Some("NZD".into()),
            active: true,
            updated_at: None,
        }
    }

    #[test]
    fn a_new_customer_maps_to_every_element() {
        let q = to_qbo(&customer(), None).expect("valid");
        let json = serde_json::to_value(&q).expect("encodes");
        assert_eq!(
            json,
            serde_json::json!({
                "DisplayName": "Acme Plumbing Ltd",
                "CompanyName": "Acme Plumbing Ltd",
                "GivenName": "Mary Jane",
                "FamilyName": "Smith",
                "PrimaryEmailAddr": {"Address": "accounts@acme.example"},
                "PrimaryPhone": {"FreeFormNumber": "+64 9 555 0100"},
                "PrimaryTaxIdentifier": "123-456-789",
                "BillAddr": {"Line1": "1 Queen St", "City": "Auckland", "CountrySubDivisionCode": "AUK", "PostalCode": "1010", "Country": "NZ"},
                "CurrencyRef": {"value": "NZD"},
                "Active": true
            })
        );
    }

    #[test]
    fn an_update_is_sparse_with_id_and_sync_token() {
        let mut c = customer();
        c.remote_id = Some("58".into());
        c.active = false;
        let q = to_qbo(&c, Some("3")).expect("valid");
        let json = serde_json::to_value(&q).expect("encodes");
        assert_eq!(json["Id"], "58");
        assert_eq!(json["SyncToken"], "3");
        assert_eq!(json["sparse"], true);
        assert_eq!(json["Active"], false);
    }

    #[test]
    fn display_name_rules_are_checked_before_sending() {
        let cases = [
            (
                "Acme: North",
                "customer name \"Acme: North\" contains a colon (:), which QuickBooks does not allow in a display name; remove it",
            ),
            (
                "Acme\tNorth",
                "customer name \"Acme\\tNorth\" contains a tab, which QuickBooks does not allow in a display name; remove it",
            ),
            (
                "Acme\nNorth",
                "customer name \"Acme\\nNorth\" contains a line break, which QuickBooks does not allow in a display name; remove it",
            ),
            (
                "  ",
                "the customer has no name; QuickBooks needs a display name on every customer",
            ),
        ];
        for (name, want) in cases {
            let mut c = customer();
            c.name = name.into();
            let e = to_qbo(&c, None).expect_err(name);
            assert!(matches!(e, ConnectorError::Validation(_)), "{e:?}");
            assert_eq!(e.message(), want);
            assert_eq!(e.field(), Some("name"));
        }
        let long = "x".repeat(501);
        let e = check_display_name(&long).expect_err("too long");
        assert_eq!(
            e.message(),
            "customer name is 501 characters long; QuickBooks allows at most 500, shorten it"
        );
        assert!(check_display_name(&"x".repeat(500)).is_ok());
        assert!(check_display_name("O'Brien & Sons \\ Co.").is_ok());
    }

    #[test]
    fn a_long_display_name_leaves_company_name_out() {
        let mut c = customer();
        c.name = "y".repeat(101);
        let q = to_qbo(&c, None).expect("valid");
        assert_eq!(q.company_name, None);
        assert_eq!(q.display_name.as_deref(), Some(c.name.as_str()));
    }

    #[test]
    fn contact_names_split_on_the_last_word() {
        assert_eq!(
            split_contact_name("Mary Jane  Smith"),
            (Some("Mary Jane".into()), Some("Smith".into()))
        );
        assert_eq!(split_contact_name("Cher"), (Some("Cher".into()), None));
        assert_eq!(split_contact_name("  "), (None, None));
    }

    #[test]
    fn a_quickbooks_customer_maps_back() {
        let json = r#"{
            "Id": "58", "SyncToken": "2", "domain": "QBO",
            "DisplayName": "Acme Plumbing Ltd", "CompanyName": "Acme Plumbing Ltd",
            "GivenName": "Mary Jane", "FamilyName": "Smith",
            "PrimaryEmailAddr": {"Address": "accounts@acme.example"},
            "PrimaryPhone": {"FreeFormNumber": "+64 9 555 0100"},
            "AcctNum": "ACME01", "PrimaryTaxIdentifier": "XXXXXX6789",
            "BillAddr": {"Id": "95", "Line1": "1 Queen St", "City": "Auckland", "CountrySubDivisionCode": "AUK", "PostalCode": "1010", "Country": "NZ"},
            "ShipAddr": {"Id": "96"},
            "CurrencyRef": {"value": "NZD", "name": "New Zealand Dollar"},
            "Active": false, "Balance": 1234.50,
            "MetaData": {"CreateTime": "2026-01-02T03:04:05-08:00", "LastUpdatedTime": "2026-11-21T17:21:27-08:00"}
        }"#;
        let q: qbo::Customer = serde_json::from_str(json).expect("parses");
        let c = from_qbo(q).expect("maps");
        assert_eq!(c.remote_id.as_deref(), Some("58"));
        assert_eq!(c.version.as_deref(), Some("2"));
        assert_eq!(c.name, "Acme Plumbing Ltd");
        assert_eq!(c.contact_name.as_deref(), Some("Mary Jane Smith"));
        assert_eq!(c.email.as_deref(), Some("accounts@acme.example"));
        assert_eq!(c.phone.as_deref(), Some("+64 9 555 0100"));
        assert_eq!(c.account_number.as_deref(), Some("ACME01"));
        assert_eq!(c.tax_number, None, "masked tax ids are not pulled");
        assert_eq!(c.billing_address, customer().billing_address);
        assert_eq!(c.shipping_address, None, "an address with no parts is none");
        assert_eq!(c.currency.as_deref(), Some("NZD"));
        assert!(!c.active);
        assert_eq!(c.updated_at.as_deref(), Some("2026-11-22T01:21:27Z"));
        assert_eq!(c.key, "");
        assert_eq!(c.idempotency_key, None);
    }

    #[test]
    fn round_trip_keeps_every_mapped_field() {
        let mut original = customer();
        original.remote_id = Some("7".into());
        original.tax_number = None; // masked on the way back
        let q = to_qbo(&original, Some("0")).expect("valid");
        let back = from_qbo(q).expect("maps");
        assert_eq!(back.name, original.name);
        assert_eq!(back.contact_name, original.contact_name);
        assert_eq!(back.email, original.email);
        assert_eq!(back.phone, original.phone);
        assert_eq!(
            back.account_number, None,
            "AcctNum is not sent to QuickBooks Online"
        );
        assert_eq!(back.billing_address, original.billing_address);
        assert_eq!(back.currency, original.currency);
        assert_eq!(back.active, original.active);
        assert_eq!(back.version.as_deref(), Some("0"));
    }

    #[test]
    fn a_cdc_deleted_entry_is_an_inactive_customer() {
        let q: qbo::Customer = serde_json::from_str(
            r#"{"domain":"QBO","status":"Deleted","Id":"61","MetaData":{"LastUpdatedTime":"2026-11-20T10:00:00-08:00"}}"#,
        )
        .expect("parses");
        let c = from_qbo(q).expect("maps");
        assert_eq!(c.remote_id.as_deref(), Some("61"));
        assert!(!c.active);
        assert_eq!(c.name, "");
        assert_eq!(c.updated_at.as_deref(), Some("2026-11-20T18:00:00Z"));
    }
}

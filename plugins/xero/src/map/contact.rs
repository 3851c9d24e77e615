//! Customers ⇄ Xero contacts.

use ledgerlink_sdk::error::{self, ConnectorErrorExt};
use ledgerlink_sdk::types::{Address, ConnectorError, Customer};

use super::dates::timestamp_from_xero;
use super::xero::{self, ContactIn, ContactOut, Phone};

/// Xero's limit on `Name` (max length = 255).
const NAME_MAX: usize = 255;

/// The `Contact` to send for `customer`: an update when it has a `remote-id`.
///
/// Fields the customer leaves empty are left out, so an update does not clear them in Xero.
pub fn contact_to_xero(customer: &Customer) -> Result<ContactOut, ConnectorError> {
    let name = customer.name.trim();
    if name.is_empty() {
        return Err(
            error::validation("name is empty; Xero needs a name for every contact").at("name"),
        );
    }
    if name.chars().count() > NAME_MAX {
        return Err(error::validation(format!(
            "name has {} characters, more than Xero's {NAME_MAX}; shorten it",
            name.chars().count()
        ))
        .at("name"));
    }
    let (first_name, last_name) = split_contact_name(customer.contact_name.as_deref());
    let mut addresses = Vec::new();
    if let Some(a) = &customer.billing_address {
        addresses.push(address_to_xero("POBOX", a));
    }
    if let Some(a) = &customer.shipping_address {
        addresses.push(address_to_xero("STREET", a));
    }
    let phones = text(&customer.phone)
        .map(|number| Phone {
            phone_type: Some("DEFAULT".to_owned()),
            phone_number: Some(number),
            ..Phone::default()
        })
        .into_iter()
        .collect();
    Ok(ContactOut {
        contact_id: text(&customer.remote_id),
        name: Some(name.to_owned()),
        account_number: text(&customer.account_number),
        first_name,
        last_name,
        email_address: text(&customer.email),
        tax_number: text(&customer.tax_number),
        addresses,
        phones,
        default_currency: text(&customer.currency).map(|c| c.to_ascii_uppercase()),
        contact_status: Some(
            if customer.active {
                "ACTIVE"
            } else {
                "ARCHIVED"
            }
            .to_owned(),
        ),
    })
}

/// The customer a Xero contact is; `None` when the contact has no `ContactID`.
pub fn customer_from_xero(contact: &ContactIn) -> Option<Customer> {
    let remote_id = contact.contact_id.clone().filter(|id| !id.is_empty())?;
    let address = |kind: &str| {
        contact
            .addresses
            .iter()
            .find(|a| a.address_type.as_deref() == Some(kind))
            .and_then(address_from_xero)
    };
    let contact_name = [&contact.first_name, &contact.last_name]
        .into_iter()
        .filter_map(text)
        .collect::<Vec<_>>()
        .join(" ");
    let phone = contact
        .phones
        .iter()
        .find(|p| p.phone_type.as_deref() == Some("DEFAULT"))
        .and_then(phone_from_xero);
    Some(Customer {
        key: String::new(),
        remote_id: Some(remote_id),
        version: None,
        idempotency_key: None,
        name: contact.name.clone().unwrap_or_default(),
        account_number: text(&contact.account_number),
        contact_name: (!contact_name.is_empty()).then_some(contact_name),
        email: text(&contact.email_address),
        phone,
        tax_number: text(&contact.tax_number),
        billing_address: address("POBOX"),
        shipping_address: address("STREET"),
        currency: text(&contact.default_currency),
        active: contact
            .contact_status
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case("ACTIVE")),
        updated_at: contact
            .updated_date_utc
            .as_deref()
            .and_then(timestamp_from_xero),
    })
}

/// `Some(trimmed)` for a non-blank value.
fn text(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// "Mary Jane Smith" → ("Mary Jane", "Smith"); one word is a first name only.
fn split_contact_name(name: Option<&str>) -> (Option<String>, Option<String>) {
    let words: Vec<&str> = name.unwrap_or("").split_whitespace().collect();
    match words.as_slice() {
        [] => (None, None),
        [only] => (Some((*only).to_owned()), None),
        [first @ .., last] => (Some(first.join(" ")), Some((*last).to_owned())),
    }
}

fn address_to_xero(kind: &str, a: &Address) -> xero::Address {
    xero::Address {
        address_type: Some(kind.to_owned()),
        address_line1: text(&a.line1),
        address_line2: text(&a.line2),
        city: text(&a.city),
        region: text(&a.region),
        postal_code: text(&a.postal_code),
        country: text(&a.country),
    }
}

/// `None` for an address Xero lists with every part empty (it always lists both types).
fn address_from_xero(a: &xero::Address) -> Option<Address> {
    let address = Address {
        line1: text(&a.address_line1),
        line2: text(&a.address_line2),
        city: text(&a.city),
        region: text(&a.region),
        postal_code: text(&a.postal_code),
        country: text(&a.country),
    };
    let parts = [
        &address.line1,
        &address.line2,
        &address.city,
        &address.region,
        &address.postal_code,
        &address.country,
    ];
    parts.iter().any(|p| p.is_some()).then_some(address)
}

fn phone_from_xero(p: &Phone) -> Option<String> {
    let joined = [&p.phone_country_code, &p.phone_area_code, &p.phone_number]
        .into_iter()
        .filter_map(text)
        .collect::<Vec<_>>()
        .join(" ");
    (!joined.is_empty()).then_some(joined)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::map::xero::ContactsBody;

    pub(crate) fn customer() -> Customer {
        Customer {
            key: "TP-C1".into(),
            remote_id: None,
            version: None,
            idempotency_key: Some("k1".into()),
            name: "Acme Plumbing Ltd".into(),
            account_number: Some("ACME-01".into()),
            contact_name: Some("Mary Jane Smith".into()),
            email: Some("accounts@acme.example".into()),
            phone: Some("09 555 1234".into()),
            tax_number: Some("123-456-789".into()),
            billing_address: Some(Address {
                line1: Some("PO Box 42".into()),
                line2: None,
                city: Some("Auckland".into()),
                region: None,
                postal_code: Some("1010".into()),
                country: Some("NZ".into()),
            }),
            shipping_address: Some(Address {
                line1: Some("1 Queen St".into()),
                line2: Some("Level 2".into()),
                city: Some("Auckland".into()),
                region: Some("Auckland".into()),
                postal_code: Some("1010".into()),
                country: Some("NZ".into()),
            }),
            currency: Some("nzd".into()),
            active: true,
            updated_at: None,
        }
    }

    #[test]
    fn a_new_customer_becomes_a_contact_without_id() {
        let json =
            serde_json::to_value(contact_to_xero(&customer()).expect("valid")).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "Name": "Acme Plumbing Ltd",
                "AccountNumber": "ACME-01",
                "FirstName": "Mary Jane",
                "LastName": "Smith",
                "EmailAddress": "accounts@acme.example",
                "TaxNumber": "123-456-789",
                "Addresses": [
                    {"AddressType": "POBOX", "AddressLine1": "PO Box 42", "City": "Auckland",
                     "PostalCode": "1010", "Country": "NZ"},
                    {"AddressType": "STREET", "AddressLine1": "1 Queen St", "AddressLine2": "Level 2",
                     "City": "Auckland", "Region": "Auckland", "PostalCode": "1010", "Country": "NZ"}
                ],
                "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "09 555 1234"}],
                "DefaultCurrency": "NZD",
                "ContactStatus": "ACTIVE"
            })
        );
    }

    #[test]
    fn an_update_carries_the_contact_id_and_an_inactive_customer_is_archived() {
        let mut c = customer();
        c.remote_id = Some("5cc8cf28-567e-4d43-b287-687cfcaec47c".into());
        c.active = false;
        c.contact_name = Some("Cher".into());
        let out = contact_to_xero(&c).expect("valid");
        assert_eq!(
            out.contact_id.as_deref(),
            Some("5cc8cf28-567e-4d43-b287-687cfcaec47c")
        );
        assert_eq!(out.contact_status.as_deref(), Some("ARCHIVED"));
        assert_eq!(out.first_name.as_deref(), Some("Cher"));
        assert_eq!(out.last_name, None);
    }

    #[test]
    fn a_customer_without_a_name_is_refused_naming_the_field() {
        let mut c = customer();
        c.name = "  ".into();
        let e = contact_to_xero(&c).expect_err("no name");
        assert_eq!(e.field(), Some("name"));
        assert_eq!(
            e.message(),
            "name is empty; Xero needs a name for every contact"
        );
        c.name = "x".repeat(256);
        let e = contact_to_xero(&c).expect_err("too long");
        assert_eq!(
            e.message(),
            "name has 256 characters, more than Xero's 255; shorten it"
        );
    }

    /// The spec's `GET /Contacts` example, abridged.
    const SPEC_CONTACTS: &str = r#"{
        "Id": "04e93d48-e72f-4775-b7dd-15a041fab972", "Status": "OK",
        "pagination": {"page": 1, "pageSize": 100, "pageCount": 1, "itemCount": 2},
        "Contacts": [{
            "ContactID": "5cc8cf28-567e-4d43-b287-687cfcaec47c", "ContactStatus": "ACTIVE",
            "Name": "Katherine Warren", "FirstName": "Katherine", "LastName": "Warren",
            "CompanyNumber": "NumberBusiness1234", "EmailAddress": "kat.warren@clampett.com",
            "BankAccountDetails": "", "TaxNumber": "", "TaxNumbeType": "",
            "Addresses": [
                {"AddressType": "STREET", "City": "", "Region": "", "PostalCode": "", "Country": ""},
                {"AddressType": "POBOX", "AddressLine1": "", "AddressLine2": "", "AddressLine3": "",
                 "AddressLine4": "", "City": "Palo Alto", "Region": "CA", "PostalCode": "94020",
                 "Country": "United States"}
            ],
            "Phones": [
                {"PhoneType": "DDI", "PhoneNumber": "", "PhoneAreaCode": "", "PhoneCountryCode": ""},
                {"PhoneType": "DEFAULT", "PhoneNumber": "847-1294", "PhoneAreaCode": "(626)", "PhoneCountryCode": ""}
            ],
            "UpdatedDateUTC": "/Date(1503348544227+0000)/",
            "ContactGroups": [], "IsSupplier": true, "IsCustomer": true,
            "Balances": {"AccountsReceivable": {"Outstanding": 760.00, "Overdue": 920.00}},
            "HasValidationErrors": false
        }, {
            "ContactID": "3ff6d40c-af9a-40a3-89ce-3c1556a25591", "ContactStatus": "ARCHIVED",
            "Name": "Barney Rubble-83806", "Addresses": null, "Phones": null
        }]
    }"#;

    #[test]
    fn the_spec_example_contacts_map_to_customers() {
        let body: ContactsBody = serde_json::from_str(SPEC_CONTACTS).expect("spec shape");
        let customers: Vec<Customer> = body
            .contacts
            .iter()
            .filter_map(customer_from_xero)
            .collect();
        let c = &customers[0];
        assert_eq!(
            c.remote_id.as_deref(),
            Some("5cc8cf28-567e-4d43-b287-687cfcaec47c")
        );
        assert_eq!(c.key, "");
        assert_eq!(c.name, "Katherine Warren");
        assert_eq!(c.contact_name.as_deref(), Some("Katherine Warren"));
        assert_eq!(c.email.as_deref(), Some("kat.warren@clampett.com"));
        assert_eq!(c.phone.as_deref(), Some("(626) 847-1294"));
        assert_eq!(c.tax_number, None);
        assert_eq!(c.shipping_address, None);
        let billing = c.billing_address.as_ref().expect("POBOX");
        assert_eq!(billing.city.as_deref(), Some("Palo Alto"));
        assert_eq!(billing.region.as_deref(), Some("CA"));
        assert_eq!(billing.postal_code.as_deref(), Some("94020"));
        assert_eq!(billing.country.as_deref(), Some("United States"));
        assert_eq!(billing.line1, None);
        assert!(c.active);
        assert_eq!(c.updated_at.as_deref(), Some("2017-08-21T20:49:04.227Z"));
        assert_eq!(customers[1].name, "Barney Rubble-83806");
        assert!(!customers[1].active);
    }

    #[test]
    fn a_pushed_customer_reads_back_the_same() {
        let c = customer();
        let out = contact_to_xero(&c).expect("valid");
        let mut echoed: ContactIn =
            serde_json::from_value(serde_json::to_value(&out).expect("json")).expect("reads");
        echoed.contact_id = Some("id-1".into());
        let back = customer_from_xero(&echoed).expect("has id");
        assert_eq!(back.name, c.name);
        assert_eq!(back.account_number, c.account_number);
        assert_eq!(back.contact_name, c.contact_name);
        assert_eq!(back.email, c.email);
        assert_eq!(back.phone, c.phone);
        assert_eq!(back.tax_number, c.tax_number);
        assert_eq!(back.billing_address, c.billing_address);
        assert_eq!(back.shipping_address, c.shipping_address);
        assert_eq!(back.currency.as_deref(), Some("NZD"));
        assert!(back.active);
    }
}

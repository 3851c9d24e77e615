//! Customers ⇄ rows of `customers.csv`: one row per customer, one column per canonical field.
//!
//! The mapping is lossless for everything the file can hold. Two things it cannot tell apart
//! are folded together on purpose: an empty text field is the same as an absent one, and an
//! address whose parts are all empty is no address. [`Record::same_content`] compares the
//! rows a record would be written as, so "unchanged" means exactly "the file would not
//! change".

use ledgerlink_sdk::error::{self, ConnectorErrorExt};
use ledgerlink_sdk::types::{Address, ConnectorError, Customer};
use serde::{Deserialize, Serialize};

use crate::table::{self, Numbered};
use crate::upsert::{Record, Target};
use crate::{since, version};

/// The header of `customers.csv`, in the order the columns are written.
pub const COLUMNS: [&str; 24] = [
    "id",
    "version",
    "name",
    "account_number",
    "contact_name",
    "email",
    "phone",
    "tax_number",
    "billing_line1",
    "billing_line2",
    "billing_city",
    "billing_region",
    "billing_postal_code",
    "billing_country",
    "shipping_line1",
    "shipping_line2",
    "shipping_city",
    "shipping_region",
    "shipping_postal_code",
    "shipping_country",
    "currency",
    "active",
    "updated_at",
    "idempotency_key",
];

/// One row of `customers.csv`, as text. Every cell is optional here; which are required is
/// decided in [`from_row`], where the message can say so.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRow {
    id: Option<String>,
    version: Option<String>,
    name: Option<String>,
    account_number: Option<String>,
    contact_name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    tax_number: Option<String>,
    billing_line1: Option<String>,
    billing_line2: Option<String>,
    billing_city: Option<String>,
    billing_region: Option<String>,
    billing_postal_code: Option<String>,
    billing_country: Option<String>,
    shipping_line1: Option<String>,
    shipping_line2: Option<String>,
    shipping_city: Option<String>,
    shipping_region: Option<String>,
    shipping_postal_code: Option<String>,
    shipping_country: Option<String>,
    currency: Option<String>,
    active: Option<String>,
    updated_at: Option<String>,
    /// Optional in a file (older files have no such column).
    #[serde(default)]
    idempotency_key: Option<String>,
}

/// Where customers live, for ids ("C-000001") and messages.
pub fn target(file: &str) -> Target<'_> {
    Target {
        noun: "customer",
        id_prefix: "C",
        file,
        issued: 0,
    }
}

/// Check a customer before it is stored: the rules the file keeps.
pub fn validate(customer: Customer) -> Result<Customer, ConnectorError> {
    if customer.name.trim().is_empty() {
        return Err(
            error::validation("name is required; every customer needs a display name").at("name"),
        );
    }
    Ok(customer)
}

/// Parse the contents of a customers file into customers, checking every row.
pub fn parse_table(bytes: &[u8], file: &str) -> Result<Vec<Customer>, ConnectorError> {
    let rows: Vec<Numbered<CustomerRow>> = table::parse(bytes, file, &COLUMNS)?;
    let mut customers: Vec<Customer> = Vec::with_capacity(rows.len());
    let mut first_line_of = std::collections::HashMap::new();
    for numbered in rows {
        let line = numbered.line;
        let customer =
            from_row(numbered.row).map_err(|e| table::invalid_row_error(file, line, &e))?;
        if let Some(id) = customer.remote_id.clone()
            && let Some(first) = first_line_of.insert(id.clone(), line)
        {
            return Err(table::invalid_row(
                file,
                line,
                format!("id {id} is also on line {first}; ids must be unique"),
            ));
        }
        customers.push(customer);
    }
    Ok(customers)
}

/// Serialize customers as the contents of a customers file.
pub fn serialize_table(customers: &[Customer]) -> Result<Vec<u8>, ConnectorError> {
    let rows: Vec<CustomerRow> = customers.iter().map(to_row).collect();
    table::serialize(&COLUMNS, &rows)
}

/// The row a customer is written as.
pub fn to_row(c: &Customer) -> CustomerRow {
    let billing = address_cells(c.billing_address.as_ref());
    let shipping = address_cells(c.shipping_address.as_ref());
    let [
        billing_line1,
        billing_line2,
        billing_city,
        billing_region,
        billing_postal_code,
        billing_country,
    ] = billing;
    let [
        shipping_line1,
        shipping_line2,
        shipping_city,
        shipping_region,
        shipping_postal_code,
        shipping_country,
    ] = shipping;
    CustomerRow {
        id: cell(&c.remote_id),
        version: cell(&c.version),
        name: Some(c.name.clone()).filter(|s| !s.is_empty()),
        account_number: cell(&c.account_number),
        contact_name: cell(&c.contact_name),
        email: cell(&c.email),
        phone: cell(&c.phone),
        tax_number: cell(&c.tax_number),
        billing_line1,
        billing_line2,
        billing_city,
        billing_region,
        billing_postal_code,
        billing_country,
        shipping_line1,
        shipping_line2,
        shipping_city,
        shipping_region,
        shipping_postal_code,
        shipping_country,
        currency: cell(&c.currency),
        active: Some(c.active.to_string()),
        updated_at: cell(&c.updated_at),
        idempotency_key: cell(&c.idempotency_key),
    }
}

/// The customer a row holds, with the same checks as a pushed customer.
pub fn from_row(row: CustomerRow) -> Result<Customer, ConnectorError> {
    let Some(id) = row.id else {
        return Err(error::validation(
            "id is empty; every row needs the customer's id",
        ));
    };
    if let Some(v) = &row.version {
        version::parse(v)?;
    }
    if let Some(at) = &row.updated_at {
        since::parse(at, "updated_at")?;
    }
    let active = match row.active.as_deref() {
        Some("true") => true,
        Some("false") => false,
        other => {
            return Err(error::validation(format!(
                "active must be true or false, got {:?}",
                other.unwrap_or("")
            ))
            .at("active"));
        }
    };
    validate(Customer {
        key: String::new(),
        remote_id: Some(id),
        version: row.version,
        idempotency_key: row.idempotency_key,
        name: row.name.unwrap_or_default(),
        account_number: row.account_number,
        contact_name: row.contact_name,
        email: row.email,
        phone: row.phone,
        tax_number: row.tax_number,
        billing_address: address([
            row.billing_line1,
            row.billing_line2,
            row.billing_city,
            row.billing_region,
            row.billing_postal_code,
            row.billing_country,
        ]),
        shipping_address: address([
            row.shipping_line1,
            row.shipping_line2,
            row.shipping_city,
            row.shipping_region,
            row.shipping_postal_code,
            row.shipping_country,
        ]),
        currency: row.currency,
        active,
        updated_at: row.updated_at,
    })
}

/// An optional text field as a cell: empty text is written as an empty cell, which reads
/// back as `None`, so it is `None` here too.
fn cell(value: &Option<String>) -> Option<String> {
    value.clone().filter(|s| !s.is_empty())
}

/// Address parts in column order: line1, line2, city, region, postal code, country.
fn address_cells(a: Option<&Address>) -> [Option<String>; 6] {
    match a {
        Some(a) => [
            cell(&a.line1),
            cell(&a.line2),
            cell(&a.city),
            cell(&a.region),
            cell(&a.postal_code),
            cell(&a.country),
        ],
        None => Default::default(),
    }
}

fn address(parts: [Option<String>; 6]) -> Option<Address> {
    if parts.iter().all(Option::is_none) {
        return None;
    }
    let [line1, line2, city, region, postal_code, country] = parts;
    Some(Address {
        line1,
        line2,
        city,
        region,
        postal_code,
        country,
    })
}

/// The row without the columns the store owns, for "would the file change?".
fn content(c: &Customer) -> CustomerRow {
    CustomerRow {
        id: None,
        version: None,
        updated_at: None,
        idempotency_key: None,
        ..to_row(c)
    }
}

impl Record for Customer {
    fn remote_id(&self) -> Option<&str> {
        self.remote_id.as_deref()
    }

    fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    fn stamp(&mut self, id: String, version: String, updated_at: String) {
        self.remote_id = Some(id);
        self.version = Some(version);
        self.updated_at = Some(updated_at);
    }

    fn same_content(&self, other: &Self) -> bool {
        content(self) == content(other)
    }

    fn idempotency_key(&self) -> Option<&str> {
        self.idempotency_key.as_deref()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::upsert::upsert;
    use ledgerlink_sdk::types::WriteAction;

    fn full() -> Customer {
        Customer {
            key: String::new(),
            remote_id: Some("C-000001".into()),
            version: Some("3".into()),
            idempotency_key: None,
            name: "Smith, \"Bob\" & Sons\nLtd".into(),
            account_number: Some("SMI001".into()),
            contact_name: Some("Bob Smith".into()),
            email: Some("bob@smith.example".into()),
            phone: Some("+64 9 555 0100".into()),
            tax_number: Some("123-456-789".into()),
            billing_address: Some(Address {
                line1: Some("1 Queen St".into()),
                line2: Some("Level 2".into()),
                city: Some("Auckland".into()),
                region: Some("Auckland".into()),
                postal_code: Some("1010".into()),
                country: Some("NZ".into()),
            }),
            shipping_address: Some(Address {
                line1: None,
                line2: None,
                city: Some("Hamilton".into()),
                region: None,
                postal_code: None,
                country: Some("NZ".into()),
            }),
            currency: Some("NZD".into()),
            active: false,
            updated_at: Some("2026-11-22T01:21:27Z".into()),
        }
    }

    fn minimal(name: &str) -> Customer {
        Customer {
            key: String::new(),
            remote_id: None,
            version: None,
            idempotency_key: None,
            name: name.into(),
            account_number: None,
            contact_name: None,
            email: None,
            phone: None,
            tax_number: None,
            billing_address: None,
            shipping_address: None,
            currency: None,
            active: true,
            updated_at: None,
        }
    }

    /// A customers file whose rows set only the given columns.
    fn file_with(rows: &[&[(&str, &str)]]) -> String {
        let mut text = COLUMNS.join(",");
        for row in rows {
            let cells: Vec<&str> = COLUMNS
                .iter()
                .map(|c| row.iter().find(|(k, _)| k == c).map_or("", |(_, v)| *v))
                .collect();
            text.push('\n');
            text.push_str(&cells.join(","));
        }
        text.push('\n');
        text
    }

    #[test]
    fn columns_are_the_row_fields_in_order() {
        assert_eq!(
            table::serde_header(&CustomerRow::default()),
            COLUMNS.join(",")
        );
    }

    #[test]
    fn a_customer_survives_the_file_exactly() {
        let bytes = serialize_table(&[full(), minimal("Ann")]).unwrap();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            format!(
                "{}\n\
                 C-000001,3,\"Smith, \"\"Bob\"\" & Sons\nLtd\",SMI001,Bob Smith,bob@smith.example,\
                 +64 9 555 0100,123-456-789,1 Queen St,Level 2,Auckland,Auckland,1010,NZ,\
                 ,,Hamilton,,,NZ,NZD,false,2026-11-22T01:21:27Z,\n\
                 ,,Ann,,,,,,,,,,,,,,,,,,,true,,\n",
                COLUMNS.join(",")
            )
        );

        // The second customer has no id, which the file refuses on read; give it one.
        let mut ann = minimal("Ann");
        ann.remote_id = Some("C-000002".into());
        let bytes = serialize_table(&[full(), ann.clone()]).unwrap();
        let back = parse_table(&bytes, "customers.csv").unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(to_row(&back[0]), to_row(&full()));
        assert_eq!(back[0].name, "Smith, \"Bob\" & Sons\nLtd");
        assert!(!back[0].active);
        let shipping = back[0].shipping_address.as_ref().unwrap();
        assert_eq!(
            (
                shipping.line1.as_deref(),
                shipping.city.as_deref(),
                shipping.country.as_deref()
            ),
            (None, Some("Hamilton"), Some("NZ"))
        );
        assert_eq!(to_row(&back[1]), to_row(&ann));
        assert!(back[1].billing_address.is_none());
        assert_eq!(back[1].key, "");
    }

    #[test]
    fn an_empty_address_reads_back_as_none() {
        let mut c = minimal("Ann");
        c.remote_id = Some("C-000001".into());
        c.billing_address = Some(Address {
            line1: Some(String::new()),
            line2: None,
            city: None,
            region: None,
            postal_code: None,
            country: None,
        });
        let back = parse_table(&serialize_table(&[c]).unwrap(), "customers.csv").unwrap();
        assert!(back[0].billing_address.is_none());
    }

    #[test]
    fn a_row_without_a_name_is_refused_with_its_line() {
        let bytes = file_with(&[&[("id", "C-000001"), ("active", "true")]]);
        let e = parse_table(bytes.as_bytes(), "customers.csv").unwrap_err();
        assert_eq!(
            e.message(),
            "customers.csv line 2: name is required; every customer needs a display name. \
             Correct the file and try again"
        );
        assert_eq!(e.field(), Some("name"));
    }

    #[test]
    fn active_must_be_true_or_false() {
        let bytes = file_with(&[&[("id", "C-000001"), ("name", "Ann"), ("active", "yes")]]);
        let e = parse_table(bytes.as_bytes(), "customers.csv").unwrap_err();
        assert_eq!(
            e.message(),
            "customers.csv line 2: active must be true or false, got \"yes\". \
             Correct the file and try again"
        );
    }

    #[test]
    fn a_bad_updated_at_or_version_is_refused() {
        let ann = [("id", "C-000001"), ("name", "Ann"), ("active", "true")];
        let bytes = file_with(&[&[ann[0], ann[1], ann[2], ("updated_at", "22/11/2026")]]);
        let e = parse_table(bytes.as_bytes(), "customers.csv").unwrap_err();
        assert_eq!(
            e.message(),
            "customers.csv line 2: updated_at must be an RFC 3339 timestamp like \
             \"2026-11-22T01:21:27Z\", got \"22/11/2026\". Correct the file and try again"
        );
        let bytes = file_with(&[&[ann[0], ann[1], ann[2], ("version", "v1")]]);
        let e = parse_table(bytes.as_bytes(), "customers.csv").unwrap_err();
        assert_eq!(
            e.message(),
            "customers.csv line 2: version must be a whole number, got \"v1\". \
             Correct the file and try again"
        );
    }

    #[test]
    fn a_repeated_id_is_refused() {
        let bytes = file_with(&[
            &[("id", "C-000001"), ("name", "Ann"), ("active", "true")],
            &[("id", "C-000001"), ("name", "Bob"), ("active", "true")],
        ]);
        let e = parse_table(bytes.as_bytes(), "customers.csv").unwrap_err();
        assert_eq!(
            e.message(),
            "customers.csv line 3: id C-000001 is also on line 2; ids must be unique. \
             Correct the file and try again"
        );
    }

    #[test]
    fn a_pushed_customer_needs_a_name() {
        let e = validate(minimal("  ")).unwrap_err();
        assert!(matches!(e, ConnectorError::Validation(_)), "{e:?}");
        assert_eq!(
            e.message(),
            "name is required; every customer needs a display name"
        );
        assert_eq!(e.field(), Some("name"));
    }

    #[test]
    fn pushing_what_the_file_already_holds_is_unchanged() {
        let mut table = vec![full()];
        // What the host sends back: its own key, the version it read, empty text where the
        // file has nothing, and no `updated_at`.
        let mut again = full();
        again.key = "tp:customer:17".into();
        again.updated_at = None;
        again.account_number = Some("SMI001".into());
        again.currency = Some("NZD".into());
        again.phone = Some("+64 9 555 0100".into());
        if let Some(a) = again.shipping_address.as_mut() {
            a.line1 = Some(String::new());
        }
        let w = upsert(
            &mut table,
            again,
            target("customers.csv"),
            "2026-12-01T00:00:00Z",
        )
        .unwrap();
        assert_eq!(w.action, WriteAction::Unchanged);
        assert_eq!(w.version.as_deref(), Some("3"));
        assert_eq!(table[0].updated_at.as_deref(), Some("2026-11-22T01:21:27Z"));

        let mut changed = full();
        changed.email = Some("robert@smith.example".into());
        let w = upsert(
            &mut table,
            changed,
            target("customers.csv"),
            "2026-12-01T00:00:00Z",
        )
        .unwrap();
        assert_eq!(w.action, WriteAction::Updated);
        assert_eq!(w.version.as_deref(), Some("4"));
        assert_eq!(table[0].email.as_deref(), Some("robert@smith.example"));
        assert_eq!(table[0].updated_at.as_deref(), Some("2026-12-01T00:00:00Z"));
    }

    #[test]
    fn a_replayed_key_answers_the_first_result_and_writes_nothing() {
        let mut table = Vec::new();
        let mut ann = minimal("Ann");
        ann.idempotency_key = Some("k1".into());
        let target = target("customers.csv");
        let first = upsert(&mut table, ann.clone(), target, "2026-11-22T01:00:00Z").unwrap();
        assert_eq!(first.action, WriteAction::Created);
        let again = upsert(&mut table, ann.clone(), target, "2026-11-22T02:00:00Z").unwrap();
        assert_eq!(
            (again.remote_id, again.action),
            (first.remote_id.clone(), WriteAction::Created)
        );
        assert_eq!(table.len(), 1);
        // Through the file too: the key is kept in its column.
        let bytes = serialize_table(&table).unwrap();
        let mut back = parse_table(&bytes, "customers.csv").unwrap();
        let replayed = upsert(&mut back, ann.clone(), target, "2026-11-22T03:00:00Z").unwrap();
        assert_eq!(replayed.remote_id, first.remote_id);
        assert_eq!(back.len(), 1);
        // An update under its own key, replayed with its old version: its result again, not
        // stale.
        let mut update = back[0].clone();
        update.email = Some("ann@example.com".into());
        update.idempotency_key = Some("k2".into());
        let updated = upsert(&mut back, update.clone(), target, "2026-11-22T04:00:00Z").unwrap();
        assert_eq!(updated.version.as_deref(), Some("2"));
        let again = upsert(&mut back, update, target, "2026-11-22T05:00:00Z").unwrap();
        assert_eq!(
            (again.action, again.version.as_deref()),
            (WriteAction::Updated, Some("2"))
        );
        // Another key with the same content is a new record.
        ann.idempotency_key = Some("k3".into());
        let other = upsert(&mut back, ann, target, "2026-11-22T06:00:00Z").unwrap();
        assert_ne!(other.remote_id, first.remote_id);
    }

    #[test]
    fn a_file_without_the_idempotency_key_column_still_reads() {
        let old = "id,version,name,account_number,contact_name,email,phone,tax_number,billing_line1,\
                   billing_line2,billing_city,billing_region,billing_postal_code,billing_country,\
                   shipping_line1,shipping_line2,shipping_city,shipping_region,shipping_postal_code,\
                   shipping_country,currency,active,updated_at\n\
                   C-000001,1,Ann,,,,,,,,,,,,,,,,,,,true,\n";
        let table = parse_table(old.as_bytes(), "customers.csv").unwrap();
        assert_eq!(table.len(), 1);
        assert_eq!(table[0].idempotency_key, None);
    }

    #[test]
    fn a_deleted_records_id_is_not_handed_out_again() {
        let mut table = vec![full()];
        let removed =
            crate::upsert::remove(&mut table, "C-000001", target("customers.csv")).unwrap();
        assert_eq!(removed.remote_id.as_deref(), Some("C-000001"));
        let issued = Target {
            issued: 1,
            ..target("customers.csv")
        };
        let next = upsert(&mut table, minimal("Bob"), issued, "2026-11-22T01:00:00Z").unwrap();
        assert_eq!(next.remote_id, "C-000002");
    }
}

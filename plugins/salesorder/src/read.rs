//! Reading workbooks the admin drops into the folder, with `calamine`: the header row of a
//! blank template downloaded from Salesorder, and a customers export from Salesorder.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::layout::{Layouts, normalise};
use crate::state::KnownCustomer;
use crate::stored::{StoredAddress, StoredCustomer, fingerprint};

/// Why a dropped-in workbook cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("{file} is not an .xlsx workbook ({reason}); save it as .xlsx and try again")]
    NotXlsx { file: String, reason: String },
    #[error(
        "{file} has no sheet {sheet:?} (it has {found}); use the template downloaded from Salesorder"
    )]
    NoSheet {
        file: String,
        sheet: String,
        found: String,
    },
    #[error("{file}, sheet {sheet:?}: no header row found (a row with at least two headers)")]
    NoHeader { file: String, sheet: String },
    #[error("{file}: no column holds the customer's name (looked for {looked})")]
    NoName { file: String, looked: String },
}

/// A sheet read as text: its name, its header row, the rows below it.
type Table = (String, Vec<String>, Vec<Vec<String>>);

fn open(bytes: Vec<u8>, file: &str) -> Result<Xlsx<Cursor<Vec<u8>>>, ReadError> {
    Xlsx::new(Cursor::new(bytes)).map_err(|e: calamine::XlsxError| ReadError::NotXlsx {
        file: file.to_owned(),
        reason: e.to_string(),
    })
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.trim().to_owned(),
        Data::Float(f) => format!("{f}"),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// The rows of `sheet` (case-insensitive; or the only sheet not named like "instructions")
/// as text, from its header row (the first row with at least two non-empty cells) on.
fn table(bytes: Vec<u8>, file: &str, sheet: Option<&str>) -> Result<Table, ReadError> {
    let mut book = open(bytes, file)?;
    let names = book.sheet_names();
    let chosen = match sheet {
        Some(s) => names.iter().find(|n| n.eq_ignore_ascii_case(s)).cloned(),
        None => None,
    }
    .or_else(|| {
        let data: Vec<&String> = names
            .iter()
            .filter(|n| !n.to_lowercase().contains("instruction"))
            .collect();
        (data.len() == 1 || sheet.is_none())
            .then(|| data.first().map(|s| (*s).clone()))
            .flatten()
    });
    let Some(chosen) = chosen else {
        return Err(ReadError::NoSheet {
            file: file.to_owned(),
            sheet: sheet.unwrap_or_default().to_owned(),
            found: names.join(", "),
        });
    };
    let range = book
        .worksheet_range(&chosen)
        .map_err(|e| ReadError::NotXlsx {
            file: file.to_owned(),
            reason: e.to_string(),
        })?;
    let mut rows = range.rows().map(|r| r.iter().map(text).collect::<Vec<_>>());
    let header = rows
        .by_ref()
        .find(|r| r.iter().filter(|c| !c.is_empty()).count() >= 2)
        .ok_or_else(|| ReadError::NoHeader {
            file: file.to_owned(),
            sheet: chosen.clone(),
        })?;
    let last = header
        .iter()
        .rposition(|h| !h.is_empty())
        .map_or(0, |p| p + 1);
    let header = header[..last].to_vec();
    Ok((chosen, header, rows.collect()))
}

/// The header row of the admin's blank template for `sheet`.
pub fn template_headers(bytes: Vec<u8>, file: &str, sheet: &str) -> Result<Vec<String>, ReadError> {
    table(bytes, file, Some(sheet)).map(|(_, h, _)| h)
}

/// The customers of a Salesorder customers export: columns found through the synonyms of
/// the customer fields; rows without a name are skipped. Ids: `X-` + the account number
/// when there is one, else `X-` + a hash of the name (names need not be unique in
/// Salesorder, so the account number is the better key).
pub fn customers_export(
    bytes: Vec<u8>,
    file: &str,
    layouts: &Layouts,
) -> Result<Vec<KnownCustomer>, ReadError> {
    let (_, header, rows) = table(bytes, file, None)?;
    let at = |field: &str| -> Option<usize> {
        let names = layouts.synonyms.get(field)?;
        header
            .iter()
            .position(|h| names.iter().any(|n| normalise(n) == normalise(h)))
    };
    let name_at = at("customer.name").ok_or_else(|| ReadError::NoName {
        file: file.to_owned(),
        looked: layouts
            .synonyms
            .get("customer.name")
            .map(|n| n.join(", "))
            .unwrap_or_default(),
    })?;
    let cols: Vec<(&str, Option<usize>)> = [
        "customer.account-number",
        "customer.currency",
        "customer.contact-name",
        "customer.email",
        "customer.phone",
        "customer.tax-number",
        "customer.billing.line1",
        "customer.billing.line2",
        "customer.billing.city",
        "customer.billing.region",
        "customer.billing.postal-code",
        "customer.billing.country",
    ]
    .into_iter()
    .map(|f| (f, at(f)))
    .collect();
    let mut out = Vec::new();
    for row in rows {
        let cell = |i: Option<usize>| {
            i.and_then(|i| row.get(i))
                .filter(|v| !v.is_empty())
                .cloned()
        };
        let Some(name) = cell(Some(name_at)) else {
            continue;
        };
        let get = |f: &str| cell(cols.iter().find(|(c, _)| *c == f).and_then(|(_, i)| *i));
        let billing = StoredAddress {
            line1: get("customer.billing.line1"),
            line2: get("customer.billing.line2"),
            city: get("customer.billing.city"),
            region: get("customer.billing.region"),
            postal_code: get("customer.billing.postal-code"),
            country: get("customer.billing.country"),
        };
        let customer = StoredCustomer {
            name: name.clone(),
            account_number: get("customer.account-number"),
            contact_name: get("customer.contact-name"),
            email: get("customer.email"),
            phone: get("customer.phone"),
            tax_number: get("customer.tax-number"),
            billing_address: (billing != StoredAddress::default()).then_some(billing),
            shipping_address: None,
            currency: get("customer.currency"),
            active: true,
        };
        let id = match &customer.account_number {
            Some(a) if a.len() <= 200 => format!("X-{a}"),
            _ => format!("X-{}", &fingerprint(&name)[..16]),
        };
        if out.iter().any(|k: &KnownCustomer| k.id == id) {
            continue;
        }
        out.push(KnownCustomer { id, customer });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::sheet::{Cell, Sheet, workbook};

    #[test]
    fn a_customers_export_is_read_by_synonyms() {
        let bytes = workbook(&[Sheet {
            name: "Customers".into(),
            headers: vec!["Company".into(), "Customer Code".into(), "E-mail".into()],
            rows: vec![
                vec![
                    Cell::Text("Harbour Plumbing Ltd".into()),
                    Cell::Text("1001".into()),
                    Cell::Text("a@h.example".into()),
                ],
                vec![Cell::Empty, Cell::Text("9".into()), Cell::Empty],
                vec![Cell::Text("Nameless Co".into()), Cell::Empty, Cell::Empty],
            ],
        }])
        .unwrap();
        let l = Layouts::shipped().unwrap();
        let got = customers_export(bytes, "export.xlsx", &l).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].id, "X-1001");
        assert_eq!(got[0].customer.email.as_deref(), Some("a@h.example"));
        assert!(got[1].id.starts_with("X-") && got[1].id.len() == 18);
    }
}

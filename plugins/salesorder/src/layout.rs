//! Template layouts are data: `layouts/default.json` ships ledgerlink's default column lists
//! (each column marked documented or proposed) and the synonyms table that maps the header
//! of a template downloaded from a Salesorder account to the field that fills it.
//!
//! [`Layout::resolve`] turns a template (default, or the header row of the admin's blank
//! template) into the columns to write: each header with the field that fills it, then the
//! fields the template lacks as extra columns after its last column — `$Label` for a
//! standard Salesorder field, the bare label for a custom field (`Tracker Pro Number`), as
//! Salesorder documents extra columns. A header the admin marked required (`*` or
//! `(required)` after it) that no field fills is refused, naming it.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The shipped layouts, compiled in.
const DEFAULT_LAYOUTS: &str = include_str!("../layouts/default.json");

/// The layouts file.
#[derive(Debug, Clone, Deserialize)]
pub struct Layouts {
    /// One per template sheet.
    pub templates: Vec<Template>,
    /// Field → header names that mean it.
    pub synonyms: BTreeMap<String, Vec<String>>,
}

/// One template sheet's default layout.
#[derive(Debug, Clone, Deserialize)]
pub struct Template {
    /// `customers`, `sales-invoices`, `sales-orders` or `journals`.
    pub id: String,
    /// Salesorder's name of the template (its `Setup > Import Data` entry).
    pub title: String,
    /// The blank template's file name in the connection's `templates/` folder.
    pub file: String,
    /// The sheet's tab name.
    pub sheet: String,
    /// The default columns, in order.
    pub columns: Vec<Column>,
}

/// One default column.
#[derive(Debug, Clone, Deserialize)]
pub struct Column {
    /// The header written.
    pub header: String,
    /// The field that fills it.
    pub field: String,
    /// Every row must have a value.
    pub required: bool,
    /// Whether Salesorder documents this header (false: ledgerlink's proposal).
    pub documented: bool,
}

/// Why a template cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// The shipped file does not parse (a build mistake, caught by a unit test).
    #[error("the built-in Salesorder layouts do not parse: {0}")]
    Shipped(String),
    /// No template with this id.
    #[error("no Salesorder template layout {0:?}")]
    Unknown(String),
    /// A required column of the admin's template that ledgerlink cannot fill.
    #[error(
        "{file}, sheet {sheet:?}: required column {header:?} cannot be filled from Tracker Pro (no field of ledgerlink's synonyms table matches it); remove the column from the template or fill it in Salesorder after the upload"
    )]
    Unfillable {
        /// The template file.
        file: String,
        /// The sheet.
        sheet: String,
        /// The header.
        header: String,
    },
}

/// A column to write: its header, and the field filling it (`None`: left empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The header as written.
    pub header: String,
    /// The field, when one fills it.
    pub field: Option<String>,
}

impl Layouts {
    /// The shipped layouts.
    pub fn shipped() -> Result<Layouts, LayoutError> {
        serde_json::from_str(DEFAULT_LAYOUTS).map_err(|e| LayoutError::Shipped(e.to_string()))
    }

    /// The layout of template `id`.
    pub fn template(&self, id: &str) -> Result<&Template, LayoutError> {
        self.templates
            .iter()
            .find(|t| t.id == id)
            .ok_or_else(|| LayoutError::Unknown(id.to_owned()))
    }

    /// The columns to write for template `id`: its default columns, or — when `admin` holds
    /// the header row of the admin's blank template — those headers in their order, each
    /// filled by the field it names (exactly as our default header, or through the synonyms
    /// table), then the template's missing fields as extra columns.
    pub fn resolve(
        &self,
        id: &str,
        admin: Option<&[String]>,
    ) -> Result<Vec<Resolved>, LayoutError> {
        let template = self.template(id)?;
        let Some(headers) = admin else {
            return Ok(template
                .columns
                .iter()
                .map(|c| Resolved {
                    header: c.header.clone(),
                    field: Some(c.field.clone()),
                })
                .collect());
        };
        let mut used: Vec<&str> = Vec::new();
        let mut out = Vec::new();
        for header in headers {
            let field = self.field_for(template, header, &used);
            if let Some(f) = field {
                used.push(f);
            } else if is_marked_required(header) {
                return Err(LayoutError::Unfillable {
                    file: template.file.clone(),
                    sheet: template.sheet.clone(),
                    header: header.clone(),
                });
            }
            out.push(Resolved {
                header: header.clone(),
                field: field.map(str::to_owned),
            });
        }
        for c in &template.columns {
            if !used.contains(&c.field.as_str()) {
                out.push(Resolved {
                    header: extra_header(c),
                    field: Some(c.field.clone()),
                });
            }
        }
        Ok(out)
    }

    /// The field of `template` a header names: our own header first, then the synonyms, in
    /// the template's column order; a field already used by an earlier header is skipped.
    fn field_for<'a>(
        &'a self,
        template: &'a Template,
        header: &str,
        used: &[&str],
    ) -> Option<&'a str> {
        let want = normalise(header);
        let free = |c: &&Column| !used.contains(&c.field.as_str());
        template
            .columns
            .iter()
            .filter(free)
            .find(|c| normalise(&c.header) == want)
            .or_else(|| {
                template.columns.iter().filter(free).find(|c| {
                    self.synonyms
                        .get(&c.field)
                        .is_some_and(|names| names.iter().any(|n| normalise(n) == want))
                })
            })
            .map(|c| c.field.as_str())
    }
}

/// An extra column's header: custom fields (ours, such as `Tracker Pro Number`, which the
/// layout marks documented as a custom-field column) by their label, standard ones as `$Label`.
fn extra_header(c: &Column) -> String {
    if c.field.ends_with("tracker-pro-number")
        || c.field.ends_with("tracker-pro-id")
        || c.field == "doc.source"
    {
        c.header.clone()
    } else {
        format!("${}", c.header)
    }
}

/// A header marked mandatory by the admin: ends with `*` or `(required)`.
fn is_marked_required(header: &str) -> bool {
    let h = header.trim().to_lowercase();
    h.ends_with('*') || h.ends_with("(required)")
}

/// Headers compared without case, spaces, punctuation other than `#` and `%`, a leading `$`
/// and a trailing required mark.
pub fn normalise(header: &str) -> String {
    let h = header.trim().to_lowercase();
    let h = h.strip_suffix("(required)").unwrap_or(&h);
    let h = h.strip_prefix('$').unwrap_or(h);
    h.chars()
        .filter(|c| c.is_alphanumeric() || *c == '#' || *c == '%')
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_shipped_layouts_parse_and_every_field_has_synonyms() {
        let l = Layouts::shipped().unwrap();
        for id in ["customers", "sales-invoices", "sales-orders", "journals"] {
            let t = l.template(id).unwrap();
            for c in &t.columns {
                assert!(l.synonyms.contains_key(&c.field), "{}: {}", id, c.field);
            }
        }
    }

    #[test]
    fn an_admin_template_is_filled_by_name_and_missing_fields_go_after_it() {
        let l = Layouts::shipped().unwrap();
        let cols = l
            .resolve(
                "sales-invoices",
                Some(&headers(&[
                    "Invoice Number",
                    "Customer Name*",
                    "Invoice Date",
                    "Qty",
                    "Warehouse",
                ])),
            )
            .unwrap();
        let pairs: Vec<(&str, Option<&str>)> = cols
            .iter()
            .take(6)
            .map(|c| (c.header.as_str(), c.field.as_deref()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("Invoice Number", Some("doc.ref")),
                ("Customer Name*", Some("doc.customer")),
                ("Invoice Date", Some("doc.date")),
                ("Qty", Some("line.quantity")),
                ("Warehouse", None),
                ("$Customer Account Number", Some("doc.customer-account")),
            ]
        );
        assert!(cols.iter().any(|c| c.header == "$Status"));
        assert!(cols.iter().any(|c| c.header == "Tracker Pro Number"));
    }

    #[test]
    fn a_required_column_nothing_fills_is_refused_by_name() {
        let l = Layouts::shipped().unwrap();
        let e = l
            .resolve(
                "customers",
                Some(&headers(&["Customer Name", "Payment Terms*"])),
            )
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Customers.xlsx, sheet \"Customers\": required column \"Payment Terms*\" cannot be filled from Tracker Pro (no field of ledgerlink's synonyms table matches it); remove the column from the template or fill it in Salesorder after the upload"
        );
    }
}

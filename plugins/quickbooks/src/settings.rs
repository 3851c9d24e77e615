//! The connection's settings: keys, descriptions and defaults declared once (for the
//! manifest and for parsing), and parsing from a lookup function so it is testable natively.
//! [`Settings::load`] is the one place that calls the `config` import.

use std::collections::BTreeMap;

use ledgerlink_sdk::config;
use ledgerlink_sdk::error;
use ledgerlink_sdk::types::{ConnectorError, InvoiceKind};

use crate::map::invoice::{Codes, InvoiceRules, KindMarkers};

/// One setting: key, meaning, whether required, default.
#[derive(Debug, Clone, Copy)]
pub struct SettingSpec {
    /// Key passed to `config::get`.
    pub key: &'static str,
    /// What it means, for the admin.
    pub description: &'static str,
    /// Whether a connection must set it.
    pub required: bool,
    /// Value used when unset.
    pub default: Option<&'static str>,
}

/// The QuickBooks company id, stored by the host from the OAuth callback's `realmId`.
pub const REALM_ID: SettingSpec = SettingSpec {
    key: "realm-id",
    description: "QuickBooks company id (realmId). Set when the connection is connected; digits only.",
    required: true,
    default: None,
};
/// The API origin.
pub const API_BASE: SettingSpec = SettingSpec {
    key: "api-base",
    description: "QuickBooks Accounting API base URL: https://quickbooks.api.intuit.com for live companies, \
                  https://sandbox-quickbooks.api.intuit.com for Intuit developer sandbox companies.",
    required: false,
    default: Some("https://quickbooks.api.intuit.com"),
};
/// Item code → Item Id.
pub const ITEMS: SettingSpec = SettingSpec {
    key: "items",
    description: "Invoice line item codes mapped to QuickBooks Item Ids, as code=Id pairs separated by commas, \
                  e.g. \"LABOUR=1,PARTS=2\". A line whose item code is not listed is refused.",
    required: false,
    default: Some(""),
};
/// Item for lines without an item code.
pub const DEFAULT_ITEM: SettingSpec = SettingSpec {
    key: "default-item",
    description: "QuickBooks Item Id used for invoice lines without an item code. Without it such lines are refused.",
    required: false,
    default: None,
};
/// Tax code → TaxCode Id.
pub const TAX_CODES: SettingSpec = SettingSpec {
    key: "tax-codes",
    description: "Invoice line tax codes mapped to QuickBooks TaxCode Ids, as code=Id pairs separated by commas, \
                  e.g. \"TAX=TAX,NONE=NON\" (US) or \"GST=3,EXEMPT=5\". A line whose tax code is not listed is refused.",
    required: false,
    default: Some(""),
};
/// Tax code for lines without one.
pub const DEFAULT_TAX_CODE: SettingSpec = SettingSpec {
    key: "default-tax-code",
    description: "QuickBooks TaxCode Id used for invoice lines without a tax code. Without it such lines are sent without TaxCodeRef.",
    required: false,
    default: None,
};
/// PrivateNote marker of job invoices.
pub const JOB_MARKER: SettingSpec = SettingSpec {
    key: "job-marker",
    description: "Text a job invoice's PrivateNote (internal memo) starts with, followed by the job reference; \
                  pulls tell job invoices by it.",
    required: false,
    default: Some("Tracker Pro job"),
};
/// PrivateNote marker of contract invoices.
pub const CONTRACT_MARKER: SettingSpec = SettingSpec {
    key: "contract-marker",
    description: "Text a contract invoice's PrivateNote (internal memo) starts with, followed by the contract reference; \
                  pulls tell contract invoices by it.",
    required: false,
    default: Some("Tracker Pro contract"),
};
/// Kind of invoices carrying neither marker.
pub const UNMARKED_INVOICES: SettingSpec = SettingSpec {
    key: "unmarked-invoices",
    description: "What pulls do with invoices whose PrivateNote starts with neither marker (made in QuickBooks, or voided): \
                  \"job\", \"contract\", or \"skip\".",
    required: false,
    default: Some("job"),
};

/// Every setting, in manifest order.
pub const ALL: [SettingSpec; 9] = [
    REALM_ID,
    API_BASE,
    ITEMS,
    DEFAULT_ITEM,
    TAX_CODES,
    DEFAULT_TAX_CODE,
    JOB_MARKER,
    CONTRACT_MARKER,
    UNMARKED_INVOICES,
];

/// A connection's parsed settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The company id.
    pub realm_id: String,
    /// API base URL, without a trailing '/'.
    pub api_base: String,
    /// Invoice mapping rules.
    pub invoices: InvoiceRules,
}

impl Settings {
    /// Read and parse the settings from the host.
    pub fn load() -> Result<Self, ConnectorError> {
        Self::from_lookup(config::get)
    }

    /// Parse settings from `lookup` (key → value, `None` when unset).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConnectorError> {
        let value = |spec: &SettingSpec| {
            lookup(spec.key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .or_else(|| spec.default.map(str::to_owned))
                .filter(|v| !v.is_empty())
        };

        let realm_id = value(&REALM_ID).ok_or_else(|| {
            error::validation(
                "setting realm-id is not set; connect the connection (`ledgerlink connect <connection>`) so QuickBooks' \
                 realmId is stored, or set realm-id to the company id",
            )
        })?;
        if !realm_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(error::validation(format!(
                "setting realm-id is {realm_id:?}; it must be the QuickBooks company id, digits only (e.g. \"9130347596348486\")"
            )));
        }

        let api_base = value(&API_BASE).unwrap_or_default();
        let api_base = api_base.trim_end_matches('/').to_owned();
        let rest = api_base
            .strip_prefix("https://")
            .or_else(|| api_base.strip_prefix("http://"));
        if rest.is_none_or(|r| r.is_empty() || r.contains(['?', '#', ' '])) {
            return Err(error::validation(format!(
                "setting api-base is {api_base:?}; give the API's base URL, e.g. \"https://quickbooks.api.intuit.com\""
            )));
        }

        let items = parse_pairs(&ITEMS, value(&ITEMS).as_deref().unwrap_or(""))?;
        let tax_codes = parse_pairs(&TAX_CODES, value(&TAX_CODES).as_deref().unwrap_or(""))?;
        let default_item = value(&DEFAULT_ITEM);
        let default_tax_code = value(&DEFAULT_TAX_CODE);
        for (spec, id) in [
            (&DEFAULT_ITEM, &default_item),
            (&DEFAULT_TAX_CODE, &default_tax_code),
        ] {
            if let Some(id) = id
                && id.contains([',', '='])
            {
                return Err(error::validation(format!(
                    "setting {} is {id:?}; give one QuickBooks Id, e.g. \"1\"",
                    spec.key
                )));
            }
        }

        let job = value(&JOB_MARKER).unwrap_or_default();
        let contract = value(&CONTRACT_MARKER).unwrap_or_default();
        if job == contract {
            return Err(error::validation(format!(
                "settings job-marker and contract-marker are both {job:?}; they must differ, or pulled invoices cannot be told apart"
            )));
        }
        for (spec, marker) in [(&JOB_MARKER, &job), (&CONTRACT_MARKER, &contract)] {
            if marker.starts_with("Voided") {
                return Err(error::validation(format!(
                    "setting {} is {marker:?}; it may not start with \"Voided\", which QuickBooks writes on voided invoices",
                    spec.key
                )));
            }
        }
        let unmarked = match value(&UNMARKED_INVOICES).as_deref() {
            Some("job") => Some(InvoiceKind::Job),
            Some("contract") => Some(InvoiceKind::Contract),
            Some("skip") => None,
            other => {
                return Err(error::validation(format!(
                    "setting unmarked-invoices is {:?}; use \"job\", \"contract\" or \"skip\"",
                    other.unwrap_or("")
                )));
            }
        };

        Ok(Settings {
            realm_id,
            api_base,
            invoices: InvoiceRules {
                codes: Codes {
                    items,
                    default_item,
                    tax_codes,
                    default_tax_code,
                },
                markers: KindMarkers {
                    job,
                    contract,
                    unmarked,
                },
            },
        })
    }

    /// `{api-base}/v3/company/{realm-id}`.
    pub fn company_url(&self) -> String {
        format!("{}/v3/company/{}", self.api_base, self.realm_id)
    }
}

/// Parse "code=Id,code=Id".
fn parse_pairs(spec: &SettingSpec, text: &str) -> Result<BTreeMap<String, String>, ConnectorError> {
    let mut map = BTreeMap::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let bad = |why: &str| {
            error::validation(format!(
                "setting {}: entry {entry:?} {why}; write code=Id pairs separated by commas, e.g. {:?}",
                spec.key,
                if spec.key == ITEMS.key {
                    "LABOUR=1,PARTS=2"
                } else {
                    "TAX=TAX,NONE=NON"
                }
            ))
        };
        let (code, id) = entry.split_once('=').ok_or_else(|| bad("has no '='"))?;
        let (code, id) = (code.trim(), id.trim());
        if code.is_empty() || id.is_empty() {
            return Err(bad("needs both a code and an Id"));
        }
        if id.contains('=') {
            return Err(bad("has more than one '='"));
        }
        if map.insert(code.to_owned(), id.to_owned()).is_some() {
            return Err(bad("repeats a code given earlier"));
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledgerlink_sdk::error::ConnectorErrorExt;

    fn parse(pairs: &[(&str, &str)]) -> Result<Settings, ConnectorError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        Settings::from_lookup(|key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
    }

    #[test]
    fn defaults_apply() {
        let s = parse(&[("realm-id", "9341453172470495")]).expect("valid");
        assert_eq!(s.api_base, "https://quickbooks.api.intuit.com");
        assert_eq!(
            s.company_url(),
            "https://quickbooks.api.intuit.com/v3/company/9341453172470495"
        );
        assert!(s.invoices.codes.items.is_empty());
        assert_eq!(s.invoices.codes.default_item, None);
        assert_eq!(s.invoices.markers, KindMarkers::default());
    }

    #[test]
    fn everything_parses() {
        let s = parse(&[
            ("realm-id", "123"),
            ("api-base", "https://sandbox-quickbooks.api.intuit.com/"),
            ("items", " LABOUR=1, PARTS = 2 ,"),
            ("default-item", "9"),
            ("tax-codes", "TAX=TAX,NONE=NON"),
            ("default-tax-code", "NON"),
            ("job-marker", "JOB"),
            ("contract-marker", "SVC"),
            ("unmarked-invoices", "skip"),
        ])
        .expect("valid");
        assert_eq!(s.api_base, "https://sandbox-quickbooks.api.intuit.com");
        assert_eq!(
            s.invoices.codes.items,
            BTreeMap::from([("LABOUR".into(), "1".into()), ("PARTS".into(), "2".into())])
        );
        assert_eq!(
            s.invoices.codes.tax_codes.get("NONE").map(String::as_str),
            Some("NON")
        );
        assert_eq!(s.invoices.codes.default_item.as_deref(), Some("9"));
        assert_eq!(s.invoices.codes.default_tax_code.as_deref(), Some("NON"));
        assert_eq!(s.invoices.markers.unmarked, None);
    }

    #[test]
    fn bad_settings_name_the_setting_and_the_fix() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[],
                "setting realm-id is not set; connect the connection (`ledgerlink connect <connection>`) so QuickBooks' realmId is stored, or set realm-id to the company id",
            ),
            (
                &[("realm-id", "abc")],
                "setting realm-id is \"abc\"; it must be the QuickBooks company id, digits only (e.g. \"9130347596348486\")",
            ),
            (
                &[("realm-id", "1"), ("items", "LABOUR")],
                "setting items: entry \"LABOUR\" has no '='; write code=Id pairs separated by commas, e.g. \"LABOUR=1,PARTS=2\"",
            ),
            (
                &[("realm-id", "1"), ("items", "A=1,A=2")],
                "setting items: entry \"A=2\" repeats a code given earlier; write code=Id pairs separated by commas, e.g. \"LABOUR=1,PARTS=2\"",
            ),
            (
                &[("realm-id", "1"), ("tax-codes", "=NON")],
                "setting tax-codes: entry \"=NON\" needs both a code and an Id; write code=Id pairs separated by commas, e.g. \"TAX=TAX,NONE=NON\"",
            ),
            (
                &[("realm-id", "1"), ("api-base", "quickbooks.api.intuit.com")],
                "setting api-base is \"quickbooks.api.intuit.com\"; give the API's base URL, e.g. \"https://quickbooks.api.intuit.com\"",
            ),
            (
                &[("realm-id", "1"), ("unmarked-invoices", "both")],
                "setting unmarked-invoices is \"both\"; use \"job\", \"contract\" or \"skip\"",
            ),
            (
                &[
                    ("realm-id", "1"),
                    ("job-marker", "X"),
                    ("contract-marker", "X"),
                ],
                "settings job-marker and contract-marker are both \"X\"; they must differ, or pulled invoices cannot be told apart",
            ),
            (
                &[("realm-id", "1"), ("default-item", "1,2")],
                "setting default-item is \"1,2\"; give one QuickBooks Id, e.g. \"1\"",
            ),
        ];
        for (pairs, want) in cases {
            let e = parse(pairs).expect_err(want);
            assert!(matches!(e, ConnectorError::Validation(_)), "{e:?}");
            assert_eq!(e.message(), *want);
        }
    }

    #[test]
    fn manifest_settings_match_the_parser_defaults() {
        assert_eq!(ALL.iter().filter(|s| s.required).count(), 1);
        assert_eq!(ALL[0].key, "realm-id");
        for s in ALL {
            assert!(!s.description.is_empty(), "{}", s.key);
        }
    }
}

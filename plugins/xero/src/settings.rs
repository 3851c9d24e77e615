//! The connection's settings: which organisation, where lines post, how tax codes map.
//!
//! Each key, description and default is declared once here and used both by the manifest
//! and by [`Settings::from_lookup`], so an unset key means the same thing on both sides.
//! Parsing takes a lookup function, so it is tested natively; [`Settings::load`] is the one
//! place that reads the host's `config`.

use ledgerlink_sdk::config;
use ledgerlink_sdk::error;
use ledgerlink_sdk::types::ConnectorError;

use crate::map::{CodeMap, Mapping, NewInvoiceStatus};

/// One setting: key, what it means, whether it is required, and its default.
#[derive(Debug, Clone, Copy)]
pub struct SettingSpec {
    /// Key passed to `config::get`.
    pub key: &'static str,
    /// What it means, for the admin.
    pub description: &'static str,
    /// Whether a connection must set it.
    pub required: bool,
    /// Value used when the connection does not set it.
    pub default: Option<&'static str>,
}

/// The Xero organisation, chosen by the admin after connecting.
pub const TENANT_ID: SettingSpec = SettingSpec {
    key: "tenant-id",
    description: "Xero organisation (tenant id) this connection works on. The host sets it when the \
                  admin picks an organisation after connecting; it is sent as xero-tenant-id.",
    required: true,
    default: None,
};

/// Scopes the host requests when connecting (read by the host, not the plugin).
pub const SCOPES: SettingSpec = SettingSpec {
    key: "scopes",
    description: "OAuth scopes to request, space-separated. Xero apps created from March 2026 use the \
                  granular default; apps created earlier must set \
                  \"accounting.transactions accounting.contacts accounting.settings.read offline_access\".",
    required: false,
    default: Some(GRANULAR_SCOPES),
};

/// Scopes of apps created from March 2026 (Xero's granular scopes).
pub const GRANULAR_SCOPES: &str = "accounting.invoices accounting.contacts accounting.settings.read \
                                   openid profile email offline_access";

/// `AccountCode` of lines with neither their own account nor a mapped item.
pub const DEFAULT_ACCOUNT_CODE: SettingSpec = SettingSpec {
    key: "default-account-code",
    description: "Revenue account code for invoice lines that name no account and no mapped item.",
    required: false,
    default: Some("200"),
};

/// Item code → account code.
pub const ITEM_ACCOUNTS: SettingSpec = SettingSpec {
    key: "item-accounts",
    description: "Revenue account per item code, as ITEM=ACCOUNT pairs separated by commas, \
                  e.g. \"LABOUR=200,PARTS=260\". Used for lines that name no account.",
    required: false,
    default: Some(""),
};

/// Canonical tax code → Xero tax type.
pub const TAX_TYPES: SettingSpec = SettingSpec {
    key: "tax-types",
    description: "Xero tax type per Tracker Pro tax code, as CODE=TAXTYPE pairs separated by commas, \
                  e.g. \"GST=OUTPUT2,EXEMPT=EXEMPTOUTPUT,NONE=NONE\". An unmapped code is sent as is.",
    required: false,
    default: Some(""),
};

/// Tax type of lines without a tax code.
pub const DEFAULT_TAX_TYPE: SettingSpec = SettingSpec {
    key: "default-tax-type",
    description: "Xero tax type for lines without a tax code, e.g. \"OUTPUT2\". Empty: Xero uses the \
                  account's default tax type (lines of no-tax invoices get NONE).",
    required: false,
    default: Some(""),
};

/// Status of pushed invoices.
pub const INVOICE_STATUS: SettingSpec = SettingSpec {
    key: "invoice-status",
    description: "Status pushed invoices get in Xero: DRAFT, SUBMITTED or AUTHORISED.",
    required: false,
    default: Some("AUTHORISED"),
};

/// Reference prefix of job invoices.
pub const JOB_REFERENCE_PREFIX: SettingSpec = SettingSpec {
    key: "job-reference-prefix",
    description: "Word put before a job invoice's reference in Xero (\"Job J-1001\"), by which pulled \
                  invoices are told to be job invoices. Empty: job invoices are not marked, and every \
                  sales invoice not marked as a contract invoice is pulled as a job invoice.",
    required: false,
    default: Some("Job"),
};

/// Reference prefix of contract invoices.
pub const CONTRACT_REFERENCE_PREFIX: SettingSpec = SettingSpec {
    key: "contract-reference-prefix",
    description: "Word put before a contract invoice's reference in Xero (\"Contract SC-7\"), by which \
                  pulled invoices are told to be contract invoices. Empty: as for job-reference-prefix.",
    required: false,
    default: Some("Contract"),
};

/// Records per page when pulling.
pub const PAGE_SIZE: SettingSpec = SettingSpec {
    key: "page-size",
    description: "Contacts or invoices per page when pulling, 1 to 1000 (Xero's maximum).",
    required: false,
    default: Some("1000"),
};

/// Base URL of the Accounting API.
pub const API_BASE: SettingSpec = SettingSpec {
    key: "api-base",
    description: "Base URL of Xero's Accounting API. Leave it unset; tests may point it elsewhere \
                  (its origin must still be an allowed host).",
    required: false,
    default: Some("https://api.xero.com/api.xro/2.0"),
};

/// Every setting, in the order the manifest lists them.
pub const ALL: [SettingSpec; 11] = [
    TENANT_ID,
    SCOPES,
    DEFAULT_ACCOUNT_CODE,
    ITEM_ACCOUNTS,
    TAX_TYPES,
    DEFAULT_TAX_TYPE,
    INVOICE_STATUS,
    JOB_REFERENCE_PREFIX,
    CONTRACT_REFERENCE_PREFIX,
    PAGE_SIZE,
    API_BASE,
];

/// Xero's largest page.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// The parsed settings of one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Sent as `xero-tenant-id`.
    pub tenant_id: String,
    /// Base URL without a trailing '/'.
    pub api_base: String,
    /// Records per pulled page, 1..=1000.
    pub page_size: u32,
    /// Everything that shapes the mapping.
    pub mapping: Mapping,
}

impl Settings {
    /// Read the settings from the host's `config` import.
    pub fn load() -> Result<Self, ConnectorError> {
        Self::from_lookup(config::get)
    }

    /// Parse settings from `lookup` (key → value, `None` when unset); unset or blank keys
    /// take their defaults. Every error names the setting and says what to write.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConnectorError> {
        let value = |spec: &SettingSpec| {
            lookup(spec.key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .or_else(|| spec.default.map(str::to_owned))
                .unwrap_or_default()
        };

        let tenant_id = value(&TENANT_ID);
        if tenant_id.is_empty() {
            return Err(error::validation(
                "setting tenant-id is not set; reconnect the connection and choose the Xero \
                 organisation to use (the host stores it in tenant-id)",
            ));
        }

        let api_base = value(&API_BASE).trim_end_matches('/').to_owned();
        if !(api_base.starts_with("https://") || api_base.starts_with("http://")) {
            return Err(error::validation(format!(
                "setting api-base must be an http(s) URL such as \"https://api.xero.com/api.xro/2.0\", \
                 got {api_base:?}; unset it to use Xero's"
            )));
        }

        let page_size = match value(&PAGE_SIZE).parse::<u32>() {
            Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
            _ => {
                return Err(error::validation(format!(
                    "setting page-size must be a whole number from 1 to {MAX_PAGE_SIZE}, got {:?}",
                    value(&PAGE_SIZE)
                )));
            }
        };

        let status_text = value(&INVOICE_STATUS);
        let invoice_status = NewInvoiceStatus::from_xero(&status_text).ok_or_else(|| {
            error::validation(format!(
                "setting invoice-status must be DRAFT, SUBMITTED or AUTHORISED, got {status_text:?}"
            ))
        })?;

        // A blank prefix is meaningful ("do not mark"), so it is not replaced by the default.
        let prefix = |spec: &SettingSpec| {
            lookup(spec.key)
                .map(|v| v.trim().to_owned())
                .unwrap_or_else(|| spec.default.unwrap_or_default().to_owned())
        };
        let job_reference_prefix = prefix(&JOB_REFERENCE_PREFIX);
        let contract_reference_prefix = prefix(&CONTRACT_REFERENCE_PREFIX);
        if job_reference_prefix.eq_ignore_ascii_case(&contract_reference_prefix) {
            return Err(error::validation(format!(
                "settings job-reference-prefix and contract-reference-prefix are both {job_reference_prefix:?}; \
                 give them different words (e.g. \"Job\" and \"Contract\") so pulled invoices can be told apart"
            )));
        }

        let default_tax_type = Some(value(&DEFAULT_TAX_TYPE)).filter(|t| !t.is_empty());

        Ok(Settings {
            tenant_id,
            api_base,
            page_size,
            mapping: Mapping {
                default_account_code: value(&DEFAULT_ACCOUNT_CODE),
                item_accounts: parse_pairs(&ITEM_ACCOUNTS, &value(&ITEM_ACCOUNTS))?,
                tax_types: parse_pairs(&TAX_TYPES, &value(&TAX_TYPES))?,
                default_tax_type,
                invoice_status,
                job_reference_prefix,
                contract_reference_prefix,
            },
        })
    }
}

/// `"A=1, B=2"` → `[("A","1"), ("B","2")]`; a key given twice is refused.
fn parse_pairs(spec: &SettingSpec, text: &str) -> Result<CodeMap, ConnectorError> {
    let example = match spec.key {
        "tax-types" => "GST=OUTPUT2,EXEMPT=EXEMPTOUTPUT",
        _ => "LABOUR=200,PARTS=260",
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = part
            .split_once('=')
            .map(|(k, v)| (k.trim(), v.trim()))
            .filter(|(k, v)| !k.is_empty() && !v.is_empty())
            .ok_or_else(|| {
                error::validation(format!(
                    "setting {}: {part:?} is not a CODE=VALUE pair; write pairs like \"{example}\"",
                    spec.key
                ))
            })?;
        if pairs.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
            return Err(error::validation(format!(
                "setting {}: {key:?} is mapped twice; keep one {key}=… pair",
                spec.key
            )));
        }
        pairs.push((key.to_owned(), value.to_owned()));
    }
    Ok(CodeMap(pairs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledgerlink_sdk::error::ConnectorErrorExt;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    fn err(pairs: &[(&str, &str)]) -> String {
        Settings::from_lookup(lookup(pairs))
            .expect_err("invalid")
            .message()
            .to_owned()
    }

    #[test]
    fn only_the_tenant_is_needed() {
        let s = Settings::from_lookup(lookup(&[("tenant-id", "fe79f7dd")])).expect("valid");
        assert_eq!(
            s,
            Settings {
                tenant_id: "fe79f7dd".into(),
                api_base: "https://api.xero.com/api.xro/2.0".into(),
                page_size: 1000,
                mapping: Mapping::default(),
            }
        );
    }

    #[test]
    fn every_setting_is_parsed() {
        let s = Settings::from_lookup(lookup(&[
            ("tenant-id", " t1 "),
            ("api-base", "http://127.0.0.1:9/xero/api.xro/2.0/"),
            ("page-size", "2"),
            ("default-account-code", "201"),
            ("item-accounts", "LABOUR=200, PARTS = 260,"),
            ("tax-types", "GST=OUTPUT2,EXEMPT=EXEMPTOUTPUT,NONE=NONE"),
            ("default-tax-type", "OUTPUT2"),
            ("invoice-status", "draft"),
            ("job-reference-prefix", ""),
            ("contract-reference-prefix", "SC"),
        ]))
        .expect("valid");
        assert_eq!(s.tenant_id, "t1");
        assert_eq!(s.api_base, "http://127.0.0.1:9/xero/api.xro/2.0");
        assert_eq!(s.page_size, 2);
        let m = &s.mapping;
        assert_eq!(m.default_account_code, "201");
        assert_eq!(
            m.item_accounts.0,
            vec![
                ("LABOUR".to_owned(), "200".to_owned()),
                ("PARTS".to_owned(), "260".to_owned())
            ]
        );
        assert_eq!(m.tax_types.get("EXEMPT"), Some("EXEMPTOUTPUT"));
        assert_eq!(m.default_tax_type.as_deref(), Some("OUTPUT2"));
        assert_eq!(m.invoice_status, NewInvoiceStatus::Draft);
        assert_eq!(m.job_reference_prefix, "");
        assert_eq!(m.contract_reference_prefix, "SC");
    }

    #[test]
    fn bad_settings_say_which_and_what_to_write() {
        assert_eq!(
            err(&[]),
            "setting tenant-id is not set; reconnect the connection and choose the Xero \
             organisation to use (the host stores it in tenant-id)"
        );
        assert_eq!(
            err(&[("tenant-id", "t"), ("invoice-status", "PAID")]),
            "setting invoice-status must be DRAFT, SUBMITTED or AUTHORISED, got \"PAID\""
        );
        assert_eq!(
            err(&[("tenant-id", "t"), ("item-accounts", "LABOUR:200")]),
            "setting item-accounts: \"LABOUR:200\" is not a CODE=VALUE pair; write pairs like \"LABOUR=200,PARTS=260\""
        );
        assert_eq!(
            err(&[("tenant-id", "t"), ("tax-types", "GST=OUTPUT2,=NONE")]),
            "setting tax-types: \"=NONE\" is not a CODE=VALUE pair; write pairs like \"GST=OUTPUT2,EXEMPT=EXEMPTOUTPUT\""
        );
        assert_eq!(
            err(&[("tenant-id", "t"), ("tax-types", "GST=OUTPUT2,gst=INPUT2")]),
            "setting tax-types: \"gst\" is mapped twice; keep one gst=… pair"
        );
        assert_eq!(
            err(&[("tenant-id", "t"), ("page-size", "5000")]),
            "setting page-size must be a whole number from 1 to 1000, got \"5000\""
        );
        assert_eq!(
            err(&[("tenant-id", "t"), ("api-base", "api.xero.com")]),
            "setting api-base must be an http(s) URL such as \"https://api.xero.com/api.xro/2.0\", \
             got \"api.xero.com\"; unset it to use Xero's"
        );
        assert_eq!(
            err(&[
                ("tenant-id", "t"),
                ("job-reference-prefix", "TP"),
                ("contract-reference-prefix", "tp")
            ]),
            "settings job-reference-prefix and contract-reference-prefix are both \"TP\"; give them \
             different words (e.g. \"Job\" and \"Contract\") so pulled invoices can be told apart"
        );
    }

    #[test]
    fn the_scopes_setting_defaults_to_the_granular_scopes() {
        assert_eq!(SCOPES.default, Some(GRANULAR_SCOPES));
        assert!(
            GRANULAR_SCOPES
                .split(' ')
                .any(|s| s == "accounting.invoices")
        );
        assert!(SCOPES.description.contains(
            "\"accounting.transactions accounting.contacts accounting.settings.read offline_access\""
        ));
    }
}

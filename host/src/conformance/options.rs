//! What the suite needs to build valid documents for a target: currency, tax code and rate,
//! revenue account, and how far it may go to see a second page.
//!
//! Each value comes from the command line, else from the connection's settings
//! (`conformance-currency`, `conformance-tax-code`, `conformance-tax-rate`,
//! `conformance-account-code`), else from defaults that fit the first-party connectors'
//! sandboxes (Xero's Demo Company (NZ): NZD, `OUTPUT2` 15 %, account 200; QuickBooks' sandbox
//! company: USD, `TAX` 8.5 %; anything else: NZD, `GST` 15 %, account 200).

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;

use super::ConformanceError;

/// The connection setting each option may be read from.
pub const CURRENCY_SETTING: &str = "conformance-currency";
/// See [`CURRENCY_SETTING`].
pub const TAX_CODE_SETTING: &str = "conformance-tax-code";
/// See [`CURRENCY_SETTING`].
pub const TAX_RATE_SETTING: &str = "conformance-tax-rate";
/// See [`CURRENCY_SETTING`].
pub const ACCOUNT_CODE_SETTING: &str = "conformance-account-code";

/// How many customers the paging check may create, at most, to get past one page.
pub const DEFAULT_PAGING_LIMIT: usize = 1_100;

/// Values given on the command line (each overrides the connection's setting).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// ISO 4217 code of the documents.
    pub currency: Option<String>,
    /// Tax code of every line.
    pub tax_code: Option<String>,
    /// Tax rate of that code, in percent ("15").
    pub tax_rate: Option<String>,
    /// Revenue account code of every line.
    pub account_code: Option<String>,
    /// Most customers the paging check may create.
    pub paging_limit: Option<usize>,
}

/// What the suite builds documents with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// ISO 4217 code of the documents.
    pub currency: String,
    /// Tax code of every line.
    pub tax_code: String,
    /// Tax rate of that code, in percent.
    pub tax_rate: Decimal,
    /// Revenue account code of every line, when the target takes one.
    pub account_code: Option<String>,
    /// Most customers the paging check may create.
    pub paging_limit: usize,
}

impl Options {
    /// The options for connector `connector` on a connection with `settings`.
    pub fn resolve(
        connector: &str,
        settings: &BTreeMap<String, String>,
        overrides: &Overrides,
    ) -> Result<Options, ConformanceError> {
        let (currency, tax_code, tax_rate, account_code) = match connector {
            "xero" => ("NZD", "OUTPUT2", "15", Some("200")),
            "quickbooks" => ("USD", "TAX", "8.5", None),
            _ => ("NZD", "GST", "15", Some("200")),
        };
        let pick = |given: &Option<String>, setting: &str, default: Option<&str>| {
            given
                .clone()
                .or_else(|| settings.get(setting).cloned())
                .or_else(|| default.map(str::to_owned))
                .filter(|v| !v.trim().is_empty())
        };
        let currency = pick(&overrides.currency, CURRENCY_SETTING, Some(currency))
            .unwrap_or_default()
            .to_ascii_uppercase();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(ConformanceError::Option(format!(
                "currency {currency:?} is not an ISO 4217 code like NZD"
            )));
        }
        let rate_text =
            pick(&overrides.tax_rate, TAX_RATE_SETTING, Some(tax_rate)).unwrap_or_default();
        let tax_rate = Decimal::from_str(&rate_text)
            .ok()
            .filter(|r| !r.is_sign_negative() && *r < Decimal::ONE_HUNDRED)
            .ok_or_else(|| {
                ConformanceError::Option(format!(
                    "tax rate {rate_text:?} is not a percentage like 15 or 8.5"
                ))
            })?;
        Ok(Options {
            currency,
            tax_code: pick(&overrides.tax_code, TAX_CODE_SETTING, Some(tax_code))
                .unwrap_or_default(),
            tax_rate,
            account_code: pick(&overrides.account_code, ACCOUNT_CODE_SETTING, account_code),
            paging_limit: overrides.paging_limit.unwrap_or(DEFAULT_PAGING_LIMIT),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_wins_then_settings_then_defaults() {
        let settings = BTreeMap::from([
            (TAX_CODE_SETTING.to_owned(), "S15".to_owned()),
            (CURRENCY_SETTING.to_owned(), "aud".to_owned()),
        ]);
        let o = Options::resolve(
            "csv",
            &settings,
            &Overrides {
                currency: Some("gbp".into()),
                ..Overrides::default()
            },
        )
        .unwrap();
        assert_eq!(o.currency, "GBP");
        assert_eq!(o.tax_code, "S15");
        assert_eq!(o.tax_rate, Decimal::new(15, 0));
        assert_eq!(o.account_code.as_deref(), Some("200"));
        let qbo = Options::resolve("quickbooks", &BTreeMap::new(), &Overrides::default()).unwrap();
        assert_eq!(
            (qbo.currency.as_str(), qbo.tax_code.as_str()),
            ("USD", "TAX")
        );
        assert_eq!(qbo.tax_rate, Decimal::new(85, 1));
        assert_eq!(qbo.account_code, None);
    }

    #[test]
    fn a_bad_rate_or_currency_is_refused() {
        for (currency, rate) in [
            (Some("NZDX"), None),
            (None, Some("1,5")),
            (None, Some("-1")),
        ] {
            let o = Overrides {
                currency: currency.map(str::to_owned),
                tax_rate: rate.map(str::to_owned),
                ..Overrides::default()
            };
            assert!(Options::resolve("csv", &BTreeMap::new(), &o).is_err());
        }
    }
}

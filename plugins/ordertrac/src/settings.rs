//! The connection's settings, declared once (keys, meanings, defaults) for the manifest and
//! for [`Settings::from_lookup`], which parses them from a lookup so it is tested natively.

use std::collections::BTreeMap;

use ledgerlink_sdk::Decimal;
use ledgerlink_sdk::error;
use ledgerlink_sdk::types::ConnectorError;

/// One setting: key, meaning, default.
pub struct SettingSpec {
    pub key: &'static str,
    pub description: &'static str,
    pub default: &'static str,
}

pub const ENVIRONMENT: SettingSpec = SettingSpec {
    key: "environment",
    description: "Which OrderTrac environment the package is for: preview (preview.ordertracinventory.com, the test migration) or production (app.ordertracinventory.com). Cannot change once records are linked: make a new connection.",
    default: "preview",
};

pub const QUOTES: SettingSpec = SettingSpec {
    key: "open-jobs-as-quotes",
    description: "yes: open jobs (orders) go into the package as OrderTrac quotes, converted to the sales order when the job closes; no: as open sales orders.",
    default: "no",
};

pub const TAX_RATES: SettingSpec = SettingSpec {
    key: "tax-rates",
    description: "Rates for lines that carry a tax code but no rate, as CODE=PERCENT pairs separated by commas (e.g. OUTPUT2=15,EXEMPT=0).",
    default: "",
};

pub const PAGE_SIZE: SettingSpec = SettingSpec {
    key: "page-size",
    description: "Records returned per page when pulling (a whole number, at least 1).",
    default: "500",
};

/// Every setting, in manifest order.
pub const ALL: [SettingSpec; 4] = [ENVIRONMENT, QUOTES, TAX_RATES, PAGE_SIZE];

/// OrderTrac web's two environments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Preview,
    Production,
}

impl Environment {
    pub fn name(self) -> &'static str {
        match self {
            Environment::Preview => "preview",
            Environment::Production => "production",
        }
    }

    pub fn host(self) -> &'static str {
        match self {
            Environment::Preview => "preview.ordertracinventory.com",
            Environment::Production => "app.ordertracinventory.com",
        }
    }
}

/// The parsed settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub environment: Environment,
    pub quotes: bool,
    pub tax_rates: BTreeMap<String, Decimal>,
    pub page_size: usize,
}

impl Settings {
    /// From the host's `config` import.
    pub fn load() -> Result<Self, ConnectorError> {
        Self::from_lookup(ledgerlink_sdk::config::get)
    }

    /// From `lookup`; unset keys take their defaults.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConnectorError> {
        let value = |s: &SettingSpec| lookup(s.key).unwrap_or_else(|| s.default.to_owned());
        let environment = match value(&ENVIRONMENT).trim().to_lowercase().as_str() {
            "preview" => Environment::Preview,
            "production" => Environment::Production,
            other => {
                return Err(error::validation(format!(
                    "setting {} must be preview or production, got {other:?}",
                    ENVIRONMENT.key
                )));
            }
        };
        let quotes = match value(&QUOTES).trim().to_lowercase().as_str() {
            "yes" | "true" => true,
            "no" | "false" | "" => false,
            other => {
                return Err(error::validation(format!(
                    "setting {} must be yes or no, got {other:?}",
                    QUOTES.key
                )));
            }
        };
        let mut tax_rates = BTreeMap::new();
        for pair in value(&TAX_RATES)
            .split(',')
            .filter(|p| !p.trim().is_empty())
        {
            let rate = pair
                .split_once('=')
                .and_then(|(code, rate)| {
                    let rate: Decimal = rate.trim().parse().ok()?;
                    (!code.trim().is_empty() && rate >= Decimal::ZERO)
                        .then(|| (code.trim().to_uppercase(), rate))
                })
                .ok_or_else(|| {
                    error::validation(format!(
                        "setting {}: {pair:?} is not CODE=PERCENT (e.g. OUTPUT2=15)",
                        TAX_RATES.key
                    ))
                })?;
            tax_rates.insert(rate.0, rate.1);
        }
        let page_size = match value(&PAGE_SIZE).trim().parse::<usize>() {
            Ok(n) if (1..=100_000).contains(&n) => n,
            _ => {
                return Err(error::validation(format!(
                    "setting {} must be a whole number from 1 to 100000, got {:?}",
                    PAGE_SIZE.key,
                    value(&PAGE_SIZE)
                )));
            }
        };
        Ok(Settings {
            environment,
            quotes,
            tax_rates,
            page_size,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ledgerlink_sdk::error::ConnectorErrorExt;

    fn lookup(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(p, _)| *p == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn defaults_overrides_and_refusals() {
        let s = Settings::from_lookup(lookup(&[])).unwrap();
        assert_eq!(s.environment, Environment::Preview);
        assert!(!s.quotes);
        let s = Settings::from_lookup(lookup(&[
            ("environment", "Production"),
            ("open-jobs-as-quotes", "yes"),
            ("tax-rates", "output2=15, EXEMPT=0"),
        ]))
        .unwrap();
        assert_eq!(s.environment, Environment::Production);
        assert!(s.quotes);
        assert_eq!(s.tax_rates["OUTPUT2"], Decimal::from(15));
        let e = Settings::from_lookup(lookup(&[("environment", "staging")])).unwrap_err();
        assert_eq!(
            e.message(),
            "setting environment must be preview or production, got \"staging\""
        );
    }
}

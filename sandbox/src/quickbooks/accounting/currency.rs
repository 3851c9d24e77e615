//! Currencies and Intuit's multicurrency rules.
//!
//! A company has a home currency (`Preferences.CurrencyPrefs.HomeCurrency`: USD for the US
//! realm, AUD for the Australian one) and the switch
//! `Preferences.CurrencyPrefs.MultiCurrencyEnabled`, off in a fresh company. Intuit's
//! "Manage multiple currencies" guide: multicurrency is off by default and, once on, cannot
//! be turned off; `ExchangeRate` is "the number of home currency units it takes to equal one
//! foreign currency unit"; `HomeTotalAmt` is the total in the home currency, and single
//! currency companies do not have it (Finance.xsd). A customer's currency is set when the
//! customer is created and cannot be changed afterwards; a transaction is in its customer's
//! currency.
//!
//! The sandbox knows the currencies in [`CURRENCIES`]; every other code is an invalid
//! reference (2500, element `CurrencyRef`). When a transaction does not give its
//! `ExchangeRate`, the sandbox uses a fixed rate per currency and home currency
//! ([`sandbox_rate`]) where QuickBooks would use the day's market rate.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::fault::QboFault;
use super::realm::Region;

/// A currency the sandbox knows: ISO 4217 code, Intuit's name, minor-unit digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Currency {
    pub(crate) code: &'static str,
    pub(crate) name: &'static str,
    /// Decimal digits of the currency's minor unit (JPY 0, USD 2).
    pub(crate) decimals: u32,
}

impl Currency {
    /// The `CurrencyRef` of this currency (`{"value": "USD", "name": "United States Dollar"}`).
    pub(crate) fn reference(&self) -> Value {
        json!({ "value": self.code, "name": self.name })
    }
}

/// Every currency the sandbox knows.
pub(crate) const CURRENCIES: &[Currency] = &[
    Currency {
        code: "USD",
        name: "United States Dollar",
        decimals: 2,
    },
    Currency {
        code: "AUD",
        name: "Australian Dollar",
        decimals: 2,
    },
    Currency {
        code: "CAD",
        name: "Canadian Dollar",
        decimals: 2,
    },
    Currency {
        code: "EUR",
        name: "Euro",
        decimals: 2,
    },
    Currency {
        code: "GBP",
        name: "British Pound Sterling",
        decimals: 2,
    },
    Currency {
        code: "NZD",
        name: "New Zealand Dollar",
        decimals: 2,
    },
    Currency {
        code: "JPY",
        name: "Japanese Yen",
        decimals: 0,
    },
];

/// The currency with ISO code `code`.
pub(crate) fn find(code: &str) -> Option<&'static Currency> {
    CURRENCIES.iter().find(|currency| currency.code == code)
}

/// The home currency of a company of `region`.
pub(crate) fn home(region: Region) -> &'static Currency {
    let code = match region {
        Region::Us => "USD",
        Region::Au => "AUD",
    };
    // Both codes are in CURRENCIES; the first entry is the harmless fallback.
    find(code).unwrap_or(&CURRENCIES[0])
}

/// The sandbox's fixed exchange rate of `foreign` into the home currency of `region`: home
/// units per one foreign unit (as Intuit records rates). `1` for the home currency itself.
pub(crate) fn sandbox_rate(region: Region, foreign: &str) -> Decimal {
    // (code, home units) per region; written as decimal text, never through floats.
    let table: &[(&str, i64, u32)] = match region {
        Region::Us => &[
            ("AUD", 65, 2),
            ("CAD", 73, 2),
            ("EUR", 108, 2),
            ("GBP", 127, 2),
            ("NZD", 60, 2),
            ("JPY", 67, 4),
        ],
        Region::Au => &[
            ("USD", 150, 2),
            ("CAD", 110, 2),
            ("EUR", 165, 2),
            ("GBP", 195, 2),
            ("NZD", 92, 2),
            ("JPY", 102, 4),
        ],
    };
    table
        .iter()
        .find(|(code, ..)| *code == foreign)
        .map_or(Decimal::ONE, |(_, units, scale)| {
            Decimal::new(*units, *scale)
        })
}

/// 6000 with `detail` (Intuit's "Business Validation Error" code; the detail texts of the
/// multicurrency rules are the sandbox's wording, see the `accounting` module doc).
pub(crate) fn business(detail: String) -> QboFault {
    QboFault::validation(
        "6000",
        "A business validation error has occurred while processing your request",
        format!("Business Validation Error: {detail}"),
    )
}

/// The currency a write names in `CurrencyRef` (the reference's `value`), checked against
/// the company: a code the sandbox does not know is 2500; a foreign currency in a company
/// without multicurrency is 6000 ([`not_enabled`]).
pub(crate) fn resolve(
    code: &str,
    home: &'static Currency,
    multi_currency: bool,
) -> Result<&'static Currency, QboFault> {
    let currency =
        find(code).ok_or_else(|| QboFault::invalid_reference("CurrencyRef", "Currency", code))?;
    if currency.code != home.code && !multi_currency {
        return Err(not_enabled(code, home));
    }
    Ok(currency)
}

/// 6000: a foreign currency in a company where multicurrency is off.
pub(crate) fn not_enabled(code: &str, home: &Currency) -> QboFault {
    business(format!(
        "Multicurrency is not enabled for this company. Only the home currency {} can be used; \
         turn on multicurrency in QuickBooks (Account and Settings > Advanced > Currency) to \
         use {code}.",
        home.code
    ))
    .at("CurrencyRef")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_home_units_per_foreign_unit() {
        assert_eq!(sandbox_rate(Region::Us, "USD"), Decimal::ONE);
        assert_eq!(sandbox_rate(Region::Us, "AUD"), Decimal::new(65, 2));
        assert_eq!(sandbox_rate(Region::Au, "JPY"), Decimal::new(102, 4));
        assert_eq!(home(Region::Au).code, "AUD");
        assert_eq!(find("JPY").map(|c| c.decimals), Some(0));
    }

    #[test]
    fn foreign_currencies_need_multicurrency_and_unknown_ones_are_refused() {
        let usd = home(Region::Us);
        assert!(resolve("USD", usd, false).is_ok());
        assert_eq!(resolve("EUR", usd, false).map_err(|f| f.code), Err("6000"));
        assert!(resolve("EUR", usd, true).is_ok());
        assert_eq!(resolve("XYZ", usd, true).map_err(|f| f.code), Err("2500"));
    }
}

//! `/Currencies`: an organisation's base currency and the currencies it has
//! added (Xero's "subscribed" currencies), and the check every invoice and
//! credit note makes against them.
//!
//! - `GET /Currencies` lists the base currency first, then every added one
//!   (`where`, `order` as on other lists).
//! - `PUT /Currencies` with one `Currency` (`{"Code":"AUD"}`, optional
//!   `Description`) or `{"Currencies":[...]}` adds them; adding one already
//!   there changes nothing. A code outside the spec's `CurrencyCode` list is a
//!   400 `ValidationException` whose `Message` is
//!   `The currency code 'XYZ' is not valid.` (the `Currency` schema has no
//!   `ValidationErrors`, so the message is the error's own).
//! - A document whose `CurrencyCode` is neither the base nor added is refused
//!   with Xero's wording, `Organisation is not subscribed to currency AUD`
//!   (what Xero answers for an invoice in a currency the organisation has not
//!   added); one that is not a currency code at all with
//!   `The currency code 'XYZ' is not valid.`.
//! - `CurrencyRate` (units of the document's currency per one unit of the base
//!   currency, as Xero quotes it): 1 for the base currency; the rate sent, if
//!   any (more than 0, kept to 6 decimals); otherwise the sandbox's fixed rate
//!   ([`fixed_rate`]) where Xero would use the day's XE.com rate.

use std::str::FromStr as _;
use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::call::Call;
use super::errors::Reply;
use super::{Data, amounts, lists, writes};
use crate::state::Core;

/// The spec's `CurrencyCode` values.
const CODES: [&str; 168] = [
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BYR", "BZD",
    "CAD", "CDF", "CHF", "CLF", "CLP", "CNY", "COP", "CRC", "CUC", "CUP", "CVE", "CZK", "DJF",
    "DKK", "DOP", "DZD", "EEK", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS",
    "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HRK", "HTG", "HUF", "IDR", "ILS", "INR",
    "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD",
    "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LTL", "LVL", "LYD", "MAD", "MDL", "MGA",
    "MKD", "MMK", "MNT", "MOP", "MRO", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN",
    "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN",
    "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP",
    "SKK", "SLE", "SLL", "SOS", "SRD", "STD", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT",
    "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VEF", "VES",
    "VND", "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZMK", "ZWD",
];

/// Names of the common codes (others are described by their code).
const NAMES: [(&str, &str); 16] = [
    ("AUD", "Australian Dollar"),
    ("CAD", "Canadian Dollar"),
    ("CHF", "Swiss Franc"),
    ("CNY", "Chinese Yuan"),
    ("EUR", "Euro"),
    ("FJD", "Fiji Dollar"),
    ("GBP", "British Pound"),
    ("HKD", "Hong Kong Dollar"),
    ("INR", "Indian Rupee"),
    ("JPY", "Japanese Yen"),
    ("NZD", "New Zealand Dollar"),
    ("SGD", "Singapore Dollar"),
    ("USD", "United States Dollar"),
    ("WST", "Samoan Tala"),
    ("XPF", "CFP Franc"),
    ("ZAR", "South African Rand"),
];

/// The sandbox's fixed market: units of each currency per one US dollar.
/// A currency not listed trades at par with the base currency.
const PER_USD: [(&str, &str); 12] = [
    ("USD", "1"),
    ("NZD", "1.6"),
    ("AUD", "1.5"),
    ("CAD", "1.36"),
    ("CHF", "0.88"),
    ("EUR", "0.92"),
    ("FJD", "2.25"),
    ("GBP", "0.8"),
    ("HKD", "7.8"),
    ("JPY", "150"),
    ("SGD", "1.35"),
    ("ZAR", "18"),
];

/// One currency of an organisation.
#[derive(Debug, Clone)]
pub(crate) struct Currency {
    pub(crate) code: String,
    pub(crate) description: String,
}

impl Currency {
    /// `code` with `description`, or its usual name.
    pub(crate) fn new(code: &str, description: Option<&str>) -> Currency {
        let description = description
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map_or_else(|| name(code).to_owned(), str::to_owned);
        Currency {
            code: code.to_owned(),
            description,
        }
    }

    pub(crate) fn to_json(&self) -> Value {
        json!({ "Code": self.code, "Description": self.description })
    }
}

/// Whether `code` is one of the spec's currency codes (exact, upper case).
pub(crate) fn is_code(code: &str) -> bool {
    CODES.contains(&code)
}

fn name(code: &str) -> &str {
    NAMES
        .iter()
        .find(|(known, _)| *known == code)
        .map_or(code, |(_, name)| name)
}

/// Xero's refusal of a document in `code` (upper case), if it is refused.
pub(crate) fn refusal(data: &Data, code: &str) -> Option<String> {
    if !is_code(code) {
        return Some(invalid_code(code));
    }
    if data.currencies.iter().any(|currency| currency.code == code) {
        None
    } else {
        Some(format!("Organisation is not subscribed to currency {code}"))
    }
}

/// The refusal of a text that is not a currency code.
pub(crate) fn invalid_code(code: &str) -> String {
    format!("The currency code '{code}' is not valid.")
}

fn per_usd(code: &str) -> Option<Decimal> {
    PER_USD
        .iter()
        .find(|(known, _)| *known == code)
        .and_then(|(_, rate)| Decimal::from_str(rate).ok())
}

/// The sandbox's rate for a document in `foreign` in an organisation whose
/// base currency is `base`: units of `foreign` per one `base`, 6 decimals
/// (NZD base, USD document: 1 / 1.6 = 0.625000).
pub(crate) fn fixed_rate(base: &str, foreign: &str) -> Decimal {
    match (per_usd(base), per_usd(foreign)) {
        (Some(base), Some(foreign)) if !base.is_zero() => amounts::round(foreign / base, 6),
        _ => Decimal::ONE,
    }
}

/// Adds the currencies of `elements` to `data`: all or nothing.
pub(crate) fn add(data: &mut Data, elements: &[Value]) -> Reply {
    let mut added = Vec::new();
    let mut currencies = data.currencies.clone();
    for element in elements {
        let code = element
            .get("Code")
            .and_then(Value::as_str)
            .map(|code| code.trim().to_ascii_uppercase())
            .unwrap_or_default();
        if !is_code(&code) {
            return Reply::Json(
                StatusCode::BAD_REQUEST,
                json!({
                    "ErrorNumber": 10,
                    "Type": "ValidationException",
                    "Message": if code.is_empty() {
                        "A currency Code must be specified, e.g. {\"Code\":\"AUD\"}.".to_owned()
                    } else {
                        invalid_code(&code)
                    },
                }),
            );
        }
        let currency = match currencies.iter().find(|known| known.code == code) {
            Some(known) => known.clone(),
            None => {
                let currency =
                    Currency::new(&code, element.get("Description").and_then(Value::as_str));
                currencies.push(currency.clone());
                currency
            }
        };
        added.push(currency.to_json());
    }
    data.currencies = currencies;
    Reply::Json(StatusCode::OK, json!({ "Currencies": added }))
}

/// `{"Currencies": [...]}`: the base currency and every one added.
pub(crate) fn dump(data: &Data) -> Value {
    let currencies: Vec<Value> = data.currencies.iter().map(Currency::to_json).collect();
    json!({ "Currencies": currencies })
}

/// `GET /Currencies`.
pub(crate) async fn list(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let call = match Call::open(core, &headers, query, false).await {
        Ok(call) => call,
        Err(response) => return response,
    };
    let records: Vec<(SystemTime, Value)> = call.core.xero_books.with(call.tenant, |ledger| {
        ledger
            .data
            .currencies
            .iter()
            .map(|currency| (SystemTime::UNIX_EPOCH, currency.to_json()))
            .collect()
    });
    let reply = lists::unpaged(&call, &headers, "Currencies", records, false);
    call.finish(reply).await
}

/// `PUT /Currencies`.
pub(crate) async fn put(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let call = match Call::open(core, &headers, query, true).await {
        Ok(call) => call,
        Err(response) => return response,
    };
    let elements = match writes::elements(&body, "Currencies") {
        Ok(elements) => elements,
        Err(reply) => return call.finish(reply).await,
    };
    writes::run(call, &headers, "PUT", "Currencies", &body, |data, _| {
        add(data, &elements)
    })
    .await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn fixed_rates_are_quoted_per_unit_of_the_base() {
        assert_eq!(
            fixed_rate("NZD", "USD"),
            Decimal::from_str("0.625").unwrap()
        );
        assert_eq!(
            fixed_rate("NZD", "AUD"),
            Decimal::from_str("0.9375").unwrap()
        );
        assert_eq!(fixed_rate("USD", "NZD"), Decimal::from_str("1.6").unwrap());
        assert_eq!(fixed_rate("NZD", "XCD"), Decimal::ONE);
        assert!(is_code("AUD") && !is_code("aud") && !is_code("XYZ"));
        assert_eq!(Currency::new("AUD", None).description, "Australian Dollar");
        assert_eq!(
            Currency::new("TOP", Some(" Pa'anga ")).description,
            "Pa'anga"
        );
    }
}

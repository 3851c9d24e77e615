//! What a connector pulls is checked as strictly as what a person types, before it reaches
//! a terminal, a plan or the home book: ids present and at most 255 bytes, every text at
//! most 64 KiB, no control characters that could move a cursor, recolour a terminal or
//! reverse text (C0 but tab and newline in free-text fields, DEL, C1, bidirectional
//! overrides and isolates), money as strict decimal strings. A record that fails is
//! refused on its own, with its id and field; the others go on.
//!
//! Per field: single-line fields (names, numbers, codes, ids, e-mail, phone, address
//! parts, dates) allow no control character at all; free-text fields (line descriptions,
//! memo, reference) allow tab and newline. Nothing is escaped silently: a refused record
//! is reported, never altered.

use serde::{Deserialize, Serialize};

use super::results::MAX_REMOTE_ID_BYTES;
use crate::model::{Address, Customer, Invoice};

/// The longest text field a pulled record may hold.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// A pulled record the host refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refused {
    /// Its remote id, when it had a usable one.
    pub remote_id: Option<String>,
    /// The offending field (`name`, `lines[2].amount`).
    pub field: String,
    /// Why, in a sentence.
    pub reason: String,
}

/// A record kind the host can inspect.
pub trait Pulled {
    /// Its remote id.
    fn remote_id(&self) -> Option<&str>;
    /// The first rule it breaks, as (field, reason).
    fn problem(&self) -> Option<(String, String)>;
}

fn forbidden(c: char, multiline: bool) -> bool {
    let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    bidi || (c.is_control() && !(multiline && (c == '\n' || c == '\t')))
}

/// What is wrong with one value, before it is told with its field's name: the name of a
/// line's field is only formatted for a value that is refused.
enum Fault {
    TooLong(usize),
    Control(char),
    Decimal(String),
}

impl Fault {
    fn at(self, field: String) -> (String, String) {
        let reason = match self {
            Fault::TooLong(len) => format!(
                "{field} is {len} bytes, more than the {MAX_TEXT_BYTES} a pulled text may hold"
            ),
            Fault::Control(bad) => format!(
                "{field} contains the control character U+{:04X}, which could disturb a terminal or reverse text; correct it in the target",
                u32::from(bad)
            ),
            Fault::Decimal(e) => format!("{field}: {e}"),
        };
        (field, reason)
    }
}

fn text_fault(value: &str, multiline: bool) -> Option<Fault> {
    if value.len() > MAX_TEXT_BYTES {
        return Some(Fault::TooLong(value.len()));
    }
    if value.is_ascii() {
        // No bidi control is ASCII, and an ASCII control is a byte below 0x20 or DEL.
        return value
            .bytes()
            .find(|&b| (b < 0x20 || b == 0x7f) && !(multiline && (b == b'\n' || b == b'\t')))
            .map(|b| Fault::Control(char::from(b)));
    }
    value
        .chars()
        .find(|c| forbidden(*c, multiline))
        .map(Fault::Control)
}

fn decimal_fault(value: &str) -> Option<Fault> {
    crate::home::validation::check_decimal(value)
        .err()
        .map(Fault::Decimal)
}

/// Why `value` of `field` is refused, if it is.
fn text(field: &str, value: &str, multiline: bool) -> Option<(String, String)> {
    text_fault(value, multiline).map(|f| f.at(field.to_owned()))
}

fn opt(field: &str, value: &Option<String>, multiline: bool) -> Option<(String, String)> {
    value.as_deref().and_then(|v| text(field, v, multiline))
}

fn decimal(field: &str, value: &str) -> Option<(String, String)> {
    decimal_fault(value).map(|f| f.at(field.to_owned()))
}

fn address(prefix: &str, a: &Option<Address>) -> Option<(String, String)> {
    let a = a.as_ref()?;
    [
        ("line1", &a.line1),
        ("line2", &a.line2),
        ("city", &a.city),
        ("region", &a.region),
        ("postal-code", &a.postal_code),
        ("country", &a.country),
    ]
    .into_iter()
    .find_map(|(name, v)| {
        v.as_deref()
            .and_then(|v| text_fault(v, false))
            .map(|f| f.at(format!("{prefix}.{name}")))
    })
}

fn id(value: Option<&str>) -> Option<(String, String)> {
    match value {
        None => Some(("remote-id".to_owned(), "it has no remote id".to_owned())),
        Some(v) if v.trim().is_empty() => {
            Some(("remote-id".to_owned(), "its remote id is empty".to_owned()))
        }
        Some(v) if v.len() > MAX_REMOTE_ID_BYTES => Some((
            "remote-id".to_owned(),
            format!(
                "its remote id is {} bytes, more than {MAX_REMOTE_ID_BYTES}",
                v.len()
            ),
        )),
        Some(v) => text("remote-id", v, false),
    }
}

impl Pulled for Customer {
    fn remote_id(&self) -> Option<&str> {
        self.remote_id.as_deref()
    }

    fn problem(&self) -> Option<(String, String)> {
        id(self.remote_id.as_deref())
            .or_else(|| text("name", &self.name, false))
            .or_else(|| {
                [
                    ("version", &self.version),
                    ("account-number", &self.account_number),
                    ("contact-name", &self.contact_name),
                    ("email", &self.email),
                    ("phone", &self.phone),
                    ("tax-number", &self.tax_number),
                    ("currency", &self.currency),
                    ("updated-at", &self.updated_at),
                ]
                .into_iter()
                .find_map(|(f, v)| opt(f, v, false))
            })
            .or_else(|| address("billing-address", &self.billing_address))
            .or_else(|| address("shipping-address", &self.shipping_address))
            .or_else(|| {
                self.name
                    .trim()
                    .is_empty()
                    .then(|| ("name".to_owned(), "its name is empty".to_owned()))
            })
    }
}

impl Pulled for Invoice {
    fn remote_id(&self) -> Option<&str> {
        self.remote_id.as_deref()
    }

    fn problem(&self) -> Option<(String, String)> {
        if let Some(p) = id(self.remote_id.as_deref())
            .or_else(|| text("number", &self.number, false))
            .or_else(|| text("customer.name", &self.customer.name, false))
            .or_else(|| opt("customer.remote-id", &self.customer.remote_id, false))
            .or_else(|| text("issue-date", &self.issue_date, false))
            .or_else(|| opt("due-date", &self.due_date, false))
            .or_else(|| text("currency", &self.currency, false))
            .or_else(|| opt("reference", &self.reference, true))
            .or_else(|| opt("memo", &self.memo, true))
            .or_else(|| opt("version", &self.version, false))
            .or_else(|| opt("updated-at", &self.updated_at, false))
            .or_else(|| opt("locked", &self.locked, false))
            .or_else(|| decimal("subtotal", &self.subtotal))
            .or_else(|| decimal("tax-total", &self.tax_total))
            .or_else(|| decimal("total", &self.total))
            .or_else(|| {
                self.amount_paid
                    .as_deref()
                    .and_then(|d| decimal("amount-paid", d))
            })
            .or_else(|| {
                self.amount_due
                    .as_deref()
                    .and_then(|d| decimal("amount-due", d))
            })
        {
            return Some(p);
        }
        self.lines.iter().enumerate().find_map(|(i, l)| {
            let at = |name: &str, fault: Option<Fault>| {
                fault.map(|f| f.at(format!("lines[{i}].{name}")))
            };
            let opt_decimal = |v: &Option<String>| v.as_deref().and_then(decimal_fault);
            let opt_text = |v: &Option<String>| v.as_deref().and_then(|v| text_fault(v, false));
            at("description", text_fault(&l.description, true))
                .or_else(|| at("quantity", decimal_fault(&l.quantity)))
                .or_else(|| at("unit-price", decimal_fault(&l.unit_price)))
                .or_else(|| at("amount", decimal_fault(&l.amount)))
                .or_else(|| at("discount-percent", opt_decimal(&l.discount_percent)))
                .or_else(|| at("tax-amount", opt_decimal(&l.tax_amount)))
                .or_else(|| at("tax-rate", opt_decimal(&l.tax_rate)))
                .or_else(|| at("item-code", opt_text(&l.item_code)))
                .or_else(|| at("account-code", opt_text(&l.account_code)))
                .or_else(|| at("tax-code", opt_text(&l.tax_code)))
        })
    }
}

/// Keep the records of one pull that pass, in order; refuse the rest with their reason —
/// including every record whose remote id an earlier record of the pull already had.
pub fn sift<T: Pulled>(
    plugin: &str,
    records: Vec<T>,
    seen: &mut std::collections::HashSet<String>,
) -> (Vec<T>, Vec<Refused>) {
    let mut kept = Vec::with_capacity(records.len());
    let mut refused = Vec::new();
    for r in records {
        let usable_id = r
            .remote_id()
            .filter(|id| !id.trim().is_empty() && id.len() <= MAX_REMOTE_ID_BYTES)
            .map(str::to_owned);
        if let Some((field, reason)) = r.problem() {
            refused.push(Refused {
                remote_id: usable_id.filter(|id| text("remote-id", id, false).is_none()),
                field,
                reason: format!("refused from connector {plugin}: {reason}"),
            });
            continue;
        }
        // Passed the checks, so the id is present and usable.
        let id = usable_id.unwrap_or_default();
        if !seen.insert(id.clone()) {
            refused.push(Refused {
                remote_id: Some(id.clone()),
                field: "remote-id".to_owned(),
                reason: format!(
                    "refused from connector {plugin}: remote id {id:?} came twice in one pull; the first record was kept"
                ),
            });
            continue;
        }
        kept.push(r);
    }
    (kept, refused)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn customer(id: Option<&str>, name: &str) -> Customer {
        Customer {
            key: String::new(),
            remote_id: id.map(Into::into),
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

    #[test]
    fn hostile_records_are_refused_each_with_its_reason() {
        let big = "x".repeat(MAX_TEXT_BYTES + 1);
        let long_id = "i".repeat(256);
        let records = vec![
            customer(Some("1"), "Fine Ltd"),
            customer(Some("2"), "Bell\u{7} Ltd"),
            customer(Some("3"), "\u{1b}[31mRed"),
            customer(Some("4"), "Evil \u{202E}dtL"),
            customer(Some("5"), &big),
            customer(Some(""), "Empty Id"),
            customer(None, "No Id"),
            customer(Some(&long_id), "Long Id"),
            customer(Some("1"), "Second One"),
            customer(Some("6"), "Nul\u{0}"),
        ];
        let (kept, refused) = sift("evil", records, &mut Default::default());
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].name, "Fine Ltd");
        let reasons: Vec<String> = refused.iter().map(|r| r.reason.clone()).collect();
        let p = "refused from connector evil: ";
        assert_eq!(
            reasons,
            vec![
                format!(
                    "{p}name contains the control character U+0007, which could disturb a terminal or reverse text; correct it in the target"
                ),
                format!(
                    "{p}name contains the control character U+001B, which could disturb a terminal or reverse text; correct it in the target"
                ),
                format!(
                    "{p}name contains the control character U+202E, which could disturb a terminal or reverse text; correct it in the target"
                ),
                format!("{p}name is 65537 bytes, more than the 65536 a pulled text may hold"),
                format!("{p}its remote id is empty"),
                format!("{p}it has no remote id"),
                format!("{p}its remote id is 256 bytes, more than 255"),
                format!("{p}remote id \"1\" came twice in one pull; the first record was kept"),
                format!(
                    "{p}name contains the control character U+0000, which could disturb a terminal or reverse text; correct it in the target"
                ),
            ]
        );
        assert_eq!(refused[0].remote_id.as_deref(), Some("2"));
        assert_eq!(refused[6].remote_id, None);
    }

    /// A pulled invoice's `locked` reason (contract 0.2) is shown in compare and the run
    /// report: held to the same rules as any other text a plugin returns.
    #[test]
    fn a_locked_reason_is_checked_like_any_pulled_text() {
        let invoice = |id: &str, locked: &str| -> Invoice {
            serde_json::from_value(serde_json::json!({
                "key": "", "remote_id": id, "version": null, "idempotency_key": null,
                "kind": "Job", "number": format!("INV-{id}"),
                "customer": {"remote_id": "c1", "name": "Acme"},
                "issue_date": "2026-11-02", "due_date": null, "currency": "NZD",
                "tax_mode": "Exclusive", "lines": [], "subtotal": "0.00", "tax_total": "0.00",
                "total": "0.00", "reference": null, "memo": null, "status": "Authorised",
                "locked": locked, "updated_at": null
            }))
            .unwrap()
        };
        let (kept, refused) = sift(
            "evil",
            vec![
                invoice("1", "Historical in Salesorder"),
                invoice("2", "read-only\u{202E}"),
            ],
            &mut Default::default(),
        );
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].locked.as_deref(), Some("Historical in Salesorder"));
        assert_eq!(
            refused[0].reason,
            "refused from connector evil: locked contains the control character U+202E, which could disturb a terminal or reverse text; correct it in the target"
        );
    }

    #[test]
    fn the_ascii_path_refuses_exactly_the_characters_the_full_path_does() {
        for b in 0u8..0x80 {
            let c = char::from(b);
            for multiline in [false, true] {
                let value = format!("ab{c}cd");
                let got = text_fault(&value, multiline).map(|f| match f {
                    Fault::Control(c) => c,
                    _ => panic!("not a control fault"),
                });
                let want = forbidden(c, multiline).then_some(c);
                assert_eq!(got, want, "U+{b:04X} multiline={multiline}");
            }
        }
        // Past ASCII the full path still runs: a bidi override is refused.
        assert!(matches!(
            text_fault("ab\u{202E}cd", false),
            Some(Fault::Control('\u{202E}'))
        ));
    }
}

//! Xero's failures → the contract's error classes, naming the canonical field where the
//! message tells it.
//!
//! Xero answers a refused record with a `ValidationException` (400, or 200 with per-element
//! `ValidationErrors` when `summarizeErrors=false`) whose messages are prose: "The contact
//! name Buzz Lightyear is already assigned to another contact…", "Invoice # must be
//! unique.". The class (duplicate, locked, not-found, validation) and the field are read from
//! that prose here, in one place, with the spec's own messages as tests.

use ledgerlink_sdk::error::{self, ConnectorErrorExt};
use ledgerlink_sdk::types::ConnectorError;

use crate::map::xero::ErrorBody;

/// Which record a message is about, for the field names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// A contact (canonical customer).
    Customer,
    /// A sales invoice.
    Invoice,
}

/// What was sent of an invoice's lines, to find the line a message names by its code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SentLine {
    /// `AccountCode` sent.
    pub account_code: Option<String>,
    /// `TaxType` sent.
    pub tax_type: Option<String>,
    /// `ItemCode` sent.
    pub item_code: Option<String>,
}

/// The errors Xero attached to one element of a batch (or the one record of a call).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ElementErrors {
    /// Messages on the record itself.
    pub messages: Vec<String>,
    /// Messages on its lines: (line index, message).
    pub line_messages: Vec<(usize, String)>,
}

impl ElementErrors {
    /// Whether Xero refused the element.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty() && self.line_messages.is_empty()
    }
}

/// The one error for a refused element. `what` names the record for people
/// ("customer \"Acme\"", "invoice INV-1"); `lines` is what was sent of an invoice's lines.
pub fn element_error(
    record: Record,
    what: &str,
    errors: &ElementErrors,
    lines: &[SentLine],
) -> ConnectorError {
    // The first message decides the class and the field; all are kept in the text.
    let (first, field) = match (errors.messages.first(), errors.line_messages.first()) {
        (Some(m), _) => (m.as_str(), record_field(record, m, lines)),
        (None, Some((i, m))) => (m.as_str(), Some(line_field(*i, m))),
        (None, None) => ("", None),
    };
    let all: Vec<&str> = errors
        .messages
        .iter()
        .map(String::as_str)
        .chain(errors.line_messages.iter().map(|(_, m)| m.as_str()))
        .collect();
    let text = if all.is_empty() {
        format!("Xero refused {what} without saying why")
    } else {
        format!("Xero refused {what}: {}", all.join(" "))
    };
    let lower = first.to_lowercase();
    let e = if is_duplicate(&lower) {
        return error::duplicate(
            format!(
                "{text} Link the existing record or change the {} in Tracker Pro.",
                field_noun(field.as_deref())
            ),
            None,
        )
        .at(field.unwrap_or_else(|| "name".to_owned()));
    } else if is_locked(&lower) {
        error::locked(format!("{text} Change it in Xero instead."))
    } else if lower.contains("could not be found") || lower.contains("was not found") {
        error::not_found(text)
    } else {
        error::validation(text)
    };
    match field {
        Some(f) => e.at(f),
        None => e,
    }
}

fn field_noun(field: Option<&str>) -> &str {
    match field {
        Some("number") => "invoice number",
        Some(f) => f,
        None => "name",
    }
}

fn is_duplicate(lower: &str) -> bool {
    lower.contains("already assigned to another")
        || lower.contains("must be unique")
        || lower.contains("already exists")
        || lower.contains("enter a unique")
}

fn is_locked(lower: &str) -> bool {
    lower.contains("not of valid status for modification")
        || lower.contains("lock date")
        || lower.contains("cannot be edited")
        || lower.contains("has payments")
        || lower.contains("paid invoice")
}

/// The canonical field a message on a whole record is about.
fn record_field(record: Record, message: &str, lines: &[SentLine]) -> Option<String> {
    let lower = message.to_lowercase();
    match record {
        Record::Customer => {
            let field = if lower.contains("email") {
                "email"
            } else if lower.contains("account number") {
                "account-number"
            } else if lower.contains("tax number") {
                "tax-number"
            } else if lower.contains("currency") {
                "currency"
            } else if lower.contains("phone") {
                "phone"
            } else if lower.contains("first name") || lower.contains("last name") {
                "contact-name"
            } else if lower.contains("name") {
                "name"
            } else {
                return None;
            };
            Some(field.to_owned())
        }
        Record::Invoice => {
            // A message naming a code ("Account code '476' …") points at the line that sent it.
            let quoted = quoted_values(message);
            let line_with = |pick: fn(&SentLine) -> Option<&str>, sub: &str| {
                lines
                    .iter()
                    .position(|l| {
                        pick(l).is_some_and(|c| quoted.iter().any(|q| q.eq_ignore_ascii_case(c)))
                    })
                    .map(|i| format!("lines[{i}].{sub}"))
            };
            if lower.contains("account code")
                || lower.contains("account ") && lower.contains("code")
            {
                return line_with(|l| l.account_code.as_deref(), "account-code");
            }
            if lower.contains("tax") && (lower.contains("type") || lower.contains("rate")) {
                return line_with(|l| l.tax_type.as_deref(), "tax-code");
            }
            if lower.contains("item") {
                return line_with(|l| l.item_code.as_deref(), "item-code");
            }
            let field = if lower.contains("invoice #")
                || lower.contains("invoice number")
                || lower.contains("credit note #")
                || lower.contains("credit note number")
            {
                "number"
            } else if lower.contains("contact") {
                "customer.remote-id"
            } else if lower.contains("due date") {
                "due-date"
            } else if lower.contains("date") {
                "issue-date"
            } else if lower.contains("currency") {
                "currency"
            } else if lower.contains("reference") {
                "reference"
            } else if lower.contains("total") {
                "total"
            } else {
                return None;
            };
            Some(field.to_owned())
        }
    }
}

/// The canonical field a message on line `index` is about.
fn line_field(index: usize, message: &str) -> String {
    let lower = message.to_lowercase();
    let sub = if lower.contains("account") {
        "account-code"
    } else if lower.contains("tax") {
        "tax-code"
    } else if lower.contains("item") {
        "item-code"
    } else if lower.contains("quantity") {
        "quantity"
    } else if lower.contains("unit") || lower.contains("price") {
        "unit-price"
    } else if lower.contains("discount") {
        "discount-percent"
    } else if lower.contains("amount") {
        "amount"
    } else if lower.contains("description") {
        "description"
    } else {
        return format!("lines[{index}]");
    };
    format!("lines[{index}].{sub}")
}

/// Values quoted in a message: `'476'`, `''476''` (as the spec writes it) or `"476"`.
fn quoted_values(message: &str) -> Vec<String> {
    let single = message.replace("''", "'").replace('"', "'");
    single
        .split('\'')
        .skip(1)
        .step_by(2)
        .map(|part| part.trim().to_owned())
        .filter(|part| !part.is_empty())
        .collect()
}

/// The error for a whole request Xero refused with `status` (not 2xx). `retry_after_ms` is
/// the `Retry-After` header, `problem` Xero's `X-Rate-Limit-Problem` header (`minute`,
/// `day`, `concurrent`). `None` for statuses this function leaves to
/// `Response::error_for_status` (5xx and the rest).
pub fn request_error(
    status: u16,
    retry_after_ms: Option<u64>,
    problem: Option<&str>,
    body: &[u8],
) -> Option<ConnectorError> {
    let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let said = [&parsed.message, &parsed.detail, &parsed.title]
        .into_iter()
        .flatten()
        .map(|s| s.trim())
        .find(|s| !s.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect());
    Some(match status {
        400 => {
            let details: Vec<String> = parsed
                .elements
                .iter()
                .flat_map(|e| {
                    e.validation_errors
                        .iter()
                        .chain(e.line_items.iter().flat_map(|l| l.validation_errors.iter()))
                })
                .filter_map(|v| v.message.clone())
                .collect();
            if details.is_empty() {
                error::validation(format!("Xero refused the request: {said}"))
            } else {
                error::validation(format!("Xero refused the request: {}", details.join(" ")))
            }
        }
        401 => error::auth(format!(
            "Xero refused the connection's credentials ({said}); reconnect the connection"
        )),
        403 => error::auth(format!(
            "Xero refused access ({said}): the connection lacks a scope or access to this \
             organisation; reconnect it, approve every requested scope and choose the organisation again"
        )),
        404 => error::not_found(format!("Xero has no such record ({said})")),
        429 => {
            let limit = match problem.map(str::trim) {
                Some(p) if !p.is_empty() => format!(" (the {p} limit)"),
                _ => String::new(),
            };
            let said = if said.trim().is_empty() {
                String::new()
            } else {
                format!(": {said}")
            };
            error::rate_limited(
                format!("Xero is throttling this organisation{limit}{said}"),
                retry_after_ms,
            )
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledgerlink_sdk::types::ConnectorError as E;

    fn msgs(messages: &[&str]) -> ElementErrors {
        ElementErrors {
            messages: messages.iter().map(|m| (*m).to_owned()).collect(),
            line_messages: Vec::new(),
        }
    }

    #[test]
    fn a_taken_contact_name_is_a_duplicate_on_name() {
        // The spec's PUT /Contacts 400 example.
        let e = element_error(
            Record::Customer,
            "customer \"Buzz Lightyear\"",
            &msgs(&[
                "The contact name Buzz Lightyear is already assigned to another contact. The contact name must be unique across all active contacts.",
            ]),
            &[],
        );
        let E::Duplicate(d) = &e else { panic!("{e:?}") };
        assert_eq!(d.field.as_deref(), Some("name"));
        assert_eq!(
            d.message,
            "Xero refused customer \"Buzz Lightyear\": The contact name Buzz Lightyear is already \
             assigned to another contact. The contact name must be unique across all active contacts. \
             Link the existing record or change the name in Tracker Pro."
        );
    }

    #[test]
    fn a_taken_invoice_number_is_a_duplicate_on_number() {
        let e = element_error(
            Record::Invoice,
            "invoice INV-0006",
            &msgs(&["Invoice # must be unique."]),
            &[],
        );
        let E::Duplicate(d) = &e else { panic!("{e:?}") };
        assert_eq!(d.field.as_deref(), Some("number"));
        assert_eq!(
            d.message,
            "Xero refused invoice INV-0006: Invoice # must be unique. Link the existing record or \
             change the invoice number in Tracker Pro."
        );
    }

    #[test]
    fn messages_name_their_field() {
        let cases = [
            (Record::Customer, "Email address must be valid.", "email"),
            (
                Record::Customer,
                "The account number is too long.",
                "account-number",
            ),
            (
                Record::Invoice,
                "The Contact must contain at least 1 of the following elements to identify the contact: Name, ContactID, ContactNumber",
                "customer.remote-id",
            ),
            (
                Record::Invoice,
                "Due Date must be after the invoice date",
                "due-date",
            ),
            (Record::Invoice, "Date is not valid", "issue-date"),
        ];
        for (record, message, field) in cases {
            let e = element_error(record, "it", &msgs(&[message]), &[]);
            assert!(matches!(e, E::Validation(_)), "{message}: {e:?}");
            assert_eq!(e.field(), Some(field), "{message}");
        }
    }

    #[test]
    fn a_code_in_a_message_points_at_its_line() {
        let lines = vec![
            SentLine {
                account_code: Some("200".into()),
                tax_type: Some("OUTPUT2".into()),
                item_code: None,
            },
            SentLine {
                account_code: Some("476".into()),
                tax_type: Some("BOGUS".into()),
                item_code: Some("PARTS".into()),
            },
        ];
        // The spec's ManualJournals 400 example quotes codes as ''476''.
        let e = element_error(
            Record::Invoice,
            "invoice INV-1",
            &msgs(&[
                "Account code ''476'' has been removed as it does not match a recognised account.",
            ]),
            &lines,
        );
        assert_eq!(e.field(), Some("lines[1].account-code"));
        let e = element_error(
            Record::Invoice,
            "invoice INV-1",
            &msgs(&[
                "The TaxType code 'BOGUS' does not exist or cannot be used for this type of transaction.",
            ]),
            &lines,
        );
        assert_eq!(e.field(), Some("lines[1].tax-code"));
    }

    #[test]
    fn credit_note_currency_and_total_refusals_name_their_field() {
        let e = element_error(
            Record::Invoice,
            "credit note CR-1",
            &msgs(&["Credit Note # must be unique."]),
            &[],
        );
        assert!(matches!(e, ConnectorError::Duplicate(_)), "{e:?}");
        assert_eq!(e.field(), Some("number"));
        let e = element_error(
            Record::Invoice,
            "invoice INV-1",
            &msgs(&["Organisation is not subscribed to currency AUD"]),
            &[],
        );
        assert!(matches!(e, ConnectorError::Validation(_)));
        assert_eq!(e.field(), Some("currency"));
        let e = element_error(
            Record::Invoice,
            "invoice INV-1",
            &msgs(&[
                "Invoice total cannot be negative. Raise a credit note for a negative amount.",
            ]),
            &[],
        );
        assert!(matches!(e, ConnectorError::Validation(_)));
        assert_eq!(e.field(), Some("total"));
        let e = element_error(
            Record::Invoice,
            "credit note CR-1",
            &msgs(&["Document not of valid status for modification"]),
            &[],
        );
        assert!(matches!(e, ConnectorError::Locked(_)));
    }

    #[test]
    fn line_errors_name_the_line() {
        let errors = ElementErrors {
            messages: vec![],
            line_messages: vec![(2, "The Quantity must be a number.".into())],
        };
        let e = element_error(Record::Invoice, "invoice INV-1", &errors, &[]);
        assert_eq!(e.field(), Some("lines[2].quantity"));
        assert_eq!(
            e.message(),
            "Xero refused invoice INV-1: The Quantity must be a number."
        );
    }

    #[test]
    fn a_paid_or_locked_invoice_is_locked() {
        for m in [
            "Invoice not of valid status for modification",
            "The document date cannot be before the end of year lock date, which is 31 Mar 2025.",
        ] {
            let e = element_error(Record::Invoice, "invoice INV-1", &msgs(&[m]), &[]);
            assert!(matches!(e, E::Locked(_)), "{m}: {e:?}");
        }
    }

    #[test]
    fn a_missing_record_is_not_found() {
        let e = element_error(
            Record::Invoice,
            "invoice INV-1",
            &msgs(&["The document with the supplied id was not found for this endpoint."]),
            &[],
        );
        assert!(matches!(e, E::NotFound(_)), "{e:?}");
    }

    #[test]
    fn whole_request_statuses_are_classified() {
        let spec_400 = br#"{"ErrorNumber":10,"Type":"ValidationException","Message":"A validation exception occurred",
            "Elements":[{"ValidationErrors":[{"Message":"Please enter a unique Name."}]}]}"#;
        let e = request_error(400, None, None, spec_400).expect("classified");
        assert!(matches!(e, E::Validation(_)));
        assert_eq!(
            e.message(),
            "Xero refused the request: Please enter a unique Name."
        );

        let unauthorized = br#"{"Type":null,"Title":"Unauthorized","Status":401,"Detail":"AuthenticationUnsuccessful"}"#;
        let e = request_error(401, None, None, unauthorized).expect("classified");
        assert!(matches!(e, E::Auth(_)));
        assert_eq!(
            e.message(),
            "Xero refused the connection's credentials (AuthenticationUnsuccessful); reconnect the connection"
        );
        let e = request_error(
            403,
            None,
            None,
            br#"{"Title":"Forbidden","Detail":"AuthorizationUnsuccessful"}"#,
        )
        .expect("classified");
        assert!(matches!(e, E::Auth(_)));

        let e = request_error(
            404,
            None,
            None,
            b"The resource you're looking for cannot be found",
        )
        .expect("classified");
        assert!(matches!(e, E::NotFound(_)));

        let e = request_error(429, Some(7000), Some("minute"), b"").expect("classified");
        let E::RateLimited(r) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(r.retry_after_ms, Some(7000));
        assert_eq!(
            r.message,
            "Xero is throttling this organisation (the minute limit)"
        );

        assert!(request_error(503, None, None, b"").is_none());
        assert!(request_error(500, None, None, b"").is_none());
    }
}

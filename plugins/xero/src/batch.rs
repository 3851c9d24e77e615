//! Batches: up to 50 records per request, an `Idempotency-Key` derived from the records'
//! own keys, and Xero's answer turned back into one outcome per record, in input order.
//!
//! Xero's `POST /Contacts` and `POST /Invoices` take many records, answer (with
//! `summarizeErrors=false`) one element per record in the order sent, and replay the stored
//! answer when a request carries an `Idempotency-Key` already used. The key is a hash of the
//! host's per-record idempotency keys, so a batch retried by the host or replayed after a
//! crash carries the same key and creates nothing twice.

use sha2::{Digest, Sha256};

use ledgerlink_sdk::error;
use ledgerlink_sdk::types::{ConnectorError, WriteAction, Written};

use crate::errors::{ElementErrors, Record, SentLine, element_error, request_error};
use crate::map::xero::{ContactIn, ContactsBody, CreditNotesBody, InvoiceIn, InvoicesBody};

/// Records per request. Xero accepts more, but a smaller batch keeps each call well inside the
/// host's per-call deadline and one refused request costs less.
pub const BATCH_SIZE: usize = 50;

/// Xero's limit on `Idempotency-Key`.
pub const KEY_MAX: usize = 128;

/// The `Idempotency-Key` of a batch: `ledgerlink-<what>-<sha256 hex>` of the records'
/// idempotency keys in order (length-prefixed, so no two lists hash alike). When a record
/// has no key (the host always sets one; a hand-made call may not), the request body is
/// hashed instead: the same records still give the same key.
pub fn idempotency_key(what: &str, keys: &[Option<&str>], body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(what.as_bytes());
    if keys.iter().all(Option::is_some) {
        hash.update(b"\0keys");
        for key in keys.iter().flatten() {
            hash.update((key.len() as u64).to_be_bytes());
            hash.update(key.as_bytes());
        }
    } else {
        hash.update(b"\0body");
        hash.update(body);
    }
    let hex: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let key = format!("ledgerlink-{what}-{hex}");
    debug_assert!(
        key.len() <= KEY_MAX,
        "idempotency key {key} is too long for Xero"
    );
    key
}

/// The positions of `outcomes` still to send (`Ok`), in groups of at most [`BATCH_SIZE`].
pub fn chunks<T>(prepared: &[Result<T, ConnectorError>]) -> Vec<Vec<usize>> {
    let ready: Vec<usize> = prepared
        .iter()
        .enumerate()
        .filter(|(_, p)| p.is_ok())
        .map(|(i, _)| i)
        .collect();
    ready.chunks(BATCH_SIZE).map(<[usize]>::to_vec).collect()
}

/// Splits input positions into creates and updates (`is_update(i)`), each in batches of
/// [`BATCH_SIZE`]: `(positions, is_update)`. Creates go by PUT, updates by POST.
pub fn creates_and_updates(
    positions: &[usize],
    is_update: impl Fn(usize) -> bool,
) -> Vec<(Vec<usize>, bool)> {
    let (updates, creates): (Vec<usize>, Vec<usize>) =
        positions.iter().partition(|&&i| is_update(i));
    let mut out: Vec<(Vec<usize>, bool)> = creates
        .chunks(BATCH_SIZE)
        .map(|c| (c.to_vec(), false))
        .collect();
    out.extend(updates.chunks(BATCH_SIZE).map(|c| (c.to_vec(), true)));
    out
}

/// One element of a batch answer.
pub trait Element {
    /// Xero's id of the saved record.
    fn id(&self) -> Option<&str>;
    /// Why it was not saved; empty when it was.
    fn errors(&self) -> ElementErrors;
}

impl Element for ContactIn {
    fn id(&self) -> Option<&str> {
        self.contact_id.as_deref()
    }
    fn errors(&self) -> ElementErrors {
        let mut e = ElementErrors {
            messages: self
                .validation_errors
                .iter()
                .filter_map(|v| v.message.clone())
                .collect(),
            line_messages: Vec::new(),
        };
        if e.is_empty() && self.has_validation_errors == Some(true) {
            e.messages
                .push("the contact has validation errors".to_owned());
        }
        e
    }
}

impl Element for InvoiceIn {
    fn id(&self) -> Option<&str> {
        self.invoice_id.as_deref()
    }
    fn errors(&self) -> ElementErrors {
        let mut e = ElementErrors {
            messages: self
                .validation_errors
                .iter()
                .filter_map(|v| v.message.clone())
                .collect(),
            line_messages: self
                .line_items
                .iter()
                .enumerate()
                .flat_map(|(i, l)| {
                    l.validation_errors
                        .iter()
                        .filter_map(move |v| v.message.clone().map(|m| (i, m)))
                })
                .collect(),
        };
        if e.is_empty() && self.has_errors == Some(true) {
            e.messages
                .push("the invoice has validation errors".to_owned());
        }
        e
    }
}

/// What was sent of one record, to read its element of the answer.
#[derive(Debug, Clone, Default)]
pub struct Sent {
    /// Names the record in messages ("customer \"Acme\"", "invoice INV-1").
    pub what: String,
    /// Whether it was an update (it had a remote id).
    pub update: bool,
    /// Its lines, for invoices.
    pub lines: Vec<SentLine>,
}

/// A batch answer's body, parsed into its elements.
pub trait Answer: Sized {
    /// The element type.
    type Element: Element;
    /// Parse `body`; `None` when it is not the shape expected.
    fn parse(body: &[u8]) -> Option<Vec<Self::Element>>;
}

/// `/Contacts` answers.
pub struct Contacts;
impl Answer for Contacts {
    type Element = ContactIn;
    fn parse(body: &[u8]) -> Option<Vec<ContactIn>> {
        let b: ContactsBody = serde_json::from_slice(body).ok()?;
        Some(if b.contacts.is_empty() {
            b.elements
        } else {
            b.contacts
        })
    }
}

/// `/Invoices` answers.
pub struct Invoices;
impl Answer for Invoices {
    type Element = InvoiceIn;
    fn parse(body: &[u8]) -> Option<Vec<InvoiceIn>> {
        let b: InvoicesBody = serde_json::from_slice(body).ok()?;
        Some(if b.invoices.is_empty() {
            b.elements
        } else {
            b.invoices
        })
    }
}

/// `/CreditNotes` answers (their elements read as [`InvoiceIn`]).
pub struct CreditNotes;
impl Answer for CreditNotes {
    type Element = InvoiceIn;
    fn parse(body: &[u8]) -> Option<Vec<InvoiceIn>> {
        let b: CreditNotesBody = serde_json::from_slice(body).ok()?;
        Some(if b.credit_notes.is_empty() {
            b.elements
        } else {
            b.credit_notes
        })
    }
}

/// One outcome per record of `sent`, from Xero's answer to the batch (`status`, `body`), or
/// from `failed` when no usable answer came (the same error for every record).
pub fn outcomes<A: Answer>(
    record: Record,
    sent: &[Sent],
    answer: Result<(u16, &[u8]), ConnectorError>,
) -> Vec<Result<Written, ConnectorError>> {
    let every = |e: ConnectorError| sent.iter().map(|_| Err(e.clone())).collect();
    let (status, body) = match answer {
        Ok(a) => a,
        Err(e) => return every(e),
    };
    let ok = (200..300).contains(&status);
    let elements = match A::parse(body) {
        Some(elements) if (ok || status == 400) && elements.len() == sent.len() => elements,
        Some(elements) if ok => {
            return every(error::transient(format!(
                "Xero answered {} records for a batch of {}; run the transfer again (the batch is idempotent)",
                elements.len(),
                sent.len()
            )));
        }
        _ if ok => {
            return every(error::transient(format!(
                "Xero's answer (status {status}) is not the JSON expected"
            )));
        }
        _ => {
            return every(request_error(status, None, None, body).unwrap_or_else(|| {
                error::transient(format!(
                    "Xero answered {status}: {}",
                    String::from_utf8_lossy(body)
                        .chars()
                        .take(300)
                        .collect::<String>()
                ))
            }));
        }
    };
    elements
        .iter()
        .zip(sent)
        .map(|(element, s)| {
            let errors = element.errors();
            if !errors.is_empty() {
                return Err(element_error(record, &s.what, &errors, &s.lines));
            }
            if !ok {
                // A refused request saves nothing: this record was fine, another was not.
                return Err(error::transient(format!(
                    "{} was not saved because Xero refused another record of its batch; it is sent again on the next run",
                    s.what
                )));
            }
            match element.id().filter(|id| !id.is_empty() && !is_nil_uuid(id)) {
                Some(id) => Ok(Written {
                    remote_id: id.to_owned(),
                    version: None,
                    action: if s.update { WriteAction::Updated } else { WriteAction::Created },
                    note: None,
                }),
                None => Err(error::transient(format!(
                    "Xero saved {} but did not return its id",
                    s.what
                ))),
            }
        })
        .collect()
}

fn is_nil_uuid(id: &str) -> bool {
    id.chars().all(|c| c == '0' || c == '-')
}

/// Put the outcomes of sent records back among the records refused before sending, in
/// input order. `prepared[i]` is `Err` for a record refused locally; `sent` pairs input
/// positions with their outcomes.
pub fn merge<T, O>(
    prepared: Vec<Result<T, ConnectorError>>,
    sent: Vec<(usize, Result<O, ConnectorError>)>,
) -> Vec<Result<O, ConnectorError>> {
    let mut out: Vec<Option<Result<O, ConnectorError>>> =
        prepared.into_iter().map(|p| p.err().map(Err)).collect();
    for (i, outcome) in sent {
        if let Some(slot) = out.get_mut(i) {
            *slot = Some(outcome);
        }
    }
    out.into_iter()
        .map(|o| {
            o.unwrap_or_else(|| {
                Err(error::transient(
                    "the record was not sent (an earlier failure stopped the batch); it is sent again on the next run",
                ))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledgerlink_sdk::error::ConnectorErrorExt;
    use ledgerlink_sdk::types::ConnectorError as E;

    #[test]
    fn the_key_depends_on_the_record_keys_in_order_only() {
        let a = idempotency_key("contacts", &[Some("k1"), Some("k2")], b"{}");
        assert_eq!(
            a,
            idempotency_key("contacts", &[Some("k1"), Some("k2")], b"{\"other\":1}")
        );
        assert_ne!(
            a,
            idempotency_key("contacts", &[Some("k2"), Some("k1")], b"{}")
        );
        assert_ne!(
            a,
            idempotency_key("invoices", &[Some("k1"), Some("k2")], b"{}")
        );
        // Length prefixes: ["ab","c"] and ["a","bc"] differ.
        assert_ne!(
            idempotency_key("contacts", &[Some("ab"), Some("c")], b""),
            idempotency_key("contacts", &[Some("a"), Some("bc")], b"")
        );
        assert!(a.starts_with("ledgerlink-contacts-"));
        assert_eq!(a.len(), "ledgerlink-contacts-".len() + 64);
        assert!(a.len() <= KEY_MAX);
        assert!(idempotency_key("invoices", &[], b"").len() <= KEY_MAX);
    }

    #[test]
    fn without_record_keys_the_body_is_hashed() {
        let a = idempotency_key("contacts", &[Some("k1"), None], b"body-1");
        assert_eq!(
            a,
            idempotency_key("contacts", &[Some("k1"), None], b"body-1")
        );
        assert_ne!(
            a,
            idempotency_key("contacts", &[Some("k1"), None], b"body-2")
        );
    }

    #[test]
    fn ready_records_are_sent_in_groups_of_fifty() {
        let prepared: Vec<Result<u8, ConnectorError>> = (0..120)
            .map(|i| {
                if i == 3 {
                    Err(error::validation("bad"))
                } else {
                    Ok(0)
                }
            })
            .collect();
        let groups = chunks(&prepared);
        assert_eq!(
            groups.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![50, 50, 19]
        );
        assert_eq!(groups[0][3], 4);
        assert_eq!(groups[2][18], 119);
    }

    #[test]
    fn creates_and_updates_go_apart_in_batches() {
        let positions: Vec<usize> = (0..120).collect();
        let parts = creates_and_updates(&positions, |i| i % 3 == 0);
        let sizes: Vec<(usize, bool)> = parts.iter().map(|(p, u)| (p.len(), *u)).collect();
        assert_eq!(sizes, vec![(50, false), (30, false), (40, true)]);
        assert!(parts[2].0.iter().all(|i| i % 3 == 0));
    }

    #[test]
    fn merged_outcomes_keep_input_order() {
        let prepared: Vec<Result<(), ConnectorError>> =
            vec![Ok(()), Err(error::validation("local").at("name")), Ok(())];
        let out = merge(prepared, vec![(2, Ok("c")), (0, Ok("a"))]);
        assert_eq!(out[0].as_ref().ok(), Some(&"a"));
        assert_eq!(out[1].as_ref().err().and_then(|e| e.field()), Some("name"));
        assert_eq!(out[2].as_ref().ok(), Some(&"c"));
        let out = merge::<(), &str>(vec![Ok(())], vec![]);
        assert!(matches!(out[0], Err(E::Transient(_))));
    }

    fn sent(n: usize) -> Vec<Sent> {
        (0..n)
            .map(|i| Sent {
                what: format!("customer \"C{i}\""),
                update: i == 1,
                lines: vec![],
            })
            .collect()
    }

    #[test]
    fn a_mixed_answer_gives_one_outcome_per_record() {
        // summarizeErrors=false: 200 with a refused element in the middle.
        let body = br#"{"Contacts":[
            {"ContactID":"11111111-1111-1111-1111-111111111111","Name":"C0","HasValidationErrors":false},
            {"ContactID":"22222222-2222-2222-2222-222222222222","Name":"C1"},
            {"ContactID":"00000000-0000-0000-0000-000000000000","Name":"C2","HasValidationErrors":true,
             "ValidationErrors":[{"Message":"The contact name C2 is already assigned to another contact. The contact name must be unique across all active contacts."}]}
        ]}"#;
        let out = outcomes::<Contacts>(Record::Customer, &sent(3), Ok((200, body)));
        let w0 = out[0].as_ref().expect("created");
        assert_eq!(w0.remote_id, "11111111-1111-1111-1111-111111111111");
        assert_eq!(w0.action, WriteAction::Created);
        assert_eq!(
            out[1].as_ref().expect("updated").action,
            WriteAction::Updated
        );
        let E::Duplicate(d) = out[2].as_ref().expect_err("refused") else {
            panic!()
        };
        assert_eq!(d.field.as_deref(), Some("name"));
        assert!(
            d.message
                .starts_with("Xero refused customer \"C2\": The contact name C2")
        );
    }

    #[test]
    fn a_refused_request_fails_the_bad_records_and_defers_the_good_ones() {
        // The spec's 400 ValidationException shape, one element per record sent.
        let body = br#"{"ErrorNumber":10,"Type":"ValidationException","Message":"A validation exception occurred",
            "Elements":[{"ContactID":"00000000-0000-0000-0000-000000000000","Name":"C0","ValidationErrors":[]},
                        {"Name":"C1","HasValidationErrors":true,"ValidationErrors":[{"Message":"Email address must be valid."}]}]}"#;
        let out = outcomes::<Contacts>(Record::Customer, &sent(2), Ok((400, body)));
        assert!(matches!(out[0], Err(E::Transient(_))), "{:?}", out[0]);
        let e = out[1].as_ref().expect_err("refused");
        assert!(matches!(e, E::Validation(_)));
        assert_eq!(e.field(), Some("email"));
    }

    #[test]
    fn invoice_line_errors_reach_their_record() {
        let body = br#"{"Invoices":[{"InvoiceID":"00000000-0000-0000-0000-000000000000","HasErrors":true,
            "LineItems":[{"ValidationErrors":[]},{"ValidationErrors":[{"Message":"Account code '999' is not a valid code for this document."}]}],
            "ValidationErrors":[]}]}"#;
        let s = vec![Sent {
            what: "invoice INV-1".into(),
            update: false,
            lines: vec![],
        }];
        let out = outcomes::<Invoices>(Record::Invoice, &s, Ok((200, body)));
        let e = out[0].as_ref().expect_err("refused");
        assert_eq!(e.field(), Some("lines[1].account-code"));
    }

    #[test]
    fn credit_note_answers_give_their_ids() {
        // The spec's PUT /CreditNotes answer shape, with summarizeErrors=false.
        let body = br#"{"CreditNotes":[
            {"CreditNoteID":"f9256f04-5a99-4680-acb9-6b4639cc439a","CreditNoteNumber":"CN-1","Type":"ACCRECCREDIT",
             "StatusAttributeString":"OK","HasErrors":false},
            {"CreditNoteID":"00000000-0000-0000-0000-000000000000","CreditNoteNumber":"CN-1","HasErrors":true,
             "StatusAttributeString":"ERROR","ValidationErrors":[{"Message":"Credit Note # must be unique."}]}]}"#;
        let s = vec![
            Sent {
                what: "credit note CN-1".into(),
                update: false,
                lines: vec![],
            };
            2
        ];
        let out = outcomes::<CreditNotes>(Record::Invoice, &s, Ok((200, body)));
        assert_eq!(
            out[0].as_ref().expect("saved").remote_id,
            "f9256f04-5a99-4680-acb9-6b4639cc439a"
        );
        let e = out[1].as_ref().expect_err("refused");
        assert!(matches!(e, E::Duplicate(_)));
        assert_eq!(e.field(), Some("number"));
    }

    #[test]
    fn a_whole_request_failure_is_every_records_failure() {
        let out = outcomes::<Contacts>(
            Record::Customer,
            &sent(2),
            Ok((401, br#"{"Detail":"AuthenticationUnsuccessful"}"#)),
        );
        assert!(out.iter().all(|o| matches!(o, Err(E::Auth(_)))));
        let out = outcomes::<Contacts>(
            Record::Customer,
            &sent(2),
            Err(error::rate_limited("slow", Some(1000))),
        );
        assert!(out.iter().all(|o| matches!(o, Err(E::RateLimited(_)))));
        let out = outcomes::<Contacts>(
            Record::Customer,
            &sent(2),
            Ok((200, br#"{"Contacts":[{"ContactID":"a"}]}"#)),
        );
        assert_eq!(
            out[1].as_ref().expect_err("short").message(),
            "Xero answered 1 records for a batch of 2; run the transfer again (the batch is idempotent)"
        );
    }
}

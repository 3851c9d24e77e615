//! QuickBooks `Fault`s → the contract's error classes.
//!
//! | QuickBooks | class |
//! |---|---|
//! | code 5010 (Stale Object Error) | stale |
//! | code 6240 (Duplicate Name Exists) | duplicate on `name` |
//! | code 6140 (Duplicate Document Number) | duplicate on `number` |
//! | code 610 / "Object Not Found" | not-found |
//! | a payment linked or applied / a closed period | locked |
//! | HTTP 429 or code 3001 | rate-limited, with `Retry-After` |
//! | `AuthenticationFault` / `AuthorizationFault`, HTTP 401 / 403, codes 3100 / 3200 | auth |
//! | `SystemFault`, HTTP 5xx | transient |
//! | any other `ValidationFault` | validation, with the field from the error's `element` |

use ledgerlink_sdk::error::{self, ConnectorErrorExt};
use ledgerlink_sdk::types::ConnectorError;

use crate::map::qbo::{Fault, FaultError};

/// Stale Object Error: the SyncToken sent is not the current one.
pub const STALE: &str = "5010";
/// Duplicate Name Exists Error: another customer, vendor or employee has the DisplayName.
pub const DUPLICATE_NAME: &str = "6240";
/// Duplicate Document Number Error.
pub const DUPLICATE_DOC_NUMBER: &str = "6140";
/// Object Not Found.
pub const NOT_FOUND: &str = "610";
/// Throttled.
pub const THROTTLED: &str = "3001";

/// The canonical field a QuickBooks `element` names, when it maps to one.
pub fn field_of(element: &str) -> Option<&'static str> {
    let head = element.split(['.', '/', '[']).next().unwrap_or(element);
    Some(match head {
        "DisplayName" | "CompanyName" => "name",
        "GivenName" | "FamilyName" => "contact-name",
        "PrimaryEmailAddr" => "email",
        "PrimaryPhone" => "phone",
        "AcctNum" => "account-number",
        "PrimaryTaxIdentifier" => "tax-number",
        "BillAddr" => "billing-address",
        "ShipAddr" => "shipping-address",
        "CurrencyRef" | "ExchangeRate" => "currency",
        "TotalAmt" => "total",
        "DocNumber" => "number",
        "CustomerRef" => "customer.remote-id",
        "TxnDate" => "issue-date",
        "DueDate" => "due-date",
        "GlobalTaxCalculation" => "tax-mode",
        "Line"
        | "ItemRef"
        | "TaxCodeRef"
        | "Qty"
        | "UnitPrice"
        | "Amount"
        | "SalesItemLineDetail" => "lines",
        "CustomerMemo" => "memo",
        "PrivateNote" => "reference",
        _ => return None,
    })
}

/// The first error's `code`.
pub fn code(fault: &Fault) -> Option<&str> {
    fault.errors.first().and_then(|e| e.code.as_deref())
}

fn has_code(fault: &Fault, wanted: &str) -> bool {
    fault.errors.iter().any(|e| {
        e.code
            .as_deref()
            .is_some_and(|c| c.trim_start_matches('0') == wanted.trim_start_matches('0'))
    })
}

fn text(e: &FaultError) -> String {
    let message = e.message.as_deref().unwrap_or("").trim();
    let detail = e.detail.as_deref().unwrap_or("").trim();
    match (message.is_empty(), detail.is_empty()) {
        (false, false) if detail.contains(message) => detail.to_owned(),
        (false, false) => format!("{message}: {detail}"),
        (false, true) => message.to_owned(),
        (true, false) => detail.to_owned(),
        (true, true) => "no details given".to_owned(),
    }
}

/// All errors of a fault in one line, with their codes.
pub fn describe(fault: &Fault) -> String {
    if fault.errors.is_empty() {
        return format!(
            "a {} with no details",
            fault.kind.as_deref().unwrap_or("fault")
        );
    }
    fault
        .errors
        .iter()
        .map(|e| match e.code.as_deref() {
            Some(c) => format!("{} (code {c})", text(e)),
            None => text(e),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn mentions(fault: &Fault, all: &[&str]) -> bool {
    fault.errors.iter().any(|e| {
        let t = text(e).to_lowercase();
        all.iter().all(|w| t.contains(w))
    })
}

/// Whether the fault refuses because a payment is linked to the transaction.
pub fn is_payment_linked(fault: &Fault) -> bool {
    mentions(fault, &["payment", "linked"]) || mentions(fault, &["payment", "applied"])
}

/// The Id QuickBooks names in a 6240 `Detail` ("... : Id=58"), when it does.
pub fn existing_id(fault: &Fault) -> Option<String> {
    fault.errors.iter().find_map(|e| {
        let detail = e.detail.as_deref()?;
        let at = detail.find("Id=")?;
        let id: String = detail[at + 3..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        (!id.is_empty()).then_some(id)
    })
}

/// Whether a whole batch was refused for having too many items, so it should be sent again
/// in smaller batches.
pub fn is_batch_too_large(status: u16, fault: Option<&Fault>) -> bool {
    if status == 413 {
        return true;
    }
    let Some(fault) = fault else { return false };
    (400..500).contains(&status)
        && fault.errors.iter().any(|e| {
            let t = text(e).to_lowercase();
            t.contains("batch")
                && [
                    "too many",
                    "too large",
                    "exceed",
                    "limit",
                    "maximum",
                    "max ",
                ]
                .iter()
                .any(|w| t.contains(w))
        })
}

/// The error class of `fault`, received with HTTP `status`, about `what` (e.g.
/// `customer "Acme"`, `invoice INV-1`).
pub fn classify(
    fault: &Fault,
    status: u16,
    retry_after_ms: Option<u64>,
    what: &str,
) -> ConnectorError {
    let kind = fault.kind.as_deref().unwrap_or("").to_ascii_lowercase();
    let detail = describe(fault);
    let message = format!("QuickBooks refused {what}: {detail}");
    let field = fault
        .errors
        .iter()
        .find_map(|e| e.element.as_deref().and_then(field_of));
    let with_field = |e: ConnectorError| match field {
        Some(f) => e.at(f),
        None => e,
    };

    if status == 429 || has_code(fault, THROTTLED) {
        return error::rate_limited(
            format!("QuickBooks throttled the request for {what}: {detail}"),
            retry_after_ms,
        );
    }
    if status == 401
        || status == 403
        || kind.starts_with("authentication")
        || kind.starts_with("authorizat")
        || has_code(fault, "3100")
        || has_code(fault, "3200")
    {
        return error::auth(format!(
            "QuickBooks refused the connection's credentials for {what}: {detail}. Reconnect the connection (`ledgerlink connect <connection>`)"
        ));
    }
    if has_code(fault, STALE) {
        return error::stale(format!(
            "{what} changed in QuickBooks since it was read (its SyncToken is stale): {detail}"
        ));
    }
    if has_code(fault, DUPLICATE_NAME) {
        return error::duplicate(
            format!("{what}: another customer, vendor or employee in QuickBooks already has this name: {detail}"),
            existing_id(fault),
        )
        .at("name");
    }
    if has_code(fault, DUPLICATE_DOC_NUMBER) {
        return error::duplicate(
            format!("{what}: the invoice number is already used in QuickBooks: {detail}"),
            None,
        )
        .at("number");
    }
    if has_code(fault, NOT_FOUND) || mentions(fault, &["object not found"]) || status == 404 {
        return error::not_found(format!("{what} was not found in QuickBooks: {detail}"));
    }
    if is_payment_linked(fault) {
        return error::locked(format!(
            "{what} has a payment linked in QuickBooks, which refuses to change it: {detail}. Unlink or delete the payment first"
        ));
    }
    if mentions(fault, &["closed", "period"]) || mentions(fault, &["closing date"]) {
        return error::locked(format!(
            "{what} is in a closed period in QuickBooks: {detail}"
        ));
    }
    if status >= 500 || kind.starts_with("system") {
        return error::transient(format!("QuickBooks failed on {what}: {detail}"));
    }
    with_field(error::validation(message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledgerlink_sdk::types::ConnectorError as E;

    fn fault(json: &str) -> Fault {
        #[derive(serde::Deserialize)]
        struct Body {
            #[serde(rename = "Fault", alias = "fault")]
            fault: Fault,
        }
        serde_json::from_str::<Body>(json)
            .expect("fault json")
            .fault
    }

    fn one(code: &str, message: &str, detail: &str, element: Option<&str>, kind: &str) -> Fault {
        let element = element
            .map(|e| format!(r#","element":"{e}""#))
            .unwrap_or_default();
        fault(&format!(
            r#"{{"Fault":{{"Error":[{{"Message":"{message}","Detail":"{detail}","code":"{code}"{element}}}],"type":"{kind}"}},"time":"2026-11-20T09:00:00.000-08:00"}}"#
        ))
    }

    #[test]
    fn stale_duplicate_and_not_found() {
        let f = one(
            "5010",
            "Stale Object Error",
            "Stale Object Error : You and root were working on this at the same time.",
            None,
            "ValidationFault",
        );
        let e = classify(&f, 400, None, "customer \"Acme\"");
        assert!(matches!(e, E::Stale(_)), "{e:?}");
        assert_eq!(
            e.message(),
            "customer \"Acme\" changed in QuickBooks since it was read (its SyncToken is stale): Stale Object Error : You and root were working on this at the same time. (code 5010)"
        );

        let f = one(
            "6240",
            "Duplicate Name Exists Error",
            "The name supplied already exists. : Id=58",
            Some("DisplayName"),
            "ValidationFault",
        );
        match classify(&f, 400, None, "customer \"Acme\"") {
            E::Duplicate(d) => {
                assert_eq!(d.field.as_deref(), Some("name"));
                assert_eq!(d.existing_id.as_deref(), Some("58"));
            }
            other => panic!("{other:?}"),
        }

        let f = one(
            "6140",
            "Duplicate Document Number Error",
            "Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=INV-1 is assigned to TxnType=Invoice with TxnId=130",
            None,
            "ValidationFault",
        );
        match classify(&f, 400, None, "invoice INV-1") {
            E::Duplicate(d) => {
                assert_eq!(d.field.as_deref(), Some("number"));
                assert_eq!(d.existing_id, None);
            }
            other => panic!("{other:?}"),
        }

        let f = one(
            "610",
            "Object Not Found",
            "Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.",
            None,
            "ValidationFault",
        );
        assert!(matches!(
            classify(&f, 400, None, "invoice 9"),
            E::NotFound(_)
        ));
        let f = one("2500", "Object Not Found", "x", None, "ValidationFault");
        assert!(
            matches!(classify(&f, 400, None, "invoice 9"), E::NotFound(_)),
            "by message"
        );
    }

    #[test]
    fn validation_names_the_field_from_element() {
        let f = one(
            "2050",
            "String length is either shorter or longer than supported by specification",
            "Min:0 Max:21 supplied:25",
            Some("DocNumber"),
            "ValidationFault",
        );
        let e = classify(&f, 400, None, "invoice N");
        assert!(matches!(e, E::Validation(_)));
        assert_eq!(e.field(), Some("number"));
        assert_eq!(
            e.message(),
            "QuickBooks refused invoice N: String length is either shorter or longer than supported by specification: Min:0 Max:21 supplied:25 (code 2050)"
        );
        let f = one(
            "2020",
            "Required param missing, need to supply the required value for the API",
            "Required parameter Line.SalesItemLineDetail.ItemRef is missing",
            Some("Line.SalesItemLineDetail.ItemRef"),
            "ValidationFault",
        );
        assert_eq!(classify(&f, 400, None, "invoice N").field(), Some("lines"));
        let f = one(
            "2010",
            "Request has invalid or unsupported property",
            "Property Name:Foo",
            Some("Foo"),
            "ValidationFault",
        );
        assert_eq!(classify(&f, 400, None, "x").field(), None);
    }

    #[test]
    fn auth_throttle_and_server_faults() {
        // Intuit's 401 body spells its keys in lower case.
        let f = fault(
            r#"{"fault":{"error":[{"message":"message=AuthenticationFailed; errorCode=003200; statusCode=401","detail":"Token expired","code":"3200"}],"type":"AUTHENTICATION"}}"#,
        );
        let e = classify(&f, 401, None, "customers");
        assert!(matches!(e, E::Auth(_)), "{e:?}");
        assert!(e.message().contains("Token expired"), "{}", e.message());

        let f = one(
            "3001",
            "message=ThrottleExceeded; errorCode=003001; statusCode=429",
            "The request limit was reached.",
            None,
            "ThrottleExceeded",
        );
        match classify(&f, 429, Some(60_000), "customers") {
            E::RateLimited(r) => assert_eq!(r.retry_after_ms, Some(60_000)),
            other => panic!("{other:?}"),
        }
        let f = one(
            "10000",
            "An application error has occurred while processing your request",
            "System Failure Error",
            None,
            "SystemFault",
        );
        assert!(matches!(classify(&f, 500, None, "x"), E::Transient(_)));
        let f = one(
            "003100",
            "message=ApplicationAuthorizationFailed",
            "",
            None,
            "AuthorizationFault",
        );
        assert!(matches!(classify(&f, 403, None, "x"), E::Auth(_)));
    }

    #[test]
    fn linked_payments_lock() {
        let f = one(
            "6000",
            "A business validation error has occurred while processing your request",
            "Business Validation Error: This invoice has a payment linked to it. Unlink the payment before deleting the invoice.",
            None,
            "ValidationFault",
        );
        let e = classify(&f, 400, None, "invoice INV-7");
        assert!(matches!(e, E::Locked(_)), "{e:?}");
        assert!(
            e.message()
                .starts_with("invoice INV-7 has a payment linked in QuickBooks")
        );
    }

    #[test]
    fn batch_size_refusals() {
        let f = one(
            "4003",
            "Batch request exceeds the maximum of 30 items",
            "",
            None,
            "ValidationFault",
        );
        assert!(is_batch_too_large(400, Some(&f)));
        let f = one(
            "6240",
            "Duplicate Name Exists Error",
            "x",
            None,
            "ValidationFault",
        );
        assert!(!is_batch_too_large(400, Some(&f)));
        assert!(is_batch_too_large(413, None));
        assert!(!is_batch_too_large(500, None));
    }
}

//! The only module that calls the host's `http` import: sends a request, reads Intuit's
//! answer, and turns faults into error classes. Retries, pacing and `Retry-After` waits are
//! the host's (it retries requests marked retry-safe); nothing here loops.

use ledgerlink_sdk::http::Request;
use ledgerlink_sdk::types::ConnectorError;

use crate::fault;
use crate::map::qbo::{
    Customer, Fault, FaultError, IntuitResponse, Invoice, Preferences, QueryResponse,
};
use crate::query;
use crate::settings::Settings;

/// An answer of any status.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// `Retry-After`, in milliseconds.
    pub retry_after_ms: Option<u64>,
    /// The decoded body, or why it could not be decoded (with the start of the text).
    pub body: Result<IntuitResponse, String>,
}

/// Send `request` (with `Accept: application/json`) and decode whatever comes back.
pub fn send(request: Request) -> Result<Answer, ConnectorError> {
    let response = request.header("Accept", "application/json").send()?;
    let status = response.status();
    let body = serde_json::from_slice::<IntuitResponse>(response.bytes()).map_err(|e| {
        let text = String::from_utf8_lossy(response.bytes());
        format!(
            "{e}; the answer began {:?}",
            text.chars().take(300).collect::<String>()
        )
    });
    Ok(Answer {
        status,
        retry_after_ms: response.retry_after_ms(),
        body,
    })
}

impl Answer {
    /// The fault of the whole request, when there is one.
    pub fn fault(&self) -> Option<&Fault> {
        self.body.as_ref().ok().and_then(|b| b.fault.as_ref())
    }

    /// The body of a successful answer, or the error class of a failed one. `what` names
    /// the record or operation in messages.
    pub fn into_result(self, what: &str) -> Result<IntuitResponse, ConnectorError> {
        let ok = (200..300).contains(&self.status);
        match self.body {
            Ok(body) if ok && body.fault.is_none() => Ok(body),
            Ok(body) => {
                let f = body.fault.unwrap_or_default();
                Err(fault::classify(&f, self.status, self.retry_after_ms, what))
            }
            Err(why) if ok => Err(ledgerlink_sdk::error::transient(format!(
                "QuickBooks' answer for {what} is not the JSON expected: {why}"
            ))),
            Err(why) => {
                // Not Intuit's JSON (a gateway page, an empty 5xx): classify by status alone.
                let f = Fault {
                    errors: vec![FaultError {
                        message: Some(format!("HTTP {}", self.status)),
                        detail: Some(why),
                        ..FaultError::default()
                    }],
                    kind: None,
                };
                Err(fault::classify(&f, self.status, self.retry_after_ms, what))
            }
        }
    }
}

/// GET `path` under the company URL.
pub fn get(
    settings: &Settings,
    path: &str,
    params: &[(&str, &str)],
    what: &str,
) -> Result<IntuitResponse, ConnectorError> {
    send(Request::get(query::url(
        &settings.company_url(),
        path,
        params,
    )))?
    .into_result(what)
}

/// POST `body` to `path`; retry-safe when a `requestid` is given.
pub fn post<T: serde::Serialize>(
    settings: &Settings,
    path: &str,
    params: &[(&str, &str)],
    request_id: Option<&str>,
    body: &T,
) -> Result<Answer, ConnectorError> {
    let mut all: Vec<(&str, &str)> = params.to_vec();
    if let Some(id) = request_id {
        all.push(("requestid", id));
    }
    let mut request = Request::post(query::url(&settings.company_url(), path, &all)).json(body)?;
    if request_id.is_some() {
        request = request.retry_safe();
    }
    send(request)
}

/// Run a query.
pub fn run_query(
    settings: &Settings,
    text: &str,
    what: &str,
) -> Result<QueryResponse, ConnectorError> {
    Ok(get(settings, "query", &[("query", text)], what)?
        .query_response
        .unwrap_or_default())
}

/// Read one customer.
pub fn read_customer(settings: &Settings, id: &str) -> Result<Customer, ConnectorError> {
    let what = format!("customer {id}");
    get(
        settings,
        &format!("customer/{}", query::encode(id)),
        &[],
        &what,
    )?
    .customer
    .ok_or_else(|| {
        ledgerlink_sdk::error::transient(format!("QuickBooks' answer for {what} holds no Customer"))
    })
}

/// Read one invoice.
pub fn read_invoice(settings: &Settings, id: &str) -> Result<Invoice, ConnectorError> {
    let what = format!("invoice {id}");
    get(
        settings,
        &format!("invoice/{}", query::encode(id)),
        &[],
        &what,
    )?
    .invoice
    .ok_or_else(|| {
        ledgerlink_sdk::error::transient(format!("QuickBooks' answer for {what} holds no Invoice"))
    })
}

/// Read one credit memo (by its QuickBooks `Id`, without the `CM-` prefix).
pub fn read_credit_memo(settings: &Settings, id: &str) -> Result<Invoice, ConnectorError> {
    let what = format!("credit memo {id}");
    get(
        settings,
        &format!("creditmemo/{}", query::encode(id)),
        &[],
        &what,
    )?
    .credit_memo
    .ok_or_else(|| {
        ledgerlink_sdk::error::transient(format!(
            "QuickBooks' answer for {what} holds no CreditMemo"
        ))
    })
}

/// The company's preferences.
pub fn read_preferences(settings: &Settings) -> Result<Preferences, ConnectorError> {
    let what = "the company preferences";
    get(settings, "preferences", &[], what)?
        .preferences
        .ok_or_else(|| {
            ledgerlink_sdk::error::transient(format!(
                "QuickBooks' answer for {what} holds no Preferences"
            ))
        })
}

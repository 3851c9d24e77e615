//! `/Payments`: paying an ACCREC/ACCPAY invoice from a bank account; a
//! payment of the whole amount due makes the invoice PAID.

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::call::Call;
use super::errors::{self, Reply};
use super::{Data, amounts, lists, wire, writes};
use crate::state::Core;

/// One payment against one invoice.
#[derive(Debug, Clone)]
pub(crate) struct Payment {
    id: Uuid,
    pub(crate) invoice_id: Uuid,
    account_id: Uuid,
    account_code: String,
    amount: Decimal,
    date: NaiveDate,
    reference: Option<String>,
    payment_type: &'static str,
    updated: SystemTime,
}

impl Payment {
    /// The short form embedded in an invoice's `Payments`.
    pub(crate) fn summary_json(&self) -> Value {
        let mut payment = json!({
            "PaymentID": self.id.to_string(),
            "Date": wire::date(self.date),
            "Amount": wire::number(self.amount),
            "CurrencyRate": wire::number(Decimal::ONE),
            "HasAccount": true,
            "HasValidationErrors": false,
        });
        if let Some(reference) = &self.reference {
            payment["Reference"] = json!(reference);
        }
        payment
    }

    fn to_json(&self, data: &Data) -> Value {
        let mut payment = self.summary_json();
        payment["Status"] = json!("AUTHORISED");
        payment["PaymentType"] = json!(self.payment_type);
        payment["IsReconciled"] = json!(false);
        payment["BankAmount"] = wire::number(self.amount);
        payment["UpdatedDateUTC"] = json!(wire::ms_date(self.updated));
        payment["Account"] =
            json!({ "AccountID": self.account_id.to_string(), "Code": self.account_code });
        if let Some(invoice) = data
            .invoices
            .iter()
            .find(|invoice| invoice.id == self.invoice_id)
        {
            payment["Invoice"] = invoice.summary_json();
        }
        payment
    }
}

/// Applies one payment element to `draft`.
fn pay(draft: &mut Data, input: &Map<String, Value>, now: SystemTime) -> (Value, Vec<String>) {
    let mut problems = Vec::new();
    let invoice_ref = input.get("Invoice").and_then(Value::as_object);
    let invoice_index = invoice_ref.and_then(|invoice| {
        let id = invoice.get("InvoiceID").and_then(Value::as_str);
        let number = invoice.get("InvoiceNumber").and_then(Value::as_str);
        draft.invoices.iter().position(|candidate| {
            id.is_some_and(|id| candidate.id.to_string().eq_ignore_ascii_case(id))
                || number.is_some_and(|number| candidate.number == number)
        })
    });
    if invoice_index.is_none() {
        problems.push(
            "The Invoice (InvoiceID or InvoiceNumber) of the payment could not be found."
                .to_owned(),
        );
    }
    let account_ref = input.get("Account").and_then(Value::as_object);
    let account = account_ref.and_then(|account| {
        let code = account.get("Code").and_then(Value::as_str);
        let id = account.get("AccountID").and_then(Value::as_str);
        draft.reference.accounts.iter().find(|candidate| {
            code.is_some_and(|code| candidate.code.eq_ignore_ascii_case(code))
                || id.is_some_and(|id| candidate.id.to_string().eq_ignore_ascii_case(id))
        })
    });
    let account = match account {
        Some(account) if account.is_bank() => Some((account.id, account.code.to_owned())),
        Some(account) => {
            problems.push(format!(
                "Account code '{}' is not a bank account and cannot take payments.",
                account.code
            ));
            None
        }
        None => {
            problems.push(
                "The Account (Code or AccountID) of the payment could not be found.".to_owned(),
            );
            None
        }
    };
    let amount = input
        .get("Amount")
        .and_then(wire::decimal)
        .map(amounts::money);
    match amount {
        Some(amount) if amount > Decimal::ZERO => {}
        _ => problems.push("Amount must be a positive number.".to_owned()),
    }
    let date = match input.get("Date").and_then(Value::as_str) {
        Some(text) => wire::parse_date(text).unwrap_or_else(|| {
            problems.push(format!(
                "Date '{text}' is not a valid date; send YYYY-MM-DD."
            ));
            DateTime::<Utc>::from(now).date_naive()
        }),
        None => DateTime::<Utc>::from(now).date_naive(),
    };
    if let (Some(index), Some(amount)) = (invoice_index, amount) {
        let invoice = &draft.invoices[index];
        if invoice.status != "AUTHORISED" {
            problems.push("Payment can only be made against an AUTHORISED invoice.".to_owned());
        } else if amount > invoice.amount_due() {
            problems
                .push("Payment amount exceeds the amount outstanding on this document.".to_owned());
        }
    }
    let mut payment = Payment {
        id: Uuid::new_v4(),
        invoice_id: invoice_index.map_or(Uuid::nil(), |index| draft.invoices[index].id),
        account_id: account.as_ref().map_or(Uuid::nil(), |(id, _)| *id),
        account_code: account.map(|(_, code)| code).unwrap_or_default(),
        amount: amount.unwrap_or_default(),
        date,
        reference: input
            .get("Reference")
            .and_then(Value::as_str)
            .map(str::to_owned),
        payment_type: "ACCRECPAYMENT",
        updated: now,
    };
    if let (Some(index), true) = (invoice_index, problems.is_empty()) {
        let invoice = &mut draft.invoices[index];
        if invoice.kind == "ACCPAY" {
            payment.payment_type = "ACCPAYPAYMENT";
        }
        invoice.amount_paid += payment.amount;
        invoice.updated = now;
        if invoice.amount_due().is_zero() {
            invoice.status = "PAID";
            invoice.fully_paid_on = Some(date);
        }
        draft.payments.push(payment.clone());
    }
    (payment.to_json(draft), problems)
}

fn save(data: &mut Data, elements: &[Value], summarize: bool, now: SystemTime) -> Reply {
    let mut draft = data.clone();
    let mut rendered = Vec::new();
    let mut refused = Vec::new();
    for element in elements {
        let empty = Map::new();
        let (mut json, problems) = pay(&mut draft, element.as_object().unwrap_or(&empty), now);
        if problems.is_empty() {
            if !summarize {
                json["StatusAttributeString"] = json!("OK");
            }
        } else {
            writes::mark_refused(&mut json, &problems, "HasValidationErrors");
            refused.push(json.clone());
        }
        rendered.push(json);
    }
    if summarize && !refused.is_empty() {
        return errors::validation(refused);
    }
    *data = draft;
    Reply::Json(StatusCode::OK, json!({ "Payments": rendered }))
}

/// `PUT /Payments` (POST too, as Xero accepts).
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
    let elements = match writes::elements(&body, "Payments") {
        Ok(elements) => elements,
        Err(reply) => return call.finish(reply).await,
    };
    let summarize = writes::summarize_errors(&call);
    writes::run(call, &headers, "PUT", "Payments", &body, |data, call| {
        save(data, &elements, summarize, call.core.clock.now())
    })
    .await
}

/// `GET /Payments`.
pub(crate) async fn list(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let call = match Call::open(core, &headers, query, false).await {
        Ok(call) => call,
        Err(response) => return response,
    };
    let records = call.core.xero_books.with(call.tenant, |ledger| {
        let data = &ledger.data;
        data.payments
            .iter()
            .map(|payment| (payment.updated, payment.to_json(data)))
            .collect()
    });
    let reply = lists::reply(&call, &headers, "Payments", records);
    call.finish(reply).await
}

/// Every payment of a tenant (control API).
pub(crate) fn dump(data: &Data) -> Value {
    let payments: Vec<Value> = data
        .payments
        .iter()
        .map(|payment| payment.to_json(data))
        .collect();
    json!({ "Payments": payments })
}

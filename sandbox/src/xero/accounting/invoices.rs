//! `/Invoices`: the invoice record, its arithmetic and status rules, and
//! its endpoints.
//!
//! Status rules (Xero's): a new invoice is DRAFT, SUBMITTED or AUTHORISED;
//! DRAFT and SUBMITTED may move to each other, to AUTHORISED or to DELETED;
//! AUTHORISED may be edited or VOIDED; PAID is reached only through
//! payments, and an invoice with a payment cannot change; DELETED and
//! VOIDED invoices cannot change. ACCREC numbers are unique per tenant (any
//! status) and auto-numbered `INV-0001`... when omitted.

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::amounts::{self, LineAmountTypes, Totals};
use super::call::Call;
use super::contacts::{self, Contact};
use super::errors::{self, Reply};
use super::{Data, lists, wire, writes};
use crate::state::Core;

/// Xero's refusal to touch an invoice with a payment.
pub(crate) const HAS_PAYMENT: &str =
    "This document cannot be edited as it has a payment or credit note allocated to it.";
/// Xero's refusal to touch a DELETED or VOIDED invoice.
const NOT_MODIFIABLE: &str = "Invoice not of valid status for modification";

/// One line item, as sent (amounts recomputed on every save).
#[derive(Debug, Clone)]
struct Line {
    id: Uuid,
    description: Option<String>,
    quantity: Decimal,
    unit_amount: Decimal,
    discount_rate: Option<Decimal>,
    item_code: Option<String>,
    account_code: Option<String>,
    tax_type: String,
    line_amount: Decimal,
    tax_amount: Decimal,
}

/// One invoice.
#[derive(Debug, Clone)]
pub(crate) struct Invoice {
    pub(crate) id: Uuid,
    /// `ACCREC` or `ACCPAY`.
    pub(crate) kind: &'static str,
    pub(crate) number: String,
    reference: Option<String>,
    pub(crate) contact_id: Uuid,
    date: NaiveDate,
    due_date: Option<NaiveDate>,
    pub(crate) status: &'static str,
    line_amount_types: LineAmountTypes,
    lines: Vec<Line>,
    currency: String,
    pub(crate) totals: Totals,
    pub(crate) amount_paid: Decimal,
    pub(crate) fully_paid_on: Option<NaiveDate>,
    pub(crate) updated: SystemTime,
}

impl Invoice {
    pub(crate) fn amount_due(&self) -> Decimal {
        self.totals.total - self.amount_paid
    }

    /// The invoice as the API returns it; `unitdp4` keeps unit amounts at 4 dp.
    pub(crate) fn to_json(&self, data: &Data, unitdp4: bool) -> Value {
        let contact = data
            .contacts
            .iter()
            .find(|contact| contact.id == self.contact_id)
            .map_or_else(
                || json!({ "ContactID": self.contact_id.to_string() }),
                Contact::summary_json,
            );
        let lines: Vec<Value> = self
            .lines
            .iter()
            .map(|line| {
                let unit = if unitdp4 {
                    line.unit_amount
                } else {
                    amounts::money(line.unit_amount)
                };
                let mut json = json!({
                    "LineItemID": line.id.to_string(),
                    "Quantity": wire::number(line.quantity),
                    "UnitAmount": wire::number(unit),
                    "TaxType": line.tax_type,
                    "TaxAmount": wire::number(line.tax_amount),
                    "LineAmount": wire::number(line.line_amount),
                    "Tracking": [],
                });
                for (field, value) in [
                    ("Description", &line.description),
                    ("ItemCode", &line.item_code),
                    ("AccountCode", &line.account_code),
                ] {
                    if let Some(value) = value {
                        json[field] = json!(value);
                    }
                }
                if let Some(rate) = line.discount_rate {
                    json["DiscountRate"] = wire::number(rate);
                }
                json
            })
            .collect();
        let payments: Vec<Value> = data
            .payments
            .iter()
            .filter(|payment| payment.invoice_id == self.id)
            .map(super::payments::Payment::summary_json)
            .collect();
        let mut invoice = json!({
            "Type": self.kind,
            "InvoiceID": self.id.to_string(),
            "InvoiceNumber": self.number,
            "Contact": contact,
            "Date": wire::date(self.date),
            "Status": self.status,
            "LineAmountTypes": self.line_amount_types.as_str(),
            "LineItems": lines,
            "SubTotal": wire::number(self.totals.sub_total),
            "TotalTax": wire::number(self.totals.total_tax),
            "Total": wire::number(self.totals.total),
            "AmountDue": wire::number(self.amount_due()),
            "AmountPaid": wire::number(self.amount_paid),
            "AmountCredited": wire::number(Decimal::ZERO),
            "CurrencyCode": self.currency,
            "CurrencyRate": wire::number(Decimal::ONE),
            "UpdatedDateUTC": wire::ms_date(self.updated),
            "Payments": payments,
            "SentToContact": false,
            "IsDiscounted": self.lines.iter().any(|line| line.discount_rate.is_some()),
            "HasAttachments": false,
            "HasErrors": false,
        });
        if let Some(reference) = &self.reference {
            invoice["Reference"] = json!(reference);
        }
        if let Some(due) = self.due_date {
            invoice["DueDate"] = json!(wire::date(due));
        }
        if let Some(paid) = self.fully_paid_on {
            invoice["FullyPaidOnDate"] = json!(wire::date(paid));
        }
        invoice
    }

    /// The short form embedded in a payment.
    pub(crate) fn summary_json(&self) -> Value {
        json!({
            "InvoiceID": self.id.to_string(),
            "InvoiceNumber": self.number,
            "Type": self.kind,
            "Status": self.status,
            "Total": wire::number(self.totals.total),
            "AmountDue": wire::number(self.amount_due()),
            "AmountPaid": wire::number(self.amount_paid),
            "HasErrors": false,
        })
    }

    /// Recomputes every line and the totals from what was sent.
    fn recompute(&mut self, data: &Data) {
        let types = self.line_amount_types;
        for line in &mut self.lines {
            if types == LineAmountTypes::NoTax {
                line.tax_type = "NONE".to_owned();
            }
            let rate = data
                .reference
                .tax_rate(&line.tax_type)
                .map_or(Decimal::ZERO, |rate| rate.percent());
            line.line_amount =
                amounts::line_amount(line.quantity, line.unit_amount, line.discount_rate);
            line.tax_amount = amounts::line_tax(line.line_amount, rate, types);
        }
        let pairs: Vec<(Decimal, Decimal)> = self
            .lines
            .iter()
            .map(|line| (line.line_amount, line.tax_amount))
            .collect();
        self.totals = amounts::totals(&pairs, types);
    }
}

/// Who an element names as its contact.
enum ContactChoice {
    Existing(Uuid),
    New(String),
}

/// A text field: `Ok(None)` when absent or null.
fn text(input: &Map<String, Value>, field: &str, problems: &mut Vec<String>) -> Option<String> {
    match input.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(value)) => Some(value.clone()),
        Some(_) => {
            problems.push(format!("{field} must be text."));
            None
        }
    }
}

fn decimal_field(
    input: &Map<String, Value>,
    field: &str,
    problems: &mut Vec<String>,
) -> Option<Decimal> {
    match input.get(field) {
        None | Some(Value::Null) => None,
        Some(value) => {
            let parsed = wire::decimal(value);
            if parsed.is_none() {
                problems.push(format!("{field} must be a number."));
            }
            parsed
        }
    }
}

fn date_field(
    input: &Map<String, Value>,
    field: &str,
    problems: &mut Vec<String>,
) -> Option<NaiveDate> {
    let value = text(input, field, problems)?;
    let parsed = wire::parse_date(&value);
    if parsed.is_none() {
        problems.push(format!(
            "{field} '{value}' is not a valid date; send YYYY-MM-DD."
        ));
    }
    parsed
}

/// Reads one line item, checking its codes against the reference data.
fn read_line(
    input: &Value,
    data: &Data,
    kind: &str,
    unit_dp: u32,
    problems: &mut Vec<String>,
) -> Line {
    let empty = Map::new();
    let input = input.as_object().unwrap_or(&empty);
    let mut description = text(input, "Description", problems);
    let item_code = text(input, "ItemCode", problems);
    let mut account_code = text(input, "AccountCode", problems);
    let mut unit_amount = decimal_field(input, "UnitAmount", problems);
    if let Some(code) = &item_code {
        match data.reference.item(code) {
            Some(item) => {
                description.get_or_insert_with(|| item.description.to_owned());
                account_code.get_or_insert_with(|| item.account_code.to_owned());
                unit_amount.get_or_insert(item.unit_price);
            }
            None => problems.push(format!("Item code '{code}' is not valid.")),
        }
    }
    let mut default_tax = "NONE".to_owned();
    if let Some(code) = &account_code {
        match data.reference.account(code) {
            Some(account) if !account.is_bank() && account.system_account.is_none() => {
                default_tax = account.tax_type.to_owned();
            }
            _ => problems.push(format!(
                "Account code '{code}' is not a valid code for this document."
            )),
        }
    }
    let tax_type = match text(input, "TaxType", problems) {
        Some(tax_type) => {
            let usable = data.reference.tax_rate(&tax_type).is_some_and(|rate| {
                if kind == "ACCREC" {
                    rate.sales
                } else {
                    rate.purchases
                }
            });
            if !usable {
                problems.push(format!(
                    "The TaxType code '{tax_type}' does not exist or cannot be used for this type of transaction."
                ));
            }
            tax_type.to_ascii_uppercase()
        }
        None => default_tax,
    };
    let quantity = decimal_field(input, "Quantity", problems).unwrap_or(Decimal::ONE);
    let discount_rate = decimal_field(input, "DiscountRate", problems);
    if let Some(rate) = discount_rate
        && !(Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&rate)
    {
        problems.push("DiscountRate must be between 0 and 100.".to_owned());
    }
    let line_amount = decimal_field(input, "LineAmount", problems);
    let unit_amount = match (unit_amount, line_amount) {
        (Some(unit), _) => unit,
        // Xero fills in a missing UnitAmount from LineAmount / Quantity.
        (None, Some(amount)) if !quantity.is_zero() => amount / quantity,
        _ => Decimal::ZERO,
    };
    Line {
        id: Uuid::new_v4(),
        description,
        quantity: amounts::round(quantity, 4),
        unit_amount: amounts::round(unit_amount, unit_dp),
        discount_rate: discount_rate.map(|rate| amounts::round(rate, 2)),
        item_code,
        account_code,
        tax_type,
        line_amount: Decimal::ZERO,
        tax_amount: Decimal::ZERO,
    }
}

/// Whether the status change `from` → `to` is allowed; the refusal otherwise.
fn transition(from: &str, to: &str) -> Result<(), String> {
    match (from, to) {
        (_, "PAID") => {
            Err("Status PAID is set by payments: apply a payment with PUT /Payments.".into())
        }
        ("DRAFT" | "SUBMITTED", "DRAFT" | "SUBMITTED" | "AUTHORISED" | "DELETED") => Ok(()),
        ("DRAFT" | "SUBMITTED", "VOIDED") => Err(
            "A DRAFT or SUBMITTED invoice cannot be voided; delete it (Status DELETED) instead."
                .into(),
        ),
        ("AUTHORISED", "AUTHORISED" | "VOIDED") => Ok(()),
        ("AUTHORISED", "DELETED") => {
            Err("An AUTHORISED invoice cannot be deleted; void it (Status VOIDED) instead.".into())
        }
        ("AUTHORISED", _) => Err(NOT_MODIFIABLE.into()),
        _ => Err(format!(
            "Status '{to}' is not one of DRAFT, SUBMITTED, AUTHORISED, DELETED, VOIDED."
        )),
    }
}

fn status_name(text: &str) -> Option<&'static str> {
    [
        "DRAFT",
        "SUBMITTED",
        "AUTHORISED",
        "DELETED",
        "VOIDED",
        "PAID",
    ]
    .into_iter()
    .find(|status| status.eq_ignore_ascii_case(text))
}

/// The next free `INV-nnnn`.
fn next_number(data: &mut Data) -> String {
    loop {
        data.invoice_sequence += 1;
        let number = format!("INV-{:04}", data.invoice_sequence);
        if !data.invoices.iter().any(|invoice| invoice.number == number) {
            return number;
        }
    }
}

/// Saves one element into `draft`; returns the rendered element and its problems.
fn save_one(
    draft: &mut Data,
    element: &Value,
    creating_only: bool,
    path_id: Option<Uuid>,
    unitdp4: bool,
    now: SystemTime,
) -> Result<(Value, Vec<String>), Reply> {
    let empty = Map::new();
    let input = element.as_object().unwrap_or(&empty);
    let mut problems = Vec::new();
    if !element.is_object() {
        problems.push("Each invoice must be a JSON object.".to_owned());
    }
    let requested_number = text(input, "InvoiceNumber", &mut problems);
    let id = match (path_id, input.get("InvoiceID")) {
        (Some(id), _) => Some(id),
        (None, Some(Value::String(id))) => match Uuid::parse_str(id) {
            Ok(id) => Some(id),
            Err(_) => {
                problems.push(format!("InvoiceID '{id}' is not a valid identifier."));
                None
            }
        },
        _ => None,
    };
    let existing = match id {
        Some(id) => match draft.invoices.iter().position(|invoice| invoice.id == id) {
            Some(index) => Some(index),
            None if path_id.is_some() => return Err(Reply::NotFound),
            None => {
                problems.push(format!(
                    "The invoice with InvoiceID '{id}' could not be found."
                ));
                None
            }
        },
        // POST identifies an existing ACCREC invoice by its number, as Xero does.
        None if !creating_only => requested_number.as_ref().and_then(|number| {
            draft
                .invoices
                .iter()
                .position(|invoice| invoice.kind == "ACCREC" && &invoice.number == number)
        }),
        None => None,
    };
    let mut invoice = match existing {
        Some(index) => draft.invoices[index].clone(),
        None => Invoice {
            id: Uuid::new_v4(),
            kind: "ACCREC",
            number: String::new(),
            reference: None,
            contact_id: Uuid::nil(),
            date: DateTime::<Utc>::from(now).date_naive(),
            due_date: None,
            status: "DRAFT",
            line_amount_types: LineAmountTypes::Exclusive,
            lines: Vec::new(),
            currency: draft.reference.currency.to_owned(),
            totals: Totals::default(),
            amount_paid: Decimal::ZERO,
            fully_paid_on: None,
            updated: now,
        },
    };
    if existing.is_some() {
        if invoice.amount_paid > Decimal::ZERO {
            problems.push(HAS_PAYMENT.to_owned());
        } else if matches!(invoice.status, "DELETED" | "VOIDED") {
            problems.push(NOT_MODIFIABLE.to_owned());
        }
    }
    match (text(input, "Type", &mut problems), existing) {
        (Some(kind), _) if kind.eq_ignore_ascii_case("ACCREC") && invoice.kind == "ACCREC" => {}
        (Some(kind), None) if kind.eq_ignore_ascii_case("ACCPAY") => invoice.kind = "ACCPAY",
        (Some(kind), Some(_)) if kind.eq_ignore_ascii_case(invoice.kind) => {}
        (Some(kind), _) => problems.push(format!(
            "Invoice Type '{kind}' is not supported here; send ACCREC (or ACCPAY) and keep an invoice's type."
        )),
        (None, Some(_)) => {}
        (None, None) => problems.push("Invoice Type must be specified (ACCREC or ACCPAY).".to_owned()),
    }
    let contact = match input.get("Contact") {
        None | Some(Value::Null) => {
            if existing.is_none() {
                problems
                    .push("A Contact must be specified for this type of transaction".to_owned());
            }
            None
        }
        Some(contact) => {
            let id = contact
                .get("ContactID")
                .and_then(Value::as_str)
                .filter(|id| !id.is_empty());
            let name = contact
                .get("Name")
                .and_then(Value::as_str)
                .filter(|name| !name.trim().is_empty());
            match (id, name) {
                (Some(id), _) => match Uuid::parse_str(id)
                    .ok()
                    .filter(|id| draft.contacts.iter().any(|contact| contact.id == *id))
                {
                    Some(id) => Some(ContactChoice::Existing(id)),
                    None => {
                        problems.push(format!(
                            "The contact with ContactID '{id}' could not be found."
                        ));
                        None
                    }
                },
                (None, Some(name)) => Some(match contacts::active_named(draft, name, None) {
                    Some(index) => ContactChoice::Existing(draft.contacts[index].id),
                    None => ContactChoice::New(name.trim().to_owned()),
                }),
                (None, None) => {
                    problems.push(
                        "A Contact must be specified for this type of transaction".to_owned(),
                    );
                    None
                }
            }
        }
    };
    if let Some(date) = date_field(input, "Date", &mut problems) {
        invoice.date = date;
    }
    if let Some(due) = date_field(input, "DueDate", &mut problems) {
        invoice.due_date = Some(due);
    }
    if let Some(reference) = text(input, "Reference", &mut problems) {
        invoice.reference = Some(reference);
    }
    if let Some(currency) = text(input, "CurrencyCode", &mut problems) {
        invoice.currency = currency.to_ascii_uppercase();
    }
    if let Some(types) = text(input, "LineAmountTypes", &mut problems) {
        match LineAmountTypes::parse(&types) {
            Some(types) => invoice.line_amount_types = types,
            None => problems.push(format!(
                "LineAmountTypes '{types}' is not one of Exclusive, Inclusive, NoTax."
            )),
        }
    }
    let unit_dp = if unitdp4 { 4 } else { 2 };
    match input.get("LineItems") {
        None | Some(Value::Null) => {}
        Some(Value::Array(lines)) => {
            invoice.lines = lines
                .iter()
                .map(|line| read_line(line, draft, invoice.kind, unit_dp, &mut problems))
                .collect();
        }
        Some(_) => problems.push("LineItems must be an array.".to_owned()),
    }
    if let Some(status) = text(input, "Status", &mut problems) {
        match status_name(&status) {
            Some(to)
                if existing.is_none() && !matches!(to, "DRAFT" | "SUBMITTED" | "AUTHORISED") =>
            {
                problems.push(format!(
                    "A new invoice's Status must be DRAFT, SUBMITTED or AUTHORISED, not {to}."
                ));
            }
            Some(to) => match transition(invoice.status, to) {
                Ok(()) => invoice.status = to,
                Err(problem) => {
                    if !problems
                        .iter()
                        .any(|known| known == HAS_PAYMENT || known == NOT_MODIFIABLE)
                    {
                        problems.push(problem);
                    }
                }
            },
            None => problems.push(format!(
                "Status '{status}' is not one of DRAFT, SUBMITTED, AUTHORISED, DELETED, VOIDED."
            )),
        }
    }
    if let Some(number) = &requested_number {
        if number.chars().count() > 255 {
            problems.push("InvoiceNumber must not be more than 255 characters long.".to_owned());
        } else if invoice.kind == "ACCREC"
            && draft.invoices.iter().any(|other| {
                other.kind == "ACCREC" && other.id != invoice.id && &other.number == number
            })
        {
            problems.push("Invoice # must be unique.".to_owned());
        }
        invoice.number = number.clone();
    }
    invoice.recompute(draft);
    invoice.updated = now;
    let contact_name = match &contact {
        Some(ContactChoice::New(name)) => Some(name.clone()),
        _ => None,
    };
    if problems.is_empty() {
        invoice.contact_id = match contact {
            Some(ContactChoice::Existing(id)) => id,
            Some(ContactChoice::New(name)) => {
                let created = Contact::named(&name, now);
                let id = created.id;
                draft.contacts.push(created);
                id
            }
            None => invoice.contact_id,
        };
        if invoice.number.is_empty() && invoice.kind == "ACCREC" {
            invoice.number = next_number(draft);
        }
        if let Some(contact) = draft
            .contacts
            .iter_mut()
            .find(|c| c.id == invoice.contact_id)
        {
            if invoice.kind == "ACCREC" {
                contact.is_customer = true;
            } else {
                contact.is_supplier = true;
            }
            contact.updated = now;
        }
        let rendered = invoice.to_json(draft, unitdp4);
        match existing {
            Some(index) => draft.invoices[index] = invoice,
            None => draft.invoices.push(invoice),
        }
        Ok((rendered, problems))
    } else {
        if let Some(ContactChoice::Existing(id)) = contact {
            invoice.contact_id = id;
        }
        let mut rendered = invoice.to_json(draft, unitdp4);
        if let Some(name) = contact_name {
            rendered["Contact"] = json!({ "Name": name });
        }
        Ok((rendered, problems))
    }
}

fn save(
    data: &mut Data,
    elements: &[Value],
    summarize: bool,
    creating_only: bool,
    path_id: Option<Uuid>,
    unitdp4: bool,
    now: SystemTime,
) -> Reply {
    let mut draft = data.clone();
    let mut rendered = Vec::new();
    let mut refused = Vec::new();
    for element in elements {
        let (mut json, problems) =
            match save_one(&mut draft, element, creating_only, path_id, unitdp4, now) {
                Ok(saved) => saved,
                Err(reply) => return reply,
            };
        if problems.is_empty() {
            if !summarize {
                json["StatusAttributeString"] = json!("OK");
            }
        } else {
            writes::mark_refused(&mut json, &problems, "HasErrors");
            refused.push(json.clone());
        }
        rendered.push(json);
    }
    if summarize && !refused.is_empty() {
        return errors::validation(refused);
    }
    *data = draft;
    Reply::Json(StatusCode::OK, json!({ "Invoices": rendered }))
}

async fn write(
    core: Arc<Core>,
    headers: HeaderMap,
    query: Option<String>,
    method: &str,
    path_id: Option<String>,
    body: Bytes,
) -> Response {
    let call = match Call::open(core, &headers, query, true).await {
        Ok(call) => call,
        Err(response) => return response,
    };
    let path_id = match path_id.map(|id| Uuid::parse_str(&id)) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => return call.finish(Reply::NotFound),
    };
    let elements = match writes::elements(&body, "Invoices") {
        Ok(elements) => elements,
        Err(reply) => return call.finish(reply),
    };
    let summarize = writes::summarize_errors(&call);
    let unitdp4 = call.query.unitdp4();
    let creating_only = method == "PUT";
    let path = format!(
        "Invoices/{}",
        path_id.map(|id| id.to_string()).unwrap_or_default()
    );
    writes::run(call, &headers, method, &path, &body, |data, call| {
        save(
            data,
            &elements,
            summarize,
            creating_only,
            path_id,
            unitdp4,
            call.core.clock.now(),
        )
    })
}

/// `PUT /Invoices`.
pub(crate) async fn put(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    write(core, headers, query, "PUT", None, body).await
}

/// `POST /Invoices`.
pub(crate) async fn post(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    write(core, headers, query, "POST", None, body).await
}

/// `POST /Invoices/{InvoiceID}`.
pub(crate) async fn post_one(
    State(core): State<Arc<Core>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    write(core, headers, query, "POST", Some(id), body).await
}

fn in_list(list: Option<&Vec<String>>, value: &str) -> bool {
    list.is_none_or(|list| list.iter().any(|wanted| wanted.eq_ignore_ascii_case(value)))
}

/// `GET /Invoices`.
pub(crate) async fn list(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let call = match Call::open(core, &headers, query, false).await {
        Ok(call) => call,
        Err(response) => return response,
    };
    let ids = call.query.list("IDs");
    let numbers = call.query.list("InvoiceNumbers");
    let contact_ids = call.query.list("ContactIDs");
    let statuses = call.query.list("Statuses");
    let unitdp4 = call.query.unitdp4();
    let records = call.core.xero_books.with(call.tenant, |ledger| {
        let data = &ledger.data;
        data.invoices
            .iter()
            .filter(|invoice| in_list(ids.as_ref(), &invoice.id.to_string()))
            .filter(|invoice| {
                numbers
                    .as_ref()
                    .is_none_or(|numbers| numbers.contains(&invoice.number))
            })
            .filter(|invoice| in_list(contact_ids.as_ref(), &invoice.contact_id.to_string()))
            .filter(|invoice| in_list(statuses.as_ref(), invoice.status))
            .map(|invoice| (invoice.updated, invoice.to_json(data, unitdp4)))
            .collect()
    });
    let reply = lists::reply(&call, &headers, "Invoices", records);
    call.finish(reply)
}

/// `GET /Invoices/{InvoiceID}` (or an InvoiceNumber).
pub(crate) async fn get_one(
    State(core): State<Arc<Core>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let call = match Call::open(core, &headers, query, false).await {
        Ok(call) => call,
        Err(response) => return response,
    };
    let unitdp4 = call.query.unitdp4();
    let found = call.core.xero_books.with(call.tenant, |ledger| {
        let data = &ledger.data;
        data.invoices
            .iter()
            .find(|invoice| {
                invoice.id.to_string().eq_ignore_ascii_case(&id) || invoice.number == id
            })
            .map(|invoice| invoice.to_json(data, unitdp4))
    });
    let reply = match found {
        Some(invoice) => Reply::Json(StatusCode::OK, json!({ "Invoices": [invoice] })),
        None => Reply::NotFound,
    };
    call.finish(reply)
}

/// Every invoice of a tenant, deleted and voided included, at 4 dp (control API).
pub(crate) fn dump(data: &Data) -> Value {
    let invoices: Vec<Value> = data
        .invoices
        .iter()
        .map(|invoice| invoice.to_json(data, true))
        .collect();
    json!({ "Invoices": invoices })
}

//! Sales transactions: `Invoice` (create, full and sparse update, delete and void) and
//! `CreditMemo` (create, full and sparse update, delete; Intuit's API reference offers no void
//! for credit memos, so `?operation=void` is 500 "Unsupported Operation"), with the amounts
//! QuickBooks computes: line `Amount` = `Qty` × `UnitPrice` (less `DiscountRate` %), tax per
//! line from its tax code's rate, `TotalAmt` and `Balance` (a credit memo also has
//! `RemainingCredit`, the credit not yet applied: its total, as the sandbox does not apply
//! credits). See [`super::tax`] for the three `GlobalTaxCalculation` modes.
//!
//! Both share Finance.xsd's `SalesTransaction` elements and rules:
//!
//! - a total below zero is refused (6000, element `TotalAmt`, detail `Business Validation
//!   Error: Invoice amount cannot be negative. TotalAmt:-10` — `CreditMemo amount ...` for a
//!   credit memo): a credit is a credit memo with positive amounts. Lines may be negative;
//! - `DocNumber` is unique among live transactions of the same type (6140), as QuickBooks
//!   enforces with custom transaction numbers on; a transaction sent without one gets the next
//!   number of the sales forms' shared sequence (the highest numeric `DocNumber` of invoices
//!   and credit memos + 1, from 1001);
//! - currency: see [`super::currency`]. The transaction is in its customer's currency;
//!   `CurrencyRef` may be sent and must then name that currency (else 6000, element
//!   `CurrencyRef`). In a multicurrency company every transaction carries `ExchangeRate` (the
//!   one sent, else the sandbox's rate; 1 for the home currency), `HomeTotalAmt` and
//!   `HomeBalance` (`TotalAmt` and `Balance` × `ExchangeRate`, rounded to the home currency's
//!   cents); a single-currency company's transactions carry none of the three.

use std::time::SystemTime;

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Map, Value, json};

use super::currency::{self, Currency};
use super::customers::refresh_balance;
use super::fault::{QboFault, company_date};
use super::money::{self, number, optional_decimal, round_cents};
use super::realm::{Kind, Realm};
use super::tax::{self, Mode, TaxedLine};
use super::validate::{self, boolean, id_and_sync, known_keys, max_length, reference, string};

/// Longest `DocNumber` Intuit accepts.
const MAX_DOC_NUMBER: usize = 21;
/// First number given to an invoice that names none.
const FIRST_DOC_NUMBER: u64 = 1001;

const WRITABLE: &[&str] = &[
    "Line",
    "CustomerRef",
    "CurrencyRef",
    "ExchangeRate",
    "DocNumber",
    "TxnDate",
    "DueDate",
    "GlobalTaxCalculation",
    "PrivateNote",
    "CustomerMemo",
    "BillEmail",
];
/// Sent back as read; the sandbox computes its own.
const READ_ONLY: &[&str] = &[
    "Id",
    "SyncToken",
    "sparse",
    "domain",
    "MetaData",
    "TotalAmt",
    "Balance",
    "LinkedTxn",
    "TxnTaxDetail",
    "HomeTotalAmt",
    "HomeBalance",
    "RemainingCredit",
    "ApplyTaxAfterDiscount",
    "PrintStatus",
    "EmailStatus",
];
const LINE_KEYS: &[&str] = &[
    "Id",
    "LineNum",
    "Description",
    "Amount",
    "DetailType",
    "SalesItemLineDetail",
    "SubTotalLineDetail",
];
const DETAIL_KEYS: &[&str] = &[
    "ItemRef",
    "Qty",
    "UnitPrice",
    "TaxCodeRef",
    "DiscountRate",
    "ServiceDate",
    "TaxInclusiveAmt",
];

/// `POST /invoice[?operation=update|delete|void]` (`kind` [`Kind::Invoice`]) or
/// `POST /creditmemo[?operation=update|delete]` (`kind` [`Kind::CreditMemo`]).
pub(crate) fn write(
    realm: &mut Realm,
    kind: Kind,
    body: &Value,
    operation: Option<&str>,
    now: SystemTime,
) -> Result<Value, QboFault> {
    let request = validate::object(body, kind.name())?;
    match operation {
        Some("delete") => delete(realm, kind, request, now),
        Some("void") if kind == Kind::Invoice => void(realm, request, now),
        None | Some("create") | Some("update") if request.contains_key("Id") => {
            update(realm, kind, request, now)
        }
        None | Some("create") => {
            let txn = build(realm, kind, request, None, &[], now)?;
            let id = realm.insert(kind, txn, now);
            settle(realm, kind, &id)
        }
        Some(other) => Err(unsupported_operation(other)),
    }
}

/// 500 "Unsupported Operation" (IPP code 500, answered with HTTP 400).
pub(crate) fn unsupported_operation(operation: &str) -> QboFault {
    QboFault::validation(
        "500",
        "Unsupported Operation",
        format!("Operation {operation} is not supported."),
    )
}

/// The live transaction `id` of `kind` whose `SyncToken` is `sync`.
fn current<'a>(
    realm: &'a Realm,
    kind: Kind,
    id: &str,
    sync: &str,
) -> Result<&'a super::realm::Entity, QboFault> {
    let invoice = realm
        .get(kind, id)
        .ok_or_else(|| QboFault::not_found(kind.name(), id))?;
    if invoice.sync_token() != sync {
        return Err(QboFault::stale());
    }
    Ok(invoice)
}

fn update(
    realm: &mut Realm,
    kind: Kind,
    request: &Map<String, Value>,
    now: SystemTime,
) -> Result<Value, QboFault> {
    let (id, sync) = id_and_sync(request)?;
    let stored = current(realm, kind, &id, &sync)?.body.clone();
    let merged = if boolean(request, "sparse")?.unwrap_or(false) {
        let mut merged = stored.clone();
        merged.extend(
            request
                .iter()
                .map(|(key, value)| (key.clone(), value.clone())),
        );
        merged
    } else {
        request.clone()
    };
    let links = linked(&stored);
    let txn = build(realm, kind, &merged, Some(&id), &links, now)?;
    let old_customer = stored["CustomerRef"]["value"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    realm.replace(kind, &id, txn, now);
    refresh_balance(realm, &old_customer);
    settle(realm, kind, &id)
}

fn delete(
    realm: &mut Realm,
    kind: Kind,
    request: &Map<String, Value>,
    now: SystemTime,
) -> Result<Value, QboFault> {
    let (id, sync) = id_and_sync(request)?;
    let invoice = current(realm, kind, &id, &sync)?;
    if !linked(&invoice.body).is_empty() {
        return Err(QboFault::validation(
            "6480",
            "Deleting a transaction linked to a payment isn't allowed",
            "Deleting a transaction linked to a payment isn't allowed: delete or unlink the \
             payment first."
                .to_owned(),
        ));
    }
    let customer = invoice.body["CustomerRef"]["value"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let tombstone = realm
        .delete(kind, &id, now)
        .ok_or_else(|| QboFault::not_found(kind.name(), &id))?;
    refresh_balance(realm, &customer);
    Ok(tombstone)
}

fn void(
    realm: &mut Realm,
    request: &Map<String, Value>,
    now: SystemTime,
) -> Result<Value, QboFault> {
    let (id, sync) = id_and_sync(request)?;
    let mut invoice = current(realm, Kind::Invoice, &id, &sync)?.body.clone();
    if let Some(lines) = invoice.get_mut("Line").and_then(Value::as_array_mut) {
        for line in lines {
            line["Amount"] = json!(0);
            if let Some(detail) = line
                .get_mut("SalesItemLineDetail")
                .and_then(Value::as_object_mut)
            {
                detail.insert("Qty".into(), json!(0));
                detail.remove("TaxInclusiveAmt");
            }
        }
    }
    invoice.insert(
        "TxnTaxDetail".into(),
        json!({ "TotalTax": 0, "TaxLine": [] }),
    );
    invoice.insert("TotalAmt".into(), json!(0));
    invoice.insert("Balance".into(), json!(0));
    for home in ["HomeTotalAmt", "HomeBalance"] {
        if invoice.contains_key(home) {
            invoice.insert(home.into(), json!(0));
        }
    }
    invoice.insert("PrivateNote".into(), json!("Voided"));
    realm.replace(Kind::Invoice, &id, invoice, now);
    settle(realm, Kind::Invoice, &id)
}

/// Refreshes the customer's balance and returns the transaction as served.
fn settle(realm: &mut Realm, kind: Kind, id: &str) -> Result<Value, QboFault> {
    let invoice = realm
        .get(kind, id)
        .ok_or_else(|| QboFault::not_found(kind.name(), id))?;
    let served = invoice.served();
    if let Some(customer) = served["CustomerRef"]["value"].as_str() {
        refresh_balance(realm, customer);
    }
    Ok(served)
}

/// The payments linked to a stored invoice.
pub(crate) fn linked(invoice: &Map<String, Value>) -> Vec<Value> {
    invoice
        .get("LinkedTxn")
        .and_then(Value::as_array)
        .map(|links| {
            links
                .iter()
                .filter(|link| link["TxnType"] == "Payment")
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// The amount already paid on an invoice, from its payments' lines.
fn paid(realm: &Realm, invoice_id: &str, links: &[Value]) -> Decimal {
    links
        .iter()
        .filter_map(|link| link["TxnId"].as_str())
        .filter_map(|payment| realm.get(Kind::Payment, payment))
        .flat_map(|payment| payment.body["Line"].as_array().cloned().unwrap_or_default())
        .filter(|line| {
            line["LinkedTxn"]
                .as_array()
                .is_some_and(|txns| txns.iter().any(|txn| txn["TxnId"] == invoice_id))
        })
        .filter_map(|line| money::decimal(&line["Amount"], "Amount").ok())
        .sum()
}

/// The stored body for `request`.
fn build(
    realm: &Realm,
    kind: Kind,
    request: &Map<String, Value>,
    own_id: Option<&str>,
    links: &[Value],
    now: SystemTime,
) -> Result<Map<String, Value>, QboFault> {
    let allowed: Vec<&str> = WRITABLE.iter().chain(READ_ONLY).copied().collect();
    known_keys(request, &allowed, "")?;
    let customer_id =
        reference(request, "CustomerRef")?.ok_or_else(|| QboFault::required("CustomerRef"))?;
    let customer = realm
        .get(Kind::Customer, customer_id)
        .ok_or_else(|| QboFault::invalid_reference("CustomerRef", "Customer", customer_id))?;
    let currency = txn_currency(realm, request, customer)?;
    let mode = match string(request, "GlobalTaxCalculation")? {
        None => Mode::TaxExcluded,
        Some(text) => Mode::parse(text).ok_or_else(|| {
            QboFault::validation(
                "2170",
                "Invalid Enumeration",
                format!("Invalid Enumeration : {text}"),
            )
            .at("GlobalTaxCalculation")
        })?,
    };
    let lines = request
        .get("Line")
        .and_then(Value::as_array)
        .ok_or_else(|| QboFault::required("Line"))?;
    let mut taxed = Vec::new();
    for line in lines {
        if let Some(line) = sales_line(realm, line, mode)? {
            taxed.push(line);
        }
    }
    if taxed.is_empty() {
        return Err(QboFault::required("Line"));
    }
    let totals = tax::totals(&taxed, mode);
    if totals.total < Decimal::ZERO {
        return Err(currency::business(format!(
            "{} amount cannot be negative. TotalAmt:{}",
            kind.name(),
            totals.total.normalize()
        ))
        .at("TotalAmt"));
    }
    let rate = exchange_rate(realm, request, currency)?;
    let doc_number = doc_number(realm, kind, request, own_id)?;
    let txn_date = date(request, "TxnDate")?.unwrap_or_else(|| company_date(now));
    let due_date = date(request, "DueDate")?.unwrap_or_else(|| txn_date.clone());
    let mut served_lines: Vec<Value> = taxed
        .iter()
        .enumerate()
        .map(|(index, line)| line.json(index + 1))
        .collect();
    served_lines.push(json!({
        "Amount": number(totals.subtotal),
        "DetailType": "SubTotalLineDetail",
        "SubTotalLineDetail": {},
    }));
    let paid = own_id.map_or(Decimal::ZERO, |id| paid(realm, id, links));
    let mut invoice = Map::new();
    invoice.insert("DocNumber".into(), json!(doc_number));
    invoice.insert("TxnDate".into(), json!(txn_date));
    invoice.insert("DueDate".into(), json!(due_date));
    invoice.insert(
        "CustomerRef".into(),
        json!({ "value": customer_id, "name": customer.body["DisplayName"] }),
    );
    invoice.insert("Line".into(), Value::Array(served_lines));
    invoice.insert("TxnTaxDetail".into(), totals.txn_tax_detail());
    invoice.insert("GlobalTaxCalculation".into(), json!(mode.name()));
    let balance = totals.total - paid;
    invoice.insert("TotalAmt".into(), number(totals.total));
    invoice.insert("Balance".into(), number(balance));
    if kind == Kind::CreditMemo {
        invoice.insert("RemainingCredit".into(), number(balance));
    }
    invoice.insert("CurrencyRef".into(), currency.reference());
    if realm.multi_currency {
        let home = realm.home_currency();
        let in_home = |amount: Decimal| {
            amount.round_dp_with_strategy(home.decimals, RoundingStrategy::MidpointAwayFromZero)
        };
        invoice.insert("ExchangeRate".into(), number(rate));
        invoice.insert("HomeTotalAmt".into(), number(in_home(totals.total * rate)));
        invoice.insert("HomeBalance".into(), number(in_home(balance * rate)));
    }
    invoice.insert("LinkedTxn".into(), Value::Array(links.to_vec()));
    invoice.insert("ApplyTaxAfterDiscount".into(), json!(false));
    invoice.insert("PrintStatus".into(), json!("NotSet"));
    invoice.insert("EmailStatus".into(), json!("NotSet"));
    if let Some(note) = string(request, "PrivateNote")? {
        max_length(note, 4000, "PrivateNote")?;
        invoice.insert("PrivateNote".into(), json!(note));
    }
    if let Some(memo) = request.get("CustomerMemo").filter(|memo| !memo.is_null()) {
        let memo = validate::object(memo, "CustomerMemo")?;
        let text = string(memo, "value")?.unwrap_or("");
        max_length(text, 1000, "CustomerMemo")?;
        invoice.insert("CustomerMemo".into(), json!({ "value": text }));
    }
    if let Some(email) = request.get("BillEmail").filter(|email| !email.is_null()) {
        let email = validate::object(email, "BillEmail")?;
        let address = string(email, "Address")?.unwrap_or("");
        max_length(address, 100, "BillEmail.Address")?;
        invoice.insert("BillEmail".into(), json!({ "Address": address }));
    }
    Ok(invoice)
}

/// A `YYYY-MM-DD` date element.
fn date(request: &Map<String, Value>, field: &str) -> Result<Option<String>, QboFault> {
    let Some(text) = string(request, field)? else {
        return Ok(None);
    };
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|_| Some(text.to_owned()))
        .map_err(|_| QboFault::unsupported(field))
}

/// The transaction's currency: its customer's. A `CurrencyRef` sent must be a currency the
/// company can use ([`currency::resolve`]) and the customer's.
fn txn_currency(
    realm: &Realm,
    request: &Map<String, Value>,
    customer: &super::realm::Entity,
) -> Result<&'static Currency, QboFault> {
    let home = realm.home_currency();
    let customer_currency = customer.body["CurrencyRef"]["value"]
        .as_str()
        .and_then(currency::find)
        .unwrap_or(home);
    let Some(code) = reference(request, "CurrencyRef")? else {
        return Ok(customer_currency);
    };
    let wanted = currency::resolve(code, home, realm.multi_currency)?;
    if wanted.code != customer_currency.code {
        return Err(currency::business(format!(
            "The currency of the transaction ({}) must be the currency of the customer ({}). \
             Customer: {}",
            wanted.code,
            customer_currency.code,
            customer.body["DisplayName"].as_str().unwrap_or("")
        ))
        .at("CurrencyRef"));
    }
    Ok(wanted)
}

/// `ExchangeRate` of a transaction in `currency`: 1 for the home currency, else the rate sent
/// (above zero, or 2010) or the sandbox's fixed rate.
fn exchange_rate(
    realm: &Realm,
    request: &Map<String, Value>,
    currency: &Currency,
) -> Result<Decimal, QboFault> {
    if currency.code == realm.home_currency().code {
        return Ok(Decimal::ONE);
    }
    match optional_decimal(request, "ExchangeRate", "ExchangeRate")? {
        Some(rate) if rate > Decimal::ZERO => Ok(rate.normalize()),
        Some(_) => Err(QboFault::unsupported("ExchangeRate")),
        None => Ok(currency::sandbox_rate(realm.region, currency.code)),
    }
}

/// The transaction's `DocNumber`: the one sent (unique among live transactions of `kind`) or
/// the next free one of the sales forms' shared sequence.
fn doc_number(
    realm: &Realm,
    kind: Kind,
    request: &Map<String, Value>,
    own_id: Option<&str>,
) -> Result<String, QboFault> {
    match string(request, "DocNumber")?
        .map(str::trim)
        .filter(|doc| !doc.is_empty())
    {
        Some(doc) => {
            max_length(doc, MAX_DOC_NUMBER, "DocNumber")?;
            if let Some(taken) = realm
                .txn_by_doc(kind, doc)
                .filter(|invoice| Some(invoice.id()) != own_id)
            {
                return Err(QboFault::validation(
                    "6140",
                    "Duplicate Document Number Error",
                    format!(
                        "Duplicate Document Number Error : You must specify a different number. \
                         This number has already been used. DocNumber={doc} is assigned to \
                         TxnType={} with TxnId={}",
                        kind.name(),
                        taken.id()
                    ),
                )
                .at("DocNumber"));
            }
            Ok(doc.to_owned())
        }
        None => {
            let highest = [Kind::Invoice, Kind::CreditMemo]
                .into_iter()
                .flat_map(|kind| realm.all(kind))
                .filter_map(|invoice| invoice.body["DocNumber"].as_str()?.parse::<u64>().ok())
                .max()
                .map_or(FIRST_DOC_NUMBER, |highest| {
                    (highest + 1).max(FIRST_DOC_NUMBER)
                });
            Ok(highest.to_string())
        }
    }
}

/// One `SalesItemLineDetail` line, checked and computed; `None` for the
/// `SubTotalLineDetail` line a client sends back as it read it.
fn sales_line(realm: &Realm, line: &Value, mode: Mode) -> Result<Option<TaxedLine>, QboFault> {
    let line = validate::object(line, "Line")?;
    known_keys(line, LINE_KEYS, "Line")?;
    match string(line, "DetailType")? {
        Some("SubTotalLineDetail") => return Ok(None),
        Some("SalesItemLineDetail") => {}
        Some(_) => return Err(QboFault::unsupported("Line.DetailType")),
        None => return Err(QboFault::required("Line.DetailType")),
    }
    let detail = line
        .get("SalesItemLineDetail")
        .ok_or_else(|| QboFault::required("Line.SalesItemLineDetail"))?;
    let detail = validate::object(detail, "Line.SalesItemLineDetail")?;
    known_keys(detail, DETAIL_KEYS, "Line.SalesItemLineDetail")?;
    // Intuit files a line without an item under "Services".
    let item_id = reference(detail, "ItemRef")?.unwrap_or("1");
    let item = realm.get(Kind::Item, item_id).ok_or_else(|| {
        QboFault::invalid_reference("Line.SalesItemLineDetail.ItemRef", "Item", item_id)
    })?;
    let qty =
        optional_decimal(detail, "Qty", "Line.SalesItemLineDetail.Qty")?.unwrap_or(Decimal::ONE);
    let discount = optional_decimal(
        detail,
        "DiscountRate",
        "Line.SalesItemLineDetail.DiscountRate",
    )?
    .unwrap_or(Decimal::ZERO);
    if discount < Decimal::ZERO || discount > Decimal::ONE_HUNDRED {
        return Err(QboFault::unsupported(
            "Line.SalesItemLineDetail.DiscountRate",
        ));
    }
    let supplied = optional_decimal(line, "Amount", "Line.Amount")?;
    let unit_price = optional_decimal(detail, "UnitPrice", "Line.SalesItemLineDetail.UnitPrice")?;
    let amount = match (unit_price, supplied) {
        (Some(unit_price), _) => {
            let computed = round_cents(
                qty * unit_price * (Decimal::ONE_HUNDRED - discount) / Decimal::ONE_HUNDRED,
            );
            if let Some(supplied) = supplied
                && supplied != computed
            {
                return Err(QboFault::validation(
                    "6070",
                    "Amount calculation incorrect in the request",
                    format!("Amount is not equal to Qty * UnitPrice. Supplied value:{supplied}"),
                )
                .at("Line.Amount"));
            }
            computed
        }
        (None, Some(supplied)) => round_cents(supplied),
        (None, None) => {
            let price = money::decimal(&item.body["UnitPrice"], "UnitPrice")?;
            round_cents(qty * price * (Decimal::ONE_HUNDRED - discount) / Decimal::ONE_HUNDRED)
        }
    };
    let unit_price = match unit_price {
        Some(price) => price,
        None if supplied.is_some() && !qty.is_zero() => (amount / qty).normalize(),
        None => money::decimal(&item.body["UnitPrice"], "UnitPrice")?,
    };
    let code = tax::line_code(realm, reference(detail, "TaxCodeRef")?, item)?;
    Ok(Some(TaxedLine::new(
        line.get("Description")
            .and_then(Value::as_str)
            .map(str::to_owned),
        json!({ "value": item_id, "name": item.body["Name"] }),
        qty,
        unit_price,
        (!discount.is_zero()).then_some(discount),
        amount,
        code,
        mode,
    )))
}

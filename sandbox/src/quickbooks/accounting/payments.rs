//! `POST /payment` (create only): a customer's payment applied to its
//! invoices through `Line[].LinkedTxn[{TxnId, TxnType: "Invoice"}]`. Each
//! applied amount lowers the invoice's `Balance` and links the payment to it
//! (`LinkedTxn {TxnType: "Payment"}`), which is an update of the invoice.

use std::time::SystemTime;

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::customers::refresh_balance;
use super::fault::{QboFault, company_date};
use super::money::{self, number, round_cents};
use super::realm::{Kind, Realm};
use super::validate::{self, known_keys, max_length, reference, string};

const KEYS: &[&str] = &[
    "CustomerRef",
    "TotalAmt",
    "Line",
    "TxnDate",
    "PaymentRefNum",
    "PrivateNote",
];

/// 6000 with `detail`.
fn business(detail: String) -> QboFault {
    QboFault::validation(
        "6000",
        "A business validation error has occurred while processing your request",
        format!("Business Validation Error: {detail}"),
    )
}

/// `POST /payment`.
pub(crate) fn write(realm: &mut Realm, body: &Value, now: SystemTime) -> Result<Value, QboFault> {
    let request = validate::object(body, "Payment")?;
    if request.contains_key("Id") {
        return Err(super::invoices::unsupported_operation("update"));
    }
    known_keys(request, KEYS, "")?;
    let customer_id =
        reference(request, "CustomerRef")?.ok_or_else(|| QboFault::required("CustomerRef"))?;
    let customer = realm
        .get(Kind::Customer, customer_id)
        .ok_or_else(|| QboFault::invalid_reference("CustomerRef", "Customer", customer_id))?;
    let total = money::decimal(
        request
            .get("TotalAmt")
            .ok_or_else(|| QboFault::required("TotalAmt"))?,
        "TotalAmt",
    )?;
    let mut applications: Vec<(String, Decimal)> = Vec::new();
    let mut lines = Vec::new();
    for line in request
        .get("Line")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let line = validate::object(line, "Line")?;
        known_keys(line, &["Amount", "LinkedTxn"], "Line")?;
        let amount = money::decimal(
            line.get("Amount")
                .ok_or_else(|| QboFault::required("Line.Amount"))?,
            "Line.Amount",
        )?;
        let mut links = Vec::new();
        for link in line
            .get("LinkedTxn")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let link = validate::object(link, "Line.LinkedTxn")?;
            let invoice_id =
                string(link, "TxnId")?.ok_or_else(|| QboFault::required("Line.LinkedTxn.TxnId"))?;
            if string(link, "TxnType")? != Some("Invoice") {
                return Err(QboFault::unsupported("Line.LinkedTxn.TxnType"));
            }
            let invoice = realm.get(Kind::Invoice, invoice_id).ok_or_else(|| {
                QboFault::invalid_reference("Line.LinkedTxn.TxnId", "Invoice", invoice_id)
            })?;
            if invoice.body["CustomerRef"]["value"] != customer_id {
                return Err(business(format!(
                    "Invoice {invoice_id} belongs to another customer"
                )));
            }
            let already: Decimal = applications
                .iter()
                .filter(|(id, _)| id == invoice_id)
                .map(|(_, a)| *a)
                .sum();
            let balance = money::decimal(&invoice.body["Balance"], "Balance")?;
            if amount + already > balance {
                return Err(business(format!(
                    "The payment amount {amount} exceeds the open balance {balance} of invoice {invoice_id}"
                )));
            }
            applications.push((invoice_id.to_owned(), amount));
            links.push(json!({ "TxnId": invoice_id, "TxnType": "Invoice" }));
        }
        lines.push(json!({ "Amount": number(amount), "LinkedTxn": links }));
    }
    let applied: Decimal = applications.iter().map(|(_, amount)| *amount).sum();
    if applied > total {
        return Err(business(format!(
            "The lines apply {applied}, more than TotalAmt {total}"
        )));
    }
    let mut payment = Map::new();
    payment.insert(
        "CustomerRef".into(),
        json!({ "value": customer_id, "name": customer.body["DisplayName"] }),
    );
    payment.insert("TotalAmt".into(), number(total));
    payment.insert("UnappliedAmt".into(), number(total - applied));
    payment.insert("ProcessPayment".into(), json!(false));
    let currency = customer_currency(realm, customer_id);
    payment.insert("CurrencyRef".into(), currency);
    payment.insert("Line".into(), Value::Array(lines));
    let txn_date = string(request, "TxnDate")?.map_or_else(|| company_date(now), str::to_owned);
    payment.insert("TxnDate".into(), json!(txn_date));
    for (field, max) in [("PaymentRefNum", 21), ("PrivateNote", 4000)] {
        if let Some(text) = string(request, field)? {
            max_length(text, max, field)?;
            payment.insert(field.to_owned(), json!(text));
        }
    }
    let customer_id = customer_id.to_owned();
    let payment_id = realm.insert(Kind::Payment, payment, now);
    for (invoice_id, amount) in applications {
        let Some(invoice) = realm.get(Kind::Invoice, &invoice_id) else {
            continue;
        };
        let mut invoice = invoice.body.clone();
        let balance = money::decimal(&invoice["Balance"], "Balance")? - amount;
        invoice.insert("Balance".into(), number(balance));
        if invoice.contains_key("HomeBalance") {
            let rate = money::optional_decimal(&invoice, "ExchangeRate", "ExchangeRate")?
                .unwrap_or(Decimal::ONE);
            invoice.insert("HomeBalance".into(), number(round_cents(balance * rate)));
        }
        let link = json!({ "TxnId": payment_id, "TxnType": "Payment" });
        match invoice.get_mut("LinkedTxn").and_then(Value::as_array_mut) {
            Some(links) if !links.contains(&link) => links.push(link),
            Some(_) => {}
            None => {
                invoice.insert("LinkedTxn".into(), json!([link]));
            }
        }
        realm.replace(Kind::Invoice, &invoice_id, invoice, now);
    }
    refresh_balance(realm, &customer_id);
    realm
        .get(Kind::Payment, &payment_id)
        .map(|payment| payment.served())
        .ok_or_else(|| QboFault::not_found("Payment", &payment_id))
}

/// The `CurrencyRef` of customer `id` (a payment is in its customer's currency).
fn customer_currency(realm: &Realm, id: &str) -> Value {
    realm
        .get(Kind::Customer, id)
        .and_then(|customer| customer.body.get("CurrencyRef").cloned())
        .unwrap_or_else(|| realm.home_currency().reference())
}

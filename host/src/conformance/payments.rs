//! Paying an invoice in full at the vendor, for `invoices.<kind>.locked`.
//!
//! Contract 0.2 has no operation that records a payment (see `docs/contract-versions.md`),
//! so the suite pays through the vendor's own payment endpoint, as an accountant's screen
//! would, for the targets whose API it knows: Xero (`PUT Payments`) and QuickBooks Online
//! (`POST payment`). The request goes through the connection's own HTTP sender — its
//! allowlist, routes (a sandbox) and credentials — so it reaches only the connector's own
//! allowed hosts. For every other connector the check is not applicable.

use serde_json::json;

use crate::model::Invoice;
use crate::net::OutboundRequest;
use crate::runtime::CallContext;

/// The Demo Company's bank account Xero payments are made from; connection setting
/// `conformance-bank-account` names another.
const XERO_BANK_ACCOUNT: &str = "090";

/// Whether the suite knows how to pay an invoice of connector `name`.
pub(super) fn knows(name: &str) -> bool {
    matches!(name, "xero" | "quickbooks")
}

/// Pay `invoice` (as read back, so its ids are the target's) in full.
pub(super) async fn pay(
    connector: &str,
    ctx: &CallContext,
    invoice: &Invoice,
) -> Result<(), String> {
    let http = ctx
        .http
        .as_ref()
        .ok_or("the connection has no HTTP sender to pay the invoice with")?;
    let id = invoice.remote_id.clone().unwrap_or_default();
    let setting = |key: &str| ctx.settings.get(key).cloned().unwrap_or_default();
    // Amounts as decimal text inside the JSON: never through a float.
    let (url, headers, body) = match connector {
        "xero" => {
            let base = ctx
                .settings
                .get("api-base")
                .cloned()
                .unwrap_or_else(|| "https://api.xero.com/api.xro/2.0".into());
            let account = ctx
                .settings
                .get("conformance-bank-account")
                .cloned()
                .unwrap_or_else(|| XERO_BANK_ACCOUNT.into());
            let body = json!({"Payments": [{
                "Invoice": {"InvoiceID": id},
                "Account": {"Code": account},
                "Date": invoice.issue_date,
                "Amount": "AMOUNT",
            }]});
            (
                format!("{}/Payments", base.trim_end_matches('/')),
                vec![("xero-tenant-id".to_owned(), setting("tenant-id"))],
                body,
            )
        }
        "quickbooks" => {
            let base = ctx
                .settings
                .get("api-base")
                .cloned()
                .unwrap_or_else(|| "https://quickbooks.api.intuit.com".into());
            let customer = invoice.customer.remote_id.clone().unwrap_or_default();
            let body = json!({
                "CustomerRef": {"value": customer},
                "TotalAmt": "AMOUNT",
                "Line": [{"Amount": "AMOUNT", "LinkedTxn": [{"TxnId": id, "TxnType": "Invoice"}]}],
            });
            (
                format!(
                    "{}/v3/company/{}/payment?minorversion=75",
                    base.trim_end_matches('/'),
                    setting("realm-id")
                ),
                Vec::new(),
                body,
            )
        }
        other => return Err(format!("the suite knows no payment endpoint for {other}")),
    };
    let amount = super::records::money(
        invoice
            .total
            .parse::<rust_decimal::Decimal>()
            .map_err(|_| format!("invoice {id} has total {:?}", invoice.total))?,
    );
    let body = body.to_string().replace("\"AMOUNT\"", &amount);
    let mut all_headers = vec![
        ("accept".to_owned(), "application/json".to_owned()),
        ("content-type".to_owned(), "application/json".to_owned()),
    ];
    all_headers.extend(headers);
    let method = if connector == "xero" {
        reqwest::Method::PUT
    } else {
        reqwest::Method::POST
    };
    let answer = http
        .send(OutboundRequest {
            method,
            url,
            headers: all_headers,
            body: Some(body.into_bytes()),
            retry_safe: false,
        })
        .await
        .map_err(|e| format!("paying invoice {id} failed: {e}"))?;
    if answer.status != 200 {
        let text = String::from_utf8_lossy(&answer.body);
        let cut: String = text.chars().take(300).collect();
        return Err(format!(
            "paying invoice {id} was answered {}: {cut}",
            answer.status
        ));
    }
    Ok(())
}

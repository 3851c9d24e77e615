//! Canonical invoice ⇄ QuickBooks `Invoice`.
//!
//! | canonical | QuickBooks | notes |
//! |---|---|---|
//! | `remote-id`, `version` | `Id`, `SyncToken` | updates are sparse |
//! | `number` | `DocNumber` | at most 21 characters |
//! | `customer.remote-id` | `CustomerRef.value` | required |
//! | `issue-date`, `due-date` | `TxnDate`, `DueDate` | |
//! | `currency` | `CurrencyRef.value` | |
//! | `tax-mode` | `GlobalTaxCalculation` | exclusive `TaxExcluded`, inclusive `TaxInclusive`, none `NotApplicable` |
//! | `lines[i]` | `Line[i]`, `DetailType` `SalesItemLineDetail` | see below |
//! | `kind` + `reference` | `PrivateNote` | `"<marker> <reference>"`, see [`KindMarkers`] |
//! | `memo` | `CustomerMemo.value` | printed on the invoice |
//! | `total` | `TotalAmt` | computed by QuickBooks; read back only |
//! | `tax-total` | `TxnTaxDetail.TotalTax` | computed by QuickBooks; read back only |
//! | `subtotal` | `TotalAmt − TxnTaxDetail.TotalTax` | read back only |
//! | `status` | `Balance`, `TotalAmt`, `PrivateNote` | see [`status_of`] |
//!
//! A line: `Description`, `Amount`, `SalesItemLineDetail.Qty`, `.UnitPrice`, `.ItemRef`
//! (the line's `item-code` through setting `items`, else `default-item`) and `.TaxCodeRef`
//! (`tax-code` through setting `tax-codes`, else `default-tax-code`). QuickBooks has no
//! per-line discount and requires `Amount = Qty × UnitPrice`, so a discounted line is sent
//! with the discounted unit price `amount ÷ quantity` when that division is exact, and is
//! refused otherwise. `account-code` is not sent (the item carries the income account), nor
//! is `tax-amount` (QuickBooks computes tax from the tax codes).

use std::collections::BTreeMap;

use ledgerlink_sdk::Decimal;
use ledgerlink_sdk::error::{self, ConnectorErrorExt};
use ledgerlink_sdk::types::{
    ConnectorError, CustomerRef, Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, TaxMode,
};

use super::amount::Amount;
use super::qbo;
use super::timestamp;

/// QuickBooks' limit on `DocNumber`, in characters.
pub const DOC_NUMBER_MAX: usize = 21;
/// QuickBooks' limit on `CustomerMemo`, in characters.
pub const CUSTOMER_MEMO_MAX: usize = 1000;
/// The `DetailType` of the lines this connector writes and reads.
pub const SALES_ITEM_LINE: &str = "SalesItemLineDetail";

/// Canonical item and tax codes → QuickBooks `Item` and `TaxCode` Ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Codes {
    /// Item code → `Item.Id` (setting `items`).
    pub items: BTreeMap<String, String>,
    /// `Item.Id` for lines without an item code (setting `default-item`).
    pub default_item: Option<String>,
    /// Tax code → `TaxCode.Id` (setting `tax-codes`).
    pub tax_codes: BTreeMap<String, String>,
    /// `TaxCode.Id` for lines without a tax code (setting `default-tax-code`).
    pub default_tax_code: Option<String>,
}

/// How job and contract invoices are told apart in QuickBooks, which has no such notion:
/// the invoice's `PrivateNote` (internal, never printed) starts with a marker.
///
/// A pushed invoice's `PrivateNote` is `"<marker>"` or `"<marker> <reference>"`. A pulled
/// invoice whose note starts with neither marker (created in QuickBooks by hand, or voided:
/// voiding replaces the note with "Voided") is of kind `unmarked`, or left out when that is
/// `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindMarkers {
    /// Marker of job invoices (setting `job-marker`).
    pub job: String,
    /// Marker of contract invoices (setting `contract-marker`).
    pub contract: String,
    /// Kind of unmarked invoices (setting `unmarked-invoices`).
    pub unmarked: Option<InvoiceKind>,
}

impl Default for KindMarkers {
    fn default() -> Self {
        Self {
            job: "Tracker Pro job".to_owned(),
            contract: "Tracker Pro contract".to_owned(),
            unmarked: Some(InvoiceKind::Job),
        }
    }
}

impl KindMarkers {
    fn marker(&self, kind: InvoiceKind) -> &str {
        match kind {
            InvoiceKind::Job => &self.job,
            InvoiceKind::Contract => &self.contract,
        }
    }

    /// The `PrivateNote` of an invoice of `kind` with `reference`.
    pub fn note(&self, kind: InvoiceKind, reference: Option<&str>) -> String {
        let marker = self.marker(kind);
        match reference.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => format!("{marker} {r}"),
            None => marker.to_owned(),
        }
    }

    /// The kind and reference a `PrivateNote` says; `None` when the invoice is to be left
    /// out. The longer marker is tried first, so one marker may be a prefix of the other.
    pub fn classify(&self, note: Option<&str>) -> Option<(InvoiceKind, Option<String>)> {
        let note = note.unwrap_or("").trim();
        let mut markers = [
            (InvoiceKind::Job, &self.job),
            (InvoiceKind::Contract, &self.contract),
        ];
        markers.sort_by_key(|(_, m)| std::cmp::Reverse(m.len()));
        for (kind, marker) in markers {
            if let Some(rest) = note.strip_prefix(marker.as_str())
                && (rest.is_empty() || rest.starts_with(char::is_whitespace))
            {
                let reference = rest.trim();
                return Some((kind, (!reference.is_empty()).then(|| reference.to_owned())));
            }
        }
        self.unmarked.map(|kind| (kind, None))
    }
}

/// Everything invoice mapping needs from the connection's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvoiceRules {
    /// Item and tax code mapping.
    pub codes: Codes,
    /// Job / contract markers.
    pub markers: KindMarkers,
}

fn tax_calculation(mode: TaxMode) -> &'static str {
    match mode {
        TaxMode::Exclusive => "TaxExcluded",
        TaxMode::Inclusive => "TaxInclusive",
        TaxMode::None => "NotApplicable",
    }
}

/// The canonical tax mode of `GlobalTaxCalculation`. QuickBooks leaves it out for US
/// companies (automated sales tax, always on top of the amounts): that is exclusive.
fn tax_mode(calculation: Option<&str>) -> TaxMode {
    match calculation {
        Some("TaxInclusive") => TaxMode::Inclusive,
        Some("NotApplicable") => TaxMode::None,
        _ => TaxMode::Exclusive,
    }
}

fn line_to_qbo(line: &InvoiceLine, i: usize, codes: &Codes) -> Result<qbo::Line, ConnectorError> {
    let qty = line.quantity_decimal(i)?;
    let mut unit_price = line.unit_price_decimal(i)?;
    let amount = line.amount_decimal(i)?;
    if let Some(discount) = line.discount_percent_decimal(i)?
        && !discount.is_zero()
    {
        unit_price = discounted_unit_price(amount, qty).ok_or_else(|| {
            error::validation(format!(
                "line {} has a {discount} % discount; QuickBooks has no line discounts and needs amount = quantity × unit price, \
                 but {amount} ÷ {qty} is not an exact unit price. Give the line a quantity that divides its amount, or a separate discount line",
                i + 1
            ))
            .at(format!("lines[{i}].discount-percent"))
        })?;
    }
    let item = match line.item_code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => codes.items.get(code).cloned().ok_or_else(|| {
            error::validation(format!(
                "item code {code:?} on line {} has no QuickBooks item; add it to setting items, e.g. \"{code}=<Item Id>\"",
                i + 1
            ))
            .at(format!("lines[{i}].item-code"))
        })?,
        None => codes.default_item.clone().ok_or_else(|| {
            error::validation(format!(
                "line {} has no item code and setting default-item is not set; QuickBooks needs an item on every line",
                i + 1
            ))
            .at(format!("lines[{i}].item-code"))
        })?,
    };
    let tax_code = match line.tax_code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => Some(codes.tax_codes.get(code).cloned().ok_or_else(|| {
            error::validation(format!(
                "tax code {code:?} on line {} has no QuickBooks tax code; add it to setting tax-codes, e.g. \"{code}=<TaxCode Id>\"",
                i + 1
            ))
            .at(format!("lines[{i}].tax-code"))
        })?),
        None => codes.default_tax_code.clone(),
    };
    Ok(qbo::Line {
        id: None,
        description: Some(line.description.clone()).filter(|d| !d.is_empty()),
        amount: Some(Amount(amount)),
        detail_type: SALES_ITEM_LINE.to_owned(),
        sales_item_line_detail: Some(qbo::SalesItemLineDetail {
            item_ref: Some(qbo::ReferenceType::id(item)),
            unit_price: Some(Amount(unit_price)),
            qty: Some(Amount(qty)),
            tax_code_ref: tax_code.map(qbo::ReferenceType::id),
        }),
    })
}

/// `amount ÷ qty` when it is exact (multiplying back gives `amount`), with trailing zeros
/// removed. `None` for a zero quantity or an inexact division: QuickBooks would either
/// refuse the line or change its amount.
pub fn discounted_unit_price(amount: Decimal, qty: Decimal) -> Option<Decimal> {
    if qty.is_zero() {
        return None;
    }
    let price = amount.checked_div(qty)?.normalize();
    (price.checked_mul(qty)? == amount).then_some(price)
}

/// The QuickBooks invoice to send for `invoice`: a create without `remote-id`, otherwise a
/// sparse update of that `Id` with `sync_token`.
pub fn to_qbo(
    invoice: &Invoice,
    sync_token: Option<&str>,
    rules: &InvoiceRules,
) -> Result<qbo::Invoice, ConnectorError> {
    let number = invoice.number.trim();
    if number.chars().count() > DOC_NUMBER_MAX {
        return Err(error::validation(format!(
            "invoice number {number:?} is longer than the {DOC_NUMBER_MAX} characters QuickBooks allows in DocNumber"
        ))
        .at("number"));
    }
    let customer_id = invoice
        .customer
        .remote_id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            error::validation(format!(
                "invoice {number} has no QuickBooks customer; push customer {:?} first",
                invoice.customer.name
            ))
            .at("customer.remote-id")
        })?;
    if invoice.issue_date.trim().is_empty() {
        return Err(
            error::validation(format!("invoice {number} has no issue date")).at("issue-date"),
        );
    }
    if invoice.lines.is_empty() {
        return Err(error::validation(format!(
            "invoice {number} has no lines; QuickBooks needs at least one"
        ))
        .at("lines"));
    }
    if let Some(memo) = &invoice.memo
        && memo.chars().count() > CUSTOMER_MEMO_MAX
    {
        return Err(error::validation(format!(
            "the memo of invoice {number} is longer than the {CUSTOMER_MEMO_MAX} characters QuickBooks prints"
        ))
        .at("memo"));
    }
    let lines = invoice
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| line_to_qbo(line, i, &rules.codes))
        .collect::<Result<Vec<_>, _>>()?;
    let update = invoice.remote_id.is_some();
    Ok(qbo::Invoice {
        id: invoice.remote_id.clone(),
        sync_token: if update {
            sync_token.map(str::to_owned)
        } else {
            None
        },
        sparse: update.then_some(true),
        doc_number: (!number.is_empty()).then(|| number.to_owned()),
        txn_date: Some(invoice.issue_date.trim().to_owned()),
        due_date: invoice
            .due_date
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_owned),
        customer_ref: Some(qbo::ReferenceType::id(customer_id)),
        currency_ref: Some(invoice.currency.trim())
            .filter(|c| !c.is_empty())
            .map(qbo::ReferenceType::id),
        global_tax_calculation: Some(tax_calculation(invoice.tax_mode).to_owned()),
        line: lines,
        private_note: Some(
            rules
                .markers
                .note(invoice.kind, invoice.reference.as_deref()),
        ),
        customer_memo: invoice
            .memo
            .as_deref()
            .filter(|m| !m.trim().is_empty())
            .map(|m| qbo::MemoRef {
                value: m.to_owned(),
            }),
        ..qbo::Invoice::default()
    })
}

/// The canonical status of a QuickBooks invoice:
///
/// * voided: CDC says `Deleted` or `Voided`, or the `PrivateNote` starts with "Voided"
///   (QuickBooks' own note on a voided invoice), or every amount is zero (voiding zeroes
///   them) on an invoice that has lines;
/// * paid: `Balance` 0 and `TotalAmt` above 0;
/// * authorised: anything else (QuickBooks has no drafts).
pub fn status_of(q: &qbo::Invoice) -> InvoiceStatus {
    let zero = |a: Option<Amount>| a.is_none_or(|a| a.0.is_zero());
    let deleted = matches!(q.status.as_deref(), Some("Deleted" | "Voided"));
    let voided_note = q
        .private_note
        .as_deref()
        .is_some_and(|n| n.trim_start().starts_with("Voided"));
    let sales_lines: Vec<&qbo::Line> = q
        .line
        .iter()
        .filter(|l| l.detail_type == SALES_ITEM_LINE)
        .collect();
    let zeroed =
        !sales_lines.is_empty() && zero(q.total_amt) && sales_lines.iter().all(|l| zero(l.amount));
    if deleted || voided_note || zeroed {
        InvoiceStatus::Voided
    } else if q.balance.is_some_and(|b| b.0.is_zero())
        && q.total_amt.is_some_and(|t| t.0 > Decimal::ZERO)
    {
        InvoiceStatus::Paid
    } else {
        InvoiceStatus::Authorised
    }
}

fn reverse<'a>(map: &'a BTreeMap<String, String>, id: &str) -> Option<&'a String> {
    map.iter().find(|(_, v)| v.as_str() == id).map(|(k, _)| k)
}

/// A canonical code for a QuickBooks Id: the code mapped to it, none when it is the default
/// (so a line pushed without a code comes back without one), else the Id itself.
fn code_of(
    map: &BTreeMap<String, String>,
    default: Option<&str>,
    id: Option<&str>,
) -> Option<String> {
    let id = id?;
    match reverse(map, id) {
        Some(code) => Some(code.clone()),
        None if default == Some(id) => None,
        None => Some(id.to_owned()),
    }
}

fn line_from_qbo(line: &qbo::Line, codes: &Codes) -> InvoiceLine {
    let detail = line.sales_item_line_detail.clone().unwrap_or_default();
    let amount = line.amount.unwrap_or(Amount(Decimal::ZERO));
    // A line without Qty / UnitPrice is one unit at its amount (how QuickBooks treats it).
    let qty = detail.qty.map_or_else(|| "1".to_owned(), Amount::to_wire);
    let unit_price = detail.unit_price.unwrap_or(amount).to_money();
    InvoiceLine {
        description: line.description.clone().unwrap_or_default(),
        quantity: qty,
        unit_price,
        discount_percent: None,
        amount: amount.to_money(),
        item_code: code_of(
            &codes.items,
            codes.default_item.as_deref(),
            detail.item_ref.as_ref().map(|r| r.value.as_str()),
        ),
        account_code: None,
        tax_code: code_of(
            &codes.tax_codes,
            codes.default_tax_code.as_deref(),
            detail.tax_code_ref.as_ref().map(|r| r.value.as_str()),
        ),
        tax_amount: None,
    }
}

/// The canonical invoice of a QuickBooks invoice, when it is of `kind` (see
/// [`KindMarkers::classify`]); `None` when it belongs to the other kind or is left out.
pub fn from_qbo(
    q: qbo::Invoice,
    kind: InvoiceKind,
    rules: &InvoiceRules,
) -> Result<Option<Invoice>, ConnectorError> {
    let Some((found, reference)) = rules.markers.classify(q.private_note.as_deref()) else {
        return Ok(None);
    };
    if found != kind {
        return Ok(None);
    }
    let id = q.id.clone().unwrap_or_default();
    let updated_at = match q
        .meta_data
        .as_ref()
        .and_then(|m| m.last_updated_time.as_deref())
    {
        Some(t) => Some(timestamp::to_utc(t).map_err(|e| {
            error::transient(format!(
                "QuickBooks sent invoice {id} with MetaData.LastUpdatedTime {e}"
            ))
        })?),
        None => None,
    };
    let status = status_of(&q);
    let total = q.total_amt.unwrap_or(Amount(Decimal::ZERO));
    let tax = q
        .txn_tax_detail
        .as_ref()
        .and_then(|t| t.total_tax)
        .unwrap_or(Amount(Decimal::ZERO));
    let subtotal = Amount(total.0 - tax.0);
    let lines = q
        .line
        .iter()
        .filter(|l| l.detail_type == SALES_ITEM_LINE)
        .map(|l| line_from_qbo(l, &rules.codes))
        .collect();
    Ok(Some(Invoice {
        key: String::new(),
        remote_id: q.id,
        version: q.sync_token,
        idempotency_key: None,
        kind,
        number: q.doc_number.unwrap_or_default(),
        customer: CustomerRef {
            remote_id: q.customer_ref.as_ref().map(|r| r.value.clone()),
            name: q.customer_ref.and_then(|r| r.name).unwrap_or_default(),
        },
        issue_date: q.txn_date.unwrap_or_default(),
        due_date: q.due_date,
        currency: q.currency_ref.map(|r| r.value).unwrap_or_default(),
        tax_mode: tax_mode(q.global_tax_calculation.as_deref()),
        lines,
        subtotal: subtotal.to_money(),
        tax_total: tax.to_money(),
        total: total.to_money(),
        reference,
        memo: q.customer_memo.map(|m| m.value).filter(|m| !m.is_empty()),
        status,
        updated_at,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> InvoiceRules {
        InvoiceRules {
            codes: Codes {
                items: BTreeMap::from([
                    ("LABOUR".into(), "1".into()),
                    ("PARTS".into(), "2".into()),
                ]),
                default_item: Some("9".into()),
                tax_codes: BTreeMap::from([
                    ("TAX".into(), "TAX".into()),
                    ("NONE".into(), "NON".into()),
                ]),
                default_tax_code: Some("TAX".into()),
            },
            markers: KindMarkers::default(),
        }
    }

    fn line(
        qty: &str,
        price: &str,
        amount: &str,
        item: Option<&str>,
        tax: Option<&str>,
    ) -> InvoiceLine {
        InvoiceLine {
            description: "Call-out".into(),
            quantity: qty.into(),
            unit_price: price.into(),
            discount_percent: None,
            amount: amount.into(),
            item_code: item.map(Into::into),
            account_code: None,
            tax_code: tax.map(Into::into),
            tax_amount: None,
        }
    }

    fn invoice() -> Invoice {
        Invoice {
            key: "inv-1".into(),
            remote_id: None,
            version: None,
            idempotency_key: Some("k".into()),
            kind: InvoiceKind::Job,
            number: "INV-1001".into(),
            customer: CustomerRef {
                remote_id: Some("58".into()),
                name: "Acme".into(),
            },
            issue_date: "2026-11-20".into(),
            due_date: Some("2026-12-20".into()),
            currency: "USD".into(),
            tax_mode: TaxMode::Exclusive,
            lines: vec![
                line("1.5", "80.10", "120.15", Some("LABOUR"), Some("TAX")),
                line("3", "0.125", "0.375", None, Some("NONE")),
            ],
            subtotal: "120.525".into(),
            tax_total: "0".into(),
            total: "120.525".into(),
            reference: Some("J-42".into()),
            memo: Some("Thanks for your business".into()),
            status: InvoiceStatus::Authorised,
            updated_at: None,
        }
    }

    #[test]
    fn an_invoice_maps_with_exact_decimals() {
        let q = to_qbo(&invoice(), None, &rules()).expect("valid");
        let json = serde_json::to_string(&q).expect("encodes");
        assert_eq!(
            json,
            concat!(
                r#"{"DocNumber":"INV-1001","TxnDate":"2026-11-20","DueDate":"2026-12-20","CustomerRef":{"value":"58"},"#,
                r#""CurrencyRef":{"value":"USD"},"GlobalTaxCalculation":"TaxExcluded","Line":["#,
                r#"{"Description":"Call-out","Amount":120.15,"DetailType":"SalesItemLineDetail","SalesItemLineDetail":{"ItemRef":{"value":"1"},"UnitPrice":80.10,"Qty":1.5,"TaxCodeRef":{"value":"TAX"}}},"#,
                r#"{"Description":"Call-out","Amount":0.375,"DetailType":"SalesItemLineDetail","SalesItemLineDetail":{"ItemRef":{"value":"9"},"UnitPrice":0.125,"Qty":3,"TaxCodeRef":{"value":"NON"}}}],"#,
                r#""PrivateNote":"Tracker Pro job J-42","CustomerMemo":{"value":"Thanks for your business"}}"#
            )
        );
    }

    #[test]
    fn tax_modes_map_to_global_tax_calculation() {
        for (mode, want) in [
            (TaxMode::Exclusive, "TaxExcluded"),
            (TaxMode::Inclusive, "TaxInclusive"),
            (TaxMode::None, "NotApplicable"),
        ] {
            let mut inv = invoice();
            inv.tax_mode = mode;
            let q = to_qbo(&inv, None, &rules()).expect("valid");
            assert_eq!(q.global_tax_calculation.as_deref(), Some(want));
            assert_eq!(tax_mode(Some(want)), mode);
        }
        assert_eq!(tax_mode(None), TaxMode::Exclusive);
    }

    #[test]
    fn an_update_is_sparse_and_contract_invoices_get_their_marker() {
        let mut inv = invoice();
        inv.remote_id = Some("130".into());
        inv.kind = InvoiceKind::Contract;
        inv.reference = None;
        let q = to_qbo(&inv, Some("4"), &rules()).expect("valid");
        assert_eq!(q.id.as_deref(), Some("130"));
        assert_eq!(q.sync_token.as_deref(), Some("4"));
        assert_eq!(q.sparse, Some(true));
        assert_eq!(q.private_note.as_deref(), Some("Tracker Pro contract"));
    }

    #[test]
    fn unmapped_codes_and_missing_refs_are_validation_errors_naming_the_field() {
        let mut inv = invoice();
        inv.lines[1].item_code = Some("WIDGET".into());
        let e = to_qbo(&inv, None, &rules()).expect_err("unmapped item");
        assert_eq!(e.field(), Some("lines[1].item-code"));
        assert_eq!(
            e.message(),
            "item code \"WIDGET\" on line 2 has no QuickBooks item; add it to setting items, e.g. \"WIDGET=<Item Id>\""
        );

        let mut inv = invoice();
        inv.lines[0].tax_code = Some("GST".into());
        let e = to_qbo(&inv, None, &rules()).expect_err("unmapped tax code");
        assert_eq!(e.field(), Some("lines[0].tax-code"));

        let mut r = rules();
        r.codes.default_item = None;
        let e = to_qbo(&invoice(), None, &r).expect_err("no default item");
        assert_eq!(e.field(), Some("lines[1].item-code"));
        assert!(
            e.message().contains("setting default-item is not set"),
            "{}",
            e.message()
        );

        let mut inv = invoice();
        inv.customer.remote_id = None;
        let e = to_qbo(&inv, None, &rules()).expect_err("no customer");
        assert_eq!(e.field(), Some("customer.remote-id"));

        let mut inv = invoice();
        inv.number = "N".repeat(22);
        assert_eq!(
            to_qbo(&inv, None, &rules()).expect_err("long").field(),
            Some("number")
        );

        let mut inv = invoice();
        inv.lines[0].amount = "1,5".into();
        let e = to_qbo(&inv, None, &rules()).expect_err("bad decimal");
        assert_eq!(e.field(), Some("lines[0].amount"));
    }

    #[test]
    fn a_discounted_line_carries_the_exact_discounted_unit_price() {
        let mut inv = invoice();
        inv.lines = vec![line("4", "25.00", "90.00", None, None)];
        inv.lines[0].discount_percent = Some("10".into());
        let q = to_qbo(&inv, None, &rules()).expect("valid");
        let detail = q.line[0].sales_item_line_detail.clone().expect("detail");
        assert_eq!(
            detail.unit_price.map(Amount::to_wire).as_deref(),
            Some("22.5")
        );
        assert_eq!(
            q.line[0].amount.map(Amount::to_wire).as_deref(),
            Some("90.00")
        );

        inv.lines = vec![line("3", "10.00", "27.01", None, None)];
        inv.lines[0].discount_percent = Some("10".into());
        let e = to_qbo(&inv, None, &rules()).expect_err("inexact");
        assert_eq!(e.field(), Some("lines[0].discount-percent"));
    }

    #[test]
    fn markers_classify_notes() {
        let m = KindMarkers::default();
        assert_eq!(
            m.classify(Some("Tracker Pro job J-42")),
            Some((InvoiceKind::Job, Some("J-42".into())))
        );
        assert_eq!(
            m.classify(Some("Tracker Pro contract")),
            Some((InvoiceKind::Contract, None))
        );
        assert_eq!(
            m.classify(Some("Tracker Pro jobs")),
            Some((InvoiceKind::Job, None)),
            "unmarked → job"
        );
        assert_eq!(m.classify(None), Some((InvoiceKind::Job, None)));
        let strict = KindMarkers {
            unmarked: None,
            ..KindMarkers::default()
        };
        assert_eq!(strict.classify(Some("Voided")), None);
        let prefix = KindMarkers {
            job: "TP".into(),
            contract: "TP contract".into(),
            unmarked: None,
        };
        assert_eq!(
            prefix.classify(Some("TP contract SC-9")),
            Some((InvoiceKind::Contract, Some("SC-9".into())))
        );
        assert_eq!(
            prefix.classify(Some("TP 77")),
            Some((InvoiceKind::Job, Some("77".into())))
        );
    }

    const PULLED: &str = r#"{
        "Id": "130", "SyncToken": "2", "domain": "QBO",
        "DocNumber": "INV-1001", "TxnDate": "2026-11-20", "DueDate": "2026-12-20",
        "CustomerRef": {"value": "58", "name": "Acme Plumbing Ltd"},
        "CurrencyRef": {"value": "NZD", "name": "New Zealand Dollar"},
        "GlobalTaxCalculation": "TaxExcluded",
        "PrivateNote": "Tracker Pro contract SC-7",
        "CustomerMemo": {"value": "Thanks"},
        "Line": [
            {"Id": "1", "LineNum": 1, "Description": "Labour", "Amount": 120.15, "DetailType": "SalesItemLineDetail",
             "SalesItemLineDetail": {"ItemRef": {"value": "1", "name": "Labour"}, "UnitPrice": 80.1, "Qty": 1.5, "TaxCodeRef": {"value": "TAX"}}},
            {"Id": "2", "LineNum": 2, "Description": "Washers", "Amount": 0.375, "DetailType": "SalesItemLineDetail",
             "SalesItemLineDetail": {"ItemRef": {"value": "9"}, "UnitPrice": 0.125, "Qty": 3, "TaxCodeRef": {"value": "7"}}},
            {"Amount": 120.525, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
        ],
        "TxnTaxDetail": {"TotalTax": 18.08},
        "TotalAmt": 138.605, "Balance": 138.605,
        "MetaData": {"CreateTime": "2026-11-20T09:00:00-08:00", "LastUpdatedTime": "2026-11-20T09:30:00-08:00"}
    }"#;

    #[test]
    fn a_quickbooks_invoice_maps_back_exactly() {
        let q: qbo::Invoice = serde_json::from_str(PULLED).expect("parses");
        assert!(
            from_qbo(q.clone(), InvoiceKind::Job, &rules())
                .expect("maps")
                .is_none(),
            "other kind"
        );
        let inv = from_qbo(q, InvoiceKind::Contract, &rules())
            .expect("maps")
            .expect("contract");
        assert_eq!(inv.remote_id.as_deref(), Some("130"));
        assert_eq!(inv.version.as_deref(), Some("2"));
        assert_eq!(inv.number, "INV-1001");
        assert_eq!(inv.customer.remote_id.as_deref(), Some("58"));
        assert_eq!(inv.customer.name, "Acme Plumbing Ltd");
        assert_eq!(inv.currency, "NZD");
        assert_eq!(inv.tax_mode, TaxMode::Exclusive);
        assert_eq!(inv.total, "138.605");
        assert_eq!(inv.tax_total, "18.08");
        assert_eq!(inv.subtotal, "120.525");
        assert_eq!(inv.reference.as_deref(), Some("SC-7"));
        assert_eq!(inv.memo.as_deref(), Some("Thanks"));
        assert_eq!(inv.status, InvoiceStatus::Authorised);
        assert_eq!(inv.updated_at.as_deref(), Some("2026-11-20T17:30:00Z"));
        assert_eq!(inv.lines.len(), 2, "the subtotal line is QuickBooks' own");
        let l0 = &inv.lines[0];
        assert_eq!(
            (
                l0.quantity.as_str(),
                l0.unit_price.as_str(),
                l0.amount.as_str()
            ),
            ("1.5", "80.10", "120.15")
        );
        assert_eq!(l0.item_code.as_deref(), Some("LABOUR"));
        assert_eq!(l0.tax_code.as_deref(), Some("TAX"));
        let l1 = &inv.lines[1];
        assert_eq!(
            (
                l1.quantity.as_str(),
                l1.unit_price.as_str(),
                l1.amount.as_str()
            ),
            ("3", "0.125", "0.375")
        );
        assert_eq!(
            l1.item_code, None,
            "the default item comes back as no item code"
        );
        assert_eq!(
            l1.tax_code.as_deref(),
            Some("7"),
            "an unmapped TaxCode Id comes back as itself"
        );
    }

    #[test]
    fn statuses() {
        let mut q: qbo::Invoice = serde_json::from_str(PULLED).expect("parses");
        assert_eq!(status_of(&q), InvoiceStatus::Authorised);
        q.balance = Some(Amount(Decimal::ZERO));
        assert_eq!(status_of(&q), InvoiceStatus::Paid);
        q.private_note = Some("Voided".into());
        assert_eq!(status_of(&q), InvoiceStatus::Voided);
        q.private_note = None;
        q.total_amt = Some(Amount(Decimal::ZERO));
        for l in &mut q.line {
            l.amount = Some(Amount(Decimal::ZERO));
        }
        assert_eq!(
            status_of(&q),
            InvoiceStatus::Voided,
            "voiding zeroes every amount"
        );
        let deleted: qbo::Invoice =
            serde_json::from_str(r#"{"domain":"QBO","status":"Deleted","Id":"131"}"#)
                .expect("parses");
        assert_eq!(status_of(&deleted), InvoiceStatus::Voided);
        let unpaid_zero: qbo::Invoice =
            serde_json::from_str(r#"{"Id":"1","TotalAmt":0,"Balance":0}"#).expect("parses");
        assert_eq!(
            status_of(&unpaid_zero),
            InvoiceStatus::Authorised,
            "no lines, not voided, not paid"
        );
    }

    #[test]
    fn push_then_pull_round_trips_lines_and_amounts() {
        let original = invoice();
        let mut q = to_qbo(&original, None, &rules()).expect("valid");
        q.id = Some("5".into());
        q.total_amt = Some(Amount("120.525".parse().expect("dec")));
        // Through JSON text, as QuickBooks would send it back.
        let text = serde_json::to_string(&q).expect("encodes");
        let back: qbo::Invoice = serde_json::from_str(&text).expect("parses");
        let inv = from_qbo(back, InvoiceKind::Job, &rules())
            .expect("maps")
            .expect("job");
        for (a, b) in original.lines.iter().zip(&inv.lines) {
            assert_eq!(a.quantity, b.quantity);
            assert_eq!(a.unit_price, b.unit_price);
            assert_eq!(a.amount, b.amount);
            assert_eq!(a.item_code, b.item_code);
            assert_eq!(
                a.tax_code, b.tax_code,
                "a mapped code wins over the default"
            );
        }
        assert_eq!(inv.total, "120.525");
        assert_eq!(inv.reference, original.reference);
        assert_eq!(inv.memo, original.memo);
    }
}

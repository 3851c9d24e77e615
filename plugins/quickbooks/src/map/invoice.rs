//! Canonical invoice ⇄ QuickBooks `Invoice`.
//!
//! | canonical | QuickBooks | notes |
//! |---|---|---|
//! | `remote-id`, `version` | `Id`, `SyncToken` | updates are sparse |
//! | `number` | `DocNumber` | at most 21 characters |
//! | `customer.remote-id` | `CustomerRef.value` | required |
//! | `issue-date`, `due-date` | `TxnDate`, `DueDate` | |
//! | `currency` | `CurrencyRef.value` | checked first, see [`CompanyCurrency::check`] |
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
//! (`tax-code` through setting `tax-codes`, else `default-tax-code`). `account-code` is not
//! sent (the item carries the income account), nor is `tax-amount` (QuickBooks computes tax
//! from the tax codes).
//!
//! # Discounted lines
//!
//! QuickBooks requires `Amount = Qty × UnitPrice` on a line (6070 otherwise) and keeps at most
//! 7 decimals in `UnitPrice`. This connector does not use QuickBooks' `DiscountRate`: the line's
//! canonical `amount` (already discounted) is what must reach the books, to the cent. So a
//! discounted line is sent with the discounted unit price `amount ÷ quantity` when that
//! quotient is exact with at most [`UNIT_PRICE_MAX_DECIMALS`] decimals (4 × 22.5 = 90.00);
//! otherwise ([`discounted_unit_price`] gives `None`: 3 × 9.0033… ≠ 27.01) the record is refused
//! before sending, a `validation` error on `lines[i].unit-price` naming the line, never sent
//! with a rounded unit price that would change the amount or the total.
//!
//! # Credit memos
//!
//! An invoice whose canonical `total` is negative is a credit: QuickBooks refuses an Invoice
//! with a negative total, so it is written as a `CreditMemo` with every line's `Amount` and
//! `UnitPrice` negated (`Qty` kept, so `Amount = Qty × UnitPrice` still holds) and everything
//! else as for an invoice (`PrivateNote` marker, `DocNumber`, currency, tax codes). QuickBooks'
//! Ids are per entity, so a credit memo's remote id is [`CREDIT_MEMO_PREFIX`] + its `Id`
//! (`CM-123`); pulls map credit memos back to invoices with that remote id and every amount
//! negated again. An invoice cannot become a credit memo or back: an update whose total
//! changed sign is refused (`validation` on `total`).

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
/// The most decimals QuickBooks keeps in a line's `UnitPrice` (and `Qty`).
pub const UNIT_PRICE_MAX_DECIMALS: u32 = 7;
/// Prefix of a credit memo's remote id (`CM-123`); an invoice's remote id is its bare `Id`.
pub const CREDIT_MEMO_PREFIX: &str = "CM-";

/// Which QuickBooks entity a canonical invoice's remote id names, and its `Id` there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteId<'a> {
    /// An `Invoice` with this `Id`.
    Invoice(&'a str),
    /// A `CreditMemo` with this `Id`.
    CreditMemo(&'a str),
}

impl<'a> RemoteId<'a> {
    /// Parse a remote id: `CM-<Id>` is a credit memo, anything else an invoice.
    pub fn parse(remote_id: &'a str) -> Self {
        let id = remote_id.trim();
        match id.strip_prefix(CREDIT_MEMO_PREFIX) {
            Some(memo) => RemoteId::CreditMemo(memo),
            None => RemoteId::Invoice(id),
        }
    }
}

/// What to write for a canonical invoice: an `Invoice`, or a `CreditMemo` for a negative total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SalesTxn {
    /// An invoice.
    Invoice(qbo::Invoice),
    /// A credit memo (amounts already sign-flipped, so positive).
    CreditMemo(qbo::Invoice),
}

/// The company's currency settings (`Preferences.CurrencyPrefs`), read once per push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyCurrency {
    /// `HomeCurrency.value`, e.g. "USD".
    pub home: String,
    /// `MultiCurrencyEnabled`.
    pub multi_currency: bool,
}

impl CompanyCurrency {
    /// From the company's preferences; `None` when QuickBooks does not say its home currency.
    pub fn from_preferences(prefs: &qbo::Preferences) -> Option<Self> {
        let c = prefs.currency_prefs.as_ref()?;
        let home = c.home_currency.as_ref()?.value.trim().to_ascii_uppercase();
        (!home.is_empty()).then(|| Self {
            home,
            multi_currency: c.multi_currency_enabled.unwrap_or(false),
        })
    }

    /// Check that a record in `currency` (of `what`, e.g. "invoice INV-1") can be written to
    /// this company, for a customer whose QuickBooks currency is `customer` (when known):
    /// a currency other than the home one needs multicurrency on; a transaction must be in
    /// its customer's currency. A `validation` error on `currency` otherwise, naming the
    /// currency and what to do. An empty currency is not checked (QuickBooks then uses the
    /// customer's).
    pub fn check(
        &self,
        what: &str,
        currency: &str,
        customer: Option<(&str, &str)>,
    ) -> Result<(), ConnectorError> {
        let currency = currency.trim().to_ascii_uppercase();
        if currency.is_empty() {
            return Ok(());
        }
        if currency != self.home && !self.multi_currency {
            return Err(error::validation(format!(
                "{what} is in {currency}, but this QuickBooks company works in {home} only (multicurrency is off); \
                 turn on multicurrency in QuickBooks (Settings > Account and settings > Advanced > Currency), \
                 or push it in {home}",
                home = self.home
            ))
            .at("currency"));
        }
        if let Some((name, customer_currency)) = customer {
            let customer_currency = customer_currency.trim().to_ascii_uppercase();
            if !customer_currency.is_empty() && customer_currency != currency {
                return Err(error::validation(format!(
                    "{what} is in {currency}, but its QuickBooks customer {name:?} is in {customer_currency}, \
                     and QuickBooks keeps each customer in one currency; check the customer's currency \
                     (invoice it in {customer_currency}, or use a customer in {currency})"
                ))
                .at("currency"));
            }
        }
        Ok(())
    }
}

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
            // The manifest lists no push-orders, so the host never sends an order here.
            InvoiceKind::Order => "Order",
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

fn line_to_qbo(
    line: &InvoiceLine,
    i: usize,
    codes: &Codes,
    negate: bool,
) -> Result<qbo::Line, ConnectorError> {
    let qty = line.quantity_decimal(i)?;
    let mut unit_price = line.unit_price_decimal(i)?;
    let mut amount = line.amount_decimal(i)?;
    if let Some(discount) = line.discount_percent_decimal(i)?
        && !discount.is_zero()
    {
        unit_price = discounted_unit_price(amount, qty).ok_or_else(|| {
            error::validation(format!(
                "line {} ({:?}) has a {discount} % discount and amount {amount}; QuickBooks needs amount = quantity × unit price \
                 with at most {UNIT_PRICE_MAX_DECIMALS} decimals in the unit price, and {amount} ÷ {qty} is not exact. \
                 Give the line a quantity that divides its amount, or put the discount on a separate line",
                i + 1,
                line.description
            ))
            .at(format!("lines[{i}].unit-price"))
        })?;
    }
    if negate {
        unit_price = -unit_price;
        amount = -amount;
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

/// `amount ÷ qty` when it is exact — at most [`UNIT_PRICE_MAX_DECIMALS`] decimals, and
/// multiplying back gives `amount` exactly, checked on the integer mantissas (a `Decimal`
/// product may itself round, which once let a 28-digit quotient pass) — with trailing zeros
/// removed. `None` for a zero quantity or an inexact division: QuickBooks would either refuse
/// the line or change its amount.
pub fn discounted_unit_price(amount: Decimal, qty: Decimal) -> Option<Decimal> {
    if qty.is_zero() {
        return None;
    }
    let price = amount.checked_div(qty)?.normalize();
    if price.scale() > UNIT_PRICE_MAX_DECIMALS {
        return None;
    }
    exact_product_equals(price, qty, amount).then_some(price)
}

/// Whether `a × b = c` exactly, compared on integer mantissas (no rounding anywhere).
fn exact_product_equals(a: Decimal, b: Decimal, c: Decimal) -> bool {
    let Some(product) = a.mantissa().checked_mul(b.mantissa()) else {
        return false;
    };
    let scale = a.scale() + b.scale();
    let target = c.mantissa();
    let pow = |n: u32| 10i128.checked_pow(n);
    if scale >= c.scale() {
        pow(scale - c.scale())
            .and_then(|p| target.checked_mul(p))
            .is_some_and(|t| t == product)
    } else {
        pow(c.scale() - scale)
            .and_then(|p| product.checked_mul(p))
            .is_some_and(|p| p == target)
    }
}

/// What to write for `invoice`: an `Invoice`, or a `CreditMemo` when its `total` is negative
/// (see the module doc). A create without `remote-id`, otherwise a sparse update of the
/// entity the remote id names, with `sync_token`; an update whose total changed sign is
/// refused.
pub fn to_qbo_txn(
    invoice: &Invoice,
    sync_token: Option<&str>,
    rules: &InvoiceRules,
) -> Result<SalesTxn, ConnectorError> {
    let credit = invoice.total_decimal()? < Decimal::ZERO;
    let number = invoice.number.trim();
    let id = match invoice.remote_id.as_deref().map(RemoteId::parse) {
        None => None,
        Some(RemoteId::CreditMemo(id)) if credit => Some(id.to_owned()),
        Some(RemoteId::Invoice(id)) if !credit => Some(id.to_owned()),
        Some(RemoteId::CreditMemo(id)) => {
            return Err(error::validation(format!(
                "invoice {number} was sent to QuickBooks as credit memo {id} (its total was negative) and its total is now {}; \
                 QuickBooks cannot turn a credit memo into an invoice: roll it back and push it again",
                invoice.total.trim()
            ))
            .at("total"));
        }
        Some(RemoteId::Invoice(id)) => {
            return Err(error::validation(format!(
                "invoice {number} was sent to QuickBooks as invoice {id} and its total is now negative ({}); \
                 QuickBooks cannot turn an invoice into a credit memo: roll it back and push it again",
                invoice.total.trim()
            ))
            .at("total"));
        }
    };
    let mut q = build(invoice, sync_token, rules, credit)?;
    q.id = id;
    Ok(if credit {
        SalesTxn::CreditMemo(q)
    } else {
        SalesTxn::Invoice(q)
    })
}

/// The QuickBooks invoice to send for `invoice` (a non-negative total): a create without
/// `remote-id`, otherwise a sparse update of that `Id` with `sync_token`.
pub fn to_qbo(
    invoice: &Invoice,
    sync_token: Option<&str>,
    rules: &InvoiceRules,
) -> Result<qbo::Invoice, ConnectorError> {
    build(invoice, sync_token, rules, false)
}

fn build(
    invoice: &Invoice,
    sync_token: Option<&str>,
    rules: &InvoiceRules,
    negate: bool,
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
        .map(|(i, line)| line_to_qbo(line, i, &rules.codes, negate))
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
            .map(|c| qbo::ReferenceType::id(c.to_ascii_uppercase())),
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
        tax_rate: None,
    }
}

/// The canonical invoice of a QuickBooks credit memo, when it is of `kind`: remote id
/// `CM-<Id>`, every amount (lines' `amount` and `unit-price`, `subtotal`, `tax-total`,
/// `total`) negated, so it reads back as the negative invoice that was pushed.
pub fn from_qbo_credit_memo(
    mut q: qbo::Invoice,
    kind: InvoiceKind,
    rules: &InvoiceRules,
) -> Result<Option<Invoice>, ConnectorError> {
    let status = status_of(&q);
    let neg = |a: &mut Option<Amount>| {
        if let Some(v) = a {
            v.0 = -v.0;
        }
    };
    neg(&mut q.total_amt);
    neg(&mut q.balance);
    if let Some(t) = q.txn_tax_detail.as_mut() {
        neg(&mut t.total_tax);
    }
    for line in &mut q.line {
        neg(&mut line.amount);
        if let Some(d) = line.sales_item_line_detail.as_mut() {
            neg(&mut d.unit_price);
        }
    }
    q.id = q.id.map(|id| format!("{CREDIT_MEMO_PREFIX}{id}"));
    Ok(from_qbo(q, kind, rules)?.map(|mut inv| {
        inv.status = status;
        inv
    }))
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
        // `Balance` is what is still owed; paid is the rest of the total.
        amount_paid: q.balance.map(|b| Amount(total.0 - b.0).to_money()),
        amount_due: q.balance.map(Amount::to_money),
        locked: None,
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
            tax_rate: None,
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
            amount_paid: None,
            amount_due: None,
            locked: None,
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
        assert_eq!(e.field(), Some("lines[0].unit-price"));
        assert_eq!(
            e.message(),
            "line 1 (\"Call-out\") has a 10 % discount and amount 27.01; QuickBooks needs amount = quantity × unit price \
             with at most 7 decimals in the unit price, and 27.01 ÷ 3 is not exact. \
             Give the line a quantity that divides its amount, or put the discount on a separate line"
        );
    }

    #[test]
    fn discounted_unit_prices_are_exact_or_refused() {
        let d = |s: &str| s.parse::<Decimal>().expect("dec");
        let ok = |amount: &str, qty: &str| {
            discounted_unit_price(d(amount), d(qty)).map(|p| p.to_string())
        };
        assert_eq!(ok("90.00", "4").as_deref(), Some("22.5"));
        assert_eq!(ok("7.50", "0.3").as_deref(), Some("25"));
        assert_eq!(ok("10", "0.0008").as_deref(), Some("12500"));
        assert_eq!(ok("1", "128").as_deref(), Some("0.0078125"), "7 decimals");
        assert_eq!(ok("1", "256"), None, "0.00390625 has 8 decimals");
        assert_eq!(ok("27.01", "3"), None);
        assert_eq!(ok("1", "0"), None);
        // The case that used to pass: 100.00 ÷ 3.3 = 30.303030303030303030303030303 (28 digits),
        // whose Decimal product with 3.3 rounds back to 100.
        let q = d("100.00").checked_div(d("3.3")).expect("div");
        assert_eq!(
            q.checked_mul(d("3.3")),
            Some(d("100")),
            "the Decimal product rounds"
        );
        assert_eq!(ok("100.00", "3.3"), None);
        assert!(!exact_product_equals(q, d("3.3"), d("100.00")));
        assert!(exact_product_equals(d("22.5"), d("4"), d("90.00")));
    }

    #[test]
    fn an_inexact_discounted_line_is_refused_on_its_unit_price() {
        let mut inv = invoice();
        inv.lines = vec![
            line("1", "10.00", "10.00", None, None),
            line("3.3", "33.67", "100.00", None, None),
        ];
        inv.lines[1].discount_percent = Some("10".into());
        let e = to_qbo_txn(&inv, None, &rules()).expect_err("inexact");
        assert_eq!(e.field(), Some("lines[1].unit-price"));
        assert!(
            e.message()
                .starts_with("line 2 (\"Call-out\") has a 10 % discount and amount 100.00;"),
            "{}",
            e.message()
        );
    }

    fn credit() -> Invoice {
        let mut inv = invoice();
        inv.number = "CN-7".into();
        inv.lines = vec![
            line("2", "-40.00", "-80.00", Some("LABOUR"), Some("TAX")),
            line("-1", "12.50", "-12.50", None, Some("NONE")),
        ];
        inv.subtotal = "-92.50".into();
        inv.tax_total = "-6.80".into();
        inv.total = "-99.30".into();
        inv
    }

    #[test]
    fn a_negative_invoice_is_a_credit_memo_with_every_amount_sign_flipped() {
        let SalesTxn::CreditMemo(q) = to_qbo_txn(&credit(), None, &rules()).expect("valid") else {
            panic!("not a credit memo")
        };
        let json = serde_json::to_string(&q).expect("encodes");
        assert_eq!(
            json,
            concat!(
                r#"{"DocNumber":"CN-7","TxnDate":"2026-11-20","DueDate":"2026-12-20","CustomerRef":{"value":"58"},"#,
                r#""CurrencyRef":{"value":"USD"},"GlobalTaxCalculation":"TaxExcluded","Line":["#,
                r#"{"Description":"Call-out","Amount":80.00,"DetailType":"SalesItemLineDetail","SalesItemLineDetail":{"ItemRef":{"value":"1"},"UnitPrice":40.00,"Qty":2,"TaxCodeRef":{"value":"TAX"}}},"#,
                r#"{"Description":"Call-out","Amount":12.50,"DetailType":"SalesItemLineDetail","SalesItemLineDetail":{"ItemRef":{"value":"9"},"UnitPrice":-12.50,"Qty":-1,"TaxCodeRef":{"value":"NON"}}}],"#,
                r#""PrivateNote":"Tracker Pro job J-42","CustomerMemo":{"value":"Thanks for your business"}}"#
            )
        );
        // A positive invoice stays an invoice; zero too.
        assert!(matches!(
            to_qbo_txn(&invoice(), None, &rules()),
            Ok(SalesTxn::Invoice(_))
        ));
        let mut zero = invoice();
        zero.total = "0.00".into();
        assert!(matches!(
            to_qbo_txn(&zero, None, &rules()),
            Ok(SalesTxn::Invoice(_))
        ));
    }

    #[test]
    fn remote_ids_tell_credit_memos_from_invoices_and_updates_keep_the_entity() {
        assert_eq!(RemoteId::parse("CM-12"), RemoteId::CreditMemo("12"));
        assert_eq!(RemoteId::parse("130"), RemoteId::Invoice("130"));
        let mut inv = credit();
        inv.remote_id = Some("CM-12".into());
        let SalesTxn::CreditMemo(q) = to_qbo_txn(&inv, Some("3"), &rules()).expect("valid") else {
            panic!("not a credit memo")
        };
        assert_eq!(
            (q.id.as_deref(), q.sync_token.as_deref(), q.sparse),
            (Some("12"), Some("3"), Some(true))
        );
        inv.remote_id = Some("130".into());
        let e = to_qbo_txn(&inv, Some("3"), &rules()).expect_err("sign change");
        assert_eq!(e.field(), Some("total"));
        assert_eq!(
            e.message(),
            "invoice CN-7 was sent to QuickBooks as invoice 130 and its total is now negative (-99.30); \
             QuickBooks cannot turn an invoice into a credit memo: roll it back and push it again"
        );
        let mut inv = invoice();
        inv.remote_id = Some("CM-12".into());
        let e = to_qbo_txn(&inv, Some("3"), &rules()).expect_err("sign change");
        assert_eq!(e.field(), Some("total"));
        assert!(
            e.message()
                .starts_with("invoice INV-1001 was sent to QuickBooks as credit memo 12")
        );
    }

    #[test]
    fn a_pulled_credit_memo_reads_back_as_the_negative_invoice_pushed() {
        let original = credit();
        let SalesTxn::CreditMemo(mut q) = to_qbo_txn(&original, None, &rules()).expect("valid")
        else {
            panic!("not a credit memo")
        };
        // As QuickBooks answers: its Id, totals and tax (80 × 8.5 % = 6.80).
        q.id = Some("12".into());
        q.sync_token = Some("0".into());
        q.total_amt = Some(Amount("99.3".parse().expect("dec")));
        q.balance = Some(Amount("99.3".parse().expect("dec")));
        q.txn_tax_detail = Some(qbo::TxnTaxDetail {
            total_tax: Some(Amount("6.8".parse().expect("dec"))),
        });
        let text = serde_json::to_string(&q).expect("encodes");
        let back: qbo::Invoice = serde_json::from_str(&text).expect("parses");
        let inv = from_qbo_credit_memo(back, InvoiceKind::Job, &rules())
            .expect("maps")
            .expect("job");
        assert_eq!(inv.remote_id.as_deref(), Some("CM-12"));
        assert_eq!(inv.version.as_deref(), Some("0"));
        assert_eq!(inv.kind, InvoiceKind::Job);
        assert_eq!(inv.number, "CN-7");
        assert_eq!(
            (
                inv.subtotal.as_str(),
                inv.tax_total.as_str(),
                inv.total.as_str()
            ),
            ("-92.50", "-6.80", "-99.30")
        );
        assert_eq!(inv.status, InvoiceStatus::Authorised);
        for (a, b) in original.lines.iter().zip(&inv.lines) {
            assert_eq!(
                (
                    a.quantity.as_str(),
                    a.unit_price.as_str(),
                    a.amount.as_str()
                ),
                (
                    b.quantity.as_str(),
                    b.unit_price.as_str(),
                    b.amount.as_str()
                )
            );
        }
        assert!(
            from_qbo_credit_memo(
                serde_json::from_str(&text).expect("parses"),
                InvoiceKind::Contract,
                &rules()
            )
            .expect("maps")
            .is_none()
        );
    }

    #[test]
    fn currencies_are_checked_against_the_company_before_sending() {
        let prefs: qbo::Preferences = serde_json::from_str(
            r#"{"Id":"1","CurrencyPrefs":{"MultiCurrencyEnabled":false,"HomeCurrency":{"value":"USD"}},"SalesFormsPrefs":{"CustomTxnNumbers":true}}"#,
        )
        .expect("parses");
        let single = CompanyCurrency::from_preferences(&prefs).expect("home");
        assert_eq!(
            single,
            CompanyCurrency {
                home: "USD".into(),
                multi_currency: false
            }
        );
        assert!(single.check("invoice INV-1", "usd", None).is_ok());
        assert!(single.check("invoice INV-1", "", None).is_ok());
        let e = single
            .check("invoice INV-1", "JPY", None)
            .expect_err("foreign");
        assert_eq!(e.field(), Some("currency"));
        assert_eq!(
            e.message(),
            "invoice INV-1 is in JPY, but this QuickBooks company works in USD only (multicurrency is off); \
             turn on multicurrency in QuickBooks (Settings > Account and settings > Advanced > Currency), or push it in USD"
        );
        let multi = CompanyCurrency {
            home: "USD".into(),
            multi_currency: true,
        };
        assert!(
            multi
                .check("invoice INV-1", "AUD", Some(("Sydney Pty", "AUD")))
                .is_ok()
        );
        assert!(multi.check("invoice INV-1", "AUD", None).is_ok());
        let e = multi
            .check("invoice INV-1", "AUD", Some(("Acme", "USD")))
            .expect_err("customer currency");
        assert_eq!(e.field(), Some("currency"));
        assert_eq!(
            e.message(),
            "invoice INV-1 is in AUD, but its QuickBooks customer \"Acme\" is in USD, and QuickBooks keeps each customer \
             in one currency; check the customer's currency (invoice it in USD, or use a customer in AUD)"
        );
        let mut inv = invoice();
        inv.currency = "aud".into();
        let q = to_qbo(&inv, None, &rules()).expect("valid");
        assert_eq!(q.currency_ref, Some(qbo::ReferenceType::id("AUD")));
        assert_eq!(
            CompanyCurrency::from_preferences(&qbo::Preferences::default()),
            None
        );
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

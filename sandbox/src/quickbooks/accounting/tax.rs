//! Sales tax on invoice lines, per `GlobalTaxCalculation`:
//!
//! - `TaxExcluded` (the default): a line's `Amount` is net; its tax is
//!   `Amount × rate / 100`; `TotalAmt` = lines + tax.
//! - `TaxInclusive`: a line's `Amount` (= `Qty × UnitPrice`) includes tax;
//!   its tax is `Amount × rate / (100 + rate)`; `TotalAmt` = lines. The line
//!   also reports `TaxInclusiveAmt` (= `Amount`). Sandbox simplification:
//!   QuickBooks itself reports the line net and the gross in `TaxInclusiveAmt`.
//! - `NotApplicable`: no tax at all.
//!
//! Tax is rounded to cents per line (in [`round_cents`]) and summed per rate
//! into `TxnTaxDetail.TaxLine`.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::fault::QboFault;
use super::money::{self, number, round_cents};
use super::realm::{Entity, Kind, Realm, Region};

/// `GlobalTaxCalculationEnum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    TaxExcluded,
    TaxInclusive,
    NotApplicable,
}

impl Mode {
    pub(crate) fn parse(text: &str) -> Option<Mode> {
        match text {
            "TaxExcluded" => Some(Mode::TaxExcluded),
            "TaxInclusive" => Some(Mode::TaxInclusive),
            "NotApplicable" => Some(Mode::NotApplicable),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Mode::TaxExcluded => "TaxExcluded",
            Mode::TaxInclusive => "TaxInclusive",
            Mode::NotApplicable => "NotApplicable",
        }
    }
}

/// A line's tax code and the rate behind it.
#[derive(Debug, Clone)]
pub(crate) struct LineCode {
    code: String,
    /// `(TaxRate Id, percent)`; `None` for a non-taxable code.
    rate: Option<(String, Decimal)>,
}

/// The tax code of a line: the one named, else the realm's default (US:
/// `NON`; elsewhere the item's `SalesTaxCodeRef`).
pub(crate) fn line_code(
    realm: &Realm,
    named: Option<&str>,
    item: &Entity,
) -> Result<LineCode, QboFault> {
    let element = "Line.SalesItemLineDetail.TaxCodeRef";
    let code = match (named, realm.region) {
        (Some(code), _) => code.to_owned(),
        (None, Region::Us) => "NON".to_owned(),
        (None, Region::Au) => item.body["SalesTaxCodeRef"]["value"]
            .as_str()
            .ok_or_else(|| QboFault::required(element))?
            .to_owned(),
    };
    if realm.region == Region::Us && code != "TAX" && code != "NON" {
        return Err(QboFault::validation(
            "6100",
            "Invalid Line TaxCode in the request",
            format!("Valid Line TaxCodes for US should be TAX or NON. Supplied value:{code}"),
        )
        .at(element));
    }
    let tax_code = realm
        .get(Kind::TaxCode, &code)
        .ok_or_else(|| QboFault::invalid_reference(element, "TaxCode", &code))?;
    let rate = match tax_code.body["SalesTaxRateList"]["TaxRateDetail"][0]["TaxRateRef"]["value"]
        .as_str()
    {
        Some(rate_id) => {
            let rate = realm
                .get(Kind::TaxRate, rate_id)
                .ok_or_else(|| QboFault::invalid_reference(element, "TaxRate", rate_id))?;
            Some((
                rate_id.to_owned(),
                money::decimal(&rate.body["RateValue"], "RateValue")?,
            ))
        }
        None => None,
    };
    Ok(LineCode { code, rate })
}

/// A computed sales line.
#[derive(Debug, Clone)]
pub(crate) struct TaxedLine {
    description: Option<String>,
    item_ref: Value,
    qty: Decimal,
    unit_price: Decimal,
    discount: Option<Decimal>,
    amount: Decimal,
    code: LineCode,
    mode: Mode,
    tax: Decimal,
}

impl TaxedLine {
    #[allow(clippy::too_many_arguments)] // one plain record of a line's parts
    pub(crate) fn new(
        description: Option<String>,
        item_ref: Value,
        qty: Decimal,
        unit_price: Decimal,
        discount: Option<Decimal>,
        amount: Decimal,
        code: LineCode,
        mode: Mode,
    ) -> TaxedLine {
        let percent = code
            .rate
            .as_ref()
            .map_or(Decimal::ZERO, |(_, percent)| *percent);
        let tax = match mode {
            Mode::NotApplicable => Decimal::ZERO,
            Mode::TaxExcluded => round_cents(amount * percent / Decimal::ONE_HUNDRED),
            Mode::TaxInclusive => round_cents(amount * percent / (Decimal::ONE_HUNDRED + percent)),
        };
        TaxedLine {
            description,
            item_ref,
            qty,
            unit_price,
            discount,
            amount,
            code,
            mode,
            tax,
        }
    }

    /// The served `Line` numbered `number`.
    pub(crate) fn json(&self, number_: usize) -> Value {
        let mut detail = json!({
            "ItemRef": self.item_ref,
            "Qty": number(self.qty),
            "UnitPrice": number(self.unit_price),
            "TaxCodeRef": { "value": self.code.code },
        });
        if let Some(discount) = self.discount {
            detail["DiscountRate"] = number(discount);
        }
        if self.mode == Mode::TaxInclusive {
            detail["TaxInclusiveAmt"] = number(self.amount);
        }
        let mut line = json!({
            "Id": number_.to_string(),
            "LineNum": number_,
            "Amount": number(self.amount),
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": detail,
        });
        if let Some(description) = &self.description {
            line["Description"] = json!(description);
        }
        line
    }
}

/// An invoice's totals.
#[derive(Debug, Clone)]
pub(crate) struct Totals {
    pub(crate) subtotal: Decimal,
    pub(crate) total_tax: Decimal,
    pub(crate) total: Decimal,
    /// Per rate: `(TaxRate Id, percent, tax, net amount taxable)`.
    tax_lines: Vec<(String, Decimal, Decimal, Decimal)>,
}

/// Sums `lines` under `mode`.
pub(crate) fn totals(lines: &[TaxedLine], mode: Mode) -> Totals {
    let subtotal: Decimal = lines.iter().map(|line| line.amount).sum();
    let total_tax: Decimal = lines.iter().map(|line| line.tax).sum();
    let mut tax_lines: Vec<(String, Decimal, Decimal, Decimal)> = Vec::new();
    if mode != Mode::NotApplicable {
        for line in lines {
            let Some((rate_id, percent)) = &line.code.rate else {
                continue;
            };
            let net = match mode {
                Mode::TaxInclusive => line.amount - line.tax,
                _ => line.amount,
            };
            match tax_lines.iter_mut().find(|(id, ..)| id == rate_id) {
                Some(entry) => {
                    entry.2 += line.tax;
                    entry.3 += net;
                }
                None => tax_lines.push((rate_id.clone(), *percent, line.tax, net)),
            }
        }
    }
    let total = match mode {
        Mode::TaxExcluded => subtotal + total_tax,
        Mode::TaxInclusive | Mode::NotApplicable => subtotal,
    };
    Totals {
        subtotal,
        total_tax,
        total,
        tax_lines,
    }
}

impl Totals {
    /// `TxnTaxDetail` with one `TaxLine` per rate used.
    pub(crate) fn txn_tax_detail(&self) -> Value {
        let lines: Vec<Value> = self
            .tax_lines
            .iter()
            .map(|(rate_id, percent, tax, net)| {
                json!({
                    "Amount": number(*tax),
                    "DetailType": "TaxLineDetail",
                    "TaxLineDetail": {
                        "TaxRateRef": { "value": rate_id },
                        "PercentBased": true,
                        "TaxPercent": number(*percent),
                        "NetAmountTaxable": number(*net),
                    },
                })
            })
            .collect();
        json!({ "TotalTax": number(self.total_tax), "TaxLine": lines })
    }
}

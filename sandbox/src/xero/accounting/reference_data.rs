//! The chart of accounts, tax rates and items each demo organisation starts
//! with (`GET /Accounts`, `/TaxRates`, `/Items`), and the checks a line item
//! makes against them.

use std::str::FromStr as _;
use std::time::SystemTime;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

use super::wire::{self, number};
use crate::xero::tenants::{XERO_TENANT_NZ_ID, XERO_TENANT_US_ID};

/// One tax rate.
#[derive(Debug, Clone)]
pub(crate) struct TaxRate {
    pub(crate) tax_type: &'static str,
    pub(crate) name: &'static str,
    pub(crate) report_tax_type: &'static str,
    /// Components: name and percentage; the effective rate is their sum.
    pub(crate) components: Vec<(&'static str, Decimal)>,
    /// Usable on sales (ACCREC) documents.
    pub(crate) sales: bool,
    /// Usable on purchases (ACCPAY) documents.
    pub(crate) purchases: bool,
}

impl TaxRate {
    /// The rate in percent (e.g. 15).
    pub(crate) fn percent(&self) -> Decimal {
        self.components.iter().map(|(_, rate)| *rate).sum()
    }

    fn to_json(&self) -> Value {
        let components: Vec<Value> = self
            .components
            .iter()
            .map(|(name, rate)| {
                json!({ "Name": name, "Rate": number(*rate), "IsCompound": false, "IsNonRecoverable": false })
            })
            .collect();
        json!({
            "Name": self.name,
            "TaxType": self.tax_type,
            "ReportTaxType": self.report_tax_type,
            "TaxComponents": components,
            "Status": "ACTIVE",
            "CanApplyToAssets": self.purchases,
            "CanApplyToEquity": self.purchases,
            "CanApplyToExpenses": self.purchases,
            "CanApplyToLiabilities": self.purchases,
            "CanApplyToRevenue": self.sales,
            "DisplayTaxRate": number(self.percent()),
            "EffectiveRate": number(self.percent()),
        })
    }
}

/// One account of the chart.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub(crate) id: Uuid,
    pub(crate) code: &'static str,
    pub(crate) name: &'static str,
    /// `BANK`, `REVENUE`, `SALES`, `EXPENSE`, `CURRENT`.
    pub(crate) kind: &'static str,
    pub(crate) class: &'static str,
    pub(crate) tax_type: &'static str,
    pub(crate) system_account: Option<&'static str>,
}

impl Account {
    /// Bank accounts take payments; they cannot be coded on an invoice line.
    pub(crate) fn is_bank(&self) -> bool {
        self.kind == "BANK"
    }

    fn to_json(&self, currency: &str) -> Value {
        let mut account = json!({
            "AccountID": self.id.to_string(),
            "Code": self.code,
            "Name": self.name,
            "Type": self.kind,
            "TaxType": self.tax_type,
            "Status": "ACTIVE",
            "Class": self.class,
            "EnablePaymentsToAccount": self.is_bank(),
            "ShowInExpenseClaims": self.kind == "EXPENSE",
            "BankAccountType": if self.is_bank() { "BANK" } else { "" },
            "ReportingCode": self.class,
            "HasAttachments": false,
            "UpdatedDateUTC": wire::ms_date(seeded_at()),
            "AddToWatchlist": false,
        });
        if self.is_bank() {
            account["BankAccountNumber"] = json!("0102030405060708");
            account["CurrencyCode"] = json!(currency);
        }
        if let Some(system) = self.system_account {
            account["SystemAccount"] = json!(system);
        }
        account
    }
}

/// One item (a product or service).
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub(crate) id: Uuid,
    pub(crate) code: &'static str,
    pub(crate) name: &'static str,
    pub(crate) description: &'static str,
    pub(crate) unit_price: Decimal,
    pub(crate) account_code: &'static str,
}

impl Item {
    fn to_json(&self, tax_type: &str) -> Value {
        json!({
            "ItemID": self.id.to_string(),
            "Code": self.code,
            "Name": self.name,
            "Description": self.description,
            "IsSold": true,
            "IsPurchased": false,
            "IsTrackedAsInventory": false,
            "SalesDetails": {
                "UnitPrice": number(self.unit_price),
                "AccountCode": self.account_code,
                "TaxType": tax_type,
            },
            "UpdatedDateUTC": wire::ms_date(seeded_at()),
        })
    }
}

/// A tenant's accounts, tax rates and items.
#[derive(Debug, Clone)]
pub(crate) struct ReferenceData {
    pub(crate) currency: &'static str,
    pub(crate) accounts: Vec<Account>,
    pub(crate) tax_rates: Vec<TaxRate>,
    pub(crate) items: Vec<Item>,
}

fn percent(text: &str) -> Decimal {
    // Only called with the literals below, all valid decimals.
    Decimal::from_str(text).unwrap_or_default()
}

impl ReferenceData {
    /// The seed data of tenant `tenant_id` (the NZ data for an unknown id).
    pub(crate) fn seed(tenant_id: &str) -> ReferenceData {
        if tenant_id == XERO_TENANT_US_ID {
            Self::us()
        } else {
            debug_assert_eq!(tenant_id, XERO_TENANT_NZ_ID);
            Self::nz()
        }
    }

    fn nz() -> ReferenceData {
        let rate = |tax_type, name, report, components, sales, purchases| TaxRate {
            tax_type,
            name,
            report_tax_type: report,
            components,
            sales,
            purchases,
        };
        ReferenceData {
            currency: "NZD",
            accounts: accounts("OUTPUT2", "INPUT2"),
            tax_rates: vec![
                rate(
                    "OUTPUT2",
                    "15% GST on Income",
                    "OUTPUT",
                    vec![("GST", percent("15"))],
                    true,
                    false,
                ),
                rate(
                    "INPUT2",
                    "15% GST on Expenses",
                    "INPUT",
                    vec![("GST", percent("15"))],
                    false,
                    true,
                ),
                rate(
                    "NONE",
                    "No GST",
                    "NONE",
                    vec![("GST", Decimal::ZERO)],
                    true,
                    true,
                ),
                rate(
                    "EXEMPTOUTPUT",
                    "Exempt Income",
                    "EXEMPTOUTPUT",
                    vec![("GST", Decimal::ZERO)],
                    true,
                    false,
                ),
                rate(
                    "ZERORATEDOUTPUT",
                    "Zero Rated",
                    "ZERORATEDOUTPUT",
                    vec![("GST", Decimal::ZERO)],
                    true,
                    false,
                ),
            ],
            items: items(),
        }
    }

    fn us() -> ReferenceData {
        ReferenceData {
            currency: "USD",
            accounts: accounts("TAX", "NONE"),
            tax_rates: vec![
                TaxRate {
                    tax_type: "TAX",
                    name: "Sales Tax",
                    report_tax_type: "USSALESTAX",
                    components: vec![
                        ("State Tax", percent("6.25")),
                        ("City Tax", percent("2.00")),
                    ],
                    sales: true,
                    purchases: false,
                },
                TaxRate {
                    tax_type: "NONE",
                    name: "Tax Exempt",
                    report_tax_type: "NONE",
                    components: vec![("Tax Exempt", Decimal::ZERO)],
                    sales: true,
                    purchases: true,
                },
            ],
            items: items(),
        }
    }

    pub(crate) fn account(&self, code: &str) -> Option<&Account> {
        self.accounts
            .iter()
            .find(|account| account.code.eq_ignore_ascii_case(code))
    }

    pub(crate) fn tax_rate(&self, tax_type: &str) -> Option<&TaxRate> {
        self.tax_rates
            .iter()
            .find(|rate| rate.tax_type.eq_ignore_ascii_case(tax_type))
    }

    pub(crate) fn item(&self, code: &str) -> Option<&Item> {
        self.items
            .iter()
            .find(|item| item.code.eq_ignore_ascii_case(code))
    }

    /// Every account as the API renders it, with its update time.
    pub(crate) fn accounts(&self) -> Vec<(SystemTime, Value)> {
        self.accounts
            .iter()
            .map(|account| (seeded_at(), account.to_json(self.currency)))
            .collect()
    }

    /// Every tax rate as the API renders it.
    pub(crate) fn tax_rates(&self) -> Vec<(SystemTime, Value)> {
        self.tax_rates
            .iter()
            .map(|rate| (seeded_at(), rate.to_json()))
            .collect()
    }

    /// Every item as the API renders it, with its update time.
    pub(crate) fn items(&self) -> Vec<(SystemTime, Value)> {
        self.items
            .iter()
            .map(|item| {
                let tax_type = self
                    .account(item.account_code)
                    .map_or("NONE", |account| account.tax_type);
                (seeded_at(), item.to_json(tax_type))
            })
            .collect()
    }
}

/// When the seed data was last changed (2020-01-01T00:00:00Z, its `UpdatedDateUTC`).
fn seeded_at() -> SystemTime {
    SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_577_836_800)
}

fn accounts(sales_tax: &'static str, expense_tax: &'static str) -> Vec<Account> {
    let account = |code, name, kind, class, tax_type, system_account| Account {
        id: Uuid::new_v4(),
        code,
        name,
        kind,
        class,
        tax_type,
        system_account,
    };
    vec![
        account(
            "090",
            "Business Bank Account",
            "BANK",
            "ASSET",
            "NONE",
            None,
        ),
        account("200", "Sales", "REVENUE", "REVENUE", sales_tax, None),
        account(
            "260",
            "Other Revenue",
            "REVENUE",
            "REVENUE",
            sales_tax,
            None,
        ),
        account(
            "400",
            "Advertising",
            "EXPENSE",
            "EXPENSE",
            expense_tax,
            None,
        ),
        account(
            "610",
            "Accounts Receivable",
            "CURRENT",
            "ASSET",
            "NONE",
            Some("DEBTORS"),
        ),
    ]
}

fn items() -> Vec<Item> {
    let item = |code, name, description, price, account_code| Item {
        id: Uuid::new_v4(),
        code,
        name,
        description,
        unit_price: percent(price),
        account_code,
    };
    vec![
        item(
            "DEV",
            "Development",
            "Development work, per hour",
            "150.00",
            "200",
        ),
        item("SUPPORT", "Support", "Support, per hour", "95.00", "200"),
        item(
            "LICENCE",
            "Annual licence",
            "Annual software licence",
            "500.00",
            "260",
        ),
    ]
}

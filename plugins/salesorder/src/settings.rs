//! The connection's settings, declared once (keys, meanings, defaults) for the manifest and
//! for [`Settings::from_lookup`], which parses them from a lookup so it is tested natively.

use ledgerlink_sdk::error;
use ledgerlink_sdk::types::ConnectorError;

/// One setting: key, meaning, default.
pub struct SettingSpec {
    pub key: &'static str,
    pub description: &'static str,
    pub default: &'static str,
}

pub const MIGRATION_CONTROL: SettingSpec = SettingSpec {
    key: "migration-control-account",
    description: "GL account on the other side of each customer's opening-balance journal line (Salesorder's Launch Sequence T-3 calls it the Migration Control account).",
    default: "Migration Control",
};

pub const RECEIVABLES: SettingSpec = SettingSpec {
    key: "receivables-account",
    description: "The Accounts Receivable account named on each customer's journal line.",
    default: "Accounts Receivable",
};

pub const ORDER_STATUS: SettingSpec = SettingSpec {
    key: "order-status",
    description: "Status of imported sales orders (open jobs): Open, or Pending to send them through Salesorder's approval first.",
    default: "Open",
};

pub const JOURNAL_DATE: SettingSpec = SettingSpec {
    key: "journal-date",
    description: "Date of the opening-balance journals, YYYY-MM-DD (the cut-off date); empty: the day of the export.",
    default: "",
};

pub const EXPORT_WINDOW: SettingSpec = SettingSpec {
    key: "export-window-minutes",
    description: "Pushes less than this many minutes after the previous write add to the same export (one set of workbooks); 0 starts a new export on every push.",
    default: "10",
};

pub const CUSTOMERS_EXPORT: SettingSpec = SettingSpec {
    key: "customers-export-file",
    description: "A customers export downloaded from Salesorder, relative to the connection folder; its customers are matched instead of created again.",
    default: "salesorder-customers-export.xlsx",
};

pub const PAGE_SIZE: SettingSpec = SettingSpec {
    key: "page-size",
    description: "Records returned per page when pulling (a whole number, at least 1).",
    default: "500",
};

/// Every setting, in manifest order.
pub const ALL: [SettingSpec; 7] = [
    MIGRATION_CONTROL,
    RECEIVABLES,
    ORDER_STATUS,
    JOURNAL_DATE,
    EXPORT_WINDOW,
    CUSTOMERS_EXPORT,
    PAGE_SIZE,
];

/// Open or Pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    Open,
    Pending,
}

impl OrderStatus {
    pub fn label(self) -> &'static str {
        match self {
            OrderStatus::Open => "Open",
            OrderStatus::Pending => "Pending",
        }
    }
}

/// The parsed settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub migration_control: String,
    pub receivables: String,
    pub order_status: OrderStatus,
    pub journal_date: Option<String>,
    pub export_window_seconds: i64,
    pub customers_export: String,
    pub page_size: usize,
}

impl Settings {
    /// From the host's `config` import.
    pub fn load() -> Result<Self, ConnectorError> {
        Self::from_lookup(ledgerlink_sdk::config::get)
    }

    /// From `lookup`; unset keys take their defaults.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConnectorError> {
        let value = |s: &SettingSpec| lookup(s.key).unwrap_or_else(|| s.default.to_owned());
        let text = |s: &SettingSpec| {
            let v = value(s).trim().to_owned();
            if v.is_empty() {
                Err(error::validation(format!(
                    "setting {} is empty; give a value such as {:?}",
                    s.key, s.default
                )))
            } else {
                Ok(v)
            }
        };
        let order_status = match value(&ORDER_STATUS).trim().to_lowercase().as_str() {
            "open" => OrderStatus::Open,
            "pending" => OrderStatus::Pending,
            other => {
                return Err(error::validation(format!(
                    "setting {} must be Open or Pending, got {other:?}",
                    ORDER_STATUS.key
                )));
            }
        };
        let journal_date = match value(&JOURNAL_DATE).trim() {
            "" => None,
            d if crate::sheet::ymd(d).is_ok() => Some(d.to_owned()),
            d => {
                return Err(error::validation(format!(
                    "setting {} must be a date YYYY-MM-DD, got {d:?}",
                    JOURNAL_DATE.key
                )));
            }
        };
        let whole = |s: &SettingSpec, min: i64| -> Result<i64, ConnectorError> {
            match value(s).trim().parse::<i64>() {
                Ok(n) if n >= min && n <= 100_000 => Ok(n),
                _ => Err(error::validation(format!(
                    "setting {} must be a whole number of at least {min}, got {:?}",
                    s.key,
                    value(s)
                ))),
            }
        };
        Ok(Settings {
            migration_control: text(&MIGRATION_CONTROL)?,
            receivables: text(&RECEIVABLES)?,
            order_status,
            journal_date,
            export_window_seconds: whole(&EXPORT_WINDOW, 0)? * 60,
            customers_export: text(&CUSTOMERS_EXPORT)?,
            // `whole` bounds it to 1..=100_000, which fits any usize.
            page_size: usize::try_from(whole(&PAGE_SIZE, 1)?).unwrap_or(500),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ledgerlink_sdk::error::ConnectorErrorExt;

    fn lookup(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(p, _)| *p == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn defaults_and_overrides() {
        let s = Settings::from_lookup(lookup(&[])).unwrap();
        assert_eq!(s.migration_control, "Migration Control");
        assert_eq!(s.order_status, OrderStatus::Open);
        assert_eq!(s.export_window_seconds, 600);
        assert_eq!(s.journal_date, None);
        let s = Settings::from_lookup(lookup(&[
            ("order-status", "pending"),
            ("journal-date", "2026-11-30"),
        ]))
        .unwrap();
        assert_eq!(s.order_status, OrderStatus::Pending);
        assert_eq!(s.journal_date.as_deref(), Some("2026-11-30"));
    }

    #[test]
    fn bad_values_are_refused_by_key() {
        let e = Settings::from_lookup(lookup(&[("order-status", "Approved")])).unwrap_err();
        assert_eq!(
            e.message(),
            "setting order-status must be Open or Pending, got \"approved\""
        );
        let e = Settings::from_lookup(lookup(&[("journal-date", "30/11/2026")])).unwrap_err();
        assert_eq!(
            e.message(),
            "setting journal-date must be a date YYYY-MM-DD, got \"30/11/2026\""
        );
    }
}

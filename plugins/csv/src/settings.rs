//! The connection's settings: which files hold which records, and how big a page is.
//!
//! The keys and defaults are declared once here and used both by the manifest (so the admin
//! sees them) and by [`Settings::from_lookup`] (so an unset key means the same thing on both
//! sides). Parsing takes a lookup function instead of calling the `config` import, so it can be
//! tested natively; [`Settings::load`] is the one place that reaches the host.

use ledgerlink_sdk::config;
use ledgerlink_sdk::error;
use ledgerlink_sdk::types::{ConnectorError, InvoiceKind};

/// One setting the connector reads: key, what it means, and its default.
pub struct SettingSpec {
    /// Key passed to `config::get`.
    pub key: &'static str,
    /// What it means, for the admin.
    pub description: &'static str,
    /// Value used when the connection does not set it.
    pub default: &'static str,
}

/// File of customers, relative to the connection folder.
pub const CUSTOMERS_FILE: SettingSpec = SettingSpec {
    key: "customers-file",
    description: "CSV file of customers, relative to the connection folder.",
    default: "customers.csv",
};

/// File of job invoices.
pub const JOB_INVOICES_FILE: SettingSpec = SettingSpec {
    key: "job-invoices-file",
    description: "CSV file of job invoices (one row per invoice line), relative to the connection folder.",
    default: "job-invoices.csv",
};

/// File of contract (service) invoices.
pub const CONTRACT_INVOICES_FILE: SettingSpec = SettingSpec {
    key: "contract-invoices-file",
    description: "CSV file of contract invoices (one row per invoice line), relative to the connection folder.",
    default: "contract-invoices.csv",
};

/// File of orders (jobs not closed yet).
pub const ORDERS_FILE: SettingSpec = SettingSpec {
    key: "orders-file",
    description: "CSV file of orders — jobs not closed yet — (one row per order line), relative to the connection folder.",
    default: "orders.csv",
};

/// Records per page when pulling. Every page reads its whole file (an invoice page then
/// parses only its own invoices, see `invoices::scan`; a customer page parses the file), so
/// pages are as large as the host takes by default (`max-page-records`, 5,000).
pub const PAGE_SIZE: SettingSpec = SettingSpec {
    key: "page-size",
    description: "Records returned per page when pulling (a whole number, at least 1).",
    default: "5000",
};

/// Records the host sends per push call: the host's own setting, whose default this connector
/// declares. Every push call reads its whole file and writes it once (invoices: parsing only
/// the invoices the batch names, see `invoices::scan`; customers: the whole table), so the
/// fewer calls the better (the host allows at most 10,000).
pub const PUSH_BATCH: SettingSpec = SettingSpec {
    key: "push-batch-records",
    description: "Records the host sends per push call (at most 10000); each call rewrites the file once.",
    default: "10000",
};

/// Every setting, in the order the manifest lists them.
pub const ALL: [SettingSpec; 6] = [
    CUSTOMERS_FILE,
    JOB_INVOICES_FILE,
    CONTRACT_INVOICES_FILE,
    ORDERS_FILE,
    PAGE_SIZE,
    PUSH_BATCH,
];

/// The parsed settings of one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Path of the customers file.
    pub customers_file: String,
    /// Path of the job invoices file.
    pub job_invoices_file: String,
    /// Path of the contract invoices file.
    pub contract_invoices_file: String,
    /// Path of the orders file.
    pub orders_file: String,
    /// Records per pulled page; at least 1.
    pub page_size: usize,
}

impl Settings {
    /// Read the settings from the host's `config` import.
    pub fn load() -> Result<Self, ConnectorError> {
        Self::from_lookup(config::get)
    }

    /// Parse settings from `lookup` (key → value, `None` when unset); unset keys take their
    /// defaults.
    ///
    /// The files must differ: two kinds of record in one file would each overwrite
    /// the other on every push.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConnectorError> {
        let value =
            |spec: &SettingSpec| lookup(spec.key).unwrap_or_else(|| spec.default.to_owned());
        let file = |spec: &SettingSpec| {
            let path = value(spec);
            if path.trim().is_empty() {
                Err(error::validation(format!(
                    "setting {} is empty; give a file name such as {:?}",
                    spec.key, spec.default
                )))
            } else {
                Ok(path)
            }
        };

        let settings = Settings {
            customers_file: file(&CUSTOMERS_FILE)?,
            job_invoices_file: file(&JOB_INVOICES_FILE)?,
            contract_invoices_file: file(&CONTRACT_INVOICES_FILE)?,
            orders_file: file(&ORDERS_FILE)?,
            page_size: parse_page_size(&value(&PAGE_SIZE))?,
        };

        let files = [
            (CUSTOMERS_FILE.key, &settings.customers_file),
            (JOB_INVOICES_FILE.key, &settings.job_invoices_file),
            (CONTRACT_INVOICES_FILE.key, &settings.contract_invoices_file),
            (ORDERS_FILE.key, &settings.orders_file),
        ];
        for (i, (key_a, path_a)) in files.iter().enumerate() {
            if let Some((key_b, _)) = files[i + 1..].iter().find(|(_, path_b)| path_b == path_a) {
                return Err(error::validation(format!(
                    "settings {key_a} and {key_b} both name {path_a:?}; each kind of record needs its own file"
                )));
            }
        }
        Ok(settings)
    }
}

impl Settings {
    /// The file holding invoices of `kind`.
    pub fn invoices_file(&self, kind: InvoiceKind) -> &str {
        match kind {
            InvoiceKind::Job => &self.job_invoices_file,
            InvoiceKind::Contract => &self.contract_invoices_file,
            InvoiceKind::Order => &self.orders_file,
        }
    }
}

fn parse_page_size(value: &str) -> Result<usize, ConnectorError> {
    match value.parse::<usize>() {
        Ok(size) if size >= 1 => Ok(size),
        _ => Err(error::validation(format!(
            "setting {} must be a whole number of at least 1, got {value:?}",
            PAGE_SIZE.key
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledgerlink_sdk::error::ConnectorErrorExt;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    #[test]
    fn unset_keys_take_the_defaults() {
        let settings = Settings::from_lookup(lookup(&[])).expect("defaults are valid");
        assert_eq!(
            settings,
            Settings {
                customers_file: "customers.csv".into(),
                job_invoices_file: "job-invoices.csv".into(),
                contract_invoices_file: "contract-invoices.csv".into(),
                orders_file: "orders.csv".into(),
                page_size: 5000,
            }
        );
    }

    #[test]
    fn set_keys_override_the_defaults() {
        let settings = Settings::from_lookup(lookup(&[
            ("customers-file", "crm/people.csv"),
            ("page-size", "2"),
        ]))
        .expect("valid");
        assert_eq!(settings.customers_file, "crm/people.csv");
        assert_eq!(settings.job_invoices_file, "job-invoices.csv");
        assert_eq!(settings.page_size, 2);
    }

    #[test]
    fn a_page_size_that_is_not_a_positive_whole_number_is_refused() {
        for bad in ["0", "-1", "ten", "", "2.5"] {
            let e = Settings::from_lookup(lookup(&[("page-size", bad)])).expect_err(bad);
            assert_eq!(
                e.message(),
                format!("setting page-size must be a whole number of at least 1, got {bad:?}")
            );
        }
    }

    #[test]
    fn two_kinds_of_record_in_one_file_are_refused() {
        let e = Settings::from_lookup(lookup(&[("contract-invoices-file", "job-invoices.csv")]))
            .expect_err("same file twice");
        assert_eq!(
            e.message(),
            "settings job-invoices-file and contract-invoices-file both name \"job-invoices.csv\"; \
             each kind of record needs its own file"
        );
    }

    #[test]
    fn an_empty_file_name_is_refused() {
        let e = Settings::from_lookup(lookup(&[("customers-file", " ")])).expect_err("empty");
        assert_eq!(
            e.message(),
            "setting customers-file is empty; give a file name such as \"customers.csv\""
        );
    }
}

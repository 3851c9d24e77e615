//! Connection settings the host itself reads (as opposed to the connector's own, which its
//! manifest declares): how strictly customers are matched and how large a pull may be.
//! `connections add --set` and `connections set` accept these for every connector and
//! check their values.

/// `(key, what it does)` of every host-owned connection setting.
pub const HOST_SETTINGS: &[(&str, &str)] = &[
    (
        "customer-matching",
        "name (default) or name+email: what links a Tracker Pro customer to a target customer",
    ),
    (
        "max-page-records",
        "records one page of a pull may hold (default 5000)",
    ),
    ("max-pull-pages", "pages one pull may take (default 1000)"),
    (
        crate::files::QUOTA_SETTING,
        "disk quota of the connection's folder in MiB (default 1024)",
    ),
    (
        "run-budget-seconds",
        "the longest one run (or compare) may take, in seconds (default 21600, six hours)",
    ),
];

/// Whether `key` is a host-owned setting.
pub fn is_host_setting(key: &str) -> bool {
    HOST_SETTINGS.iter().any(|(k, _)| *k == key)
}

/// Check the value of a host-owned setting; other keys pass.
pub fn check(key: &str, value: &str) -> Result<(), String> {
    match key {
        "customer-matching" => super::matching::MatchRule::from_setting(Some(value)).map(|_| ()),
        "max-page-records" | "max-pull-pages" => {
            let one = std::collections::BTreeMap::from([(key.to_owned(), value.to_owned())]);
            super::paging::PullLimits::from_settings(&one).map(|_| ())
        }
        k if k == crate::files::QUOTA_SETTING => {
            if value.is_empty() {
                Ok(())
            } else {
                crate::files::quota_from_setting(Some(value)).map(|_| ())
            }
        }
        "run-budget-seconds" => {
            let one = std::collections::BTreeMap::from([(key.to_owned(), value.to_owned())]);
            super::run_budget::from_settings(&one).map(|_| ())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_settings_are_known_and_checked() {
        assert!(is_host_setting("max-pull-pages"));
        assert!(!is_host_setting("behaviour"));
        assert_eq!(check("max-pull-pages", "50"), Ok(()));
        assert_eq!(
            check("max-page-records", "0"),
            Err("the setting max-page-records is \"0\"; use a whole number above 0".to_owned())
        );
    }
}

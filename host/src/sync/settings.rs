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
        "push-batch-records",
        "records one push call carries (default 300; at most 10000); a connector may declare a larger default",
    ),
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
        "push-batch-records" => {
            let one = std::collections::BTreeMap::from([(key.to_owned(), value.to_owned())]);
            push_batch(&one).map(|_| ())
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

/// The most records one push call may carry, whatever a connection or connector asks for.
pub const MAX_PUSH_BATCH: usize = 10_000;

/// Records per push call (`push-batch-records`): the outbox's [`super::outbox::BATCH`] unless
/// the connection (or the connector's manifest default) asks for another size, from 1 to
/// [`MAX_PUSH_BATCH`]; anything else is refused, naming the setting.
pub fn push_batch(settings: &std::collections::BTreeMap<String, String>) -> Result<usize, String> {
    match settings.get("push-batch-records").map(|v| v.trim()) {
        None | Some("") => Ok(super::outbox::BATCH),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=MAX_PUSH_BATCH).contains(&n) => Ok(n),
            _ => Err(format!(
                "the setting push-batch-records is {v:?}; use a whole number from 1 to {MAX_PUSH_BATCH}"
            )),
        },
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
        assert_eq!(check("push-batch-records", "5000"), Ok(()));
        assert_eq!(
            check("push-batch-records", "20000"),
            Err(
                "the setting push-batch-records is \"20000\"; use a whole number from 1 to 10000"
                    .to_owned()
            )
        );
    }
}

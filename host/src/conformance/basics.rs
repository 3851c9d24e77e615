//! `manifest.valid` and `check.ok`.

use super::report::Verdict;
use super::suite::{Checked, Suite, verdict};

pub(super) async fn run(s: &mut Suite<'_>, connector: &str) {
    let checked = manifest(s, connector);
    s.record("manifest.valid", checked);
    let checked = check(s).await;
    s.record("check.ok", checked);
}

/// The runtime validated the manifest when it loaded the plugin (name, semver, capabilities,
/// auth, allowed hosts, settings); on top, what the suite relies on.
fn manifest(s: &Suite<'_>, connector: &str) -> Checked {
    let m = s.plugin.manifest();
    let mut failures = Vec::new();
    if m.name != connector {
        failures.push(format!(
            "the manifest names connector {}, the connection runs {connector}",
            m.name
        ));
    }
    if m.capabilities.is_empty() {
        failures.push("the manifest lists no capability".to_owned());
    }
    let writes = [
        "push-customers",
        "push-job-invoices",
        "push-contract-invoices",
        "push-orders",
    ];
    if s.can("delete") && !writes.iter().any(|c| s.can(c)) {
        failures.push("the manifest lists delete but nothing that creates a record".to_owned());
    }
    if s.can("get-invoices") && !writes[1..].iter().any(|c| s.can(c)) && !s.can("pull-invoices") {
        failures.push("the manifest lists get-invoices but no invoice operation".to_owned());
    }
    let mut seen = std::collections::HashSet::new();
    for c in &m.capabilities {
        if !seen.insert(c) {
            failures.push(format!("the manifest lists {c} twice"));
        }
    }
    verdict(failures)
}

/// `check` answers with a message.
async fn check(s: &Suite<'_>) -> Checked {
    match s.plugin.check(s.ctx).await.map_err(|e| e.to_string())? {
        Ok(report) if !report.message.trim().is_empty() => Ok(Verdict::Pass),
        Ok(_) => Err("check answered with an empty message".into()),
        Err(e) => Err(format!("check failed: {}", e.describe())),
    }
}

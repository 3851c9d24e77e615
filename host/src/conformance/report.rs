//! What a conformance run found: one verdict per named check, and what it could not clean up.

use serde::Serialize;

/// The verdict of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "status", content = "reason")]
pub enum Verdict {
    /// The connector did what the contract asks.
    Pass,
    /// It did not; the reason says what was expected and what came back.
    Fail(String),
    /// The check does not apply: the manifest does not list the capability it needs, or the
    /// target has no such rule or state (the reason says which).
    NotApplicable(String),
}

impl Verdict {
    /// "pass", "fail" or "not applicable".
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail(_) => "fail",
            Verdict::NotApplicable(_) => "not applicable",
        }
    }

    /// The reason, for a failure or a check that does not apply.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Verdict::Pass => None,
            Verdict::Fail(r) | Verdict::NotApplicable(r) => Some(r),
        }
    }

    /// Whether this is a failure.
    pub fn failed(&self) -> bool {
        matches!(self, Verdict::Fail(_))
    }
}

/// One check and its verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// The check's stable name, e.g. `customers.stale-update`.
    pub name: String,
    /// What it found.
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Report {
    /// The connector's manifest name and version.
    pub connector: String,
    /// Its version.
    pub version: String,
    /// The connection it ran against.
    pub connection: String,
    /// The tag in every record the run created (names, numbers), to find leftovers by.
    pub tag: String,
    /// Every check, in the order it ran.
    pub checks: Vec<CheckResult>,
    /// Records the run created and could not remove (the connector lists no `delete`, or
    /// refused it), each with why.
    pub leftovers: Vec<String>,
}

impl Report {
    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(|c| c.verdict.failed())
    }

    /// Whether every applicable check passed.
    pub fn passed(&self) -> bool {
        self.failures().next().is_none()
    }

    /// The verdict of check `name`, when it ran.
    pub fn verdict(&self, name: &str) -> Option<&Verdict> {
        self.checks
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.verdict)
    }

    /// (passed, failed, not applicable).
    pub fn counts(&self) -> (usize, usize, usize) {
        self.checks
            .iter()
            .fold((0, 0, 0), |(p, f, n), c| match c.verdict {
                Verdict::Pass => (p + 1, f, n),
                Verdict::Fail(_) => (p, f + 1, n),
                Verdict::NotApplicable(_) => (p, f, n + 1),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verdict_serializes_as_status_and_reason() {
        let check = CheckResult {
            name: "customers.stale-update".into(),
            verdict: Verdict::Fail("applied".into()),
        };
        assert_eq!(
            serde_json::to_value(&check).ok(),
            Some(serde_json::json!({
                "name": "customers.stale-update", "status": "fail", "reason": "applied"
            }))
        );
        let pass = CheckResult {
            name: "check.ok".into(),
            verdict: Verdict::Pass,
        };
        assert_eq!(
            serde_json::to_value(&pass).ok(),
            Some(serde_json::json!({"name": "check.ok", "status": "pass"}))
        );
    }
}

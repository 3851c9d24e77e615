//! Customer matching: which target customer, if any, a home customer is — decided locally
//! from one read of the target's customers, by rules an accountant can predict.
//!
//! - A customer already in the id map is that customer.
//! - Otherwise a **name** match decides, compared as the accounting systems compare names
//!   when they refuse a duplicate (Xero's contact names, QuickBooks' DisplayName): without
//!   surrounding spaces and without case. One active namesake is linked (with the strict
//!   rule, only when both have the same e-mail too).
//! - An **e-mail or tax number alone never links**: it raises a review item ("link,
//!   create, or skip?") that the admin resolves with `ledgerlink reviews resolve`.
//! - A target customer already linked to another home customer is never linked again: that
//!   is a conflict naming both.
//! - No resemblance at all: the customer is created.

use std::collections::HashMap;

use crate::store::directory::{Decision, TargetCustomer};

/// How strict matching is (connection setting `customer-matching`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatchRule {
    /// A name match links (the default).
    #[default]
    Name,
    /// A name match links only when the e-mails agree too; otherwise it is a review item.
    NameAndEmail,
}

impl MatchRule {
    /// Read the `customer-matching` setting: `name` (default) or `name+email`.
    pub fn from_setting(value: Option<&str>) -> Result<Self, String> {
        match value.map(str::trim) {
            None | Some("") | Some("name") => Ok(Self::Name),
            Some("name+email") => Ok(Self::NameAndEmail),
            Some(other) => Err(format!(
                "the setting customer-matching is {other:?}; use \"name\" or \"name+email\""
            )),
        }
    }
}

/// A home customer to match: its key, name, e-mail and tax number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeCustomerRef<'a> {
    /// Home key.
    pub key: &'a str,
    /// Name.
    pub name: &'a str,
    /// E-mail.
    pub email: Option<&'a str>,
    /// Tax number.
    pub tax_number: Option<&'a str>,
}

/// What to do about one home customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Already linked (id map): use this id.
    Linked(String),
    /// Link to this target customer now (a name match, or the admin's decision).
    Link(String),
    /// Create it in the target.
    Create,
    /// A person must decide; nothing is sent for it until then.
    Review {
        /// The look-alikes.
        candidates: Vec<TargetCustomer>,
        /// Why, in a sentence.
        reason: String,
    },
    /// It cannot be linked or created as it stands.
    Conflict(String),
    /// The admin decided to leave it out.
    Skip,
}

/// The form under which the target compares names for uniqueness.
pub fn name_identity(name: &str) -> String {
    name.trim().to_lowercase()
}

fn email_identity(email: &str) -> Option<String> {
    let e = email.trim().to_lowercase();
    (!e.is_empty()).then_some(e)
}

fn tax_identity(tax: &str) -> Option<String> {
    let t: String = tax
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect();
    (!t.is_empty()).then_some(t)
}

/// The target's customers indexed for matching, with who each is linked to.
#[derive(Debug, Default)]
pub struct Directory {
    customers: Vec<TargetCustomer>,
    by_name: HashMap<String, Vec<usize>>,
    by_email: HashMap<String, Vec<usize>>,
    by_tax: HashMap<String, Vec<usize>>,
    /// remote id → home key of the customer linked to it.
    linked: HashMap<String, String>,
    /// home key → remote id.
    links: HashMap<String, String>,
}

impl Directory {
    /// Index `customers`; `links` are the id map's (home key, remote id).
    pub fn new(customers: Vec<TargetCustomer>, links: Vec<(String, String)>) -> Self {
        let mut d = Directory::default();
        for (home, remote) in links {
            d.links.insert(home.clone(), remote.clone());
            d.linked.insert(remote, home);
        }
        for c in customers {
            d.add(c);
        }
        d
    }

    /// Add (or replace) a target customer, e.g. one just created.
    pub fn add(&mut self, c: TargetCustomer) {
        if let Some(i) = self
            .customers
            .iter()
            .position(|x| x.remote_id == c.remote_id)
        {
            // Replaced: drop the old index entries by rebuilding (rare: a delta re-read).
            self.customers[i] = c;
            let all = std::mem::take(&mut self.customers);
            self.by_name.clear();
            self.by_email.clear();
            self.by_tax.clear();
            for c in all {
                self.add(c);
            }
            return;
        }
        let i = self.customers.len();
        self.by_name
            .entry(name_identity(&c.name))
            .or_default()
            .push(i);
        if let Some(e) = c.email.as_deref().and_then(email_identity) {
            self.by_email.entry(e).or_default().push(i);
        }
        if let Some(t) = c.tax_number.as_deref().and_then(tax_identity) {
            self.by_tax.entry(t).or_default().push(i);
        }
        self.customers.push(c);
    }

    /// Record a link made during this run.
    pub fn link(&mut self, home_key: &str, remote_id: &str) {
        self.links.insert(home_key.to_owned(), remote_id.to_owned());
        self.linked
            .insert(remote_id.to_owned(), home_key.to_owned());
    }

    /// The target customer with `remote_id`.
    pub fn get(&self, remote_id: &str) -> Option<&TargetCustomer> {
        self.customers.iter().find(|c| c.remote_id == remote_id)
    }

    fn linked_elsewhere(&self, remote_id: &str, home_key: &str) -> Option<&String> {
        self.linked.get(remote_id).filter(|k| *k != home_key)
    }

    /// Decide what to do about `home`, given the admin's earlier decision on its review.
    pub fn resolve(
        &self,
        home: &HomeCustomerRef<'_>,
        rule: MatchRule,
        decision: Option<&Decision>,
        target: &str,
    ) -> Resolution {
        if let Some(id) = self.links.get(home.key) {
            return Resolution::Linked(id.clone());
        }
        match decision {
            Some(Decision::Skip) => return Resolution::Skip,
            Some(Decision::Create) => return Resolution::Create,
            Some(Decision::Link(id)) => {
                return match self.linked_elsewhere(id, home.key) {
                    Some(k) => Resolution::Conflict(format!(
                        "{target} customer {id} chosen for {:?} is already linked to Tracker Pro customer {k}; choose another with `ledgerlink reviews resolve`",
                        home.name
                    )),
                    None => Resolution::Link(id.clone()),
                };
            }
            None => {}
        }
        let pick = |ix: Option<&Vec<usize>>| -> Vec<&TargetCustomer> {
            ix.map(|v| v.iter().map(|&i| &self.customers[i]).collect())
                .unwrap_or_default()
        };
        let namesakes = pick(self.by_name.get(&name_identity(home.name)));
        let active: Vec<&TargetCustomer> = namesakes.iter().copied().filter(|c| c.active).collect();
        let home_email = home.email.and_then(email_identity);
        match active.as_slice() {
            [one] => {
                if let Some(k) = self.linked_elsewhere(&one.remote_id, home.key) {
                    return Resolution::Conflict(format!(
                        "{:?} has the name of {target} customer {:?} ({}), which is already linked to Tracker Pro customer {k}; two Tracker Pro customers cannot share one {target} customer — rename one of them or merge them in Tracker Pro",
                        home.name, one.name, one.remote_id
                    ));
                }
                let their_email = one.email.as_deref().and_then(email_identity);
                if rule == MatchRule::NameAndEmail
                    && (home_email.is_none() || home_email != their_email)
                {
                    return Resolution::Review {
                        candidates: vec![(*one).clone()],
                        reason: format!(
                            "{:?} has the name of {target} customer {:?} ({}) but {}, and this connection links by name and e-mail: link, create, or skip?",
                            home.name,
                            one.name,
                            one.remote_id,
                            match (&home_email, &their_email) {
                                (None, _) => "no e-mail in Tracker Pro to confirm it".to_owned(),
                                (_, None) => format!("no e-mail in {target} to confirm it"),
                                (Some(a), Some(b)) =>
                                    format!("a different e-mail ({a} here, {b} there)"),
                            }
                        ),
                    };
                }
                return Resolution::Link(one.remote_id.clone());
            }
            [] => {}
            many => {
                return Resolution::Review {
                    candidates: many.iter().map(|c| (*c).clone()).collect(),
                    reason: format!(
                        "{:?} has the name of {} {target} customers ({}): link one, create, or skip?",
                        home.name,
                        many.len(),
                        many.iter()
                            .map(|c| c.remote_id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
            }
        }
        if let Some(archived) = namesakes.first() {
            return Resolution::Review {
                candidates: namesakes.iter().map(|c| (*c).clone()).collect(),
                reason: format!(
                    "{:?} has the name of archived {target} customer {:?} ({}): link (it stays archived there), create a new one, or skip?",
                    home.name, archived.name, archived.remote_id
                ),
            };
        }
        // No name match: an e-mail or tax number never links on its own.
        let by = |what: &str, ix: Option<&Vec<usize>>| -> Option<Resolution> {
            let free: Vec<TargetCustomer> = pick(ix)
                .into_iter()
                .filter(|c| self.linked_elsewhere(&c.remote_id, home.key).is_none())
                .cloned()
                .collect();
            let first = free.first()?;
            Some(Resolution::Review {
                reason: format!(
                    "{:?} has the {what} of {target} customer {:?} ({}){}: link, create, or skip?",
                    home.name,
                    first.name,
                    first.remote_id,
                    if free.len() > 1 {
                        format!(" and {} more", free.len() - 1)
                    } else {
                        String::new()
                    }
                ),
                candidates: free,
            })
        };
        if let Some(r) = home_email
            .as_ref()
            .and_then(|e| by("e-mail", self.by_email.get(e)))
        {
            return r;
        }
        if let Some(r) = home
            .tax_number
            .and_then(tax_identity)
            .and_then(|t| by("tax number", self.by_tax.get(&t)))
        {
            return r;
        }
        Resolution::Create
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn target(id: &str, name: &str, email: Option<&str>, active: bool) -> TargetCustomer {
        TargetCustomer {
            remote_id: id.into(),
            name: name.into(),
            email: email.map(Into::into),
            tax_number: None,
            active,
        }
    }

    fn home<'a>(key: &'a str, name: &'a str, email: Option<&'a str>) -> HomeCustomerRef<'a> {
        HomeCustomerRef {
            key,
            name,
            email,
            tax_number: None,
        }
    }

    fn dir() -> Directory {
        Directory::new(
            vec![
                target(
                    "X1",
                    "Someone Else Entirely Ltd",
                    Some("shared@example.com"),
                    true,
                ),
                target(
                    "X2",
                    "Harbour Plumbing Ltd",
                    Some("ap@harbour.example"),
                    true,
                ),
                target("X3", "Linked Already Ltd", None, true),
                target("X4", "Old Name Ltd", None, false),
            ],
            vec![("H3".into(), "X3".into())],
        )
    }

    #[test]
    fn a_name_match_links_under_the_vendors_rule() {
        let r = dir().resolve(
            &home("H2", "  harbour PLUMBING ltd ", None),
            MatchRule::Name,
            None,
            "Xero",
        );
        assert_eq!(r, Resolution::Link("X2".into()));
    }

    #[test]
    fn an_email_alone_never_links() {
        let r = dir().resolve(
            &home("H9", "Brand New Customer Ltd", Some("Shared@Example.com")),
            MatchRule::Name,
            None,
            "Xero",
        );
        match r {
            Resolution::Review { candidates, reason } => {
                assert_eq!(candidates[0].remote_id, "X1");
                assert_eq!(
                    reason,
                    "\"Brand New Customer Ltd\" has the e-mail of Xero customer \"Someone Else Entirely Ltd\" (X1): link, create, or skip?"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_customer_linked_to_another_is_a_conflict_naming_both() {
        let r = dir().resolve(
            &home("H8", "LINKED already ltd", None),
            MatchRule::Name,
            None,
            "Xero",
        );
        assert_eq!(
            r,
            Resolution::Conflict(
                "\"LINKED already ltd\" has the name of Xero customer \"Linked Already Ltd\" (X3), which is already linked to Tracker Pro customer H3; two Tracker Pro customers cannot share one Xero customer — rename one of them or merge them in Tracker Pro".into()
            )
        );
    }

    #[test]
    fn the_strict_rule_wants_the_email_too() {
        let d = dir();
        let r = d.resolve(
            &home("H2", "Harbour Plumbing Ltd", None),
            MatchRule::NameAndEmail,
            None,
            "Xero",
        );
        assert!(matches!(r, Resolution::Review { .. }), "{r:?}");
        let r = d.resolve(
            &home("H2", "Harbour Plumbing Ltd", Some("AP@harbour.example")),
            MatchRule::NameAndEmail,
            None,
            "Xero",
        );
        assert_eq!(r, Resolution::Link("X2".into()));
    }

    #[test]
    fn archived_namesakes_are_reviewed_and_strangers_created() {
        let d = dir();
        assert!(matches!(
            d.resolve(
                &home("H4", "old name ltd", None),
                MatchRule::Name,
                None,
                "Xero"
            ),
            Resolution::Review { .. }
        ));
        assert_eq!(
            d.resolve(
                &home("H5", "Nobody Like It", Some("n@x.example")),
                MatchRule::Name,
                None,
                "Xero"
            ),
            Resolution::Create
        );
    }

    #[test]
    fn decisions_are_honoured_but_never_relink() {
        let d = dir();
        let h = home("H9", "Brand New Customer Ltd", Some("shared@example.com"));
        assert_eq!(
            d.resolve(&h, MatchRule::Name, Some(&Decision::Create), "Xero"),
            Resolution::Create
        );
        assert_eq!(
            d.resolve(&h, MatchRule::Name, Some(&Decision::Skip), "Xero"),
            Resolution::Skip
        );
        assert_eq!(
            d.resolve(
                &h,
                MatchRule::Name,
                Some(&Decision::Link("X1".into())),
                "Xero"
            ),
            Resolution::Link("X1".into())
        );
        assert!(matches!(
            d.resolve(
                &h,
                MatchRule::Name,
                Some(&Decision::Link("X3".into())),
                "Xero"
            ),
            Resolution::Conflict(_)
        ));
    }

    #[test]
    fn the_setting_is_strict_about_its_values() {
        assert_eq!(MatchRule::from_setting(None), Ok(MatchRule::Name));
        assert_eq!(
            MatchRule::from_setting(Some("name+email")),
            Ok(MatchRule::NameAndEmail)
        );
        assert_eq!(
            MatchRule::from_setting(Some("fuzzy")).unwrap_err(),
            "the setting customer-matching is \"fuzzy\"; use \"name\" or \"name+email\""
        );
    }
}

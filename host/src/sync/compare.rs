//! Compare: what a transfer would do to each record, before it does anything.
//!
//! Each record is classified as the Tracker Pro screens show it:
//! - **Add**: not in the target yet (or it was deleted there since the last sync);
//! - **Update**: changed on the sending side since the last sync, or an unlinked record that
//!   matches exactly one record on the other side (it will be linked, then updated);
//! - **Unchanged**: nothing to send;
//! - **Conflict**: changed on both sides since the last sync, or it matches several
//!   records on the other side. Conflicts are never applied by `--all`; a person decides.
//!
//! "Changed since the last sync" compares content fingerprints with those the id map
//! recorded when the record was last synced.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::diff::{self, FieldDiff};
use crate::model::Customer;
use crate::model::fingerprint;

/// Which way a transfer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// Tracker Pro → target.
    Push,
    /// Target → Tracker Pro.
    Pull,
}

/// What a transfer would do to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Create it on the receiving side.
    Add,
    /// Change it on the receiving side.
    Update,
    /// Nothing to do.
    Unchanged,
    /// A person must decide.
    Conflict,
}

/// One id-map entry: a home record linked to a remote one, and the fingerprints of both
/// sides when they were last in step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Home (Tracker Pro) key.
    pub home_key: String,
    /// Id in the target.
    pub remote_id: String,
    /// Fingerprint of the home record at the last sync.
    pub home_fingerprint: String,
    /// Fingerprint of the remote record at the last sync.
    pub remote_fingerprint: String,
}

/// One row of a compare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// Home key, when the record exists at home.
    pub home_key: Option<String>,
    /// Remote id, when it exists in the target.
    pub remote_id: Option<String>,
    /// Display name.
    pub name: String,
    /// The classification.
    pub action: Action,
    /// Why, in a sentence.
    pub reason: String,
    /// Field differences (Update and Conflict).
    pub diffs: Vec<FieldDiff>,
}

/// The three identities matching compares (`same_identity`), as index keys: the name (trimmed, any
/// ASCII case), the e-mail (trimmed, lower case) and the tax number (without spaces and
/// dashes).
fn name_key(c: &Customer) -> String {
    c.name.trim().to_ascii_lowercase()
}
fn email_key(email: &str) -> String {
    email.trim().to_ascii_lowercase()
}
fn tax_key(tax: &str) -> String {
    tax.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

/// Whether `a` (the sending side) and `b` are the same customer: the same name, or the same
/// e-mail or tax number given on `a`. The rule [`Unlinked::matches`] answers from indexes
/// (kept as the reference its test checks the indexes against).
#[cfg(test)]
fn same_identity(a: &Customer, b: &Customer) -> bool {
    let eq = |x: &Option<String>, y: &Option<String>, norm: fn(&str) -> String| match (x, y) {
        (Some(x), Some(y)) => !x.trim().is_empty() && norm(x) == norm(y),
        _ => false,
    };
    name_key(a) == name_key(b)
        || eq(&a.email, &b.email, email_key)
        || eq(&a.tax_number, &b.tax_number, tax_key)
}

/// The receiving side's records not linked to anything, indexed by each identity (their
/// positions, in order), so matching a sending record costs three lookups, not a scan.
#[derive(Default)]
struct Unlinked {
    by_name: HashMap<String, Vec<usize>>,
    by_email: HashMap<String, Vec<usize>>,
    by_tax: HashMap<String, Vec<usize>>,
}

impl Unlinked {
    fn new<'a>(records: impl Iterator<Item = (usize, &'a Customer)>) -> Self {
        let mut index = Unlinked::default();
        for (i, c) in records {
            index.by_name.entry(name_key(c)).or_default().push(i);
            if let Some(e) = &c.email {
                index.by_email.entry(email_key(e)).or_default().push(i);
            }
            if let Some(t) = &c.tax_number {
                index.by_tax.entry(tax_key(t)).or_default().push(i);
            }
        }
        index
    }

    /// Positions of the records `same_identity` matches with `record`, in order.
    fn matches(&self, record: &Customer) -> Vec<usize> {
        fn given(v: &Option<String>) -> Option<&str> {
            v.as_deref().filter(|s| !s.trim().is_empty())
        }
        let mut found: Vec<usize> = Vec::new();
        let mut add = |hits: Option<&Vec<usize>>| found.extend(hits.into_iter().flatten());
        add(self.by_name.get(&name_key(record)));
        if let Some(e) = given(&record.email) {
            add(self.by_email.get(&email_key(e)));
        }
        if let Some(t) = given(&record.tax_number) {
            add(self.by_tax.get(&tax_key(t)));
        }
        found.sort_unstable();
        found.dedup();
        found
    }
}

/// Compare customers. `home` are the eligible home customers (key = home key), `remote`
/// everything pulled from the target (remote_id set), `links` the id map for this
/// connection.
///
/// Linear in the records: links, partners and match candidates are looked up in indexes
/// built once (the first of several entries wins, as a scan in order would find it).
pub fn customers(
    home: &[Customer],
    remote: &[Customer],
    links: &[Link],
    direction: Direction,
) -> Vec<Item> {
    let (from, to): (&[Customer], &[Customer]) = match direction {
        Direction::Push => (home, remote),
        Direction::Pull => (remote, home),
    };
    let mut by_home_key: HashMap<&str, &Link> = HashMap::with_capacity(links.len());
    let mut by_remote_id: HashMap<&str, &Link> = HashMap::with_capacity(links.len());
    for l in links {
        by_home_key.entry(l.home_key.as_str()).or_insert(l);
        by_remote_id.entry(l.remote_id.as_str()).or_insert(l);
    }
    fn home_key_of(c: &Customer) -> Option<&str> {
        Some(c.key.as_str())
    }
    fn remote_id_of(c: &Customer) -> Option<&str> {
        c.remote_id.as_deref()
    }
    // The sending side's link is by its own key; the receiving side's by the other.
    let link_of = |c: &Customer, sending: bool| -> Option<&Link> {
        match (direction, sending) {
            (Direction::Push, true) | (Direction::Pull, false) => {
                home_key_of(c).and_then(|k| by_home_key.get(k).copied())
            }
            _ => remote_id_of(c).and_then(|k| by_remote_id.get(k).copied()),
        }
    };
    let mut receiving: HashMap<&str, &Customer> = HashMap::with_capacity(to.len());
    for c in to {
        let id = match direction {
            Direction::Push => remote_id_of(c),
            Direction::Pull => home_key_of(c),
        };
        if let Some(id) = id {
            receiving.entry(id).or_insert(c);
        }
    }
    let partner_of = |l: &Link| {
        let id = match direction {
            Direction::Push => l.remote_id.as_str(),
            Direction::Pull => l.home_key.as_str(),
        };
        receiving.get(id).copied()
    };
    let unlinked = Unlinked::new(
        to.iter()
            .enumerate()
            .filter(|(_, o)| link_of(o, false).is_none()),
    );

    let mut items = Vec::new();
    for record in from {
        let (home_key, remote_id) = match direction {
            Direction::Push => (Some(record.key.clone()), None),
            Direction::Pull => (None, record.remote_id.clone()),
        };
        let mut item = Item {
            home_key,
            remote_id,
            name: record.name.clone(),
            action: Action::Add,
            reason: String::new(),
            diffs: Vec::new(),
        };
        // (home record, remote record) of a pair, whichever side is sending.
        let home_side = |s: &Customer, o: &Customer| match direction {
            Direction::Push => (s.clone(), o.clone()),
            Direction::Pull => (o.clone(), s.clone()),
        };
        if let Some(link) = link_of(record, true) {
            item.home_key = Some(link.home_key.clone());
            item.remote_id = Some(link.remote_id.clone());
            match partner_of(link) {
                None => {
                    item.action = Action::Add;
                    item.reason = match direction {
                        Direction::Push => {
                            "linked, but no longer in the target; it will be created again"
                                .to_owned()
                        }
                        Direction::Pull => {
                            "linked, but no longer in Tracker Pro; it will be created again"
                                .to_owned()
                        }
                    };
                }
                Some(partner) => {
                    let (h, r) = home_side(record, partner);
                    let home_changed = fingerprint::customer(&h) != link.home_fingerprint;
                    let remote_changed = fingerprint::customer(&r) != link.remote_fingerprint;
                    let (sender_changed, receiver_changed) = match direction {
                        Direction::Push => (home_changed, remote_changed),
                        Direction::Pull => (remote_changed, home_changed),
                    };
                    item.diffs = diff::customers(&h, &r);
                    (item.action, item.reason) = match (sender_changed, receiver_changed) {
                        (true, true) => (Action::Conflict, "changed in Tracker Pro and in the target since the last sync".to_owned()),
                        (true, false) => (Action::Update, "changed since the last sync".to_owned()),
                        (false, true) => (Action::Unchanged, "changed only on the receiving side since the last sync; transfer the other way to bring it over".to_owned()),
                        (false, false) => (Action::Unchanged, "unchanged since the last sync".to_owned()),
                    };
                    if item.action == Action::Unchanged && !receiver_changed {
                        item.diffs.clear();
                    }
                }
            }
        } else {
            // Not linked yet: look for the same customer on the other side, among the
            // records that are not linked to something else.
            let candidates: Vec<&Customer> = unlinked
                .matches(record)
                .into_iter()
                .map(|i| &to[i])
                .collect();
            match candidates.as_slice() {
                [] => {
                    item.action = Action::Add;
                    item.reason = "not in the receiving side yet".to_owned();
                }
                [one] => {
                    let (h, r) = home_side(record, one);
                    item.home_key = Some(h.key.clone());
                    item.remote_id = r.remote_id.clone();
                    item.diffs = diff::customers(&h, &r);
                    if item.diffs.is_empty() {
                        item.action = Action::Unchanged;
                        item.reason = "matches an existing record; it will be linked".to_owned();
                    } else {
                        item.action = Action::Update;
                        item.reason = "matches an existing record by name, e-mail or tax number; it will be linked and updated".to_owned();
                    }
                }
                many => {
                    item.action = Action::Conflict;
                    let ids: Vec<String> = many
                        .iter()
                        .map(|c| match direction {
                            Direction::Push => c.remote_id.clone().unwrap_or_default(),
                            Direction::Pull => c.key.clone(),
                        })
                        .collect();
                    item.reason = format!(
                        "matches {} records on the receiving side ({}); choose one by hand",
                        many.len(),
                        ids.join(", ")
                    );
                }
            }
        }
        items.push(item);
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fingerprint::tests::customer_named;

    fn home(key: &str, name: &str) -> Customer {
        Customer {
            key: key.into(),
            ..customer_named(name)
        }
    }

    fn remote(id: &str, name: &str) -> Customer {
        Customer {
            key: String::new(),
            remote_id: Some(id.into()),
            ..customer_named(name)
        }
    }

    fn link(h: &Customer, r: &Customer) -> Link {
        Link {
            home_key: h.key.clone(),
            remote_id: r.remote_id.clone().unwrap_or_default(),
            home_fingerprint: fingerprint::customer(h),
            remote_fingerprint: fingerprint::customer(r),
        }
    }

    #[test]
    fn push_classifies_add_update_unchanged_and_conflict() {
        let h_new = home("TP-1", "New Co");
        let h_same = home("TP-2", "Same Co");
        let r_same = remote("C-2", "Same Co");
        let mut h_changed = home("TP-3", "Changed Co");
        let r_changed = remote("C-3", "Changed Co");
        let mut h_both = home("TP-4", "Both Co");
        let mut r_both = remote("C-4", "Both Co");
        let links = vec![
            link(&h_same, &r_same),
            link(&h_changed, &r_changed),
            link(&h_both, &r_both),
        ];
        h_changed.email = Some("new@changed.example".into());
        h_both.phone = Some("1".into());
        r_both.phone = Some("2".into());

        let items = customers(
            &[h_new, h_same, h_changed, h_both],
            &[r_same, r_changed, r_both],
            &links,
            Direction::Push,
        );
        let actions: Vec<_> = items
            .iter()
            .map(|i| (i.home_key.clone().unwrap_or_default(), i.action))
            .collect();
        assert_eq!(
            actions,
            [
                ("TP-1".to_owned(), Action::Add),
                ("TP-2".to_owned(), Action::Unchanged),
                ("TP-3".to_owned(), Action::Update),
                ("TP-4".to_owned(), Action::Conflict),
            ]
        );
        assert_eq!(
            items[2].diffs,
            vec![FieldDiff {
                field: "email".into(),
                home: Some("new@changed.example".into()),
                remote: Some("a@b.example".into())
            }]
        );
        assert_eq!(
            items[3].diffs,
            vec![FieldDiff {
                field: "phone".into(),
                home: Some("1".into()),
                remote: Some("2".into())
            }]
        );
        assert_eq!(
            items[3].reason,
            "changed in Tracker Pro and in the target since the last sync"
        );
    }

    #[test]
    fn unlinked_records_link_to_one_match_and_never_guess_between_several() {
        let h = home("TP-9", "Harbour Plumbing");
        let mut r = remote("C-9", "HARBOUR PLUMBING");
        r.email = Some("ap@harbour.example".into());
        let items = customers(std::slice::from_ref(&h), &[r.clone()], &[], Direction::Push);
        assert_eq!(items[0].action, Action::Update);
        assert_eq!(items[0].remote_id.as_deref(), Some("C-9"));

        let twin = remote("C-10", "Harbour Plumbing");
        let items = customers(&[h], &[r, twin], &[], Direction::Push);
        assert_eq!(items[0].action, Action::Conflict);
        assert_eq!(
            items[0].reason,
            "matches 2 records on the receiving side (C-9, C-10); choose one by hand"
        );
    }

    #[test]
    fn the_indexes_match_exactly_what_the_rule_matches() {
        let mut records = Vec::new();
        for (i, (name, email, tax)) in [
            ("Acme", Some("a@acme.example"), Some("12-345")),
            (" ACME ", None, None),
            ("Other", Some(" A@ACME.example "), None),
            ("Third", Some(""), Some("12 345")),
            ("Fourth", Some("  "), Some("-")),
            ("Fifth", None, Some("--")),
        ]
        .into_iter()
        .enumerate()
        {
            let mut c = remote(&format!("C-{i}"), name);
            c.email = email.map(str::to_owned);
            c.tax_number = tax.map(str::to_owned);
            records.push(c);
        }
        let index = Unlinked::new(records.iter().enumerate());
        for probe in &records {
            let by_rule: Vec<usize> = (0..records.len())
                .filter(|&i| same_identity(probe, &records[i]))
                .collect();
            assert_eq!(index.matches(probe), by_rule, "{probe:?}");
        }
    }

    #[test]
    fn pull_is_the_mirror_image() {
        let h = home("TP-1", "Acme");
        let r = remote("C-1", "Acme");
        let l = link(&h, &r);
        let mut r2 = r.clone();
        r2.email = Some("new@acme.example".into());
        let fresh = remote("C-2", "Brand New");
        let items = customers(&[h], &[r2, fresh], &[l], Direction::Pull);
        assert_eq!(items[0].action, Action::Update);
        assert_eq!(items[0].home_key.as_deref(), Some("TP-1"));
        assert_eq!(items[1].action, Action::Add);
        assert_eq!(items[1].remote_id.as_deref(), Some("C-2"));
    }
}

//! Create, update and delete on an in-memory table: the write rules of the CSV "system".
//!
//! These are plain functions over a `Vec` so every rule (ids, versions, `stale`,
//! `unchanged`, duplicates) is tested natively; [`lib`](crate) reads the file before and
//! writes it after. Nothing in the table changes unless the whole push succeeds.

use ledgerlink_sdk::error;
use ledgerlink_sdk::types::{ConnectorError, WriteAction, Written};

use crate::version;

/// What the write rules need from a kind of record.
pub trait Record: Sized {
    /// The record's id in the file, when it has one.
    fn remote_id(&self) -> Option<&str>;

    /// The record's version token.
    fn version(&self) -> Option<&str>;

    /// Set the fields the store owns: id, version and last-changed time.
    fn stamp(&mut self, id: String, version: String, updated_at: String);

    /// Whether `self` and `other` would store the same content, ignoring the fields the store
    /// owns (id, version, `updated_at`) and the host's `key`.
    fn same_content(&self, other: &Self) -> bool;

    /// Refuse `self` when it collides with a record of `table` other than the one at
    /// `replacing` (the record being updated). By default nothing collides.
    fn check_unique(
        &self,
        table: &[Self],
        replacing: Option<usize>,
        file: &str,
    ) -> Result<(), ConnectorError> {
        let _ = (table, replacing, file);
        Ok(())
    }
}

/// Where a kind of record lives: for ids and for messages.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// What a record is called in messages: "customer", "job invoice".
    pub noun: &'a str,
    /// Letter(s) before the number in new ids: "C" gives "C-000001".
    pub id_prefix: &'a str,
    /// The file's path, for messages.
    pub file: &'a str,
}

/// Create `incoming` (no `remote_id`) or update the record it names, at time `now`.
///
/// * create: a new id (`next_id`), version "1";
/// * update: `not-found` when the id is not in the table; `stale` when `incoming.version`
///   is given and differs from the stored one; `unchanged` (and no change to the table) when
///   the content is the same; otherwise updated with the version incremented.
pub fn upsert<R: Record>(
    table: &mut Vec<R>,
    mut incoming: R,
    target: Target<'_>,
    now: &str,
) -> Result<Written, ConnectorError> {
    let Some(id) = incoming.remote_id().map(str::to_owned) else {
        incoming.check_unique(table, None, target.file)?;
        let id = next_id(table, target.id_prefix);
        incoming.stamp(id.clone(), version::FIRST.to_owned(), now.to_owned());
        table.push(incoming);
        return Ok(Written {
            remote_id: id,
            version: Some(version::FIRST.to_owned()),
            action: WriteAction::Created,
        });
    };

    let index = position(table, &id).ok_or_else(|| not_found(target, &id))?;
    let stored = &table[index];
    let what = format!("{} {id} in {}", target.noun, target.file);
    version::ensure_current(&what, stored.version(), incoming.version())?;
    incoming.check_unique(table, Some(index), target.file)?;

    if incoming.same_content(stored) {
        return Ok(Written {
            remote_id: id,
            version: stored.version().map(str::to_owned),
            action: WriteAction::Unchanged,
        });
    }

    let next = version::next(stored.version())?;
    incoming.stamp(id.clone(), next.clone(), now.to_owned());
    table[index] = incoming;
    Ok(Written {
        remote_id: id,
        version: Some(next),
        action: WriteAction::Updated,
    })
}

/// Remove the record `id` from `table`; `not-found` when it is not there.
pub fn remove<R: Record>(
    table: &mut Vec<R>,
    id: &str,
    target: Target<'_>,
) -> Result<R, ConnectorError> {
    let index = position(table, id).ok_or_else(|| not_found(target, id))?;
    Ok(table.remove(index))
}

/// The id for a new record: `prefix`, '-', and one more than the highest number among the
/// ids of that form already in the table, zero-padded to six digits ("C-000001").
///
/// "Highest plus one" rather than "count plus one" so an id freed by a delete is never
/// handed out again: the host may still remember the old record under it.
pub fn next_id<R: Record>(table: &[R], prefix: &str) -> String {
    let highest = table
        .iter()
        .filter_map(|r| r.remote_id()?.strip_prefix(prefix)?.strip_prefix('-'))
        .filter_map(|digits| digits.parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    format!("{prefix}-{:06}", highest.saturating_add(1))
}

/// Where the record `id` is in `table`.
pub fn position<R: Record>(table: &[R], id: &str) -> Option<usize> {
    table.iter().position(|r| r.remote_id() == Some(id))
}

fn not_found(target: Target<'_>, id: &str) -> ConnectorError {
    error::not_found(format!(
        "{} {id} is not in {}; it may have been deleted from the file",
        target.noun, target.file
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use ledgerlink_sdk::error::ConnectorErrorExt;

    /// A minimal record, so these rules are tested apart from any CSV mapping.
    #[derive(Debug, Clone, PartialEq)]
    struct Note {
        id: Option<String>,
        version: Option<String>,
        text: String,
        updated_at: Option<String>,
    }

    impl Record for Note {
        fn remote_id(&self) -> Option<&str> {
            self.id.as_deref()
        }
        fn version(&self) -> Option<&str> {
            self.version.as_deref()
        }
        fn stamp(&mut self, id: String, version: String, updated_at: String) {
            self.id = Some(id);
            self.version = Some(version);
            self.updated_at = Some(updated_at);
        }
        fn same_content(&self, other: &Self) -> bool {
            self.text == other.text
        }
        fn check_unique(
            &self,
            table: &[Self],
            replacing: Option<usize>,
            _file: &str,
        ) -> Result<(), ConnectorError> {
            match table
                .iter()
                .enumerate()
                .find(|(i, n)| Some(*i) != replacing && n.text == self.text)
            {
                Some((_, n)) => Err(error::duplicate("same text", n.id.clone())),
                None => Ok(()),
            }
        }
    }

    const TARGET: Target<'static> = Target {
        noun: "note",
        id_prefix: "N",
        file: "notes.csv",
    };
    const T1: &str = "2026-11-22T01:00:00Z";
    const T2: &str = "2026-11-23T09:30:00Z";

    fn new_note(text: &str) -> Note {
        Note {
            id: None,
            version: None,
            text: text.into(),
            updated_at: None,
        }
    }

    fn stored(id: &str, version: &str, text: &str) -> Note {
        Note {
            id: Some(id.into()),
            version: Some(version.into()),
            text: text.into(),
            updated_at: Some(T1.into()),
        }
    }

    fn edit(id: &str, version: Option<&str>, text: &str) -> Note {
        Note {
            id: Some(id.into()),
            version: version.map(Into::into),
            text: text.into(),
            updated_at: None,
        }
    }

    #[test]
    fn create_appends_with_a_new_id_at_version_one() {
        let mut table = vec![];
        let w = upsert(&mut table, new_note("a"), TARGET, T1).unwrap();
        assert_eq!(
            (w.remote_id.as_str(), w.version.as_deref(), w.action),
            ("N-000001", Some("1"), WriteAction::Created)
        );
        let w = upsert(&mut table, new_note("b"), TARGET, T2).unwrap();
        assert_eq!(w.remote_id, "N-000002");
        assert_eq!(
            table,
            vec![stored("N-000001", "1", "a"), {
                let mut b = stored("N-000002", "1", "b");
                b.updated_at = Some(T2.into());
                b
            }]
        );
    }

    #[test]
    fn new_ids_follow_the_highest_so_deleted_ids_are_not_reused() {
        let table = vec![
            stored("N-000007", "1", "a"),
            stored("N-000003", "1", "b"),
            stored("hand-typed", "1", "c"),
            stored("X-000099", "1", "d"),
        ];
        assert_eq!(next_id(&table, "N"), "N-000008");
        assert_eq!(next_id::<Note>(&[], "N"), "N-000001");
    }

    #[test]
    fn update_replaces_content_bumps_the_version_and_stamps_the_time() {
        let mut table = vec![stored("N-000001", "4", "a"), stored("N-000002", "1", "b")];
        let w = upsert(&mut table, edit("N-000001", Some("4"), "a2"), TARGET, T2).unwrap();
        assert_eq!(
            (w.remote_id.as_str(), w.version.as_deref(), w.action),
            ("N-000001", Some("5"), WriteAction::Updated)
        );
        assert_eq!(
            table[0],
            Note {
                id: Some("N-000001".into()),
                version: Some("5".into()),
                text: "a2".into(),
                updated_at: Some(T2.into()),
            }
        );
        assert_eq!(table[1], stored("N-000002", "1", "b"));
    }

    #[test]
    fn update_without_a_version_is_not_checked_for_staleness() {
        let mut table = vec![stored("N-000001", "4", "a")];
        let w = upsert(&mut table, edit("N-000001", None, "a2"), TARGET, T2).unwrap();
        assert_eq!(w.action, WriteAction::Updated);
        assert_eq!(w.version.as_deref(), Some("5"));
    }

    #[test]
    fn same_content_is_unchanged_and_leaves_the_table_alone() {
        let mut table = vec![stored("N-000001", "4", "a")];
        let before = table.clone();
        let w = upsert(&mut table, edit("N-000001", Some("4"), "a"), TARGET, T2).unwrap();
        assert_eq!(
            (w.remote_id.as_str(), w.version.as_deref(), w.action),
            ("N-000001", Some("4"), WriteAction::Unchanged)
        );
        assert_eq!(table, before);
    }

    #[test]
    fn a_stale_update_is_refused_naming_both_versions() {
        let mut table = vec![stored("N-000001", "4", "a")];
        let before = table.clone();
        let e = upsert(&mut table, edit("N-000001", Some("3"), "a2"), TARGET, T2).unwrap_err();
        assert!(matches!(e, ConnectorError::Stale(_)), "{e:?}");
        assert_eq!(
            e.message(),
            "note N-000001 in notes.csv is at version 4 but the update is based on version 3; \
             read it again and reapply the change"
        );
        assert_eq!(table, before);
    }

    #[test]
    fn updating_an_unknown_id_is_not_found() {
        let mut table = vec![stored("N-000001", "1", "a")];
        let e = upsert(&mut table, edit("N-000009", None, "z"), TARGET, T2).unwrap_err();
        assert!(matches!(e, ConnectorError::NotFound(_)), "{e:?}");
        assert_eq!(
            e.message(),
            "note N-000009 is not in notes.csv; it may have been deleted from the file"
        );
    }

    #[test]
    fn uniqueness_is_checked_against_other_records_only() {
        let mut table = vec![stored("N-000001", "1", "a"), stored("N-000002", "1", "b")];
        let e = upsert(&mut table, new_note("b"), TARGET, T2).unwrap_err();
        assert!(
            matches!(&e, ConnectorError::Duplicate(d) if d.existing_id.as_deref() == Some("N-000002")),
            "{e:?}"
        );
        let e = upsert(&mut table, edit("N-000001", None, "b"), TARGET, T2).unwrap_err();
        assert!(matches!(e, ConnectorError::Duplicate(_)), "{e:?}");
        // Keeping its own value is not a collision.
        let w = upsert(&mut table, edit("N-000002", None, "b"), TARGET, T2).unwrap();
        assert_eq!(w.action, WriteAction::Unchanged);
    }

    #[test]
    fn remove_takes_the_record_out_or_says_not_found() {
        let mut table = vec![stored("N-000001", "1", "a"), stored("N-000002", "1", "b")];
        let removed = remove(&mut table, "N-000001", TARGET).unwrap();
        assert_eq!(removed.text, "a");
        assert_eq!(table, vec![stored("N-000002", "1", "b")]);
        let e = remove(&mut table, "N-000001", TARGET).unwrap_err();
        assert!(matches!(e, ConnectorError::NotFound(_)), "{e:?}");
    }
}

//! Create, update and delete on an in-memory table: the write rules of the CSV "system".
//!
//! These are plain functions over a `Vec` so every rule (ids, versions, `stale`,
//! `unchanged`, duplicates) is tested natively; [`lib`](crate) hands in how to read the file
//! and how to write it, and this module decides when.
//!
//! A push is a batch ([`push_batch`]): the table is loaded once, every record of the batch
//! is applied to it in input order through a [`Writer`], and the table is saved once, only if
//! something changed. Each record is judged against the table as the records before it in
//! the batch left it, so a batch has exactly the outcomes of the same records pushed one at a
//! time. A record that is refused leaves the table as it was; it never fails the others.
//!
//! The [`Writer`] indexes the table once (by id, by the record's unique key such as the
//! invoice number, and the highest id number), so each record costs O(1) lookups plus its
//! own size, and a batch of `b` records on a table of `n` costs O(n + b) besides the read and
//! the write of the file (which are O(n) too), instead of O(n) per record.

use std::collections::HashMap;

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

    /// The idempotency key of the write that last changed the record, as stored.
    fn idempotency_key(&self) -> Option<&str>;

    /// A value no two records of a file may share (an invoice's number), when the kind has
    /// one. By default there is none.
    fn unique_value(&self) -> Option<&str> {
        None
    }

    /// The error for `self` when its [`unique_value`](Record::unique_value) is already
    /// `existing`'s, in `file`.
    fn duplicate_of(&self, existing: &Self, file: &str) -> ConnectorError {
        self.duplicate_of_id(existing.remote_id(), file)
    }

    /// [`Record::duplicate_of`] by the id of the record that holds the value.
    fn duplicate_of_id(&self, existing: Option<&str>, file: &str) -> ConnectorError {
        error::duplicate(
            format!(
                "{} is already used in {file}",
                self.unique_value().unwrap_or_default()
            ),
            existing.map(str::to_owned),
        )
    }
}

/// What a record left unparsed in a file open for a push tells the writer: the cells it
/// compares across the table.
pub trait Located {
    /// Its id.
    fn id(&self) -> &str;
    /// Its version token.
    fn version(&self) -> Option<&str>;
    /// The idempotency key of the write that last changed it.
    fn idempotency_key(&self) -> Option<&str>;
    /// As [`Record::unique_value`].
    fn unique_value(&self) -> Option<&str> {
        None
    }
    /// Byte offsets of its first row and just past its last.
    fn span(&self) -> (usize, usize);
}

/// A record of a file open for a push: as it lies in the file (`E` locates it), or parsed.
#[derive(Debug, Clone)]
pub enum Slot<E, R> {
    /// Untouched by the batch: copied to the file as its bytes.
    Stored(E),
    /// Named by the batch, or new, or from a file read whole.
    Loaded(Box<R>),
}

impl<E: Located, R: Record> Record for Slot<E, R> {
    fn remote_id(&self) -> Option<&str> {
        match self {
            Slot::Stored(e) => Some(e.id()),
            Slot::Loaded(r) => r.remote_id(),
        }
    }

    fn version(&self) -> Option<&str> {
        match self {
            Slot::Stored(e) => e.version(),
            Slot::Loaded(r) => r.version(),
        }
    }

    fn stamp(&mut self, id: String, version: String, updated_at: String) {
        // The writer stamps only the record being written, which is always `Loaded`.
        if let Slot::Loaded(r) = self {
            r.stamp(id, version, updated_at);
        }
    }

    /// Only two parsed records are compared: every stored record a batch names is parsed
    /// before the batch is applied, so an update never meets a `Stored` one.
    fn same_content(&self, other: &Self) -> bool {
        match (self, other) {
            (Slot::Loaded(a), Slot::Loaded(b)) => a.same_content(b),
            _ => false,
        }
    }

    fn idempotency_key(&self) -> Option<&str> {
        match self {
            Slot::Stored(e) => e.idempotency_key(),
            Slot::Loaded(r) => r.idempotency_key(),
        }
    }

    fn unique_value(&self) -> Option<&str> {
        match self {
            Slot::Stored(e) => e.unique_value(),
            Slot::Loaded(r) => r.unique_value(),
        }
    }

    fn duplicate_of_id(&self, existing: Option<&str>, file: &str) -> ConnectorError {
        match self {
            Slot::Loaded(r) => r.duplicate_of_id(existing, file),
            // The writer checks only the record being written, which is always `Loaded`.
            Slot::Stored(_) => error::duplicate(
                format!(
                    "{} is already used in {file}",
                    self.unique_value().unwrap_or_default()
                ),
                existing.map(str::to_owned),
            ),
        }
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
    /// The highest id number handed out before, records since deleted included (kept beside
    /// the file, see `store::load_issued`), so a deleted record's id is never reused.
    pub issued: u64,
}

/// The outcome of one record of a batch: what was written, or why the record was not.
pub type Outcome = Result<Written, ConnectorError>;

/// Push a batch into one file: `load` the table once, apply every record in order, `save`
/// the table once when something changed. One outcome per record, in input order.
///
/// `batch` holds each record as checked by its kind's `validate`: a record that failed keeps
/// its error and is not applied. When no record is left to apply, the file is not read.
/// When `load` fails, every record still to apply gets its error. When `save` fails, every
/// record that had succeeded gets its error instead: the file holds none of the batch, and
/// even an "unchanged" may have been judged against a record written earlier in the batch;
/// the host may retry them all.
pub fn push_batch<R: Record>(
    batch: Vec<Result<R, ConnectorError>>,
    target: Target<'_>,
    now: &str,
    load: impl FnOnce() -> Result<Vec<R>, ConnectorError>,
    save: impl FnOnce(&[R]) -> Result<(), ConnectorError>,
) -> Vec<Outcome> {
    if batch.iter().all(Result::is_err) {
        return batch.into_iter().filter_map(Result::err).map(Err).collect();
    }
    let mut table = match load() {
        Ok(table) => table,
        Err(e) => {
            return batch
                .into_iter()
                .map(|record| record.and_then(|_| Err(e.clone())))
                .collect();
        }
    };
    let mut writer = Writer::new(&mut table, target);
    let mut outcomes: Vec<Outcome> = batch
        .into_iter()
        .map(|record| record.and_then(|record| writer.write(record, now)))
        .collect();
    if writer.changed()
        && let Err(e) = save(&table)
    {
        for outcome in &mut outcomes {
            if outcome.is_ok() {
                *outcome = Err(e.clone());
            }
        }
    }
    outcomes
}

/// A table open for writing, with the indexes that make each write O(1) lookups.
///
/// The indexes assume what a parsed file guarantees and the writer keeps: ids are unique,
/// and so are unique values. (Should a table hold a repeat anyway, the first record wins,
/// as in [`position`].)
pub struct Writer<'a, R> {
    table: &'a mut Vec<R>,
    target: Target<'a>,
    /// Where each id is in `table`.
    by_id: HashMap<String, usize>,
    /// Where each unique value (invoice number) is in `table`.
    by_value: HashMap<String, usize>,
    /// Where the record last written under each idempotency key is in `table`.
    by_key: HashMap<String, usize>,
    /// The highest number among the ids of the form "{prefix}-{digits}".
    highest: u64,
    changed: bool,
}

impl<'a, R: Record> Writer<'a, R> {
    /// Index `table`: O(table).
    pub fn new(table: &'a mut Vec<R>, target: Target<'a>) -> Self {
        let mut by_id = HashMap::with_capacity(table.len());
        let mut by_value = HashMap::new();
        let mut by_key = HashMap::new();
        let mut highest = target.issued;
        for (index, record) in table.iter().enumerate() {
            if let Some(key) = record.idempotency_key() {
                by_key.entry(key.to_owned()).or_insert(index);
            }
            if let Some(id) = record.remote_id() {
                by_id.entry(id.to_owned()).or_insert(index);
                highest = highest.max(id_number(id, target.id_prefix).unwrap_or(0));
            }
            if let Some(value) = record.unique_value() {
                by_value.entry(value.to_owned()).or_insert(index);
            }
        }
        Writer {
            table,
            target,
            by_id,
            by_value,
            by_key,
            highest,
            changed: false,
        }
    }

    /// Whether any write changed the table, so it must be saved.
    pub fn changed(&self) -> bool {
        self.changed
    }

    /// Create `incoming` (no `remote_id`) or update the record it names, at time `now`.
    ///
    /// * create: a new id (see [`Writer::next_id`]), version "1";
    /// * update: `not-found` when the id is not in the table; `stale` when
    ///   `incoming.version` is given and differs from the stored one; `unchanged` (and no
    ///   change to the table) when the content is the same; otherwise updated with the
    ///   version incremented;
    /// * either: `duplicate` when its unique value is another record's.
    ///
    /// A write whose idempotency key is the key of the write that last changed a record is a
    /// replay: it is answered with that write's result (the record's id and version, created
    /// or updated as the replayed write was) and changes nothing.
    ///
    /// A refused record leaves the table and the indexes as they were.
    pub fn write(&mut self, mut incoming: R, now: &str) -> Result<Written, ConnectorError> {
        if let Some(replayed) = self.replayed(&incoming) {
            return Ok(replayed);
        }
        let Some(id) = incoming.remote_id().map(str::to_owned) else {
            self.check_unique(&incoming, None)?;
            let id = self.next_id();
            incoming.stamp(id.clone(), version::FIRST.to_owned(), now.to_owned());
            let index = self.table.len();
            if let Some(value) = incoming.unique_value() {
                self.by_value.insert(value.to_owned(), index);
            }
            self.by_id.insert(id.clone(), index);
            if let Some(key) = incoming.idempotency_key() {
                self.by_key.insert(key.to_owned(), index);
            }
            self.highest = self.highest.saturating_add(1);
            self.table.push(incoming);
            self.changed = true;
            return Ok(Written {
                remote_id: id,
                version: Some(version::FIRST.to_owned()),
                action: WriteAction::Created,
                note: None,
            });
        };

        let index = *self
            .by_id
            .get(&id)
            .ok_or_else(|| not_found(self.target, &id))?;
        let stored = &self.table[index];
        let what = format!("{} {id} in {}", self.target.noun, self.target.file);
        version::ensure_current(&what, stored.version(), incoming.version())?;
        self.check_unique(&incoming, Some(index))?;

        if incoming.same_content(stored) {
            return Ok(Written {
                remote_id: id,
                version: stored.version().map(str::to_owned),
                action: WriteAction::Unchanged,
                note: None,
            });
        }

        let next = version::next(stored.version())?;
        if let Some(old) = stored.unique_value()
            && self.by_value.get(old) == Some(&index)
        {
            self.by_value.remove(old);
        }
        if let Some(value) = incoming.unique_value() {
            self.by_value.insert(value.to_owned(), index);
        }
        if let Some(key) = incoming.idempotency_key() {
            self.by_key.insert(key.to_owned(), index);
        }
        incoming.stamp(id.clone(), next.clone(), now.to_owned());
        self.table[index] = incoming;
        self.changed = true;
        Ok(Written {
            remote_id: id,
            version: Some(next),
            action: WriteAction::Updated,
            note: None,
        })
    }

    /// The first result of the write `incoming` replays, when its idempotency key is the one
    /// stored with a record (and, for an update, with the record it names).
    fn replayed(&self, incoming: &R) -> Option<Written> {
        let index = *self.by_key.get(incoming.idempotency_key()?)?;
        let stored = &self.table[index];
        let id = stored.remote_id()?;
        let action = match incoming.remote_id() {
            None => WriteAction::Created,
            Some(named) if named == id => WriteAction::Updated,
            Some(_) => return None,
        };
        Some(Written {
            remote_id: id.to_owned(),
            version: stored.version().map(str::to_owned),
            action,
            note: None,
        })
    }

    /// The id for a new record: the prefix, '-', and one more than the highest number among
    /// the ids of that form in the table, zero-padded to six digits ("C-000001").
    ///
    /// "Highest plus one" rather than "count plus one" so an id freed by a delete is never
    /// handed out again: the host may still remember the old record under it.
    pub fn next_id(&self) -> String {
        format!(
            "{}-{:06}",
            self.target.id_prefix,
            self.highest.saturating_add(1)
        )
    }

    /// Refuse `incoming` when its unique value is held by a record other than the one at
    /// `replacing` (the record being updated).
    fn check_unique(&self, incoming: &R, replacing: Option<usize>) -> Result<(), ConnectorError> {
        match incoming
            .unique_value()
            .and_then(|value| self.by_value.get(value))
        {
            Some(&index) if Some(index) != replacing => {
                Err(incoming.duplicate_of(&self.table[index], self.target.file))
            }
            _ => Ok(()),
        }
    }
}

/// Create or update one record: a batch of one (indexing the table costs O(table)).
#[cfg(test)]
pub fn upsert<R: Record>(
    table: &mut Vec<R>,
    incoming: R,
    target: Target<'_>,
    now: &str,
) -> Result<Written, ConnectorError> {
    Writer::new(table, target).write(incoming, now)
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

/// Where the record `id` is in `table`: one scan, for operations on a single record.
pub fn position<R: Record>(table: &[R], id: &str) -> Option<usize> {
    table.iter().position(|r| r.remote_id() == Some(id))
}

/// The number in an id of the form "{prefix}-{digits}".
pub fn id_number(id: &str, prefix: &str) -> Option<u64> {
    id.strip_prefix(prefix)?
        .strip_prefix('-')?
        .parse::<u64>()
        .ok()
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
        fn idempotency_key(&self) -> Option<&str> {
            None
        }
        fn unique_value(&self) -> Option<&str> {
            Some(&self.text)
        }
    }

    const TARGET: Target<'static> = Target {
        noun: "note",
        id_prefix: "N",
        file: "notes.csv",
        issued: 0,
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
        let mut table = table;
        assert_eq!(Writer::new(&mut table, TARGET).next_id(), "N-000008");
        assert_eq!(
            Writer::<Note>::new(&mut vec![], TARGET).next_id(),
            "N-000001"
        );
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

    /// A `push_batch` over `table` that counts loads and saves and keeps what was saved.
    struct File {
        table: Vec<Note>,
        loads: usize,
        saves: usize,
    }

    fn push(file: &mut File, batch: Vec<Result<Note, ConnectorError>>) -> Vec<Outcome> {
        let loaded = file.table.clone();
        let mut saved = None;
        let (mut loads, mut saves) = (0, 0);
        let outcomes = push_batch(
            batch,
            TARGET,
            T2,
            || {
                loads += 1;
                Ok(loaded)
            },
            |t: &[Note]| {
                saves += 1;
                saved = Some(t.to_vec());
                Ok(())
            },
        );
        file.loads += loads;
        file.saves += saves;
        if let Some(t) = saved {
            file.table = t;
        }
        outcomes
    }

    fn action(o: &Outcome) -> (String, Option<String>, WriteAction) {
        let w = o.as_ref().unwrap();
        (w.remote_id.clone(), w.version.clone(), w.action)
    }

    #[test]
    fn a_batch_loads_once_applies_in_order_and_saves_once() {
        let mut file = File {
            table: vec![stored("N-000001", "1", "a"), stored("N-000002", "3", "b")],
            loads: 0,
            saves: 0,
        };
        let invalid = error::validation("text is required");
        let outcomes = push(
            &mut file,
            vec![
                Ok(new_note("c")),                     // created
                Ok(edit("N-000001", Some("1"), "a2")), // updated
                Ok(edit("N-000002", Some("2"), "b2")), // stale
                Ok(new_note("a2")),                    // duplicate of the update above
                Err(invalid.clone()),                  // refused before the table
                Ok(edit("N-000001", Some("1"), "a3")), // stale: the update above moved it
                Ok(edit("N-000002", None, "b")),       // unchanged
                Ok(edit("N-000009", None, "z")),       // not found
                Ok(new_note("d")),                     // created after "c"
                Ok(new_note("d")),                     // duplicate within the batch
            ],
        );
        assert_eq!((file.loads, file.saves), (1, 1));
        assert_eq!(outcomes.len(), 10);
        let n = |id: &str, v: &str, a| (id.to_owned(), Some(v.to_owned()), a);
        assert_eq!(
            action(&outcomes[0]),
            n("N-000003", "1", WriteAction::Created)
        );
        assert_eq!(
            action(&outcomes[1]),
            n("N-000001", "2", WriteAction::Updated)
        );
        assert!(
            matches!(outcomes[2], Err(ConnectorError::Stale(_))),
            "{:?}",
            outcomes[2]
        );
        assert!(
            matches!(&outcomes[3], Err(ConnectorError::Duplicate(d)) if d.existing_id.as_deref() == Some("N-000001")),
            "{:?}",
            outcomes[3]
        );
        assert_eq!(outcomes[4], Err(invalid));
        assert!(
            matches!(outcomes[5], Err(ConnectorError::Stale(_))),
            "{:?}",
            outcomes[5]
        );
        assert_eq!(
            action(&outcomes[6]),
            n("N-000002", "3", WriteAction::Unchanged)
        );
        assert!(
            matches!(outcomes[7], Err(ConnectorError::NotFound(_))),
            "{:?}",
            outcomes[7]
        );
        assert_eq!(
            action(&outcomes[8]),
            n("N-000004", "1", WriteAction::Created)
        );
        assert!(
            matches!(&outcomes[9], Err(ConnectorError::Duplicate(d)) if d.existing_id.as_deref() == Some("N-000004")),
            "{:?}",
            outcomes[9]
        );
        let texts: Vec<(&str, &str)> = file
            .table
            .iter()
            .map(|n| (n.id.as_deref().unwrap(), n.text.as_str()))
            .collect();
        assert_eq!(
            texts,
            [
                ("N-000001", "a2"),
                ("N-000002", "b"),
                ("N-000003", "c"),
                ("N-000004", "d")
            ]
        );
    }

    #[test]
    fn a_renamed_unique_value_is_free_again_within_the_batch() {
        let mut file = File {
            table: vec![stored("N-000001", "1", "a")],
            loads: 0,
            saves: 0,
        };
        let outcomes = push(
            &mut file,
            vec![
                Ok(edit("N-000001", None, "b")),
                Ok(new_note("a")),
                Ok(new_note("b")),
            ],
        );
        assert_eq!(action(&outcomes[0]).2, WriteAction::Updated);
        assert_eq!(
            action(&outcomes[1]),
            ("N-000002".into(), Some("1".into()), WriteAction::Created)
        );
        assert!(
            matches!(outcomes[2], Err(ConnectorError::Duplicate(_))),
            "{:?}",
            outcomes[2]
        );
    }

    #[test]
    fn a_batch_that_changes_nothing_is_not_saved_and_one_all_refused_is_not_loaded() {
        let mut file = File {
            table: vec![stored("N-000001", "1", "a")],
            loads: 0,
            saves: 0,
        };
        let outcomes = push(&mut file, vec![Ok(edit("N-000001", Some("1"), "a"))]);
        assert_eq!(action(&outcomes[0]).2, WriteAction::Unchanged);
        assert_eq!((file.loads, file.saves), (1, 0));

        let outcomes = push(&mut file, vec![Err(error::validation("no"))]);
        assert!(matches!(outcomes[0], Err(ConnectorError::Validation(_))));
        assert_eq!((file.loads, file.saves), (1, 0));
        assert!(push(&mut file, vec![]).is_empty());
        assert_eq!((file.loads, file.saves), (1, 0));
    }

    #[test]
    fn a_failed_load_or_save_fails_every_record_that_had_not_failed_already() {
        let invalid = error::validation("no");
        let broken = error::transient("could not read notes.csv: disk on fire");
        let outcomes = push_batch(
            vec![Ok(new_note("a")), Err(invalid.clone())],
            TARGET,
            T2,
            || Err(broken.clone()),
            |_: &[Note]| Ok(()),
        );
        assert_eq!(outcomes, vec![Err(broken.clone()), Err(invalid.clone())]);

        let outcomes = push_batch(
            vec![
                Ok(new_note("b")),
                Err(invalid.clone()),
                Ok(edit("N-000001", None, "a")),
                Ok(edit("N-000001", Some("7"), "z")),
            ],
            TARGET,
            T2,
            || Ok(vec![stored("N-000001", "1", "a")]),
            |_: &[Note]| Err(broken.clone()),
        );
        assert_eq!(outcomes[0], Err(broken.clone()));
        assert_eq!(outcomes[1], Err(invalid));
        // Even "unchanged": the file holds none of the batch.
        assert_eq!(outcomes[2], Err(broken));
        assert!(matches!(outcomes[3], Err(ConnectorError::Stale(_))));
    }
}

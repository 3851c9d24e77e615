//! One company's stored entities, per entity type, with Intuit's
//! bookkeeping fields (`Id`, `SyncToken`, `MetaData`, `domain`, `sparse`)
//! stamped on every write.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::SystemTime;

use serde_json::{Map, Value, json};

use super::fault::meta_time;
use super::idempotency::Replies;

/// The entity types the sandbox stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Customer,
    Invoice,
    CreditMemo,
    Payment,
    Item,
    TaxCode,
    TaxRate,
    Vendor,
    Employee,
}

impl Kind {
    /// The element name (`Customer`), also the JSON key of the entity.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Customer => "Customer",
            Kind::Invoice => "Invoice",
            Kind::CreditMemo => "CreditMemo",
            Kind::Payment => "Payment",
            Kind::Item => "Item",
            Kind::TaxCode => "TaxCode",
            Kind::TaxRate => "TaxRate",
            Kind::Vendor => "Vendor",
            Kind::Employee => "Employee",
        }
    }

    /// The kind named `name` (case-insensitive, as Intuit's query and CDC).
    pub(crate) fn from_name(name: &str) -> Option<Kind> {
        [
            Kind::Customer,
            Kind::Invoice,
            Kind::CreditMemo,
            Kind::Payment,
            Kind::Item,
            Kind::TaxCode,
            Kind::TaxRate,
            Kind::Vendor,
            Kind::Employee,
        ]
        .into_iter()
        .find(|kind| kind.name().eq_ignore_ascii_case(name))
    }

    /// Whether entities of this kind are sales transactions (`Invoice`, `CreditMemo`): numbered by
    /// `DocNumber` and counted in their customer's balance.
    pub(crate) fn is_sales_txn(self) -> bool {
        matches!(self, Kind::Invoice | Kind::CreditMemo)
    }
}

/// An entity id, ordered as Intuit lists them: numerically when numeric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IdKey(pub(crate) String);

impl Ord for IdKey {
    fn cmp(&self, other: &IdKey) -> Ordering {
        (self.0.len(), &self.0).cmp(&(other.0.len(), &other.0))
    }
}

impl PartialOrd for IdKey {
    fn partial_cmp(&self, other: &IdKey) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A stored entity: its JSON as served, plus what queries and CDC compare.
#[derive(Debug, Clone)]
pub(crate) struct Entity {
    pub(crate) body: Map<String, Value>,
    pub(crate) updated: SystemTime,
    /// Deleted entities stay, for CDC and the control dump.
    pub(crate) deleted: bool,
}

impl Entity {
    /// `Id` of the entity.
    pub(crate) fn id(&self) -> &str {
        self.body.get("Id").and_then(Value::as_str).unwrap_or("")
    }

    /// `SyncToken` of the entity.
    pub(crate) fn sync_token(&self) -> &str {
        self.body
            .get("SyncToken")
            .and_then(Value::as_str)
            .unwrap_or("0")
    }

    /// The body as served: a deleted entity is only its id, status and times.
    pub(crate) fn served(&self) -> Value {
        if self.deleted {
            let mut tombstone = Map::new();
            for key in ["Id", "MetaData", "domain"] {
                if let Some(value) = self.body.get(key) {
                    tombstone.insert(key.to_owned(), value.clone());
                }
            }
            tombstone.insert("status".into(), json!("Deleted"));
            Value::Object(tombstone)
        } else {
            Value::Object(self.body.clone())
        }
    }

    /// The body with the deletion flag, for the control dump.
    pub(crate) fn dumped(&self) -> Value {
        let mut body = self.body.clone();
        if self.deleted {
            body.insert("status".into(), json!("Deleted"));
        }
        Value::Object(body)
    }
}

/// Region of a company: decides its currency and tax codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Region {
    Us,
    Au,
}

/// One company (realm).
#[derive(Debug)]
pub(crate) struct Realm {
    pub(crate) region: Region,
    tables: HashMap<Kind, BTreeMap<IdKey, Entity>>,
    next_ids: HashMap<Kind, u64>,
    /// Live sales transactions (invoices, credit memos) by kind and `DocNumber`, and by
    /// customer id: lookups a write makes on every transaction, which would otherwise scan
    /// them all (quadratic over a long push).
    txn_docs: HashMap<(Kind, String), String>,
    customer_txns: HashMap<String, HashSet<(Kind, String)>>,
    /// Responses remembered by `requestid`.
    pub(crate) replies: Replies,
    /// The most items a `/batch` may hold: Intuit's 30 unless a test lowered it (reset
    /// with `batchLimit`).
    pub(crate) batch_limit: usize,
    /// `Preferences.CurrencyPrefs.MultiCurrencyEnabled`: off in a fresh company, as Intuit
    /// ships them; a reset with `{"multiCurrency": true}` turns it on.
    pub(crate) multi_currency: bool,
}

/// An invoice body's `DocNumber` and customer id.
fn invoice_keys(body: &Map<String, Value>) -> (Option<String>, Option<String>) {
    (
        body.get("DocNumber")
            .and_then(Value::as_str)
            .map(str::to_owned),
        body.get("CustomerRef")
            .and_then(|r| r.get("value"))
            .and_then(Value::as_str)
            .map(str::to_owned),
    )
}

impl Realm {
    /// An empty company; `reference_data` seeds it.
    pub(crate) fn empty(region: Region) -> Realm {
        Realm {
            region,
            tables: HashMap::new(),
            next_ids: HashMap::new(),
            txn_docs: HashMap::new(),
            customer_txns: HashMap::new(),
            replies: Replies::default(),
            batch_limit: super::batch::MAX_ITEMS,
            multi_currency: false,
        }
    }

    /// Removes (`live` false) or adds a live sales transaction body to the indexes.
    fn index_txn(&mut self, kind: Kind, id: &str, body: &Map<String, Value>, live: bool) {
        let (doc, customer) = invoice_keys(body);
        if let Some(doc) = doc {
            let key = (kind, doc);
            if live {
                self.txn_docs.insert(key, id.to_owned());
            } else if self.txn_docs.get(&key).map(String::as_str) == Some(id) {
                self.txn_docs.remove(&key);
            }
        }
        if let Some(customer) = customer {
            let ids = self.customer_txns.entry(customer).or_default();
            if live {
                ids.insert((kind, id.to_owned()));
            } else {
                ids.remove(&(kind, id.to_owned()));
            }
        }
    }

    /// The live transaction of `kind` numbered `doc`.
    pub(crate) fn txn_by_doc(&self, kind: Kind, doc: &str) -> Option<&Entity> {
        self.get(kind, self.txn_docs.get(&(kind, doc.to_owned()))?)
    }

    /// The live sales transactions (invoices and credit memos) of customer `id`.
    pub(crate) fn txns_of(&self, customer: &str) -> impl Iterator<Item = (Kind, &Entity)> {
        self.customer_txns
            .get(customer)
            .into_iter()
            .flatten()
            .filter_map(|(kind, id)| self.get(*kind, id).map(|entity| (*kind, entity)))
    }

    /// The realm's home currency.
    pub(crate) fn home_currency(&self) -> &'static super::currency::Currency {
        super::currency::home(self.region)
    }

    /// The live (not deleted) entity `id` of `kind`.
    pub(crate) fn get(&self, kind: Kind, id: &str) -> Option<&Entity> {
        self.get_any(kind, id).filter(|entity| !entity.deleted)
    }

    /// The entity `id` of `kind`, deleted or not.
    pub(crate) fn get_any(&self, kind: Kind, id: &str) -> Option<&Entity> {
        self.tables.get(&kind)?.get(&IdKey(id.to_owned()))
    }

    /// The body of live entity `id`, for derived fields that do not count as
    /// an update (a customer's `Balance`).
    pub(crate) fn body_mut(&mut self, kind: Kind, id: &str) -> Option<&mut Map<String, Value>> {
        self.tables
            .get_mut(&kind)?
            .get_mut(&IdKey(id.to_owned()))
            .filter(|entity| !entity.deleted)
            .map(|entity| &mut entity.body)
    }

    /// Every entity of `kind`, deleted ones included, in id order.
    pub(crate) fn all(&self, kind: Kind) -> impl Iterator<Item = &Entity> {
        self.tables
            .get(&kind)
            .into_iter()
            .flat_map(BTreeMap::values)
    }

    /// Stores a new entity with the next numeric id, `SyncToken` 0 and fresh
    /// `MetaData`; returns its id.
    pub(crate) fn insert(
        &mut self,
        kind: Kind,
        body: Map<String, Value>,
        now: SystemTime,
    ) -> String {
        let next = self.next_ids.entry(kind).or_insert(1);
        let id = next.to_string();
        *next += 1;
        self.insert_with_id(kind, &id, body, now);
        id
    }

    /// Stores a new entity under a fixed id (seeded reference data).
    pub(crate) fn insert_with_id(
        &mut self,
        kind: Kind,
        id: &str,
        mut body: Map<String, Value>,
        now: SystemTime,
    ) {
        body.insert("Id".into(), json!(id));
        body.insert("SyncToken".into(), json!("0"));
        body.insert("domain".into(), json!("QBO"));
        body.insert("sparse".into(), json!(false));
        body.insert(
            "MetaData".into(),
            json!({ "CreateTime": meta_time(now), "LastUpdatedTime": meta_time(now) }),
        );
        if let Ok(numeric) = id.parse::<u64>() {
            let next = self.next_ids.entry(kind).or_insert(1);
            *next = (*next).max(numeric + 1);
        }
        if kind.is_sales_txn() {
            self.index_txn(kind, id, &body, true);
        }
        self.tables.entry(kind).or_default().insert(
            IdKey(id.to_owned()),
            Entity {
                body,
                updated: now,
                deleted: false,
            },
        );
    }

    /// Replaces the body of live entity `id`, keeping its `Id` and
    /// `CreateTime` and advancing `SyncToken` and `LastUpdatedTime`.
    /// Returns the stored body, or `None` if there is no such entity.
    pub(crate) fn replace(
        &mut self,
        kind: Kind,
        id: &str,
        mut body: Map<String, Value>,
        now: SystemTime,
    ) -> Option<Value> {
        if kind.is_sales_txn() {
            let old = self.get(kind, id)?.body.clone();
            self.index_txn(kind, id, &old, false);
            self.index_txn(kind, id, &body, true);
        }
        let entity = self
            .tables
            .get_mut(&kind)?
            .get_mut(&IdKey(id.to_owned()))
            .filter(|entity| !entity.deleted)?;
        let sync = entity.sync_token().parse::<u64>().unwrap_or(0) + 1;
        let created = entity.body["MetaData"]["CreateTime"].clone();
        body.insert("Id".into(), json!(id));
        body.insert("SyncToken".into(), json!(sync.to_string()));
        body.insert("domain".into(), json!("QBO"));
        body.insert("sparse".into(), json!(false));
        body.insert(
            "MetaData".into(),
            json!({ "CreateTime": created, "LastUpdatedTime": meta_time(now) }),
        );
        entity.body = body;
        entity.updated = now;
        Some(Value::Object(entity.body.clone()))
    }

    /// Marks live entity `id` deleted; returns the tombstone as served.
    pub(crate) fn delete(&mut self, kind: Kind, id: &str, now: SystemTime) -> Option<Value> {
        if kind.is_sales_txn() {
            let old = self.get(kind, id)?.body.clone();
            self.index_txn(kind, id, &old, false);
        }
        let entity = self
            .tables
            .get_mut(&kind)?
            .get_mut(&IdKey(id.to_owned()))
            .filter(|entity| !entity.deleted)?;
        entity.deleted = true;
        entity.updated = now;
        if let Some(meta) = entity
            .body
            .get_mut("MetaData")
            .and_then(Value::as_object_mut)
        {
            meta.insert("LastUpdatedTime".into(), json!(meta_time(now)));
        }
        Some(entity.served())
    }
}

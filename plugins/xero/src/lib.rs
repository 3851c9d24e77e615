//! # ledgerlink-plugin-xero
//!
//! The Xero connector: contacts and sales invoices of one Xero organisation, through Xero's
//! Accounting API (`xero_accounting.yaml` v16.1.0).
//!
//! * **Auth.** OAuth 2.0 with PKCE, run by the host. After connecting, the host lists the
//!   organisations the grant covers (`https://api.xero.com/connections`) and stores the one
//!   the admin picks in setting `tenant-id`; every call sends it as `xero-tenant-id`.
//! * **Scopes.** Xero apps created from March 2026 must ask for granular scopes; the manifest
//!   asks for `accounting.invoices accounting.contacts accounting.settings.read openid
//!   profile email offline_access`. A connection of an older app overrides them with setting
//!   `scopes` = `accounting.transactions accounting.contacts accounting.settings.read
//!   offline_access` (the host requests a connection's `scopes` setting when it is set).
//! * **Customers** are Xero contacts. Pulls page through `GET /Contacts` (archived included,
//!   `If-Modified-Since` for deltas; the cursor is the next page number). Pushes send up to 50
//!   contacts per `POST /Contacts?summarizeErrors=false`; a customer with a remote id is an
//!   update. Xero cannot delete a contact: rolling one back **archives** it.
//! * **Invoices** are sales invoices (`ACCREC`). Xero has no field for "job" or "contract", so
//!   the kind is written into `Reference` as a prefix: `Job J-1001`, `Contract SC-7`
//!   (settings `job-reference-prefix`, `contract-reference-prefix`; pulling reads the prefix
//!   back and strips it). With both prefixes set, sales invoices made in Xero by hand are
//!   pulled as neither kind; set one prefix empty to pull every unmarked invoice as that kind.
//!   Rolling an invoice back deletes a draft, voids an authorised invoice, and refuses
//!   (`locked`) one with payments or credits, which must be handled in Xero.
//! * **Negative invoices are credit notes.** Xero refuses an invoice whose total is negative;
//!   an invoice whose canonical `total` is below zero is pushed to `/CreditNotes` as an
//!   `ACCRECCREDIT` credit note, each line's unit price, amount and tax amount negated so the
//!   credit note is positive (batches of 50, `summarizeErrors=false`, its own
//!   `Idempotency-Key`, the same error classes). Its remote id is **`CN-<CreditNoteID>`**
//!   (an invoice's is the bare `InvoiceID`); an update of one (remote id set) is a `POST` with
//!   that `CreditNoteID`. Pulling invoices returns the sales credit notes too (after the
//!   invoices; cursors `N` then `cn:N`), mapped back with the signs flipped again, the same
//!   `CN-` remote id and the kind read from the `Reference` prefix, so the host reads back
//!   exactly what it sent. Rolling one back deletes a draft or submitted credit note, voids an
//!   authorised one and refuses (`locked`) one that is paid, allocated or refunded. An invoice
//!   already in Xero cannot become a credit note (or the reverse): that update is refused
//!   (`validation`, field `total`). See [`map::credit_note`].
//! * **Currencies.** `CurrencyCode` is the canonical `currency` and is read back. Each push
//!   reads `GET /Currencies` once; an invoice in a currency the organisation has not added is
//!   refused before sending (`validation`, field `currency`: "invoice INV-1 is in USD, a
//!   currency this Xero organisation does not use; enable USD in Xero (Settings > Currencies
//!   > Add Currency) and push it again").
//! * **Idempotency.** Each batch carries `Idempotency-Key` = a SHA-256 of its records'
//!   idempotency keys, so a retried or replayed batch creates nothing twice; the host retries
//!   such requests and paces calls to Xero's limits (60 a minute, 5000 a day per organisation).
//! * **Numbers** go to and from Xero's JSON as exact decimal text, never `f64` (`map::number`).
//! * **Not synced:** an invoice's `memo` (a Xero sales invoice has no such field); clearing a
//!   field in Tracker Pro does not clear it in Xero (empty fields are left out of an update).
//!
//! Layout: [`map`] is the pure field mapping (public, so benchmarks run it natively);
//! `settings` parses the connection's settings; `batch` groups, keys and reads batch answers;
//! `errors` classifies Xero's refusals; `paging`, `find` and `delete` hold the read, search and
//! rollback rules; `api` is the only caller of the host's `http`. This file is glue.

use ledgerlink_sdk::error::{self, ConnectorErrorExt};
use ledgerlink_sdk::types::{
    Capability, CheckReport, ConnectorError, Customer, CustomerPage, CustomerQuery, Invoice,
    InvoiceKind, InvoicePage, Manifest, PushResult, RecordKind,
};
use ledgerlink_sdk::{Connector, ManifestBuilder, log};
use serde::{Deserialize, Serialize};

pub mod map;

mod api;
mod batch;
mod delete;
mod errors;
mod find;
mod paging;
mod settings;

use api::{Api, encode};
use batch::{Sent, idempotency_key};
use errors::{Record, SentLine};
use map::credit_note::Document;
use map::xero::{
    ContactOut, ContactsBody, CreditNoteOut, CreditNotesBody, CurrenciesBody, InvoiceOut,
    InvoicesBody,
};
use settings::Settings;

/// Xero's OAuth 2.0 endpoints and the tenant list (`xero-identity.yaml`).
const AUTHORIZE_URL: &str = "https://login.xero.com/identity/connect/authorize";
const TOKEN_URL: &str = "https://identity.xero.com/connect/token";
const REVOKE_URL: &str = "https://identity.xero.com/connect/revocation";
const CONNECTIONS_URL: &str = "https://api.xero.com/connections";

/// Contacts per page when finding: a query matches few.
const FIND_PAGE_SIZE: u32 = 100;
/// Pages a find reads at most (a query matching more is not a usable link anyway).
const FIND_MAX_PAGES: u32 = 5;

/// The Xero connector. It keeps no state between calls.
pub struct XeroConnector;

impl Connector for XeroConnector {
    fn manifest() -> Manifest {
        let scopes: Vec<&str> = settings::GRANULAR_SCOPES.split_whitespace().collect();
        let mut manifest = ManifestBuilder::new("xero", "Xero", env!("CARGO_PKG_VERSION"))
            .description("Xero Accounting: contacts and sales invoices of one organisation.")
            .capabilities([
                Capability::PullCustomers,
                Capability::FindCustomers,
                Capability::PushCustomers,
                Capability::PullInvoices,
                Capability::PushJobInvoices,
                Capability::PushContractInvoices,
                Capability::GetInvoices,
                Capability::Delete,
            ])
            .oauth2(AUTHORIZE_URL, TOKEN_URL, Some(REVOKE_URL), &scopes)
            .oauth2_tenant_discovery(CONNECTIONS_URL)
            .allow_host("https://api.xero.com:443")
            // Xero's limits per organisation: 60 calls a minute, 5000 a day.
            .rate_limit(60, 60)
            .rate_limit(5000, 86_400);
        for s in &settings::ALL {
            manifest = manifest.setting(s.key, s.description, s.required, s.default);
        }
        manifest.build()
    }

    fn check() -> Result<CheckReport, ConnectorError> {
        let settings = Settings::load()?;
        #[derive(Deserialize)]
        struct Organisations {
            #[serde(rename = "Organisations", default)]
            organisations: Vec<Organisation>,
        }
        #[derive(Deserialize)]
        struct Organisation {
            #[serde(rename = "Name", default)]
            name: Option<String>,
        }
        let orgs: Organisations = Api::new(&settings).get("Organisation", None)?.json()?;
        let name = orgs
            .organisations
            .into_iter()
            .find_map(|o| o.name)
            .unwrap_or_else(|| "an unnamed organisation".to_owned());
        Ok(CheckReport {
            message: format!("Connected to {name} (Xero tenant {})", settings.tenant_id),
        })
    }

    fn pull_customers(
        since: Option<String>,
        cursor: Option<String>,
    ) -> Result<CustomerPage, ConnectorError> {
        let settings = Settings::load()?;
        let page = paging::page_of(cursor.as_deref())?;
        let since = since_header(since.as_deref())?;
        let path = format!(
            "Contacts?page={page}&pageSize={}&includeArchived=true",
            settings.page_size
        );
        let body: ContactsBody = Api::new(&settings).get(&path, since.as_deref())?.json()?;
        let next = paging::next_cursor(
            page,
            settings.page_size,
            body.contacts.len(),
            body.pagination.as_ref(),
        );
        let items: Vec<Customer> = body
            .contacts
            .iter()
            .filter_map(map::contact::customer_from_xero)
            .collect();
        log::debug(format!("pulled {} contacts from page {page}", items.len()));
        Ok(CustomerPage { items, next })
    }

    fn find_customers(query: CustomerQuery) -> Result<Vec<Customer>, ConnectorError> {
        let settings = Settings::load()?;
        let api = Api::new(&settings);
        let mut found: Vec<Customer> = Vec::new();
        // Exact filters first; for a tax number stored with other spacing, a broader one.
        for clause in find::where_clauses(&query)? {
            find_with(&api, &clause, &query, &mut found)?;
        }
        if found.is_empty()
            && let Some(fallback) = find::tax_number_fallback(&query)
        {
            find_with(&api, &fallback, &query, &mut found)?;
        }
        Ok(found)
    }

    fn push_customers(batch: Vec<Customer>) -> Vec<PushResult> {
        let keys: Vec<String> = batch.iter().map(|c| c.key.clone()).collect();
        let outcomes = match Settings::load() {
            Err(e) => batch.iter().map(|_| Err(e.clone())).collect(),
            Ok(settings) => push_contacts(&Api::new(&settings), &batch),
        };
        results(keys, outcomes)
    }

    fn pull_invoices(
        kind: InvoiceKind,
        since: Option<String>,
        cursor: Option<String>,
    ) -> Result<InvoicePage, ConnectorError> {
        let settings = Settings::load()?;
        let page = paging::invoice_page_of(cursor.as_deref())?;
        let since = since_header(since.as_deref())?;
        let api = Api::new(&settings);
        let (documents, pagination, what) = match page {
            paging::InvoicePage::Invoices(n) => {
                let path = format!(
                    "Invoices?page={n}&pageSize={}&where={}&unitdp=4",
                    settings.page_size,
                    encode("Type==\"ACCREC\"")
                );
                let body: InvoicesBody = api.get(&path, since.as_deref())?.json()?;
                (body.invoices, body.pagination, "invoices")
            }
            paging::InvoicePage::CreditNotes(n) => {
                let path = format!(
                    "CreditNotes?page={n}&pageSize={}&where={}&unitdp=4",
                    settings.page_size,
                    encode("Type==\"ACCRECCREDIT\"")
                );
                let body: CreditNotesBody = api.get(&path, since.as_deref())?.json()?;
                (body.credit_notes, body.pagination, "credit notes")
            }
        };
        // The page is full or short by what Xero returned, before documents of the other kind
        // are left out.
        let next = paging::next_invoice_cursor(
            page,
            settings.page_size,
            documents.len(),
            pagination.as_ref(),
        );
        let mut items = Vec::new();
        for x in &documents {
            let invoice = match page {
                paging::InvoicePage::Invoices(_) => {
                    map::invoice::invoice_from_xero(x, kind, &settings.mapping)?
                }
                paging::InvoicePage::CreditNotes(_) => {
                    map::credit_note::invoice_from_credit_note(x, kind, &settings.mapping)?
                }
            };
            items.extend(invoice);
        }
        log::debug(format!(
            "pulled {} {kind:?} invoices from {what} ({page:?})",
            items.len()
        ));
        Ok(InvoicePage { items, next })
    }

    /// Invoices by `IDs` and credit notes (`CN-…`) by `IDs`, one request each (the host
    /// asks for at most 100 ids; an id Xero does not have is simply not returned).
    fn get_invoices(kind: InvoiceKind, ids: Vec<String>) -> Result<Vec<Invoice>, ConnectorError> {
        let settings = Settings::load()?;
        let api = Api::new(&settings);
        let (notes, invoices): (Vec<&str>, Vec<&str>) = ids
            .iter()
            .map(String::as_str)
            .partition(|id| map::credit_note::credit_note_id(id).is_some());
        let mut items = Vec::new();
        if !invoices.is_empty() {
            let path = format!("Invoices?IDs={}&unitdp=4", encode(&invoices.join(",")));
            let body: InvoicesBody = api.get(&path, None)?.json()?;
            for x in &body.invoices {
                items.extend(map::invoice::invoice_from_xero(x, kind, &settings.mapping)?);
            }
        }
        if !notes.is_empty() {
            let bare: Vec<&str> = notes
                .iter()
                .filter_map(|id| map::credit_note::credit_note_id(id))
                .collect();
            let path = format!("CreditNotes?IDs={}&unitdp=4", encode(&bare.join(",")));
            let body: CreditNotesBody = api.get(&path, None)?.json()?;
            for x in &body.credit_notes {
                items.extend(map::credit_note::invoice_from_credit_note(
                    x,
                    kind,
                    &settings.mapping,
                )?);
            }
        }
        Ok(items)
    }

    fn push_invoices(batch: Vec<Invoice>) -> Vec<PushResult> {
        let keys: Vec<String> = batch.iter().map(|i| i.key.clone()).collect();
        let outcomes = match Settings::load() {
            Err(e) => batch.iter().map(|_| Err(e.clone())).collect(),
            Ok(settings) => push_sales_invoices(&Api::new(&settings), &settings, &batch),
        };
        results(keys, outcomes)
    }

    fn delete(kind: RecordKind, id: String) -> Result<(), ConnectorError> {
        let settings = Settings::load()?;
        let api = Api::new(&settings);
        let id = id.trim();
        match kind {
            RecordKind::Customer => {
                let body = envelope(
                    "Contacts",
                    &[ContactOut {
                        contact_id: Some(id.to_owned()),
                        contact_status: Some("ARCHIVED".to_owned()),
                        ..ContactOut::default()
                    }],
                )?;
                let key = idempotency_key("archive-contact", &[Some(id)], &body);
                let answer = api.post(&format!("Contacts/{}", encode(id)), body, &key);
                let sent = [Sent {
                    what: format!("contact {id}"),
                    update: true,
                    lines: vec![],
                }];
                single(batch::outcomes::<batch::Contacts>(
                    Record::Customer,
                    &sent,
                    borrowed(&answer),
                ))?;
                log::info(format!("archived contact {id}"));
                Ok(())
            }
            RecordKind::Invoice if map::credit_note::credit_note_id(id).is_some() => {
                let id = map::credit_note::credit_note_id(id).unwrap_or(id);
                delete_credit_note(&api, id)
            }
            RecordKind::Invoice => {
                let path = format!("Invoices/{}?unitdp=4", encode(id));
                let found: InvoicesBody = api.get(&path, None)?.json()?;
                let invoice = found
                    .invoices
                    .first()
                    .ok_or_else(|| error::not_found(format!("Xero has no invoice {id}")))?;
                let status = match delete::invoice_rollback(invoice)? {
                    delete::InvoiceRollback::Nothing => return Ok(()),
                    delete::InvoiceRollback::SetStatus(status) => status,
                };
                #[derive(Serialize)]
                struct StatusChange<'a> {
                    #[serde(rename = "InvoiceID")]
                    invoice_id: &'a str,
                    #[serde(rename = "Status")]
                    status: &'a str,
                }
                let body = envelope(
                    "Invoices",
                    &[StatusChange {
                        invoice_id: id,
                        status,
                    }],
                )?;
                let key = idempotency_key(
                    &format!("{}-invoice", status.to_ascii_lowercase()),
                    &[Some(id)],
                    &body,
                );
                let number = invoice
                    .invoice_number
                    .clone()
                    .unwrap_or_else(|| id.to_owned());
                let answer = api.post(&format!("Invoices/{}", encode(id)), body, &key);
                let sent = [Sent {
                    what: format!("invoice {number}"),
                    update: true,
                    lines: vec![],
                }];
                single(batch::outcomes::<batch::Invoices>(
                    Record::Invoice,
                    &sent,
                    borrowed(&answer),
                ))?;
                log::info(format!("set invoice {number} ({id}) to {status}"));
                Ok(())
            }
        }
    }
}

ledgerlink_sdk::export_connector!(XeroConnector);

/// Rolls back the credit note Xero knows as `id` (see [`delete::credit_note_rollback`]).
fn delete_credit_note(api: &Api<'_>, id: &str) -> Result<(), ConnectorError> {
    let path = format!("CreditNotes/{}?unitdp=4", encode(id));
    let found: CreditNotesBody = api.get(&path, None)?.json()?;
    let note = found
        .credit_notes
        .first()
        .ok_or_else(|| error::not_found(format!("Xero has no credit note {id}")))?;
    let status = match delete::credit_note_rollback(note)? {
        delete::InvoiceRollback::Nothing => return Ok(()),
        delete::InvoiceRollback::SetStatus(status) => status,
    };
    #[derive(Serialize)]
    struct StatusChange<'a> {
        #[serde(rename = "CreditNoteID")]
        credit_note_id: &'a str,
        #[serde(rename = "Status")]
        status: &'a str,
    }
    let body = envelope(
        "CreditNotes",
        &[StatusChange {
            credit_note_id: id,
            status,
        }],
    )?;
    let key = idempotency_key(
        &format!("{}-credit-note", status.to_ascii_lowercase()),
        &[Some(id)],
        &body,
    );
    let number = note
        .invoice_number
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| id.to_owned());
    let answer = api.post(&format!("CreditNotes/{}", encode(id)), body, &key);
    let sent = [Sent {
        what: format!("credit note {number}"),
        update: true,
        lines: vec![],
    }];
    single(batch::outcomes::<batch::CreditNotes>(
        Record::Invoice,
        &sent,
        borrowed(&answer),
    ))?;
    log::info(format!("set credit note {number} ({id}) to {status}"));
    Ok(())
}

/// Add to `found` the contacts `clause` selects that match `query`, reading at most
/// [`FIND_MAX_PAGES`] pages.
fn find_with(
    api: &Api<'_>,
    clause: &str,
    query: &CustomerQuery,
    found: &mut Vec<Customer>,
) -> Result<(), ConnectorError> {
    let filter = encode(clause);
    for page in 1..=FIND_MAX_PAGES {
        let path = format!("Contacts?where={filter}&page={page}&pageSize={FIND_PAGE_SIZE}");
        let body: ContactsBody = api.get(&path, None)?.json()?;
        for c in body
            .contacts
            .iter()
            .filter_map(map::contact::customer_from_xero)
        {
            if find::matches(&c, query) && !found.iter().any(|f| f.remote_id == c.remote_id) {
                found.push(c);
            }
        }
        let next = paging::next_cursor(
            page,
            FIND_PAGE_SIZE,
            body.contacts.len(),
            body.pagination.as_ref(),
        );
        if next.is_none() {
            break;
        }
    }
    Ok(())
}

/// `If-Modified-Since` for a contract `since`, refusing one that is not RFC 3339.
fn since_header(since: Option<&str>) -> Result<Option<String>, ConnectorError> {
    since
        .map(|s| {
            map::dates::if_modified_since(s).ok_or_else(|| {
                error::validation(format!(
                    "since must be an RFC 3339 timestamp like \"2026-11-22T01:21:27Z\", got {s:?}"
                ))
                .at("since")
            })
        })
        .transpose()
}

/// `{"<name>": [records]}` as JSON bytes.
fn envelope<T: Serialize>(name: &str, records: &[T]) -> Result<Vec<u8>, ConnectorError> {
    // Serialized to text first: `XeroNumber` writes raw JSON, which only a serializer to
    // text keeps exact (a `serde_json::Value` would turn it into an f64).
    let records = serde_json::to_string(records)
        .map_err(|e| error::validation(format!("could not write the request for Xero: {e}")))?;
    Ok(format!("{{{}:{records}}}", serde_json::Value::from(name)).into_bytes())
}

/// A batch answer as `batch::outcomes` reads it.
fn borrowed(
    answer: &Result<(u16, Vec<u8>), ConnectorError>,
) -> Result<(u16, &[u8]), ConnectorError> {
    answer
        .as_ref()
        .map(|(s, b)| (*s, b.as_slice()))
        .map_err(Clone::clone)
}

fn single(
    mut outcomes: Vec<Result<ledgerlink_sdk::types::Written, ConnectorError>>,
) -> Result<(), ConnectorError> {
    outcomes
        .pop()
        .unwrap_or_else(|| Err(error::transient("Xero gave no answer for the record")))
        .map(|_| ())
}

fn results(
    keys: Vec<String>,
    outcomes: Vec<Result<ledgerlink_sdk::types::Written, ConnectorError>>,
) -> Vec<PushResult> {
    keys.into_iter()
        .zip(outcomes)
        .map(|(key, outcome)| PushResult { key, outcome })
        .collect()
}

type Outcome = Result<ledgerlink_sdk::types::Written, ConnectorError>;

fn push_contacts(api: &Api<'_>, batch: &[Customer]) -> Vec<Outcome> {
    let prepared: Vec<Result<ContactOut, ConnectorError>> =
        batch.iter().map(map::contact::contact_to_xero).collect();
    let ready: Vec<usize> = batch::chunks(&prepared).concat();
    let mut sent_outcomes = Vec::new();
    for (group, update) in batch::creates_and_updates(&ready, |i| batch[i].remote_id.is_some()) {
        let records: Vec<&ContactOut> = group
            .iter()
            .filter_map(|&i| prepared[i].as_ref().ok())
            .collect();
        let sent: Vec<Sent> = group
            .iter()
            .map(|&i| Sent {
                what: format!("customer {:?}", batch[i].name),
                update,
                lines: vec![],
            })
            .collect();
        let answer = envelope("Contacts", &records).and_then(|body| {
            let keys: Vec<Option<&str>> = group
                .iter()
                .map(|&i| batch[i].idempotency_key.as_deref())
                .collect();
            let key = idempotency_key("contacts", &keys, &body);
            if update {
                api.post("Contacts?summarizeErrors=false", body, &key)
            } else {
                api.put("Contacts?summarizeErrors=false", body, &key)
            }
        });
        let outcomes =
            batch::outcomes::<batch::Contacts>(Record::Customer, &sent, borrowed(&answer));
        log_batch("contacts", &outcomes);
        sent_outcomes.extend(group.into_iter().zip(outcomes));
    }
    batch::merge(prepared, sent_outcomes)
}

/// The currency codes the organisation takes: its base currency and those added.
fn organisation_currencies(api: &Api<'_>) -> Result<Vec<String>, ConnectorError> {
    let body: CurrenciesBody = api.get("Currencies", None)?.json()?;
    Ok(body.currencies.into_iter().filter_map(|c| c.code).collect())
}

fn push_sales_invoices(api: &Api<'_>, settings: &Settings, batch: &[Invoice]) -> Vec<Outcome> {
    // One read of the organisation's currencies per push call, not per record.
    let currencies = if batch.is_empty() {
        Ok(Vec::new())
    } else {
        organisation_currencies(api)
    };
    let prepared: Vec<Result<Document, ConnectorError>> = batch
        .iter()
        .map(|i| {
            let enabled = currencies.as_ref().map_err(Clone::clone)?;
            if let Some(refused) = map::invoice::currency_refusal(i, enabled) {
                return Err(refused);
            }
            map::credit_note::document_to_xero(i, &settings.mapping)
        })
        .collect();
    let mut invoices: Vec<(usize, &InvoiceOut)> = Vec::new();
    let mut credit_notes: Vec<(usize, &CreditNoteOut)> = Vec::new();
    for (i, p) in prepared.iter().enumerate() {
        match p {
            Ok(Document::Invoice(out)) => invoices.push((i, out)),
            Ok(Document::CreditNote(out)) => credit_notes.push((i, out)),
            Err(_) => {}
        }
    }
    let mut sent_outcomes = send_documents(
        api,
        batch,
        &invoices,
        |out| &out.line_items,
        Documents {
            collection: "Invoices",
            noun: "invoice",
            key: "invoices",
            path: "Invoices?summarizeErrors=false&unitdp=4",
        },
        batch::outcomes::<batch::Invoices>,
    );
    let notes = send_documents(
        api,
        batch,
        &credit_notes,
        |out| &out.line_items,
        Documents {
            collection: "CreditNotes",
            noun: "credit note",
            key: "credit-notes",
            path: "CreditNotes?summarizeErrors=false&unitdp=4",
        },
        batch::outcomes::<batch::CreditNotes>,
    );
    sent_outcomes.extend(notes.into_iter().map(|(i, outcome)| {
        (
            i,
            outcome.map(|mut written| {
                written.remote_id = map::credit_note::remote_id(&written.remote_id);
                written
            }),
        )
    }));
    let prepared: Vec<Result<(), ConnectorError>> =
        prepared.into_iter().map(|p| p.map(|_| ())).collect();
    batch::merge(prepared, sent_outcomes)
}

/// Where and how one kind of sales document is sent.
struct Documents {
    /// The body's collection (`Invoices`, `CreditNotes`).
    collection: &'static str,
    /// Names a record in messages.
    noun: &'static str,
    /// Names the batch in its `Idempotency-Key`.
    key: &'static str,
    /// The request path and query.
    path: &'static str,
}

type BatchOutcomes = fn(
    Record,
    &[Sent],
    Result<(u16, &[u8]), ConnectorError>,
) -> Vec<Result<ledgerlink_sdk::types::Written, ConnectorError>>;

/// Sends `records` (input position, Xero body) in batches of [`batch::BATCH_SIZE`]; one
/// outcome per record, with its input position.
fn send_documents<T: Serialize>(
    api: &Api<'_>,
    batch: &[Invoice],
    records: &[(usize, &T)],
    lines_of: fn(&T) -> &Vec<map::xero::LineItemOut>,
    to: Documents,
    outcomes_of: BatchOutcomes,
) -> Vec<(usize, Outcome)> {
    let mut sent_outcomes = Vec::new();
    let positions: Vec<usize> = (0..records.len()).collect();
    let parts = batch::creates_and_updates(&positions, |r| batch[records[r].0].remote_id.is_some());
    for (part, update) in parts {
        let group: Vec<(usize, &T)> = part.iter().map(|&r| records[r]).collect();
        let sent: Vec<Sent> = group
            .iter()
            .map(|&(i, out)| Sent {
                what: format!("{} {}", to.noun, batch[i].number),
                update,
                lines: lines_of(out)
                    .iter()
                    .map(|l| SentLine {
                        account_code: l.account_code.clone(),
                        tax_type: l.tax_type.clone(),
                        item_code: l.item_code.clone(),
                    })
                    .collect(),
            })
            .collect();
        let bodies: Vec<&T> = group.iter().map(|&(_, out)| out).collect();
        let answer = envelope(to.collection, &bodies).and_then(|body| {
            let keys: Vec<Option<&str>> = group
                .iter()
                .map(|&(i, _)| batch[i].idempotency_key.as_deref())
                .collect();
            let key = idempotency_key(to.key, &keys, &body);
            // A POST without the document's id updates the one with its number.
            if update {
                api.post(to.path, body, &key)
            } else {
                api.put(to.path, body, &key)
            }
        });
        let outcomes = outcomes_of(Record::Invoice, &sent, borrowed(&answer));
        log_batch(to.collection, &outcomes);
        sent_outcomes.extend(group.iter().map(|&(i, _)| i).zip(outcomes));
    }
    sent_outcomes
}

fn log_batch(what: &str, outcomes: &[Outcome]) {
    let failed = outcomes.iter().filter(|o| o.is_err()).count();
    let message = format!(
        "pushed {} {what}: {} saved, {failed} refused",
        outcomes.len(),
        outcomes.len() - failed
    );
    if failed == 0 {
        log::info(message);
    } else {
        log::warn(message);
        for e in outcomes.iter().filter_map(|o| o.as_ref().err()) {
            log::debug(format!("refused: {}", e.message()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_declares_what_the_host_needs() {
        let m = XeroConnector::manifest();
        assert_eq!(m.name, "xero");
        assert_eq!(m.allowed_hosts, ["https://api.xero.com:443"]);
        let ledgerlink_sdk::types::AuthKind::Oauth2(o) = &m.auth else {
            panic!("oauth2")
        };
        assert_eq!(o.authorize_url, AUTHORIZE_URL);
        assert_eq!(o.token_url, TOKEN_URL);
        assert_eq!(o.revoke_url.as_deref(), Some(REVOKE_URL));
        assert_eq!(o.tenant_discovery.as_deref(), Some(CONNECTIONS_URL));
        assert_eq!(
            o.scopes,
            [
                "accounting.invoices",
                "accounting.contacts",
                "accounting.settings.read",
                "openid",
                "profile",
                "email",
                "offline_access"
            ]
        );
        assert_eq!(
            m.rate_limits
                .iter()
                .map(|r| (r.requests, r.window_seconds))
                .collect::<Vec<_>>(),
            vec![(60, 60), (5000, 86_400)]
        );
        assert_eq!(m.capabilities.len(), 8);
        assert!(m.capabilities.contains(&Capability::GetInvoices));
        let tenant = m
            .settings
            .iter()
            .find(|s| s.key == "tenant-id")
            .expect("tenant-id");
        assert!(tenant.required);
        let keys: Vec<&str> = m.settings.iter().map(|s| s.key.as_str()).collect();
        for key in [
            "scopes",
            "default-account-code",
            "item-accounts",
            "tax-types",
            "default-tax-type",
            "invoice-status",
            "job-reference-prefix",
            "contract-reference-prefix",
            "api-base",
        ] {
            assert!(keys.contains(&key), "{key}");
        }
    }

    #[test]
    fn bodies_keep_numbers_exact() {
        let out = map::invoice::invoice_to_xero(
            &Invoice {
                lines: vec![ledgerlink_sdk::types::InvoiceLine {
                    description: "x".into(),
                    quantity: "3".into(),
                    unit_price: "0.1".into(),
                    discount_percent: None,
                    amount: "0.30".into(),
                    item_code: None,
                    account_code: None,
                    tax_code: None,
                    tax_amount: None,
                    tax_rate: None,
                }],
                ..sample_invoice()
            },
            &map::Mapping::default(),
        )
        .expect("valid");
        let body = String::from_utf8(envelope("Invoices", &[out]).expect("body")).expect("utf8");
        assert!(
            body.starts_with(r#"{"Invoices":[{"Type":"ACCREC""#),
            "{body}"
        );
        assert!(
            body.contains(r#""Quantity":3,"UnitAmount":0.1,"AccountCode":"200","LineAmount":0.30"#),
            "{body}"
        );
    }

    fn sample_invoice() -> Invoice {
        Invoice {
            key: "k".into(),
            remote_id: None,
            version: None,
            idempotency_key: None,
            kind: InvoiceKind::Job,
            number: "INV-1".into(),
            customer: ledgerlink_sdk::types::CustomerRef {
                remote_id: Some("c".into()),
                name: "C".into(),
            },
            issue_date: "2026-01-02".into(),
            due_date: None,
            currency: "NZD".into(),
            tax_mode: ledgerlink_sdk::types::TaxMode::Exclusive,
            lines: vec![],
            subtotal: "0".into(),
            tax_total: "0".into(),
            total: "0".into(),
            reference: None,
            memo: None,
            status: ledgerlink_sdk::types::InvoiceStatus::Authorised,
            amount_paid: None,
            amount_due: None,
            locked: None,
            updated_at: None,
        }
    }

    #[test]
    fn a_since_that_is_not_rfc3339_is_refused() {
        let e = since_header(Some("yesterday")).expect_err("bad");
        assert_eq!(e.field(), Some("since"));
        assert_eq!(since_header(None).expect("none"), None);
    }
}

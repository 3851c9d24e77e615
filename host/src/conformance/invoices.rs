//! `invoices.<kind>.*`, for each kind the manifest lists: create with a customer, read back
//! with totals and tax equal to the cent, update the lines, replay, a paid one refused as
//! `locked`, and one bad record in a batch of ten.

use rust_decimal::Decimal;

use super::payments;
use super::records::{self, Draft, invoice_differences};
use super::report::Verdict;
use super::suite::{Checked, Suite, verdict};
use crate::model::{ConnectorError, CustomerRef, Invoice, InvoiceKind, RecordKind, WriteAction};

/// The checks of one kind, after `invoices.<kind>.`.
pub(super) const CHECKS: [&str; 6] = [
    "create",
    "read-back",
    "update-lines",
    "replay",
    "locked",
    "batch-one-bad",
];

/// Every kind, with its name in check names, its capability and its number letter.
pub(super) const KINDS: [(InvoiceKind, &str, &str, char); 3] = [
    (InvoiceKind::Job, "job", "push-job-invoices", 'J'),
    (
        InvoiceKind::Contract,
        "contract",
        "push-contract-invoices",
        'S',
    ),
    (InvoiceKind::Order, "order", "push-orders", 'O'),
];

/// Run every kind, each cleaning up after itself.
pub(super) async fn run(s: &mut Suite<'_>) {
    for (kind, label, capability, letter) in KINDS {
        let name = |check: &str| format!("invoices.{label}.{check}");
        if !s.can(capability) {
            for check in CHECKS {
                s.record(name(check), Ok(Suite::lacks(capability)));
            }
            continue;
        }
        let mut kind_run = KindRun {
            kind,
            letter,
            customer: None,
        };
        kind_run.run(s, &name).await;
        s.clean_up().await;
    }
}

struct KindRun {
    kind: InvoiceKind,
    letter: char,
    customer: Option<CustomerRef>,
}

impl KindRun {
    async fn run(&mut self, s: &mut Suite<'_>, name: &dyn Fn(&str) -> String) {
        let customer = match customer_for(s, self.letter).await {
            Ok(c) => c,
            Err(e) => {
                for check in CHECKS {
                    s.record(
                        name(check),
                        Err(format!("not run: no customer to bill: {e}")),
                    );
                }
                return;
            }
        };
        self.customer = Some(customer);
        let rate = s.options.tax_rate;
        let sensitive = records::rounding_sensitive(rate).unwrap_or(Decimal::new(1000, 2));
        let first = self.draft(s, 1, &[sensitive, sensitive, sensitive]);
        let written = match s.create_invoice(first.clone()).await {
            Ok(w) => {
                s.record(name(CHECKS[0]), Ok(Verdict::Pass));
                w
            }
            Err(e) => {
                s.record(name(CHECKS[0]), Err(e));
                for check in &CHECKS[1..3] {
                    s.record(name(check), Err("not run: the create failed".into()));
                }
                self.rest(s, name).await;
                return;
            }
        };
        let checked = self.read_back(s, &first, &written.remote_id).await;
        s.record(name(CHECKS[1]), checked);
        let checked = self.update_lines(s, &first, &written).await;
        s.record(name(CHECKS[2]), checked);
        self.rest(s, name).await;
    }

    /// The checks that need no earlier document.
    async fn rest(&self, s: &mut Suite<'_>, name: &dyn Fn(&str) -> String) {
        let checked = self.replay(s).await;
        s.record(name(CHECKS[3]), checked);
        let checked = self.locked(s).await;
        s.record(name(CHECKS[4]), checked);
        let checked = self.batch_one_bad(s).await;
        s.record(name(CHECKS[5]), checked);
    }

    /// An invoice numbered `CF<tag><letter><n>` of one line per amount.
    fn draft(&self, s: &mut Suite<'_>, n: u32, amounts: &[Decimal]) -> Invoice {
        let key = s.idempotency_key();
        let mut invoice = records::invoice(
            Draft {
                kind: self.kind,
                number: format!("CF{}{}{n}", s.tag, self.letter),
                customer: self.customer.clone().unwrap_or(CustomerRef {
                    remote_id: None,
                    name: String::new(),
                }),
                date: &s.today,
                amounts,
                key: format!("cf-invoice-{n}"),
            },
            s.options,
        );
        invoice.idempotency_key = Some(key);
        invoice
    }

    async fn read_back(&self, s: &Suite<'_>, sent: &Invoice, id: &str) -> Checked {
        if !s.reads_invoices() {
            return Ok(Verdict::NotApplicable(
                "the manifest lists neither get-invoices nor pull-invoices".into(),
            ));
        }
        let back = s.read_invoice(self.kind, id).await?;
        verdict(invoice_differences(sent, &back))
    }

    /// Replace the lines (two lines whose tax is exact, so only the update is tested):
    /// answered `updated` for the same id, and read back so.
    async fn update_lines(
        &self,
        s: &mut Suite<'_>,
        first: &Invoice,
        written: &crate::model::Written,
    ) -> Checked {
        let mut changed = self.draft(s, 1, &[Decimal::new(10000, 2), Decimal::new(4000, 2)]);
        changed.key = first.key.clone();
        changed.remote_id = Some(written.remote_id.clone());
        changed.version = written.version.clone();
        match s.push_invoice(changed.clone()).await? {
            Ok(w) if w.remote_id == written.remote_id && w.action == WriteAction::Updated => {}
            Ok(w) => {
                return Err(format!(
                    "the update was answered {:?} for id {}; Updated for {} was expected",
                    w.action, w.remote_id, written.remote_id
                ));
            }
            // A target that imports documents write-once (Salesorder's Historical invoices)
            // refuses every change of one just created as locked, with its reason: there is
            // no update to check.
            Err(e) if e.class() == "locked" => {
                return Ok(Verdict::NotApplicable(format!(
                    "the target keeps these documents write-once: {}",
                    e.describe()
                )));
            }
            Err(e) => return Err(format!("the update was refused: {}", e.describe())),
        }
        if !s.reads_invoices() {
            return Ok(Verdict::Pass);
        }
        let back = s.read_invoice(self.kind, &written.remote_id).await?;
        verdict(invoice_differences(&changed, &back))
    }

    /// The same create twice under one idempotency key: the first result again, one
    /// document.
    async fn replay(&self, s: &mut Suite<'_>) -> Checked {
        let invoice = self.draft(s, 2, &[Decimal::new(2000, 2)]);
        let first = s.create_invoice(invoice.clone()).await?;
        match s.push_invoice(invoice).await? {
            Ok(w) if w.remote_id == first.remote_id => Ok(Verdict::Pass),
            Ok(w) => {
                s.created(RecordKind::Invoice, &w.remote_id, "invoice");
                Err(format!(
                    "the replay was answered with another document ({} after {}); the same idempotency key must answer the first result",
                    w.remote_id, first.remote_id
                ))
            }
            Err(e) => Err(format!(
                "the replay was refused ({}); the same idempotency key must answer the first result",
                e.describe()
            )),
        }
    }

    /// Paid in full at the vendor, then changed: refused as `locked`.
    async fn locked(&self, s: &mut Suite<'_>) -> Checked {
        let connector = s.plugin.manifest().name.clone();
        if !payments::knows(&connector) {
            return Ok(Verdict::NotApplicable(format!(
                "contract 0.2 cannot pay an invoice, and the suite knows no payment endpoint for {connector}"
            )));
        }
        if self.kind == InvoiceKind::Order {
            return Ok(Verdict::NotApplicable("an order is not paid".into()));
        }
        let invoice = self.draft(s, 3, &[Decimal::new(5000, 2)]);
        let written = s.create_invoice(invoice.clone()).await?;
        let back = s.read_invoice(self.kind, &written.remote_id).await?;
        payments::pay(&connector, s.ctx, &back).await?;
        // Read again: paying may have moved the document's version.
        let paid = s.read_invoice(self.kind, &written.remote_id).await?;
        let mut changed = self.draft(s, 3, &[Decimal::new(6000, 2)]);
        changed.key = invoice.key.clone();
        changed.remote_id = Some(written.remote_id.clone());
        changed.version = paid.version.clone();
        match s.push_invoice(changed).await? {
            Err(ConnectorError::Locked(_)) => Ok(Verdict::Pass),
            Err(e) => Err(format!(
                "changing a paid invoice was refused as {}, not locked: {}",
                e.class(),
                e.message()
            )),
            Ok(w) => Err(format!(
                "changing a paid invoice was answered {:?}; it must be refused as locked",
                w.action
            )),
        }
    }

    /// Ten documents, the fourth with a quantity that is no number: it alone fails.
    async fn batch_one_bad(&self, s: &mut Suite<'_>) -> Checked {
        let mut batch = Vec::new();
        for i in 0..10u32 {
            let mut invoice = self.draft(s, 10 + i, &[Decimal::new(1000, 2)]);
            invoice.key = format!("cf-batch-{i}");
            if i == 3 {
                invoice.lines[0].quantity = "1,5".into();
            }
            batch.push(invoice);
        }
        let results = s.push_invoices(batch).await?;
        let mut failures = Vec::new();
        for (i, r) in results.iter().enumerate() {
            match (&r.outcome, i == 3) {
                (Ok(w), false) => s.created(RecordKind::Invoice, &w.remote_id, "invoice"),
                (Err(_), true) => {}
                (Ok(w), true) => {
                    s.created(RecordKind::Invoice, &w.remote_id, "invoice");
                    failures.push("the document with quantity \"1,5\" was accepted".to_owned());
                }
                (Err(e), false) => failures.push(format!(
                    "good document {} failed with the bad one: {}",
                    r.key,
                    e.describe()
                )),
            }
        }
        verdict(failures)
    }
}

/// A customer to bill: created for the purpose when the connector pushes customers, else
/// the first one a pull returns.
async fn customer_for(s: &mut Suite<'_>, letter: char) -> Result<CustomerRef, String> {
    if s.can("push-customers") {
        let mut c = records::customer(&s.tag, &format!("Billed {letter}"), "cf-billed".into());
        c.idempotency_key = Some(s.idempotency_key());
        let w = s.create_customer(c.clone()).await?;
        return Ok(CustomerRef {
            remote_id: Some(w.remote_id),
            name: c.name,
        });
    }
    if s.can("pull-customers") {
        let pages = s.pull_customer_pages(None).await?;
        if let Some(c) = pages.into_iter().flatten().find(|c| c.active) {
            return Ok(CustomerRef {
                remote_id: c.remote_id,
                name: c.name,
            });
        }
    }
    Err("the connector neither pushes customers nor has an active one to pull".into())
}

//! One reader per kind of record: [`Node`] → model record, every field checked.
//!
//! The field lists here are the file format: JSON keys, and (through `import::csv`) CSV
//! columns. `docs/home-format.md` documents them; keep the two in step.

use super::fields::{Fields, Ref};
use super::issues::Sink;
use super::node::Node;
use crate::home::model::{
    HomeAddress, HomeContract, HomeContractInvoice, HomeCustomer, HomeJob, HomeLine, InvoiceBody,
};
use crate::home::validation::{self, limits};

/// The fields of a customer.
pub(crate) const CUSTOMER_FIELDS: &[&str] = &[
    "id",
    "name",
    "account_number",
    "contact_name",
    "email",
    "phone",
    "tax_number",
    "billing_address",
    "shipping_address",
    "currency",
    "active",
    "flagged_for_integration",
    "updated_at",
];

/// The fields of an address.
pub(crate) const ADDRESS_FIELDS: &[&str] =
    &["line1", "line2", "city", "region", "postal_code", "country"];

/// The fields of a job.
pub(crate) const JOB_FIELDS: &[&str] = &[
    "id",
    "number",
    "customer_id",
    "status",
    "ready_for_invoice_1",
    "ready_for_invoice_2",
    "closed_at",
    "invoice_date",
    "due_date",
    "currency",
    "tax_mode",
    "subtotal",
    "tax_total",
    "total",
    "amount_paid",
    "memo",
    "lines",
    "updated_at",
];

/// The fields of an invoice line.
pub(crate) const LINE_FIELDS: &[&str] = &[
    "description",
    "quantity",
    "unit_price",
    "discount_percent",
    "amount",
    "item_code",
    "account_code",
    "tax_code",
    "tax_amount",
    "tax_rate",
];

/// The fields of a service contract.
pub(crate) const CONTRACT_FIELDS: &[&str] =
    &["id", "number", "customer_id", "description", "updated_at"];

/// The fields of a contract invoice.
pub(crate) const CONTRACT_INVOICE_FIELDS: &[&str] = &[
    "id",
    "number",
    "contract_id",
    "customer_id",
    "status",
    "ready_for_invoice_1",
    "ready_for_invoice_2",
    "invoice_date",
    "due_date",
    "currency",
    "tax_mode",
    "subtotal",
    "tax_total",
    "total",
    "amount_paid",
    "memo",
    "lines",
    "updated_at",
];

/// A customer, with where its id is.
pub(crate) fn customer(node: &Node, sink: &mut Sink) -> Option<(HomeCustomer, Vec<Ref>)> {
    let mut f = Fields::open(node, "customer", CUSTOMER_FIELDS, sink)?;
    let c = HomeCustomer {
        id: f.id("id"),
        name: f.required_text("name", limits::NAME),
        account_number: f.text("account_number", limits::CODE),
        contact_name: f.text("contact_name", limits::NAME),
        email: f.text("email", limits::EMAIL),
        phone: f.text("phone", limits::CODE),
        tax_number: f.text("tax_number", limits::CODE),
        billing_address: address(&mut f, "billing_address"),
        shipping_address: address(&mut f, "shipping_address"),
        currency: f.opt_currency("currency"),
        active: f.flag("active", true),
        flagged_for_integration: f.flag("flagged_for_integration", false),
        updated_at: f.timestamp("updated_at"),
    };
    let refs = f.finish()?;
    Some((c, refs))
}

fn address(f: &mut Fields<'_, '_>, key: &str) -> Option<HomeAddress> {
    let node = f.object(key)?;
    let mut a = Fields::open(node, "address", ADDRESS_FIELDS, f.sink())?;
    let address = HomeAddress {
        line1: a.text("line1", limits::ADDRESS_PART),
        line2: a.text("line2", limits::ADDRESS_PART),
        city: a.text("city", limits::ADDRESS_PART),
        region: a.text("region", limits::ADDRESS_PART),
        postal_code: a.text("postal_code", limits::ADDRESS_PART),
        country: a.text("country", limits::ADDRESS_PART),
    };
    a.finish()?;
    (!address.is_empty()).then_some(address)
}

/// A job, with where its id and customer reference are.
pub(crate) fn job(node: &Node, sink: &mut Sink) -> Option<(HomeJob, Vec<Ref>)> {
    let mut f = Fields::open(node, "job", JOB_FIELDS, sink)?;
    let id = f.id("id");
    let number = f.document_number("number");
    let customer_id = f.id("customer_id");
    let status = f.choice("status");
    let ready_for_invoice_1 = f.flag("ready_for_invoice_1", false);
    let ready_for_invoice_2 = f.flag("ready_for_invoice_2", false);
    let closed_at = f.timestamp("closed_at");
    let body = body(&mut f);
    let updated_at = f.timestamp("updated_at");
    let refs = f.finish()?;
    Some((
        HomeJob {
            id,
            number,
            customer_id,
            status: status?,
            ready_for_invoice_1,
            ready_for_invoice_2,
            closed_at,
            body: body?,
            updated_at,
        },
        refs,
    ))
}

/// A service contract, with where its id and customer reference are.
pub(crate) fn contract(node: &Node, sink: &mut Sink) -> Option<(HomeContract, Vec<Ref>)> {
    let mut f = Fields::open(node, "contract", CONTRACT_FIELDS, sink)?;
    let c = HomeContract {
        id: f.id("id"),
        number: f.required_text("number", limits::NUMBER),
        customer_id: f.id("customer_id"),
        description: f.text("description", limits::DESCRIPTION),
        updated_at: f.timestamp("updated_at"),
    };
    let refs = f.finish()?;
    Some((c, refs))
}

/// A contract invoice, with where its id and references are.
pub(crate) fn contract_invoice(
    node: &Node,
    sink: &mut Sink,
) -> Option<(HomeContractInvoice, Vec<Ref>)> {
    let mut f = Fields::open(node, "contract invoice", CONTRACT_INVOICE_FIELDS, sink)?;
    let id = f.id("id");
    let number = f.document_number("number");
    let contract_id = f.id("contract_id");
    let customer_id = f.id("customer_id");
    let status = f.choice("status");
    let ready_for_invoice_1 = f.flag("ready_for_invoice_1", false);
    let ready_for_invoice_2 = f.flag("ready_for_invoice_2", false);
    let body = body(&mut f);
    let updated_at = f.timestamp("updated_at");
    let refs = f.finish()?;
    Some((
        HomeContractInvoice {
            id,
            number,
            contract_id,
            customer_id,
            status: status?,
            ready_for_invoice_1,
            ready_for_invoice_2,
            body: body?,
            updated_at,
        },
        refs,
    ))
}

/// The invoice part of a job or contract invoice; the totals are checked only when every
/// amount could be read (otherwise they would be reported wrong twice).
fn body(f: &mut Fields<'_, '_>) -> Option<InvoiceBody> {
    let before = f.sink().count();
    let invoice_date = f.date("invoice_date");
    let due_date = f.opt_date("due_date");
    let currency = f.currency("currency");
    let tax_mode = f.choice("tax_mode");
    let subtotal = f.decimal("subtotal");
    let tax_total = f.decimal("tax_total");
    let total = f.decimal("total");
    let amount_paid = f.opt_decimal("amount_paid").unwrap_or_default();
    // Whether `total` and `amount_paid` were read: the paid check needs nothing else.
    let amounts_read = f.sink().count() == before;
    let memo = f.text("memo", limits::DESCRIPTION);
    let mut lines = Vec::new();
    for node in f.list("lines") {
        if let Some(l) = line(node, f.sink()) {
            lines.push(l);
        }
    }
    let body = InvoiceBody {
        invoice_date,
        due_date,
        currency,
        tax_mode: tax_mode?,
        subtotal,
        tax_total,
        total,
        amount_paid,
        memo,
        lines,
    };
    if f.sink().count() == before {
        if let Err(m) = validation::check_due_date(&body) {
            f.report("due_date", m);
        }
        for (field, m) in validation::check_totals(&body) {
            f.report(field.key(), m);
        }
    }
    if amounts_read && let Err(m) = validation::check_amount_paid(&body) {
        f.report("amount_paid", m);
    }
    Some(body)
}

fn line(node: &Node, sink: &mut Sink) -> Option<HomeLine> {
    let mut f = Fields::open(node, "line", LINE_FIELDS, sink)?;
    let line = HomeLine {
        description: f.required_text("description", limits::DESCRIPTION),
        quantity: f.decimal("quantity"),
        unit_price: f.decimal("unit_price"),
        discount_percent: f.opt_decimal("discount_percent"),
        amount: f.decimal("amount"),
        item_code: f.text("item_code", limits::CODE),
        account_code: f.text("account_code", limits::CODE),
        tax_code: f.text("tax_code", limits::CODE),
        tax_amount: f.opt_decimal("tax_amount"),
        tax_rate: f.opt_decimal("tax_rate"),
    };
    if let Some(Err(m)) = line.discount_percent.map(validation::check_discount) {
        f.report("discount_percent", m);
    }
    if let Some(Err(m)) = line.tax_rate.map(validation::check_tax_rate) {
        f.report("tax_rate", m);
    }
    f.finish()?;
    Some(line)
}

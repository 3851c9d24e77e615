//! Contract 0.1.0's records ⇄ the host's model. What 0.1 cannot carry is absent on the way
//! in (no payment amounts, no per-line tax rate) and refused on the way out (an order).

use super::exports::ledgerlink::connector::connector as v01_connector;
use super::ledgerlink::connector::{manifest_types as v01m, types as v01};
use crate::model;
use crate::runtime::bindings as now;
use crate::runtime::convert::{same_enum, same_struct};

same_enum!(v01::TaxMode, model::TaxMode, [Exclusive, Inclusive, None]);
same_enum!(
    v01::InvoiceStatus,
    model::InvoiceStatus,
    [Draft, Authorised, Paid, Voided]
);
same_enum!(v01::RecordKind, model::RecordKind, [Customer, Invoice]);
same_enum!(
    v01::WriteAction,
    model::WriteAction,
    [Created, Updated, Unchanged]
);
same_struct!(v01, Address, {
    line1, line2, city, region, postal_code, country
});
same_struct!(v01, CustomerRef, { remote_id, name });
same_struct!(v01, ErrorDetail, { message, field });
same_struct!(v01, DuplicateDetail, {
    message, field, existing_id
});
same_struct!(v01, RateLimitDetail, {
    message, retry_after_ms
});
same_struct!(v01, CustomerQuery, { name, email, tax_number });
// 0.1 had no note.
impl From<v01::Written> for model::Written {
    fn from(x: v01::Written) -> model::Written {
        model::Written {
            remote_id: x.remote_id,
            version: x.version,
            action: x.action.into(),
            note: None,
        }
    }
}
impl From<model::Written> for v01::Written {
    fn from(x: model::Written) -> v01::Written {
        v01::Written {
            remote_id: x.remote_id,
            version: x.version,
            action: x.action.into(),
        }
    }
}

impl From<v01_connector::CheckReport> for model::CheckReport {
    fn from(x: v01_connector::CheckReport) -> model::CheckReport {
        model::CheckReport { message: x.message }
    }
}

impl From<v01::InvoiceKind> for model::InvoiceKind {
    fn from(x: v01::InvoiceKind) -> model::InvoiceKind {
        match x {
            v01::InvoiceKind::Job => model::InvoiceKind::Job,
            v01::InvoiceKind::Contract => model::InvoiceKind::Contract,
        }
    }
}

/// An invoice kind 0.1 has, or `None` (an order: 0.1 has no orders).
pub(crate) fn kind_out(x: model::InvoiceKind) -> Option<v01::InvoiceKind> {
    match x {
        model::InvoiceKind::Job => Some(v01::InvoiceKind::Job),
        model::InvoiceKind::Contract => Some(v01::InvoiceKind::Contract),
        model::InvoiceKind::Order => None,
    }
}

impl From<v01::Customer> for model::Customer {
    fn from(x: v01::Customer) -> model::Customer {
        model::Customer {
            key: x.key,
            remote_id: x.remote_id,
            version: x.version,
            idempotency_key: x.idempotency_key,
            name: x.name,
            account_number: x.account_number,
            contact_name: x.contact_name,
            email: x.email,
            phone: x.phone,
            tax_number: x.tax_number,
            billing_address: x.billing_address.map(Into::into),
            shipping_address: x.shipping_address.map(Into::into),
            currency: x.currency,
            active: x.active,
            updated_at: x.updated_at,
        }
    }
}

impl From<model::Customer> for v01::Customer {
    fn from(x: model::Customer) -> v01::Customer {
        v01::Customer {
            key: x.key,
            remote_id: x.remote_id,
            version: x.version,
            idempotency_key: x.idempotency_key,
            name: x.name,
            account_number: x.account_number,
            contact_name: x.contact_name,
            email: x.email,
            phone: x.phone,
            tax_number: x.tax_number,
            billing_address: x.billing_address.map(Into::into),
            shipping_address: x.shipping_address.map(Into::into),
            currency: x.currency,
            active: x.active,
            updated_at: x.updated_at,
        }
    }
}

fn line_in(x: v01::InvoiceLine) -> model::InvoiceLine {
    model::InvoiceLine {
        description: x.description,
        quantity: x.quantity,
        unit_price: x.unit_price,
        discount_percent: x.discount_percent,
        amount: x.amount,
        item_code: x.item_code,
        account_code: x.account_code,
        tax_code: x.tax_code,
        tax_amount: x.tax_amount,
        tax_rate: None,
    }
}

fn line_out(x: model::InvoiceLine) -> v01::InvoiceLine {
    v01::InvoiceLine {
        description: x.description,
        quantity: x.quantity,
        unit_price: x.unit_price,
        discount_percent: x.discount_percent,
        amount: x.amount,
        item_code: x.item_code,
        account_code: x.account_code,
        tax_code: x.tax_code,
        tax_amount: x.tax_amount,
    }
}

impl From<v01::Invoice> for model::Invoice {
    fn from(x: v01::Invoice) -> model::Invoice {
        model::Invoice {
            key: x.key,
            remote_id: x.remote_id,
            version: x.version,
            idempotency_key: x.idempotency_key,
            kind: x.kind.into(),
            number: x.number,
            customer: x.customer.into(),
            issue_date: x.issue_date,
            due_date: x.due_date,
            currency: x.currency,
            tax_mode: x.tax_mode.into(),
            lines: x.lines.into_iter().map(line_in).collect(),
            subtotal: x.subtotal,
            tax_total: x.tax_total,
            total: x.total,
            reference: x.reference,
            memo: x.memo,
            status: x.status.into(),
            amount_paid: None,
            amount_due: None,
            locked: None,
            updated_at: x.updated_at,
        }
    }
}

/// The 0.1 form of an invoice, or `None` for an order (0.1 cannot carry one).
pub(crate) fn invoice_out(x: model::Invoice) -> Option<v01::Invoice> {
    Some(v01::Invoice {
        key: x.key,
        remote_id: x.remote_id,
        version: x.version,
        idempotency_key: x.idempotency_key,
        kind: kind_out(x.kind)?,
        number: x.number,
        customer: x.customer.into(),
        issue_date: x.issue_date,
        due_date: x.due_date,
        currency: x.currency,
        tax_mode: x.tax_mode.into(),
        lines: x.lines.into_iter().map(line_out).collect(),
        subtotal: x.subtotal,
        tax_total: x.tax_total,
        total: x.total,
        reference: x.reference,
        memo: x.memo,
        status: x.status.into(),
        updated_at: x.updated_at,
    })
}

impl From<v01::CustomerPage> for model::CustomerPage {
    fn from(x: v01::CustomerPage) -> model::CustomerPage {
        model::CustomerPage {
            items: x.items.into_iter().map(Into::into).collect(),
            next: x.next,
        }
    }
}

impl From<v01::InvoicePage> for model::InvoicePage {
    fn from(x: v01::InvoicePage) -> model::InvoicePage {
        model::InvoicePage {
            items: x.items.into_iter().map(Into::into).collect(),
            next: x.next,
        }
    }
}

impl From<v01::ConnectorError> for model::ConnectorError {
    fn from(x: v01::ConnectorError) -> model::ConnectorError {
        use model::ConnectorError as M;
        use v01::ConnectorError as W;
        match x {
            W::Validation(d) => M::Validation(d.into()),
            W::Duplicate(d) => M::Duplicate(d.into()),
            W::Stale(d) => M::Stale(d.into()),
            W::Locked(d) => M::Locked(d.into()),
            W::NotFound(d) => M::NotFound(d.into()),
            W::Auth(d) => M::Auth(d.into()),
            W::RateLimited(d) => M::RateLimited(d.into()),
            W::Transient(d) => M::Transient(d.into()),
            W::Unsupported(d) => M::Unsupported(d.into()),
        }
    }
}

impl From<v01::PushResult> for model::PushResult {
    fn from(x: v01::PushResult) -> model::PushResult {
        model::PushResult {
            key: x.key,
            outcome: x.outcome.map(Into::into).map_err(Into::into),
        }
    }
}

/// A 0.1 manifest in the current contract's terms (0.1's capabilities are a subset).
pub(crate) fn manifest(x: v01m::PluginManifest) -> now::PluginManifest {
    let capability = |c: v01m::Capability| match c {
        v01m::Capability::PullCustomers => now::Capability::PullCustomers,
        v01m::Capability::FindCustomers => now::Capability::FindCustomers,
        v01m::Capability::PushCustomers => now::Capability::PushCustomers,
        v01m::Capability::PullInvoices => now::Capability::PullInvoices,
        v01m::Capability::PushJobInvoices => now::Capability::PushJobInvoices,
        v01m::Capability::PushContractInvoices => now::Capability::PushContractInvoices,
        v01m::Capability::Delete => now::Capability::Delete,
    };
    let auth = match x.auth {
        v01m::AuthKind::None => now::AuthKind::None,
        v01m::AuthKind::Oauth2(o) => now::AuthKind::Oauth2(now::Oauth2 {
            authorize_url: o.authorize_url,
            token_url: o.token_url,
            revoke_url: o.revoke_url,
            scopes: o.scopes,
            tenant_discovery: o.tenant_discovery,
            callback_params: o.callback_params,
        }),
        v01m::AuthKind::ApiKey(k) => now::AuthKind::ApiKey(now::ApiKey {
            header: k.header,
            prefix: k.prefix,
        }),
    };
    now::PluginManifest {
        name: x.name,
        display_name: x.display_name,
        version: x.version,
        description: x.description,
        capabilities: x.capabilities.into_iter().map(capability).collect(),
        auth,
        allowed_hosts: x.allowed_hosts,
        settings: x
            .settings
            .into_iter()
            .map(|s| now::Setting {
                key: s.key,
                description: s.description,
                required: s.required,
                default: s.default,
            })
            .collect(),
        rate_limits: x
            .rate_limits
            .into_iter()
            .map(|r| now::RateLimit {
                requests: r.requests,
                window_seconds: r.window_seconds,
            })
            .collect(),
    }
}

//! The plugin boundary: the contract's generated types ⇄ the host's canonical model
//! ([`crate::model`]). Nothing outside `runtime` sees a generated type.
//!
//! One `From` per direction and type; a later contract version adds its own module beside
//! this one converting its types to the same model.

use super::bindings as wit;
use crate::model;

/// `From` both ways between two enums with the same variants.
macro_rules! same_enum {
    ($a:ty, $b:ty, [$($v:ident),* $(,)?]) => {
        impl From<$a> for $b {
            fn from(x: $a) -> $b {
                match x { $(<$a>::$v => <$b>::$v),* }
            }
        }
        impl From<$b> for $a {
            fn from(x: $b) -> $a {
                match x { $(<$b>::$v => <$a>::$v),* }
            }
        }
    };
}

same_enum!(wit::InvoiceKind, model::InvoiceKind, [Job, Contract, Order]);
same_enum!(wit::TaxMode, model::TaxMode, [Exclusive, Inclusive, None]);
same_enum!(
    wit::InvoiceStatus,
    model::InvoiceStatus,
    [Draft, Authorised, Paid, Voided]
);
same_enum!(wit::RecordKind, model::RecordKind, [Customer, Invoice]);
same_enum!(
    wit::WriteAction,
    model::WriteAction,
    [Created, Updated, Unchanged]
);

/// `From` both ways between `$w::$n` and `model::$n`, records with the same fields
/// (`convert` ones converted themselves).
macro_rules! same_struct {
    ($w:ident, $n:ident, { $($f:ident),* $(,)? } $(, convert { $($g:ident),* $(,)? })?) => {
        impl From<$w::$n> for model::$n {
            fn from(x: $w::$n) -> model::$n {
                model::$n { $($f: x.$f,)* $($($g: x.$g.into(),)*)? }
            }
        }
        impl From<model::$n> for $w::$n {
            fn from(x: model::$n) -> $w::$n {
                $w::$n { $($f: x.$f,)* $($($g: x.$g.into(),)*)? }
            }
        }
    };
}
pub(crate) use {same_enum, same_struct};

same_struct!(wit, Address, {
    line1, line2, city, region, postal_code, country
});
same_struct!(wit, CustomerRef, { remote_id, name });
same_struct!(wit, InvoiceLine, {
    description, quantity, unit_price, discount_percent, amount, item_code, account_code,
    tax_code, tax_amount, tax_rate
});
same_struct!(wit, ErrorDetail, { message, field });
same_struct!(wit, DuplicateDetail, {
    message, field, existing_id
});
same_struct!(wit, RateLimitDetail, {
    message, retry_after_ms
});
same_struct!(wit, CustomerQuery, { name, email, tax_number });
same_struct!(wit, Written, { remote_id, version, note }, convert { action });
same_struct!(wit, CheckReport, { message });

impl From<wit::Customer> for model::Customer {
    fn from(x: wit::Customer) -> model::Customer {
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

impl From<model::Customer> for wit::Customer {
    fn from(x: model::Customer) -> wit::Customer {
        wit::Customer {
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

impl From<wit::Invoice> for model::Invoice {
    fn from(x: wit::Invoice) -> model::Invoice {
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
            lines: x.lines.into_iter().map(Into::into).collect(),
            subtotal: x.subtotal,
            tax_total: x.tax_total,
            total: x.total,
            reference: x.reference,
            memo: x.memo,
            status: x.status.into(),
            amount_paid: x.amount_paid,
            amount_due: x.amount_due,
            locked: x.locked,
            updated_at: x.updated_at,
        }
    }
}

impl From<model::Invoice> for wit::Invoice {
    fn from(x: model::Invoice) -> wit::Invoice {
        wit::Invoice {
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
            lines: x.lines.into_iter().map(Into::into).collect(),
            subtotal: x.subtotal,
            tax_total: x.tax_total,
            total: x.total,
            reference: x.reference,
            memo: x.memo,
            status: x.status.into(),
            amount_paid: x.amount_paid,
            amount_due: x.amount_due,
            locked: x.locked,
            updated_at: x.updated_at,
        }
    }
}

impl From<wit::CustomerPage> for model::CustomerPage {
    fn from(x: wit::CustomerPage) -> model::CustomerPage {
        model::CustomerPage {
            items: x.items.into_iter().map(Into::into).collect(),
            next: x.next,
        }
    }
}

impl From<wit::InvoicePage> for model::InvoicePage {
    fn from(x: wit::InvoicePage) -> model::InvoicePage {
        model::InvoicePage {
            items: x.items.into_iter().map(Into::into).collect(),
            next: x.next,
        }
    }
}

impl From<wit::ConnectorError> for model::ConnectorError {
    fn from(x: wit::ConnectorError) -> model::ConnectorError {
        use model::ConnectorError as M;
        use wit::ConnectorError as W;
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

impl From<wit::PushResult> for model::PushResult {
    fn from(x: wit::PushResult) -> model::PushResult {
        model::PushResult {
            key: x.key,
            outcome: x.outcome.map(Into::into).map_err(Into::into),
        }
    }
}

/// A plugin's `result<T, connector-error>` in the model's terms, whichever contract version
/// it came from.
pub(crate) fn answer<T, U: From<T>, E: Into<model::ConnectorError>>(
    r: Result<T, E>,
) -> Result<U, model::ConnectorError> {
    r.map(Into::into).map_err(Into::into)
}

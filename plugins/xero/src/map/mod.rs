//! Canonical records ⇄ Xero's JSON, field by field.
//!
//! Pure functions only: no host import is called here, so the mapping runs the same natively
//! (unit tests, benchmarks) and inside the plugin. The connection's settings that shape the
//! mapping come in as a [`Mapping`].
//!
//! | canonical | Xero |
//! |---|---|
//! | customer `name`, `account-number`, `email`, `tax-number`, `currency` | `Name`, `AccountNumber`, `EmailAddress`, `TaxNumber`, `DefaultCurrency` |
//! | `contact-name` | `FirstName` (all words but the last) + `LastName` (the last word) |
//! | `phone` | the `DEFAULT` phone's `PhoneNumber` (pulled: country code, area code and number joined by spaces) |
//! | `billing-address` / `shipping-address` | `Addresses` of type `POBOX` / `STREET` |
//! | `active` | `ContactStatus` `ACTIVE` / `ARCHIVED` (`GDPRREQUEST` is pulled as inactive) |
//! | `updated-at` | `UpdatedDateUTC` (`/Date(ms+0000)/`) as RFC 3339 UTC |
//! | invoice `number`, `issue-date`, `due-date`, `currency` | `InvoiceNumber`, `Date`, `DueDate`, `CurrencyCode` (`Type` is always `ACCREC`) |
//! | `kind` + `reference` | `Reference`, marked with the kind's prefix (see [`Mapping::xero_reference`]) |
//! | `customer.remote-id` | `Contact.ContactID` |
//! | `tax-mode` | `LineAmountTypes` `Exclusive` / `Inclusive` / `NoTax` |
//! | `status` | pushed: the `invoice-status` setting; pulled: `DRAFT`/`SUBMITTED` → draft, `AUTHORISED` → authorised, `PAID` → paid, `VOIDED`/`DELETED` → voided |
//! | line `description`, `quantity`, `unit-price`, `discount-percent`, `amount`, `item-code`, `tax-amount` | `Description`, `Quantity`, `UnitAmount`, `DiscountRate`, `LineAmount`, `ItemCode`, `TaxAmount` |
//! | line `account-code` | `AccountCode`: the line's own, else `item-accounts[item-code]`, else `default-account-code` |
//! | line `tax-code` | `TaxType`: `tax-types[tax-code]`, else the code itself; no code → `default-tax-type` |
//! | `subtotal`, `tax-total`, `total` | pulled from `SubTotal`, `TotalTax`, `Total` (Xero computes them) |
//! | `memo` | not sent: a Xero sales invoice has no memo field |
//!
//! Numbers are written and read as exact decimal text ([`number`]); dates as in [`dates`].

pub mod contact;
pub mod credit_note;
pub mod dates;
pub mod invoice;
pub mod number;
pub mod xero;

use ledgerlink_sdk::types::InvoiceKind;

/// The status new and updated invoices get in Xero (setting `invoice-status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewInvoiceStatus {
    /// `DRAFT`: editable, not yet approved.
    Draft,
    /// `SUBMITTED`: awaiting approval.
    Submitted,
    /// `AUTHORISED`: approved, awaiting payment.
    Authorised,
}

impl NewInvoiceStatus {
    /// Xero's spelling.
    pub fn as_xero(self) -> &'static str {
        match self {
            Self::Draft => "DRAFT",
            Self::Submitted => "SUBMITTED",
            Self::Authorised => "AUTHORISED",
        }
    }

    /// From Xero's spelling (any case).
    pub fn from_xero(value: &str) -> Option<Self> {
        match value.trim().to_ascii_uppercase().as_str() {
            "DRAFT" => Some(Self::Draft),
            "SUBMITTED" => Some(Self::Submitted),
            "AUTHORISED" => Some(Self::Authorised),
            _ => None,
        }
    }
}

/// `KEY=VALUE` pairs of a mapping setting, in the order written. Keys match without regard
/// to ASCII case ("gst" finds "GST").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeMap(pub Vec<(String, String)>);

impl CodeMap {
    /// The value for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// The first key whose value is `value` (for mapping pulled records back).
    pub fn key_of(&self, value: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(_, v)| v.eq_ignore_ascii_case(value))
            .map(|(k, _)| k.as_str())
    }
}

/// Everything about a connection that shapes the mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// `AccountCode` of lines with no account code and no mapped item.
    pub default_account_code: String,
    /// Item code → `AccountCode`.
    pub item_accounts: CodeMap,
    /// Canonical tax code → Xero `TaxType`.
    pub tax_types: CodeMap,
    /// `TaxType` of lines without a tax code; `None` lets Xero use the account's default.
    pub default_tax_type: Option<String>,
    /// Status of pushed invoices.
    pub invoice_status: NewInvoiceStatus,
    /// Marks a job invoice's `Reference` (empty: job invoices are not marked, and every
    /// unmarked sales invoice is pulled as a job invoice).
    pub job_reference_prefix: String,
    /// Marks a contract invoice's `Reference` (empty: likewise, for contract invoices).
    pub contract_reference_prefix: String,
}

impl Default for Mapping {
    /// The mapping of a connection that sets nothing but `tenant-id`.
    fn default() -> Self {
        Self {
            default_account_code: "200".to_owned(),
            item_accounts: CodeMap::default(),
            tax_types: CodeMap::default(),
            default_tax_type: None,
            invoice_status: NewInvoiceStatus::Authorised,
            job_reference_prefix: "Job".to_owned(),
            contract_reference_prefix: "Contract".to_owned(),
        }
    }
}

impl Mapping {
    fn prefix(&self, kind: InvoiceKind) -> &str {
        match kind {
            InvoiceKind::Job => &self.job_reference_prefix,
            InvoiceKind::Contract => &self.contract_reference_prefix,
            // The manifest lists no push-orders, so the host never sends an order here.
            InvoiceKind::Order => "Order",
        }
    }

    /// The Xero `Reference` of an invoice of `kind`: the kind's prefix, a space, and the
    /// canonical reference (`Job J-1001`, `Contract SC-7`); the prefix alone when there is no
    /// reference; the reference alone when the kind's prefix is empty.
    pub fn xero_reference(&self, kind: InvoiceKind, reference: Option<&str>) -> Option<String> {
        let prefix = self.prefix(kind);
        let reference = reference.map(str::trim).filter(|r| !r.is_empty());
        match (prefix.is_empty(), reference) {
            (true, None) => None,
            (true, Some(r)) => Some(r.to_owned()),
            (false, None) => Some(prefix.to_owned()),
            (false, Some(r)) => Some(format!("{prefix} {r}")),
        }
    }

    /// Which kind a Xero `Reference` marks, and the canonical reference inside it; `None`
    /// when it is marked as neither (an invoice made in Xero by hand, with both prefixes
    /// set). A marked prefix wins over an empty one; the longer prefix is tried first so
    /// "Job" and "Job card" can both be used.
    pub fn kind_of_reference(
        &self,
        reference: Option<&str>,
    ) -> Option<(InvoiceKind, Option<String>)> {
        let reference = reference.map(str::trim).unwrap_or("");
        let mut marked = [
            (InvoiceKind::Job, self.job_reference_prefix.as_str()),
            (
                InvoiceKind::Contract,
                self.contract_reference_prefix.as_str(),
            ),
        ];
        marked.sort_by_key(|(_, p)| std::cmp::Reverse(p.len()));
        for (kind, prefix) in marked.iter().filter(|(_, p)| !p.is_empty()) {
            if reference == *prefix {
                return Some((*kind, None));
            }
            if let Some(rest) = reference.strip_prefix(prefix)
                && let Some(rest) = rest.strip_prefix(' ')
            {
                let rest = rest.trim();
                return Some((*kind, (!rest.is_empty()).then(|| rest.to_owned())));
            }
        }
        marked
            .iter()
            .find(|(_, p)| p.is_empty())
            .map(|(kind, _)| (*kind, (!reference.is_empty()).then(|| reference.to_owned())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_marked_with_their_kind_and_read_back() {
        let m = Mapping::default();
        assert_eq!(
            m.xero_reference(InvoiceKind::Job, Some("J-1001"))
                .as_deref(),
            Some("Job J-1001")
        );
        assert_eq!(
            m.xero_reference(InvoiceKind::Contract, Some("SC-7"))
                .as_deref(),
            Some("Contract SC-7")
        );
        assert_eq!(
            m.xero_reference(InvoiceKind::Job, None).as_deref(),
            Some("Job")
        );
        assert_eq!(
            m.kind_of_reference(Some("Job J-1001")),
            Some((InvoiceKind::Job, Some("J-1001".to_owned())))
        );
        assert_eq!(
            m.kind_of_reference(Some("Contract SC-7")),
            Some((InvoiceKind::Contract, Some("SC-7".to_owned())))
        );
        assert_eq!(
            m.kind_of_reference(Some("Job")),
            Some((InvoiceKind::Job, None))
        );
        // Made in Xero by hand: neither kind.
        assert_eq!(m.kind_of_reference(Some("Website Design")), None);
        assert_eq!(m.kind_of_reference(Some("Jobless")), None);
        assert_eq!(m.kind_of_reference(None), None);
    }

    #[test]
    fn an_empty_prefix_takes_every_unmarked_invoice() {
        let m = Mapping {
            job_reference_prefix: String::new(),
            ..Mapping::default()
        };
        assert_eq!(
            m.xero_reference(InvoiceKind::Job, Some("J-1")).as_deref(),
            Some("J-1")
        );
        assert_eq!(m.xero_reference(InvoiceKind::Job, None), None);
        assert_eq!(
            m.kind_of_reference(Some("Website Design")),
            Some((InvoiceKind::Job, Some("Website Design".to_owned())))
        );
        assert_eq!(m.kind_of_reference(None), Some((InvoiceKind::Job, None)));
        assert_eq!(
            m.kind_of_reference(Some("Contract SC-7")),
            Some((InvoiceKind::Contract, Some("SC-7".to_owned())))
        );
    }

    #[test]
    fn the_longer_prefix_wins() {
        let m = Mapping {
            job_reference_prefix: "TP".to_owned(),
            contract_reference_prefix: "TP contract".to_owned(),
            ..Mapping::default()
        };
        assert_eq!(
            m.kind_of_reference(Some("TP contract SC-7")),
            Some((InvoiceKind::Contract, Some("SC-7".to_owned())))
        );
        assert_eq!(
            m.kind_of_reference(Some("TP J-1")),
            Some((InvoiceKind::Job, Some("J-1".to_owned())))
        );
    }

    #[test]
    fn code_maps_match_keys_without_case() {
        let map = CodeMap(vec![
            ("GST".into(), "OUTPUT2".into()),
            ("NONE".into(), "NONE".into()),
        ]);
        assert_eq!(map.get("gst"), Some("OUTPUT2"));
        assert_eq!(map.get("VAT"), None);
        assert_eq!(map.key_of("OUTPUT2"), Some("GST"));
    }
}

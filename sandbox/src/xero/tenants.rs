//! The two demo organisations every Xero grant in the sandbox covers.

use uuid::Uuid;

use crate::grants::Tenant;

/// Tenant id (`OrganisationID`) of "Demo Company (NZ)".
pub const XERO_TENANT_NZ_ID: &str = "3f6c2a4e-1b7d-4c8a-9e2f-5a6b7c8d9e01";
/// Tenant id (`OrganisationID`) of "Demo Company (US)".
pub const XERO_TENANT_US_ID: &str = "7b1e9d3c-2a4f-4e6b-8c0d-1e2f3a4b5c02";

/// One demo organisation, with the `Organisation` fields the sandbox serves.
#[derive(Debug)]
pub(crate) struct DemoOrganisation {
    pub(crate) id: &'static str,
    pub(crate) name: &'static str,
    pub(crate) version: &'static str,
    pub(crate) base_currency: &'static str,
    pub(crate) country_code: &'static str,
    pub(crate) timezone: &'static str,
    pub(crate) short_code: &'static str,
    pub(crate) financial_year_end_month: u8,
    pub(crate) sales_tax_basis: &'static str,
    /// `CreatedDateUTC`, milliseconds since the Unix epoch (fixed: the demo
    /// companies exist before any grant).
    pub(crate) created_millis: u64,
}

/// The organisations a grant covers, in connection order.
pub(crate) static DEMO_ORGANISATIONS: [DemoOrganisation; 2] = [
    DemoOrganisation {
        id: XERO_TENANT_NZ_ID,
        name: "Demo Company (NZ)",
        version: "NZ",
        base_currency: "NZD",
        country_code: "NZ",
        timezone: "NEWZEALANDSTANDARDTIME",
        short_code: "!sbxNZ",
        financial_year_end_month: 3,
        sales_tax_basis: "PAYMENTS",
        created_millis: 1_577_836_800_000,
    },
    DemoOrganisation {
        id: XERO_TENANT_US_ID,
        name: "Demo Company (US)",
        version: "US",
        base_currency: "USD",
        country_code: "US",
        timezone: "EASTERNSTANDARDTIME",
        short_code: "!sbxUS",
        financial_year_end_month: 12,
        sales_tax_basis: "ACCRUALS",
        created_millis: 1_577_836_800_000,
    },
];

/// The organisation with tenant id `id`.
pub(crate) fn organisation(id: &str) -> Option<&'static DemoOrganisation> {
    DEMO_ORGANISATIONS
        .iter()
        .find(|organisation| organisation.id == id)
}

/// One new connection per demo organisation, each with a fresh connection id.
pub(crate) fn new_connections() -> Vec<Tenant> {
    DEMO_ORGANISATIONS
        .iter()
        .map(|organisation| Tenant {
            connection_id: Uuid::new_v4().to_string(),
            tenant_id: organisation.id,
            name: organisation.name,
        })
        .collect()
}

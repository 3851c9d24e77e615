//! The benches' stand-in for the admin at the sandbox's consent page: approves in the
//! background, and picks the sandbox's NZ Xero tenant where a vendor has tenants.
//! Included by path (`#[path = "support/consent.rs"]`) from each bench that connects.

use ledgerlink::auth::connect::{ConnectUi, Tenant};
use ledgerlink_sandbox::XERO_TENANT_NZ_ID;

/// Approves the consent the connect flow opens; `.0` is the approval, to await after it.
pub struct Approve(pub Option<tokio::task::JoinHandle<()>>);

impl ConnectUi for Approve {
    fn authorize(&mut self, url: &url::Url) {
        let url = url.clone();
        self.0 = Some(tokio::spawn(async move {
            ledgerlink_sandbox::approve_consent(url.as_str())
                .await
                .expect("the sandbox consent is approved");
        }));
    }

    fn choose_tenant(&mut self, tenants: &[Tenant]) -> Result<usize, String> {
        tenants
            .iter()
            .position(|t| t.id == XERO_TENANT_NZ_ID)
            .ok_or_else(|| "the sandbox offered no NZ tenant".into())
    }
}

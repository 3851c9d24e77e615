//! The admin's part of the connect flow, played by the quickstart: the sandbox's
//! [`ledgerlink_sandbox::approve_consent`] approves its consent page like a person's
//! browser would, and the organisation is chosen by id.

use ledgerlink::auth::connect::{ConnectUi, Tenant};
use url::Url;

/// Approves the consent page and picks `tenant` (by id) when asked.
pub struct Approving {
    pub tenant: Option<String>,
    pub played: Option<tokio::task::JoinHandle<Result<(), String>>>,
}

impl ConnectUi for Approving {
    fn authorize(&mut self, url: &Url) {
        let url = url.to_string();
        self.played = Some(tokio::spawn(async move {
            ledgerlink_sandbox::approve_consent(&url).await
        }));
    }

    fn choose_tenant(&mut self, tenants: &[Tenant]) -> Result<usize, String> {
        tenants
            .iter()
            .position(|t| Some(&t.id) == self.tenant.as_ref())
            .or(if tenants.len() == 1 { Some(0) } else { None })
            .ok_or_else(|| "the sandbox offered no organisation the quickstart knows".to_owned())
    }
}

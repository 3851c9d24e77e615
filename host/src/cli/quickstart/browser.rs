//! The admin's browser, played by the quickstart: it opens the sandbox's consent page,
//! approves, and follows the redirect back to ledgerlink's loopback listener — the same
//! requests a person's browser makes, so the real OAuth flow runs end to end.

use ledgerlink::auth::connect::{ConnectUi, Tenant};
use url::Url;

/// Approves the consent page and picks `tenant` (by id) when asked.
pub struct Approving {
    pub tenant: Option<String>,
    pub played: Option<tokio::task::JoinHandle<Result<(), String>>>,
}

impl ConnectUi for Approving {
    fn authorize(&mut self, url: &Url) {
        let url = url.clone();
        self.played = Some(tokio::spawn(async move { approve(url).await }));
    }

    fn choose_tenant(&mut self, tenants: &[Tenant]) -> Result<usize, String> {
        tenants
            .iter()
            .position(|t| Some(&t.id) == self.tenant.as_ref())
            .or(if tenants.len() == 1 { Some(0) } else { None })
            .ok_or_else(|| "the sandbox offered no organisation the quickstart knows".to_owned())
    }
}

/// Open the consent page, submit its approval form, follow the redirect to the callback.
async fn approve(authorize: Url) -> Result<(), String> {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let page = browser
        .get(authorize.clone())
        .send()
        .await
        .map_err(|e| format!("could not open the consent page: {e}"))?;
    let html = page.text().await.map_err(|e| e.to_string())?;
    let field = |marker: &str| {
        html.split(marker)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(str::to_owned)
            .ok_or_else(|| format!("the consent page has no {marker:?}"))
    };
    let request_id = field("name=\"request_id\" value=\"")?;
    let action = field("action=\"")?;
    let post_to = authorize.join(&action).map_err(|e| e.to_string())?;
    let consent = browser
        .post(post_to)
        .form(&[("request_id", request_id)])
        .send()
        .await
        .map_err(|e| format!("could not approve on the consent page: {e}"))?;
    let callback = consent
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .ok_or("the consent page did not redirect back")?
        .to_owned();
    browser
        .get(&callback)
        .send()
        .await
        .map_err(|e| format!("could not return to ledgerlink's callback: {e}"))?;
    Ok(())
}

//! [`approve_consent`]: the admin's browser, played against this sandbox's consent page,
//! for tests, benchmarks and the quickstart — the same requests a person's browser makes,
//! so the client's real OAuth flow runs end to end.

/// Opens `authorize_url` (a sandbox authorization URL), approves on the consent page, and
/// follows the redirect back to the client's callback. The error says which step failed.
pub async fn approve_consent(authorize_url: &str) -> Result<(), String> {
    let authorize =
        url::Url::parse(authorize_url).map_err(|e| format!("not a URL: {authorize_url}: {e}"))?;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let html = browser
        .get(authorize.clone())
        .send()
        .await
        .map_err(|e| format!("could not open the consent page: {e}"))?
        .text()
        .await
        .map_err(|e| format!("could not read the consent page: {e}"))?;
    let field = |marker: &str| {
        html.split(marker)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(str::to_owned)
            .ok_or_else(|| format!("the consent page has no {marker:?}: {html}"))
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
        .map_err(|e| format!("could not return to the client's callback {callback}: {e}"))?;
    Ok(())
}

//! The connector crate's files: templates embedded in the binary, filled in.

use super::{Auth, Spec};

const CARGO_TOML: &str = include_str!("../../templates/connector/Cargo.toml.tmpl");
const GITIGNORE: &str = include_str!("../../templates/connector/gitignore.tmpl");
const README: &str = include_str!("../../templates/connector/README.md.tmpl");
const LIB_RS: &str = include_str!("../../templates/connector/lib.rs.tmpl");
const VENDOR_RS: &str = include_str!("../../templates/connector/vendor.rs.tmpl");
const TESTS_RS: &str = include_str!("../../templates/connector/tests.rs.tmpl");

/// Every file of the crate: (path relative to the crate's folder, contents).
pub fn render(spec: &Spec) -> Vec<(&'static str, String)> {
    let name = &spec.name;
    let values = [
        ("name", name.as_str().to_owned()),
        ("crate_name", name.crate_name()),
        ("crate_ident", name.crate_ident()),
        ("display_name", name.display_name()),
        ("type_name", name.type_name()),
        ("sdk_dependency", spec.sdk.dependency_line()),
        ("auth_consts", auth_consts(spec.auth)),
        ("auth_builder", auth_builder(spec.auth)),
        ("auth_pattern", auth_pattern(spec.auth).to_owned()),
        (
            "auth_note",
            format!(" with `--auth {}`", spec.auth.as_str()),
        ),
        ("auth_step", auth_step(spec.auth)),
    ];
    let fill = |template: &str| {
        values
            .iter()
            .fold(template.to_owned(), |text, (key, value)| {
                text.replace(&format!("{{{{{key}}}}}"), value)
            })
    };
    vec![
        ("Cargo.toml", fill(CARGO_TOML)),
        (".gitignore", fill(GITIGNORE)),
        ("README.md", fill(README)),
        ("src/lib.rs", fill(LIB_RS)),
        ("src/vendor.rs", fill(VENDOR_RS)),
        ("src/tests.rs", fill(TESTS_RS)),
    ]
}

fn auth_consts(auth: Auth) -> String {
    match auth {
        Auth::None => String::new(),
        Auth::ApiKey => "
/// The header the vendor reads the API key from. The host adds the key stored with
/// `ledgerlink connections set-key` to every request; the plugin never sees it.
const API_KEY_HEADER: &str = \"X-Api-Key\";
"
        .to_owned(),
        Auth::OAuth2 => "
/// The vendor's OAuth 2.0 endpoints and scopes. The host runs the flow (with PKCE), keeps and
/// refreshes the tokens and adds them to every request; the plugin never sees them.
const AUTHORIZE_URL: &str = \"https://login.example.com/oauth2/authorize\";
/// Where the host exchanges codes and refresh tokens (plugins may not call it).
const TOKEN_URL: &str = \"https://login.example.com/oauth2/token\";
/// The scopes to ask for.
const SCOPES: &[&str] = &[\"customers\", \"invoices\", \"offline_access\"];
"
        .to_owned(),
    }
}

fn auth_builder(auth: Auth) -> String {
    let call = match auth {
        Auth::None => return String::new(),
        Auth::ApiKey => ".api_key(API_KEY_HEADER, None)",
        Auth::OAuth2 => ".oauth2(AUTHORIZE_URL, TOKEN_URL, None, SCOPES)",
    };
    format!("            {call}\n")
}

fn auth_pattern(auth: Auth) -> &'static str {
    match auth {
        Auth::None => "AuthKind::None",
        Auth::ApiKey => "AuthKind::ApiKey(_)",
        Auth::OAuth2 => "AuthKind::Oauth2(_)",
    }
}

fn auth_step(auth: Auth) -> String {
    match auth {
        Auth::None => String::new(),
        Auth::ApiKey => " In `src/lib.rs`, set `API_KEY_HEADER` to the header the vendor reads its API key from; the host sends the key stored with `ledgerlink connections set-key`.".to_owned(),
        Auth::OAuth2 => " In `src/lib.rs`, set `AUTHORIZE_URL`, `TOKEN_URL` and `SCOPES` to the vendor's; the host runs the OAuth flow with `ledgerlink connect`.".to_owned(),
    }
}

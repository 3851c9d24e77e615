//! A Xero Accounting API client for the tests, which checks every response
//! body against `xero_accounting.yaml` (see [`fidelity`]).
#![allow(dead_code, clippy::unwrap_used)]

pub mod fidelity;

use ledgerlink_sandbox::{Profile, SandboxHandle, XERO_TENANT_NZ_ID};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common;

pub const BASE: &str = "/xero/api.xro/2.0";

/// A running sandbox and a connected Xero client.
pub struct Api {
    pub sandbox: SandboxHandle,
    pub token: String,
    pub tenant: &'static str,
    client: reqwest::Client,
}

/// One response.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The body as JSON (`Null` when it was not JSON).
    pub body: Value,
    pub text: String,
    /// The body broke off (an injected cut-after-write).
    pub cut: bool,
}

impl Answer {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
    }

    /// The single validation message of element `index` of a 400.
    pub fn messages(&self) -> Vec<String> {
        self.body["Elements"]
            .as_array()
            .unwrap_or_else(|| panic!("not a validation error: {} {}", self.status, self.text))
            .iter()
            .flat_map(|element| element["ValidationErrors"].as_array().unwrap().clone())
            .map(|error| error["Message"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// A JSON number's text (`62.31`), to compare amounts exactly.
pub fn num(value: &Value) -> String {
    assert!(value.is_number(), "not a number: {value}");
    value.to_string()
}

impl Api {
    pub async fn start() -> Api {
        let sandbox = common::start().await;
        let tokens = common::connect(&sandbox, Profile::Xero).await;
        Api {
            token: common::string(&tokens, "access_token"),
            sandbox,
            tenant: XERO_TENANT_NZ_ID,
            client: reqwest::Client::new(),
        }
    }

    /// Sends a request to `path` (relative to the API base unless it starts
    /// with `/`) with the token and tenant unless `headers` override them
    /// (a header with an empty value is left out).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("{BASE}/{path}")
        };
        let mut request = self.client.request(method.clone(), self.sandbox.url(&path));
        let mut defaults = vec![
            ("authorization", format!("Bearer {}", self.token)),
            ("xero-tenant-id", self.tenant.to_owned()),
            ("accept", "application/json".to_owned()),
        ];
        for (name, value) in headers {
            defaults.retain(|(default, _)| !default.eq_ignore_ascii_case(name));
            if !value.is_empty() {
                request = request.header(*name, *value);
            }
        }
        for (name, value) in defaults {
            request = request.header(name, value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let response_headers = response.headers().clone();
        let (text, cut) = match response.text().await {
            Ok(text) => (text, false),
            Err(_) => (String::new(), true),
        };
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        let answer = Answer {
            status,
            headers: response_headers,
            body,
            text,
            cut,
        };
        fidelity::check(&method, &path, &answer);
        answer
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None, &[]).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Answer {
        self.call(Method::PUT, path, Some(body), &[]).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.call(Method::POST, path, Some(body), &[]).await
    }

    /// `GET /_sandbox/xero/{tenant}/{what}` → the records in it.
    pub async fn dump(&self, tenant: &str, what: &str) -> Vec<Value> {
        let answer = self
            .call(
                Method::GET,
                &format!("/_sandbox/xero/{tenant}/{what}"),
                None,
                &[],
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        let key = match what {
            "contacts" => "Contacts",
            "invoices" => "Invoices",
            "creditnotes" => "CreditNotes",
            "currencies" => "Currencies",
            _ => "Payments",
        };
        answer.body[key].as_array().unwrap().clone()
    }

    pub async fn contacts(&self) -> Vec<Value> {
        self.dump(self.tenant, "contacts").await
    }

    pub async fn invoices(&self) -> Vec<Value> {
        self.dump(self.tenant, "invoices").await
    }

    pub async fn credit_notes(&self) -> Vec<Value> {
        self.dump(self.tenant, "creditnotes").await
    }

    /// PUTs one contact and returns it as saved.
    pub async fn create_contact(&self, contact: Value) -> Value {
        let answer = self
            .put("Contacts", &serde_json::json!({ "Contacts": [contact] }))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        answer.body["Contacts"][0].clone()
    }

    /// PUTs one invoice (query e.g. `?unitdp=4`) and returns it as saved.
    pub async fn create_invoice(&self, query: &str, invoice: Value) -> Value {
        let answer = self
            .put(
                &format!("Invoices{query}"),
                &serde_json::json!({ "Invoices": [invoice] }),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        answer.body["Invoices"][0].clone()
    }
}

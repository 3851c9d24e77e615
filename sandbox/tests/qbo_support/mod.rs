//! Support for the QuickBooks accounting tests: a client that checks every
//! JSON body it receives against Intuit's XSDs (copied verbatim in `xsd/`,
//! see `xsd/SOURCE.txt`), and the schema walker that does the checking.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::OnceLock;

use ledgerlink_sandbox::{Profile, QBO_REALM_ID, SandboxHandle};
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{connect, http, string};

/// The realm id of the sandbox's Australian company.
pub const AU_REALM_ID: &str = "9130357992268376";

const XS: &str = "http://www.w3.org/2001/XMLSchema";

/// One named complexType: its own elements and attributes and its base.
#[derive(Debug, Default)]
struct TypeDef {
    elements: HashMap<String, String>,
    attributes: HashSet<String>,
    base: Option<String>,
    simple_content: bool,
}

/// Intuit's schema: named complex types and global elements.
#[derive(Debug, Default)]
pub struct Schema {
    types: HashMap<String, TypeDef>,
    /// Global element name → its type (`Customer` → `Customer`).
    elements: HashMap<String, String>,
}

fn local(name: &str) -> String {
    name.rsplit(':').next().unwrap_or(name).to_owned()
}

impl Schema {
    fn load() -> Schema {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/qbo_support/xsd");
        let mut schema = Schema::default();
        for file in [
            "IntuitBaseTypes.xsd",
            "IntuitNamesTypes.xsd",
            "Finance.xsd",
            "SalesTax.xsd",
            "IntuitRestServiceDef.xsd",
        ] {
            let text = std::fs::read_to_string(dir.join(file)).unwrap();
            let document = roxmltree::Document::parse(&text).unwrap();
            let root = document.root_element();
            for node in root.children().filter(|n| n.has_tag_name((XS, "element"))) {
                if let (Some(name), Some(kind)) = (node.attribute("name"), node.attribute("type")) {
                    schema.elements.insert(name.to_owned(), local(kind));
                }
            }
            for node in root
                .descendants()
                .filter(|n| n.has_tag_name((XS, "complexType")))
            {
                let Some(name) = node.attribute("name") else {
                    continue;
                };
                let mut def = TypeDef::default();
                for child in node.descendants() {
                    if child.has_tag_name((XS, "element")) {
                        if let Some(element) = child.attribute("name") {
                            let kind = child
                                .attribute("type")
                                .map_or_else(|| "xs:anyType".to_owned(), local);
                            def.elements.insert(element.to_owned(), kind);
                        } else if let Some(reference) = child.attribute("ref") {
                            def.elements
                                .insert(local(reference), format!("@ref:{}", local(reference)));
                        }
                    } else if child.has_tag_name((XS, "attribute")) {
                        if let Some(attribute) = child.attribute("name") {
                            def.attributes.insert(attribute.to_owned());
                        }
                    } else if child.has_tag_name((XS, "extension")) {
                        def.base = child.attribute("base").map(local);
                        def.simple_content = child
                            .parent()
                            .is_some_and(|p| p.has_tag_name((XS, "simpleContent")));
                    }
                }
                schema.types.insert(name.to_owned(), def);
            }
        }
        schema
    }

    /// The schema, parsed once per test binary.
    pub fn get() -> &'static Schema {
        static SCHEMA: OnceLock<Schema> = OnceLock::new();
        SCHEMA.get_or_init(Schema::load)
    }

    /// The type of child `key` of `type_name` (following bases), or whether
    /// it is an attribute / simple content; `None` if the schema lacks it.
    fn child(&self, type_name: &str, key: &str) -> Option<Option<String>> {
        let mut current = Some(type_name.to_owned());
        while let Some(name) = current {
            let def = self.types.get(&name)?;
            if let Some(kind) = def.elements.get(key) {
                let kind = match kind.strip_prefix("@ref:") {
                    Some(global) => self.elements.get(global).cloned()?,
                    None => kind.clone(),
                };
                return Some(Some(kind));
            }
            if def.attributes.contains(key) || (def.simple_content && key == "value") {
                return Some(None);
            }
            current = def.base.clone();
        }
        None
    }

    fn check(&self, type_name: &str, value: &Value, path: &str, errors: &mut Vec<String>) {
        match value {
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    self.check(type_name, item, &format!("{path}[{index}]"), errors);
                }
            }
            Value::Object(object) => {
                if !self.types.contains_key(type_name) {
                    errors.push(format!("{path}: an object where {type_name} is simple"));
                    return;
                }
                for (key, child) in object {
                    match self.child(type_name, key) {
                        None => errors.push(format!("{path}.{key}: not an element of {type_name}")),
                        Some(Some(kind)) => {
                            self.check(&kind, child, &format!("{path}.{key}"), errors)
                        }
                        Some(None) => {
                            if child.is_object() || child.is_array() {
                                errors.push(format!("{path}.{key}: attribute holds a structure"));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn check_entity(&self, name: &str, value: &Value, path: &str, errors: &mut Vec<String>) {
        match self.elements.get(name) {
            Some(kind) => self.check(kind, value, path, errors),
            None => errors.push(format!("{path}: {name} is not an entity")),
        }
    }

    fn check_query_response(&self, value: &Value, path: &str, errors: &mut Vec<String>) {
        let Some(object) = value.as_object() else {
            errors.push(format!("{path}: QueryResponse is not an object"));
            return;
        };
        for (key, child) in object {
            match key.as_str() {
                "startPosition" | "maxResults" | "totalCount" => {}
                "Fault" => self.check("Fault", child, &format!("{path}.Fault"), errors),
                entity => self.check_entity(entity, child, &format!("{path}.{entity}"), errors),
            }
        }
    }

    /// Every element name in `body` the XSDs do not define where it appears.
    pub fn violations(&self, body: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        let Some(object) = body.as_object() else {
            return errors;
        };
        for (key, value) in object {
            match key.as_str() {
                "time" => {}
                // The OAuth gateway's 401 is not an IntuitResponse.
                "fault" => {}
                "Fault" => self.check("Fault", value, "Fault", &mut errors),
                "QueryResponse" => self.check_query_response(value, "QueryResponse", &mut errors),
                "CDCResponse" => {
                    for (index, cdc) in value.as_array().into_iter().flatten().enumerate() {
                        for (key, inner) in cdc.as_object().into_iter().flatten() {
                            let path = format!("CDCResponse[{index}].{key}");
                            if key != "QueryResponse" {
                                errors.push(format!("{path}: not an element of CDCResponse"));
                            }
                            for (n, response) in inner.as_array().into_iter().flatten().enumerate()
                            {
                                self.check_query_response(
                                    response,
                                    &format!("{path}[{n}]"),
                                    &mut errors,
                                );
                            }
                        }
                    }
                }
                "BatchItemResponse" => {
                    for (index, item) in value.as_array().into_iter().flatten().enumerate() {
                        for (key, inner) in item.as_object().into_iter().flatten() {
                            let path = format!("BatchItemResponse[{index}].{key}");
                            match key.as_str() {
                                "bId" => {}
                                "Fault" => self.check("Fault", inner, &path, &mut errors),
                                "QueryResponse" => {
                                    self.check_query_response(inner, &path, &mut errors)
                                }
                                entity => self.check_entity(entity, inner, &path, &mut errors),
                            }
                        }
                    }
                }
                entity => self.check_entity(entity, value, entity, &mut errors),
            }
        }
        errors
    }
}

/// Panics unless `body` uses only schema element names.
pub fn assert_faithful(body: &Value) {
    let violations = Schema::get().violations(body);
    assert!(
        violations.is_empty(),
        "not in Intuit's XSDs: {violations:?}\nbody: {body}"
    );
}

/// A client for one realm that checks every body against the XSDs.
#[derive(Debug, Clone)]
pub struct Qbo {
    pub base: String,
    pub token: String,
    pub realm: String,
}

impl Qbo {
    pub fn url(&self, tail: &str) -> String {
        format!("{}/qbo/v3/company/{}{tail}", self.base, self.realm)
    }

    async fn finish(response: reqwest::Response) -> (StatusCode, Value) {
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_faithful(&body);
        (status, body)
    }

    pub async fn get(&self, tail: &str) -> (StatusCode, Value) {
        let response = reqwest::Client::new()
            .get(self.url(tail))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        Self::finish(response).await
    }

    pub async fn post(&self, tail: &str, body: &Value) -> (StatusCode, Value) {
        let response = reqwest::Client::new()
            .post(self.url(tail))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap();
        Self::finish(response).await
    }

    pub async fn query(&self, text: &str) -> (StatusCode, Value) {
        let response = reqwest::Client::new()
            .get(self.url("/query"))
            .query(&[("query", text), ("minorversion", "75")])
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        Self::finish(response).await
    }

    /// A control endpoint of this realm (`/_sandbox/qbo/{realm}/{tail}`).
    pub async fn control(&self, tail: &str) -> Value {
        let url = format!("{}/_sandbox/qbo/{}/{tail}", self.base, self.realm);
        let client = reqwest::Client::new();
        let request = if tail == "reset" || tail == "token" {
            client.post(url)
        } else {
            client.get(url)
        };
        request.send().await.unwrap().json().await.unwrap()
    }
}

/// A client of the US company, connected through the OAuth flow.
pub async fn us(sandbox: &SandboxHandle) -> Qbo {
    let tokens = connect(sandbox, Profile::QuickBooks).await;
    Qbo {
        base: sandbox.base_url(),
        token: string(&tokens, "access_token"),
        realm: QBO_REALM_ID.into(),
    }
}

/// A client of the Australian company, with a token from `/_sandbox/qbo/{realm}/token`.
pub async fn au(sandbox: &SandboxHandle) -> Qbo {
    let body: Value = http()
        .post(sandbox.url(&format!("/_sandbox/qbo/{AU_REALM_ID}/token")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["realmId"], AU_REALM_ID);
    Qbo {
        base: sandbox.base_url(),
        token: string(&body, "access_token"),
        realm: AU_REALM_ID.into(),
    }
}

//! Every response body the tests see is validated against the schemas of
//! Xero's OpenAPI spec (`shared/specs/xero/xero_accounting.yaml`, v16.1.0).
//!
//! The spec never says `additionalProperties: false`, which would let any
//! invented field through; a faithful emulator must emit only fields the
//! spec defines, so every schema with `properties` is closed here. The one
//! exception is `Element`: in a 400 Xero echoes the whole refused record,
//! so each element is checked against the record's own (closed) schema
//! instead.
//!
//! A refused element echoes what the client sent, which may break the very
//! limits it was refused for, so those echoes are checked without `maxLength`.
//!
//! Format validation is off: the spec says `format: date`/`double`/`uuid`
//! on fields whose JSON form is Xero's `/Date(ms+0000)/` string or a plain
//! number, and those formats are not what the wire carries.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::OnceLock;

use jsonschema::{Draft, Validator};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::Answer;

/// The spec, beside the repository (`shared/` next to the checkout).
const SPEC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/specs/xero/xero_accounting.yaml"
);

/// The schemas the sandbox's bodies are checked against.
const CHECKED: [&str; 16] = [
    "Contacts",
    "Contact",
    "Invoices",
    "Invoice",
    "CreditNotes",
    "CreditNote",
    "Currencies",
    "Currency",
    "Payments",
    "Payment",
    "Accounts",
    "TaxRates",
    "Items",
    "Error",
    "Element",
    "ValidationError",
];

fn components(echo: bool) -> Value {
    let text = std::fs::read_to_string(SPEC).unwrap_or_else(|error| panic!("{SPEC}: {error}"));
    let spec: Value = serde_norway::from_str(&text).unwrap();
    let mut schemas = spec["components"]["schemas"].clone();
    for (name, schema) in schemas.as_object_mut().unwrap() {
        if name != "Element" && schema.get("properties").is_some() {
            schema["additionalProperties"] = json!(false);
        }
    }
    if echo {
        drop_max_length(&mut schemas);
    }
    json!({ "schemas": schemas })
}

fn drop_max_length(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            object.remove("maxLength");
            object.values_mut().for_each(drop_max_length);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_max_length),
        _ => {}
    }
}

/// A validator for `#/components/schemas/{name}`; `echo` for a refused
/// element's echo.
pub fn validator(name: &str, echo: bool) -> &'static Validator {
    static VALIDATORS: OnceLock<HashMap<&'static str, Validator>> = OnceLock::new();
    static ECHOES: OnceLock<HashMap<&'static str, Validator>> = OnceLock::new();
    let cell = if echo { &ECHOES } else { &VALIDATORS };
    let validators = cell.get_or_init(|| {
        let components = components(echo);
        CHECKED
            .iter()
            .map(|name| {
                let schema = json!({
                    "$ref": format!("#/components/schemas/{name}"),
                    "components": components,
                });
                let validator = jsonschema::options()
                    .with_draft(Draft::Draft4)
                    .should_validate_formats(false)
                    .build(&schema)
                    .unwrap_or_else(|error| panic!("schema {name}: {error}"));
                (*name, validator)
            })
            .collect()
    });
    &validators[name]
}

/// The problems of `body` against schema `name` (empty when it conforms).
pub fn problems(name: &str, body: &Value) -> Vec<String> {
    problems_of(name, body, false)
}

fn problems_of(name: &str, body: &Value, echo: bool) -> Vec<String> {
    validator(name, echo)
        .iter_errors(body)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect()
}

pub fn assert_conforms(name: &str, body: &Value) {
    assert_conforms_as(name, body, false);
}

fn assert_conforms_as(name: &str, body: &Value, echo: bool) {
    let problems = problems_of(name, body, echo);
    assert!(
        problems.is_empty(),
        "body does not match {name}:\n{}\n{body:#}",
        problems.join("\n")
    );
}

/// The collection a path answers with (`Contacts`, `Invoices`, ...).
fn collection(path: &str) -> Option<&'static str> {
    let path = path.split('?').next().unwrap_or_default();
    let resource = path
        .strip_prefix(super::BASE)
        .and_then(|rest| rest.trim_start_matches('/').split('/').next())
        .or_else(|| {
            path.strip_prefix("/_sandbox/xero/")
                .and_then(|rest| rest.split('/').nth(1))
        })?;
    [
        ("contacts", "Contacts"),
        ("invoices", "Invoices"),
        ("creditnotes", "CreditNotes"),
        ("currencies", "Currencies"),
        ("payments", "Payments"),
        ("accounts", "Accounts"),
        ("taxrates", "TaxRates"),
        ("items", "Items"),
    ]
    .into_iter()
    .find(|(lower, _)| resource.eq_ignore_ascii_case(lower))
    .map(|(_, name)| name)
}

/// Checks one response the tests received.
pub fn check(method: &Method, path: &str, answer: &Answer) {
    if answer.cut {
        return;
    }
    let content_type = answer
        .headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    match answer.status {
        StatusCode::OK => {
            if path.ends_with("/reset") {
                return;
            }
            let Some(name) = collection(path) else {
                panic!("{method} {path}: no schema for this response");
            };
            assert!(
                content_type.starts_with("application/json"),
                "{content_type}"
            );
            assert_conforms(name, &answer.body);
        }
        StatusCode::BAD_REQUEST => {
            assert_conforms("Error", &answer.body);
            let record = collection(path).map(|name| match name {
                "Currencies" => "Currency",
                name => name.trim_end_matches('s'),
            });
            for element in answer.body["Elements"].as_array().into_iter().flatten() {
                assert_conforms_as(record.unwrap(), element, true);
            }
        }
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            // The identity layer's problem details (as /Organisation answers).
            assert!(answer.body["Title"].is_string(), "{}", answer.text);
        }
        status => {
            assert!(
                content_type.starts_with("text/plain") && answer.body.is_null(),
                "{method} {path}: {status} should be plain text, got {content_type}: {}",
                answer.text
            );
        }
    }
}

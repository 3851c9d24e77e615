//! Reading a list request: query parameters (names case-insensitive, as
//! Xero's are), the `where` expression, comma lists and paging.
//!
//! `where` supports what connectors send: clauses `Path==value`,
//! `Path!=value`, `Path.Contains("x")`, `Path.StartsWith("x")`,
//! `Path.EndsWith("x")`, joined by `&&` or `AND`. A value is `"text"`,
//! `Guid("...")`, `true`/`false`, `null` or a number. `Path` is a field of
//! the record as the API returns it (`Name`, `Contact.ContactID`, ...).
//! Text compares ignoring ASCII case.
//!
//! `order` is `Path [ASC|DESC]`, several joined by commas (`Type ASC, Name DESC`);
//! text sorts ignoring ASCII case, numbers by value, `/Date(ms)/` by time, and a
//! missing or null field first. The sort is stable, so records equal on every key
//! keep the API's default order.

use rust_decimal::Decimal;
use serde_json::Value;

use super::wire;

/// Query parameters in order.
#[derive(Debug, Default)]
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    pub(crate) fn parse(raw: Option<&str>) -> Query {
        Query(
            url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect(),
        )
    }

    /// The first non-empty value of `name`, any case.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, value)| key.eq_ignore_ascii_case(name) && !value.is_empty())
            .map(|(_, value)| value.as_str())
    }

    /// `name=true` (any case).
    pub(crate) fn flag(&self, name: &str) -> Option<bool> {
        self.get(name)
            .map(|value| value.eq_ignore_ascii_case("true"))
    }

    /// Every comma-separated value of every `name` parameter; `None` when absent.
    pub(crate) fn list(&self, name: &str) -> Option<Vec<String>> {
        let values: Vec<String> = self
            .0
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .flat_map(|(_, value)| value.split(','))
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
            .collect();
        (!values.is_empty()).then_some(values)
    }

    /// `unitdp=4`.
    pub(crate) fn unitdp4(&self) -> bool {
        self.get("unitdp") == Some("4")
    }
}

/// A `where` expression: every clause must hold.
#[derive(Debug, Default)]
pub(crate) struct Where(Vec<Clause>);

#[derive(Debug)]
struct Clause {
    path: Vec<String>,
    test: Test,
}

#[derive(Debug)]
enum Test {
    Equals(Literal),
    NotEquals(Literal),
    Contains(String),
    StartsWith(String),
    EndsWith(String),
}

#[derive(Debug, PartialEq)]
enum Literal {
    Text(String),
    Bool(bool),
    Number(Decimal),
    Null,
}

impl Where {
    /// Parses `text`; the error says what could not be read.
    pub(crate) fn parse(text: &str) -> Result<Where, String> {
        split_and(text)
            .into_iter()
            .map(|clause| parse_clause(clause.trim()))
            .collect::<Result<Vec<_>, _>>()
            .map(Where)
    }

    /// Whether `record` (as the API renders it) satisfies every clause.
    pub(crate) fn matches(&self, record: &Value) -> bool {
        self.0.iter().all(|clause| clause.matches(record))
    }
}

/// Splits on `&&` and ` AND ` outside double quotes.
fn split_and(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let bytes = text.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'"' => quoted = !quoted,
            b'&' if !quoted && bytes.get(index + 1) == Some(&b'&') => {
                parts.push(&text[start..index]);
                index += 2;
                start = index;
                continue;
            }
            b' ' if !quoted
                && text
                    .get(index..index + 5)
                    .is_some_and(|word| word.eq_ignore_ascii_case(" and ")) =>
            {
                parts.push(&text[start..index]);
                index += 5;
                start = index;
                continue;
            }
            _ => {}
        }
        index += 1;
    }
    parts.push(&text[start..]);
    parts
}

fn parse_clause(clause: &str) -> Result<Clause, String> {
    for (method, make) in [
        (".Contains(", Test::Contains as fn(String) -> Test),
        (".StartsWith(", Test::StartsWith),
        (".EndsWith(", Test::EndsWith),
    ] {
        if let Some(at) = clause.find(method) {
            let argument = clause[at + method.len()..]
                .strip_suffix(')')
                .ok_or_else(|| format!("missing `)` in `{clause}`"))?;
            let Literal::Text(text) = parse_literal(argument.trim())? else {
                return Err(format!("`{clause}` needs a quoted text argument"));
            };
            return Ok(Clause {
                path: parse_path(&clause[..at])?,
                test: make(text),
            });
        }
    }
    let (left, right, negate) = if let Some((left, right)) = clause.split_once("==") {
        (left, right, false)
    } else if let Some((left, right)) = clause.split_once("!=") {
        (left, right, true)
    } else {
        return Err(format!(
            "`{clause}` is not `Field==value`, `Field!=value` or `Field.Contains(\"...\")`"
        ));
    };
    let literal = parse_literal(right.trim())?;
    Ok(Clause {
        path: parse_path(left)?,
        test: if negate {
            Test::NotEquals(literal)
        } else {
            Test::Equals(literal)
        },
    })
}

fn parse_path(text: &str) -> Result<Vec<String>, String> {
    let path: Vec<String> = text.trim().split('.').map(str::to_owned).collect();
    if path
        .iter()
        .any(|part| part.is_empty() || !part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        return Err(format!("`{}` is not a field name", text.trim()));
    }
    Ok(path)
}

fn parse_literal(text: &str) -> Result<Literal, String> {
    if let Some(inner) = text
        .strip_prefix("Guid(")
        .or_else(|| text.strip_prefix("guid("))
        .and_then(|rest| rest.strip_suffix(')'))
    {
        return parse_literal(inner.trim());
    }
    if let Some(inner) = text
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    {
        return Ok(Literal::Text(inner.replace("\\\"", "\"")));
    }
    match text {
        "true" => return Ok(Literal::Bool(true)),
        "false" => return Ok(Literal::Bool(false)),
        "null" => return Ok(Literal::Null),
        _ => {}
    }
    wire::decimal(&Value::String(text.to_owned()))
        .map(Literal::Number)
        .ok_or_else(|| format!("`{text}` is not a value (quote text: \"...\")"))
}

impl Clause {
    fn matches(&self, record: &Value) -> bool {
        let mut value = Some(record);
        for part in &self.path {
            value = value.and_then(|value| {
                value.as_object().and_then(|object| {
                    object
                        .iter()
                        .find(|(key, _)| key.eq_ignore_ascii_case(part))
                        .map(|(_, value)| value)
                })
            });
        }
        let text = value.and_then(Value::as_str).map(str::to_ascii_lowercase);
        match &self.test {
            Test::Equals(literal) => equals(value, literal),
            Test::NotEquals(literal) => !equals(value, literal),
            Test::Contains(wanted) => {
                text.is_some_and(|t| t.contains(&wanted.to_ascii_lowercase()))
            }
            Test::StartsWith(wanted) => {
                text.is_some_and(|t| t.starts_with(&wanted.to_ascii_lowercase()))
            }
            Test::EndsWith(wanted) => {
                text.is_some_and(|t| t.ends_with(&wanted.to_ascii_lowercase()))
            }
        }
    }
}

fn equals(value: Option<&Value>, literal: &Literal) -> bool {
    match (value, literal) {
        (None | Some(Value::Null), Literal::Null) => true,
        (Some(Value::String(text)), Literal::Text(wanted)) => text.eq_ignore_ascii_case(wanted),
        (Some(Value::Bool(flag)), Literal::Bool(wanted)) => flag == wanted,
        (Some(number @ Value::Number(_)), Literal::Number(wanted)) => {
            wire::decimal(number).is_some_and(|number| number == *wanted)
        }
        _ => false,
    }
}

/// An `order` parameter: sort keys, the first deciding first.
#[derive(Debug, Default)]
pub(crate) struct Order(Vec<(Vec<String>, bool)>);

impl Order {
    /// Parses `text` (`Name ASC, Code DESC`); the error says what could not be read.
    pub(crate) fn parse(text: &str) -> Result<Order, String> {
        text.split(',')
            .map(|key| {
                let mut words = key.split_whitespace();
                let path = words
                    .next()
                    .ok_or_else(|| format!("`{text}` has an empty sort key"))?;
                let descending = match words.next() {
                    None => false,
                    Some(word) if word.eq_ignore_ascii_case("ASC") => false,
                    Some(word) if word.eq_ignore_ascii_case("DESC") => true,
                    Some(word) => {
                        return Err(format!("`{word}` is not ASC or DESC in `{}`", key.trim()));
                    }
                };
                if let Some(extra) = words.next() {
                    return Err(format!("unexpected `{extra}` in `{}`", key.trim()));
                }
                Ok((parse_path(path)?, descending))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Order)
    }

    /// Sorts `records` (as the API renders them) by the keys, stably.
    pub(crate) fn sort(&self, records: &mut [Value]) {
        if self.0.is_empty() {
            return;
        }
        records.sort_by(|a, b| {
            for (path, descending) in &self.0 {
                let ordering = compare(field(a, path), field(b, path));
                let ordering = if *descending {
                    ordering.reverse()
                } else {
                    ordering
                };
                if ordering != std::cmp::Ordering::Equal {
                    return ordering;
                }
            }
            std::cmp::Ordering::Equal
        });
    }
}

/// The field at `path` of `record`, names matched ignoring ASCII case.
fn field<'a>(record: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut value = Some(record);
    for part in path {
        value = value.and_then(|value| {
            value.as_object().and_then(|object| {
                object
                    .iter()
                    .find(|(key, _)| key.eq_ignore_ascii_case(part))
                    .map(|(_, value)| value)
            })
        });
    }
    value
}

/// `/Date(ms+0000)/` as milliseconds.
fn ms_of(text: &str) -> Option<i64> {
    let inner = text.strip_prefix("/Date(")?.strip_suffix(")/")?;
    let digits: String = inner
        .chars()
        .enumerate()
        .take_while(|(at, c)| c.is_ascii_digit() || (*at == 0 && *c == '-'))
        .map(|(_, c)| c)
        .collect();
    digits.parse().ok()
}

fn compare(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let a = a.filter(|value| !value.is_null());
    let b = b.filter(|value| !value.is_null());
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(a), Some(b)) => match (a, b) {
            (Value::Number(_), Value::Number(_)) => wire::decimal(a).cmp(&wire::decimal(b)),
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::String(a), Value::String(b)) => match (ms_of(a), ms_of(b)) {
                (Some(a), Some(b)) => a.cmp(&b),
                _ => a
                    .to_ascii_lowercase()
                    .cmp(&b.to_ascii_lowercase())
                    .then_with(|| a.cmp(b)),
            },
            _ => a.to_string().cmp(&b.to_string()),
        },
    }
}

/// Page `page` (1-based) of `records`, `page_size` per page.
pub(crate) fn page<T>(records: Vec<T>, page: usize, page_size: usize) -> Vec<T> {
    records
        .into_iter()
        .skip((page.max(1) - 1) * page_size)
        .take(page_size)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn where_clauses_combine() {
        let contact = json!({"Name": "Acme Ltd", "EmailAddress": "a@acme.test", "ContactStatus": "ACTIVE",
            "Contact": {"ContactID": "0000-1"}, "Total": 10.5, "IsCustomer": true});
        let holds = |text: &str| Where::parse(text).unwrap().matches(&contact);
        assert!(holds(r#"Name=="Acme Ltd""#));
        assert!(holds(r#"Name=="acme ltd" && ContactStatus=="ACTIVE""#));
        assert!(holds(
            r#"EmailAddress=="a@acme.test" AND ContactStatus=="ACTIVE""#
        ));
        assert!(!holds(r#"Name=="Acme Ltd" && ContactStatus=="ARCHIVED""#));
        assert!(holds(r#"Contact.ContactID==Guid("0000-1")"#));
        assert!(holds("Total==10.50 && IsCustomer==true"));
        assert!(holds(r#"TaxNumber==null"#));
        assert!(holds(r#"Name.Contains("ACME") && Name!="Other""#));
        assert!(Where::parse(r#"Name=="Acme && Sons" || true"#).is_err());
        assert!(Where::parse("Name").is_err());
        assert!(Where::parse("Name==Acme").is_err());
    }

    #[test]
    fn order_sorts_by_each_key_in_turn() {
        let mut records = vec![
            json!({"Name": "beta", "Rate": 15, "Updated": "/Date(20+0000)/"}),
            json!({"Name": "Alpha", "Rate": 2.5, "Updated": "/Date(100+0000)/"}),
            json!({"Name": "gamma", "Rate": 15, "Updated": "/Date(3+0000)/"}),
            json!({"Rate": 0}),
        ];
        let sorted = |order: &str, records: &mut Vec<Value>| {
            Order::parse(order).unwrap().sort(records);
            records
                .iter()
                .map(|r| r["Name"].as_str().unwrap_or("-").to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            sorted("Name", &mut records),
            ["-", "Alpha", "beta", "gamma"]
        );
        assert_eq!(
            sorted("Rate DESC, Name DESC", &mut records),
            ["gamma", "beta", "Alpha", "-"]
        );
        assert_eq!(
            sorted("Updated asc", &mut records),
            ["-", "gamma", "beta", "Alpha"]
        );
        assert!(Order::parse("Name UP").is_err());
        assert!(Order::parse("Name ASC,").is_err());
        assert!(Order::parse("Na-me").is_err());
    }

    #[test]
    fn query_lists_and_paging() {
        let query = Query::parse(Some("Statuses=DRAFT,%20AUTHORISED&page=2&PAGESIZE=5"));
        assert_eq!(query.list("statuses").unwrap(), ["DRAFT", "AUTHORISED"]);
        assert_eq!(query.get("pageSize"), Some("5"));
        assert_eq!(page((1..=12).collect(), 3, 5), vec![11, 12]);
    }
}

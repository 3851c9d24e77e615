//! Intuit's query language, the subset a connector needs:
//!
//! ```text
//! select * | count(*) from Customer|Invoice|CreditMemo|Item|TaxCode|Payment
//!   [where <cond> [and <cond>]...] [orderby <field> [asc|desc]]
//!   [startposition n] [maxresults m]
//! <cond> := field = | != | < | <= | > | >= value
//!         | field like '%text%' | field in (value, ...)
//! ```
//!
//! Keywords are case-insensitive; values are `'quoted'` (with `\'`),
//! numbers, `true` or `false`. References (`CustomerRef`) compare by id;
//! `PrimaryEmailAddr` by address; `MetaData.*` as instants. Entities with
//! `Active` match only when active unless the query names `Active`, as in
//! QuickBooks. `maxresults` defaults to 100 and is capped at 1000.

use std::cmp::Ordering;
use std::str::FromStr as _;

use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::fault::QboFault;
use super::realm::{Entity, Kind, Realm};

const DEFAULT_MAX_RESULTS: usize = 100;
const MAX_MAX_RESULTS: usize = 1000;

/// Fields each entity can be filtered and ordered by.
fn queryable(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Customer => &[
            "Id",
            "DisplayName",
            "GivenName",
            "FamilyName",
            "CompanyName",
            "FullyQualifiedName",
            "PrintOnCheckName",
            "PrimaryEmailAddr",
            "Active",
            "Balance",
            "CurrencyRef",
            "MetaData.CreateTime",
            "MetaData.LastUpdatedTime",
        ],
        Kind::Invoice | Kind::CreditMemo => &[
            "Id",
            "DocNumber",
            "CustomerRef",
            "CurrencyRef",
            "TxnDate",
            "DueDate",
            "TotalAmt",
            "Balance",
            "MetaData.CreateTime",
            "MetaData.LastUpdatedTime",
        ],
        Kind::Payment => &[
            "Id",
            "CustomerRef",
            "TxnDate",
            "TotalAmt",
            "MetaData.CreateTime",
            "MetaData.LastUpdatedTime",
        ],
        Kind::Item => &[
            "Id",
            "Name",
            "Active",
            "Type",
            "FullyQualifiedName",
            "MetaData.CreateTime",
            "MetaData.LastUpdatedTime",
        ],
        Kind::TaxCode => &[
            "Id",
            "Name",
            "Active",
            "Taxable",
            "MetaData.CreateTime",
            "MetaData.LastUpdatedTime",
        ],
        Kind::TaxRate | Kind::Vendor | Kind::Employee => &[],
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Symbol(&'static str),
}

impl Token {
    fn shown(&self) -> String {
        match self {
            Token::Word(word) => word.clone(),
            Token::Text(text) => format!("'{text}'"),
            Token::Symbol(symbol) => (*symbol).to_owned(),
        }
    }
}

/// Tokens with their 1-based columns.
fn lex(text: &str) -> Result<Vec<(Token, usize)>, QboFault> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let column = at + 1;
        let c = chars[at];
        if c.is_whitespace() {
            at += 1;
        } else if c == '\'' {
            let mut value = String::new();
            at += 1;
            loop {
                match chars.get(at) {
                    None => {
                        return Err(QboFault::query_parse(format!(
                            "Lexical error at line 1, column {}.  Encountered: <EOF> after : \"'{value}\"",
                            chars.len() + 1
                        )));
                    }
                    Some('\\') if chars.get(at + 1) == Some(&'\'') => {
                        value.push('\'');
                        at += 2;
                    }
                    Some('\'') => {
                        at += 1;
                        break;
                    }
                    Some(other) => {
                        value.push(*other);
                        at += 1;
                    }
                }
            }
            tokens.push((Token::Text(value), column));
        } else if c.is_alphanumeric() || c == '_' || c == '.' || c == '-' {
            let start = at;
            while at < chars.len() && (chars[at].is_alphanumeric() || "_.-:".contains(chars[at])) {
                at += 1;
            }
            tokens.push((Token::Word(chars[start..at].iter().collect()), column));
        } else {
            let two: String = chars[at..(at + 2).min(chars.len())].iter().collect();
            let symbol = ["<=", ">=", "!="]
                .into_iter()
                .find(|symbol| *symbol == two)
                .or_else(|| {
                    ["=", "<", ">", "(", ")", ",", "*"]
                        .into_iter()
                        .find(|s| s.starts_with(c))
                });
            let Some(symbol) = symbol else {
                return Err(QboFault::query_parse(format!(
                    "Invalid content. Lexical error at line 1, column {column}.  Encountered: \"{c}\""
                )));
            };
            at += symbol.len();
            tokens.push((Token::Symbol(symbol), column));
        }
    }
    Ok(tokens)
}

#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Text(String),
    Word(String),
}

impl Literal {
    fn as_str(&self) -> &str {
        match self {
            Literal::Text(text) | Literal::Word(text) => text,
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Compare(&'static str, Literal),
    Like(String),
    In(Vec<Literal>),
}

#[derive(Debug, Clone)]
struct Condition {
    field: String,
    op: Op,
}

/// A parsed query.
#[derive(Debug, Clone)]
struct Query {
    count: bool,
    kind: Kind,
    conditions: Vec<Condition>,
    order: Option<(String, bool)>,
    start: usize,
    max: usize,
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    at: usize,
    end_column: usize,
}

impl Parser {
    fn unexpected(&self, expecting: &str) -> QboFault {
        let (shown, column) = match self.tokens.get(self.at) {
            Some((token, column)) => (token.shown(), *column),
            None => ("<EOF>".to_owned(), self.end_column),
        };
        QboFault::query_parse(format!(
            "Encountered \" \"{shown}\" \" at line 1, column {column}.\nWas expecting:\n    {expecting} ..."
        ))
    }

    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.at), Some((Token::Word(w), _)) if w.eq_ignore_ascii_case(word))
    }

    fn word(&mut self, word: &str) -> Result<(), QboFault> {
        if self.peek_word(word) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.unexpected(&format!("\"{word}\"")))
        }
    }

    fn symbol(&mut self, symbol: &str) -> Result<(), QboFault> {
        match self.tokens.get(self.at) {
            Some((Token::Symbol(s), _)) if *s == symbol => {
                self.at += 1;
                Ok(())
            }
            _ => Err(self.unexpected(&format!("\"{symbol}\""))),
        }
    }

    fn identifier(&mut self) -> Result<String, QboFault> {
        match self.tokens.get(self.at) {
            Some((Token::Word(word), _)) => {
                self.at += 1;
                Ok(word.clone())
            }
            _ => Err(self.unexpected("<IDENTIFIER>")),
        }
    }

    fn literal(&mut self) -> Result<Literal, QboFault> {
        match self.tokens.get(self.at) {
            Some((Token::Text(text), _)) => {
                self.at += 1;
                Ok(Literal::Text(text.clone()))
            }
            Some((Token::Word(word), _)) => {
                self.at += 1;
                Ok(Literal::Word(word.clone()))
            }
            _ => Err(self.unexpected("<STRING_LITERAL>")),
        }
    }

    fn number(&mut self) -> Result<usize, QboFault> {
        match self.tokens.get(self.at) {
            Some((Token::Word(word), _)) if word.parse::<usize>().is_ok() => {
                self.at += 1;
                Ok(word.parse().unwrap_or(0))
            }
            _ => Err(self.unexpected("<INTEGER>")),
        }
    }

    fn parse(mut self) -> Result<Query, QboFault> {
        self.word("select")?;
        let count = if self.peek_word("count") {
            self.at += 1;
            self.symbol("(")?;
            self.symbol("*")?;
            self.symbol(")")?;
            true
        } else {
            self.symbol("*")?;
            false
        };
        self.word("from")?;
        let entity = self.identifier()?;
        let kind = Kind::from_name(&entity)
            .filter(|kind| !queryable(*kind).is_empty())
            .ok_or_else(|| QboFault::query_invalid(format!("Entity {entity} is not supported")))?;
        let mut query = Query {
            count,
            kind,
            conditions: Vec::new(),
            order: None,
            start: 1,
            max: DEFAULT_MAX_RESULTS,
        };
        if self.peek_word("where") {
            self.at += 1;
            loop {
                query.conditions.push(self.condition()?);
                if self.peek_word("and") {
                    self.at += 1;
                } else {
                    break;
                }
            }
        }
        if self.peek_word("orderby") || self.peek_word("order") {
            if self.peek_word("order") {
                self.at += 1;
                self.word("by")?;
            } else {
                self.at += 1;
            }
            let field = self.identifier()?;
            let descending = if self.peek_word("desc") {
                self.at += 1;
                true
            } else {
                if self.peek_word("asc") {
                    self.at += 1;
                }
                false
            };
            query.order = Some((field, descending));
        }
        if self.peek_word("startposition") {
            self.at += 1;
            query.start = self.number()?.max(1);
        }
        if self.peek_word("maxresults") {
            self.at += 1;
            query.max = self.number()?.min(MAX_MAX_RESULTS);
        }
        if self.at < self.tokens.len() {
            return Err(self.unexpected("<EOF>"));
        }
        Ok(query)
    }

    fn condition(&mut self) -> Result<Condition, QboFault> {
        let field = self.identifier()?;
        let op = if self.peek_word("like") {
            self.at += 1;
            match self.literal()? {
                Literal::Text(pattern) => Op::Like(pattern),
                Literal::Word(_) => return Err(self.unexpected("<STRING_LITERAL>")),
            }
        } else if self.peek_word("in") {
            self.at += 1;
            self.symbol("(")?;
            let mut values = vec![self.literal()?];
            while self.symbol(",").is_ok() {
                values.push(self.literal()?);
            }
            self.symbol(")")?;
            Op::In(values)
        } else {
            let symbol = match self.tokens.get(self.at) {
                Some((Token::Symbol(s), _)) if ["=", "!=", "<", "<=", ">", ">="].contains(s) => *s,
                _ => return Err(self.unexpected("\"=\" \"<\" \">\" \"like\" \"in\"")),
            };
            self.at += 1;
            Op::Compare(symbol, self.literal()?)
        };
        Ok(Condition { field, op })
    }
}

/// The value of `field` in `body`: references by id, email by address.
fn field_value<'a>(body: &'a Map<String, Value>, field: &str) -> Option<&'a Value> {
    let mut value = body.get(field.split('.').next()?)?;
    for part in field.split('.').skip(1) {
        value = value.get(part)?;
    }
    match value {
        Value::Object(object) => object.get("value").or_else(|| object.get("Address")),
        other => Some(other),
    }
}

/// An instant in a query or `MetaData`: RFC 3339, or a date (midnight, company time).
pub(crate) fn instant(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text).ok().or_else(|| {
        let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
        let offset = FixedOffset::west_opt(7 * 3600)?;
        date.and_hms_opt(0, 0, 0)?
            .and_local_timezone(offset)
            .single()
    })
}

/// Orders `value` against `literal` as the field's type suggests.
fn compare(field: &str, value: &Value, literal: &str) -> Option<Ordering> {
    if field.starts_with("MetaData.") {
        return Some(instant(value.as_str()?)?.cmp(&instant(literal)?));
    }
    match value {
        Value::Bool(flag) => Some(flag.cmp(&literal.eq_ignore_ascii_case("true"))),
        Value::Number(number) => {
            let left = Decimal::from_str(&number.to_string()).ok()?;
            Some(left.cmp(&Decimal::from_str(literal).ok()?))
        }
        Value::String(text) if field == "Id" => match (text.parse::<u64>(), literal.parse::<u64>())
        {
            (Ok(left), Ok(right)) => Some(left.cmp(&right)),
            _ => Some(text.as_str().cmp(literal)),
        },
        Value::String(text) => Some(text.as_str().cmp(literal)),
        _ => None,
    }
}

/// SQL `like` with `%` wildcards, case-insensitive.
fn like(text: &str, pattern: &str) -> bool {
    let text = text.to_lowercase();
    let parts: Vec<String> = pattern
        .to_lowercase()
        .split('%')
        .map(str::to_owned)
        .collect();
    let (first, last) = (&parts[0], &parts[parts.len() - 1]);
    if parts.len() == 1 {
        return text == *first;
    }
    if !text.starts_with(first.as_str())
        || !text.ends_with(last.as_str())
        || text.len() < first.len() + last.len()
    {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle.as_str()) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

fn matches(entity: &Entity, condition: &Condition) -> bool {
    let Some(value) = field_value(&entity.body, &condition.field) else {
        return false;
    };
    match &condition.op {
        Op::Compare(symbol, literal) => compare(&condition.field, value, literal.as_str())
            .is_some_and(|ordering| match *symbol {
                "=" => ordering == Ordering::Equal,
                "!=" => ordering != Ordering::Equal,
                "<" => ordering == Ordering::Less,
                "<=" => ordering != Ordering::Greater,
                ">" => ordering == Ordering::Greater,
                _ => ordering != Ordering::Less,
            }),
        Op::Like(pattern) => value.as_str().is_some_and(|text| like(text, pattern)),
        Op::In(values) => values.iter().any(|literal| {
            compare(&condition.field, value, literal.as_str()) == Some(Ordering::Equal)
        }),
    }
}

/// Runs `text` against `realm`: the `QueryResponse` object.
pub(crate) fn run(realm: &Realm, text: &str) -> Result<Value, QboFault> {
    let tokens = lex(text)?;
    if tokens.is_empty() {
        return Err(QboFault::query_parse(
            "The query provided was empty".to_owned(),
        ));
    }
    let query = Parser {
        tokens,
        at: 0,
        end_column: text.chars().count() + 1,
    }
    .parse()?;
    let fields = queryable(query.kind);
    let named = query
        .conditions
        .iter()
        .map(|condition| condition.field.as_str())
        .chain(query.order.as_ref().map(|(field, _)| field.as_str()));
    for field in named {
        if !fields.iter().any(|known| known.eq_ignore_ascii_case(field)) {
            return Err(QboFault::query_invalid(format!(
                "property '{field}' is not queryable"
            )));
        }
    }
    // Field names are case-insensitive in the query; the JSON keys are not.
    let canonical = |field: &str| {
        fields
            .iter()
            .find(|known| known.eq_ignore_ascii_case(field))
            .copied()
            .unwrap_or("Id")
    };
    let conditions: Vec<Condition> = query
        .conditions
        .iter()
        .map(|condition| Condition {
            field: canonical(&condition.field).to_owned(),
            op: condition.op.clone(),
        })
        .collect();
    let names_active = conditions
        .iter()
        .any(|condition| condition.field == "Active");
    let mut found: Vec<&Entity> = realm
        .all(query.kind)
        .filter(|entity| !entity.deleted)
        .filter(|entity| names_active || entity.body.get("Active") != Some(&Value::Bool(false)))
        .filter(|entity| {
            conditions
                .iter()
                .all(|condition| matches(entity, condition))
        })
        .collect();
    if query.count {
        return Ok(json!({ "totalCount": found.len() }));
    }
    if let Some((field, descending)) = &query.order {
        let field = canonical(field);
        found.sort_by(|left, right| {
            let ordering = match (
                field_value(&left.body, field),
                field_value(&right.body, field),
            ) {
                (Some(l), Some(r)) => compare(
                    field,
                    l,
                    r.as_str()
                        .map_or_else(|| r.to_string(), str::to_owned)
                        .as_str(),
                )
                .unwrap_or(Ordering::Equal),
                (Some(_), None) => Ordering::Greater,
                (None, Some(_)) => Ordering::Less,
                (None, None) => Ordering::Equal,
            };
            if *descending {
                ordering.reverse()
            } else {
                ordering
            }
        });
    }
    let page: Vec<Value> = found
        .into_iter()
        .skip(query.start - 1)
        .take(query.max)
        .map(Entity::served)
        .collect();
    if page.is_empty() {
        return Ok(json!({}));
    }
    let returned = page.len();
    let mut response = Map::new();
    response.insert(query.kind.name().to_owned(), Value::Array(page));
    response.insert("startPosition".into(), json!(query.start));
    response.insert("maxResults".into(), json!(returned));
    Ok(Value::Object(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_handles_wildcards_anywhere() {
        assert!(like("Amy's Bird Sanctuary", "%bird%"));
        assert!(like("Amy's Bird Sanctuary", "amy%"));
        assert!(!like("Amy's Bird Sanctuary", "%amy"));
        assert!(like("abc", "abc"));
    }

    #[test]
    fn parse_errors_name_the_token_and_column() {
        let error = lex("select * frm Customer")
            .and_then(|tokens| {
                Parser {
                    tokens,
                    at: 0,
                    end_column: 22,
                }
                .parse()
            })
            .map(|_| ())
            .map_err(|fault| (fault.code, fault.detail));
        let Err((code, detail)) = error else {
            panic!("parsed a broken query");
        };
        assert_eq!(code, "4000");
        assert!(
            detail.starts_with("QueryParserError: Encountered \" \"frm\" \" at line 1, column 10."),
            "{detail}"
        );
    }
}

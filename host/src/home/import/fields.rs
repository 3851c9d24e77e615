//! Reading the fields of one record from a [`Node`], checking each against
//! `home::validation` and reporting every problem with its line and field.
//!
//! A reader never stops at the first problem: a bad field yields a placeholder and the
//! record is dropped at [`Fields::finish`], after all its fields were checked.

use rust_decimal::Decimal;

use super::issues::Sink;
use super::node::{Node, Value};
use crate::home::model::Named;
use crate::home::validation::{self, limits};

/// Where a field the cross-record checks need (ids, references) was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ref {
    /// The field's key ("id", "customer_id", "contract_id").
    pub key: &'static str,
    /// Its label in messages.
    pub label: String,
    /// Its line.
    pub line: usize,
}

/// The fields of one record.
pub(crate) struct Fields<'n, 's> {
    rec: &'n Node,
    entries: &'n [(String, Node)],
    what: &'static str,
    known: &'static [&'static str],
    sink: &'s mut Sink,
    before: usize,
    refs: Vec<Ref>,
}

impl<'n, 's> Fields<'n, 's> {
    /// Read `rec` as one `what` whose fields are `known`; `None` (reported) when it is not
    /// an object.
    pub fn open(
        rec: &'n Node,
        what: &'static str,
        known: &'static [&'static str],
        sink: &'s mut Sink,
    ) -> Option<Self> {
        let Value::Object(entries) = &rec.value else {
            sink.at(
                rec.line,
                &rec.label,
                format!(
                    "expected an object (one {what}), found {}",
                    rec.value.describe()
                ),
            );
            return None;
        };
        let before = sink.count();
        Some(Self {
            rec,
            entries,
            what,
            known,
            sink,
            before,
            refs: Vec::new(),
        })
    }

    /// The sink, for reading nested records.
    pub fn sink(&mut self) -> &mut Sink {
        self.sink
    }

    fn node(&self, key: &str) -> Option<&'n Node> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, n)| n)
    }

    fn present(&self, key: &str) -> Option<&'n Node> {
        self.node(key).filter(|n| !n.value.is_absent())
    }

    /// Where `key` is (or would be): its node, else the record.
    fn place(&self, key: &str) -> (usize, String) {
        match self.node(key) {
            Some(n) => (n.line, n.label.clone()),
            None if self.rec.label.is_empty() => (self.rec.line, key.to_owned()),
            None => (self.rec.line, format!("{}.{key}", self.rec.label)),
        }
    }

    /// Report a problem with `key`.
    pub fn report(&mut self, key: &str, message: impl Into<String>) {
        let (line, label) = self.place(key);
        self.sink.at(line, &label, message);
    }

    fn wrong_type(&mut self, node: &Node, expected: &str) {
        let hint = match &node.value {
            Value::Number(_) => "; put it in quotes",
            _ => "",
        };
        self.sink.at(
            node.line,
            &node.label,
            format!("expected {expected}, found {}{hint}", node.value.describe()),
        );
    }

    fn raw_text(&mut self, key: &str) -> Option<&'n str> {
        let node = self.present(key)?;
        match &node.value {
            Value::Str(s) | Value::Cell(s) => Some(s),
            _ => {
                self.wrong_type(node, "text");
                None
            }
        }
    }

    /// Optional text of at most `limit` characters.
    pub fn text(&mut self, key: &str, limit: usize) -> Option<String> {
        let s = self.raw_text(key)?;
        if let Err(m) = validation::check_length(s, limit) {
            self.report(key, m);
        }
        Some(s.to_owned())
    }

    /// Required text of at most `limit` characters.
    pub fn required_text(&mut self, key: &str, limit: usize) -> String {
        if self.present(key).is_none() {
            self.report(key, "required but missing or empty");
            return String::new();
        }
        let text = self.text(key, limit).unwrap_or_default();
        // Spaces alone are no name, id or number: every target would refuse or mangle it.
        if !text.is_empty() && text.trim().is_empty() {
            self.report(key, "required but only spaces; fill it in");
        }
        text
    }

    /// A required id or reference to another record's id; remembered for the cross-record
    /// checks.
    pub fn id(&mut self, key: &'static str) -> String {
        let id = self.required_text(key, limits::ID);
        let (line, label) = self.place(key);
        self.refs.push(Ref { key, label, line });
        id
    }

    /// A required invoice number; remembered for the check that no two documents share one.
    pub fn document_number(&mut self, key: &'static str) -> String {
        let number = self.required_text(key, limits::NUMBER);
        let (line, label) = self.place(key);
        self.refs.push(Ref { key, label, line });
        number
    }

    /// An optional decimal string.
    pub fn opt_decimal(&mut self, key: &str) -> Option<Decimal> {
        let node = self.present(key)?;
        match &node.value {
            Value::Str(s) | Value::Cell(s) => match validation::parse_decimal(s) {
                Ok(d) => Some(d),
                Err(m) => {
                    self.report(key, m);
                    None
                }
            },
            Value::Number(raw) => {
                let quoted = if validation::parse_decimal(raw).is_ok() {
                    format!("write it as a string, \"{raw}\"")
                } else {
                    "write it as a decimal string such as \"1000.00\"".to_owned()
                };
                self.report(
                    key,
                    format!(
                        "{raw} is a JSON number; {quoted}: amounts and quantities are decimal strings, never numbers"
                    ),
                );
                None
            }
            _ => {
                self.wrong_type(node, "a decimal string such as \"10.50\"");
                None
            }
        }
    }

    /// A required decimal string (zero as a placeholder after a problem).
    pub fn decimal(&mut self, key: &str) -> Decimal {
        if self.present(key).is_none() {
            self.report(key, "required but missing or empty");
            return Decimal::ZERO;
        }
        self.opt_decimal(key).unwrap_or_default()
    }

    /// An optional date, `YYYY-MM-DD`.
    pub fn opt_date(&mut self, key: &str) -> Option<String> {
        let s = self.raw_text(key)?;
        if let Err(m) = validation::check_date(s) {
            self.report(key, m);
        }
        Some(s.to_owned())
    }

    /// A required date.
    pub fn date(&mut self, key: &str) -> String {
        if self.present(key).is_none() {
            self.report(key, "required but missing or empty");
            return String::new();
        }
        self.opt_date(key).unwrap_or_default()
    }

    /// An optional RFC 3339 timestamp.
    pub fn timestamp(&mut self, key: &str) -> Option<String> {
        let s = self.raw_text(key)?;
        if let Err(m) = validation::check_timestamp(s) {
            self.report(key, m);
        }
        Some(s.to_owned())
    }

    /// An optional currency code.
    pub fn opt_currency(&mut self, key: &str) -> Option<String> {
        let s = self.raw_text(key)?;
        if let Err(m) = validation::check_currency(s) {
            self.report(key, m);
        }
        Some(s.to_owned())
    }

    /// A required currency code.
    pub fn currency(&mut self, key: &str) -> String {
        if self.present(key).is_none() {
            self.report(key, "required but missing or empty");
            return String::new();
        }
        self.opt_currency(key).unwrap_or_default()
    }

    /// A true/false flag; `default` when not given. CSV cells accept any letter case
    /// (spreadsheets write TRUE).
    pub fn flag(&mut self, key: &str, default: bool) -> bool {
        let Some(node) = self.present(key) else {
            return default;
        };
        match &node.value {
            Value::Bool(b) => *b,
            Value::Cell(s) if s.eq_ignore_ascii_case("true") => true,
            Value::Cell(s) if s.eq_ignore_ascii_case("false") => false,
            Value::Cell(s) => {
                self.report(key, format!("{s:?} is not true or false"));
                default
            }
            _ => {
                self.wrong_type(node, "true or false");
                default
            }
        }
    }

    /// A required value of an enumeration.
    pub fn choice<T: Named + PartialEq>(&mut self, key: &str) -> Option<T> {
        if self.present(key).is_none() {
            self.report(key, "required but missing or empty");
            return None;
        }
        let s = self.raw_text(key)?;
        let found = T::from_name(s);
        if found.is_none() {
            let names: Vec<&str> = T::NAMES.iter().map(|(_, n)| *n).collect();
            let (last, rest) = names.split_last().map_or(("", &[][..]), |(l, r)| (*l, r));
            self.report(
                key,
                format!(
                    "{s:?} is not a {}; use {} or {last}",
                    T::WHAT,
                    rest.join(", ")
                ),
            );
        }
        found
    }

    /// A nested object, when given.
    pub fn object(&mut self, key: &str) -> Option<&'n Node> {
        let node = self.present(key)?;
        match node.value {
            Value::Object(_) => Some(node),
            _ => {
                self.wrong_type(node, "an object");
                None
            }
        }
    }

    /// A list of nested values (empty when not given).
    pub fn list(&mut self, key: &str) -> &'n [Node] {
        let Some(node) = self.present(key) else {
            return &[];
        };
        match &node.value {
            Value::Array(items) => items,
            _ => {
                self.wrong_type(node, "a list");
                &[]
            }
        }
    }

    /// Report unknown fields; the record's id and references when it had no problem.
    pub fn finish(self) -> Option<Vec<Ref>> {
        for (key, node) in self.entries {
            if !self.known.contains(&key.as_str()) {
                self.sink.at(
                    node.line,
                    &node.label,
                    format!(
                        "unknown field; check its spelling (docs/home-format.md lists the fields of a {})",
                        self.what
                    ),
                );
            }
        }
        (self.sink.count() == self.before).then_some(self.refs)
    }
}

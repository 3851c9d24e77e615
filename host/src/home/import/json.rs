//! JSON text to [`Node`]s with the line of every value.
//!
//! serde_json checks the syntax first (its error carries the line and column); then a small
//! walker, which may assume the text is valid JSON, records where each value starts, keeps
//! numbers exactly as written (so `10.5` can be refused and quoted back) and reports keys
//! given twice, which serde_json would silently resolve to the last one.

use super::issues::Sink;
use super::node::{Node, Value};

/// Parse `text`; `None` after reporting a syntax error.
pub(crate) fn parse(text: &str, sink: &mut Sink) -> Option<Node> {
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
        let full = e.to_string();
        // serde_json appends " at line L column C"; the line goes in front, the column stays.
        let what = full
            .rsplit_once(" at line ")
            .map_or(full.as_str(), |(what, _)| what);
        sink.push(
            Some(e.line().max(1)),
            None,
            format!(
                "not valid JSON: {what} (column {}); fix the syntax",
                e.column()
            ),
        );
        return None;
    }
    let mut w = Walker {
        text,
        bytes: text.as_bytes(),
        i: 0,
        line: 1,
        sink,
    };
    Some(w.value(String::new()))
}

struct Walker<'t, 's> {
    text: &'t str,
    bytes: &'t [u8],
    i: usize,
    line: usize,
    sink: &'s mut Sink,
}

impl Walker<'_, '_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => return,
            }
            self.i += 1;
        }
    }

    /// The value at the cursor (valid JSON, checked by serde_json). Recursion depth is
    /// bounded by serde_json's own limit (128), which the text already passed.
    fn value(&mut self, label: String) -> Node {
        self.skip_ws();
        let line = self.line;
        let value = match self.peek() {
            Some(b'{') => self.object(&label),
            Some(b'[') => self.array(&label),
            Some(b'"') => Value::Str(self.string()),
            _ => {
                let start = self.i;
                while self.peek().is_some_and(|b| {
                    !matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n')
                }) {
                    self.i += 1;
                }
                match &self.text[start..self.i] {
                    "null" => Value::Null,
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    number => Value::Number(number.to_owned()),
                }
            }
        };
        Node { line, label, value }
    }

    fn object(&mut self, label: &str) -> Value {
        self.i += 1; // '{'
        let mut entries: Vec<(String, Node)> = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'}') | None => {
                    self.i += 1;
                    return Value::Object(entries);
                }
                Some(b',') => {
                    self.i += 1;
                    continue;
                }
                _ => {}
            }
            let key_line = self.line;
            let key = self.string();
            self.skip_ws();
            self.i += 1; // ':'
            let child = if label.is_empty() {
                key.clone()
            } else {
                format!("{label}.{key}")
            };
            if let Some((_, first)) = entries.iter().find(|(k, _)| *k == key) {
                let first = first.line;
                self.sink.at(
                    key_line,
                    &child,
                    format!("given twice (first on line {first}); keep one"),
                );
            }
            let node = self.value(child);
            entries.push((key, node));
        }
    }

    fn array(&mut self, label: &str) -> Value {
        self.i += 1; // '['
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b']') | None => {
                    self.i += 1;
                    return Value::Array(items);
                }
                Some(b',') => {
                    self.i += 1;
                    continue;
                }
                _ => {}
            }
            let child = format!("{label}[{}]", items.len());
            items.push(self.value(child));
        }
    }

    /// The string at the cursor, decoded by serde_json (escapes, surrogate pairs).
    fn string(&mut self) -> String {
        let start = self.i;
        self.i += 1; // opening quote
        while let Some(b) = self.peek() {
            self.i += 1;
            match b {
                b'\\' => self.i += 1,
                b'"' => break,
                _ => {}
            }
        }
        let raw = &self.text[start..self.i.min(self.text.len())];
        // Cannot fail on text serde_json accepted; fall back to the raw text all the same.
        serde_json::from_str::<String>(raw).unwrap_or_else(|_| raw.trim_matches('"').to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> (Node, Vec<String>) {
        let mut sink = Sink::new("b.json");
        let node = parse(text, &mut sink).expect("valid JSON");
        (
            node,
            sink.into_issues().iter().map(ToString::to_string).collect(),
        )
    }

    #[test]
    fn every_value_knows_its_line_and_path() {
        let (node, issues) = parse_ok(
            "{\n  \"jobs\": [\n    {\"id\": \"J1\",\n     \"total\": 10.5,\n     \"memo\": \"a \\\"b\\\" \\u00e9\"}\n  ]\n}\n",
        );
        assert!(issues.is_empty());
        let Value::Object(top) = &node.value else {
            panic!("object")
        };
        let Value::Array(jobs) = &top[0].1.value else {
            panic!("array")
        };
        assert_eq!(jobs[0].line, 3);
        assert_eq!(jobs[0].label, "jobs[0]");
        let Value::Object(job) = &jobs[0].value else {
            panic!("object")
        };
        assert_eq!(job[1].1.label, "jobs[0].total");
        assert_eq!(job[1].1.line, 4);
        assert_eq!(job[1].1.value, Value::Number("10.5".into()));
        assert_eq!(job[2].1.value, Value::Str("a \"b\" é".into()));
        assert_eq!(job[2].1.line, 5);
    }

    #[test]
    fn keys_given_twice_are_reported() {
        let (_, issues) = parse_ok("{\"customers\": [{\"id\": \"a\",\n \"id\": \"b\"}]}");
        assert_eq!(
            issues,
            vec!["b.json:2: customers[0].id: given twice (first on line 1); keep one"]
        );
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let mut sink = Sink::new("b.json");
        assert!(
            parse(
                "{\n  \"customers\": [\n    {\"id\": \"a\"}\n    {\"id\": \"b\"}\n  ]\n}\n",
                &mut sink
            )
            .is_none()
        );
        assert_eq!(
            sink.into_issues()[0].to_string(),
            "b.json:4: not valid JSON: expected `,` or `]` (column 5); fix the syntax"
        );
    }
}

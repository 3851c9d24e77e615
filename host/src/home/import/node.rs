//! What a file says, before it is checked: a tree of values, each with the line it is on
//! and the name a user sees for it.
//!
//! JSON and CSV are both read into this form, so one set of record readers
//! (`import::records`) checks both and words every problem the same way.

/// One value and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Node {
    /// The 1-based line the value starts on.
    pub line: usize,
    /// How a message names it: a JSON path (`jobs[1].lines[0].amount`) or a CSV column
    /// (`line_amount`).
    pub label: String,
    /// The value.
    pub value: Value,
}

/// A value as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// JSON `null`.
    Null,
    /// JSON `true` / `false`.
    Bool(bool),
    /// A JSON number, as written (so a message can quote it exactly).
    Number(String),
    /// A JSON string.
    Str(String),
    /// A CSV cell: text whose type the column decides.
    Cell(String),
    /// A JSON array (or a CSV job's lines).
    Array(Vec<Node>),
    /// A JSON object (or a CSV row), keys in the order written.
    Object(Vec<(String, Node)>),
}

impl Value {
    /// How a message describes a value of the wrong type.
    pub fn describe(&self) -> String {
        match self {
            Value::Null => "null".to_owned(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => format!("the number {n}"),
            Value::Str(s) | Value::Cell(s) => format!("the text {s:?}"),
            Value::Array(_) => "a list".to_owned(),
            Value::Object(_) => "an object".to_owned(),
        }
    }

    /// True for what counts as "not given": null, an empty string or an empty cell.
    pub fn is_absent(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Str(s) | Value::Cell(s) => s.is_empty(),
            _ => false,
        }
    }
}

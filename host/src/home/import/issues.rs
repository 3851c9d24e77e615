//! Problems found in an import: where (file, line, field) and what to do.

use std::fmt;

/// How many problems an error message lists; the rest are counted.
pub const LISTED: usize = 100;

/// One problem in an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The file, as it was named on the command line.
    pub file: String,
    /// The 1-based line, when the problem has one.
    pub line: Option<usize>,
    /// The field: a JSON path (`jobs[1].lines[0].amount`) or a CSV column (`line_amount`).
    pub field: Option<String>,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem of an import that was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidImport {
    /// The problems, by file (in command-line order) and line.
    pub issues: Vec<Issue>,
}

impl fmt::Display for InvalidImport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.issues.len();
        write!(
            f,
            "the import has {n} problem{}; nothing was imported:",
            if n == 1 { "" } else { "s" }
        )?;
        for issue in self.issues.iter().take(LISTED) {
            write!(f, "\n  {issue}")?;
        }
        if n > LISTED {
            write!(
                f,
                "\n  ... and {} more (only the first {LISTED} are listed)",
                n - LISTED
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for InvalidImport {}

/// Collects the problems of one file.
#[derive(Debug)]
pub(crate) struct Sink {
    file: String,
    issues: Vec<Issue>,
}

impl Sink {
    /// A sink for the file named `file`.
    pub fn new(file: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            issues: Vec::new(),
        }
    }

    /// The file's name.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Report a problem.
    pub fn push(&mut self, line: Option<usize>, field: Option<&str>, message: impl Into<String>) {
        self.issues.push(Issue {
            file: self.file.clone(),
            line,
            field: field.map(str::to_owned),
            message: message.into(),
        });
    }

    /// Report a problem at a line and field.
    pub fn at(&mut self, line: usize, field: &str, message: impl Into<String>) {
        self.push(Some(line), Some(field), message);
    }

    /// How many problems so far.
    pub fn count(&self) -> usize {
        self.issues.len()
    }

    /// The problems, in line order (stable: same line keeps discovery order).
    pub fn into_issues(mut self) -> Vec<Issue> {
        self.issues.sort_by_key(|i| i.line);
        self.issues
    }
}

//! Reading a Salesorder upload workbook back: the header row by column names, data rows
//! with their spreadsheet row numbers, and cells as text, dates and amounts.
//!
//! Written from `docs/salesorder-templates.md` and Salesorder's public notes only: it shares
//! no code with the connector that writes the workbooks.

use std::path::Path;
use std::str::FromStr;

use calamine::{Data, Reader, Xlsx, open_workbook};
use rust_decimal::Decimal;

/// One sheet: its header row and data rows, every row with its 1-based spreadsheet number.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    pub header_row: u32,
    headers: Vec<(String, usize)>,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub number: u32,
    cells: Vec<Data>,
}

/// The sheets of one workbook, in workbook order.
pub fn sheets(path: &Path) -> Result<Vec<Sheet>, String> {
    let mut book: Xlsx<_> =
        open_workbook(path).map_err(|e| format!("not a readable .xlsx: {e}"))?;
    let mut out = Vec::new();
    for name in book.sheet_names() {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| format!("sheet {name:?} is unreadable: {e}"))?;
        let first = range.start().map_or(0, |(r, _)| r);
        let mut header: Option<(u32, Vec<(String, usize)>)> = None;
        let mut rows = Vec::new();
        for (i, cells) in range.rows().enumerate() {
            let number = first + u32::try_from(i).unwrap_or(u32::MAX - first) + 1;
            if header.is_none() {
                // The header row: the first with at least two headers (an instructions line
                // above it has one).
                let named: Vec<(String, usize)> = cells
                    .iter()
                    .enumerate()
                    .filter_map(|(c, d)| match d {
                        Data::String(s) if !s.trim().is_empty() => Some((normalise(s), c)),
                        _ => None,
                    })
                    .collect();
                if named.len() >= 2 {
                    header = Some((number, named));
                }
                continue;
            }
            if cells.iter().all(is_blank) {
                continue;
            }
            rows.push(Row {
                number,
                cells: cells.to_vec(),
            });
        }
        let (header_row, headers) = header.unwrap_or_default();
        out.push(Sheet {
            name,
            header_row,
            headers,
            rows,
        });
    }
    Ok(out)
}

fn is_blank(d: &Data) -> bool {
    match d {
        Data::Empty => true,
        Data::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// A header as compared: without case, spaces or punctuation (`#` and `%` kept), a leading
/// `$` (a standard field added as an extra column) and a trailing `*` / `(required)`.
pub fn normalise(header: &str) -> String {
    let mut h = header.trim();
    loop {
        let before = h;
        h = h.trim_start_matches('$').trim();
        h = h.trim_end_matches('*').trim();
        if h.to_ascii_lowercase().ends_with("(required)") {
            h = h[..h.len() - "(required)".len()].trim();
        }
        if h == before {
            break;
        }
    }
    h.chars()
        .filter(|c| c.is_alphanumeric() || *c == '#' || *c == '%')
        .flat_map(char::to_lowercase)
        .collect()
}

/// A column: the names it may go by in a template (the first is the default header).
#[derive(Debug, Clone, Copy)]
pub struct Column(pub &'static [&'static str]);

impl Column {
    pub fn label(&self) -> &'static str {
        self.0.first().copied().unwrap_or("")
    }
}

impl Sheet {
    /// The column's index in this sheet, by any of its names.
    pub fn find(&self, column: Column) -> Option<usize> {
        column.0.iter().find_map(|name| {
            let n = normalise(name);
            self.headers.iter().find(|(h, _)| *h == n).map(|(_, c)| *c)
        })
    }

    pub fn has_headers(&self) -> bool {
        !self.headers.is_empty()
    }
}

impl Row {
    pub fn cell(&self, column: Option<usize>) -> &Data {
        static EMPTY: Data = Data::Empty;
        column.and_then(|c| self.cells.get(c)).unwrap_or(&EMPTY)
    }

    /// The cell as trimmed text ("" when empty); numbers as the spreadsheet shows them.
    pub fn text(&self, column: Option<usize>) -> String {
        match self.cell(column) {
            Data::Empty => String::new(),
            Data::Float(f) => decimal_of(*f).map_or_else(|| f.to_string(), |d| d.to_string()),
            other => other.to_string().trim().to_owned(),
        }
    }
}

/// What an amount cell holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Amount {
    Empty,
    Value(Decimal),
    /// Not a numeric cell, or a number Salesorder's money columns cannot hold; the reason.
    Bad(String),
}

/// An f64 cell as the decimal it displays: Rust prints a double as the shortest decimal
/// that reads back to the same double, which is the decimal a writer converted exactly.
pub fn decimal_of(f: f64) -> Option<Decimal> {
    if !f.is_finite() {
        return None;
    }
    Decimal::from_str(&format!("{f}"))
        .ok()
        .map(|d| d.normalize())
}

/// A numeric cell with at most `places` decimals.
pub fn amount(d: &Data, places: u32) -> Amount {
    let value = match d {
        Data::Empty => return Amount::Empty,
        Data::String(s) if s.trim().is_empty() => return Amount::Empty,
        Data::Int(i) => Decimal::from(*i),
        Data::Float(f) => match decimal_of(*f) {
            Some(v) => v,
            None => return Amount::Bad(format!("{f} is not a number Salesorder can hold")),
        },
        Data::String(s) => {
            return Amount::Bad(format!(
                "{s:?} is a text cell; amounts must be numeric cells"
            ));
        }
        other => {
            return Amount::Bad(format!(
                "{other} is not a numeric cell; amounts must be numeric cells"
            ));
        }
    };
    if value.scale() > places {
        return Amount::Bad(format!("{value} has more than {places} decimal places"));
    }
    Amount::Value(value)
}

/// Whether a cell is a date cell (a serial number formatted as a date, or an ISO date cell).
pub fn is_date(d: &Data) -> bool {
    match d {
        Data::DateTime(dt) => dt.is_datetime(),
        Data::DateTimeIso(_) => true,
        _ => false,
    }
}

//! Spreadsheet cells and the workbook writer: the one place where money becomes `f64`.
//!
//! Salesorder's importer reads **numeric cells** for amounts and **date cells** for dates
//! (text that looks like a number, or a date in an undocumented locale, is what its
//! "syntax-sensitive" columns trip on). An xlsx numeric cell is an IEEE-754 double, so at
//! this edge, and only here, a `Decimal` is turned into an `f64` — and refused unless the
//! double reads back as exactly the same decimal ([`to_f64_exact`]), which for money with
//! at most 15 significant digits it always does. Everything before this module is
//! `Decimal`.

use std::str::FromStr;

use ledgerlink_sdk::Decimal;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

/// One cell's value, typed the way the template wants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Nothing in this cell.
    Empty,
    /// A text cell.
    Text(String),
    /// A money amount: a numeric cell shown with 2 decimals.
    Money(Decimal),
    /// A quantity, rate or percentage: a numeric cell in the General format.
    Number(Decimal),
    /// A calendar date `YYYY-MM-DD`: a date cell.
    Date(String),
}

impl Cell {
    /// A text cell, or empty for `None` / an empty string.
    pub fn text(value: Option<&str>) -> Cell {
        match value {
            Some(v) if !v.is_empty() => Cell::Text(v.to_owned()),
            _ => Cell::Empty,
        }
    }
}

/// One sheet to write: its name, its header row and its data rows (each as long as the header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    /// The sheet's tab name.
    pub name: String,
    /// The header row.
    pub headers: Vec<String>,
    /// Data rows, one cell per header.
    pub rows: Vec<Vec<Cell>>,
}

/// Why a workbook could not be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SheetError {
    /// A decimal that no spreadsheet number holds exactly.
    #[error(
        "{value} cannot be written as an exact spreadsheet number (more than 15 significant digits)"
    )]
    Inexact {
        /// The decimal as text.
        value: String,
    },
    /// A date that is not `YYYY-MM-DD` or not a real date.
    #[error("{value:?} is not a date YYYY-MM-DD")]
    BadDate {
        /// The text.
        value: String,
    },
    /// The writer failed.
    #[error("the workbook could not be built: {0}")]
    Writer(String),
}

impl From<XlsxError> for SheetError {
    fn from(e: XlsxError) -> Self {
        SheetError::Writer(e.to_string())
    }
}

/// `value` as an `f64`, only when that double reads back as exactly `value`.
///
/// The check formats the double with Rust's shortest round-trip representation and parses
/// it back as a decimal: `490.19` → `490.19` passes; a 20-digit amount would not. So a
/// numeric cell always holds Tracker Pro's amount to the cent (and beyond).
pub fn to_f64_exact(value: Decimal) -> Result<f64, SheetError> {
    let inexact = || SheetError::Inexact {
        value: value.to_string(),
    };
    let double: f64 = value.to_string().parse().map_err(|_| inexact())?;
    let back = Decimal::from_str(&format!("{double}")).map_err(|_| inexact())?;
    if back.normalize() == value.normalize() {
        Ok(double)
    } else {
        Err(inexact())
    }
}

/// `YYYY-MM-DD` as (year, month, day), checked as a real calendar date.
pub fn ymd(value: &str) -> Result<(u16, u8, u8), SheetError> {
    let bad = || SheetError::BadDate {
        value: value.to_owned(),
    };
    let mut parts = value.splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let (y, m, d): (u16, u8, u8) = (
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        d.parse().map_err(|_| bad())?,
    );
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if d == 0 || d > days || y < 1900 {
        return Err(bad());
    }
    Ok((y, m, d))
}

/// Check every cell of `sheets` can be written (exact numbers, real dates) without building
/// anything: a workbook is only written when every one of its cells is good.
pub fn check(sheets: &[Sheet]) -> Result<(), SheetError> {
    for cell in sheets.iter().flat_map(|s| s.rows.iter().flatten()) {
        match cell {
            Cell::Money(d) | Cell::Number(d) => {
                to_f64_exact(*d)?;
            }
            Cell::Date(d) => {
                ymd(d)?;
            }
            Cell::Empty | Cell::Text(_) => {}
        }
    }
    Ok(())
}

/// The `.xlsx` bytes of a workbook holding `sheets`, in order: a bold header row, money as
/// numbers formatted `0.00`, quantities as numbers, dates as date cells `yyyy-mm-dd`.
pub fn workbook(sheets: &[Sheet]) -> Result<Vec<u8>, SheetError> {
    check(sheets)?;
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("0.00");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for sheet in sheets {
        let ws = book.add_worksheet();
        ws.set_name(&sheet.name)?;
        for (c, header) in sheet.headers.iter().enumerate() {
            ws.write_string_with_format(0, col(c)?, header, &bold)?;
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).map_err(|_| SheetError::Writer("too many rows".into()))?;
            for (c, cell) in row.iter().enumerate() {
                let c = col(c)?;
                match cell {
                    Cell::Empty => {}
                    Cell::Text(t) => {
                        ws.write_string(r, c, t)?;
                    }
                    Cell::Money(d) => {
                        ws.write_number_with_format(r, c, to_f64_exact(*d)?, &money)?;
                    }
                    Cell::Number(d) => {
                        ws.write_number(r, c, to_f64_exact(*d)?)?;
                    }
                    Cell::Date(d) => {
                        let (y, m, dd) = ymd(d)?;
                        let when = ExcelDateTime::from_ymd(y, m, dd)?;
                        ws.write_datetime_with_format(r, c, &when, &date)?;
                    }
                }
            }
        }
        ws.autofit();
    }
    Ok(book.save_to_buffer()?)
}

fn col(c: usize) -> Result<u16, SheetError> {
    u16::try_from(c).map_err(|_| SheetError::Writer("too many columns".into()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn money_round_trips_through_a_double_exactly() {
        for v in [
            "490.19",
            "0.125",
            "-3.10",
            "1234567890123.45",
            "0",
            "155.25",
        ] {
            let f = to_f64_exact(dec(v)).unwrap();
            assert_eq!(
                Decimal::from_str(&format!("{f}")).unwrap(),
                dec(v).normalize()
            );
        }
    }

    #[test]
    fn a_decimal_no_double_holds_is_refused() {
        let e = to_f64_exact(dec("12345678901234567.89")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "12345678901234567.89 cannot be written as an exact spreadsheet number (more than 15 significant digits)"
        );
    }

    #[test]
    fn dates_must_be_real() {
        assert_eq!(ymd("2026-11-02").unwrap(), (2026, 11, 2));
        assert_eq!(ymd("2028-02-29").unwrap(), (2028, 2, 29));
        for bad in ["2026-02-29", "2026-13-01", "26-11-02", "2026-11-2", "x"] {
            assert!(ymd(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_workbook_is_built_in_memory_and_reads_back() {
        use calamine::{Data, Reader, Xlsx};
        let bytes = workbook(&[Sheet {
            name: "Sales Invoices".into(),
            headers: vec!["Ref #".into(), "Date".into(), "Total".into()],
            rows: vec![vec![
                Cell::Text("J5001".into()),
                Cell::Date("2026-11-02".into()),
                Cell::Money(dec("490.19")),
            ]],
        }])
        .unwrap();
        let mut book: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("Sales Invoices").unwrap();
        assert_eq!(range.get((0, 0)), Some(&Data::String("Ref #".into())));
        assert_eq!(range.get((1, 2)), Some(&Data::Float(490.19)));
        assert!(matches!(range.get((1, 1)), Some(Data::DateTime(_))));
    }
}

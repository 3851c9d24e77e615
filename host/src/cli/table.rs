//! Tables for the terminal.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};

/// A table with a header row, sized to the terminal.
pub fn new(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec());
    table
}

/// Text that came from a target or a plugin, made safe to print: control characters
/// (C0 but newline and tab, DEL, C1) and bidirectional overrides are shown escaped, so
/// nothing a record holds can move the cursor, recolour the terminal or reverse text; and
/// it is cut at 500 characters.
pub fn printable(text: &str) -> String {
    const LIMIT: usize = 500;
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == LIMIT {
            out.push_str(&format!(
                "… ({} more characters)",
                text.chars().count() - LIMIT
            ));
            break;
        }
        let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}');
        if (c.is_control() && c != '\n' && c != '\t') || bidi {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

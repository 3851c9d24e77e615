//! QuickBooks query language text and URLs.
//!
//! Query values are single-quoted; inside them an apostrophe is escaped with a backslash
//! (`'O\'Brien'`), the one escape Intuit documents. A backslash has no documented escape, and
//! one just before the closing quote would read as an escaped quote, so an equality on a value
//! holding a backslash is sent as `LIKE` with `%` in place of each backslash and the results
//! are compared exactly afterwards (see `find`). Every customer query asks for inactive
//! customers too (`Active IN (true, false)`): QuickBooks otherwise returns active ones only.

/// Most entities one query page may return (QuickBooks' `MAXRESULTS` limit).
pub const PAGE_SIZE: u64 = 1000;

/// The Accounting API minor version every request asks for (Intuit's floor since 2025-08-01).
pub const MINOR_VERSION: &str = "75";

/// `value` escaped for use between single quotes in a query: `'` becomes `\'`.
pub fn escape(value: &str) -> String {
    value.replace('\'', "\\'")
}

/// The condition "`field` equals `value`": `=` normally, `LIKE` with `%` for each backslash
/// when the value holds one (the caller then compares results exactly).
pub fn equals(field: &str, value: &str) -> String {
    if value.contains('\\') {
        format!("{field} LIKE '{}'", escape(&value.replace('\\', "%")))
    } else {
        format!("{field} = '{}'", escape(value))
    }
}

/// `select * from <entity>` of records changed at or after `since` (RFC 3339), one page.
/// Customers include inactive ones.
pub fn changed_since(entity: &str, since: Option<&str>, start: u64) -> String {
    let mut conditions = Vec::new();
    if entity == "Customer" {
        conditions.push("Active IN (true, false)".to_owned());
    }
    if let Some(since) = since {
        conditions.push(format!("MetaData.LastUpdatedTime >= '{}'", escape(since)));
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!(" where {}", conditions.join(" and "))
    };
    format!("select * from {entity}{filter} STARTPOSITION {start} MAXRESULTS {PAGE_SIZE}")
}

/// Customers, active or not, with one of `ids` (at most [`PAGE_SIZE`]).
pub fn customers_by_id(ids: &[&str]) -> String {
    let list = ids
        .iter()
        .map(|id| format!("'{}'", escape(id)))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "select * from Customer where Active IN (true, false) and Id IN ({list}) MAXRESULTS {PAGE_SIZE}"
    )
}

/// Records of `entity` (`Invoice`, `CreditMemo`) with one of `ids` (at most [`PAGE_SIZE`]).
pub fn by_id(entity: &str, ids: &[&str]) -> String {
    let list = ids
        .iter()
        .map(|id| format!("'{}'", escape(id)))
        .collect::<Vec<_>>()
        .join(", ");
    format!("select * from {entity} where Id IN ({list}) MAXRESULTS {PAGE_SIZE}")
}

/// Customers, active or not, whose `DisplayName` is `name` and/or whose
/// `PrimaryEmailAddr` is `email`.
pub fn customers_matching(name: Option<&str>, email: Option<&str>) -> String {
    let mut q = "select * from Customer where Active IN (true, false)".to_owned();
    if let Some(name) = name {
        q.push_str(&format!(" and {}", equals("DisplayName", name)));
    }
    if let Some(email) = email {
        q.push_str(&format!(" and {}", equals("PrimaryEmailAddr", email)));
    }
    q.push_str(&format!(" MAXRESULTS {PAGE_SIZE}"));
    q
}

/// Percent-encode a query-string value (everything but RFC 3986 unreserved characters).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `base/path?minorversion=75&k=v...`, values percent-encoded.
pub fn url(company_url: &str, path: &str, params: &[(&str, &str)]) -> String {
    let mut u = format!("{company_url}/{path}?minorversion={MINOR_VERSION}");
    for (k, v) in params {
        u.push('&');
        u.push_str(k);
        u.push('=');
        u.push_str(&encode(v));
    }
    u
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_escaped_and_backslashes_become_like_wildcards() {
        assert_eq!(escape("O'Brien"), "O\\'Brien");
        assert_eq!(escape("''"), "\\'\\'");
        assert_eq!(escape("Plain & Simple"), "Plain & Simple");
        assert_eq!(
            equals("DisplayName", "O'Brien"),
            "DisplayName = 'O\\'Brien'"
        );
        assert_eq!(equals("DisplayName", "A\\B'"), "DisplayName LIKE 'A%B\\''");
        assert_eq!(equals("DisplayName", "ends\\"), "DisplayName LIKE 'ends%'");
    }

    #[test]
    fn paging_queries() {
        assert_eq!(
            changed_since("Customer", Some("2026-11-01T00:00:00Z"), 1001),
            "select * from Customer where Active IN (true, false) and MetaData.LastUpdatedTime >= '2026-11-01T00:00:00Z' STARTPOSITION 1001 MAXRESULTS 1000"
        );
        assert_eq!(
            changed_since("Invoice", None, 1),
            "select * from Invoice STARTPOSITION 1 MAXRESULTS 1000"
        );
    }

    #[test]
    fn find_queries() {
        assert_eq!(
            customers_matching(Some("O'Brien \\ Sons"), Some("a@b.example")),
            "select * from Customer where Active IN (true, false) and DisplayName LIKE 'O\\'Brien % Sons' and PrimaryEmailAddr = 'a@b.example' MAXRESULTS 1000"
        );
    }

    #[test]
    fn urls_carry_the_minor_version_and_encode_values() {
        assert_eq!(
            url(
                "https://q.example/v3/company/1",
                "query",
                &[("query", "select * from Customer where DisplayName = 'A&B'")]
            ),
            "https://q.example/v3/company/1/query?minorversion=75&query=select%20%2A%20from%20Customer%20where%20DisplayName%20%3D%20%27A%26B%27"
        );
        assert_eq!(
            url("https://q.example/v3/company/1", "customer/5", &[]),
            "https://q.example/v3/company/1/customer/5?minorversion=75"
        );
        assert_eq!(
            encode("2026-11-01T00:00:00+13:00"),
            "2026-11-01T00%3A00%3A00%2B13%3A00"
        );
    }
}

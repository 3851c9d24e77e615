//! SQLite's numbered placeholders (`?1`) as PostgreSQL's (`$1`), so each statement is
//! written once. String literals, quoted identifiers and comments are copied untouched; a
//! bare `?` (PostgreSQL's JSON operator) is left as it is.

/// `sql` with every `?N` outside literals, quoted identifiers and comments written `$N`.
pub(crate) fn numbered_to_dollar(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                // Up to the closing quote; a doubled quote inside is an escaped one and
                // simply closes and reopens.
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                out.push(c);
                let mut prev = ' ';
                for d in chars.by_ref() {
                    out.push(d);
                    if prev == '*' && d == '/' {
                        break;
                    }
                    prev = d;
                }
            }
            '?' if chars.peek().is_some_and(char::is_ascii_digit) => out.push('$'),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::numbered_to_dollar;

    #[test]
    fn numbered_placeholders_become_dollars() {
        assert_eq!(
            numbered_to_dollar("UPDATE jobs SET lease_until = ?1 + ?3 WHERE id = ?12"),
            "UPDATE jobs SET lease_until = $1 + $3 WHERE id = $12"
        );
    }

    #[test]
    fn literals_identifiers_and_comments_are_left_alone() {
        assert_eq!(
            numbered_to_dollar(
                "SELECT '?1', 'it''s ?2', \"odd ?3 \"\"name\"\"\", ?4 -- not ?5\n, ?6 /* nor ?7 */ FROM t"
            ),
            "SELECT '?1', 'it''s ?2', \"odd ?3 \"\"name\"\"\", $4 -- not ?5\n, $6 /* nor ?7 */ FROM t"
        );
    }

    #[test]
    fn a_bare_question_mark_stays() {
        assert_eq!(
            numbered_to_dollar("SELECT doc ? 'key' FROM t WHERE a = ?1"),
            "SELECT doc ? 'key' FROM t WHERE a = $1"
        );
    }
}

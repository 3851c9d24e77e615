//! Bytes to text: home-book files must be UTF-8 (a UTF-8 byte-order mark is allowed and
//! dropped, as spreadsheet programs write one). Nothing is guessed: a file in another
//! encoding is refused with the byte and line where it stops being UTF-8.

use super::issues::Sink;

/// The file's text, or `None` after reporting where it is not UTF-8.
pub(crate) fn decode<'a>(bytes: &'a [u8], sink: &mut Sink) -> Option<&'a str> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(body) {
        Ok(text) => Some(text),
        Err(e) => {
            // Counted from 0 in the file as saved, byte-order mark included.
            let at = e.valid_up_to() + (bytes.len() - body.len());
            let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
            sink.push(
                Some(line),
                None,
                format!("not UTF-8 at byte {at}; save the file as UTF-8"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_is_refused_at_its_byte_and_line() {
        let mut sink = Sink::new("c.csv");
        assert_eq!(decode(b"id,name\n1,Caf\xE9\n", &mut sink), None);
        assert_eq!(
            sink.into_issues()[0].to_string(),
            "c.csv:2: not UTF-8 at byte 13; save the file as UTF-8"
        );
    }

    #[test]
    fn a_bom_is_dropped() {
        let mut sink = Sink::new("c.csv");
        assert_eq!(decode(b"\xEF\xBB\xBFid\n", &mut sink), Some("id\n"));
        assert_eq!(sink.count(), 0);
    }
}

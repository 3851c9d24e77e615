//! The on-disk shape of the file vault: a small JSON document that holds only ciphertext.
//!
//! ```json
//! {
//!   "format": "ledgerlink-vault",
//!   "version": 1,
//!   "cipher": "xchacha20poly1305",
//!   "key_check": { "nonce": "<base64>", "ciphertext": "<base64>" },
//!   "entries": { "acme-xero/tokens": { "nonce": "<base64>", "ciphertext": "<base64>" } }
//! }
//! ```
//!
//! Entry names are visible (they are connection and item names, not secrets); values are not.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use super::VaultError;
use super::sealing::{NONCE_LEN, Sealed};

const FORMAT: &str = "ledgerlink-vault";
const VERSION: u32 = 1;
const CIPHER: &str = "xchacha20poly1305";

/// The whole vault file.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct VaultDocument {
    format: String,
    version: u32,
    cipher: String,
    key_check: SealedRecord,
    entries: BTreeMap<String, SealedRecord>,
}

/// One sealed value as stored: base64 nonce and ciphertext.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SealedRecord {
    nonce: String,
    ciphertext: String,
}

/// Just enough of the document to refuse a file from another program or a newer version
/// before complaining about fields this version does not know.
#[derive(Deserialize)]
struct Header {
    format: Option<String>,
    version: Option<u32>,
}

impl VaultDocument {
    /// An empty vault whose key is proven by `key_check`.
    pub fn new(key_check: &Sealed) -> Self {
        Self {
            format: FORMAT.to_owned(),
            version: VERSION,
            cipher: CIPHER.to_owned(),
            key_check: SealedRecord::from_sealed(key_check),
            entries: BTreeMap::new(),
        }
    }

    /// Parses the file read from `path`.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self, VaultError> {
        let corrupt = |detail: String| VaultError::CorruptFile {
            path: path.to_owned(),
            detail,
        };
        let header: Header = serde_json::from_slice(bytes)
            .map_err(|err| corrupt(format!("it is not JSON: {err}")))?;
        if header.format.as_deref() != Some(FORMAT) {
            return Err(corrupt(format!("its \"format\" is not {FORMAT:?}")));
        }
        match header.version {
            Some(VERSION) => {}
            Some(other) => {
                return Err(corrupt(format!(
                    "it is version {other} of the format; this ledgerlink reads version {VERSION}, so upgrade ledgerlink"
                )));
            }
            None => return Err(corrupt("it has no \"version\"".to_owned())),
        }
        let doc: Self = serde_json::from_slice(bytes).map_err(|err| corrupt(format!("{err}")))?;
        if doc.cipher != CIPHER {
            return Err(corrupt(format!(
                "its cipher {:?} is not {CIPHER:?}",
                doc.cipher
            )));
        }
        Ok(doc)
    }

    /// The document as pretty JSON, ending in a newline.
    pub fn to_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// The key-check record.
    pub fn key_check(&self, path: &Path) -> Result<Sealed, VaultError> {
        self.key_check.to_sealed(path, "key_check")
    }

    /// The sealed value of `entry`, if present.
    pub fn entry(&self, path: &Path, entry: &str) -> Result<Option<Sealed>, VaultError> {
        self.entries
            .get(entry)
            .map(|record| record.to_sealed(path, entry))
            .transpose()
    }

    /// Stores `sealed` under `entry`, replacing any previous value.
    pub fn insert(&mut self, entry: String, sealed: &Sealed) {
        self.entries
            .insert(entry, SealedRecord::from_sealed(sealed));
    }

    /// Removes `entry`; whether it was there.
    pub fn remove(&mut self, entry: &str) -> bool {
        self.entries.remove(entry).is_some()
    }

    /// The entry names, sorted.
    pub fn entry_names(&self) -> Vec<String> {
        self.entries.keys().cloned().collect()
    }
}

impl SealedRecord {
    fn from_sealed(sealed: &Sealed) -> Self {
        Self {
            nonce: BASE64.encode(sealed.nonce),
            ciphertext: BASE64.encode(&sealed.ciphertext),
        }
    }

    fn to_sealed(&self, path: &Path, name: &str) -> Result<Sealed, VaultError> {
        let corrupt = |what: &str| VaultError::CorruptFile {
            path: path.to_owned(),
            detail: format!("the {what} of {name} is not valid base64"),
        };
        let nonce_bytes = BASE64.decode(&self.nonce).map_err(|_| corrupt("nonce"))?;
        let nonce: [u8; NONCE_LEN] =
            nonce_bytes
                .try_into()
                .map_err(|bytes: Vec<u8>| VaultError::CorruptFile {
                    path: path.to_owned(),
                    detail: format!(
                        "the nonce of {name} is {} bytes, not {NONCE_LEN}",
                        bytes.len()
                    ),
                })?;
        let ciphertext = BASE64
            .decode(&self.ciphertext)
            .map_err(|_| corrupt("ciphertext"))?;
        Ok(Sealed { nonce, ciphertext })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Sealed {
        Sealed {
            nonce: [1; NONCE_LEN],
            ciphertext: vec![2, 3, 4],
        }
    }

    #[test]
    fn round_trips_through_json() {
        let mut doc = VaultDocument::new(&sample());
        doc.insert("acme-xero/tokens".to_owned(), &sample());
        let bytes = doc.to_bytes().expect("serialize");
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        assert!(text.starts_with("{\n  \"format\": \"ledgerlink-vault\",\n  \"version\": 1,"));
        let path = Path::new("/v/secrets.json");
        let back = VaultDocument::parse(path, &bytes).expect("parse");
        assert_eq!(back.entry_names(), vec!["acme-xero/tokens".to_owned()]);
        assert_eq!(
            back.entry(path, "acme-xero/tokens").expect("valid"),
            Some(sample())
        );
        assert_eq!(back.entry(path, "acme-xero/other").expect("valid"), None);
        assert_eq!(back.key_check(path).expect("valid"), sample());
    }

    #[test]
    fn foreign_and_newer_files_are_refused_with_what_to_do() {
        let path = Path::new("/v/secrets.json");
        let err = VaultDocument::parse(path, b"{\"format\":\"other\"}").expect_err("foreign");
        assert_eq!(
            err.to_string(),
            "/v/secrets.json is not a readable ledgerlink vault (its \"format\" is not \"ledgerlink-vault\"); restore it from a backup, or move it away to start an empty vault"
        );
        let err = VaultDocument::parse(path, b"{\"format\":\"ledgerlink-vault\",\"version\":2}")
            .expect_err("newer");
        assert_eq!(
            err.to_string(),
            "/v/secrets.json is not a readable ledgerlink vault (it is version 2 of the format; this ledgerlink reads version 1, so upgrade ledgerlink); restore it from a backup, or move it away to start an empty vault"
        );
        assert!(matches!(
            VaultDocument::parse(path, b"not json"),
            Err(VaultError::CorruptFile { .. })
        ));
    }
}

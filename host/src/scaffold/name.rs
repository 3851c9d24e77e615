//! A connector's name, checked, and the names derived from it.

use super::ScaffoldError;

/// Longest name accepted: the manifest allows 64, and the crate name adds `ledgerlink-plugin-`.
const MAX_LEN: usize = 40;

/// A valid connector name (`"acme-books"`) and what the crate is called after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorName {
    name: String,
}

impl ConnectorName {
    /// Check `name`: 1–40 lowercase letters, digits and single '-' between them, starting with
    /// a letter, and not the name of a connector built into ledgerlink.
    pub fn parse(name: &str) -> Result<Self, ScaffoldError> {
        let invalid = |problem: String| ScaffoldError::InvalidName {
            name: name.to_owned(),
            problem,
        };
        if name.is_empty() || name.len() > MAX_LEN {
            return Err(invalid(format!(
                "it must be 1 to {MAX_LEN} characters long (it is {})",
                name.chars().count()
            )));
        }
        if let Some(c) = name
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(invalid(format!(
                "it may hold only lowercase letters a-z, digits and '-', not {c:?}; try {:?}",
                suggestion(name)
            )));
        }
        if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(invalid("it must start with a letter".to_owned()));
        }
        if name.ends_with('-') || name.contains("--") {
            return Err(invalid(
                "a '-' must stand between two letters or digits".to_owned(),
            ));
        }
        if crate::builtin::get(name).is_some() {
            return Err(invalid(
                "a connector built into ledgerlink already has it, and an installed plugin may not take it; choose another"
                    .to_owned(),
            ));
        }
        Ok(Self {
            name: name.to_owned(),
        })
    }

    /// The machine name, as in the manifest.
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The crate: `ledgerlink-plugin-<name>`.
    pub fn crate_name(&self) -> String {
        format!("ledgerlink-plugin-{}", self.name)
    }

    /// The crate as an identifier, which is also the component's file stem.
    pub fn crate_ident(&self) -> String {
        self.crate_name().replace('-', "_")
    }

    /// The name for people: `"acme-books"` → `"Acme Books"`.
    pub fn display_name(&self) -> String {
        self.words().collect::<Vec<_>>().join(" ")
    }

    /// The connector type: `"acme-books"` → `AcmeBooksConnector`.
    pub fn type_name(&self) -> String {
        format!("{}Connector", self.words().collect::<String>())
    }

    fn words(&self) -> impl Iterator<Item = String> + '_ {
        self.name.split('-').map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
    }
}

/// A name that would be accepted, made from one that is not.
fn suggestion(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(name: &str) -> String {
        ConnectorName::parse(name).expect_err(name).to_string()
    }

    #[test]
    fn derived_names() {
        let n = ConnectorName::parse("acme-books2").expect("valid");
        assert_eq!(n.crate_name(), "ledgerlink-plugin-acme-books2");
        assert_eq!(n.crate_ident(), "ledgerlink_plugin_acme_books2");
        assert_eq!(n.display_name(), "Acme Books2");
        assert_eq!(n.type_name(), "AcmeBooks2Connector");
    }

    #[test]
    fn each_rule_says_what_is_wrong_and_what_to_do() {
        assert_eq!(
            problem("Acme Books"),
            "\"Acme Books\" is not a valid connector name: it may hold only lowercase letters a-z, digits and '-', not 'A'; try \"acme-books\""
        );
        assert!(problem("2books").contains("it must start with a letter"));
        assert!(problem("acme--books").contains("a '-' must stand between"));
        assert!(problem("").contains("1 to 40 characters"));
        assert!(problem(&"a".repeat(41)).contains("(it is 41)"));
    }
}

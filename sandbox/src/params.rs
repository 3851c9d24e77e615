//! Request parameters from a query string or an
//! `application/x-www-form-urlencoded` body, read by OAuth 2.0's rules.

use std::collections::HashMap;

/// What is wrong with a parameter set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ParamError {
    /// RFC 6749 §3.1: request parameters must not be included more than once.
    #[error("parameter `{0}` is included more than once")]
    Duplicate(String),
    /// A required parameter is absent or empty.
    #[error("parameter `{0}` is missing")]
    Missing(&'static str),
}

/// Decoded parameters, each name at most once.
#[derive(Debug, Default)]
pub(crate) struct Params(HashMap<String, String>);

impl Params {
    /// Decodes `input` (a query string without `?`, or a form body).
    pub(crate) fn parse(input: &[u8]) -> Result<Params, ParamError> {
        let mut params = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(input) {
            if params
                .insert(name.to_string(), value.into_owned())
                .is_some()
            {
                return Err(ParamError::Duplicate(name.into_owned()));
            }
        }
        Ok(Params(params))
    }

    /// The value of `name`. RFC 6749 §3.1: a parameter sent without a value
    /// is treated as if it were omitted.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    }

    /// The value of `name`, which the request must carry.
    pub(crate) fn require(&self, name: &'static str) -> Result<&str, ParamError> {
        self.get(name).ok_or(ParamError::Missing(name))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn decodes_values_and_treats_empty_as_absent() {
        let params = Params::parse(b"a=1%202&b=&c=x+y").unwrap();
        assert_eq!(params.get("a"), Some("1 2"));
        assert_eq!(params.get("b"), None);
        assert_eq!(params.get("c"), Some("x y"));
        assert_eq!(params.require("b"), Err(ParamError::Missing("b")));
    }

    #[test]
    fn rejects_repeated_parameters() {
        let error = Params::parse(b"code=1&code=2").unwrap_err();
        assert_eq!(
            error.to_string(),
            "parameter `code` is included more than once"
        );
    }
}

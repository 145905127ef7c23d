//! The company id: the one piece of data every part of logofill keys on.
//!
//! The grammar is deliberately tiny (1..=64 of `[A-Za-z0-9_-]`) because the id ends up in S3
//! keys, SQS message groups and URLs: with this alphabet it needs no escaping anywhere, and
//! nothing like `../` or a NUL can ever reach a key.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Longest accepted company id, in characters (all ASCII, so also bytes).
pub const MAX_COMPANY_ID_LEN: usize = 64;

/// A validated company id. The only way to get one is through [`CompanyId::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct CompanyId(String);

/// Why a string is not a company id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompanyIdError {
    #[error("company id is empty; it must be 1 to {MAX_COMPANY_ID_LEN} characters of A-Z, a-z, 0-9, '_' or '-'")]
    Empty,
    #[error(
        "company id {shown} is {len} characters, over the {MAX_COMPANY_ID_LEN}-character limit"
    )]
    TooLong { shown: String, len: usize },
    #[error("company id {shown} has {found:?} at position {position}; only A-Z, a-z, 0-9, '_' and '-' are allowed")]
    BadCharacter {
        shown: String,
        found: char,
        position: usize,
    },
}

impl CompanyIdError {
    /// An id that breaks the rules always will: never retryable.
    pub fn is_retryable(&self) -> bool {
        false
    }
}

/// Quote untrusted text for an error message: escaped, and cut so a hostile input cannot
/// flood the logs or the response body.
pub fn shown(raw: &str) -> String {
    const MAX_SHOWN: usize = 72;
    let mut cut: String = raw.chars().take(MAX_SHOWN).collect();
    if cut.len() < raw.len() {
        cut.push('…');
    }
    format!("{cut:?}")
}

impl CompanyId {
    pub fn parse(raw: &str) -> Result<Self, CompanyIdError> {
        if raw.is_empty() {
            return Err(CompanyIdError::Empty);
        }
        let len = raw.chars().count();
        if let Some((position, found)) = raw
            .chars()
            .enumerate()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            return Err(CompanyIdError::BadCharacter {
                shown: shown(raw),
                found,
                position,
            });
        }
        if len > MAX_COMPANY_ID_LEN {
            return Err(CompanyIdError::TooLong {
                shown: shown(raw),
                len,
            });
        }
        Ok(CompanyId(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CompanyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CompanyId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        CompanyId::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_grammar_at_its_bounds() {
        assert!(CompanyId::parse("a").is_ok());
        assert!(CompanyId::parse(&"x".repeat(64)).is_ok());
        assert!(CompanyId::parse("Acme_Corp-42").is_ok());
    }

    #[test]
    fn rejects_empty() {
        assert_eq!(CompanyId::parse(""), Err(CompanyIdError::Empty));
    }

    #[test]
    fn rejects_one_over_the_length_limit() {
        let err = CompanyId::parse(&"x".repeat(65)).unwrap_err();
        assert!(matches!(err, CompanyIdError::TooLong { len: 65, .. }));
        assert!(err.to_string().contains("64-character limit"), "{err}");
    }

    #[test]
    fn rejects_non_ascii_whitespace_and_paths() {
        for bad in [
            "카카오",
            "é",
            "acme corp",
            " acme",
            "acme\n",
            "../etc",
            "a/b",
            "a.b",
            "a\0b",
        ] {
            let err = CompanyId::parse(bad).unwrap_err();
            assert!(
                matches!(err, CompanyIdError::BadCharacter { .. }),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn long_hostile_input_is_cut_in_the_message() {
        let err = CompanyId::parse(&"<".repeat(10_000)).unwrap_err();
        assert!(err.to_string().len() < 300, "{err}");
    }

    #[test]
    fn deserialising_validates() {
        assert!(serde_json::from_str::<CompanyId>("\"ok-1\"").is_ok());
        assert!(serde_json::from_str::<CompanyId>("\"../x\"").is_err());
    }
}

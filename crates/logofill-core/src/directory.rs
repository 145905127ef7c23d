//! The company directory port: who a company is and where its logo might be.
//!
//! Record contract: `{"id": "...", "name": "...", "homepage": "https://..."?, "logo_url": "https://..."?}`.
//! Unknown fields are ignored. A record that breaks the contract is an error naming the id and
//! the field ([`DirectoryError::Malformed`]), never a panic, and never silently treated as
//! "unknown company": a person must fix the directory, so the worker sends the message to the
//! dead-letter queue where it is visible.
//!
//! Three adapters: [`JsonlDirectory`] (a local JSON Lines file, loaded once; also the twin of
//! the tests), `HttpDirectory` (an endpoint template over the guarded fetcher, in
//! `logofill-fetch`), and the S3 one in `logofill-aws`.

#[cfg(any(test, feature = "contract"))]
pub mod contract;

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;

use serde_json::Value;

use crate::company::{shown, CompanyId};

/// Longest company name kept; longer names are a data error.
pub const MAX_COMPANY_NAME_CHARS: usize = 256;
/// Longest URL accepted in a record.
pub const MAX_RECORD_URL_CHARS: usize = 2048;

/// One company as the directory knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyRecord {
    pub id: CompanyId,
    pub name: String,
    pub homepage: Option<String>,
    pub logo_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectoryError {
    /// The directory could not be asked (network, throttling, 5xx): try again later.
    #[error("company directory {directory} is unavailable: {detail}")]
    Unavailable { directory: String, detail: String },
    /// The record exists but breaks the contract.
    #[error("company directory record for {id}: field {field:?} {reason}")]
    Malformed {
        id: String,
        field: &'static str,
        reason: String,
    },
    /// The directory itself is unusable (a file that cannot be read, a bad template).
    #[error("company directory {directory} cannot be used: {detail}")]
    Broken { directory: String, detail: String },
}

impl DirectoryError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, DirectoryError::Unavailable { .. })
    }
}

/// Looks companies up by id.
pub trait CompanyDirectory: Send + Sync {
    /// `Ok(None)` means the directory does not know the company.
    fn lookup(
        &self,
        id: &CompanyId,
    ) -> impl Future<Output = Result<Option<CompanyRecord>, DirectoryError>> + Send;
}

impl<D: CompanyDirectory + ?Sized> CompanyDirectory for std::sync::Arc<D> {
    fn lookup(
        &self,
        id: &CompanyId,
    ) -> impl Future<Output = Result<Option<CompanyRecord>, DirectoryError>> + Send {
        (**self).lookup(id)
    }
}

impl CompanyRecord {
    /// Parse and check one record. `expected_id`, when given, must match the record's id
    /// (a per-company object or endpoint must describe that company).
    pub fn from_json(raw: &[u8], expected_id: Option<&CompanyId>) -> Result<Self, DirectoryError> {
        let label = expected_id
            .map(|i| i.to_string())
            .unwrap_or_else(|| "?".into());
        let value: Value = serde_json::from_slice(raw).map_err(|e| DirectoryError::Malformed {
            id: label.clone(),
            field: "(record)",
            reason: format!("is not JSON: {e}"),
        })?;
        Self::from_value(&value, expected_id)
    }

    pub fn from_value(
        value: &Value,
        expected_id: Option<&CompanyId>,
    ) -> Result<Self, DirectoryError> {
        let label = value
            .get("id")
            .and_then(Value::as_str)
            .map(shown)
            .or_else(|| expected_id.map(|i| i.to_string()))
            .unwrap_or_else(|| "(no id)".into());
        let malformed = |field: &'static str, reason: String| DirectoryError::Malformed {
            id: label.clone(),
            field,
            reason,
        };
        let object = value
            .as_object()
            .ok_or_else(|| malformed("(record)", "is not a JSON object".into()))?;
        let id = match object.get("id") {
            Some(Value::String(s)) => {
                CompanyId::parse(s).map_err(|e| malformed("id", e.to_string()))?
            }
            Some(_) => return Err(malformed("id", "is not a string".into())),
            None => return Err(malformed("id", "is missing".into())),
        };
        if let Some(expected) = expected_id {
            if &id != expected {
                return Err(malformed(
                    "id",
                    format!("is {id}, but the record was looked up as {expected}"),
                ));
            }
        }
        let name = match object.get("name") {
            Some(Value::String(s)) if s.trim().is_empty() => {
                return Err(malformed("name", "is empty".into()))
            }
            Some(Value::String(s)) if s.chars().count() > MAX_COMPANY_NAME_CHARS => {
                return Err(malformed(
                    "name",
                    format!("is over {MAX_COMPANY_NAME_CHARS} characters"),
                ))
            }
            Some(Value::String(s)) => s.trim().to_string(),
            Some(_) => return Err(malformed("name", "is not a string".into())),
            None => return Err(malformed("name", "is missing".into())),
        };
        let url_field = |field: &'static str| -> Result<Option<String>, DirectoryError> {
            match object.get(field) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
                Some(Value::String(s)) => {
                    let s = s.trim();
                    if s.len() > MAX_RECORD_URL_CHARS {
                        return Err(malformed(
                            field,
                            format!("is over {MAX_RECORD_URL_CHARS} characters"),
                        ));
                    }
                    let lower = s.to_ascii_lowercase();
                    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
                        return Err(malformed(
                            field,
                            format!("{} is not an http(s) URL", shown(s)),
                        ));
                    }
                    Ok(Some(s.to_string()))
                }
                Some(_) => Err(malformed(field, "is not a string".into())),
            }
        };
        Ok(CompanyRecord {
            homepage: url_field("homepage")?,
            logo_url: url_field("logo_url")?,
            id,
            name,
        })
    }
}

/// A JSON Lines file, one record per line, loaded once. Lines that break the contract are
/// remembered by id (so a lookup of that id reports the problem) or, without a usable id,
/// reported by [`JsonlDirectory::problems`].
#[derive(Debug, Default)]
pub struct JsonlDirectory {
    source: String,
    records: HashMap<CompanyId, Result<CompanyRecord, DirectoryError>>,
    problems: Vec<String>,
}

impl JsonlDirectory {
    pub fn load(path: &Path) -> Result<Self, DirectoryError> {
        let text = std::fs::read_to_string(path).map_err(|e| DirectoryError::Broken {
            directory: path.display().to_string(),
            detail: e.to_string(),
        })?;
        Ok(Self::parse(&path.display().to_string(), &text))
    }

    pub fn parse(source: &str, text: &str) -> Self {
        let mut directory = JsonlDirectory {
            source: source.to_string(),
            ..Default::default()
        };
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let value: Value = match serde_json::from_str(line) {
                Ok(v) => v,
                Err(e) => {
                    directory
                        .problems
                        .push(format!("{source} line {}: not JSON: {e}", n + 1));
                    continue;
                }
            };
            let id = value
                .get("id")
                .and_then(Value::as_str)
                .and_then(|s| CompanyId::parse(s).ok());
            match (id, CompanyRecord::from_value(&value, None)) {
                (Some(id), result) => {
                    if let Err(e) = &result {
                        directory
                            .problems
                            .push(format!("{source} line {}: {e}", n + 1));
                    }
                    directory.records.insert(id, result);
                }
                (None, Err(e)) => directory
                    .problems
                    .push(format!("{source} line {}: {e}", n + 1)),
                (None, Ok(_)) => unreachable!("a valid record has a valid id"),
            }
        }
        directory
    }

    /// Lines that could not be used, with the reason.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Every valid record, in no particular order.
    pub fn records(&self) -> impl Iterator<Item = &CompanyRecord> {
        self.records.values().filter_map(|r| r.as_ref().ok())
    }

    pub fn source(&self) -> &str {
        &self.source
    }
}

impl CompanyDirectory for JsonlDirectory {
    fn lookup(
        &self,
        id: &CompanyId,
    ) -> impl Future<Output = Result<Option<CompanyRecord>, DirectoryError>> + Send {
        std::future::ready(self.records.get(id).cloned().transpose())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> CompanyId {
        CompanyId::parse(s).unwrap()
    }

    #[test]
    fn parses_a_full_record_and_ignores_unknown_fields() {
        let r = CompanyRecord::from_json(
            br#"{"id":"acme","name":" Acme ","homepage":"https://acme.example","logo_url":null,"tier":3}"#,
            Some(&id("acme")),
        )
        .unwrap();
        assert_eq!(r.name, "Acme");
        assert_eq!(r.homepage.as_deref(), Some("https://acme.example"));
        assert_eq!(r.logo_url, None);
    }

    #[test]
    fn malformed_records_name_the_id_and_the_field() {
        for (raw, field) in [
            (r#"{"id":"acme"}"#, "name"),
            (r#"{"id":"acme","name":""}"#, "name"),
            (r#"{"id":"acme","name":7}"#, "name"),
            (
                r#"{"id":"acme","name":"A","homepage":"ftp://x"}"#,
                "homepage",
            ),
            (
                r#"{"id":"acme","name":"A","logo_url":"javascript:alert(1)"}"#,
                "logo_url",
            ),
            (r#"{"id":"other","name":"A"}"#, "id"),
            (r#"[1]"#, "(record)"),
        ] {
            let err = CompanyRecord::from_json(raw.as_bytes(), Some(&id("acme"))).unwrap_err();
            match &err {
                DirectoryError::Malformed { field: f, id, .. } => {
                    assert_eq!(*f, field, "{raw}: {err}");
                    assert!(id.contains("acme") || id.contains("other"), "{raw}: {err}");
                }
                other => panic!("{raw}: {other}"),
            }
        }
    }

    #[tokio::test]
    async fn jsonl_keeps_good_records_and_reports_bad_lines() {
        let text = "{\"id\":\"acme\",\"name\":\"Acme\"}\n\n{not json}\n{\"id\":\"bad\",\"name\":5}\n{\"name\":\"no id\"}\n";
        let dir = JsonlDirectory::parse("companies.jsonl", text);
        assert_eq!(dir.lookup(&id("acme")).await.unwrap().unwrap().name, "Acme");
        assert_eq!(dir.lookup(&id("nobody")).await.unwrap(), None);
        let err = dir.lookup(&id("bad")).await.unwrap_err();
        assert!(
            matches!(err, DirectoryError::Malformed { field: "name", .. }),
            "{err}"
        );
        assert_eq!(dir.problems().len(), 3, "{:?}", dir.problems());
        assert!(dir.problems()[0].contains("line 3"), "{:?}", dir.problems());
    }
}

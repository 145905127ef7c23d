//! A message as the replay tools see it: the body untouched, its attributes, and what the
//! body says about itself.
//!
//! The body is never rewritten (not even `origin`): what the worker could not handle is what
//! it gets again, byte for byte. Reading it only serves the operator (company ids, reasons)
//! and the `--company` filter, and uses the core crate's parser so "unreadable" means exactly
//! what it means to the worker.

use logofill_core::message::{MessageError, QueueMessage};
use sha2::{Digest, Sha256};

/// What a body says: a company id, or why it cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyInfo {
    Readable {
        company_id: String,
    },
    Unreadable {
        /// A short, stable category for grouping (`not JSON`, `invalid company id`, ...).
        reason: &'static str,
        /// The parser's full explanation.
        detail: String,
    },
}

impl BodyInfo {
    pub fn of(body: &str) -> Self {
        match QueueMessage::from_body(body) {
            Ok(m) => BodyInfo::Readable {
                company_id: m.company_id.as_str().to_owned(),
            },
            Err(e) => {
                let reason = match &e {
                    MessageError::UnsupportedVersion { .. } => "unsupported message version",
                    MessageError::Unreadable { reason, .. } => {
                        if reason.starts_with("not JSON") {
                            "not JSON"
                        } else if reason.contains("\"v\" is missing") {
                            "no version field"
                        } else if reason.starts_with("company id") {
                            "invalid company id"
                        } else if reason.starts_with("reported_at") {
                            "reported_at is not RFC 3339"
                        } else {
                            "not a v1 message"
                        }
                    }
                };
                BodyInfo::Unreadable {
                    reason,
                    detail: e.to_string(),
                }
            }
        }
    }

    pub fn company_id(&self) -> Option<&str> {
        match self {
            BodyInfo::Readable { company_id } => Some(company_id),
            BodyInfo::Unreadable { .. } => None,
        }
    }

    /// The grouping key for summaries: the company id, or `(unreadable)`.
    pub fn company_key(&self) -> &str {
        self.company_id().unwrap_or(UNREADABLE_KEY)
    }

    /// The grouping key by reason: why the body is unreadable, or that it is readable (the
    /// worker gave up on a well-formed message: a fetch that kept failing, S3 errors).
    pub fn reason_key(&self) -> &'static str {
        match self {
            BodyInfo::Readable { .. } => "readable (the worker gave up after retries)",
            BodyInfo::Unreadable { reason, .. } => reason,
        }
    }
}

/// Summary key for messages whose body has no readable company id.
pub const UNREADABLE_KEY: &str = "(unreadable)";

/// The longest `--run-id`, so a dedup id `{run}-{message id}` stays within SQS's 128.
pub const MAX_RUN_ID_LEN: usize = 40;

/// The default run id: the first 16 hex digits of SHA-256 over where the messages come from
/// and where they go. Filters are left out on purpose: the dedup id is per original message,
/// so any re-run between the same two queues within SQS's 5-minute window sends each message
/// at most once, whatever the filters of each run were.
pub fn default_run_id(source_queue: &str, target_queue: &str) -> String {
    let digest = Sha256::digest(format!("logofill-replay/1\n{source_queue}\n{target_queue}"));
    hex(&digest[..8])
}

/// Check an explicit `--run-id`.
pub fn validate_run_id(run_id: &str) -> Result<(), String> {
    if run_id.is_empty() || run_id.len() > MAX_RUN_ID_LEN {
        return Err(format!(
            "--run-id must be 1 to {MAX_RUN_ID_LEN} characters, got {}",
            run_id.len()
        ));
    }
    if let Some(c) = run_id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_' || *c == '.'))
    {
        return Err(format!(
            "--run-id {run_id:?} has {c:?}; use only A-Z, a-z, 0-9, '-', '_' and '.'"
        ));
    }
    Ok(())
}

/// The FIFO deduplication id of one replayed message: `{run id}-{original message id}`, or a
/// SHA-256 of it when the original id is too long or has characters SQS does not allow.
pub fn dedup_id(run_id: &str, message_id: &str) -> String {
    let raw = format!("{run_id}-{message_id}");
    if raw.len() <= 128 && raw.chars().all(|c| c.is_ascii_graphic()) {
        raw
    } else {
        hex(&Sha256::digest(raw.as_bytes()))
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_company_or_reason() {
        let ok = BodyInfo::of(
            r#"{"v":1,"company_id":"acme","reported_at":"2026-01-02T03:04:05Z","origin":"report"}"#,
        );
        assert_eq!(ok.company_id(), Some("acme"));
        for (body, reason) in [
            ("hello", "not JSON"),
            (r#"{"company_id":"acme"}"#, "no version field"),
            (r#"{"v":7}"#, "unsupported message version"),
            (
                r#"{"v":1,"company_id":"../x","reported_at":"2026-01-02T03:04:05Z","origin":"report"}"#,
                "invalid company id",
            ),
            (
                r#"{"v":1,"company_id":"acme","reported_at":"soon","origin":"report"}"#,
                "reported_at is not RFC 3339",
            ),
        ] {
            let info = BodyInfo::of(body);
            assert_eq!(info.reason_key(), reason, "{body}");
            assert_eq!(info.company_key(), UNREADABLE_KEY);
        }
    }

    #[test]
    fn run_and_dedup_ids() {
        let a = default_run_id("dlq", "q");
        assert_eq!(a.len(), 16);
        assert_eq!(a, default_run_id("dlq", "q"));
        assert_ne!(a, default_run_id("dlq", "other"));
        let id = dedup_id(&a, "6b1f2c3e-0000-4000-8000-000000000001");
        assert_eq!(id, format!("{a}-6b1f2c3e-0000-4000-8000-000000000001"));
        let long = dedup_id(&a, &"x".repeat(200));
        assert_eq!(long.len(), 64);
        assert!(validate_run_id("nightly-2026.01").is_ok());
        assert!(validate_run_id("").is_err());
        assert!(validate_run_id("a b").is_err());
        assert!(validate_run_id(&"a".repeat(41)).is_err());
    }
}

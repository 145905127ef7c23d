//! The queue message contract, version 1.
//!
//! `{"v": 1, "company_id": "...", "reported_at": "RFC 3339", "origin": "report" | "backfill" | "replay" | "refresh" | "operator"}`.
//! Unknown fields are ignored so a newer producer can add fields without breaking an older
//! worker; an unknown `v` or a body that does not parse is an error the worker must surface
//! (the message goes to the dead-letter queue), never a silent drop.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::company::{shown, CompanyId};

/// The only message version this build writes and reads.
pub const MESSAGE_VERSION: u32 = 1;

/// Who put the message on the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Report,
    Backfill,
    Replay,
    /// The scheduled refresh of a stored set that is due.
    Refresh,
    /// An operator's command (`logofill logo`).
    Operator,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMessage {
    pub company_id: CompanyId,
    pub reported_at: DateTime<Utc>,
    pub origin: Origin,
}

#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    #[error("message body is not a logofill v1 message: {reason} (body starts {body})")]
    Unreadable { reason: String, body: String },
    #[error(
        "message version {found} is not supported; this build reads version {MESSAGE_VERSION}"
    )]
    UnsupportedVersion { found: u64 },
}

impl MessageError {
    /// A body that does not parse never will: never retryable (it goes to the dead-letter queue).
    pub fn is_retryable(&self) -> bool {
        false
    }
}

#[derive(Serialize, Deserialize)]
struct Wire<'a> {
    v: u64,
    #[serde(borrow)]
    company_id: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    reported_at: std::borrow::Cow<'a, str>,
    origin: Origin,
}

impl QueueMessage {
    pub fn new(company_id: CompanyId, reported_at: DateTime<Utc>, origin: Origin) -> Self {
        QueueMessage {
            company_id,
            reported_at,
            origin,
        }
    }

    /// The JSON body as it goes on the queue.
    pub fn to_body(&self) -> String {
        let reported_at = self
            .reported_at
            .to_rfc3339_opts(SecondsFormat::Millis, true);
        Self::body_for(&self.company_id, &reported_at, self.origin)
    }

    /// The body for `company_id` with an already formatted RFC 3339 time, so a report of many
    /// ids formats its timestamp once.
    pub fn body_for(company_id: &CompanyId, reported_at: &str, origin: Origin) -> String {
        let wire = Wire {
            v: MESSAGE_VERSION as u64,
            company_id: company_id.as_str().into(),
            reported_at: reported_at.into(),
            origin,
        };
        serde_json::to_string(&wire).expect("a message always serialises")
    }

    /// Parse a body from the queue; every failure says why and quotes the start of the body.
    pub fn from_body(body: &str) -> Result<Self, MessageError> {
        let unreadable = |reason: String| MessageError::Unreadable {
            reason,
            body: shown(body),
        };
        let value: serde_json::Value =
            serde_json::from_str(body).map_err(|e| unreadable(format!("not JSON ({e})")))?;
        match value.get("v").and_then(|v| v.as_u64()) {
            Some(1) => {}
            Some(found) => return Err(MessageError::UnsupportedVersion { found }),
            None => return Err(unreadable("field \"v\" is missing or not a number".into())),
        }
        let wire: Wire = serde_json::from_str(body).map_err(|e| unreadable(format!("{e}")))?;
        let company_id =
            CompanyId::parse(&wire.company_id).map_err(|e| unreadable(e.to_string()))?;
        let reported_at = DateTime::parse_from_rfc3339(&wire.reported_at)
            .map_err(|e| {
                unreadable(format!(
                    "reported_at {} is not RFC 3339 ({e})",
                    shown(&wire.reported_at)
                ))
            })?
            .with_timezone(&Utc);
        Ok(QueueMessage {
            company_id,
            reported_at,
            origin: wire.origin,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let at = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.678Z")
            .unwrap()
            .with_timezone(&Utc);
        let m = QueueMessage::new(CompanyId::parse("acme").unwrap(), at, Origin::Report);
        let body = m.to_body();
        assert_eq!(
            body,
            r#"{"v":1,"company_id":"acme","reported_at":"2026-01-02T03:04:05.678Z","origin":"report"}"#
        );
        assert_eq!(QueueMessage::from_body(&body).unwrap(), m);
    }

    #[test]
    fn reads_every_origin() {
        for (name, origin) in [
            ("report", Origin::Report),
            ("backfill", Origin::Backfill),
            ("replay", Origin::Replay),
            ("refresh", Origin::Refresh),
            ("operator", Origin::Operator),
        ] {
            let body = format!(
                r#"{{"v":1,"company_id":"acme","reported_at":"2026-12-01T00:00:00Z","origin":"{name}"}}"#
            );
            let message = QueueMessage::from_body(&body).unwrap();
            assert_eq!(message.origin, origin, "{name}");
            assert!(message.to_body().contains(&format!(r#""origin":"{name}""#)));
        }
        let unknown =
            r#"{"v":1,"company_id":"acme","reported_at":"2026-12-01T00:00:00Z","origin":"cron"}"#;
        assert!(
            QueueMessage::from_body(unknown).is_err(),
            "an unknown origin is unreadable"
        );
    }

    #[test]
    fn ignores_unknown_fields() {
        let body = r#"{"v":1,"company_id":"acme","reported_at":"2026-01-02T03:04:05Z","origin":"backfill","extra":[1,2]}"#;
        assert_eq!(
            QueueMessage::from_body(body).unwrap().origin,
            Origin::Backfill
        );
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        for (body, needle) in [
            ("", "not JSON"),
            ("{", "not JSON"),
            (r#"{"company_id":"acme"}"#, "\"v\" is missing"),
            (
                r#"{"v":1,"company_id":"../x","reported_at":"2026-01-02T03:04:05Z","origin":"report"}"#,
                "only A-Z",
            ),
            (
                r#"{"v":1,"company_id":"acme","reported_at":"yesterday","origin":"report"}"#,
                "RFC 3339",
            ),
            (
                r#"{"v":1,"company_id":"acme","reported_at":"2026-01-02T03:04:05Z","origin":"telepathy"}"#,
                "unknown variant",
            ),
        ] {
            let err = QueueMessage::from_body(body).unwrap_err().to_string();
            assert!(err.contains(needle), "{body}: {err}");
        }
        let err = QueueMessage::from_body(r#"{"v":2}"#).unwrap_err();
        assert!(matches!(err, MessageError::UnsupportedVersion { found: 2 }));
    }
}

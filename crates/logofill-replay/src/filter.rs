//! Which messages a `move` takes: by company id and by age.
//!
//! Age is measured from the message's `SentTimestamp`, the time it was first sent to the source
//! queue (SQS keeps it across the redrive), because every message has one, readable or not.
//! A message without it never matches an age filter; an unreadable body never matches
//! `--company`.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::message::BodyInfo;
use logofill_core::queue::ReceivedMessage;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Empty: every company.
    pub companies: BTreeSet<String>,
    /// Only messages sent at least this long ago.
    pub older_than: Option<Duration>,
    /// Only messages sent less than this long ago.
    pub newer_than: Option<Duration>,
}

impl Filter {
    /// Refuse a filter that can match nothing because its window is empty.
    pub fn validate(&self) -> Result<(), String> {
        if let (Some(older), Some(newer)) = (self.older_than, self.newer_than) {
            if older >= newer {
                return Err(format!(
                    "--older-than {} and --newer-than {} leave no window: nothing could match",
                    format_duration(older),
                    format_duration(newer)
                ));
            }
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.companies.is_empty() && self.older_than.is_none() && self.newer_than.is_none()
    }

    /// `None` when the message matches, else why not.
    pub fn rejects(
        &self,
        message: &ReceivedMessage,
        info: &BodyInfo,
        now: DateTime<Utc>,
    ) -> Option<&'static str> {
        if !self.companies.is_empty() {
            match info.company_id() {
                Some(id) if self.companies.contains(id) => {}
                Some(_) => return Some("other company"),
                None => return Some("unreadable body"),
            }
        }
        if self.older_than.is_some() || self.newer_than.is_some() {
            let Some(sent) = message.sent_at() else {
                return Some("no SentTimestamp");
            };
            let age = (now - sent).to_std().unwrap_or(Duration::ZERO);
            if self.older_than.is_some_and(|d| age < d) {
                return Some("too new");
            }
            if self.newer_than.is_some_and(|d| age >= d) {
                return Some("too old");
            }
        }
        None
    }
}

/// Parse `90s`, `15m`, `6h`, `2d`, `1w` or combinations like `1h30m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!("{text:?} is not a duration; write a number and a unit (s, m, h, d, w), e.g. 30m, 6h or 1h30m")
    };
    let mut total = 0u64;
    let mut number = String::new();
    let mut any = false;
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        let n: u64 = number.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        number.clear();
        any = true;
    }
    if !any || !number.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

pub fn format_duration(d: Duration) -> String {
    let mut s = d.as_secs();
    if s == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, len) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if s >= len {
            out.push_str(&format!("{}{unit}", s / len));
            s %= len;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn msg(sent_ms: Option<i64>) -> ReceivedMessage {
        ReceivedMessage {
            message_id: "m".into(),
            receipt_handle: "h".into(),
            body: String::new(),
            md5_of_body: None,
            attributes: sent_ms
                .map(|t| BTreeMap::from([("SentTimestamp".to_string(), t.to_string())]))
                .unwrap_or_default(),
            message_attributes: BTreeMap::new(),
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("2d").unwrap(), Duration::from_secs(172_800));
        for bad in ["", "5", "m", "5x", "-5m", "99999999999999999999w"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
    }

    #[test]
    fn age_window_boundaries() {
        let now = DateTime::from_timestamp(10_000, 0).unwrap();
        let info = BodyInfo::of("x");
        let f = Filter {
            older_than: Some(Duration::from_secs(60)),
            newer_than: Some(Duration::from_secs(600)),
            ..Filter::default()
        };
        assert!(f.validate().is_ok());
        // exactly 60 s old: old enough; exactly 600 s old: too old.
        assert_eq!(f.rejects(&msg(Some(9_940_000)), &info, now), None);
        assert_eq!(
            f.rejects(&msg(Some(9_941_000)), &info, now),
            Some("too new")
        );
        assert_eq!(
            f.rejects(&msg(Some(9_400_000)), &info, now),
            Some("too old")
        );
        assert_eq!(f.rejects(&msg(None), &info, now), Some("no SentTimestamp"));
        let empty = Filter {
            older_than: Some(Duration::from_secs(600)),
            newer_than: Some(Duration::from_secs(600)),
            ..Filter::default()
        };
        assert!(empty.validate().is_err());
    }

    #[test]
    fn company_filter_never_takes_unreadable_bodies() {
        let f = Filter {
            companies: ["acme".to_string()].into(),
            ..Filter::default()
        };
        let now = Utc::now();
        let acme = BodyInfo::of(
            r#"{"v":1,"company_id":"acme","reported_at":"2026-01-02T03:04:05Z","origin":"report"}"#,
        );
        assert_eq!(f.rejects(&msg(None), &acme, now), None);
        assert_eq!(
            f.rejects(&msg(None), &BodyInfo::of("junk"), now),
            Some("unreadable body")
        );
    }
}

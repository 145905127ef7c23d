//! The outcomes of one message (design.md, "Outcomes of one message"), and what each means
//! for SQS: failures are reported in `batchItemFailures`, everything else is acknowledged.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Source fetched and rendered; variants uploaded. `redirect` names the other registrable
    /// domain the homepage redirected to, if it did (a rebrand, or a domain that changed hands).
    Stored {
        source_url: String,
        redirect: Option<String>,
    },
    /// The set exists and is not a stale placeholder; nothing fetched.
    AlreadyPresent { kind: String },
    /// A refresh looked again and found nothing to change (the source unchanged, a render that
    /// looks the same, or nothing better): only the sentinel's metadata was updated.
    Unchanged { kind: String, why: String },
    /// Company known, but no usable source: a generated placeholder was uploaded.
    Placeholder { reason: String },
    /// The site answered with a bot challenge (or 401/403/429 everywhere): a placeholder
    /// flagged `reason=blocked` was uploaded, replaced after `LOGOFILL_BLOCKED_RETRY_SECS`.
    Blocked { reason: String },
    /// The directory does not know the id: logged, counted, acknowledged.
    UnknownCompany,
    /// Timeout, 5xx, throttling, S3 or directory trouble: SQS retries, then the DLQ.
    Retry { reason: String },
    /// The body cannot be parsed: failed, so it ends in the DLQ for a person to read.
    Poison { reason: String },
    /// The directory record breaks the contract: failed, so a person sees it in the DLQ.
    BadRecord { reason: String },
    /// Not processed because an earlier record of the same FIFO group failed.
    Skipped,
}

impl Outcome {
    /// Every outcome name, in metric order.
    pub const NAMES: [&'static str; 10] = [
        "stored",
        "already_present",
        "unchanged",
        "placeholder",
        "blocked",
        "unknown_company",
        "retry",
        "poison",
        "bad_record",
        "skipped",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Stored { .. } => "stored",
            Outcome::AlreadyPresent { .. } => "already_present",
            Outcome::Unchanged { .. } => "unchanged",
            Outcome::Placeholder { .. } => "placeholder",
            Outcome::Blocked { .. } => "blocked",
            Outcome::UnknownCompany => "unknown_company",
            Outcome::Retry { .. } => "retry",
            Outcome::Poison { .. } => "poison",
            Outcome::BadRecord { .. } => "bad_record",
            Outcome::Skipped => "skipped",
        }
    }

    /// Whether the message goes back to SQS (reported in `batchItemFailures`).
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Outcome::Retry { .. }
                | Outcome::Poison { .. }
                | Outcome::BadRecord { .. }
                | Outcome::Skipped
        )
    }

    pub fn detail(&self) -> String {
        match self {
            Outcome::Stored {
                source_url,
                redirect: None,
            } => format!("from {source_url}"),
            Outcome::Stored {
                source_url,
                redirect: Some(to),
            } => format!(
                "from {source_url} (the homepage redirected to {to}, another registrable domain)"
            ),
            Outcome::AlreadyPresent { kind } => format!("{kind} set already stored"),
            Outcome::Unchanged { kind, why } => format!("{kind} set kept: {why}"),
            Outcome::Placeholder { reason }
            | Outcome::Blocked { reason }
            | Outcome::Retry { reason }
            | Outcome::Poison { reason }
            | Outcome::BadRecord { reason } => reason.clone(),
            Outcome::UnknownCompany => "not in the company directory".into(),
            Outcome::Skipped => "an earlier record of the same message group failed".into(),
        }
    }
}

/// Where a record's time went.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Timings {
    pub fetch: Duration,
    pub render: Duration,
    pub store: Duration,
}

impl Timings {
    pub fn add(&mut self, other: &Timings) {
        self.fetch += other.fetch;
        self.render += other.render;
        self.store += other.store;
    }
}

//! The outcomes of one message (design.md, "Outcomes of one message"), and what each means
//! for SQS: failures are reported in `batchItemFailures`, everything else is acknowledged.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Source fetched and rendered; variants uploaded.
    Stored { source_url: String },
    /// The set exists and is not a stale placeholder; nothing fetched.
    AlreadyPresent { kind: String },
    /// Company known, but no usable source: a generated placeholder was uploaded.
    Placeholder { reason: String },
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
    pub const NAMES: [&'static str; 8] = [
        "stored",
        "already_present",
        "placeholder",
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
            Outcome::Placeholder { .. } => "placeholder",
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
            Outcome::Stored { source_url } => format!("from {source_url}"),
            Outcome::AlreadyPresent { kind } => format!("{kind} set already stored"),
            Outcome::Placeholder { reason }
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

//! Why a render produced no set. Split three ways so the worker can act on the type alone:
//! the image was refused (its own error says whether the source is unusable), the render ran
//! over its budget (the source is unusable: the same bytes would overrun again), or no helper
//! could be had (retry later).

use std::fmt;
use std::time::Duration;

use logofill_core::units::Bytes;

/// Which part of the budget a render overran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BudgetLimit {
    /// The wall-clock deadline; the helper was killed.
    Time(Duration),
    /// The address-space ceiling: an allocation failed and the helper aborted.
    Memory(u64),
    /// The kernel's CPU-time limit (SIGXCPU).
    Cpu(u64),
    /// The helper's stack overflowed (nesting deeper than any check caught).
    Stack,
    /// The helper died some other way (a signal or an unexpected exit) while rendering.
    Crash(String),
}

impl BudgetLimit {
    /// A short stable name for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            BudgetLimit::Time(_) => "time",
            BudgetLimit::Memory(_) => "memory",
            BudgetLimit::Cpu(_) => "cpu",
            BudgetLimit::Stack => "stack",
            BudgetLimit::Crash(_) => "crash",
        }
    }
}

impl fmt::Display for BudgetLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BudgetLimit::Time(limit) => write!(
                f,
                "took longer than the {} ms render time limit (LOGOFILL_RENDER_TIMEOUT_MS)",
                limit.as_millis()
            ),
            BudgetLimit::Memory(limit) => write!(
                f,
                "needed more than the {} render memory limit (LOGOFILL_RENDER_MEMORY_MB)",
                Bytes(*limit)
            ),
            BudgetLimit::Cpu(limit) => write!(f, "used more than the {limit} s render CPU limit"),
            BudgetLimit::Stack => f.write_str("overflowed the render helper's stack"),
            BudgetLimit::Crash(detail) => write!(f, "ended the render helper ({detail})"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The pipeline refused the bytes; `code` and `permanent` are the image error's own.
    #[error("{message}")]
    Refused {
        code: String,
        message: String,
        permanent: bool,
    },
    /// The render overran its budget and was ended; permanent for this source.
    #[error("rendering {name} {limit}")]
    BudgetExceeded { name: String, limit: BudgetLimit },
    /// No helper process could be started or spoken to; nothing is known about the input.
    #[error("the render helper is unavailable: {detail}")]
    Unavailable { detail: String },
}

impl RenderError {
    /// Whether trying the same bytes again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            RenderError::Refused { permanent, .. } => !permanent,
            RenderError::BudgetExceeded { .. } => false,
            RenderError::Unavailable { .. } => true,
        }
    }

    /// A short stable name for logs, metrics and placeholder reasons.
    pub fn code(&self) -> &str {
        match self {
            RenderError::Refused { code, .. } => code,
            RenderError::BudgetExceeded { .. } => "budget_exceeded",
            RenderError::Unavailable { .. } => "render_unavailable",
        }
    }

    pub(crate) fn from_image(e: logofill_image::ImageError) -> Self {
        RenderError::Refused {
            code: e.code().to_string(),
            message: e.to_string(),
            permanent: !e.is_retryable(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_messages_name_the_input_and_the_limit() {
        let e = RenderError::BudgetExceeded {
            name: "https://acme.example/logo.svg".into(),
            limit: BudgetLimit::Time(Duration::from_millis(3000)),
        };
        assert_eq!(
            e.to_string(),
            "rendering https://acme.example/logo.svg took longer than the 3000 ms render time \
             limit (LOGOFILL_RENDER_TIMEOUT_MS)"
        );
        assert!(!e.is_retryable());
        assert_eq!(e.code(), "budget_exceeded");
        let e = RenderError::BudgetExceeded {
            name: "x.png".into(),
            limit: BudgetLimit::Memory(96 << 20),
        };
        assert_eq!(
            e.to_string(),
            "rendering x.png needed more than the 96 MiB render memory limit \
             (LOGOFILL_RENDER_MEMORY_MB)"
        );
        assert!(RenderError::Unavailable {
            detail: "spawn failed".into()
        }
        .is_retryable());
    }
}

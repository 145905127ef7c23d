//! One reading of AWS errors for every adapter (S3, SQS, CloudFront): which ones may pass by
//! themselves.
//!
//! Retryable: throttling (`Throttling*`, `RequestThrottled`, `SlowDown`, `OverLimit`, a KMS
//! key's throttling, CloudFront's `TooManyInvalidationsInProgress`), server-side trouble
//! (`InternalError`, `InternalFailure`, `ServiceUnavailable`, `RequestTimeout`, any 429 or
//! 5xx whatever its code) and no answer at all (connection, timeout, DNS: not a service error). Everything else AWS answers with (access denied, no such queue or bucket,
//! a KMS key we may not use, bad credentials, a bad parameter) repeats until someone acts.
//! `OverLimit` is SQS's "too many messages in flight": it clears as the worker deletes them.

use aws_sdk_sqs::config::http::HttpResponse;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};

/// An SDK error, read: whether retrying may help, AWS's error code, and what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    pub retryable: bool,
    /// AWS's code, or `Network` when AWS did not answer.
    pub code: String,
    pub detail: String,
}

impl Classified {
    /// The detail for a message: with AWS's code in front when AWS answered.
    pub fn summary(&self) -> String {
        if self.code == "Network" {
            self.detail.clone()
        } else {
            format!("{}: {}", self.code, self.detail)
        }
    }
}

/// Whether an AWS error code names trouble that passes by itself.
pub fn is_retryable_code(code: &str) -> bool {
    code.contains("Throttl")
        || matches!(
            code,
            "RequestThrottled"
                | "SlowDown"
                | "OverLimit"
                | "InternalError"
                | "InternalFailure"
                | "ServiceUnavailable"
                | "RequestTimeout"
                | "TooManyInvalidationsInProgress"
        )
        || code.ends_with(".InternalError")
}

/// Read any SDK error (the S3, SQS and CloudFront crates share the `SdkError` type).
pub fn classify<E>(err: &SdkError<E, HttpResponse>) -> Classified
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("Unknown").to_owned();
            let detail = service
                .err()
                .message()
                .map(str::to_owned)
                .unwrap_or_else(|| service.err().to_string());
            let status = service.raw().status().as_u16();
            Classified {
                retryable: is_retryable_code(&code) || status == 429 || status >= 500,
                code,
                detail: detail.trim_end_matches('.').to_owned(),
            }
        }
        other => Classified {
            retryable: true,
            code: "Network".into(),
            detail: describe_chain(other),
        },
    }
}

/// The error with its sources, since the SDK's top-level message ("dispatch failure") alone
/// does not say what to fix.
pub fn describe_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_and_server_trouble_pass_refusals_do_not() {
        for code in [
            "ThrottlingException",
            "RequestThrottled",
            "SlowDown",
            "OverLimit",
            "InternalError",
            "InternalFailure",
            "ServiceUnavailable",
            "RequestTimeout",
            "KMS.ThrottlingException",
            "AWS.SimpleQueueService.InternalError",
            "TooManyInvalidationsInProgress",
        ] {
            assert!(is_retryable_code(code), "{code}");
        }
        for code in [
            "AccessDenied",
            "AWS.SimpleQueueService.NonExistentQueue",
            "NoSuchBucket",
            "KMS.AccessDeniedException",
            "InvalidClientTokenId",
            "InvalidParameterValue",
            "NoSuchDistribution",
            "InvalidationBatchAlreadyExists",
            "Unknown",
        ] {
            assert!(!is_retryable_code(code), "{code}");
        }
    }
}

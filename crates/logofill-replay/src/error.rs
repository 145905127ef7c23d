//! The one error type of the replay tools.
//!
//! Three kinds, because the operator's next step differs: [`ReplayError::Usage`] (fix the
//! command line or the configuration, exit 2), [`ReplayError::Queue`] (a queue call failed:
//! refused, so someone must act, or unavailable, so re-running later is the fix) and
//! [`ReplayError::Io`] (an archive file). Every AWS error names the queue, the IAM action and the AWS error code, and
//! ends with what to do.

use logofill_core::queue::QueueError;

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// A bad flag, a missing or ambiguous target, an unusable file: nothing was touched.
    #[error("{0}")]
    Usage(String),

    /// A queue call failed: refused (a permission, a missing queue, a KMS key; retrying will
    /// not help until someone acts) or unavailable (throttling, a server error, a timeout or no
    /// connection, after the SDK's own retries). `hint` is the operator's next step.
    #[error("{source}; {hint}")]
    Queue { source: QueueError, hint: String },

    /// Reading or writing an archive file.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl From<QueueError> for ReplayError {
    fn from(source: QueueError) -> Self {
        let hint = hint(&source);
        ReplayError::Queue { source, hint }
    }
}

/// What the operator does next about a queue error.
fn hint(e: &QueueError) -> String {
    let code = match e {
        QueueError::Unavailable { detail, .. } => {
            return if detail.contains("Throttl") || detail.contains("RequestThrottled") {
                "SQS is throttling; lower --rate and re-run".into()
            } else if detail.contains("Internal") || detail.contains("ServiceUnavailable") {
                "SQS had a server error; re-run in a minute".into()
            } else {
                "no answer from SQS; check the network and the endpoint (AWS_ENDPOINT_URL, the region), then re-run".into()
            };
        }
        QueueError::Refused { code, .. } => code.as_str(),
    };
    if code.contains("AccessDenied") || code.contains("NotAuthorized") {
        format!(
            "grant {} on this queue to the credentials in use (AWS_PROFILE, the role), then re-run",
            e.operation().action()
        )
    } else if code.contains("NonExistentQueue") || code.contains("QueueDoesNotExist") {
        "check the queue URL and the region (AWS_REGION, the profile); the queue may have been deleted".into()
    } else if code.starts_with("KMS") {
        "the queue is encrypted with a KMS key these credentials cannot use; grant kms:GenerateDataKey and kms:Decrypt on it".into()
    } else if code.contains("InvalidSecurity")
        || code.contains("InvalidClientTokenId")
        || code.contains("SignatureDoesNotMatch")
        || code.contains("ExpiredToken")
    {
        "the AWS credentials are missing, wrong or expired; refresh them (aws sso login, AWS_PROFILE) and re-run".into()
    } else if code == "NoRegion" {
        "set AWS_REGION or use a queue URL of the form https://sqs.<region>.amazonaws.com/..."
            .into()
    } else {
        "look the AWS error code up in the SQS API reference; the messages not yet moved are still in the dead-letter queue".into()
    }
}

impl ReplayError {
    pub fn usage(message: impl Into<String>) -> Self {
        ReplayError::Usage(message.into())
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, ReplayError::Queue { source, .. } if source.is_retryable())
    }

    pub fn is_usage(&self) -> bool {
        matches!(self, ReplayError::Usage(_))
    }

    /// The queue's error code, when it refused.
    pub fn code(&self) -> Option<&str> {
        match self {
            ReplayError::Queue { source, .. } => source.code(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use logofill_core::queue::Operation;

    #[test]
    fn access_denied_names_the_action_the_queue_and_the_fix() {
        let e = ReplayError::from(QueueError::Refused {
            queue: "https://sqs.eu-west-1.amazonaws.com/1/logofill".into(),
            operation: Operation::SendMessage,
            code: "AccessDenied".into(),
            detail: "not authorized".into(),
        });
        let text = e.to_string();
        assert!(
            text.starts_with("AccessDenied on sqs:SendMessage to https://sqs.eu-west-1.amazonaws.com/1/logofill: not authorized; grant sqs:SendMessage"),
            "{text}"
        );
        assert!(!e.is_retryable());
    }

    #[test]
    fn throttling_is_retryable() {
        let e = ReplayError::from(QueueError::Unavailable {
            queue: "q".into(),
            operation: Operation::ReceiveMessage,
            detail: "ThrottlingException: x".into(),
        });
        assert!(e.is_retryable());
        assert!(e.to_string().contains("lower --rate"));
    }
}

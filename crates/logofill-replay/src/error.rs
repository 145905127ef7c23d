//! The one error type of the replay tools.
//!
//! Three kinds, because the operator's next step differs: [`ReplayError::Usage`] (fix the
//! command line or the configuration, exit 2), [`ReplayError::Permanent`] (AWS refused: a
//! permission, a missing queue, a KMS key; retrying will not help until someone acts) and
//! [`ReplayError::Retryable`] (throttling, a 5xx, a timeout, the network: re-running later
//! is the fix). Every AWS error names the queue, the IAM action and the AWS error code, and
//! ends with what to do.

use std::fmt;

/// The SQS call that failed, with its IAM action so an `AccessDenied` says what to grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    GetQueueAttributes,
    ListDeadLetterSourceQueues,
    ReceiveMessage,
    SendMessage,
    DeleteMessage,
    ChangeMessageVisibility,
}

impl Operation {
    pub fn action(self) -> &'static str {
        match self {
            Operation::GetQueueAttributes => "sqs:GetQueueAttributes",
            Operation::ListDeadLetterSourceQueues => "sqs:ListDeadLetterSourceQueues",
            Operation::ReceiveMessage => "sqs:ReceiveMessage",
            Operation::SendMessage => "sqs:SendMessage",
            Operation::DeleteMessage => "sqs:DeleteMessage",
            Operation::ChangeMessageVisibility => "sqs:ChangeMessageVisibility",
        }
    }

    fn preposition(self) -> &'static str {
        match self {
            Operation::SendMessage => "to",
            Operation::ReceiveMessage | Operation::DeleteMessage => "from",
            _ => "on",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.action())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// A bad flag, a missing or ambiguous target, an unusable file: nothing was touched.
    #[error("{0}")]
    Usage(String),

    /// AWS answered with an error that repeats until someone changes something.
    #[error("{code} on {} {} {queue}: {detail}; {hint}", .operation, .operation.preposition())]
    Permanent {
        queue: String,
        operation: Operation,
        code: String,
        detail: String,
        hint: String,
    },

    /// Throttling, a server error, a timeout or no connection, after the SDK's own retries.
    #[error("{} {} {queue} failed: {detail}; {hint}", .operation, .operation.preposition())]
    Retryable {
        queue: String,
        operation: Operation,
        detail: String,
        hint: String,
    },

    /// Reading or writing an archive file.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl ReplayError {
    pub fn usage(message: impl Into<String>) -> Self {
        ReplayError::Usage(message.into())
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, ReplayError::Retryable { .. })
    }

    pub fn is_usage(&self) -> bool {
        matches!(self, ReplayError::Usage(_))
    }

    /// The AWS error code, when AWS gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ReplayError::Permanent { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Classify an AWS error code; `detail` is AWS's own message.
    pub fn from_code(queue: &str, operation: Operation, code: &str, detail: &str) -> Self {
        let throttled = code.contains("Throttl") || code == "RequestThrottled";
        let server_side = code.contains("InternalError")
            || code.contains("ServiceUnavailable")
            || code.contains("InternalFailure");
        if throttled || server_side {
            return ReplayError::Retryable {
                queue: queue.to_owned(),
                operation,
                detail: format!("{code}: {detail}"),
                hint: if throttled {
                    "SQS is throttling; lower --rate and re-run".into()
                } else {
                    "SQS had a server error; re-run in a minute".into()
                },
            };
        }
        let hint = if code.contains("AccessDenied") || code.contains("NotAuthorized") {
            format!(
                "grant {} on this queue to the credentials in use (AWS_PROFILE, the role), then re-run",
                operation.action()
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
        } else {
            "look the AWS error code up in the SQS API reference; the messages not yet moved are still in the dead-letter queue".into()
        };
        ReplayError::Permanent {
            queue: queue.to_owned(),
            operation,
            code: code.to_owned(),
            detail: detail.trim_end_matches('.').to_owned(),
            hint,
        }
    }

    /// No answer from SQS at all (connection refused, timeout, DNS).
    pub fn unreachable(queue: &str, operation: Operation, detail: String) -> Self {
        ReplayError::Retryable {
            queue: queue.to_owned(),
            operation,
            detail,
            hint: "no answer from SQS; check the network and the endpoint (AWS_ENDPOINT_URL, the region), then re-run".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_denied_names_the_action_the_queue_and_the_fix() {
        let e = ReplayError::from_code(
            "https://sqs.eu-west-1.amazonaws.com/1/logofill",
            Operation::SendMessage,
            "AccessDenied",
            "not authorized",
        );
        let text = e.to_string();
        assert!(
            text.starts_with("AccessDenied on sqs:SendMessage to https://sqs.eu-west-1.amazonaws.com/1/logofill: not authorized; grant sqs:SendMessage"),
            "{text}"
        );
        assert!(!e.is_retryable());
    }

    #[test]
    fn throttling_is_retryable() {
        let e = ReplayError::from_code("q", Operation::ReceiveMessage, "ThrottlingException", "x");
        assert!(e.is_retryable());
        assert!(e.to_string().contains("lower --rate"));
    }
}

//! The SQS adapter of the queue port.
//!
//! Error mapping is the one decision here: a 4xx from SQS other than throttling (the queue
//! does not exist, access denied, a bad parameter) is [`QueueError::Refused`] because retrying
//! will not help until someone acts; throttling, 5xx, timeouts and connection failures are
//! [`QueueError::Unavailable`].

use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;
use logofill_core::queue::{BatchEntryFailure, MessageQueue, OutgoingMessage, QueueError};

/// A queue URL ends in `.fifo` exactly when the queue is FIFO; SQS enforces the name.
pub fn is_fifo_url(url: &str) -> bool {
    url.trim_end_matches('/').ends_with(".fifo")
}

#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: Client,
    url: String,
    fifo: bool,
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        let url = url.into();
        SqsQueue {
            fifo: is_fifo_url(&url),
            client,
            url,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    async fn send(&self, batch: &[OutgoingMessage]) -> Result<Vec<BatchEntryFailure>, QueueError> {
        let mut entries = Vec::with_capacity(batch.len());
        for m in batch {
            let entry = SendMessageBatchRequestEntry::builder()
                .id(&m.entry_id)
                .message_body(&m.body)
                .set_message_group_id(m.group_id.clone())
                .set_message_deduplication_id(m.dedup_id.clone())
                .build()
                .map_err(|e| QueueError::Refused {
                    queue: self.url.clone(),
                    code: "InvalidEntry".into(),
                    detail: e.to_string(),
                })?;
            entries.push(entry);
        }
        let output = self
            .client
            .send_message_batch()
            .queue_url(&self.url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| map_sdk_error(&self.url, e))?;
        Ok(output
            .failed()
            .iter()
            .map(|f| BatchEntryFailure {
                entry_id: f.id().to_owned(),
                code: f.code().to_owned(),
                message: f.message().unwrap_or_default().to_owned(),
                sender_fault: f.sender_fault(),
            })
            .collect())
    }
}

impl MessageQueue for SqsQueue {
    fn name(&self) -> &str {
        &self.url
    }

    fn is_fifo(&self) -> bool {
        self.fifo
    }

    fn send_batch(
        &self,
        batch: &[OutgoingMessage],
    ) -> impl std::future::Future<Output = Result<Vec<BatchEntryFailure>, QueueError>> + Send {
        self.send(batch)
    }
}

/// Turn any SDK error into the port's error, keeping the AWS error code for the operator.
pub fn map_sdk_error<E, R>(queue: &str, err: SdkError<E, R>) -> QueueError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("Unknown").to_owned();
            let detail = service
                .err()
                .message()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{}", service.err()));
            let throttled =
                code.contains("Throttl") || code == "RequestThrottled" || code == "OverLimit";
            let server_side = code.contains("InternalError") || code.contains("ServiceUnavailable");
            if throttled || server_side {
                QueueError::Unavailable {
                    queue: queue.to_owned(),
                    detail: format!("{code}: {detail}"),
                }
            } else {
                QueueError::Refused {
                    queue: queue.to_owned(),
                    code,
                    detail,
                }
            }
        }
        _ => QueueError::Unavailable {
            queue: queue.to_owned(),
            detail: describe_chain(&err),
        },
    }
}

/// The error with its sources, since the SDK's top-level message ("dispatch failure") alone
/// does not say what to fix.
fn describe_chain(err: &(dyn std::error::Error + 'static)) -> String {
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
    fn fifo_is_read_from_the_url() {
        assert!(is_fifo_url(
            "https://sqs.eu-west-1.amazonaws.com/123/logofill.fifo"
        ));
        assert!(!is_fifo_url(
            "https://sqs.eu-west-1.amazonaws.com/123/logofill"
        ));
    }
}

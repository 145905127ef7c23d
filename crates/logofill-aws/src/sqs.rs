//! The SQS adapter of the queue port: [`Sqs`] implements `QueueService` on `aws-sdk-sqs`, and
//! [`SqsQueue`] is it bound to one queue URL (the report service's `MessageQueue`).
//!
//! Errors are read by [`crate::error::classify`], the one reading every adapter shares:
//! throttling, 5xx, timeouts and no answer are `QueueError::Unavailable`; anything else AWS
//! answers with is `QueueError::Refused`, keeping AWS's code. When no region is configured,
//! the region in the queue URL (`sqs.<region>.amazonaws.com`) is used, so a URL alone is
//! enough for the operator tools.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_sqs::config::http::HttpResponse;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::primitives::Blob;
use aws_sdk_sqs::types::{
    BatchResultErrorEntry, ChangeMessageVisibilityBatchRequestEntry,
    DeleteMessageBatchRequestEntry, MessageAttributeValue, MessageSystemAttributeName,
    QueueAttributeName, SendMessageBatchRequestEntry,
};
use aws_sdk_sqs::Client;
use logofill_core::queue::{
    AttributeValue, BoundQueue, EntryFailure, Handle, Operation, OutgoingMessage, QueueError,
    QueueInfo, QueueService, ReceivedMessage, MAX_BATCH_ENTRIES, MAX_RECEIVE_WAIT, MAX_VISIBILITY,
};

use crate::error::classify;
use crate::AwsTimeouts;

/// SQS, on one client; any queue by URL.
#[derive(Debug, Clone)]
pub struct Sqs {
    client: Client,
}

/// [`Sqs`] bound to one queue: what the report service and `logofill enqueue` send to.
pub type SqsQueue = BoundQueue<Sqs>;

/// The region in an SQS queue URL, `https://sqs.<region>.amazonaws.com/...`.
pub fn region_from_url(url: &str) -> Option<String> {
    let host = url.split("://").nth(1)?.split('/').next()?;
    let mut parts = host.split('.');
    if parts.next()? != "sqs" {
        return None;
    }
    let region = parts.next()?;
    (parts.next()? == "amazonaws").then(|| region.to_owned())
}

impl Sqs {
    pub fn new(client: Client) -> Self {
        Sqs { client }
    }

    /// A client from the standard chain; `receive_wait` is the long-poll time, which every
    /// attempt's timeout must exceed. `queue_url` supplies the region when none is configured.
    pub async fn from_env(receive_wait: Duration, queue_url: &str) -> Self {
        let timeouts = AwsTimeouts {
            connect: Duration::from_secs(3),
            attempt: receive_wait + Duration::from_secs(10),
            operation: receive_wait + Duration::from_secs(40),
        };
        let config = crate::sdk_config(timeouts).await;
        let mut builder = aws_sdk_sqs::config::Builder::from(&config);
        if config.region().is_none() {
            if let Some(region) = region_from_url(queue_url) {
                builder = builder.region(aws_sdk_sqs::config::Region::new(region));
            }
        }
        Sqs::new(Client::from_conf(builder.build()))
    }

    /// This service bound to one queue.
    pub fn queue(self, url: impl Into<String>) -> SqsQueue {
        BoundQueue::bind(self, url)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// Turn any SDK error into the port's error, keeping the AWS error code for the operator.
pub fn queue_error<E>(
    queue: &str,
    operation: Operation,
    err: SdkError<E, HttpResponse>,
) -> QueueError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let classified = classify(&err);
    if !classified.retryable {
        return QueueError::Refused {
            queue: queue.to_owned(),
            operation,
            code: classified.code,
            detail: classified.detail,
        };
    }
    let detail = &classified.detail;
    let no_region =
        detail.contains("no region") || (detail.contains("region") && detail.contains("missing"));
    if classified.code == "Network" && no_region {
        return QueueError::Refused {
            queue: queue.to_owned(),
            operation,
            code: "NoRegion".into(),
            detail: format!(
                "no AWS region configured; set AWS_REGION or a profile region ({detail})"
            ),
        };
    }
    QueueError::Unavailable {
        queue: queue.to_owned(),
        operation,
        detail: classified.summary(),
    }
}

fn failures(failed: &[BatchResultErrorEntry]) -> Vec<EntryFailure> {
    failed
        .iter()
        .map(|f| EntryFailure {
            entry_id: f.id().to_owned(),
            code: f.code().to_owned(),
            message: f.message().unwrap_or_default().to_owned(),
            sender_fault: f.sender_fault(),
        })
        .collect()
}

fn invalid_entry(queue: &str, operation: Operation, e: impl std::fmt::Display) -> QueueError {
    QueueError::Refused {
        queue: queue.to_owned(),
        operation,
        code: "InvalidEntry".into(),
        detail: e.to_string(),
    }
}

fn check_batch(queue: &str, operation: Operation, len: usize) -> Result<(), QueueError> {
    if len > MAX_BATCH_ENTRIES {
        return Err(invalid_entry(
            queue,
            operation,
            format!("a batch holds at most {MAX_BATCH_ENTRIES} entries, not {len}"),
        ));
    }
    Ok(())
}

fn to_sdk_attribute(v: &AttributeValue) -> Result<MessageAttributeValue, String> {
    MessageAttributeValue::builder()
        .data_type(&v.data_type)
        .set_string_value(v.string_value.clone())
        .set_binary_value(v.binary_value.clone().map(Blob::new))
        .build()
        .map_err(|e| e.to_string())
}

fn from_sdk_attribute(v: &MessageAttributeValue) -> AttributeValue {
    AttributeValue {
        data_type: v.data_type().to_owned(),
        string_value: v.string_value().map(str::to_owned),
        binary_value: v.binary_value().map(|b| b.as_ref().to_vec()),
    }
}

fn count(attrs: &HashMap<QueueAttributeName, String>, name: QueueAttributeName) -> u64 {
    attrs.get(&name).and_then(|v| v.parse().ok()).unwrap_or(0)
}

fn seconds(d: Duration, max: Duration) -> i32 {
    d.min(max).as_secs() as i32
}

impl QueueService for Sqs {
    async fn queue_info(&self, url: &str) -> Result<QueueInfo, QueueError> {
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .map_err(|e| queue_error(url, Operation::GetQueueAttributes, e))?;
        let empty = HashMap::new();
        let attrs = out.attributes().unwrap_or(&empty);
        Ok(QueueInfo {
            url: url.to_owned(),
            arn: attrs.get(&QueueAttributeName::QueueArn).cloned(),
            fifo: attrs
                .get(&QueueAttributeName::FifoQueue)
                .is_some_and(|v| v == "true"),
            visible: count(attrs, QueueAttributeName::ApproximateNumberOfMessages),
            in_flight: count(
                attrs,
                QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
            ),
            delayed: count(
                attrs,
                QueueAttributeName::ApproximateNumberOfMessagesDelayed,
            ),
            visibility_timeout_secs: attrs
                .get(&QueueAttributeName::VisibilityTimeout)
                .and_then(|v| v.parse().ok()),
            redrive_policy: attrs.get(&QueueAttributeName::RedrivePolicy).cloned(),
        })
    }

    async fn dead_letter_sources(&self, url: &str) -> Result<Vec<String>, QueueError> {
        let mut urls = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .client
                .list_dead_letter_source_queues()
                .queue_url(url)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| queue_error(url, Operation::ListDeadLetterSourceQueues, e))?;
            urls.extend(out.queue_urls().iter().cloned());
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(urls);
            }
        }
    }

    async fn receive(
        &self,
        url: &str,
        max: usize,
        wait: Duration,
        visibility: Duration,
    ) -> Result<Vec<ReceivedMessage>, QueueError> {
        let out = self
            .client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(max.clamp(1, MAX_BATCH_ENTRIES) as i32)
            .wait_time_seconds(seconds(wait, MAX_RECEIVE_WAIT))
            .visibility_timeout(seconds(visibility, MAX_VISIBILITY))
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(|e| queue_error(url, Operation::ReceiveMessage, e))?;
        Ok(out
            .messages()
            .iter()
            .map(|m| ReceivedMessage {
                message_id: m.message_id().unwrap_or_default().to_owned(),
                receipt_handle: m.receipt_handle().unwrap_or_default().to_owned(),
                body: m.body().unwrap_or_default().to_owned(),
                md5_of_body: m.md5_of_body().map(str::to_owned),
                attributes: m
                    .attributes()
                    .map(|a| {
                        a.iter()
                            .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                            .collect()
                    })
                    .unwrap_or_default(),
                message_attributes: m
                    .message_attributes()
                    .map(|a| {
                        a.iter()
                            .map(|(k, v)| (k.clone(), from_sdk_attribute(v)))
                            .collect::<BTreeMap<_, _>>()
                    })
                    .unwrap_or_default(),
            })
            .collect())
    }

    async fn send_batch(
        &self,
        url: &str,
        entries: &[OutgoingMessage],
    ) -> Result<Vec<EntryFailure>, QueueError> {
        let op = Operation::SendMessage;
        check_batch(url, op, entries.len())?;
        let mut batch = Vec::with_capacity(entries.len());
        for e in entries {
            let mut attributes = HashMap::with_capacity(e.attributes.len());
            for (name, value) in &e.attributes {
                let value = to_sdk_attribute(value).map_err(|m| invalid_entry(url, op, m))?;
                attributes.insert(name.clone(), value);
            }
            batch.push(
                SendMessageBatchRequestEntry::builder()
                    .id(&e.entry_id)
                    .message_body(&e.body)
                    .set_message_attributes((!attributes.is_empty()).then_some(attributes))
                    .set_message_group_id(e.group_id.clone())
                    .set_message_deduplication_id(e.dedup_id.clone())
                    .build()
                    .map_err(|m| invalid_entry(url, op, m))?,
            );
        }
        let out = self
            .client
            .send_message_batch()
            .queue_url(url)
            .set_entries(Some(batch))
            .send()
            .await
            .map_err(|e| queue_error(url, op, e))?;
        Ok(failures(out.failed()))
    }

    async fn delete_batch(
        &self,
        url: &str,
        handles: &[Handle],
    ) -> Result<Vec<EntryFailure>, QueueError> {
        let op = Operation::DeleteMessage;
        check_batch(url, op, handles.len())?;
        let entries = handles
            .iter()
            .map(|h| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(&h.entry_id)
                    .receipt_handle(&h.receipt_handle)
                    .build()
                    .map_err(|m| invalid_entry(url, op, m))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = self
            .client
            .delete_message_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| queue_error(url, op, e))?;
        Ok(failures(out.failed()))
    }

    async fn change_visibility_batch(
        &self,
        url: &str,
        handles: &[Handle],
        visibility: Duration,
    ) -> Result<Vec<EntryFailure>, QueueError> {
        let op = Operation::ChangeMessageVisibility;
        check_batch(url, op, handles.len())?;
        let entries = handles
            .iter()
            .map(|h| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(&h.entry_id)
                    .receipt_handle(&h.receipt_handle)
                    .visibility_timeout(seconds(visibility, MAX_VISIBILITY))
                    .build()
                    .map_err(|m| invalid_entry(url, op, m))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = self
            .client
            .change_message_visibility_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| queue_error(url, op, e))?;
        Ok(failures(out.failed()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_comes_from_an_aws_queue_url() {
        assert_eq!(
            region_from_url("https://sqs.eu-west-1.amazonaws.com/123/q").as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(region_from_url("http://127.0.0.1:5000/123/q"), None);
    }
}

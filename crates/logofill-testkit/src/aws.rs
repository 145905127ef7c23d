//! AWS through the SDK, against moto: clients, queues (with a dead-letter queue), buckets,
//! and the Lambda service's side of an SQS trigger, so a test can hand a handler or a Lambda
//! binary the event AWS would deliver and settle the batch as AWS would after the answer.
//!
//! The clients are built by `logofill_aws::local_sdk_config`, the configuration the binaries
//! use for a custom endpoint, so a test talks to moto exactly as the code under test does.

/// An SQS client for `endpoint`.
pub async fn sqs_client(endpoint: &str) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&logofill_aws::local_sdk_config(endpoint).await)
}

/// Create a queue and return its URL.
pub async fn create_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> String {
    let mut request = sqs.create_queue().queue_name(name);
    if name.ends_with(".fifo") {
        request = request.attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true");
    }
    request
        .send()
        .await
        .expect("create_queue")
        .queue_url()
        .expect("queue url")
        .to_owned()
}

/// Receive every message currently in the queue (and delete them).
pub async fn drain_queue(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    loop {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .send()
            .await
            .expect("receive_message");
        let messages = out.messages();
        if messages.is_empty() {
            return bodies;
        }
        for m in messages {
            bodies.push(m.body().unwrap_or_default().to_owned());
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("delete_message");
        }
    }
}

/// An S3 client for `endpoint` (path-style, as for any custom endpoint).
pub async fn s3_client(endpoint: &str) -> aws_sdk_s3::Client {
    logofill_aws::s3_client(&logofill_aws::local_sdk_config(endpoint).await)
}

pub async fn create_bucket(s3: &aws_sdk_s3::Client, name: &str) {
    s3.create_bucket()
        .bucket(name)
        .send()
        .await
        .expect("create_bucket");
}

/// Create a queue with a dead-letter queue (`maxReceiveCount` as given) and a visibility
/// timeout; returns (queue URL, DLQ URL).
pub async fn create_queue_with_dlq(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    max_receive_count: u32,
    visibility_timeout_secs: u32,
) -> (String, String) {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let fifo = name.ends_with(".fifo");
    let dlq_name = if fifo {
        format!("{}-dlq.fifo", name.trim_end_matches(".fifo"))
    } else {
        format!("{name}-dlq")
    };
    let dlq_url = create_queue(sqs, &dlq_name).await;
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(A::QueueArn)
        .send()
        .await
        .expect("dlq attributes")
        .attributes()
        .and_then(|a| a.get(&A::QueueArn).cloned())
        .expect("dlq arn");
    let mut request = sqs
        .create_queue()
        .queue_name(name)
        .attributes(A::VisibilityTimeout, visibility_timeout_secs.to_string())
        .attributes(
            A::RedrivePolicy,
            format!(
                r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"{max_receive_count}"}}"#
            ),
        );
    if fifo {
        request = request.attributes(A::FifoQueue, "true");
    }
    let url = request
        .send()
        .await
        .expect("create_queue")
        .queue_url()
        .unwrap()
        .to_owned();
    (url, dlq_url)
}

/// Receive up to 10 messages and shape them as the Lambda SQS event AWS would deliver.
pub async fn receive_as_lambda_event(sqs: &aws_sdk_sqs::Client, url: &str) -> serde_json::Value {
    let out = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
        .wait_time_seconds(1)
        .send()
        .await
        .expect("receive_message");
    let records: Vec<serde_json::Value> = out
        .messages()
        .iter()
        .map(|m| {
            let attributes: serde_json::Map<String, serde_json::Value> = m
                .attributes()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| (k.as_str().to_string(), serde_json::Value::from(v.clone())))
                        .collect()
                })
                .unwrap_or_default();
            serde_json::json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": m.body(),
                "attributes": attributes,
                "messageAttributes": {},
                "md5OfBody": m.md5_of_body(),
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:logofill",
                "awsRegion": "us-east-1"
            })
        })
        .collect();
    serde_json::json!({ "Records": records })
}

/// Delete the messages of a handled event except the reported failures, as the Lambda
/// service does after a partial batch response. Failed ones are made visible again.
pub async fn settle_batch(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    event: &serde_json::Value,
    failed: &[String],
) {
    for record in event["Records"].as_array().unwrap() {
        let id = record["messageId"].as_str().unwrap();
        let handle = record["receiptHandle"].as_str().unwrap();
        if failed.iter().any(|f| f == id) {
            sqs.change_message_visibility()
                .queue_url(url)
                .receipt_handle(handle)
                .visibility_timeout(0)
                .send()
                .await
                .expect("change_message_visibility");
        } else {
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(handle)
                .send()
                .await
                .expect("delete_message");
        }
    }
}

/// A distribution in front of a (pretend) logo bucket; returns its id.
pub async fn create_distribution(client: &aws_sdk_cloudfront::Client) -> String {
    use aws_sdk_cloudfront::types::{
        DefaultCacheBehavior, DistributionConfig, Origin, Origins, S3OriginConfig,
        ViewerProtocolPolicy,
    };
    let origin = Origin::builder()
        .id("logos")
        .domain_name("logos.s3.us-east-1.amazonaws.com")
        .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
        .build()
        .unwrap();
    let config = DistributionConfig::builder()
        .caller_reference("logofill-test-distribution")
        .comment("logofill test")
        .enabled(true)
        .origins(
            Origins::builder()
                .quantity(1)
                .items(origin)
                .build()
                .unwrap(),
        )
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id("logos")
                .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let out = client
        .create_distribution()
        .distribution_config(config)
        .send()
        .await
        .expect("moto creates the distribution");
    out.distribution().unwrap().id().to_string()
}

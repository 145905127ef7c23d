//! AWS adapters for the ports of `logofill-core`.
//!
//! Every AWS client in logofill is built from [`sdk_config`], so all of them share one
//! decision: TLS through rustls with *ring* (one crypto library for the whole binary, and no
//! C/CMake build of aws-lc on the way), the SDK's standard credential and region chain, and
//! `AWS_ENDPOINT_URL` and the per-service `AWS_ENDPOINT_URL_SQS`, `AWS_ENDPOINT_URL_S3`,
//! `AWS_ENDPOINT_URL_CLOUDFRONT` honoured for local servers and tests.

pub mod cloudfront;
pub mod error;
pub mod lambda;
pub mod s3;
pub mod sqs;

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

pub use aws_config::SdkConfig;
pub use cloudfront::{cloudfront_client, CloudFrontInvalidator};
pub use s3::{s3_client, S3Directory, S3Store};
pub use sqs::{Sqs, SqsQueue};

/// Time limits for one AWS call. The report Lambda answers a page, so it keeps these short;
/// the SDK's standard retry (3 attempts, backoff) runs inside `operation`.
#[derive(Debug, Clone, Copy)]
pub struct AwsTimeouts {
    pub connect: Duration,
    pub attempt: Duration,
    pub operation: Duration,
}

impl Default for AwsTimeouts {
    fn default() -> Self {
        AwsTimeouts {
            connect: Duration::from_secs(2),
            attempt: Duration::from_secs(3),
            operation: Duration::from_secs(8),
        }
    }
}

/// Load the shared SDK configuration from the environment (standard chain).
pub async fn sdk_config(timeouts: AwsTimeouts) -> SdkConfig {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(timeouts.connect)
                .operation_attempt_timeout(timeouts.attempt)
                .operation_timeout(timeouts.operation)
                .build(),
        )
        .load()
        .await
}

/// SDK configuration for an S3/SQS-compatible server at `endpoint` (a local test or dev
/// server): fixed dummy credentials, region `us-east-1`, path-style friendly. Nothing is read
/// from the environment, so tests do not depend on the machine's AWS setup.
pub async fn local_sdk_config(endpoint: &str) -> SdkConfig {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client)
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "test",
            "test",
            None,
            None,
            "logofill-local",
        ))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_timeout(Duration::from_secs(30))
                .build(),
        )
        .load()
        .await
}

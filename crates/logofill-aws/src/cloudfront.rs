//! The CloudFront adapter of the CDN port: one `CreateInvalidation` per [`Invalidation`].
//!
//! Decisions:
//! - The client comes from the shared [`sdk_config`](crate::sdk_config) like every other, so
//!   TLS, credentials and timeouts are the same. CloudFront is a global service: the SDK sends
//!   it to `cloudfront.amazonaws.com`, signed for `us-east-1`, whatever the Lambda's region;
//!   `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_CLOUDFRONT`) points it at a local server.
//! - Error mapping: throttling, `TooManyInvalidationsInProgress` (CloudFront's ceiling on
//!   invalidations in progress, which lifts as they complete), a 5xx and no answer at all are
//!   [`CdnError::Unavailable`]; everything else (`AccessDenied`, `NoSuchDistribution`, a
//!   request CloudFront will never take) is [`CdnError::Refused`], naming the distribution and
//!   `cloudfront:CreateInvalidation` so an operator knows what to grant or fix.

use aws_config::SdkConfig;
use aws_sdk_cloudfront::config::http::HttpResponse;
use aws_sdk_cloudfront::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudfront::types::{InvalidationBatch as CloudFrontBatch, Paths};
use aws_sdk_cloudfront::Client;
use logofill_core::cdn::{CdnError, CdnInvalidator, Invalidation};

use crate::error::classify;

/// A CloudFront client for `sdk` (the shared configuration of [`crate::sdk_config`]).
pub fn cloudfront_client(sdk: &SdkConfig) -> Client {
    Client::new(sdk)
}

/// Invalidations on one distribution.
#[derive(Debug, Clone)]
pub struct CloudFrontInvalidator {
    client: Client,
    distribution_id: String,
}

impl CloudFrontInvalidator {
    pub fn new(client: Client, distribution_id: impl Into<String>) -> Self {
        CloudFrontInvalidator {
            client,
            distribution_id: distribution_id.into(),
        }
    }

    /// The worker's constructor: a client from the shared SDK configuration, for the
    /// distribution named by `LOGOFILL_CDN_DISTRIBUTION_ID`.
    pub fn from_sdk_config(sdk: &SdkConfig, distribution_id: impl Into<String>) -> Self {
        Self::new(cloudfront_client(sdk), distribution_id)
    }

    pub fn distribution_id(&self) -> &str {
        &self.distribution_id
    }

    async fn invalidate_now(&self, invalidation: &Invalidation) -> Result<(), CdnError> {
        let paths = invalidation.paths().len();
        let refused = |code: &str, detail: String| CdnError::Refused {
            distribution: self.distribution_id.clone(),
            paths,
            code: code.to_string(),
            detail,
        };
        let batch = Paths::builder()
            .quantity(i32::try_from(paths).unwrap_or(i32::MAX))
            .set_items(Some(invalidation.paths().to_vec()))
            .build()
            .and_then(|p| {
                CloudFrontBatch::builder()
                    .paths(p)
                    .caller_reference(invalidation.caller_reference())
                    .build()
            })
            .map_err(|e| refused("InvalidRequest", e.to_string()))?;
        let output = self
            .client
            .create_invalidation()
            .distribution_id(&self.distribution_id)
            .invalidation_batch(batch)
            .send()
            .await
            .map_err(|e| cdn_error(&self.distribution_id, paths, e))?;
        tracing::info!(
            distribution = %self.distribution_id,
            invalidation = output.invalidation().map(|i| i.id()).unwrap_or_default(),
            caller_reference = invalidation.caller_reference(),
            paths,
            companies = invalidation.companies(),
            all_logos = invalidation.is_all_logos(),
            "CDN invalidation submitted"
        );
        Ok(())
    }
}

impl CdnInvalidator for CloudFrontInvalidator {
    fn invalidate(
        &self,
        invalidation: &Invalidation,
    ) -> impl std::future::Future<Output = Result<(), CdnError>> + Send {
        self.invalidate_now(invalidation)
    }
}

/// Turn any SDK error of a CloudFront call into the port's error, keeping the AWS code.
pub fn cdn_error<E>(distribution: &str, paths: usize, err: SdkError<E, HttpResponse>) -> CdnError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let classified = classify(&err);
    if classified.retryable {
        CdnError::Unavailable {
            distribution: distribution.to_string(),
            paths,
            detail: classified.summary(),
        }
    } else {
        CdnError::Refused {
            distribution: distribution.to_string(),
            paths,
            code: classified.code,
            detail: classified.detail,
        }
    }
}

//! Building the worker's adapters from configuration, once per process.
//!
//! The AWS half (the S3 store and directory, the CloudFront invalidator, the Lambda's worker)
//! is built only with the `aws` feature (on by default); without it this crate links no AWS
//! SDK, which is how the dev runner uses it.

use std::sync::Arc;

#[cfg(feature = "aws")]
use logofill_aws::{s3_client, CloudFrontInvalidator, S3Directory, S3Store};
#[cfg(feature = "aws")]
use logofill_core::cdn::{CdnError, CdnInvalidator, Invalidation, NoCdn};
use logofill_core::directory::DirectoryError;
#[cfg(feature = "aws")]
use logofill_core::directory::{CompanyDirectory, CompanyRecord, JsonlDirectory};
#[cfg(feature = "aws")]
use logofill_core::CompanyId;
use logofill_discover::DiscoveryOptions;
#[cfg(feature = "aws")]
use logofill_fetch::HttpDirectory;
use logofill_fetch::{FetchOptions, GuardedFetcher, LoopbackAccess};
use logofill_image::{Pipeline, PipelineOptions, TrimOptions};
use logofill_render::{HelperCommand, RenderBudget, RenderPool, Renderer};

#[cfg(feature = "aws")]
use crate::config::DirectorySource;
use crate::config::WorkerSettings;
#[cfg(feature = "aws")]
use crate::service::LogoWorker;
use crate::service::ServiceOptions;

/// Why an adapter could not be built from the settings: a start-up error, named by what was
/// being built.
#[derive(Debug, thiserror::Error)]
pub enum WiringError {
    #[error("the fetcher could not be built: {0}")]
    Fetcher(#[from] logofill_fetch::fetcher::BuildError),
    #[error("the image pipeline could not be built: {0}")]
    Pipeline(#[from] logofill_image::ImageError),
    #[error("the render helper (this executable) could not be found: {0}")]
    HelperExecutable(#[from] std::io::Error),
    #[error("the company directory could not be opened: {0}")]
    Directory(#[from] DirectoryError),
    #[error("an s3:// directory needs AWS access")]
    DirectoryNeedsAws,
}

/// One of the three directory adapters, chosen by `LOGOFILL_DIRECTORY`.
#[cfg(feature = "aws")]
pub enum AnyDirectory {
    File(JsonlDirectory),
    S3(S3Directory),
    Http(HttpDirectory<Arc<GuardedFetcher>>),
}

#[cfg(feature = "aws")]
impl CompanyDirectory for AnyDirectory {
    async fn lookup(&self, id: &CompanyId) -> Result<Option<CompanyRecord>, DirectoryError> {
        match self {
            AnyDirectory::File(d) => d.lookup(id).await,
            AnyDirectory::S3(d) => d.lookup(id).await,
            AnyDirectory::Http(d) => d.lookup(id).await,
        }
    }
}

/// The CDN invalidator chosen by `LOGOFILL_CDN_DISTRIBUTION_ID`: CloudFront, or none.
#[cfg(feature = "aws")]
pub enum AnyCdn {
    None(NoCdn),
    CloudFront(CloudFrontInvalidator),
}

#[cfg(feature = "aws")]
impl CdnInvalidator for AnyCdn {
    async fn invalidate(&self, invalidation: &Invalidation) -> Result<(), CdnError> {
        match self {
            AnyCdn::None(cdn) => cdn.invalidate(invalidation).await,
            AnyCdn::CloudFront(cdn) => cdn.invalidate(invalidation).await,
        }
    }
}

/// The CDN invalidator for these settings, its client from the shared SDK configuration.
#[cfg(feature = "aws")]
pub fn cdn(settings: &WorkerSettings, sdk: &aws_config::SdkConfig) -> AnyCdn {
    match &settings.cdn_distribution_id {
        Some(id) => AnyCdn::CloudFront(CloudFrontInvalidator::from_sdk_config(sdk, id)),
        None => AnyCdn::None(NoCdn),
    }
}

/// The guarded fetcher for these settings.
pub fn fetcher(settings: &WorkerSettings) -> Result<Arc<GuardedFetcher>, WiringError> {
    let options = FetchOptions {
        connect_timeout: settings.fetch_connect_timeout,
        total_timeout: settings.fetch_timeout,
        max_body_bytes: settings.fetch_max_bytes,
        max_redirects: settings.fetch_max_redirects,
        loopback: LoopbackAccess::from_opt_in(settings.allow_loopback_sources),
        ..FetchOptions::default()
    };
    Ok(Arc::new(GuardedFetcher::new(options)?))
}

/// The image pipeline for these settings.
pub fn pipeline(settings: &WorkerSettings) -> Result<Arc<Pipeline>, WiringError> {
    let mut options = PipelineOptions {
        sizes: settings.sizes.clone(),
        trim: settings.trim.then(TrimOptions::default),
        ..PipelineOptions::default()
    };
    options.limits.max_pixels = settings.max_pixels;
    options.limits.max_input_bytes = settings.fetch_max_bytes;
    options.limits.max_decode_alloc = settings.memory.decode_limit;
    Ok(Arc::new(Pipeline::new(options)?))
}

/// The renderer for these settings: warm helper processes (this binary, re-executed) under the
/// render budget, as many as the memory plan has slots.
pub fn renderer(settings: &WorkerSettings) -> Result<Renderer, WiringError> {
    let pipeline = pipeline(settings)?;
    let pool = RenderPool::new(
        HelperCommand::current_exe()?,
        pipeline.options(),
        RenderBudget {
            timeout: settings.render_timeout,
            memory_bytes: settings.memory.render_memory,
        },
        settings.memory.render_slots,
    );
    Ok(Renderer::sandboxed(pipeline, pool))
}

/// The directory named by the settings. `s3` is needed only for an `s3://` directory.
#[cfg(feature = "aws")]
pub fn directory(
    settings: &WorkerSettings,
    fetcher: Arc<GuardedFetcher>,
    s3: Option<aws_sdk_s3::Client>,
) -> Result<AnyDirectory, WiringError> {
    Ok(match &settings.directory {
        DirectorySource::File(path) => {
            let directory = JsonlDirectory::load(path)?;
            for problem in directory.problems() {
                tracing::warn!(problem = %problem, "company directory line skipped");
            }
            tracing::info!(companies = directory.len(), source = %path.display(), "company directory loaded");
            AnyDirectory::File(directory)
        }
        DirectorySource::S3(uri) => {
            let client = s3.ok_or(WiringError::DirectoryNeedsAws)?;
            AnyDirectory::S3(S3Directory::from_uri(client, uri)?)
        }
        DirectorySource::Http(template) => {
            AnyDirectory::Http(HttpDirectory::new(template, fetcher)?)
        }
    })
}

/// The service options for these settings.
pub fn service_options(settings: &WorkerSettings) -> ServiceOptions {
    ServiceOptions {
        sizes: settings.sizes.clone(),
        cache_control: settings.cache_control.clone(),
        placeholder_refresh: settings.placeholder_refresh,
        blocked_retry: settings.blocked_retry,
        force: false,
        discovery: DiscoveryOptions {
            largest_variant: settings.sizes.iter().copied().max().unwrap_or(256),
            ..DiscoveryOptions::default()
        },
    }
}

/// The production worker: S3 store and the configured directory.
#[cfg(feature = "aws")]
pub type LambdaWorker = LogoWorker<AnyDirectory, S3Store, Arc<GuardedFetcher>>;

#[cfg(feature = "aws")]
pub async fn lambda_worker(
    settings: &WorkerSettings,
    sdk: &aws_config::SdkConfig,
) -> Result<LambdaWorker, WiringError> {
    let s3 = s3_client(sdk);
    let fetcher = fetcher(settings)?;
    let directory = directory(settings, fetcher.clone(), Some(s3.clone()))?;
    Ok(LogoWorker::new(
        directory,
        S3Store::new(s3, settings.bucket.clone()),
        fetcher,
        renderer(settings)?,
        service_options(settings),
    ))
}

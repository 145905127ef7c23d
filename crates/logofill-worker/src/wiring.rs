//! Building the worker's adapters from configuration, once per process.
//!
//! Everything here is AWS-free: the S3 adapters are built by the callers that have AWS access
//! (the Lambda's `main`, `logofill process --company`) and handed in, so the dev runner builds
//! this crate without the AWS SDK.

use std::sync::Arc;

use logofill_core::directory::{CompanyDirectory, CompanyRecord, DirectoryError, JsonlDirectory};
use logofill_core::CompanyId;
use logofill_discover::DiscoveryOptions;
use logofill_fetch::HttpDirectory;
use logofill_fetch::{FetchOptions, GuardedFetcher, LoopbackAccess};
use logofill_image::{Pipeline, PipelineOptions, TrimOptions};
use logofill_render::{HelperCommand, RenderBudget, RenderPool, Renderer};

use crate::config::{DirectorySource, WorkerSettings};
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
}

/// One of the three directory adapters, chosen by `LOGOFILL_DIRECTORY`; `S` is the S3 one,
/// built by the caller.
pub enum AnyDirectory<S> {
    File(JsonlDirectory),
    S3(S),
    Http(HttpDirectory<Arc<GuardedFetcher>>),
}

impl<S: CompanyDirectory> CompanyDirectory for AnyDirectory<S> {
    async fn lookup(&self, id: &CompanyId) -> Result<Option<CompanyRecord>, DirectoryError> {
        match self {
            AnyDirectory::File(d) => d.lookup(id).await,
            AnyDirectory::S3(d) => d.lookup(id).await,
            AnyDirectory::Http(d) => d.lookup(id).await,
        }
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

/// The directory named by the settings; `s3` opens an `s3://` one (it is called only then).
pub fn directory<S>(
    settings: &WorkerSettings,
    fetcher: Arc<GuardedFetcher>,
    s3: impl FnOnce(&str) -> Result<S, DirectoryError>,
) -> Result<AnyDirectory<S>, WiringError> {
    Ok(match &settings.directory {
        DirectorySource::File(path) => {
            let directory = JsonlDirectory::load(path)?;
            for problem in directory.problems() {
                tracing::warn!(problem = %problem, "company directory line skipped");
            }
            tracing::info!(companies = directory.len(), source = %path.display(), "company directory loaded");
            AnyDirectory::File(directory)
        }
        DirectorySource::S3(uri) => AnyDirectory::S3(s3(uri)?),
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
        logo_refresh: settings.logo_refresh,
        force: false,
        ignore_due: false,
        discovery: DiscoveryOptions {
            largest_variant: settings.sizes.iter().copied().max().unwrap_or(256),
            ..DiscoveryOptions::default()
        },
    }
}

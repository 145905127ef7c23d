//! `logofill-worker`: the Lambda entry point. Reads config, builds the adapters once (the AWS
//! ones here: the S3 store and an `s3://` directory), then serves SQS batches with partial
//! batch responses.

use std::io::Write as _;
use std::sync::Arc;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{service_fn, LambdaEvent};
use logofill_aws::{
    lambda, s3_client, sdk_config, AwsTimeouts, CloudFrontInvalidator, S3Directory, S3Store,
};
use logofill_core::cdn::InvalidationBatch;
use logofill_core::config::ProcessEnv;
use logofill_fetch::GuardedFetcher;
use logofill_worker::wiring::WiringError;
use logofill_worker::wiring::{directory, fetcher, renderer, service_options, AnyDirectory};
use logofill_worker::{process_batch, LogoWorker, WorkerSettings};
use tracing::Instrument as _;

fn main() -> anyhow::Result<()> {
    // A render helper is this binary re-executed: it serves renders and never returns.
    logofill_render::serve_if_helper();
    let settings =
        lambda::settings_or_exit("logofill-worker", WorkerSettings::from_env(&ProcessEnv));
    lambda::init_json_logs(settings.log_level);
    // One thread: a Lambda has a fraction of a vCPU; records overlap on I/O, not on CPU.
    let runtime = lambda::runtime()?;
    runtime.block_on(serve(settings))
}

/// The production worker: the S3 store and the configured directory.
type LambdaWorker = LogoWorker<AnyDirectory<S3Directory>, S3Store, Arc<GuardedFetcher>>;

fn lambda_worker(
    settings: &WorkerSettings,
    sdk: &aws_config::SdkConfig,
) -> Result<LambdaWorker, WiringError> {
    let s3 = s3_client(sdk);
    let fetcher = fetcher(settings)?;
    let directory = directory(settings, fetcher.clone(), |uri| {
        S3Directory::from_uri(s3.clone(), uri)
    })?;
    Ok(LogoWorker::new(
        directory,
        S3Store::new(s3, settings.bucket.clone()),
        fetcher,
        renderer(settings)?,
        service_options(settings),
    ))
}

/// One invalidation for the sets this invocation replaced. The logos are stored either way, so
/// a failure is logged, not put on the records: the CDN serves the old set until its max-age.
async fn invalidate_replaced(
    worker: &LambdaWorker,
    cdn: Option<&CloudFrontInvalidator>,
    request_id: &str,
) {
    let replaced = worker.take_replaced();
    let Some(cdn) = cdn else { return };
    let batch = InvalidationBatch::new(request_id);
    for company in &replaced {
        batch.add(company);
    }
    match batch.flush(cdn).await {
        Ok(Some(done)) => tracing::info!(paths = done.paths().len(), "CDN paths invalidated"),
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(error = %e, retryable = e.is_retryable(), "CDN invalidation failed")
        }
    }
}

async fn serve(settings: WorkerSettings) -> anyhow::Result<()> {
    let sdk = sdk_config(AwsTimeouts::default()).await;
    let worker = match lambda_worker(&settings, &sdk) {
        Ok(worker) => Arc::new(worker),
        Err(err) => {
            eprintln!("logofill-worker: start-up failed: {err:#}");
            std::process::exit(2);
        }
    };
    if let Some(pool) = worker.renderer().pool() {
        // Start the helpers during Lambda init, which has full CPU, not on the first record.
        if let Err(e) = pool.warm_up().await {
            tracing::warn!(error = %e, "render helpers could not be started ahead of time");
        }
    }
    let plan = settings.memory;
    tracing::info!(
        lambda_mb = plan.lambda_bytes.map(|b| b >> 20),
        render_slots = plan.render_slots,
        render_memory_mb = plan.render_memory >> 20,
        render_timeout_ms = settings.render_timeout.as_millis() as u64,
        records_in_flight = plan.records_in_flight,
        "memory plan"
    );
    // Records in flight never exceed what the memory plan admits.
    let concurrency = plan.records_in_flight;
    let cdn = Arc::new(
        settings
            .cdn_distribution_id
            .as_deref()
            .map(|id| CloudFrontInvalidator::from_sdk_config(&sdk, id)),
    );
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let worker = worker.clone();
        let cdn = cdn.clone();
        async move {
            let span = tracing::info_span!("batch", request_id = %event.context.request_id, records = event.payload.records.len());
            let lost_before = worker.renderer().pool().map_or(0, |p| p.stats().helpers_lost);
            let (response, mut report): (SqsBatchResponse, _) =
                process_batch(worker.clone(), event.payload.records, concurrency)
                    .instrument(span)
                    .await;
            report.renders_over_budget = worker
                .renderer()
                .pool()
                .map_or(0, |p| p.stats().helpers_lost)
                .saturating_sub(lost_before);
            invalidate_replaced(&worker, cdn.as_ref().as_ref(), &event.context.request_id).await;
            let _ = writeln!(std::io::stdout().lock(), "{}", report.metrics_line(lambda::unix_ms()));
            Ok::<_, std::convert::Infallible>(response)
        }
    }))
    .await
    .map_err(|e| anyhow::anyhow!("Lambda runtime stopped: {e}"))
}

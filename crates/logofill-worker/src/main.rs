//! `logofill-worker`: the Lambda entry point. Reads config, builds the adapters once, then
//! serves SQS batches with partial batch responses.

use std::io::Write as _;
use std::sync::Arc;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{service_fn, LambdaEvent};
use logofill_aws::{sdk_config, AwsTimeouts};
use logofill_core::config::ProcessEnv;
use logofill_worker::batch::now_ms;
use logofill_worker::wiring::lambda_worker;
use logofill_worker::{process_batch, WorkerSettings};
use tracing::Instrument as _;

fn main() -> anyhow::Result<()> {
    let settings = match WorkerSettings::from_env(&ProcessEnv) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("logofill-worker: configuration error: {err}");
            std::process::exit(2);
        }
    };
    tracing_subscriber::fmt()
        .json()
        .with_max_level(settings.log_level)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .with_ansi(false)
        .init();
    // One thread: a Lambda has a fraction of a vCPU; records overlap on I/O, not on CPU.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(settings))
}

async fn serve(settings: WorkerSettings) -> anyhow::Result<()> {
    let sdk = sdk_config(AwsTimeouts::default()).await;
    let worker = match lambda_worker(&settings, &sdk).await {
        Ok(worker) => Arc::new(worker),
        Err(err) => {
            eprintln!("logofill-worker: start-up failed: {err:#}");
            std::process::exit(2);
        }
    };
    let concurrency = settings.concurrency;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let worker = worker.clone();
        async move {
            let span = tracing::info_span!("batch", request_id = %event.context.request_id, records = event.payload.records.len());
            let (response, report): (SqsBatchResponse, _) =
                process_batch(worker, event.payload.records, concurrency).instrument(span).await;
            let _ = writeln!(std::io::stdout().lock(), "{}", report.metrics_line(now_ms()));
            Ok::<_, std::convert::Infallible>(response)
        }
    }))
    .await
    .map_err(|e| anyhow::anyhow!("Lambda runtime stopped: {e}"))
}

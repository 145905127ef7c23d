//! `logofill-worker`: the Lambda entry point. Reads config, builds the adapters once, then
//! serves SQS batches with partial batch responses.

use std::io::Write as _;
use std::sync::Arc;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{service_fn, LambdaEvent};
use logofill_aws::{lambda, sdk_config, AwsTimeouts};
use logofill_core::config::ProcessEnv;
use logofill_worker::wiring::lambda_worker;
use logofill_worker::{process_batch, WorkerSettings};
use tracing::Instrument as _;

fn main() -> anyhow::Result<()> {
    let settings =
        lambda::settings_or_exit("logofill-worker", WorkerSettings::from_env(&ProcessEnv));
    lambda::init_json_logs(settings.log_level);
    // One thread: a Lambda has a fraction of a vCPU; records overlap on I/O, not on CPU.
    let runtime = lambda::runtime()?;
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
            let _ = writeln!(std::io::stdout().lock(), "{}", report.metrics_line(lambda::unix_ms()));
            Ok::<_, std::convert::Infallible>(response)
        }
    }))
    .await
    .map_err(|e| anyhow::anyhow!("Lambda runtime stopped: {e}"))
}

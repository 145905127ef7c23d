//! `logofill-report`: the Lambda entry point. Reads config, builds the SQS client and the
//! report service once, then serves invocations; see `lib.rs` for the event mapping.

#![recursion_limit = "256"]

use std::io::Write as _;
use std::time::Instant;

use anyhow::Context as _;
use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_runtime::{service_fn, LambdaEvent};
use logofill_aws::{sdk_config, AwsTimeouts, SqsQueue};
use logofill_core::config::ProcessEnv;
use logofill_core::{ReportService, SystemClock};
use logofill_report::{handle_event, metrics_line, ReportSettings};
use tracing::Instrument as _;

fn main() -> anyhow::Result<()> {
    let settings = match ReportSettings::from_env(&ProcessEnv) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("logofill-report: configuration error: {err}");
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
    // One thread: a Lambda at 128 MB has a fraction of a vCPU, and one request at a time.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(settings))
}

async fn serve(settings: ReportSettings) -> anyhow::Result<()> {
    let sdk = sdk_config(AwsTimeouts::default()).await;
    let queue = SqsQueue::new(aws_sdk_sqs::Client::new(&sdk), settings.queue_url.clone());
    let service = ReportService::new(queue, SystemClock::default(), settings.report.clone());
    let service = &service;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayV2httpRequest>| async move {
            let started = Instant::now();
            let span = tracing::info_span!("report", request_id = %event.context.request_id);
            let (response, counts) = handle_event(service, &event.payload)
                .instrument(span.clone())
                .await;
            span.in_scope(|| {
                tracing::info!(
                    status = response.status_code,
                    enqueued = counts.enqueued,
                    duplicates = counts.duplicates,
                    failed = counts.failed,
                    "report handled"
                )
            });
            let line = metrics_line(&counts, started, chrono_now_ms());
            let _ = writeln!(std::io::stdout().lock(), "{line}");
            Ok::<_, std::convert::Infallible>(response)
        },
    ))
    .await
    .map_err(|e| anyhow::anyhow!("Lambda runtime stopped: {e}"))
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

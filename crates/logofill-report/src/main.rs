//! `logofill-report`: the Lambda entry point. Reads config, builds the SQS client and the
//! report service once, then serves invocations; see `lib.rs` for the event mapping.

#![recursion_limit = "256"]

use std::io::Write as _;
use std::time::Instant;

use anyhow::Context as _;
use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_runtime::{service_fn, LambdaEvent};
use logofill_aws::{lambda, sdk_config, AwsTimeouts, Sqs};
use logofill_core::config::ProcessEnv;
use logofill_core::{ReportService, SystemClock};
use logofill_report::{handle_event, metrics_line, ReportSettings};
use tracing::Instrument as _;

fn main() -> anyhow::Result<()> {
    let settings =
        lambda::settings_or_exit("logofill-report", ReportSettings::from_env(&ProcessEnv));
    lambda::init_json_logs(settings.log_level);
    let runtime = lambda::runtime().context("starting the async runtime")?;
    runtime.block_on(serve(settings))
}

async fn serve(settings: ReportSettings) -> anyhow::Result<()> {
    let sdk = sdk_config(AwsTimeouts::default()).await;
    let queue = Sqs::new(aws_sdk_sqs::Client::new(&sdk)).queue(settings.queue_url.clone());
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
            let line = metrics_line(&counts, started, lambda::unix_ms());
            let _ = writeln!(std::io::stdout().lock(), "{line}");
            Ok::<_, std::convert::Infallible>(response)
        },
    ))
    .await
    .map_err(|e| anyhow::anyhow!("Lambda runtime stopped: {e}"))
}

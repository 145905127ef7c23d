//! `logofill-refresh`: the scheduled refresh Lambda. Reads its settings, builds the S3 store
//! and the SQS queue once, then on each invocation (a scheduled EventBridge event, or `{}` by
//! hand) sends every set due up to today (UTC) with `logofill_core::refresh::run_due`.
//!
//! The answer is the run's report. A run the store stopped (the index could not be listed or
//! its keys deleted), or one in which the queue took none of the due sets, fails the
//! invocation, which is what the function's error alarm counts; sets the queue refused among
//! others sent are a warning, and stay filed for the next run.

use std::io::Write as _;
use std::time::{Duration, Instant, SystemTime};

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use logofill_aws::{lambda, s3_client, sdk_config, AwsTimeouts, S3Store, Sqs, SqsQueue};
use logofill_core::config::ProcessEnv;
use logofill_core::refresh::run_due;
use logofill_worker::refresh_job::{
    describe_event, metrics_line, nothing_sent, run_options_within, NotingQueue, RefreshSettings,
};
use tracing::Instrument as _;

fn main() -> anyhow::Result<()> {
    let settings =
        lambda::settings_or_exit("logofill-refresh", RefreshSettings::from_env(&ProcessEnv));
    lambda::init_json_logs(settings.log_level);
    let runtime = lambda::runtime()?;
    runtime.block_on(serve(settings))
}

struct Job {
    store: S3Store,
    queue: SqsQueue,
}

fn failure(kind: &str, message: String) -> Diagnostic {
    Diagnostic {
        error_type: kind.to_string(),
        error_message: message,
    }
}

async fn invocation(
    job: &Job,
    event: LambdaEvent<serde_json::Value>,
) -> Result<serde_json::Value, Diagnostic> {
    let started = Instant::now();
    let info = describe_event(&event.payload).map_err(|e| {
        tracing::error!(error = %e, "refresh event refused");
        failure("RefreshEventRefused", e)
    })?;
    tracing::info!(
        event_id = info.id.as_deref().unwrap_or(""),
        event_time = info.time.as_deref().unwrap_or(""),
        event_source = info.source.as_deref().unwrap_or(""),
        detail_type = info.detail_type.as_deref().unwrap_or(""),
        "refresh run started"
    );
    let remaining = event
        .context
        .deadline()
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO);
    let now = chrono::Utc::now();
    let queue = NotingQueue::new(job.queue.clone());
    let result = run_due(
        &job.store,
        &queue,
        now.date_naive(),
        now,
        run_options_within(remaining),
    )
    .await;
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            tracing::error!(error = %e, retryable = e.is_retryable(), "refresh run failed");
            return Err(failure("RefreshRunFailed", e.to_string()));
        }
    };
    let reasons = queue.failures();
    let _ = writeln!(
        std::io::stdout().lock(),
        "{}",
        metrics_line(&report, started.elapsed(), lambda::unix_ms())
    );
    let summary = serde_json::to_value(&report).unwrap_or_default();
    let today = now.date_naive().to_string();
    if report.failed > 0 {
        tracing::warn!(
            today,
            report = %summary,
            sent = report.sent,
            failed = report.failed,
            reasons = ?reasons,
            "refresh run: some due sets were not sent and stay filed"
        );
    } else {
        tracing::info!(
            today,
            report = %summary,
            sent = report.sent,
            removed = report.removed,
            stopped_early = report.stopped_early,
            "refresh run done"
        );
    }
    if let Some(reason) = nothing_sent(&report, &reasons) {
        return Err(failure("RefreshNothingSent", reason));
    }
    Ok(summary)
}

async fn serve(settings: RefreshSettings) -> anyhow::Result<()> {
    // DeleteObjects of 1,000 keys takes longer than a HEAD: longer limits than the default.
    let sdk = sdk_config(AwsTimeouts {
        connect: Duration::from_secs(3),
        attempt: Duration::from_secs(10),
        operation: Duration::from_secs(30),
    })
    .await;
    let job = Job {
        store: S3Store::new(s3_client(&sdk), settings.bucket.clone()),
        // No receives: a long-poll wait of zero, and the region from the URL if none is set.
        queue: Sqs::from_env(Duration::ZERO, &settings.queue_url)
            .await
            .queue(settings.queue_url.clone()),
    };
    tracing::info!(
        bucket = %settings.bucket,
        queue = %settings.queue_url,
        "refresh function ready"
    );
    let job = &job;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let span = tracing::info_span!("refresh", request_id = %event.context.request_id);
            invocation(job, event).instrument(span).await
        },
    ))
    .await
    .map_err(|e| anyhow::anyhow!("Lambda runtime stopped: {e}"))
}

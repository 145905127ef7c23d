//! Whole-process cost of the report Lambda under a burst: the release `logofill-report`
//! binary runs against the local Lambda Runtime API and moto_server, and serves 10,000
//! reports of 10 ids each (drawn from 5,000 companies, so the dedup cache works as in
//! production). Prints peak RSS and CPU per invocation of the *process* (runtime loop, async
//! runtime, SDK client and handler together), and the wall-clock rate (bounded by moto).
//!
//! Run with `make bench` (it builds the release binary first).

use std::process::Stdio;
use std::time::{Duration, Instant};

use logofill_testkit::aws::{create_queue, sqs_client};
use logofill_testkit::binaries;
use logofill_testkit::lambda_runtime::FakeLambdaRuntime;
use logofill_testkit::moto::MotoServer;
use logofill_testkit::process;

const REPORTS: usize = 10_000;
const IDS_PER_REPORT: usize = 10;
const COMPANIES: u64 = 5_000;

fn event(ids: &[String]) -> String {
    let body = serde_json::json!({ "company_ids": ids }).to_string();
    serde_json::json!({
        "version": "2.0",
        "routeKey": "POST /logo-misses",
        "rawPath": "/logo-misses",
        "rawQueryString": "",
        "headers": {"content-type": "text/plain;charset=UTF-8", "origin": "https://jobs.example.com"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "bench", "domainName": "bench", "domainPrefix": "bench",
            "http": {"method": "POST", "path": "/logo-misses", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9", "userAgent": "bench"},
            "requestId": "bench", "routeKey": "POST /logo-misses", "stage": "$default",
            "time": "25/Nov/2026:10:00:00 +0000", "timeEpoch": 0
        },
        "body": body,
        "isBase64Encoded": false
    })
    .to_string()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let url = create_queue(&sqs, "logofill-burst").await;
    let runtime = FakeLambdaRuntime::start().await;
    let mut child = binaries::command("logofill-report")
        .env_clear()
        .envs(runtime.lambda_env("logofill-report"))
        .envs(moto.client_env())
        .env("LOGOFILL_QUEUE_URL", &url)
        .env("LOGOFILL_ALLOWED_ORIGINS", "https://jobs.example.com")
        .env("LOGOFILL_LOG_LEVEL", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start logofill-report");
    let pid = child.id();

    // A deterministic Zipf-ish draw: low ids are popular.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let started = Instant::now();
    let (rss_idle, cpu_idle) = {
        // First invocation warms up (cold start): measured apart.
        let id = runtime.invoke(event(&["warmup".to_string()]));
        runtime
            .answer(&id, Duration::from_secs(30))
            .await
            .expect("warm-up answer");
        process::usage(pid).expect("/proc usage")
    };
    let cold = started.elapsed();
    let burst_started = Instant::now();
    let mut last = String::new();
    for _ in 0..REPORTS {
        let ids: Vec<String> = (0..IDS_PER_REPORT)
            .map(|_| {
                let r = (next() % 1_000_000) as f64 / 1_000_000.0;
                let company = ((COMPANIES as f64).powf(r) as u64).min(COMPANIES - 1);
                format!("company-{company}")
            })
            .collect();
        last = runtime.invoke(event(&ids));
    }
    runtime
        .answer(&last, Duration::from_secs(600))
        .await
        .expect("last answer");
    while runtime.answered_count() < REPORTS + 1 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let burst = burst_started.elapsed();
    let (rss_peak, cpu_total) = process::usage(pid).expect("/proc usage");
    child.kill().ok();
    child.wait().ok();

    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap();
    let messages = attributes
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages))
        .cloned()
        .unwrap_or_default();
    let cpu_burst = cpu_total.saturating_sub(cpu_idle);
    println!("report_burst: {REPORTS} reports x {IDS_PER_REPORT} ids over {COMPANIES} companies, release logofill-report vs moto_server");
    println!(
        "  cold start to first answer    {:>10.1} ms (includes moto round trip)",
        cold.as_secs_f64() * 1e3
    );
    println!(
        "  peak RSS after first answer   {:>10.1} MiB",
        rss_idle as f64 / 1048576.0
    );
    println!(
        "  peak RSS after the burst      {:>10.1} MiB",
        rss_peak as f64 / 1048576.0
    );
    println!(
        "  process CPU for the burst     {:>10.0} ms ({:.1} us per report, user+system)",
        cpu_burst.as_secs_f64() * 1e3,
        cpu_burst.as_secs_f64() * 1e6 / REPORTS as f64
    );
    println!(
        "  wall time                     {:>10.1} s ({:.0} reports/s; moto is the bottleneck)",
        burst.as_secs_f64(),
        REPORTS as f64 / burst.as_secs_f64()
    );
    println!("  messages in the queue         {:>10}", messages);
}

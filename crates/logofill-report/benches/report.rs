//! CPU cost of one 10-id report through the handler, network excluded: event parse, body
//! decode, validation, dedup, and building the batch entries (the in-memory queue accepts
//! them without I/O). A fresh id set per iteration so the dedup cache never short-cuts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use logofill_core::{AllowedOrigins, MemoryQueue, ReportOptions, ReportService, SystemClock};
use logofill_report::handle_event;

fn report(c: &mut Criterion) {
    let queue = Arc::new(MemoryQueue::new("bench", false));
    let service = ReportService::new(
        queue.clone(),
        SystemClock::default(),
        ReportOptions::new(AllowedOrigins::parse("https://jobs.example.com").unwrap()),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let counter = AtomicU64::new(0);
    c.bench_function("report_10_ids", |b| {
        b.iter_batched(|| {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            let ids: Vec<String> = (0..10).map(|i| format!("company-{n}-{i}")).collect();
            let body = serde_json::json!({ "company_ids": ids }).to_string();
            serde_json::json!({
                "version": "2.0",
                "routeKey": "POST /logo-misses",
                "rawPath": "/logo-misses",
                "rawQueryString": "",
                "headers": {"content-type": "text/plain;charset=UTF-8", "origin": "https://jobs.example.com"},
                "requestContext": {"http": {"method": "POST", "path": "/logo-misses", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9", "userAgent": "bench"}, "requestId": "r", "routeKey": "POST /logo-misses", "stage": "$default", "time": "25/Nov/2026:10:00:00 +0000", "timeEpoch": 0, "accountId": "1", "apiId": "a", "domainName": "d", "domainPrefix": "d"},
                "body": body,
                "isBase64Encoded": false
            })
            .to_string()
        }, |raw| {
            let event: ApiGatewayV2httpRequest = serde_json::from_str(&raw).unwrap();
            let (resp, _) = rt.block_on(handle_event(&service, &event));
            assert_eq!(resp.status_code, 202);
            queue.drain();
        }, BatchSize::SmallInput)
    });
}

criterion_group!(benches, report);
criterion_main!(benches);

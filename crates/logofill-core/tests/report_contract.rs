//! The report contract of design.md, boundary by boundary, against the in-memory queue.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use logofill_core::report::{DEFAULT_MAX_BODY_BYTES, REPORT_PATH};
use logofill_core::*;
use serde_json::Value;

const ORIGIN: &str = "https://jobs.example.com";

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc),
    ))
}

type Harness = (
    ReportService<Arc<MemoryQueue>, Arc<ManualClock>>,
    Arc<MemoryQueue>,
    Arc<ManualClock>,
);

fn service(fifo: bool) -> Harness {
    let queue = Arc::new(MemoryQueue::new("memory", fifo));
    let clock = clock();
    let config = ReportOptions::new(AllowedOrigins::parse(ORIGIN).unwrap());
    (
        ReportService::new(queue.clone(), clock.clone(), config),
        queue,
        clock,
    )
}

fn post(body: &str) -> HttpRequest<'_> {
    HttpRequest {
        method: "POST",
        path: REPORT_PATH,
        content_type: Some("text/plain;charset=UTF-8"),
        origin: Some(ORIGIN),
        body: ReportBody::Plain(body.as_bytes()),
    }
}

fn ids_body(ids: &[String]) -> String {
    serde_json::json!({ "company_ids": ids }).to_string()
}

fn json(resp: &HttpResponse) -> Value {
    serde_json::from_str(&resp.body).unwrap_or_else(|e| panic!("{e}: {}", resp.body))
}

fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

fn assert_refused(resp: &HttpResponse, status: u16, error: &str, detail_has: &str) {
    assert_eq!(resp.status, status, "{}", resp.body);
    let v = json(resp);
    assert_eq!(v["error"], error, "{}", resp.body);
    let detail = v["detail"].as_str().unwrap();
    assert!(
        detail.contains(detail_has),
        "detail {detail:?} lacks {detail_has:?}"
    );
}

#[test]
fn accepts_a_report_and_enqueues_v1_messages() {
    let (svc, queue, _) = service(false);
    let (resp, counts) = block(svc.handle(post(r#"{"company_ids": ["acme", "globex"]}"#)));
    assert_eq!(resp.status, 202);
    assert_eq!(
        json(&resp),
        serde_json::json!({"enqueued": 2, "duplicates": 0})
    );
    assert_eq!(counts.enqueued, 2);
    assert_eq!(resp.header("access-control-allow-origin"), Some(ORIGIN));
    let sent = queue.accepted();
    assert_eq!(sent.len(), 2);
    let first: Value = serde_json::from_str(&sent[0].body).unwrap();
    assert_eq!(first["v"], 1);
    assert_eq!(first["company_id"], "acme");
    assert_eq!(first["origin"], "report");
    assert_eq!(first["reported_at"], "2026-11-25T10:00:00.000Z");
    assert!(sent[0].group_id.is_none() && sent[0].dedup_id.is_none());
}

#[test]
fn accepts_application_json_and_rejects_other_types() {
    let (svc, queue, _) = service(false);
    let body = r#"{"company_ids": ["acme"]}"#;
    for ok in [
        "application/json",
        "Application/JSON; charset=utf-8",
        "text/plain",
    ] {
        let req = HttpRequest {
            content_type: Some(ok),
            ..post(body)
        };
        assert_eq!(block(svc.handle(req)).0.status, 202, "{ok}");
    }
    for bad in [
        None,
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data"),
        Some("text/plain; charset=latin1"),
        Some(""),
    ] {
        let req = HttpRequest {
            content_type: bad,
            ..post(body)
        };
        assert_refused(
            &block(svc.handle(req)).0,
            415,
            "unsupported_media_type",
            "application/json or text/plain",
        );
    }
    assert_eq!(
        queue.accepted().len(),
        1,
        "only the first accepted request enqueued (the rest were duplicates or refused)"
    );
}

#[test]
fn fifty_ids_pass_and_fifty_one_are_refused() {
    let (svc, queue, _) = service(false);
    let fifty: Vec<String> = (0..50).map(|i| format!("c{i}")).collect();
    let (resp, _) = block(svc.handle(post(&ids_body(&fifty))));
    assert_eq!(json(&resp)["enqueued"], 50);
    assert_eq!(queue.calls(), 5);

    let (svc, queue, _) = service(false);
    let fifty_one: Vec<String> = (0..51).map(|i| format!("c{i}")).collect();
    let (resp, counts) = block(svc.handle(post(&ids_body(&fifty_one))));
    assert_refused(
        &resp,
        413,
        "too_many_ids",
        "51 company ids, over the limit of 50",
    );
    assert_eq!(counts.rejected, 1);
    assert!(queue.accepted().is_empty());
}

/// A body of exactly `len` bytes: a valid report padded with spaces.
fn body_of_len(len: usize) -> String {
    let mut body = r#"{"company_ids": ["acme"]}"#.to_string();
    body.push_str(&" ".repeat(len - body.len()));
    body
}

#[test]
fn eight_kib_passes_and_one_byte_more_is_refused() {
    let (svc, _, _) = service(false);
    let exact = body_of_len(DEFAULT_MAX_BODY_BYTES);
    assert_eq!(exact.len(), 8192);
    assert_eq!(block(svc.handle(post(&exact))).0.status, 202);
    let over = body_of_len(DEFAULT_MAX_BODY_BYTES + 1);
    assert_refused(
        &block(svc.handle(post(&over))).0,
        413,
        "body_too_large",
        "8193 bytes, over the 8192-byte limit",
    );
}

#[test]
fn base64_bodies_are_decoded_and_limited_after_decoding() {
    let (svc, queue, _) = service(false);
    let encoded = base64::engine::general_purpose::STANDARD.encode(r#"{"company_ids": ["acme"]}"#);
    let req = HttpRequest {
        body: ReportBody::Base64(&encoded),
        ..post("")
    };
    assert_eq!(block(svc.handle(req)).0.status, 202);
    assert_eq!(queue.accepted().len(), 1);

    let exact =
        base64::engine::general_purpose::STANDARD.encode(body_of_len(8192).replace("acme", "acm2"));
    let req = HttpRequest {
        body: ReportBody::Base64(&exact),
        ..post("")
    };
    assert_eq!(
        block(svc.handle(req)).0.status,
        202,
        "8 KiB decoded is within the limit"
    );

    let over = base64::engine::general_purpose::STANDARD.encode(body_of_len(8193));
    let req = HttpRequest {
        body: ReportBody::Base64(&over),
        ..post("")
    };
    assert_refused(
        &block(svc.handle(req)).0,
        413,
        "body_too_large",
        "8192-byte limit",
    );

    let req = HttpRequest {
        body: ReportBody::Base64("not base64!"),
        ..post("")
    };
    assert_refused(&block(svc.handle(req)).0, 400, "bad_encoding", "base64");
}

#[test]
fn malformed_bodies_are_refused_with_the_reason() {
    let (svc, queue, _) = service(false);
    for (body, needle) in [
        ("", "body is empty"),
        ("{", "EOF"),
        ("[]", "company_ids"),
        (r#"{"ids": ["acme"]}"#, "missing field `company_ids`"),
        (r#"{"company_ids": "acme"}"#, "invalid type"),
        (r#"{"company_ids": [1]}"#, "invalid type"),
        ("\u{feff}{}", "company_ids"),
    ] {
        let (resp, _) = block(svc.handle(post(body)));
        assert_eq!(resp.status, 400, "{body:?}: {}", resp.body);
        let detail = json(&resp)["detail"].as_str().unwrap().to_string();
        assert!(detail.contains(needle), "{body:?}: {detail}");
    }
    let invalid_utf8 = HttpRequest {
        body: ReportBody::Plain(&[0xff, 0xfe]),
        ..post("")
    };
    assert_eq!(block(svc.handle(invalid_utf8)).0.status, 400);
    assert!(queue.accepted().is_empty());
}

#[test]
fn one_bad_id_rejects_the_whole_request() {
    let (svc, queue, _) = service(false);
    let long = "x".repeat(65);
    for bad in [
        "",
        "../etc/passwd",
        "acme corp",
        "카카오",
        " acme",
        long.as_str(),
    ] {
        let body = ids_body(&["good".to_string(), bad.to_string()]);
        let (resp, _) = block(svc.handle(post(&body)));
        assert_refused(&resp, 400, "invalid_company_id", "company_ids[1]");
    }
    let at_limit = "x".repeat(64);
    assert_eq!(
        block(svc.handle(post(&ids_body(&[at_limit])))).0.status,
        202
    );
    assert_eq!(
        queue.accepted().len(),
        1,
        "nothing from the refused requests was enqueued"
    );
}

#[test]
fn repeats_inside_a_request_and_across_requests_are_dropped() {
    let (svc, queue, clock) = service(false);
    let (resp, counts) = block(svc.handle(post(r#"{"company_ids": ["a", "b", "a", "a"]}"#)));
    assert_eq!(
        json(&resp),
        serde_json::json!({"enqueued": 2, "duplicates": 2})
    );
    assert_eq!(counts.duplicates, 2);
    let (resp, _) = block(svc.handle(post(r#"{"company_ids": ["a", "c"]}"#)));
    assert_eq!(
        json(&resp),
        serde_json::json!({"enqueued": 1, "duplicates": 1})
    );
    clock.advance(Duration::from_secs(599));
    let (resp, _) = block(svc.handle(post(r#"{"company_ids": ["a"]}"#)));
    assert_eq!(json(&resp)["duplicates"], 1);
    clock.advance(Duration::from_secs(1));
    let (resp, _) = block(svc.handle(post(r#"{"company_ids": ["a"]}"#)));
    assert_eq!(json(&resp)["enqueued"], 1, "the TTL of 600 s has passed");
    assert_eq!(queue.accepted().len(), 4);
}

#[test]
fn the_cache_is_bounded_by_capacity() {
    let queue = Arc::new(MemoryQueue::new("memory", false));
    let mut config = ReportOptions::new(AllowedOrigins::Any);
    config.dedup_capacity = NonZeroUsize::new(2).unwrap();
    let svc = ReportService::new(queue.clone(), clock(), config);
    block(svc.handle(post(r#"{"company_ids": ["a", "b", "c"]}"#)));
    let (resp, _) = block(svc.handle(post(r#"{"company_ids": ["a"]}"#)));
    assert_eq!(json(&resp)["enqueued"], 1, "a was evicted by c");
}

#[test]
fn fifo_messages_carry_group_and_dedup_ids() {
    let (svc, queue, _) = service(true);
    block(svc.handle(post(r#"{"company_ids": ["acme"]}"#)));
    let sent = queue.accepted();
    assert_eq!(sent[0].group_id.as_deref(), Some("acme"));
    assert_eq!(sent[0].dedup_id.as_deref(), Some("acme"));
}

#[test]
fn failed_entries_are_retried_once_then_not_counted_nor_cached() {
    let (svc, queue, _) = service(false);
    let mut seen_b = 0;
    queue.fail_entries(move |m| {
        if m.body.contains("\"b\"") {
            seen_b += 1;
            seen_b == 1 // fails the first time only
        } else {
            m.body.contains("\"c\"") // fails always
        }
    });
    let (resp, counts) = block(svc.handle(post(r#"{"company_ids": ["a", "b", "c"]}"#)));
    assert_eq!(resp.status, 202);
    assert_eq!(json(&resp)["enqueued"], 2);
    assert_eq!(counts.failed, 1);
    assert_eq!(queue.calls(), 2, "one batch and one retry");
    queue.fail_entries(|_| false);
    let (resp, _) = block(svc.handle(post(r#"{"company_ids": ["c"]}"#)));
    assert_eq!(json(&resp)["enqueued"], 1, "c was not cached after failing");
}

/// Every event's fields, as `name=value` text, for asserting what reached the log.
#[derive(Clone, Default)]
struct CapturedLog(Arc<std::sync::Mutex<Vec<String>>>);

impl CapturedLog {
    fn text(&self) -> String {
        self.0.lock().unwrap().join("\n")
    }
}

struct FieldText<'a>(&'a mut String);

impl tracing::field::Visit for FieldText<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.push_str(&format!(" {}={value}", field.name()));
    }
}

impl tracing::Subscriber for CapturedLog {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut line = String::new();
        event.record(&mut FieldText(&mut line));
        self.0.lock().unwrap().push(line);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn a_503_says_queue_unavailable_and_leaves_the_queue_and_its_error_to_the_log() {
    let queue = Arc::new(MemoryQueue::new(
        "https://sqs.eu-west-1.amazonaws.com/123456789012/logofill-reports",
        false,
    ));
    let config = ReportOptions::new(AllowedOrigins::parse(ORIGIN).unwrap());
    let svc = ReportService::new(queue.clone(), clock(), config);
    queue.set_unavailable(true);
    let log = CapturedLog::default();
    let (resp, _) = tracing::subscriber::with_default(log.clone(), || {
        block(svc.handle(post(r#"{"company_ids": ["acme"]}"#)))
    });
    assert_eq!(resp.status, 503);
    let body = json(&resp);
    assert_eq!(
        body,
        serde_json::json!({"error": "queue_unavailable", "detail": "queue unavailable"})
    );
    for secret in ["123456789012", "logofill-reports", "told to be unavailable"] {
        assert!(
            !resp.body.contains(secret),
            "{secret} leaked: {}",
            resp.body
        );
    }
    let logged = log.text();
    assert!(
        logged.contains("123456789012/logofill-reports"),
        "the log names the queue: {logged}"
    );
    assert!(
        logged.contains("told to be unavailable"),
        "the log keeps the queue's error: {logged}"
    );
}

#[test]
fn an_unavailable_queue_gives_503_with_retry_after_and_caches_nothing() {
    let (svc, queue, _) = service(false);
    queue.set_unavailable(true);
    let (resp, counts) = block(svc.handle(post(r#"{"company_ids": ["a"]}"#)));
    assert_refused(&resp, 503, "queue_unavailable", "queue unavailable");
    assert_eq!(resp.header("retry-after"), Some("30"));
    assert_eq!(counts.failed, 1);
    queue.set_unavailable(false);
    let (resp, _) = block(svc.handle(post(r#"{"company_ids": ["a"]}"#)));
    assert_eq!(json(&resp)["enqueued"], 1);
}

#[test]
fn preflight_answers_configured_origins_only() {
    let (svc, _, _) = service(false);
    let preflight = |origin| HttpRequest {
        method: "OPTIONS",
        origin,
        content_type: None,
        ..post("")
    };
    let (resp, _) = block(svc.handle(preflight(Some(ORIGIN))));
    assert_eq!(resp.status, 204);
    assert_eq!(resp.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(
        resp.header("access-control-allow-methods"),
        Some("POST, OPTIONS")
    );
    assert_eq!(resp.header("vary"), Some("Origin"));
    let (resp, _) = block(svc.handle(preflight(Some("https://evil.example"))));
    assert_refused(&resp, 403, "origin_not_allowed", "LOGOFILL_ALLOWED_ORIGINS");
    assert!(resp.header("access-control-allow-origin").is_none());
}

#[test]
fn posts_from_unlisted_origins_are_refused_and_wildcard_only_when_configured() {
    let (svc, queue, _) = service(false);
    let req = HttpRequest {
        origin: Some("https://evil.example"),
        ..post(r#"{"company_ids": ["a"]}"#)
    };
    assert_refused(
        &block(svc.handle(req)).0,
        403,
        "origin_not_allowed",
        "evil.example",
    );
    let req = HttpRequest {
        origin: None,
        ..post(r#"{"company_ids": ["a"]}"#)
    };
    assert_eq!(
        block(svc.handle(req)).0.status,
        202,
        "no Origin: not a browser, accepted"
    );
    assert_eq!(queue.accepted().len(), 1);

    let svc = ReportService::new(
        MemoryQueue::new("m", false),
        clock(),
        ReportOptions::new(AllowedOrigins::Any),
    );
    let req = HttpRequest {
        origin: Some("https://anywhere.example"),
        ..post(r#"{"company_ids": ["a"]}"#)
    };
    let (resp, _) = block(svc.handle(req));
    assert_eq!(resp.header("access-control-allow-origin"), Some("*"));
}

#[test]
fn other_methods_and_paths_are_refused() {
    let (svc, _, _) = service(false);
    for method in ["GET", "PUT", "DELETE"] {
        let (resp, _) = block(svc.handle(HttpRequest { method, ..post("") }));
        assert_refused(&resp, 405, "method_not_allowed", method);
        assert_eq!(resp.header("allow"), Some("POST, OPTIONS"));
    }
    let (resp, _) = block(svc.handle(HttpRequest {
        path: "/other",
        ..post("")
    }));
    assert_refused(&resp, 404, "not_found", "POST /logo-misses");
    let (resp, _) = block(svc.handle(HttpRequest {
        path: "/prod/logo-misses",
        ..post(r#"{"company_ids": ["a"]}"#)
    }));
    assert_eq!(resp.status, 202, "an API Gateway stage prefix is accepted");
}

#[test]
fn an_empty_list_is_accepted_and_enqueues_nothing() {
    let (svc, queue, _) = service(false);
    let (resp, _) = block(svc.handle(post(r#"{"company_ids": []}"#)));
    assert_eq!(
        json(&resp),
        serde_json::json!({"enqueued": 0, "duplicates": 0})
    );
    assert_eq!(queue.calls(), 0);
}

#[test]
fn origins_config_is_validated() {
    assert_eq!(AllowedOrigins::parse("*").unwrap(), AllowedOrigins::Any);
    assert_eq!(
        AllowedOrigins::parse("https://a.example, http://localhost:8080").unwrap(),
        AllowedOrigins::List(vec![
            "https://a.example".into(),
            "http://localhost:8080".into()
        ])
    );
    assert!(AllowedOrigins::parse("a.example")
        .unwrap_err()
        .contains("https://"));
    assert!(AllowedOrigins::parse("https://a.example/path")
        .unwrap_err()
        .contains("no path"));
    assert!(AllowedOrigins::parse("*, https://a.example").is_err());
}

#[test]
fn a_body_the_transport_stopped_reading_gets_the_413_naming_its_size_after_the_other_checks() {
    use logofill_core::report::BodySize;
    let (svc, queue, _) = service(false);
    let over = |size| HttpRequest {
        body: ReportBody::TooLarge(size),
        ..post("")
    };
    let (resp, _) = block(svc.handle(over(BodySize::Exact(1_048_576))));
    assert_refused(
        &resp,
        413,
        "body_too_large",
        "body is 1048576 bytes, over the 8192-byte limit",
    );
    let (resp, counts) = block(svc.handle(over(BodySize::AtLeast(8193))));
    assert_refused(
        &resp,
        413,
        "body_too_large",
        "body is at least 8193 bytes, over the 8192-byte limit",
    );
    assert_eq!(counts.rejected, 1);
    // Method and origin are checked first, as for a body that was read.
    let (resp, _) = block(svc.handle(HttpRequest {
        method: "PUT",
        ..over(BodySize::AtLeast(8193))
    }));
    assert_eq!(resp.status, 405);
    let (resp, _) = block(svc.handle(HttpRequest {
        origin: Some("https://evil.example"),
        ..over(BodySize::Exact(9000))
    }));
    assert_eq!(resp.status, 403);
    assert!(queue.accepted().is_empty());
}

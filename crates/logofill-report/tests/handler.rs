//! The report Lambda's handler driven by captured event JSON (HTTP API v2 and Function URL).

use std::sync::Arc;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use logofill_core::{
    AllowedOrigins, MemoryQueue, QueueMessage, ReportOptions, ReportService, SystemClock,
};
use logofill_report::handle_event;
use logofill_testkit::fixture;
use serde_json::Value;

type Service = ReportService<Arc<MemoryQueue>, SystemClock>;

fn service() -> (Service, Arc<MemoryQueue>) {
    let queue = Arc::new(MemoryQueue::new("memory", false));
    let config = ReportOptions::new(AllowedOrigins::parse("https://jobs.example.com").unwrap());
    (
        ReportService::new(queue.clone(), SystemClock::default(), config),
        queue,
    )
}

fn event(name: &str) -> ApiGatewayV2httpRequest {
    serde_json::from_str(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn run(service: &Service, event: &ApiGatewayV2httpRequest) -> Value {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (response, _) = rt.block_on(handle_event(service, event));
    // What the Lambda runtime sends back is this serialisation.
    serde_json::to_value::<ApiGatewayV2httpResponse>(response).unwrap()
}

fn body(response: &Value) -> Value {
    serde_json::from_str(response["body"].as_str().unwrap()).unwrap()
}

fn enqueued_ids(queue: &MemoryQueue) -> Vec<String> {
    queue
        .accepted()
        .iter()
        .map(|m| {
            QueueMessage::from_body(&m.body)
                .unwrap()
                .company_id
                .to_string()
        })
        .collect()
}

#[test]
fn http_api_text_plain_report() {
    let (svc, queue) = service();
    let response = run(&svc, &event("apigw-v2-post-text.json"));
    assert_eq!(response["statusCode"], 202);
    assert_eq!(
        body(&response),
        serde_json::json!({"enqueued": 2, "duplicates": 1})
    );
    assert_eq!(
        response["headers"]["access-control-allow-origin"],
        "https://jobs.example.com"
    );
    assert_eq!(response["headers"]["content-type"], "application/json");
    assert_eq!(enqueued_ids(&queue), ["acme", "globex"]);
}

#[test]
fn http_api_base64_body() {
    let (svc, queue) = service();
    let response = run(&svc, &event("apigw-v2-post-base64.json"));
    assert_eq!(response["statusCode"], 202, "{response}");
    assert_eq!(enqueued_ids(&queue), ["initech", "umbrella"]);
}

#[test]
fn http_api_preflight() {
    let (svc, queue) = service();
    let response = run(&svc, &event("apigw-v2-preflight.json"));
    assert_eq!(response["statusCode"], 204);
    assert_eq!(
        response["headers"]["access-control-allow-origin"],
        "https://jobs.example.com"
    );
    assert_eq!(
        response["headers"]["access-control-allow-methods"],
        "POST, OPTIONS"
    );
    assert_eq!(
        response["headers"]["access-control-allow-headers"],
        "content-type"
    );
    assert!(queue.accepted().is_empty());
}

#[test]
fn function_url_event_with_a_bad_id_is_refused_whole() {
    let (svc, queue) = service();
    let response = run(&svc, &event("function-url-post.json"));
    assert_eq!(response["statusCode"], 400);
    let b = body(&response);
    assert_eq!(b["error"], "invalid_company_id");
    assert!(
        b["detail"].as_str().unwrap().contains("company_ids[1]"),
        "{b}"
    );
    assert!(
        queue.accepted().is_empty(),
        "nothing is enqueued for a bad request"
    );
}

#[test]
fn function_url_event_with_good_ids() {
    let (svc, queue) = service();
    let mut e = event("function-url-post.json");
    e.body = Some(r#"{"company_ids":["hooli"]}"#.into());
    let response = run(&svc, &e);
    assert_eq!(response["statusCode"], 202);
    assert_eq!(enqueued_ids(&queue), ["hooli"]);
}

#[test]
fn wrong_method_from_a_captured_event() {
    let (svc, _) = service();
    let mut raw: Value = serde_json::from_str(&fixture("apigw-v2-post-text.json")).unwrap();
    raw["requestContext"]["http"]["method"] = "GET".into();
    let e: ApiGatewayV2httpRequest = serde_json::from_value(raw).unwrap();
    let response = run(&svc, &e);
    assert_eq!(response["statusCode"], 405);
    assert_eq!(response["headers"]["allow"], "POST, OPTIONS");
}

#[test]
fn an_unavailable_queue_answers_503_queue_unavailable_and_no_more() {
    let queue = Arc::new(MemoryQueue::new(
        "https://sqs.us-east-1.amazonaws.com/123456789012/logofill-reports",
        false,
    ));
    let config = ReportOptions::new(AllowedOrigins::parse("https://jobs.example.com").unwrap());
    let svc = ReportService::new(queue.clone(), SystemClock::default(), config);
    queue.set_unavailable(true);
    let response = run(&svc, &event("apigw-v2-post-text.json"));
    assert_eq!(response["statusCode"], 503);
    assert_eq!(response["headers"]["retry-after"], "30");
    assert_eq!(
        body(&response),
        serde_json::json!({"error": "queue_unavailable", "detail": "queue unavailable"})
    );
}

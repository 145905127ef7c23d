//! The report Lambda's edge: configuration, and the mapping between Lambda HTTP events and
//! the transport-neutral report service of `logofill-core`.
//!
//! API Gateway HTTP APIs (payload format 2.0) and Lambda Function URLs deliver the same event
//! shape, so one type serves both; the mapping is all this crate does. No rule of the report
//! contract lives here.

pub mod config;

use std::time::Instant;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderValue};
use logofill_core::metrics::{emf_line, Unit};
use logofill_core::report::{HttpRequest, HttpResponse, ReportBody, ReportCounts};
use logofill_core::{Clock, MessageQueue, ReportService};

pub use config::ReportSettings;

/// Serve one Lambda HTTP event. Never fails: every problem is an HTTP answer.
pub async fn handle_event<Q: MessageQueue, C: Clock>(
    service: &ReportService<Q, C>,
    event: &ApiGatewayV2httpRequest,
) -> (ApiGatewayV2httpResponse, ReportCounts) {
    let header = |name: &str| event.headers.get(name).and_then(|v| v.to_str().ok());
    let path = event
        .raw_path
        .as_deref()
        .or(event.request_context.http.path.as_deref())
        .unwrap_or("/");
    let raw_body = event.body.as_deref().unwrap_or("");
    let request = HttpRequest {
        method: event.request_context.http.method.as_str(),
        path,
        content_type: header("content-type"),
        origin: header("origin"),
        body: if event.is_base64_encoded {
            ReportBody::Base64(raw_body)
        } else {
            ReportBody::Plain(raw_body.as_bytes())
        },
    };
    let (response, counts) = service.handle(request).await;
    (to_lambda_response(response), counts)
}

fn to_lambda_response(response: HttpResponse) -> ApiGatewayV2httpResponse {
    let mut headers = HeaderMap::new();
    for (name, value) in response.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    let mut lambda_response = ApiGatewayV2httpResponse::default();
    lambda_response.status_code = i64::from(response.status);
    lambda_response.headers = headers;
    lambda_response.body = if response.body.is_empty() {
        None
    } else {
        Some(Body::Text(response.body))
    };
    lambda_response.is_base64_encoded = false;
    lambda_response
}

/// The EMF metrics line for one invocation.
pub fn metrics_line(counts: &ReportCounts, started: Instant, timestamp_ms: i64) -> String {
    emf_line(
        "report",
        timestamp_ms,
        &[
            ("enqueued", counts.enqueued as f64, Unit::Count),
            ("duplicate", counts.duplicates as f64, Unit::Count),
            ("rejected", counts.rejected as f64, Unit::Count),
            ("failed", counts.failed as f64, Unit::Count),
            (
                "duration",
                started.elapsed().as_secs_f64() * 1000.0,
                Unit::Milliseconds,
            ),
        ],
    )
}

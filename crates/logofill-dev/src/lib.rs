//! `logofill dev`: the report endpoint of logofill on 127.0.0.1, over plain HTTP, with the
//! in-memory queue twin in place of SQS.
//!
//! This is an adapter like the Lambda entry point: it turns HTTP requests into the core's
//! [`HttpRequest`] and serves them with the very same [`ReportService`], so what a curl sees
//! here is what the page gets in production. What would be sent to SQS is printed and shown
//! at `GET /dev/queue`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use logofill_core::report::{HttpRequest, ReportBody};
use logofill_core::{
    AllowedOrigins, MemoryQueue, QueueMessage, ReportConfig, ReportService, SystemClock,
};

/// Largest body the dev server reads at all; the report contract's own 8 KiB limit is checked
/// by the service, which must see oversized bodies to answer 413 like production.
const READ_LIMIT_BYTES: usize = 64 * 1024;

/// Settings of the dev server.
#[derive(Debug, Clone)]
pub struct DevOptions {
    pub addr: SocketAddr,
}

#[derive(Debug, thiserror::Error)]
pub enum DevError {
    #[error("cannot listen on {addr}: {source} (is another logofill dev running? pick another port with --port)")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the dev server stopped: {0}")]
    Serve(std::io::Error),
}

type Service = ReportService<Arc<MemoryQueue>, SystemClock>;

struct AppState {
    report: Service,
}

/// Build the router; `origin` is the dev server's own origin, allowed to report.
pub fn router(origin: &str) -> Router {
    let queue = Arc::new(MemoryQueue::new("in-memory queue", false));
    let allowed = AllowedOrigins::parse(&format!(
        "{origin},{}",
        origin.replace("127.0.0.1", "localhost")
    ))
    .expect("the dev origin is well formed");
    let state = Arc::new(AppState {
        report: ReportService::new(queue, SystemClock::default(), ReportConfig::new(allowed)),
    });
    Router::new()
        .route("/dev/queue", get(show_queue))
        .fallback(report)
        .layer(axum::extract::DefaultBodyLimit::max(READ_LIMIT_BYTES))
        .with_state(state)
}

/// Serve until Ctrl-C.
pub async fn run(options: DevOptions) -> Result<(), DevError> {
    let listener = tokio::net::TcpListener::bind(options.addr)
        .await
        .map_err(|source| DevError::Bind {
            addr: options.addr,
            source,
        })?;
    let addr = listener.local_addr().map_err(DevError::Serve)?;
    let origin = format!("http://{addr}");
    println!("logofill dev is serving on {origin}");
    println!("  report endpoint   POST {origin}/logo-misses");
    println!("  queue contents    GET  {origin}/dev/queue");
    println!("  try: curl -si {origin}/logo-misses -H 'content-type: application/json' -d '{{\"company_ids\":[\"acme\"]}}'");
    println!("Ctrl-C stops it.");
    axum::serve(listener, router(&origin))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
            println!("logofill dev: stopping");
        })
        .await
        .map_err(DevError::Serve)
}

async fn report(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let request = HttpRequest {
        method: method.as_str(),
        path: uri.path(),
        content_type: header("content-type"),
        origin: header("origin"),
        body: ReportBody::Plain(&body),
    };
    let before = state.report.queue().accepted().len();
    let (response, _) = state.report.handle(request).await;
    for message in &state.report.queue().accepted()[before..] {
        println!("enqueued {}", message.body);
    }
    let mut out = (
        StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        response.body,
    )
        .into_response();
    for (name, value) in response.headers {
        if let Ok(value) = value.parse() {
            out.headers_mut().insert(name, value);
        }
    }
    out
}

async fn show_queue(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    let messages: Vec<serde_json::Value> = state
        .report
        .queue()
        .accepted()
        .iter()
        .map(|m| match QueueMessage::from_body(&m.body) {
            Ok(_) => serde_json::from_str(&m.body).unwrap_or_default(),
            Err(e) => serde_json::json!({"unreadable": e.to_string()}),
        })
        .collect();
    Json(serde_json::json!({ "queue": messages }))
}

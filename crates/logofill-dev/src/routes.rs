//! The dev server's routes: the report endpoint (the Lambda's service on the local queue),
//! the queue's view, the bucket served as the CDN serves it, the sample sites and the snippet.

use std::sync::Arc;

use axum::body::{Body, HttpBody as _};
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use logofill_core::report::{BodySize, HttpRequest, ReportBody};

use crate::demo::{demo_page, postings_page};
use crate::server::AppState;
use crate::server::{DEAD_LETTER_QUEUE, WORK_QUEUE};
use crate::{sample, SNIPPET};
use logofill_core::queue::memory::StoredMessage;

pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(demo_page))
        .route("/postings", get(postings_page))
        .route("/logofill.js", get(snippet))
        .route("/dev/queue", get(show_queue))
        .route("/logos/{*key}", get(logo))
        .route("/sample-sites/{*path}", get(sample_site))
        .fallback(report)
        .with_state(state)
}

async fn report(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let limit = state.report.config().limits.max_body_bytes;
    let body = match read_body(body, header("content-length"), limit).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let request = HttpRequest {
        method: method.as_str(),
        path: uri.path(),
        content_type: header("content-type"),
        origin: header("origin"),
        body: match &body {
            ReadBody::Whole(bytes) => ReportBody::Plain(bytes),
            ReadBody::Over(size) => ReportBody::TooLarge(*size),
        },
    };
    let (response, counts) = state.report.handle(request).await;
    if counts.enqueued > 0 || counts.duplicates > 0 {
        tracing::info!(
            enqueued = counts.enqueued,
            duplicates = counts.duplicates,
            "report accepted"
        );
    }
    let mut out = (
        StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        response.body,
    )
        .into_response();
    for (name, value) in response.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            out.headers_mut().insert(name, value);
        }
    }
    out
}

/// A report body as far as the dev server read it.
enum ReadBody {
    Whole(Vec<u8>),
    Over(BodySize),
}

/// Keep at most `limit` + 1 bytes of a body: a `Content-Length` over the limit is refused
/// without reading the body at all, a chunked body is read until it ends or passes the limit,
/// and the rest is left unread (hyper then closes the connection rather than drain it; what
/// it already holds in its read buffer is dropped). Whatever the size, the report service
/// answers, so an oversized body gets the contract's JSON 413 naming the size and the limit,
/// not axum's plain-text one, and the service's own limit is the only one.
async fn read_body(
    mut body: Body,
    content_length: Option<&str>,
    limit: usize,
) -> Result<ReadBody, Response> {
    if let Some(declared) = content_length {
        match declared.trim().parse::<u64>() {
            Ok(size) if size > limit as u64 => return Ok(ReadBody::Over(BodySize::Exact(size))),
            Ok(_) => {}
            Err(_) => return Err((StatusCode::BAD_REQUEST, "bad Content-Length").into_response()),
        }
    }
    let mut bytes = Vec::new();
    while let Some(frame) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        let frame = frame.map_err(|e| {
            (StatusCode::BAD_REQUEST, format!("reading the body: {e}")).into_response()
        })?;
        let Ok(chunk) = frame.into_data() else {
            continue; // trailers
        };
        let room = limit + 1 - bytes.len();
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if bytes.len() > limit {
            return Ok(ReadBody::Over(BodySize::AtLeast(bytes.len() as u64)));
        }
    }
    Ok(ReadBody::Whole(bytes))
}

/// What `GET /dev/queue` shows.
#[derive(Debug, serde::Serialize)]
struct QueueSnapshot {
    queued: Vec<StoredMessage>,
    in_flight: Vec<StoredMessage>,
    dead_letter: Vec<StoredMessage>,
    /// Messages accepted since start.
    sent_total: u64,
}

async fn show_queue(State(state): State<Arc<AppState>>) -> Json<QueueSnapshot> {
    let (in_flight, queued) = state
        .queue
        .messages(WORK_QUEUE)
        .into_iter()
        .partition(|m| m.in_flight);
    Json(QueueSnapshot {
        queued,
        in_flight,
        dead_letter: state.queue.messages(DEAD_LETTER_QUEUE),
        sent_total: state.queue.sent_total(WORK_QUEUE),
    })
}

async fn logo(State(state): State<Arc<AppState>>, UrlPath(key): UrlPath<String>) -> Response {
    match state.store.read(&format!("logos/{key}")) {
        Ok(Some((bytes, head))) => {
            let mut response = (StatusCode::OK, bytes).into_response();
            let headers = response.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&head.content_type) {
                headers.insert(header::CONTENT_TYPE, v);
            }
            if let Ok(v) = HeaderValue::from_str(&head.cache_control) {
                headers.insert(header::CACHE_CONTROL, v);
            }
            for (name, value) in &head.metadata {
                if let (Ok(n), Ok(v)) = (
                    axum::http::HeaderName::from_bytes(format!("x-amz-meta-{name}").as_bytes()),
                    HeaderValue::from_str(value),
                ) {
                    headers.insert(n, v);
                }
            }
            response
        }
        Ok(None) => (StatusCode::NOT_FOUND, "no such logo").into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("bucket folder: {e}"),
        )
            .into_response(),
    }
}

async fn sample_site(
    State(state): State<Arc<AppState>>,
    UrlPath(path): UrlPath<String>,
) -> Response {
    if path == "umbrella/logo.png" {
        return (
            [(header::CONTENT_TYPE, "image/png")],
            state.umbrella_png.clone(),
        )
            .into_response();
    }
    match sample::site_file(&path) {
        Some((content_type, bytes)) => {
            ([(header::CONTENT_TYPE, content_type)], bytes).into_response()
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

async fn snippet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SNIPPET,
    )
        .into_response()
}

//! The dev server's routes: the report endpoint (the Lambda's service on the local queue),
//! the queue's view, the review page of the bucket, the bucket served as the CDN serves it, the
//! sample sites and the snippet.

use std::sync::Arc;

use axum::body::{Body, HttpBody as _};
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use logofill_core::report::{BodySize, HttpRequest, ReportBody};

use crate::demo::{demo_page, postings_page};
use crate::review::{self, FixTarget, DEFAULT_LIMIT, MAX_LIMIT};
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
        .route("/dev/review", get(review_page))
        .route("/dev/refresh", post(run_refresh))
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

/// `POST /dev/refresh[?today=YYYY-MM-DD]`: the scheduled refresh job, once, on the bucket
/// folder's index and the work queue (the worker then takes what it sent); answers its report.
/// `today` (default: the real date) lets a run see what will be due on a later day.
async fn run_refresh(State(state): State<Arc<AppState>>, uri: Uri) -> Response {
    let now = chrono::Utc::now();
    let today = match uri.query().and_then(|q| q.strip_prefix("today=")) {
        None => now.date_naive(),
        Some(day) => match logofill_core::refresh::parse_day(day) {
            Some(day) => day,
            None => {
                return (
                    StatusCode::BAD_REQUEST,
                    format!("today={day:?}: expected a day as YYYY-MM-DD\n"),
                )
                    .into_response()
            }
        },
    };
    let queue: logofill_core::queue::BoundQueue<crate::server::DevQueue> =
        logofill_core::queue::BoundQueue::bind(state.queue.clone(), WORK_QUEUE);
    let options = logofill_core::refresh::RunOptions::default();
    match logofill_core::refresh::run_due(&state.store, &queue, today, now, options).await {
        Ok(report) => Json(report).into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")).into_response(),
    }
}

/// `GET /dev/review[?limit=N]`: the review page of the bucket folder, its commands written for
/// `--bucket-dir` of that folder and the worker's sizes.
async fn review_page(State(state): State<Arc<AppState>>, uri: Uri) -> Response {
    let limit = match review_limit(uri.query()) {
        Ok(limit) => limit,
        Err(why) => return (StatusCode::BAD_REQUEST, why).into_response(),
    };
    let store = Arc::new(state.store.clone());
    let sizes = logofill_image::DEFAULT_SIZES;
    match review::collect(store, &sizes, limit, chrono::Utc::now()).await {
        Ok(sets) => {
            let target = FixTarget::BucketDir(state.store.root().to_path_buf());
            (
                [
                    (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                review::render_html(&sets, &target),
            )
                .into_response()
        }
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("bucket folder: {e}"),
        )
            .into_response(),
    }
}

/// The `limit` of a review query: 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent.
fn review_limit(query: Option<&str>) -> Result<usize, String> {
    let Some(value) = query
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("limit="))
    else {
        return Ok(DEFAULT_LIMIT);
    };
    match value.parse::<usize>() {
        Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
        _ => Err(format!(
            "limit={value:?}: give a number of companies from 1 to {MAX_LIMIT}"
        )),
    }
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

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use logofill_core::store::{LogoStore, StoredObject};

    use super::review_limit;
    use crate::review::{DEFAULT_LIMIT, MAX_LIMIT};
    use crate::{start, DevOptions, FolderStore};

    #[test]
    fn a_review_limit_is_a_number_of_companies_within_bounds() {
        assert_eq!(review_limit(None), Ok(DEFAULT_LIMIT));
        assert_eq!(review_limit(Some("x=1")), Ok(DEFAULT_LIMIT));
        assert_eq!(review_limit(Some("x=1&limit=5")), Ok(5));
        assert_eq!(
            review_limit(Some(&format!("limit={MAX_LIMIT}"))),
            Ok(MAX_LIMIT)
        );
        for bad in ["limit=0", "limit=-1", "limit=ten", "limit=", "limit=10001"] {
            assert!(review_limit(Some(bad)).is_err(), "{bad}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dev_review_serves_the_page_of_the_bucket_folder() {
        let bucket = std::env::temp_dir().join(format!(
            "logofill-dev-review-{}-{}",
            std::process::id(),
            logofill_testkit::free_port()
        ));
        let store = FolderStore::new(&bucket);
        for company in ["acme", "globex"] {
            for size in [64, 128, 256] {
                for format in ["webp", "png"] {
                    let mut metadata = std::collections::BTreeMap::new();
                    if size == 256 && format == "png" {
                        metadata.insert("kind".to_string(), "placeholder".to_string());
                        metadata.insert("reason".to_string(), "blocked".to_string());
                    }
                    store
                        .put(StoredObject {
                            key: format!("logos/{company}/{size}.{format}"),
                            bytes: b"\x89PNG\r\n\x1a\nnot really".to_vec(),
                            content_type: format!("image/{format}"),
                            cache_control: "public, max-age=86400".into(),
                            metadata,
                        })
                        .await
                        .unwrap();
                }
            }
        }
        let dev = start(DevOptions {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            bucket_dir: bucket.clone(),
            companies: Some(String::new()),
            ..DevOptions::default()
        })
        .await
        .unwrap();
        let client = reqwest::Client::new();
        let get = |query: &str| {
            client
                .get(format!("{}/dev/review{query}", dev.origin))
                .send()
        };

        let page = get("").await.unwrap();
        assert_eq!(page.status(), 200);
        assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
        let page = page.text().await.unwrap();
        let words = page.replace("<span>", "").replace("</span>", "");
        assert_eq!(page.matches("<article ").count(), 2);
        assert!(page.contains("data-flags=\"blocked\""));
        let command = format!(
            "logofill logo set --company acme --url URL --bucket-dir {}",
            bucket.display()
        );
        assert!(words.contains(&command), "{page}");
        assert!(!page.contains("id=\"limit-note\""));

        let cut = get("?limit=1").await.unwrap().text().await.unwrap();
        assert_eq!(cut.matches("<article ").count(), 1);
        assert!(cut.contains("id=\"limit-note\""));

        let refused = get("?limit=0").await.unwrap();
        assert_eq!(refused.status(), 400);
        assert!(refused.text().await.unwrap().contains("from 1 to"));

        dev.stop().await.unwrap();
        std::fs::remove_dir_all(bucket).ok();
    }
}

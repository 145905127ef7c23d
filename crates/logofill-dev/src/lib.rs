//! `logofill dev`: the whole of logofill in one process on 127.0.0.1, with embedded defaults.
//!
//! Every production part runs with the same logic and a local twin in place of AWS:
//! - `POST /logo-misses`: the report service of the Lambda, writing to an in-process queue
//!   with SQS semantics (visibility timeout, receive count, `maxReceiveCount`, dead-letter
//!   queue); `GET /dev/queue` shows it;
//! - the worker of the Lambda (directory, discovery, guarded fetch, pipeline, store,
//!   outcomes), fed from that queue in batches, with partial batch failures;
//! - a folder as the bucket (`.logofill-dev/bucket/`), served read-only at `/logos/...` with
//!   the keys, content types and cache headers the CDN gives, 404 for a missing logo;
//! - a demo postings page at `/` with the page snippet, and sample companies whose websites
//!   are served under `/sample-sites/`. The worker's fetcher may reach this server's own
//!   address on loopback and nothing else local ([`sample_site_fetcher`]): a directory line
//!   pointing at another local port is refused like any other blocked address.

pub mod folder_store;
pub mod local_queue;

pub use folder_store::FolderStore;
use local_queue::LocalQueue;

pub mod sample;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, HttpBody as _};
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use logofill_core::directory::JsonlDirectory;

use logofill_core::report::{BodySize, HttpRequest, ReportBody};

use logofill_core::{AllowedOrigins, CompanyId, ReportOptions, ReportService, SystemClock};
use logofill_fetch::{GuardedFetcher, LoopbackAccess};
use logofill_render::{HelperCommand, RenderBudget, RenderPool, Renderer};
use logofill_worker::wiring::{fetcher, pipeline, service_options};
use logofill_worker::{process_batch, DirectorySource, LogoWorker, WorkerSettings};
use tokio::sync::watch;

/// The page snippet, served at `/logofill.js`.
pub const SNIPPET: &str = include_str!("../../../web/logofill.js");

/// Settings of the dev runner.
#[derive(Debug, Clone)]
pub struct DevOptions {
    pub addr: SocketAddr,
    /// The folder that plays the bucket; kept across restarts.
    pub bucket_dir: PathBuf,
    /// How long a received message stays invisible (a failed one comes back after this).
    pub visibility_timeout: Duration,
    /// Receives before a message moves to the dead-letter queue.
    pub max_receive_count: u32,
    /// Records handed to the worker per batch (SQS allows 10).
    pub batch_size: usize,
    /// Records of one batch processed at the same time.
    pub concurrency: usize,
    /// The company directory as JSON Lines text (`{origin}` is replaced by this server's
    /// origin); `None` uses the shipped sample companies and seeds two of their logos.
    pub companies: Option<String>,
    /// What the directory's problems are reported against (`--companies FILE`'s path), so a
    /// skipped line is named by file and line.
    pub companies_name: String,
    /// Loopback addresses besides this server's own that the worker may fetch from (a
    /// benchmark's fixture server); empty by default.
    pub extra_loopback_sources: Vec<SocketAddr>,
    /// How fetched logos are rendered: in helper processes started with this command, under
    /// the worker's render budget (what `logofill dev` does, with itself as the helper), or,
    /// when `None`, in-process (library tests, whose binary cannot serve as a helper).
    pub render_helper: Option<HelperCommand>,
}

impl Default for DevOptions {
    fn default() -> Self {
        DevOptions {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            bucket_dir: PathBuf::from(".logofill-dev/bucket"),
            visibility_timeout: Duration::from_secs(10),
            max_receive_count: 5,
            batch_size: 10,
            concurrency: 4,
            companies: None,
            companies_name: "sample companies".into(),
            extra_loopback_sources: Vec::new(),
            render_helper: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DevError {
    // The cause is in the message, not a `source`, so an error chain prints it once.
    #[error("cannot listen on {addr}: {cause} (is another logofill dev running? pick another port with --port)")]
    Bind {
        addr: SocketAddr,
        cause: std::io::Error,
    },
    #[error("cannot set up the dev runner: {0}")]
    Setup(String),
    #[error("cannot set up the dev runner: {0}")]
    Wiring(#[from] logofill_worker::wiring::WiringError),
    #[error("the dev server stopped: {0}")]
    Serve(std::io::Error),
}

type DevQueue = LocalQueue<SystemClock>;
type DevWorker = LogoWorker<JsonlDirectory, FolderStore, Arc<GuardedFetcher>>;

struct AppState {
    report: ReportService<Arc<DevQueue>, SystemClock>,
    queue: Arc<DevQueue>,
    store: FolderStore,
    directory: JsonlDirectory,
    /// The umbrella sample logo as PNG (rendered from its SVG at start), to have a PNG source.
    umbrella_png: Vec<u8>,
}

/// A started dev runner.
pub struct RunningDev {
    pub addr: SocketAddr,
    pub origin: String,
    queue: Arc<DevQueue>,
    shutdown: watch::Sender<bool>,
    server: tokio::task::JoinHandle<Result<(), std::io::Error>>,
    worker: tokio::task::JoinHandle<()>,
}

impl RunningDev {
    /// Put a raw body on the queue, as a faulty producer could (for tests of poison handling).
    pub async fn enqueue_raw(&self, body: &str) {
        use logofill_core::MessageQueue as _;
        let entry = logofill_core::OutgoingMessage {
            entry_id: "0".into(),
            body: body.to_string(),
            group_id: None,
            dedup_id: None,
        };
        let _ = self.queue.send_batch(&[entry]).await;
    }

    /// Stop the server and the worker loop (the in-flight batch finishes first).
    pub async fn stop(self) -> Result<(), DevError> {
        let _ = self.shutdown.send(true);
        let served = self
            .server
            .await
            .map_err(|e| DevError::Setup(e.to_string()))?;
        let _ = self.worker.await;
        served.map_err(DevError::Serve)
    }
}

/// The worker's fetcher for the dev runner: the wiring's limits, with loopback opened only to
/// `own` (this server, which serves the sample sites) and `extra`.
pub fn sample_site_fetcher(
    settings: &WorkerSettings,
    own: SocketAddr,
    extra: &[SocketAddr],
) -> Result<Arc<GuardedFetcher>, DevError> {
    let loopback = LoopbackAccess::only(std::iter::once(own).chain(extra.iter().copied()));
    let fetcher = fetcher(settings)?
        .with_loopback(loopback)
        .map_err(|e| DevError::Setup(e.to_string()))?;
    Ok(Arc::new(fetcher))
}

/// Bind, start serving and the worker loop, and seed the bucket. Returns once ready.
pub async fn start(options: DevOptions) -> Result<RunningDev, DevError> {
    let listener = tokio::net::TcpListener::bind(options.addr)
        .await
        .map_err(|cause| DevError::Bind {
            addr: options.addr,
            cause,
        })?;
    let addr = listener.local_addr().map_err(DevError::Serve)?;
    let origin = format!("http://{addr}");
    std::fs::create_dir_all(&options.bucket_dir).map_err(|e| {
        DevError::Setup(format!(
            "cannot create {}: {e}",
            options.bucket_dir.display()
        ))
    })?;

    let directory_text = match &options.companies {
        Some(text) => text.replace("{origin}", &origin),
        None => sample::companies_jsonl(&origin),
    };
    let mut settings =
        WorkerSettings::with_defaults("dev", DirectorySource::File(PathBuf::from("sample")));
    settings.concurrency = options.concurrency;
    let pipeline = pipeline(&settings)?;
    let renderer = match &options.render_helper {
        Some(command) => Renderer::sandboxed(
            pipeline.clone(),
            RenderPool::new(
                command.clone(),
                pipeline.options(),
                RenderBudget {
                    timeout: settings.render_timeout,
                    memory_bytes: settings.memory.render_memory,
                },
                settings.memory.render_slots,
            ),
        ),
        None => Renderer::in_process(pipeline.clone()),
    };
    let store = FolderStore::new(&options.bucket_dir);
    let worker: Arc<DevWorker> = Arc::new(LogoWorker::new(
        {
            let directory = JsonlDirectory::parse(&options.companies_name, &directory_text);
            for problem in directory.problems() {
                tracing::warn!("company skipped: {problem}");
            }
            directory
        },
        store.clone(),
        sample_site_fetcher(&settings, addr, &options.extra_loopback_sources)?,
        renderer,
        service_options(&settings),
    ));
    let umbrella_png = {
        let (_, svg) = sample::site_file("umbrella/logo.svg").expect("sample file");
        let set = pipeline
            .render("umbrella/logo.svg", svg)
            .map_err(|e| DevError::Setup(format!("rendering the sample PNG: {e}")))?;
        set.variants
            .iter()
            .filter(|v| v.format.extension() == "png")
            .max_by_key(|v| v.size)
            .map(|v| v.bytes.clone())
            .unwrap_or_default()
    };

    let queue = Arc::new(LocalQueue::new(
        "dev queue",
        false,
        options.visibility_timeout,
        options.max_receive_count,
        SystemClock::default(),
    ));
    let allowed = AllowedOrigins::parse(&format!(
        "{origin},{}",
        origin.replace("127.0.0.1", "localhost")
    ))
    .map_err(DevError::Setup)?;
    let state = Arc::new(AppState {
        report: ReportService::new(
            queue.clone(),
            SystemClock::default(),
            ReportOptions::new(allowed),
        ),
        queue: queue.clone(),
        store: store.clone(),
        directory: JsonlDirectory::parse("sample companies", &directory_text),
        umbrella_png,
    });
    let (shutdown, mut stop_server) = watch::channel(false);
    let app = router(state);
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop_server.wait_for(|stop| *stop).await;
            })
            .await
    });

    // Seed a few logos so the demo page shows some from the start.
    let seeds = if options.companies.is_none() {
        sample::PRESEEDED
    } else {
        &[]
    };
    for id in seeds {
        let id = CompanyId::parse(id).expect("sample ids are valid");
        let report = worker.process_company(&id).await;
        tracing::info!(company_id = %id, outcome = report.outcome.name(), "seeded");
    }

    let worker_loop = tokio::spawn(worker_loop(
        worker,
        queue.clone(),
        options.clone(),
        shutdown.subscribe(),
    ));
    Ok(RunningDev {
        addr,
        origin,
        queue,
        shutdown,
        server,
        worker: worker_loop,
    })
}

/// Serve until Ctrl-C, printing what is where.
pub async fn run(options: DevOptions) -> Result<(), DevError> {
    let bucket = options.bucket_dir.clone();
    let samples = options.companies.is_none();
    let dev = start(options).await?;
    let origin = dev.origin.clone();
    println!("logofill dev is running on {origin}");
    println!("  demo postings page   {origin}/");
    println!("  report endpoint      POST {origin}/logo-misses");
    println!("  queue, in flight, DLQ {origin}/dev/queue");
    println!("  logos (the CDN)      {origin}/logos/{{company_id}}/{{size}}.png|webp  (bucket folder: {})", bucket.display());
    if samples {
        println!("  sample websites      {origin}/sample-sites/globex/ (and the others in the sample directory)");
    }
    println!("  page snippet         {origin}/logofill.js");
    println!("Ctrl-C stops it; the bucket folder is kept.");
    let _ = tokio::signal::ctrl_c().await;
    println!("logofill dev: stopping");
    dev.stop().await
}

async fn worker_loop(
    worker: Arc<DevWorker>,
    queue: Arc<DevQueue>,
    options: DevOptions,
    mut stop: watch::Receiver<bool>,
) {
    const POLL: Duration = Duration::from_millis(100);
    loop {
        if *stop.borrow() {
            return;
        }
        let received = queue.receive(options.batch_size);
        if received.is_empty() {
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        let records = received
            .iter()
            .map(|r| {
                serde_json::from_value(serde_json::json!({
                    "messageId": r.receipt,
                    "receiptHandle": r.receipt,
                    "body": r.message.body,
                    "attributes": {
                        "ApproximateReceiveCount": r.message.receive_count.to_string(),
                        "SentTimestamp": r.message.sent_at.timestamp_millis().to_string(),
                    },
                    "messageAttributes": {},
                    "eventSource": "logofill:dev",
                }))
                .expect("a well-formed SQS record")
            })
            .collect();
        let (_, report) = process_batch(worker.clone(), records, options.concurrency).await;
        for r in &received {
            // Failed records stay in flight; they come back after the visibility timeout.
            if !report.failed.contains(&r.receipt) {
                queue.delete(&r.receipt);
            }
        }
        let summary: Vec<String> = report
            .outcomes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        tracing::info!(batch = received.len(), outcomes = %summary.join(" "), "worker batch done");
    }
}

fn router(state: Arc<AppState>) -> Router {
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

async fn show_queue(State(state): State<Arc<AppState>>) -> Json<local_queue::QueueSnapshot> {
    Json(state.queue.snapshot())
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

/// The demo postings page: every sample company, sorted by id.
async fn demo_page(State(state): State<Arc<AppState>>) -> Html<String> {
    let mut records: Vec<_> = state.directory.records().collect();
    records.sort_by(|a, b| a.id.cmp(&b.id));
    let postings: Vec<(String, String)> = records
        .iter()
        .map(|r| (r.id.to_string(), r.name.clone()))
        .collect();
    Html(postings_html(&postings))
}

/// `/postings?ids=a,b,c`: a page with just these companies (ids the directory does not know
/// are shown by id, and their logos stay missing), to try the snippet on any mix.
async fn postings_page(State(state): State<Arc<AppState>>, uri: Uri) -> Response {
    let raw = uri
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("ids="))
        .unwrap_or("");
    let mut postings = Vec::new();
    for id in raw.split(',').filter(|s| !s.is_empty()) {
        let Ok(id) = CompanyId::parse(id) else {
            return (
                StatusCode::BAD_REQUEST,
                format!("ids: {id:?} is not a company id ([A-Za-z0-9_-], 1 to 64 characters)"),
            )
                .into_response();
        };
        let name = state
            .directory
            .records()
            .find(|r| r.id == id)
            .map(|r| r.name.clone())
            .unwrap_or_else(|| id.to_string());
        postings.push((id.to_string(), name));
    }
    Html(postings_html(&postings)).into_response()
}

fn postings_html(postings: &[(String, String)]) -> String {
    let mut rows = String::new();
    for (n, (id, name)) in postings.iter().enumerate() {
        let name = escape(name);
        rows.push_str(&format!(
            r#"<li class="posting"><img class="logo" src="/logos/{id}/128.webp" width="64" height="64" data-company-id="{id}" alt="{name} logo"><div><h2>{role}</h2><p>{name}</p></div></li>
"#,
            role = ROLES[n % ROLES.len()],
        ));
    }
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Postings · logofill dev</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 44rem; color: #222; }}
ul {{ list-style: none; padding: 0; }}
.posting {{ display: flex; gap: 1rem; align-items: center; padding: .75rem 0; border-bottom: 1px solid #eee; }}
.logo {{ width: 64px; height: 64px; object-fit: contain; background: #f4f4f4; border-radius: 8px; }}
h2 {{ font-size: 1rem; margin: 0; }} p {{ margin: .2rem 0 0; color: #666; }}
</style>
<script src="/logofill.js" data-endpoint="/logo-misses" data-debounce="300" async></script>
</head><body>
<h1>Open positions</h1>
<p>Logos come from <code>/logos/{{company_id}}/128.webp</code>. Missing ones are reported by the snippet and filled in by the worker; reload to see them.</p>
<ul>
{rows}</ul>
</body></html>"#
    )
}

const ROLES: &[&str] = &[
    "Backend Engineer",
    "Product Designer",
    "Site Reliability Engineer",
    "Data Analyst",
    "Mobile Developer",
    "Engineering Manager",
];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

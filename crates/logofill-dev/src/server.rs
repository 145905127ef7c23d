//! Starting and stopping the dev runner: the queue, the worker loop, the bucket folder, the
//! server, and the banner of `logofill dev`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use logofill_core::directory::JsonlDirectory;
use logofill_core::queue::memory::QueueSettings;
use logofill_core::queue::{
    BoundQueue, Handle, MemoryQueues, OutgoingMessage, QueueService, MAX_BATCH_ENTRIES,
};

use crate::routes::router;
use crate::sample;
use crate::FolderStore;
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

/// The work queue and its dead-letter queue, in the queue twin (SQS's semantics in-process).
pub(crate) const WORK_QUEUE: &str = "dev-queue";
pub(crate) const DEAD_LETTER_QUEUE: &str = "dev-queue-dlq";
pub(crate) type DevQueue = MemoryQueues;
pub(crate) type DevWorker = LogoWorker<JsonlDirectory, FolderStore, Arc<GuardedFetcher>>;

pub(crate) struct AppState {
    pub(crate) report: ReportService<BoundQueue<DevQueue>, SystemClock>,
    pub(crate) queue: Arc<DevQueue>,
    pub(crate) store: FolderStore,
    pub(crate) directory: JsonlDirectory,
    /// The umbrella sample logo as PNG (rendered from its SVG at start), to have a PNG source.
    pub(crate) umbrella_png: Vec<u8>,
}

/// A started dev runner.
pub struct RunningDev {
    pub addr: SocketAddr,
    pub origin: String,
    pub(crate) queue: Arc<DevQueue>,
    shutdown: watch::Sender<bool>,
    server: tokio::task::JoinHandle<Result<(), std::io::Error>>,
    worker: tokio::task::JoinHandle<()>,
}

impl RunningDev {
    /// Put a raw body on the queue, as a faulty producer could (for tests of poison handling).
    pub async fn enqueue_raw(&self, body: &str) {
        let entry = OutgoingMessage::new("0", body);
        let _ = self.queue.send_batch(WORK_QUEUE, &[entry]).await;
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

    let queue = Arc::new(MemoryQueues::new());
    queue.create_with(
        WORK_QUEUE,
        QueueSettings {
            visibility_timeout: options.visibility_timeout,
            ..QueueSettings::for_url(WORK_QUEUE)
        },
    );
    queue.create(DEAD_LETTER_QUEUE);
    queue.set_redrive(WORK_QUEUE, DEAD_LETTER_QUEUE, options.max_receive_count);
    let allowed = AllowedOrigins::parse(&format!(
        "{origin},{}",
        origin.replace("127.0.0.1", "localhost")
    ))
    .map_err(DevError::Setup)?;
    let state = Arc::new(AppState {
        report: ReportService::new(
            BoundQueue::bind(queue.clone(), WORK_QUEUE),
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
    println!("  review page          {origin}/dev/review");
    println!("  scheduled refresh    POST {origin}/dev/refresh[?today=YYYY-MM-DD]");
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
        let received = match queue
            .receive(
                WORK_QUEUE,
                options.batch_size,
                Duration::ZERO,
                options.visibility_timeout,
            )
            .await
        {
            Ok(received) => received,
            Err(e) => {
                tracing::error!(error = %e, "the dev queue failed");
                Vec::new()
            }
        };
        if received.is_empty() {
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        let records = received
            .iter()
            .map(|m| {
                serde_json::from_value(serde_json::json!({
                    "messageId": m.message_id,
                    "receiptHandle": m.receipt_handle,
                    "body": m.body,
                    "attributes": m.attributes,
                    "messageAttributes": {},
                    "eventSource": "logofill:dev",
                }))
                .expect("a well-formed SQS record")
            })
            .collect();
        let (_, report) = process_batch(worker.clone(), records, options.concurrency).await;
        // Failed records stay in flight; they come back after the visibility timeout.
        let done: Vec<Handle> = received
            .iter()
            .filter(|m| !report.failed.contains(&m.message_id))
            .enumerate()
            .map(|(i, m)| Handle {
                entry_id: i.to_string(),
                receipt_handle: m.receipt_handle.clone(),
            })
            .collect();
        for chunk in done.chunks(MAX_BATCH_ENTRIES) {
            if let Err(e) = queue.delete_batch(WORK_QUEUE, chunk).await {
                tracing::error!(error = %e, "deleting from the dev queue failed");
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

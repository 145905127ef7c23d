//! The test harness: real protocol peers on loopback, started and stopped by the tests.
//!
//! - [`MotoServer`]: `moto_server` (PyPI `moto[server]`, installed into `.venv` by
//!   `make test`) on a free 127.0.0.1 port, killed when dropped.
//! - [`FakeLambdaRuntime`]: the Lambda Runtime API (`/2018-06-01/runtime/invocation/...`), so
//!   the real Lambda binaries run here exactly as in AWS: the runtime loop, the async runtime
//!   and the SDK clients all included.
//! - Fixture and binary lookup.

pub mod corpus_run;
pub mod sites;
use std::collections::VecDeque;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::Notify;

/// The repository root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A file under `tests/fixtures/`.
pub fn fixture(name: &str) -> String {
    let path = workspace_root().join("tests/fixtures").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// A binary of this workspace, built in the same profile as the running test
/// (`make test` builds them first with `cargo build --bins`).
pub fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> -> target/<profile>/<name>
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is not built; run `cargo build --bins` (make test does) before the tests",
        path.display()
    );
    path
}

/// A port nobody is listening on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn wait_for_port(port: u16, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(
            &SocketAddr::from(([127, 0, 0, 1], port)),
            Duration::from_millis(200),
        )
        .is_ok()
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A running `moto_server`, S3 and SQS on one loopback port.
pub struct MotoServer {
    child: Child,
    pub port: u16,
    pub endpoint: String,
}

impl MotoServer {
    /// The `moto_server` executable: `$LOGOFILL_MOTO_SERVER`, else `.venv/bin/moto_server`.
    pub fn executable() -> PathBuf {
        if let Ok(path) = std::env::var("LOGOFILL_MOTO_SERVER") {
            return PathBuf::from(path);
        }
        let path = workspace_root().join(".venv/bin/moto_server");
        assert!(
            path.exists(),
            "moto_server not found at {}; run `make test` (it creates .venv with moto[server]) or set LOGOFILL_MOTO_SERVER",
            path.display()
        );
        path
    }

    pub fn start() -> Self {
        for _ in 0..3 {
            let port = free_port();
            let child = Command::new(Self::executable())
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("starting moto_server");
            let mut server = MotoServer {
                child,
                port,
                endpoint: format!("http://127.0.0.1:{port}"),
            };
            if wait_for_port(port, Duration::from_secs(30)) {
                return server;
            }
            let _ = server.child.kill();
        }
        panic!("moto_server did not start listening within 30 s (three tries)");
    }

    /// Stop the server now (for fault-injection tests).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// An SQS client for `endpoint`.
pub async fn sqs_client(endpoint: &str) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&logofill_aws::local_sdk_config(endpoint).await)
}

/// Create a queue and return its URL.
pub async fn create_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> String {
    let mut request = sqs.create_queue().queue_name(name);
    if name.ends_with(".fifo") {
        request = request.attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true");
    }
    request
        .send()
        .await
        .expect("create_queue")
        .queue_url()
        .expect("queue url")
        .to_owned()
}

/// Receive every message currently in the queue (and delete them).
pub async fn drain_queue(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    loop {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .send()
            .await
            .expect("receive_message");
        let messages = out.messages();
        if messages.is_empty() {
            return bodies;
        }
        for m in messages {
            bodies.push(m.body().unwrap_or_default().to_owned());
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("delete_message");
        }
    }
}

#[derive(Default)]
struct RuntimeState {
    pending: VecDeque<(String, String)>,
    responses: Vec<(String, Result<String, String>)>,
    init_error: Option<String>,
}

/// The Lambda Runtime API, enough of it to run a real Lambda binary: events are queued with
/// [`FakeLambdaRuntime::invoke`], the binary long-polls `next`, and its answers are collected.
#[derive(Clone)]
pub struct FakeLambdaRuntime {
    state: Arc<Mutex<RuntimeState>>,
    event_ready: Arc<Notify>,
    answered: Arc<Notify>,
    pub addr: SocketAddr,
}

impl FakeLambdaRuntime {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind runtime api");
        let addr = listener.local_addr().unwrap();
        let runtime = FakeLambdaRuntime {
            state: Arc::default(),
            event_ready: Arc::new(Notify::new()),
            answered: Arc::new(Notify::new()),
            addr,
        };
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(runtime.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        runtime
    }

    /// The release or debug `logofill-worker` binary as this runtime's function: S3 on moto
    /// at `moto_endpoint` (bucket `logos`), the directory file, loopback sources opted in, no
    /// other environment. Callers add variables, pipes, and spawn it.
    pub fn worker_command(&self, binary: &Path, moto_endpoint: &str, directory: &Path) -> Command {
        let mut command = Command::new(binary);
        command
            .env_clear()
            .envs(self.worker_env(moto_endpoint, directory))
            .stdin(Stdio::null());
        command
    }

    /// The environment of [`Self::worker_command`], for a caller that starts the worker
    /// through a wrapper (a cgroup, `taskset`).
    pub fn worker_env(&self, moto_endpoint: &str, directory: &Path) -> Vec<(String, String)> {
        let mut env = self.lambda_env("logofill-worker");
        for (k, v) in [
            ("AWS_ENDPOINT_URL", moto_endpoint.to_string()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("LOGOFILL_BUCKET", "logos".into()),
            (
                "LOGOFILL_DIRECTORY",
                format!("file://{}", directory.display()),
            ),
            ("LOGOFILL_ALLOW_LOOPBACK_SOURCES", "1".into()),
        ] {
            env.push((k.to_string(), v));
        }
        env
    }

    /// The environment a Lambda binary needs to talk to this runtime.
    pub fn lambda_env(&self, function: &str) -> Vec<(String, String)> {
        [
            ("AWS_LAMBDA_RUNTIME_API", self.addr.to_string()),
            ("AWS_LAMBDA_FUNCTION_NAME", function.to_string()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_string()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "test-stream".to_string()),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{function}"),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Queue an event; returns its request id.
    pub fn invoke(&self, event: String) -> String {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = format!(
            "req-{}",
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        self.state
            .lock()
            .unwrap()
            .pending
            .push_back((id.clone(), event));
        self.event_ready.notify_waiters();
        self.event_ready.notify_one();
        id
    }

    /// Wait for the answer to `request_id`: `Ok(body)` or `Err(error body)`.
    pub async fn answer(&self, request_id: &str, within: Duration) -> Result<String, String> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let notified = self.answered.notified();
            {
                let state = self.state.lock().unwrap();
                if let Some(err) = &state.init_error {
                    panic!("the Lambda binary reported an init error: {err}");
                }
                if let Some((_, result)) = state.responses.iter().find(|(id, _)| id == request_id) {
                    return result.clone();
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("no answer to {request_id} within {within:?}");
            }
        }
    }

    /// Number of answers received so far.
    pub fn answered_count(&self) -> usize {
        self.state.lock().unwrap().responses.len()
    }
}

async fn next(State(rt): State<FakeLambdaRuntime>) -> impl IntoResponse {
    loop {
        let notified = rt.event_ready.notified();
        if let Some((id, event)) = rt.state.lock().unwrap().pending.pop_front() {
            let mut headers = HeaderMap::new();
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis()
                + 30_000;
            headers.insert(
                "lambda-runtime-aws-request-id",
                HeaderValue::from_str(&id).unwrap(),
            );
            headers.insert(
                "lambda-runtime-deadline-ms",
                HeaderValue::from_str(&deadline.to_string()).unwrap(),
            );
            headers.insert(
                "lambda-runtime-invoked-function-arn",
                HeaderValue::from_static("arn:aws:lambda:us-east-1:123456789012:function:test"),
            );
            headers.insert(
                "lambda-runtime-trace-id",
                HeaderValue::from_static("Root=1-00000000-000000000000000000000000"),
            );
            headers.insert("content-type", HeaderValue::from_static("application/json"));
            return (headers, event);
        }
        notified.await;
    }
}

async fn response(
    State(rt): State<FakeLambdaRuntime>,
    UrlPath(id): UrlPath<String>,
    body: String,
) -> StatusCode {
    rt.state.lock().unwrap().responses.push((id, Ok(body)));
    rt.answered.notify_waiters();
    StatusCode::ACCEPTED
}

async fn error(
    State(rt): State<FakeLambdaRuntime>,
    UrlPath(id): UrlPath<String>,
    body: String,
) -> StatusCode {
    rt.state.lock().unwrap().responses.push((id, Err(body)));
    rt.answered.notify_waiters();
    StatusCode::ACCEPTED
}

async fn init_error(State(rt): State<FakeLambdaRuntime>, body: String) -> StatusCode {
    rt.state.lock().unwrap().init_error = Some(body);
    rt.answered.notify_waiters();
    StatusCode::ACCEPTED
}

/// Peak resident memory (VmHWM) and CPU time (user + system) of a running child, from /proc.
pub fn process_usage(pid: u32) -> Option<(u64, Duration)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let hwm_kb: u64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_comm = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    let hz = 100; // USER_HZ on Linux
    Some((hwm_kb * 1024, Duration::from_millis(ticks * 1000 / hz)))
}

/// One canned answer of a [`FixtureSite`].
#[derive(Clone, Debug)]
pub struct Page {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// Wait this long before answering (slow sources).
    pub delay: Duration,
    /// Extra headers (`location` for redirects).
    pub headers: Vec<(&'static str, String)>,
}

impl Page {
    pub fn ok(content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Page {
            status: 200,
            content_type,
            body: body.into(),
            delay: Duration::ZERO,
            headers: Vec::new(),
        }
    }
    pub fn status(status: u16) -> Self {
        Page {
            status,
            content_type: "text/plain",
            body: format!("status {status}").into_bytes(),
            delay: Duration::ZERO,
            headers: Vec::new(),
        }
    }
    pub fn redirect(to: &str) -> Self {
        Page {
            status: 302,
            content_type: "text/plain",
            body: Vec::new(),
            delay: Duration::ZERO,
            headers: vec![("location", to.to_string())],
        }
    }
    pub fn slow(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// A web server on 127.0.0.1 serving fixed pages by path (company homepages, logos, a
/// directory API), counting the requests it gets. Unknown paths answer 404.
#[derive(Clone)]
pub struct FixtureSite {
    pages: Arc<Mutex<std::collections::HashMap<String, Page>>>,
    hits: Arc<Mutex<Vec<String>>>,
    pub addr: SocketAddr,
}

impl FixtureSite {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fixture site");
        let site = FixtureSite {
            pages: Arc::default(),
            hits: Arc::default(),
            addr: listener.local_addr().unwrap(),
        };
        let app = Router::new().fallback(serve_page).with_state(site.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        site
    }

    /// `http://127.0.0.1:PORT{path}`
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn page(&self, path: &str, page: Page) -> &Self {
        self.pages.lock().unwrap().insert(path.to_string(), page);
        self
    }

    /// Paths requested so far, in order.
    pub fn hits(&self) -> Vec<String> {
        self.hits.lock().unwrap().clone()
    }
}

async fn serve_page(
    State(site): State<FixtureSite>,
    uri: axum::http::Uri,
) -> axum::response::Response {
    let path = uri.path().to_string();
    site.hits.lock().unwrap().push(path.clone());
    let page = site
        .pages
        .lock()
        .unwrap()
        .get(&path)
        .cloned()
        .unwrap_or_else(|| Page::status(404));
    if !page.delay.is_zero() {
        tokio::time::sleep(page.delay).await;
    }
    let mut response = (StatusCode::from_u16(page.status).unwrap(), page.body).into_response();
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static(page.content_type));
    for (name, value) in page.headers {
        response
            .headers_mut()
            .insert(name, HeaderValue::from_str(&value).unwrap());
    }
    response
}

/// An S3 client for `endpoint` (path-style, as for any custom endpoint).
pub async fn s3_client(endpoint: &str) -> aws_sdk_s3::Client {
    logofill_aws::s3_client(&logofill_aws::local_sdk_config(endpoint).await)
}

pub async fn create_bucket(s3: &aws_sdk_s3::Client, name: &str) {
    s3.create_bucket()
        .bucket(name)
        .send()
        .await
        .expect("create_bucket");
}

/// Create a queue with a dead-letter queue (`maxReceiveCount` as given) and a visibility
/// timeout; returns (queue URL, DLQ URL).
pub async fn create_queue_with_dlq(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    max_receive_count: u32,
    visibility_timeout_secs: u32,
) -> (String, String) {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let fifo = name.ends_with(".fifo");
    let dlq_name = if fifo {
        format!("{}-dlq.fifo", name.trim_end_matches(".fifo"))
    } else {
        format!("{name}-dlq")
    };
    let dlq_url = create_queue(sqs, &dlq_name).await;
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(A::QueueArn)
        .send()
        .await
        .expect("dlq attributes")
        .attributes()
        .and_then(|a| a.get(&A::QueueArn).cloned())
        .expect("dlq arn");
    let mut request = sqs
        .create_queue()
        .queue_name(name)
        .attributes(A::VisibilityTimeout, visibility_timeout_secs.to_string())
        .attributes(
            A::RedrivePolicy,
            format!(
                r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"{max_receive_count}"}}"#
            ),
        );
    if fifo {
        request = request.attributes(A::FifoQueue, "true");
    }
    let url = request
        .send()
        .await
        .expect("create_queue")
        .queue_url()
        .unwrap()
        .to_owned();
    (url, dlq_url)
}

/// Receive up to 10 messages and shape them as the Lambda SQS event AWS would deliver.
pub async fn receive_as_lambda_event(sqs: &aws_sdk_sqs::Client, url: &str) -> serde_json::Value {
    let out = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
        .wait_time_seconds(1)
        .send()
        .await
        .expect("receive_message");
    let records: Vec<serde_json::Value> = out
        .messages()
        .iter()
        .map(|m| {
            let attributes: serde_json::Map<String, serde_json::Value> = m
                .attributes()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| (k.as_str().to_string(), serde_json::Value::from(v.clone())))
                        .collect()
                })
                .unwrap_or_default();
            serde_json::json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": m.body(),
                "attributes": attributes,
                "messageAttributes": {},
                "md5OfBody": m.md5_of_body(),
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:logofill",
                "awsRegion": "us-east-1"
            })
        })
        .collect();
    serde_json::json!({ "Records": records })
}

/// Delete the messages of a handled event except the reported failures, as the Lambda
/// service does after a partial batch response. Failed ones are made visible again.
pub async fn settle_batch(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    event: &serde_json::Value,
    failed: &[String],
) {
    for record in event["Records"].as_array().unwrap() {
        let id = record["messageId"].as_str().unwrap();
        let handle = record["receiptHandle"].as_str().unwrap();
        if failed.iter().any(|f| f == id) {
            sqs.change_message_visibility()
                .queue_url(url)
                .receipt_handle(handle)
                .visibility_timeout(0)
                .send()
                .await
                .expect("change_message_visibility");
        } else {
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(handle)
                .send()
                .await
                .expect("delete_message");
        }
    }
}

/// Three documented variables (one required, two with defaults) for the tests of the checks
/// that hold the template and docs/configuration.md to the binaries' variable lists.
pub fn sample_env_vars() -> [logofill_core::config::EnvVar; 3] {
    use logofill_core::config::EnvVar;
    [
        EnvVar {
            name: "LOGOFILL_A",
            default: None,
            meaning: "a",
        },
        EnvVar {
            name: "LOGOFILL_B",
            default: Some("600"),
            meaning: "b",
        },
        EnvVar {
            name: "LOGOFILL_C",
            default: Some("x"),
            meaning: "c",
        },
    ]
}

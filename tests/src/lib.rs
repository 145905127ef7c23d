//! The test harness: real protocol peers on loopback, started and stopped by the tests.
//!
//! - [`MotoServer`]: `moto_server` (PyPI `moto[server]`, installed into `.venv` by
//!   `make test`) on a free 127.0.0.1 port, killed when dropped.
//! - [`FakeLambdaRuntime`]: the Lambda Runtime API (`/2018-06-01/runtime/invocation/...`), so
//!   the real Lambda binaries run here exactly as in AWS: the runtime loop, the async runtime
//!   and the SDK clients all included.
//! - Fixture and binary lookup.

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

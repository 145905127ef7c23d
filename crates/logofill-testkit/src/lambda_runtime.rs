//! The Lambda Runtime API (`/2018-06-01/runtime/invocation/...`), enough of it to run a real
//! Lambda binary on loopback: events are queued with [`FakeLambdaRuntime::invoke`], the
//! binary long-polls `next`, and its answers (or its init error) are collected.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::Notify;

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
        for (k, v) in crate::moto::client_env(moto_endpoint).into_iter().chain([
            ("LOGOFILL_BUCKET", "logos".into()),
            (
                "LOGOFILL_DIRECTORY",
                format!("file://{}", directory.display()),
            ),
            ("LOGOFILL_ALLOW_LOOPBACK_SOURCES", "1".into()),
        ]) {
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

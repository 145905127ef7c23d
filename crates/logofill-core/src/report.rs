//! The report service: `POST /logo-misses` from the page, to deduplicated queue messages.
//!
//! This module is the whole HTTP contract of the report endpoint, written against a minimal
//! request/response pair ([`HttpRequest`], [`HttpResponse`]) so the Lambda (API Gateway HTTP
//! API and Function URL events) and the dev server serve exactly the same logic.
//!
//! Decisions encoded here:
//! - Checks run cheapest first and every limit is enforced before the step it protects: the
//!   body size before base64 decoding and JSON parsing, the id count before validating ids.
//! - A request is all or nothing: one bad id rejects the request, and nothing is enqueued.
//! - An id enters the dedup cache only after the queue accepted it, so a failed send is
//!   retried by the next report rather than being forgotten for the TTL.
//! - Origins: a browser `POST` or preflight from an origin that is not configured gets 403, so
//!   other sites cannot make their visitors' browsers spend our queue; requests without an
//!   `Origin` header (curl, server-side jobs) are not browser traffic and are accepted.

use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;

use crate::clock::Clock;
use crate::company::{shown, CompanyId};
use crate::dedup::{RecentIds, DEFAULT_DEDUP_CAPACITY, DEFAULT_DEDUP_TTL};
use crate::message::{Origin, QueueMessage};
use crate::queue::{MessageQueue, OutgoingMessage, QueueError, MAX_BATCH_ENTRIES};

/// The one path the report endpoint serves.
pub const REPORT_PATH: &str = "/logo-misses";
/// Most ids one report may carry.
pub const DEFAULT_MAX_IDS: usize = 50;
/// Largest accepted body, in bytes after base64 decoding.
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 * 1024;
/// What `Retry-After` says when the queue cannot take messages.
pub const DEFAULT_RETRY_AFTER_SECS: u32 = 30;
/// The whole `detail` of a 503: the caller learns nothing about the queue or the AWS error,
/// which are logged instead.
pub const QUEUE_UNAVAILABLE_DETAIL: &str = "queue unavailable";
/// How long a browser may cache a preflight answer.
const PREFLIGHT_MAX_AGE_SECS: u32 = 86_400;

/// Size limits of one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportLimits {
    pub max_ids: usize,
    pub max_body_bytes: usize,
}

impl Default for ReportLimits {
    fn default() -> Self {
        ReportLimits {
            max_ids: DEFAULT_MAX_IDS,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

/// Which page origins may call the endpoint from a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// `*`: any origin. Only when configured so explicitly.
    Any,
    /// Exact origins such as `https://jobs.example.com`.
    List(Vec<String>),
}

impl AllowedOrigins {
    /// Parse a comma-separated list: `*`, or origins `scheme://host[:port]` without a path.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let items: Vec<&str> = raw
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if items == ["*"] {
            return Ok(AllowedOrigins::Any);
        }
        if items.contains(&"*") {
            return Err("`*` must stand alone, not in a list of origins".into());
        }
        let mut origins = Vec::with_capacity(items.len());
        for item in items {
            let rest = item
                .strip_prefix("https://")
                .or_else(|| item.strip_prefix("http://"))
                .ok_or_else(|| {
                    format!("origin {} must start with https:// or http://", shown(item))
                })?;
            if rest.is_empty() || rest.contains('/') || rest.contains('?') || rest.contains('#') {
                return Err(format!(
                    "origin {} must be scheme://host[:port] with no path",
                    shown(item)
                ));
            }
            origins.push(item.to_ascii_lowercase());
        }
        Ok(AllowedOrigins::List(origins))
    }

    fn allows(&self, origin: &str) -> bool {
        match self {
            AllowedOrigins::Any => true,
            AllowedOrigins::List(list) => list.iter().any(|o| o.eq_ignore_ascii_case(origin)),
        }
    }

    fn header_value(&self, origin: &str) -> String {
        match self {
            AllowedOrigins::Any => "*".into(),
            AllowedOrigins::List(_) => origin.into(),
        }
    }
}

/// Everything the report service is configured with.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    pub allowed_origins: AllowedOrigins,
    pub dedup_ttl: Duration,
    pub dedup_capacity: NonZeroUsize,
    pub limits: ReportLimits,
    pub retry_after_secs: u32,
}

impl ReportOptions {
    pub fn new(allowed_origins: AllowedOrigins) -> Self {
        ReportOptions {
            allowed_origins,
            dedup_ttl: DEFAULT_DEDUP_TTL,
            dedup_capacity: NonZeroUsize::new(DEFAULT_DEDUP_CAPACITY).expect("non-zero"),
            limits: ReportLimits::default(),
            retry_after_secs: DEFAULT_RETRY_AFTER_SECS,
        }
    }
}

/// A request body as the transport delivered it.
#[derive(Debug, Clone, Copy)]
pub enum ReportBody<'a> {
    Plain(&'a [u8]),
    /// API Gateway and Function URLs send non-text bodies base64-encoded.
    Base64(&'a str),
    /// A transport that reads the body itself (the dev server) stopped at the limit: the body
    /// is over it, and the service answers the 413 it would give for the whole body, after
    /// the method, origin and content-type checks, as for any other body.
    TooLarge(BodySize),
}

/// What a transport that stopped reading knows of a body's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodySize {
    /// Declared by `Content-Length`.
    Exact(u64),
    /// No length declared (chunked): this many bytes arrived before reading stopped.
    AtLeast(u64),
}

/// The parts of an HTTP request the report contract looks at.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub content_type: Option<&'a str>,
    pub origin: Option<&'a str>,
    pub body: ReportBody<'a>,
}

/// An HTTP response, transport-neutral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What one request did, for metrics and logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportCounts {
    /// Ids the queue accepted.
    pub enqueued: u64,
    /// Ids dropped as repeats (inside the request, or seen recently by this instance).
    pub duplicates: u64,
    /// Requests refused with a 4xx (0 or 1).
    pub rejected: u64,
    /// Ids the queue would not take even after one retry.
    pub failed: u64,
}

/// What happened to a list of ids handed to [`ReportService::enqueue`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EnqueueOutcome {
    pub enqueued: Vec<CompanyId>,
    pub duplicates: u64,
    /// Ids not enqueued, with the queue's reason.
    pub failed: Vec<(CompanyId, String)>,
}

/// A refused request: status, a stable machine-readable code, and a sentence for a human.
struct Refusal {
    status: u16,
    error: &'static str,
    detail: String,
    /// Ids that could not be enqueued (only for a 503).
    failed: u64,
}

impl Refusal {
    fn new(status: u16, error: &'static str, detail: impl Into<String>) -> Self {
        Refusal {
            status,
            error,
            detail: detail.into(),
            failed: 0,
        }
    }
}

#[derive(Deserialize)]
struct ReportPayload {
    company_ids: Vec<String>,
}

/// The report service: validation, dedup and enqueueing behind the HTTP contract.
pub struct ReportService<Q, C> {
    queue: Q,
    clock: C,
    config: ReportOptions,
    recent: Mutex<RecentIds>,
}

impl<Q: MessageQueue, C: Clock> ReportService<Q, C> {
    pub fn new(queue: Q, clock: C, config: ReportOptions) -> Self {
        let recent = Mutex::new(RecentIds::new(config.dedup_ttl, config.dedup_capacity));
        ReportService {
            queue,
            clock,
            config,
            recent,
        }
    }

    pub fn queue(&self) -> &Q {
        &self.queue
    }

    pub fn config(&self) -> &ReportOptions {
        &self.config
    }

    /// Serve one HTTP request of the report contract.
    pub async fn handle(&self, request: HttpRequest<'_>) -> (HttpResponse, ReportCounts) {
        let cors = self.cors_headers(request.origin);
        match self.handle_inner(request).await {
            Ok((mut response, counts)) => {
                response.headers.extend(cors);
                (response, counts)
            }
            Err(refusal) => {
                let counts = ReportCounts {
                    rejected: u64::from(refusal.status < 500),
                    failed: refusal.failed,
                    ..ReportCounts::default()
                };
                let mut response = json_response(
                    refusal.status,
                    json!({"error": refusal.error, "detail": refusal.detail}),
                );
                if refusal.status == 405 {
                    response.headers.push(("allow", "POST, OPTIONS".into()));
                }
                if refusal.status == 503 {
                    response
                        .headers
                        .push(("retry-after", self.config.retry_after_secs.to_string()));
                }
                response.headers.extend(cors);
                (response, counts)
            }
        }
    }

    async fn handle_inner(
        &self,
        request: HttpRequest<'_>,
    ) -> Result<(HttpResponse, ReportCounts), Refusal> {
        if !is_report_path(request.path) {
            return Err(Refusal::new(
                404,
                "not_found",
                format!(
                    "{} is not served here; reports go to POST {REPORT_PATH}",
                    shown(request.path)
                ),
            ));
        }
        let method = request.method.to_ascii_uppercase();
        if method == "OPTIONS" {
            return self
                .preflight(request.origin)
                .map(|r| (r, ReportCounts::default()));
        }
        if method != "POST" {
            return Err(Refusal::new(
                405,
                "method_not_allowed",
                format!(
                    "method {} is not allowed on {REPORT_PATH}; use POST",
                    shown(request.method)
                ),
            ));
        }
        self.check_origin(request.origin)?;
        check_content_type(request.content_type)?;
        let body = self.decode_body(request.body)?;
        let ids = self.parse_ids(&body)?;
        let outcome = self.enqueue(ids, Origin::Report).await;
        let counts = ReportCounts {
            enqueued: outcome.enqueued.len() as u64,
            duplicates: outcome.duplicates,
            rejected: 0,
            failed: outcome.failed.len() as u64,
        };
        if outcome.enqueued.is_empty() && !outcome.failed.is_empty() {
            let (id, reason) = &outcome.failed[0];
            // The queue URL (account id, queue name) and the AWS error text are for the
            // operator: they go to the log, and the page learns only that it may retry.
            tracing::warn!(
                queue = self.queue.name(),
                failed = counts.failed,
                first_company_id = %id,
                reason = %reason,
                "no id of the report could be enqueued"
            );
            let mut refusal = Refusal::new(503, "queue_unavailable", QUEUE_UNAVAILABLE_DETAIL);
            refusal.failed = counts.failed;
            return Err(refusal);
        }
        let response = json_response(
            202,
            json!({"enqueued": counts.enqueued, "duplicates": counts.duplicates}),
        );
        Ok((response, counts))
    }

    fn preflight(&self, origin: Option<&str>) -> Result<HttpResponse, Refusal> {
        let origin = origin.ok_or_else(|| {
            Refusal::new(
                400,
                "not_a_preflight",
                "OPTIONS without an Origin header is not a CORS preflight",
            )
        })?;
        self.check_origin(Some(origin))?;
        Ok(HttpResponse {
            status: 204,
            headers: vec![
                ("access-control-allow-methods", "POST, OPTIONS".into()),
                ("access-control-allow-headers", "content-type".into()),
                ("access-control-max-age", PREFLIGHT_MAX_AGE_SECS.to_string()),
            ],
            body: String::new(),
        })
    }

    fn check_origin(&self, origin: Option<&str>) -> Result<(), Refusal> {
        match origin {
            Some(origin) if !self.config.allowed_origins.allows(origin) => Err(Refusal::new(
                403,
                "origin_not_allowed",
                format!(
                    "origin {} is not in LOGOFILL_ALLOWED_ORIGINS",
                    shown(origin)
                ),
            )),
            _ => Ok(()),
        }
    }

    fn cors_headers(&self, origin: Option<&str>) -> Vec<(&'static str, String)> {
        match origin {
            Some(origin) if self.config.allowed_origins.allows(origin) => vec![
                (
                    "access-control-allow-origin",
                    self.config.allowed_origins.header_value(origin),
                ),
                ("vary", "Origin".into()),
            ],
            _ => Vec::new(),
        }
    }

    fn decode_body(&self, body: ReportBody<'_>) -> Result<Vec<u8>, Refusal> {
        let limit = self.config.limits.max_body_bytes;
        let too_large = |size: u64| {
            Refusal::new(
                413,
                "body_too_large",
                format!("body is {size} bytes, over the {limit}-byte limit"),
            )
        };
        let bytes = match body {
            ReportBody::TooLarge(BodySize::Exact(size)) => {
                return Err(too_large(size));
            }
            ReportBody::TooLarge(BodySize::AtLeast(size)) => {
                return Err(Refusal::new(
                    413,
                    "body_too_large",
                    format!("body is at least {size} bytes, over the {limit}-byte limit"),
                ));
            }
            ReportBody::Plain(bytes) => {
                if bytes.len() > limit {
                    return Err(too_large(bytes.len() as u64));
                }
                bytes.to_vec()
            }
            ReportBody::Base64(encoded) => {
                let encoded = encoded.trim_end();
                // The decoded size is known from the encoded length: refuse before decoding.
                let decoded_len = encoded.len() / 4 * 3;
                if decoded_len > limit + 2 {
                    return Err(too_large(decoded_len as u64));
                }
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .map_err(|e| {
                        Refusal::new(
                            400,
                            "bad_encoding",
                            format!("body is marked base64 but does not decode: {e}"),
                        )
                    })?;
                if bytes.len() > limit {
                    return Err(too_large(bytes.len() as u64));
                }
                bytes
            }
        };
        if bytes.is_empty() {
            return Err(Refusal::new(
                400,
                "empty_body",
                r#"body is empty; send {"company_ids": ["..."]}"#,
            ));
        }
        Ok(bytes)
    }

    fn parse_ids(&self, body: &[u8]) -> Result<Vec<CompanyId>, Refusal> {
        let payload: ReportPayload = serde_json::from_slice(body).map_err(|e| {
            Refusal::new(
                400,
                "malformed_json",
                format!(r#"body is not {{"company_ids": [strings]}}: {e}"#),
            )
        })?;
        let max = self.config.limits.max_ids;
        if payload.company_ids.len() > max {
            return Err(Refusal::new(
                413,
                "too_many_ids",
                format!(
                    "report carries {} company ids, over the limit of {max} per request",
                    payload.company_ids.len()
                ),
            ));
        }
        payload
            .company_ids
            .iter()
            .enumerate()
            .map(|(i, raw)| {
                CompanyId::parse(raw).map_err(|e| {
                    Refusal::new(400, "invalid_company_id", format!("company_ids[{i}]: {e}"))
                })
            })
            .collect()
    }

    /// Enqueue `ids` (already validated), dropping repeats and ids this instance enqueued
    /// within the TTL. Sends in batches of [`MAX_BATCH_ENTRIES`], retries failed entries once,
    /// and remembers only what the queue accepted.
    pub async fn enqueue(&self, ids: Vec<CompanyId>, origin: Origin) -> EnqueueOutcome {
        let mut outcome = EnqueueOutcome::default();
        let now = self.clock.monotonic();
        let mut fresh: Vec<CompanyId> = Vec::with_capacity(ids.len());
        {
            let mut recent = self.recent.lock().expect("dedup cache lock");
            for id in ids {
                if fresh.contains(&id) || recent.seen_recently(&id, now) {
                    outcome.duplicates += 1;
                } else {
                    fresh.push(id);
                }
            }
        }
        let reported_at = self
            .clock
            .now_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        for chunk in fresh.chunks(MAX_BATCH_ENTRIES) {
            let (sent, failed) =
                send_company_messages(&self.queue, chunk, &reported_at, origin).await;
            {
                let mut recent = self.recent.lock().expect("dedup cache lock");
                let now = self.clock.monotonic();
                for id in &sent {
                    recent.remember(id.clone(), now);
                }
            }
            outcome.enqueued.extend(sent);
            outcome.failed.extend(failed);
        }
        outcome
    }
}

/// Send one message per company in `chunk` (at most [`MAX_BATCH_ENTRIES`]) in one batch, with
/// `reported_at` and `origin`, retrying entries that failed once. On a FIFO queue the group
/// and dedup ids are the company id. Returns what the queue accepted and what it would not
/// take, with its reason.
pub async fn send_company_messages<Q: MessageQueue>(
    queue: &Q,
    chunk: &[CompanyId],
    reported_at: &str,
    origin: Origin,
) -> (Vec<CompanyId>, Vec<(CompanyId, String)>) {
    let fifo = queue.is_fifo();
    let entries: Vec<OutgoingMessage> = chunk
        .iter()
        .enumerate()
        .map(|(i, id)| OutgoingMessage {
            group_id: fifo.then(|| id.to_string()),
            dedup_id: fifo.then(|| id.to_string()),
            ..OutgoingMessage::new(
                i.to_string(),
                QueueMessage::body_for(id, reported_at, origin),
            )
        })
        .collect();
    let mut pending = entries;
    let mut last_reason: Vec<(String, String)> = Vec::new();
    for attempt in 0..2 {
        match queue.send_batch(&pending).await {
            Ok(failures) => {
                last_reason = failures
                    .iter()
                    .map(|f| (f.entry_id.clone(), format!("{}: {}", f.code, f.message)))
                    .collect();
                pending.retain(|e| failures.iter().any(|f| f.entry_id == e.entry_id));
            }
            Err(err) => {
                tracing::warn!(attempt, error = %err, "send_batch failed as a whole");
                last_reason = pending
                    .iter()
                    .map(|e| (e.entry_id.clone(), err.to_string()))
                    .collect();
                if matches!(err, QueueError::Refused { .. }) {
                    break;
                }
            }
        }
        if pending.is_empty() {
            break;
        }
    }
    let mut sent = Vec::with_capacity(chunk.len());
    let mut failed = Vec::new();
    for (i, id) in chunk.iter().enumerate() {
        let entry_id = i.to_string();
        if pending.iter().any(|e| e.entry_id == entry_id) {
            let reason = last_reason
                .iter()
                .find(|(e, _)| *e == entry_id)
                .map(|(_, r)| r.clone())
                .unwrap_or_else(|| "not accepted".into());
            tracing::warn!(company_id = %id, reason = %reason, "company id not enqueued");
            failed.push((id.clone(), reason));
        } else {
            sent.push(id.clone());
        }
    }
    (sent, failed)
}

/// The report path, also under an API Gateway stage prefix (`/prod/logo-misses`).
fn is_report_path(path: &str) -> bool {
    let path = path.strip_suffix('/').unwrap_or(path);
    path == REPORT_PATH || path.ends_with(REPORT_PATH)
}

fn check_content_type(content_type: Option<&str>) -> Result<(), Refusal> {
    let unsupported = |what: String| {
        Refusal::new(
            415,
            "unsupported_media_type",
            format!("{what}; send application/json or text/plain (UTF-8)"),
        )
    };
    let raw = content_type.ok_or_else(|| unsupported("Content-Type header is missing".into()))?;
    let mut parts = raw.split(';');
    let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    if media != "application/json" && media != "text/plain" {
        return Err(unsupported(format!(
            "Content-Type {} is not accepted",
            shown(raw)
        )));
    }
    for param in parts {
        if let Some((name, value)) = param.split_once('=') {
            if name.trim().eq_ignore_ascii_case("charset") {
                let value = value.trim().trim_matches('"');
                if !value.eq_ignore_ascii_case("utf-8") && !value.eq_ignore_ascii_case("utf8") {
                    return Err(unsupported(format!(
                        "charset {} is not accepted",
                        shown(value)
                    )));
                }
            }
        }
    }
    Ok(())
}

fn json_response(status: u16, body: serde_json::Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![
            ("content-type", "application/json".into()),
            ("cache-control", "no-store".into()),
        ],
        body: body.to_string(),
    }
}

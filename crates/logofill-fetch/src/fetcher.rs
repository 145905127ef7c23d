//! The guarded fetcher: `reqwest` with the address rules of [`crate::guard`] applied where
//! they cannot be dodged.
//!
//! - The URL is checked first: http/https only, no user info, and a literal IP host (in any
//!   spelling the URL parser accepts: `2130706433`, `0x7f.1`, `127.1`, `[::ffff:7f00:1]`) is
//!   judged before anything is sent.
//! - Host names are resolved by our own resolver ([`crate::resolve`], the system's
//!   `getaddrinfo` unless one is injected), installed into reqwest, which refuses the name if
//!   any of its addresses is blocked, and tells a name that does not exist (NXDOMAIN,
//!   permanent) from a lookup that failed (transient). reqwest connects only to addresses that resolver
//!   returned, so the check applies to the address actually connected: a DNS answer that
//!   changes between a check and the connect (rebinding) is checked again.
//! - Redirects are followed here, not by reqwest, so every hop gets the same checks; at most
//!   `max_redirects`.
//! - One deadline covers all hops and the body; the body is counted while it streams, so a
//!   missing or lying Content-Length does not help, and a declared length over the limit is
//!   refused before reading. A caller can ask for less: the whole body within a smaller limit
//!   (a manifest), or only its first bytes (a homepage: [`BodyLimit::Prefix`]).
//! - Loopback is refused unless [`LoopbackAccess`] says otherwise: `Any` for the tests and an
//!   operator's explicit `--allow-loopback-sources`, `Only` a list of socket addresses for the
//!   dev runner, so its fetcher reaches its own sample sites and no other local service.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use logofill_core::company::shown;
use logofill_core::fetch::{BodyLimit, FetchError, Fetched, Fetcher, Validators, NOT_MODIFIED};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use tokio::time::Instant;
use url::{Host, Url};

use crate::guard::check_ip;
use crate::resolve::{LookupError, NameResolver, SystemResolver};

pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
pub const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_MAX_BODY_BYTES: u64 = 10 * 1024 * 1024;
pub const DEFAULT_MAX_REDIRECTS: u32 = 3;
pub const DEFAULT_USER_AGENT: &str = concat!(
    "logofill/",
    env!("CARGO_PKG_VERSION"),
    " (company logo fetcher; +https://github.com/logofill/logofill)"
);

/// Limits of every fetch.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    pub connect_timeout: Duration,
    /// One deadline for all redirects and the body.
    pub total_timeout: Duration,
    pub max_body_bytes: u64,
    pub max_redirects: u32,
    /// Which loopback destinations may be fetched (none by default).
    pub loopback: LoopbackAccess,
    pub user_agent: String,
}

/// Which loopback destinations (127.0.0.0/8, ::1 and ::ffff:127.x) a fetcher may connect to.
/// No other blocked range can ever be allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum LoopbackAccess {
    /// None: production.
    #[default]
    Refused,
    /// Any loopback address and port, by IP or by a name that resolves to it (the tests, and
    /// `logofill process --allow-loopback-sources`, where an operator asked for it).
    Any,
    /// Only these socket addresses, named by their IP in the URL (the dev runner's own sample
    /// sites). A host name resolving to loopback is refused: the resolver cannot see the port.
    Only(Vec<SocketAddr>),
}

impl LoopbackAccess {
    /// `Any` for an explicit opt-in, else `Refused`.
    pub fn from_opt_in(allow: bool) -> Self {
        if allow {
            LoopbackAccess::Any
        } else {
            LoopbackAccess::Refused
        }
    }

    /// Only `addrs`.
    pub fn only(addrs: impl IntoIterator<Item = SocketAddr>) -> Self {
        LoopbackAccess::Only(addrs.into_iter().map(canonical).collect())
    }

    fn allows_any(&self) -> bool {
        matches!(self, LoopbackAccess::Any)
    }

    /// Whether `addr`, refused by the address rules, is a loopback destination allowed here.
    fn allows(&self, addr: SocketAddr) -> bool {
        match self {
            LoopbackAccess::Refused => false,
            LoopbackAccess::Any => check_ip(addr.ip(), true).is_none(),
            LoopbackAccess::Only(list) => {
                check_ip(addr.ip(), true).is_none() && list.contains(&canonical(addr))
            }
        }
    }
}

/// `[::ffff:127.0.0.1]:80` and `127.0.0.1:80` are the same destination.
fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            total_timeout: DEFAULT_TOTAL_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            loopback: LoopbackAccess::Refused,
            user_agent: DEFAULT_USER_AGENT.to_string(),
        }
    }
}

/// The name resolved only to addresses logofill may not connect to.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to {addr}, which is {reason}")]
struct BlockedAddress {
    host: String,
    addr: IpAddr,
    reason: &'static str,
}

/// The name does not exist.
#[derive(Debug, thiserror::Error)]
#[error("{host} does not exist")]
struct NoSuchHost {
    host: String,
}

/// A resolver that refuses a name if any of its addresses is blocked.
struct GuardedResolver {
    names: Arc<dyn NameResolver>,
    allow_loopback: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        let host = name.as_str().to_string();
        let lookup = self.names.lookup(&host);
        Box::pin(async move {
            type BoxError = Box<dyn std::error::Error + Send + Sync>;
            let addrs = match lookup.await {
                Ok(addrs) => addrs,
                Err(LookupError::NoSuchHost) => {
                    return Err(Box::new(NoSuchHost { host }) as BoxError)
                }
                Err(LookupError::Temporary(detail)) => {
                    return Err(format!("looking up {host} failed: {detail}").into())
                }
            };
            for addr in &addrs {
                if let Some(reason) = check_ip(*addr, allow_loopback) {
                    return Err(Box::new(BlockedAddress {
                        host: host.clone(),
                        addr: *addr,
                        reason,
                    }) as BoxError);
                }
            }
            if addrs.is_empty() {
                return Err(format!("{host} has no address").into());
            }
            let addrs: Vec<SocketAddr> = addrs.into_iter().map(|a| SocketAddr::new(a, 0)).collect();
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The production fetcher. Cheap to clone behind an `Arc`; build one per process.
#[derive(Clone)]
pub struct GuardedFetcher {
    client: reqwest::Client,
    options: FetchOptions,
    names: Arc<dyn NameResolver>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct BuildError(String);

impl GuardedFetcher {
    /// A fetcher resolving names with the system resolver.
    pub fn new(options: FetchOptions) -> Result<Self, BuildError> {
        Self::with_resolver(options, Arc::new(SystemResolver))
    }

    /// A fetcher resolving names with `names` (tests inject a fixed table).
    pub fn with_resolver(
        options: FetchOptions,
        names: Arc<dyn NameResolver>,
    ) -> Result<Self, BuildError> {
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver {
                names: names.clone(),
                allow_loopback: options.loopback.allows_any(),
            }))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.connect_timeout)
            .user_agent(options.user_agent.clone())
            .no_proxy()
            .pool_max_idle_per_host(2)
            .build()
            .map_err(|e| BuildError(e.to_string()))?;
        Ok(GuardedFetcher {
            client,
            options,
            names,
        })
    }

    pub fn options(&self) -> &FetchOptions {
        &self.options
    }

    /// The same limits with another loopback rule (the dev runner narrows the wiring's
    /// fetcher to its own sample sites).
    pub fn with_loopback(&self, loopback: LoopbackAccess) -> Result<Self, BuildError> {
        GuardedFetcher::with_resolver(
            FetchOptions {
                loopback,
                ..self.options.clone()
            },
            self.names.clone(),
        )
    }

    /// Check a URL before any connection: scheme, user info, literal IP hosts.
    pub fn precheck(&self, raw: &str) -> Result<Url, FetchError> {
        let invalid = |reason: String| FetchError::InvalidUrl {
            url: shown(raw),
            reason,
        };
        let url = Url::parse(raw).map_err(|e| invalid(e.to_string()))?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(FetchError::Blocked {
                url: shown(raw),
                reason: format!("scheme {} is not http or https", url.scheme()),
            });
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(FetchError::Blocked {
                url: shown(raw),
                reason: "URLs with user info are not fetched".into(),
            });
        }
        let ip = match url.host() {
            None => return Err(invalid("no host".into())),
            Some(Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            Some(Host::Domain(_)) => None,
        };
        if let Some(ip) = ip {
            if let Some(reason) = check_ip(ip, false) {
                let port = url.port_or_known_default().unwrap_or(0);
                if !self.options.loopback.allows(SocketAddr::new(ip, port)) {
                    let mut reason = format!("{ip} is {reason}");
                    if let LoopbackAccess::Only(list) = &self.options.loopback {
                        if check_ip(ip, true).is_none() {
                            let list: Vec<String> = list.iter().map(|a| a.to_string()).collect();
                            reason.push_str(&format!(
                                ", and only {} may be fetched on loopback",
                                list.join(", ")
                            ));
                        }
                    }
                    return Err(FetchError::Blocked {
                        url: url.to_string(),
                        reason,
                    });
                }
            }
        }
        Ok(url)
    }

    async fn fetch(
        &self,
        raw: &str,
        wanted: Option<BodyLimit>,
        any_status: bool,
        validators: Option<&Validators>,
    ) -> Result<Fetched, FetchError> {
        let own = self.options.max_body_bytes;
        let (limit, prefix) = match wanted {
            None => (own, false),
            Some(BodyLimit::Whole(n)) => (n.min(own), false),
            Some(BodyLimit::Prefix(n)) => (n.min(own), true),
        };
        let deadline = Instant::now() + self.options.total_timeout;
        let mut url = self.precheck(raw)?;
        let mut hops = 0;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(timeout(&url, self.options.total_timeout));
            }
            let mut request = self.client.get(url.clone()).timeout(remaining);
            if let Some(validators) = validators {
                // Values a server sent us, kept within MAX_KEPT_HEADER_BYTES; one that is not
                // a valid header value is left out (the GET is then unconditional).
                let valid = |v: &Option<String>| {
                    v.as_deref()
                        .and_then(|v| reqwest::header::HeaderValue::from_str(v).ok())
                };
                if let Some(etag) = valid(&validators.etag) {
                    request = request.header(reqwest::header::IF_NONE_MATCH, etag);
                }
                if let Some(since) = valid(&validators.last_modified) {
                    request = request.header(reqwest::header::IF_MODIFIED_SINCE, since);
                }
            }
            let response = request.send().await.map_err(|e| self.map_error(&url, e))?;
            let status = response.status();
            if status.as_u16() == NOT_MODIFIED && validators.is_some() {
                return Ok(Fetched {
                    final_url: url.to_string(),
                    status: NOT_MODIFIED,
                    content_type: None,
                    body: Vec::new(),
                    truncated: false,
                    headers: kept_headers(response.headers()),
                });
            }
            if status.is_redirection() {
                if let Some(location) = response.headers().get(reqwest::header::LOCATION) {
                    if hops >= self.options.max_redirects {
                        return Err(FetchError::TooManyRedirects {
                            url: raw.to_string(),
                            limit: self.options.max_redirects,
                        });
                    }
                    hops += 1;
                    let location = location.to_str().map_err(|_| FetchError::InvalidUrl {
                        url: url.to_string(),
                        reason: "the redirect location is not text".into(),
                    })?;
                    let next = url.join(location).map_err(|e| FetchError::InvalidUrl {
                        url: shown(location),
                        reason: format!("bad redirect from {url}: {e}"),
                    })?;
                    url = self.precheck(next.as_str())?;
                    continue;
                }
            }
            if !status.is_success() && !any_status {
                return Err(FetchError::Status {
                    url: url.to_string(),
                    status: status.as_u16(),
                });
            }
            if let Some(declared) = response.content_length() {
                if declared > limit && !prefix {
                    return Err(FetchError::TooLarge {
                        url: url.to_string(),
                        limit_bytes: limit,
                    });
                }
            }
            let content_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let headers = kept_headers(response.headers());
            let final_url = url.to_string();
            // A declared length (already checked against the limit) sizes the buffer once; an
            // undeclared one grows it, but never past the limit, so a body at the limit costs
            // the limit and not the next power of two (the worker's memory plan counts on it).
            let mut body: Vec<u8> =
                Vec::with_capacity(response.content_length().unwrap_or(0).min(limit) as usize);
            let mut truncated = false;
            let mut response = response;
            loop {
                let chunk = tokio::time::timeout_at(deadline, response.chunk())
                    .await
                    .map_err(|_| timeout(&url, self.options.total_timeout))?
                    .map_err(|e| self.map_error(&url, e))?;
                let Some(chunk) = chunk else { break };
                if body.len() as u64 + chunk.len() as u64 > limit {
                    if prefix {
                        // The rest is never read: dropping the response closes the connection.
                        let room = (limit - body.len() as u64) as usize;
                        body.extend_from_slice(&chunk[..room]);
                        truncated = true;
                        break;
                    }
                    return Err(FetchError::TooLarge {
                        url: final_url,
                        limit_bytes: limit,
                    });
                }
                let needed = body.len() + chunk.len();
                if needed > body.capacity() {
                    let grown = (body.capacity() * 2).max(needed).min(limit as usize);
                    body.reserve_exact(grown - body.len());
                }
                body.extend_from_slice(&chunk);
            }
            return Ok(Fetched {
                final_url,
                status: status.as_u16(),
                content_type,
                body,
                truncated,
                headers,
            });
        }
    }

    fn map_error(&self, url: &Url, err: reqwest::Error) -> FetchError {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
        while let Some(e) = source {
            if let Some(blocked) = e.downcast_ref::<BlockedAddress>() {
                return FetchError::Blocked {
                    url: url.to_string(),
                    reason: blocked.to_string(),
                };
            }
            if let Some(gone) = e.downcast_ref::<NoSuchHost>() {
                return FetchError::NoSuchHost {
                    url: url.to_string(),
                    host: gone.host.clone(),
                };
            }
            source = e.source();
        }
        if err.is_timeout() {
            return timeout(url, self.options.total_timeout);
        }
        let mut detail = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(e) = source {
            detail.push_str(": ");
            detail.push_str(&e.to_string());
            source = e.source();
        }
        FetchError::Connect {
            url: url.to_string(),
            detail,
        }
    }
}

/// The headers discovery and refresh read, each bounded; the rest are dropped.
fn kept_headers(headers: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    let mut kept = Vec::new();
    for name in logofill_core::fetch::KEPT_HEADERS {
        if let Some(value) = headers.get(name).and_then(|v| v.to_str().ok()) {
            if value.len() <= logofill_core::fetch::MAX_KEPT_HEADER_BYTES {
                kept.push((name.to_string(), value.to_string()));
            }
        }
    }
    kept
}

fn timeout(url: &Url, limit: Duration) -> FetchError {
    FetchError::Timeout {
        url: url.to_string(),
        detail: format!("over the {} ms limit", limit.as_millis()),
    }
}

impl Fetcher for GuardedFetcher {
    fn get(
        &self,
        url: &str,
    ) -> impl std::future::Future<Output = Result<Fetched, FetchError>> + Send {
        self.fetch(url, None, false, None)
    }

    fn get_within(
        &self,
        url: &str,
        limit: BodyLimit,
    ) -> impl std::future::Future<Output = Result<Fetched, FetchError>> + Send {
        self.fetch(url, Some(limit), false, None)
    }

    fn get_page(
        &self,
        url: &str,
        max_bytes: u64,
    ) -> impl std::future::Future<Output = Result<Fetched, FetchError>> + Send {
        self.fetch(url, Some(BodyLimit::Prefix(max_bytes)), true, None)
    }

    fn get_conditional(
        &self,
        url: &str,
        validators: &Validators,
        limit: BodyLimit,
    ) -> impl std::future::Future<Output = Result<Fetched, FetchError>> + Send {
        self.fetch(url, Some(limit), false, Some(validators))
    }
}

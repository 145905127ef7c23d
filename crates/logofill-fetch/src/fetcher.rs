//! The guarded fetcher: `reqwest` with the address rules of [`crate::guard`] applied where
//! they cannot be dodged.
//!
//! - The URL is checked first: http/https only, no user info, and a literal IP host (in any
//!   spelling the URL parser accepts: `2130706433`, `0x7f.1`, `127.1`, `[::ffff:7f00:1]`) is
//!   judged before anything is sent.
//! - Host names are resolved by our own resolver, installed into reqwest, which refuses the
//!   name if any of its addresses is blocked. reqwest connects only to addresses that resolver
//!   returned, so the check applies to the address actually connected: a DNS answer that
//!   changes between a check and the connect (rebinding) is checked again.
//! - Redirects are followed here, not by reqwest, so every hop gets the same checks; at most
//!   `max_redirects`.
//! - One deadline covers all hops and the body; the body is counted while it streams, so a
//!   missing or lying Content-Length does not help, and a declared length over the limit is
//!   refused before reading.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use logofill_core::company::shown;
use logofill_core::fetch::{FetchError, Fetched, Fetcher};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use tokio::time::Instant;
use url::{Host, Url};

use crate::guard::check_ip;

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
    /// Let 127.0.0.0/8 and ::1 through (dev runner and tests only).
    pub allow_loopback: bool,
    pub user_agent: String,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            total_timeout: DEFAULT_TOTAL_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            allow_loopback: false,
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

/// A resolver that refuses a name if any of its addresses is blocked.
struct GuardedResolver {
    allow_loopback: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for addr in &addrs {
                if let Some(reason) = check_ip(addr.ip(), allow_loopback) {
                    return Err(Box::new(BlockedAddress {
                        host: host.clone(),
                        addr: addr.ip(),
                        reason,
                    })
                        as Box<dyn std::error::Error + Send + Sync>);
                }
            }
            if addrs.is_empty() {
                return Err(format!("{host} has no address").into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The production fetcher. Cheap to clone behind an `Arc`; build one per process.
#[derive(Clone)]
pub struct GuardedFetcher {
    client: reqwest::Client,
    options: FetchOptions,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct BuildError(String);

impl GuardedFetcher {
    pub fn new(options: FetchOptions) -> Result<Self, BuildError> {
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver {
                allow_loopback: options.allow_loopback,
            }))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.connect_timeout)
            .user_agent(options.user_agent.clone())
            .no_proxy()
            .pool_max_idle_per_host(2)
            .build()
            .map_err(|e| BuildError(e.to_string()))?;
        Ok(GuardedFetcher { client, options })
    }

    pub fn options(&self) -> &FetchOptions {
        &self.options
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
            if let Some(reason) = check_ip(ip, self.options.allow_loopback) {
                return Err(FetchError::Blocked {
                    url: url.to_string(),
                    reason: format!("{ip} is {reason}"),
                });
            }
        }
        Ok(url)
    }

    async fn fetch(&self, raw: &str) -> Result<Fetched, FetchError> {
        let deadline = Instant::now() + self.options.total_timeout;
        let mut url = self.precheck(raw)?;
        let mut hops = 0;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(timeout(&url, self.options.total_timeout));
            }
            let response = self
                .client
                .get(url.clone())
                .timeout(remaining)
                .send()
                .await
                .map_err(|e| self.map_error(&url, e))?;
            let status = response.status();
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
            if !status.is_success() {
                return Err(FetchError::Status {
                    url: url.to_string(),
                    status: status.as_u16(),
                });
            }
            let limit = self.options.max_body_bytes;
            if let Some(declared) = response.content_length() {
                if declared > limit {
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
            let final_url = url.to_string();
            let mut body = Vec::new();
            let mut response = response;
            loop {
                let chunk = tokio::time::timeout_at(deadline, response.chunk())
                    .await
                    .map_err(|_| timeout(&url, self.options.total_timeout))?
                    .map_err(|e| self.map_error(&url, e))?;
                let Some(chunk) = chunk else { break };
                if body.len() as u64 + chunk.len() as u64 > limit {
                    return Err(FetchError::TooLarge {
                        url: final_url,
                        limit_bytes: limit,
                    });
                }
                body.extend_from_slice(&chunk);
            }
            return Ok(Fetched {
                final_url,
                status: status.as_u16(),
                content_type,
                body,
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
        self.fetch(url)
    }
}

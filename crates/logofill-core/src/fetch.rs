//! The fetch port: every outgoing HTTP request of the worker (company directory over HTTP,
//! homepages, manifests, icons, logos) goes through one [`Fetcher`].
//!
//! The production adapter (`logofill-fetch`) is the SSRF guard of the design: only
//! http/https, only globally routable addresses (checked on the address actually connected
//! and on every redirect), bounded time and bytes. The error type is split so the worker can
//! tell a source that is unusable for good (placeholder) from a failure worth retrying.

use std::future::Future;

use crate::units::ExactBytes;

/// A successful response (any status; the caller decides what a 404 means).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The URL that answered, after redirects.
    pub final_url: String,
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// The body is only the first bytes of a longer one ([`BodyLimit::Prefix`]).
    pub truncated: bool,
    /// The response headers named in [`KEPT_HEADERS`] (lower-case names, values of at most
    /// [`MAX_KEPT_HEADER_BYTES`]), in the order received: what discovery reads to tell a bot
    /// challenge from a page, and what a refresh sends back as validators.
    pub headers: Vec<(String, String)>,
}

impl Fetched {
    /// The first value of a kept header (`name` in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What a response said to identify its bytes: sent back on a refresh so an unchanged source
/// answers `304 Not Modified` with no body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// `ETag`, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// `Last-Modified`, sent back as `If-Modified-Since`.
    pub last_modified: Option<String>,
}

impl Validators {
    /// The validators of a response (its kept `etag` and `last-modified` headers).
    pub fn of(fetched: &Fetched) -> Self {
        Validators {
            etag: fetched.header("etag").map(str::to_string),
            last_modified: fetched.header("last-modified").map(str::to_string),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// The status of a conditional GET whose source has not changed.
pub const NOT_MODIFIED: u16 = 304;

/// Response headers kept in [`Fetched::headers`]; every other header is dropped as it arrives.
pub const KEPT_HEADERS: [&str; 5] = [
    "cf-mitigated",
    "server",
    "etag",
    "last-modified",
    "retry-after",
];
/// Longest header value kept; a longer one is dropped.
pub const MAX_KEPT_HEADER_BYTES: usize = 256;

/// How much of a response body one fetch may read. The fetcher's own limit (10 MiB by default)
/// caps both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLimit {
    /// The whole body, at most this many bytes; a longer one is [`FetchError::TooLarge`]
    /// (a logo, a manifest: a cut one is useless).
    Whole(u64),
    /// At most this many bytes from the start; the rest is never read (a homepage, whose
    /// icons are in its `<head>`).
    Prefix(u64),
}

/// Why a fetch did not produce a response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("{url} is not a fetchable URL: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("{url} is blocked: {reason}")]
    Blocked { url: String, reason: String },
    #[error("{url} redirected more than {limit} times")]
    TooManyRedirects { url: String, limit: u32 },
    #[error("{url} sent more than {}, the limit for a fetched body", ExactBytes(*limit_bytes))]
    TooLarge { url: String, limit_bytes: u64 },
    #[error("{url} did not answer in time ({detail})")]
    Timeout { url: String, detail: String },
    #[error("{url} could not be reached: {detail}")]
    Connect { url: String, detail: String },
    /// The DNS says the name does not exist (NXDOMAIN): a property of the source, unlike a
    /// lookup that failed (SERVFAIL, timeout), which is [`FetchError::Connect`].
    #[error("{url} cannot be fetched: the host {host} does not exist (NXDOMAIN)")]
    NoSuchHost { url: String, host: String },
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
}

impl FetchError {
    /// A failure that may go away by itself: timeouts, connection trouble, 5xx, 429.
    /// Everything else is a property of the source and retrying will not change it.
    pub fn is_retryable(&self) -> bool {
        match self {
            FetchError::Timeout { .. } | FetchError::Connect { .. } => true,
            FetchError::Status { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

/// Outgoing HTTP GET, guarded.
pub trait Fetcher: Send + Sync {
    /// GET `url`, following at most the configured number of redirects. A non-2xx final
    /// status is [`FetchError::Status`]. The body is read whole, within the fetcher's limit.
    fn get(&self, url: &str) -> impl Future<Output = Result<Fetched, FetchError>> + Send;

    /// [`Fetcher::get`] with a tighter limit on the body.
    fn get_within(
        &self,
        url: &str,
        limit: BodyLimit,
    ) -> impl Future<Output = Result<Fetched, FetchError>> + Send;

    /// GET a page whatever its final status: a 403 or 503 answer is returned as a response
    /// (its status in [`Fetched::status`]) with at most `max_bytes` of its body, so the caller
    /// can read what the page says (a bot challenge, an error page with a favicon). Redirects,
    /// address rules and timeouts are as for [`Fetcher::get`].
    fn get_page(
        &self,
        url: &str,
        max_bytes: u64,
    ) -> impl Future<Output = Result<Fetched, FetchError>> + Send;

    /// [`Fetcher::get_within`] sending `validators` back (`If-None-Match`,
    /// `If-Modified-Since`): an unchanged source answers with status [`NOT_MODIFIED`] and an
    /// empty body. An adapter that cannot send them makes a plain GET, which is always right.
    fn get_conditional(
        &self,
        url: &str,
        validators: &Validators,
        limit: BodyLimit,
    ) -> impl Future<Output = Result<Fetched, FetchError>> + Send {
        let _ = validators;
        self.get_within(url, limit)
    }
}

impl<F: Fetcher + ?Sized> Fetcher for std::sync::Arc<F> {
    fn get(&self, url: &str) -> impl Future<Output = Result<Fetched, FetchError>> + Send {
        (**self).get(url)
    }

    fn get_within(
        &self,
        url: &str,
        limit: BodyLimit,
    ) -> impl Future<Output = Result<Fetched, FetchError>> + Send {
        (**self).get_within(url, limit)
    }

    fn get_page(
        &self,
        url: &str,
        max_bytes: u64,
    ) -> impl Future<Output = Result<Fetched, FetchError>> + Send {
        (**self).get_page(url, max_bytes)
    }

    fn get_conditional(
        &self,
        url: &str,
        validators: &Validators,
        limit: BodyLimit,
    ) -> impl Future<Output = Result<Fetched, FetchError>> + Send {
        (**self).get_conditional(url, validators, limit)
    }
}

/// The in-memory twin of the fetch port: canned answers by exact URL, for tests of what is
/// fetched (discovery, the HTTP directory) without a network. An unknown URL on a known host
/// answers 404; an unknown host is [`FetchError::NoSuchHost`]. Redirects are not followed
/// (answer with the final URL instead); every request is recorded.
#[derive(Debug, Default)]
pub struct MemoryFetcher {
    answers: std::sync::Mutex<std::collections::HashMap<String, Result<Fetched, FetchError>>>,
    hosts: std::sync::Mutex<std::collections::HashSet<String>>,
    requests: std::sync::Mutex<Vec<String>>,
}

impl MemoryFetcher {
    pub fn new() -> Self {
        Self::default()
    }

    fn host_of(url: &str) -> String {
        url.split("://")
            .nth(1)
            .unwrap_or(url)
            .split(['/', '?', '#'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase()
    }

    /// Answer `url` with `status` and `body` (content type from nothing: `None`).
    pub fn answer(&self, url: &str, status: u16, body: impl Into<Vec<u8>>) -> &Self {
        self.answer_with(url, status, &[], body)
    }

    /// Answer `url` with `status`, kept `headers` and `body`.
    pub fn answer_with(
        &self,
        url: &str,
        status: u16,
        headers: &[(&str, &str)],
        body: impl Into<Vec<u8>>,
    ) -> &Self {
        self.hosts.lock().unwrap().insert(Self::host_of(url));
        self.answers.lock().unwrap().insert(
            url.to_string(),
            Ok(Fetched {
                final_url: url.to_string(),
                status,
                content_type: None,
                body: body.into(),
                truncated: false,
                headers: headers
                    .iter()
                    .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
                    .collect(),
            }),
        );
        self
    }

    /// Answer `url` with `final_url`'s answer, as a redirect would.
    pub fn redirect(&self, url: &str, final_url: &str) -> &Self {
        self.hosts.lock().unwrap().insert(Self::host_of(url));
        let target = self.answers.lock().unwrap().get(final_url).cloned();
        let answer = target.unwrap_or_else(|| {
            Err(FetchError::Status {
                url: final_url.to_string(),
                status: 404,
            })
        });
        self.answers.lock().unwrap().insert(url.to_string(), answer);
        self
    }

    /// Fail `url` with `error`.
    pub fn fail(&self, url: &str, error: FetchError) -> &Self {
        self.hosts.lock().unwrap().insert(Self::host_of(url));
        self.answers
            .lock()
            .unwrap()
            .insert(url.to_string(), Err(error));
        self
    }

    /// URLs requested so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    fn lookup(
        &self,
        url: &str,
        any_status: bool,
        limit: Option<BodyLimit>,
    ) -> Result<Fetched, FetchError> {
        self.requests.lock().unwrap().push(url.to_string());
        let answer = self.answers.lock().unwrap().get(url).cloned();
        let mut fetched = match answer {
            Some(answer) => answer?,
            None if self.hosts.lock().unwrap().contains(&Self::host_of(url)) => {
                return Err(FetchError::Status {
                    url: url.to_string(),
                    status: 404,
                })
            }
            None => {
                return Err(FetchError::NoSuchHost {
                    url: url.to_string(),
                    host: Self::host_of(url),
                })
            }
        };
        if !any_status && !(200..300).contains(&fetched.status) {
            return Err(FetchError::Status {
                url: fetched.final_url,
                status: fetched.status,
            });
        }
        match limit {
            Some(BodyLimit::Whole(n)) if fetched.body.len() as u64 > n => {
                return Err(FetchError::TooLarge {
                    url: fetched.final_url,
                    limit_bytes: n,
                })
            }
            Some(BodyLimit::Prefix(n)) if fetched.body.len() as u64 > n => {
                fetched.body.truncate(n as usize);
                fetched.truncated = true;
            }
            _ => {}
        }
        Ok(fetched)
    }
}

impl Fetcher for MemoryFetcher {
    fn get(&self, url: &str) -> impl Future<Output = Result<Fetched, FetchError>> + Send {
        std::future::ready(self.lookup(url, false, None))
    }

    fn get_within(
        &self,
        url: &str,
        limit: BodyLimit,
    ) -> impl Future<Output = Result<Fetched, FetchError>> + Send {
        std::future::ready(self.lookup(url, false, Some(limit)))
    }

    fn get_page(
        &self,
        url: &str,
        max_bytes: u64,
    ) -> impl Future<Output = Result<Fetched, FetchError>> + Send {
        std::future::ready(self.lookup(url, true, Some(BodyLimit::Prefix(max_bytes))))
    }

    /// As a server would: a stored answer whose `etag` equals the one sent, or whose
    /// `last-modified` equals the one sent, is a 304 with no body.
    fn get_conditional(
        &self,
        url: &str,
        validators: &Validators,
        limit: BodyLimit,
    ) -> impl Future<Output = Result<Fetched, FetchError>> + Send {
        let answer = self.lookup(url, false, Some(limit)).map(|fetched| {
            let current = Validators::of(&fetched);
            let same =
                |ours: &Option<String>, theirs: &Option<String>| ours.is_some() && ours == theirs;
            if same(&validators.etag, &current.etag)
                || (validators.etag.is_none()
                    && same(&validators.last_modified, &current.last_modified))
            {
                Fetched {
                    status: NOT_MODIFIED,
                    body: Vec::new(),
                    ..fetched
                }
            } else {
                fetched
            }
        });
        std::future::ready(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_and_permanent_are_told_apart() {
        let url = "https://example.com/logo.png".to_string();
        assert!(FetchError::Timeout {
            url: url.clone(),
            detail: "10 s".into()
        }
        .is_retryable());
        assert!(FetchError::Status {
            url: url.clone(),
            status: 503
        }
        .is_retryable());
        assert!(FetchError::Status {
            url: url.clone(),
            status: 429
        }
        .is_retryable());
        assert!(!FetchError::Status {
            url: url.clone(),
            status: 404
        }
        .is_retryable());
        assert!(!FetchError::TooLarge {
            url: url.clone(),
            limit_bytes: 1
        }
        .is_retryable());
        assert_eq!(
            FetchError::TooLarge {
                url: "https://acme.example/logo.png".into(),
                limit_bytes: 10 * 1024 * 1024
            }
            .to_string(),
            "https://acme.example/logo.png sent more than 10 MiB (10485760 bytes), \
             the limit for a fetched body"
        );
        assert!(!FetchError::Blocked {
            url: url.clone(),
            reason: "loopback".into()
        }
        .is_retryable());
        let gone = FetchError::NoSuchHost {
            url,
            host: "gone.example".into(),
        };
        assert!(!gone.is_retryable(), "NXDOMAIN is a property of the source");
        assert!(gone.to_string().contains("gone.example"), "{gone}");
    }
}

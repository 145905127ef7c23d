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
}

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
    pub fn is_transient(&self) -> bool {
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
        .is_transient());
        assert!(FetchError::Status {
            url: url.clone(),
            status: 503
        }
        .is_transient());
        assert!(FetchError::Status {
            url: url.clone(),
            status: 429
        }
        .is_transient());
        assert!(!FetchError::Status {
            url: url.clone(),
            status: 404
        }
        .is_transient());
        assert!(!FetchError::TooLarge {
            url: url.clone(),
            limit_bytes: 1
        }
        .is_transient());
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
        .is_transient());
        let gone = FetchError::NoSuchHost {
            url,
            host: "gone.example".into(),
        };
        assert!(!gone.is_transient(), "NXDOMAIN is a property of the source");
        assert!(gone.to_string().contains("gone.example"), "{gone}");
    }
}

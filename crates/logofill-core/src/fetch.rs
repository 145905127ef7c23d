//! The fetch port: every outgoing HTTP request of the worker (company directory over HTTP,
//! homepages, manifests, icons, logos) goes through one [`Fetcher`].
//!
//! The production adapter (`logofill-fetch`) is the SSRF guard of the design: only
//! http/https, only globally routable addresses (checked on the address actually connected
//! and on every redirect), bounded time and bytes. The error type is split so the worker can
//! tell a source that is unusable for good (placeholder) from a failure worth retrying.

use std::future::Future;

/// A successful response (any status; the caller decides what a 404 means).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The URL that answered, after redirects.
    pub final_url: String,
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
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
    #[error("{url} sent more than {}, the limit for a fetched body", byte_size(*limit_bytes))]
    TooLarge { url: String, limit_bytes: u64 },
    #[error("{url} did not answer in time ({detail})")]
    Timeout { url: String, detail: String },
    #[error("{url} could not be reached: {detail}")]
    Connect { url: String, detail: String },
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
}

/// "10 MiB (10485760 bytes)", "512 KiB (524288 bytes)", "1000 bytes": a limit as people set it,
/// with the exact count that was enforced.
fn byte_size(n: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, scale) in UNITS {
        if n >= scale {
            let tenths = n * 10 / scale;
            let rounded = if tenths % 10 == 0 {
                format!("{} {unit}", tenths / 10)
            } else {
                format!("{}.{} {unit}", tenths / 10, tenths % 10)
            };
            let approx = if n % scale == 0 || (n * 10) % scale == 0 {
                ""
            } else {
                "about "
            };
            return format!("{approx}{rounded} ({n} bytes)");
        }
    }
    format!("{n} bytes")
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
    /// status is [`FetchError::Status`].
    fn get(&self, url: &str) -> impl Future<Output = Result<Fetched, FetchError>> + Send;
}

impl<F: Fetcher + ?Sized> Fetcher for std::sync::Arc<F> {
    fn get(&self, url: &str) -> impl Future<Output = Result<Fetched, FetchError>> + Send {
        (**self).get(url)
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
            url,
            reason: "loopback".into()
        }
        .is_transient());
    }
}

#[cfg(test)]
mod byte_size_tests {
    use super::byte_size;

    #[test]
    fn limits_read_as_set() {
        assert_eq!(byte_size(1000), "1000 bytes");
        assert_eq!(byte_size(1024), "1 KiB (1024 bytes)");
        assert_eq!(byte_size(1536), "1.5 KiB (1536 bytes)");
        assert_eq!(byte_size(10 << 20), "10 MiB (10485760 bytes)");
        assert_eq!(byte_size((10 << 20) + 1), "about 10 MiB (10485761 bytes)");
        assert_eq!(byte_size(3 << 30), "3 GiB (3221225472 bytes)");
    }
}

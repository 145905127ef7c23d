//! Name resolution for the guarded fetcher, as a narrow port with the system resolver as its
//! adapter and a fixed table as its twin.
//!
//! The point of owning this step is telling "the name does not exist" from "the lookup did not
//! work". An NXDOMAIN is a property of the source (the worker stores a placeholder), while a
//! SERVFAIL or a resolver timeout may pass by itself (the message is retried). tokio's
//! `lookup_host` folds both into one `io::Error`, so [`SystemResolver`] calls `getaddrinfo`
//! itself, on the blocking pool, and reads its return code: `EAI_NONAME` (and glibc's
//! `EAI_NODATA`, a name with no address records) is [`LookupError::NoSuchHost`]; everything else
//! (`EAI_AGAIN`, which is what glibc returns for SERVFAIL and timeouts, `EAI_FAIL`, `EAI_SYSTEM`)
//! is [`LookupError::Temporary`].
//!
//! The address rules are not applied here: the fetcher judges every address a resolver returns.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::pin::Pin;

/// Why a name gave no address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    /// The name does not exist (NXDOMAIN), or exists without any address.
    NoSuchHost,
    /// The lookup failed (SERVFAIL, timeout, no resolver reachable); it may work later.
    Temporary(String),
}

impl LookupError {
    /// A failed lookup may work later; a name that does not exist will not.
    pub fn is_retryable(&self) -> bool {
        matches!(self, LookupError::Temporary(_))
    }
}

/// A lookup in progress.
pub type Lookup = Pin<Box<dyn Future<Output = Result<Vec<IpAddr>, LookupError>> + Send>>;

/// Host name to addresses.
pub trait NameResolver: Send + Sync {
    fn lookup(&self, host: &str) -> Lookup;
}

/// The machine's resolver (`getaddrinfo`: /etc/hosts, then DNS), as every other program on
/// the host sees it.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl NameResolver for SystemResolver {
    fn lookup(&self, host: &str) -> Lookup {
        let host = host.to_string();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || getaddrinfo(&host))
                .await
                .map_err(|e| LookupError::Temporary(format!("the lookup task failed: {e}")))?
        })
    }
}

fn getaddrinfo(host: &str) -> Result<Vec<IpAddr>, LookupError> {
    // A name with a NUL byte cannot exist in the DNS.
    let c_host = std::ffi::CString::new(host).map_err(|_| LookupError::NoSuchHost)?;
    // SAFETY: an all-zero addrinfo is the documented "no hints" value; the fields set below
    // are plain integers.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = libc::AF_UNSPEC;
    hints.ai_socktype = libc::SOCK_STREAM;
    let mut list: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: `c_host` is a valid C string for the duration of the call, `hints` is
    // initialised, and `list` receives a list that is freed below exactly once.
    let code = unsafe { libc::getaddrinfo(c_host.as_ptr(), std::ptr::null(), &hints, &mut list) };
    if code != 0 {
        return Err(match code {
            libc::EAI_NONAME | libc::EAI_NODATA => LookupError::NoSuchHost,
            libc::EAI_SYSTEM => {
                LookupError::Temporary(format!("getaddrinfo: {}", std::io::Error::last_os_error()))
            }
            other => {
                // SAFETY: gai_strerror returns a static, NUL-terminated message.
                let message = unsafe { std::ffi::CStr::from_ptr(libc::gai_strerror(other)) };
                LookupError::Temporary(format!(
                    "getaddrinfo: {} (code {other})",
                    message.to_string_lossy()
                ))
            }
        });
    }
    let mut addrs = Vec::new();
    let mut entry = list;
    while !entry.is_null() {
        // SAFETY: `entry` is a node of the list getaddrinfo returned, not yet freed; its
        // `ai_addr` points at a sockaddr of the family `ai_family` says.
        unsafe {
            let ai = &*entry;
            if !ai.ai_addr.is_null() {
                match ai.ai_family {
                    libc::AF_INET => {
                        let sa = &*(ai.ai_addr as *const libc::sockaddr_in);
                        addrs.push(IpAddr::V4(Ipv4Addr::from(u32::from_be(sa.sin_addr.s_addr))));
                    }
                    libc::AF_INET6 => {
                        let sa = &*(ai.ai_addr as *const libc::sockaddr_in6);
                        addrs.push(IpAddr::V6(Ipv6Addr::from(sa.sin6_addr.s6_addr)));
                    }
                    _ => {}
                }
            }
            entry = ai.ai_next;
        }
    }
    // SAFETY: `list` came from a successful getaddrinfo and is freed once.
    unsafe { libc::freeaddrinfo(list) };
    addrs.dedup();
    Ok(addrs)
}

/// A fixed table of answers, for tests and for wiring that must not touch the DNS. A name
/// not in the table does not exist.
#[derive(Debug, Clone, Default)]
pub struct StaticResolver {
    answers: HashMap<String, Result<Vec<IpAddr>, LookupError>>,
}

impl StaticResolver {
    pub fn new() -> Self {
        StaticResolver::default()
    }

    /// `host` resolves to `addrs`.
    pub fn with(mut self, host: &str, addrs: &[IpAddr]) -> Self {
        self.answers
            .insert(host.to_ascii_lowercase(), Ok(addrs.to_vec()));
        self
    }

    /// Looking `host` up fails with `error`.
    pub fn failing(mut self, host: &str, error: LookupError) -> Self {
        self.answers.insert(host.to_ascii_lowercase(), Err(error));
        self
    }
}

impl NameResolver for StaticResolver {
    fn lookup(&self, host: &str) -> Lookup {
        let answer = self
            .answers
            .get(&host.to_ascii_lowercase())
            .cloned()
            .unwrap_or(Err(LookupError::NoSuchHost));
        Box::pin(async move { answer })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_system_resolver_reads_the_hosts_file_and_knows_a_missing_name() {
        // Both answers come from this machine alone: "localhost" from /etc/hosts, and a name
        // with a NUL byte is refused before any lookup.
        let addrs = SystemResolver.lookup("localhost").await.unwrap();
        assert!(addrs.iter().all(|a| a.is_loopback()), "{addrs:?}");
        assert!(!addrs.is_empty());
        assert_eq!(
            SystemResolver.lookup("bad\0name").await,
            Err(LookupError::NoSuchHost)
        );
    }

    #[tokio::test]
    async fn the_static_resolver_answers_from_its_table() {
        let resolver = StaticResolver::new()
            .with("Acme.Test", &[IpAddr::from([127, 0, 0, 1])])
            .failing("flaky.test", LookupError::Temporary("SERVFAIL".into()));
        assert_eq!(
            resolver.lookup("acme.test").await,
            Ok(vec![IpAddr::from([127, 0, 0, 1])])
        );
        assert_eq!(
            resolver.lookup("flaky.test").await,
            Err(LookupError::Temporary("SERVFAIL".into()))
        );
        assert_eq!(
            resolver.lookup("gone.test").await,
            Err(LookupError::NoSuchHost)
        );
    }
}

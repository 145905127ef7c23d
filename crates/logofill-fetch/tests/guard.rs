//! The SSRF guard of the fetcher (design.md, "Safety limits"), tested from the outside: the
//! real `GuardedFetcher` against listeners on 127.0.0.1.
//!
//! - Without the loopback opt-in every blocked range is refused in every spelling the URL
//!   parser accepts, and "refused" means nothing was connected: the loopback spellings point at
//!   a live [`Tripwire`] that counts accepted connections, and the same spellings *with* the
//!   opt-in reach it, so its zero count is not vacuous.
//! - With the opt-in (dev and tests) loopback works, but a redirect from loopback to anything
//!   else that is blocked is still refused, and every other limit (redirects, bytes, time)
//!   holds. Misbehaving servers (lying lengths, trickling bodies, silent peers) are raw TCP
//!   servers here, because a well-behaved HTTP library cannot misbehave on purpose.
//! - Public addresses are never connected to (no internet in tests): they are checked through
//!   `check_ip` and `GuardedFetcher::precheck`, which decide without connecting.
//! - Names are resolved through an injected `StaticResolver` where it matters (no real DNS):
//!   NXDOMAIN is permanent, a failed lookup transient, and a name mapped into a blocked range
//!   (2001::/23 from an og:image) is refused like the literal address.
//! - A loopback allow-list (`LoopbackAccess::Only`, the dev runner's) reaches its addresses and
//!   no other port; a caller's body limit (`BodyLimit`) reads a prefix or refuses a longer body.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use logofill_core::directory::CompanyRecord;
use logofill_core::fetch::{BodyLimit, FetchError, Fetched, Fetcher};
use logofill_discover::{find_source, SourceOutcome, TakeAnything};
use logofill_fetch::fetcher::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_REDIRECTS, DEFAULT_TOTAL_TIMEOUT,
};
use logofill_fetch::{
    check_ip, is_globally_routable, FetchOptions, GuardedFetcher, LookupError, LoopbackAccess,
    StaticResolver,
};
use logofill_testkit::sites::{read_head, FixtureSite, Page, Tripwire};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

const MIB: usize = 1024 * 1024;
const LIMIT: usize = 10 * MIB;
const FIFTY_MB: usize = 50 * 1000 * 1000;
/// How long a call that must fail fast may take. A correctness bound, not a performance target.
const PROMPTLY: Duration = Duration::from_secs(5);

// ---- fetchers -------------------------------------------------------------------------------

/// The design's limits, except a short connect timeout: if the guard ever let a blocked
/// non-loopback address through, the test fails in half a second instead of hanging.
fn options(allow_loopback: bool) -> FetchOptions {
    FetchOptions {
        connect_timeout: Duration::from_millis(500),
        loopback: LoopbackAccess::from_opt_in(allow_loopback),
        ..FetchOptions::default()
    }
}

fn guarded() -> GuardedFetcher {
    GuardedFetcher::new(options(false)).unwrap()
}

fn opted_in() -> GuardedFetcher {
    GuardedFetcher::new(options(true)).unwrap()
}

/// Loopback opted in, and a total deadline short enough to wait for.
fn opted_in_with_deadline(total: Duration) -> GuardedFetcher {
    GuardedFetcher::new(FetchOptions {
        total_timeout: total,
        ..options(true)
    })
    .unwrap()
}

async fn timed(fetcher: &GuardedFetcher, url: &str) -> (Result<Fetched, FetchError>, Duration) {
    let started = Instant::now();
    let result = fetcher.get(url).await;
    (result, started.elapsed())
}

#[track_caller]
fn expect_blocked(url: &str, result: Result<Fetched, FetchError>) -> String {
    match result {
        Err(e @ FetchError::Blocked { .. }) => e.to_string(),
        Err(other) => panic!("{url}: expected Blocked, got {other:?}"),
        Ok(f) => panic!(
            "{url}: expected Blocked, got HTTP {} from {}",
            f.status, f.final_url
        ),
    }
}

#[track_caller]
fn expect_too_large(url: &str, result: Result<Fetched, FetchError>) {
    match result {
        Err(e @ FetchError::TooLarge { limit_bytes, .. }) => {
            assert_eq!(limit_bytes, LIMIT as u64, "{url}");
            assert!(
                e.to_string().contains(&LIMIT.to_string()),
                "{url}: the message names the limit: {e}"
            );
        }
        Err(other) => panic!("{url}: expected TooLarge, got {other:?}"),
        Ok(f) => panic!("{url}: expected TooLarge, got {} bytes", f.body.len()),
    }
}

#[track_caller]
fn expect_timeout(url: &str, result: Result<Fetched, FetchError>, elapsed: Duration) {
    match result {
        Err(FetchError::Timeout { .. }) => {}
        Err(other) => panic!("{url}: expected Timeout, got {other:?}"),
        Ok(f) => panic!("{url}: expected Timeout, got {} bytes", f.body.len()),
    }
    assert!(
        elapsed >= Duration::from_millis(900),
        "{url}: gave up after {elapsed:?}, before the 1 s deadline"
    );
    assert!(elapsed < PROMPTLY, "{url}: took {elapsed:?}");
}

// ---- raw servers ----------------------------------------------------------------------------

/// A raw HTTP/1.1 server on 127.0.0.1 whose response is a function of the connection, so it
/// can lie, stall and trickle. Counts accepted connections, keeps every request head, and
/// counts the body bytes it managed to write.
#[derive(Clone)]
struct RawServer {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    heads: Arc<Mutex<Vec<String>>>,
    sent: Arc<AtomicU64>,
}

impl RawServer {
    async fn start<F, Fut>(respond: F) -> Self
    where
        F: Fn(TcpStream, Arc<AtomicU64>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::io::Result<()>> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = RawServer {
            addr: listener.local_addr().unwrap(),
            accepted: Arc::default(),
            heads: Arc::default(),
            sent: Arc::default(),
        };
        let respond = Arc::new(respond);
        let s = server.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                s.accepted.fetch_add(1, Ordering::SeqCst);
                let (respond, heads, sent) = (respond.clone(), s.heads.clone(), s.sent.clone());
                tokio::spawn(async move {
                    if let Some(head) = read_head(&mut stream).await {
                        heads.lock().unwrap().push(head);
                        let _ = respond(stream, sent).await;
                    }
                });
            }
        });
        server
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    fn sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }
}

/// Write `total` body bytes as chunks of 64 KiB; stops quietly when the client hangs up.
async fn send_chunked(
    stream: &mut TcpStream,
    total: usize,
    sent: &AtomicU64,
) -> std::io::Result<()> {
    let chunk = vec![0x5a_u8; 64 * 1024];
    let mut left = total;
    while left > 0 {
        let n = left.min(chunk.len());
        stream.write_all(format!("{n:x}\r\n").as_bytes()).await?;
        stream.write_all(&chunk[..n]).await?;
        stream.write_all(b"\r\n").await?;
        sent.fetch_add(n as u64, Ordering::SeqCst);
        left -= n;
    }
    stream.write_all(b"0\r\n\r\n").await
}

/// Write `total` raw body bytes (no framing), stopping when the client hangs up.
async fn send_raw(stream: &mut TcpStream, total: usize, sent: &AtomicU64) -> std::io::Result<()> {
    let chunk = vec![0x5a_u8; 64 * 1024];
    let mut left = total;
    while left > 0 {
        let n = left.min(chunk.len());
        stream.write_all(&chunk[..n]).await?;
        sent.fetch_add(n as u64, Ordering::SeqCst);
        left -= n;
    }
    Ok(())
}

const CHUNKED_HEAD: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: image/png\r\ntransfer-encoding: chunked\r\n\r\n";

/// A server streaming `total` bytes with chunked encoding, no Content-Length.
async fn chunked_server(total: usize) -> RawServer {
    RawServer::start(move |mut stream, sent| async move {
        stream.write_all(CHUNKED_HEAD).await?;
        send_chunked(&mut stream, total, &sent).await
    })
    .await
}

/// A "connection established, then nothing" peer, for as long as any test runs.
async fn hang() -> std::io::Result<()> {
    tokio::time::sleep(Duration::from_secs(120)).await;
    Ok(())
}

// ---- spellings ------------------------------------------------------------------------------

/// Every way a URL can name the IPv4 address `ip` as a host: the URL parser's IPv4 forms
/// (decimal, hex, octal, short, trailing dot) and the IPv6 forms the guard judges by the IPv4
/// address inside (IPv4-mapped, IPv4-compatible, NAT64 64:ff9b::/96, 6to4 2002::/16).
fn host_spellings(ip: Ipv4Addr) -> Vec<String> {
    let n = u32::from(ip);
    let [a, b, c, d] = ip.octets();
    let (hi, lo) = (n >> 16, n & 0xffff);
    vec![
        format!("{a}.{b}.{c}.{d}"),
        format!("{a}.{b}.{c}.{d}."),
        format!("{n}"),
        format!("0x{n:x}"),
        format!("0X{n:X}"),
        format!("0{n:o}"),
        format!("0{a:o}.0{b:o}.0{c:o}.0{d:o}"),
        format!("0x{a:x}.0x{b:x}.0x{c:x}.0x{d:x}"),
        format!("0x{a:02x}.{b}.0{c:o}.{d}"),
        format!("{a}.{}", n & 0x00ff_ffff),
        format!("{a}.{b}.{lo}"),
        format!("[::ffff:{a}.{b}.{c}.{d}]"),
        format!("[::ffff:{hi:x}:{lo:x}]"),
        format!("[0:0:0:0:0:FFFF:{hi:X}:{lo:X}]"),
        format!("[::{a}.{b}.{c}.{d}]"),
        format!("[64:ff9b::{a}.{b}.{c}.{d}]"),
        format!("[64:ff9b::{hi:x}:{lo:x}]"),
        format!("[2002:{hi:x}:{lo:x}::1]"),
    ]
}

/// Blocked IPv4 ranges: (range as in guard.rs, addresses at both edges and inside).
const BLOCKED_V4: &[(&str, &[[u8; 4]])] = &[
    (
        "0.0.0.0/8",
        &[[0, 0, 0, 0], [0, 1, 2, 3], [0, 255, 255, 255]],
    ),
    (
        "10.0.0.0/8",
        &[[10, 0, 0, 0], [10, 0, 0, 1], [10, 255, 255, 255]],
    ),
    (
        "100.64.0.0/10",
        &[[100, 64, 0, 0], [100, 100, 1, 1], [100, 127, 255, 255]],
    ),
    (
        "127.0.0.0/8",
        &[[127, 0, 0, 1], [127, 1, 2, 3], [127, 255, 255, 254]],
    ),
    (
        "169.254.0.0/16",
        &[[169, 254, 169, 254], [169, 254, 0, 0], [169, 254, 255, 255]],
    ),
    (
        "172.16.0.0/12",
        &[[172, 16, 0, 0], [172, 20, 1, 1], [172, 31, 255, 255]],
    ),
    (
        "192.0.0.0/24",
        &[[192, 0, 0, 0], [192, 0, 0, 170], [192, 0, 0, 255]],
    ),
    ("192.0.2.0/24", &[[192, 0, 2, 1]]),
    ("192.88.99.0/24", &[[192, 88, 99, 1]]),
    (
        "192.168.0.0/16",
        &[[192, 168, 0, 0], [192, 168, 1, 1], [192, 168, 255, 255]],
    ),
    ("198.18.0.0/15", &[[198, 18, 0, 0], [198, 19, 255, 255]]),
    ("198.51.100.0/24", &[[198, 51, 100, 7]]),
    ("203.0.113.0/24", &[[203, 0, 113, 9]]),
    (
        "224.0.0.0/4",
        &[[224, 0, 0, 0], [224, 0, 0, 251], [239, 255, 255, 250]],
    ),
    (
        "240.0.0.0/4",
        &[[240, 0, 0, 0], [250, 1, 2, 3], [255, 255, 255, 254]],
    ),
    ("240.0.0.0/4", &[[255, 255, 255, 255]]),
];

/// Blocked IPv6 hosts (native ranges), in several spellings.
const BLOCKED_V6: &[&str] = &[
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "[::0001]",
    "[0::1]",
    "[::]",
    "[0:0:0:0:0:0:0:0]",
    "[fc00::1]",
    "[fd12:3456:789a::1]",
    "[FDFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF]",
    "[fe80::1]",
    "[FE80::FC00:FF:FE00:1]",
    "[febf:ffff::1]",
    "[fec0::1]",
    "[ff02::1]",
    "[ff0e::101]",
    "[2001:db8::1]",
    "[2001::1]",
    "[2001:100::1]",
    "[2001:4::1]",
    "[2001:2::1]",
    "[2001:10::1]",
    "[2001:1::3]",
    "[100::1]",
    "[3fff::1]",
    "[5f00::1]",
    "[64:ff9b:1::a00:1]",
    "[::ffff:0:7f00:1]",
];

// ---- without the opt-in ---------------------------------------------------------------------

#[test]
fn the_defaults_are_the_designs_limits() {
    let defaults = FetchOptions::default();
    assert_eq!(DEFAULT_MAX_BODY_BYTES, 10 * 1024 * 1024);
    assert_eq!(DEFAULT_MAX_REDIRECTS, 3);
    assert_eq!(DEFAULT_CONNECT_TIMEOUT, Duration::from_secs(3));
    assert_eq!(DEFAULT_TOTAL_TIMEOUT, Duration::from_secs(10));
    assert_eq!(defaults.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
    assert_eq!(defaults.max_redirects, DEFAULT_MAX_REDIRECTS);
    assert_eq!(defaults.connect_timeout, DEFAULT_CONNECT_TIMEOUT);
    assert_eq!(defaults.total_timeout, DEFAULT_TOTAL_TIMEOUT);
    assert_eq!(
        defaults.loopback,
        LoopbackAccess::Refused,
        "loopback is opt-in"
    );
    assert!(defaults.user_agent.contains("logofill"));
}

#[tokio::test]
async fn every_blocked_ipv4_range_in_every_spelling_is_refused_without_connecting() {
    let tripwire = Tripwire::start().await;
    let fetcher = guarded();
    let mut checked = 0;
    for (range, addresses) in BLOCKED_V4 {
        for octets in *addresses {
            let ip = Ipv4Addr::from(*octets);
            assert!(
                check_ip(IpAddr::V4(ip), false).is_some(),
                "check_ip lets {ip} through"
            );
            for (i, host) in host_spellings(ip).into_iter().enumerate() {
                let url = format!("http://{host}:{}/logo.png", tripwire.port);
                let message = expect_blocked(&url, fetcher.get(&url).await);
                // The IPv4 spellings (the first 11) all parse to `ip` itself, so the message
                // names the range; the IPv6 ones say which embedding it was.
                if i < 11 {
                    assert!(
                        message.contains(range),
                        "{url}: the message names {range}: {message}"
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "only {checked} URLs checked");
    assert_eq!(tripwire.accepted(), 0, "a refused fetch connected");
}

#[tokio::test]
async fn every_blocked_ipv6_range_is_refused_without_connecting() {
    let tripwire = Tripwire::start().await;
    let fetcher = guarded();
    for host in BLOCKED_V6 {
        let url = format!("http://{host}:{}/", tripwire.port);
        expect_blocked(&url, fetcher.get(&url).await);
        let https = format!("https://{host}/");
        expect_blocked(&https, fetcher.get(&https).await);
    }
    assert_eq!(tripwire.accepted(), 0);
}

/// Spellings of 127.0.0.1 beyond the arithmetic ones: percent-encoding, full-width digits
/// (IDNA maps them to ASCII), the special-scheme leniencies of the WHATWG parser, upper case.
fn odd_loopback_spellings(port: u16) -> Vec<String> {
    vec![
        format!("http://127.0.0.1:{port}/"),
        format!("http://%31%32%37.0.0.1:{port}/"),
        format!("http://%30x7f.1:{port}/"),
        format!("http://１２７．０．０．１:{port}/"),
        format!("http:127.0.0.1:{port}/"),
        format!("http:/127.0.0.1:{port}/"),
        format!("http:///127.0.0.1:{port}/"),
        format!("http:\\\\127.0.0.1:{port}\\"),
        format!("HTTP://127.0.0.1:{port}/"),
        format!(" http://127.0.0.1:{port}/ "),
        format!("http://127.0.0.1:{port}#@example.com/"),
        format!("http://127.0.0.1:{port}\\@example.com/"),
        format!("http://0:{port}/"),
        format!("http://0.0.0.0:{port}/"),
        format!("http://[::ffff:7f00:1]:{port}/"),
        format!("http://[::ffff:0.0.0.0]:{port}/"),
    ]
}

#[tokio::test]
async fn unusual_spellings_of_loopback_are_refused_without_connecting() {
    let tripwire = Tripwire::start().await;
    let fetcher = guarded();
    for url in odd_loopback_spellings(tripwire.port) {
        expect_blocked(&url, fetcher.get(&url).await);
    }
    assert_eq!(tripwire.accepted(), 0);
}

#[tokio::test]
async fn host_names_that_resolve_to_loopback_are_refused_without_connecting() {
    let tripwire = Tripwire::start().await;
    let fetcher = guarded();
    for host in [
        "localhost",
        "LOCALHOST",
        "LocalHost",
        "%6c%6f%63%61%6c%68%6f%73%74",
        "localhost.",
        "ip6-localhost",
    ] {
        let url = format!("http://{host}:{}/logo.png", tripwire.port);
        let name = if host.starts_with('%') {
            "localhost"
        } else {
            host
        };
        let resolves = (name, 0)
            .to_socket_addrs()
            .map(|mut a| a.next().is_some())
            .unwrap_or(false);
        match fetcher.get(&url).await {
            Err(FetchError::Blocked { reason, .. }) => {
                assert!(reason.contains("loopback"), "{url}: {reason}")
            }
            // A name this machine's resolver does not know cannot be connected to either.
            Err(FetchError::Connect { .. } | FetchError::NoSuchHost { .. }) if !resolves => {}
            other => panic!("{url} (resolves here: {resolves}): expected Blocked, got {other:?}"),
        }
    }
    assert_eq!(tripwire.accepted(), 0);
}

#[tokio::test]
async fn schemes_other_than_http_and_https_are_refused_with_or_without_the_opt_in() {
    let tripwire = Tripwire::start().await;
    let port = tripwire.port;
    for fetcher in [guarded(), opted_in()] {
        for url in [
            "file:///etc/passwd".to_string(),
            "file://localhost/etc/passwd".to_string(),
            format!("ftp://127.0.0.1:{port}/logo.png"),
            format!("gopher://127.0.0.1:{port}/_GET%20/"),
            "data:image/png;base64,iVBORw0KGgo=".to_string(),
            "data:text/plain,hello".to_string(),
            "javascript:alert(1)".to_string(),
            format!("ws://127.0.0.1:{port}/"),
            format!("dict://127.0.0.1:{port}/"),
            "unix:///var/run/docker.sock".to_string(),
        ] {
            let message = expect_blocked(&url, fetcher.get(&url).await);
            assert!(message.contains("scheme"), "{url}: {message}");
        }
        // User info is refused too (a classic way to confuse host parsing).
        for url in [
            format!("http://user:secret@127.0.0.1:{port}/"),
            format!("http://example.com@127.0.0.1:{port}/"),
        ] {
            expect_blocked(&url, fetcher.get(&url).await);
        }
    }
    assert_eq!(tripwire.accepted(), 0);
}

#[tokio::test]
async fn a_redirect_chain_cannot_start_on_loopback_without_the_opt_in() {
    let site = FixtureSite::start().await;
    site.page("/start", Page::redirect("/logo.png"))
        .page("/logo.png", Page::ok("image/png", b"png".to_vec()));
    let fetcher = guarded();
    for url in [
        site.url("/start"),
        format!("http://localhost:{}/start", site.addr.port()),
    ] {
        expect_blocked(&url, fetcher.get(&url).await);
    }
    assert!(site.hits().is_empty(), "hits: {:?}", site.hits());
}

// ---- addresses that are allowed (decided without connecting) --------------------------------

#[test]
fn public_addresses_and_the_neighbours_of_blocked_ranges_are_allowed() {
    for ip in [
        "1.0.0.0",
        "8.8.8.8",
        "9.255.255.255",
        "11.0.0.0",
        "100.63.255.255",
        "100.128.0.0",
        "126.255.255.255",
        "128.0.0.0",
        "169.253.255.255",
        "169.255.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "192.0.1.0",
        "192.167.255.255",
        "192.169.0.0",
        "198.17.255.255",
        "198.20.0.0",
        "223.255.255.255",
        "2606:4700:4700::1111",
        "2a00:1450:4001:80b::200e",
        "2001:4860:4860::8888",
        "2001:1::1",
        "2001:1::2",
        "2001:3::1",
        "2001:4:112::1",
        "2001:20::1",
        "2001:30::1",
        "2001:200::1",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
    ] {
        let addr: IpAddr = ip.parse().unwrap();
        assert!(is_globally_routable(addr), "{ip} is public");
        assert_eq!(check_ip(addr, false), None, "{ip}");
        assert_eq!(check_ip(addr, true), None, "{ip} with the opt-in");
    }
}

#[test]
fn the_opt_in_allows_loopback_and_nothing_else() {
    for ip in ["127.0.0.1", "127.255.255.254", "::1", "::ffff:127.0.0.1"] {
        let addr: IpAddr = ip.parse().unwrap();
        assert!(check_ip(addr, true).is_none(), "{ip} with the opt-in");
        assert!(!is_globally_routable(addr), "{ip} is not global");
    }
    for (_, addresses) in BLOCKED_V4 {
        for octets in *addresses {
            let ip = Ipv4Addr::from(*octets);
            if ip.is_loopback() {
                continue;
            }
            assert!(check_ip(IpAddr::V4(ip), true).is_some(), "{ip}");
            assert!(
                check_ip(IpAddr::V6(ip.to_ipv6_mapped()), true).is_some(),
                "{}",
                ip.to_ipv6_mapped()
            );
        }
    }
    for host in BLOCKED_V6 {
        let addr: IpAddr = host.trim_matches(['[', ']']).parse().unwrap();
        if addr == IpAddr::from(std::net::Ipv6Addr::LOCALHOST) {
            continue;
        }
        assert!(check_ip(addr, true).is_some(), "{host} with the opt-in");
    }
}

/// The opt-in is for this host's loopback (127.0.0.0/8, ::1, and ::ffff:127.x, which Linux
/// delivers to 127.x). The NAT64 and IPv4-compatible forms of 127.x are not this host: a
/// NAT64 gateway would translate `64:ff9b::7f00:1` to *its own* loopback, and `::127.0.0.1`
/// is routed as an IPv6 address. guard.rs says no other blocked range can be allowed, so
/// these stay refused with the opt-in, as the 6to4 form already is.
#[tokio::test]
async fn the_opt_in_does_not_extend_to_nat64_or_ipv4_compatible_forms_of_loopback() {
    for ip in [
        "64:ff9b::7f00:1",
        "64:ff9b::127.1.2.3",
        "::127.0.0.1",
        "::7f00:1",
        "2002:7f00:1::1",
    ] {
        let addr: IpAddr = ip.parse().unwrap();
        assert!(
            check_ip(addr, true).is_some(),
            "{ip} is not this host's loopback, but the opt-in lets it through"
        );
    }
    let fetcher = opted_in();
    for url in [
        "http://[64:ff9b::7f00:1]/",
        "http://[64:ff9b::127.0.0.1]/",
        "http://[::127.0.0.1]/",
    ] {
        let refused = fetcher.precheck(url).err();
        assert!(
            matches!(refused, Some(FetchError::Blocked { .. })),
            "{url} passes the precheck with the opt-in and would be connected to"
        );
    }
}

#[test]
fn spellings_of_a_public_address_parse_to_it_and_pass_the_precheck() {
    let fetcher = guarded();
    for (i, host) in host_spellings(Ipv4Addr::new(8, 8, 8, 8))
        .into_iter()
        .enumerate()
    {
        let raw = format!("http://{host}/logo.png");
        let url = fetcher
            .precheck(&raw)
            .unwrap_or_else(|e| panic!("{raw}: {e}"));
        let shown = url.host_str().unwrap().to_string();
        if i < 11 {
            assert_eq!(shown, "8.8.8.8", "{raw}");
        } else {
            assert!(shown.starts_with('['), "{raw} is an IPv6 host: {shown}");
        }
    }
}

// ---- with the opt-in: loopback works, nothing else does -------------------------------------

#[tokio::test]
async fn with_the_opt_in_loopback_spellings_reach_the_server() {
    // The other side of the "nothing connected" tests: the same spellings do connect when
    // loopback is allowed, so the tripwire would have seen a leak.
    let tripwire = Tripwire::start().await;
    let fetcher = opted_in();
    let port = tripwire.port;
    let mut urls: Vec<String> = host_spellings(Ipv4Addr::new(127, 0, 0, 1))
        .into_iter()
        .take(14) // the IPv4 forms and the IPv4-mapped ones (NAT64, 6to4 are not this host)
        .map(|h| format!("http://{h}:{port}/"))
        .collect();
    urls.push(format!("http://localhost:{port}/"));
    urls.push(format!("http://%31%32%37.0.0.1:{port}/"));
    urls.push(format!("http://１２７．０．０．１:{port}/"));
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        urls.push(format!("http://[::1]:{port}/"));
    }
    for url in &urls {
        let fetched = fetcher
            .get(url)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(fetched.body, b"tripped", "{url}");
    }
    assert!(
        tripwire.accepted() >= 1,
        "the tripwire counts connections ({} URLs, {} connections)",
        urls.len(),
        tripwire.accepted()
    );
    // 0.0.0.0 reaches the local host on Linux: it stays blocked with the opt-in.
    for url in [
        format!("http://0.0.0.0:{port}/"),
        format!("http://0:{port}/"),
        format!("http://[::]:{port}/"),
        format!("http://[::ffff:0.0.0.0]:{port}/"),
    ] {
        expect_blocked(&url, fetcher.get(&url).await);
    }
}

#[tokio::test]
async fn with_the_opt_in_a_redirect_to_a_blocked_address_is_refused_after_the_first_hop() {
    let site = FixtureSite::start().await;
    let port = site.addr.port();
    let targets = [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/".to_string(),
        "http://10.0.0.1/".to_string(),
        "http://[::ffff:169.254.169.254]/latest/meta-data/".to_string(),
        "http://[::ffff:a9fe:a9fe]/".to_string(),
        "http://[64:ff9b::a9fe:a9fe]/".to_string(),
        "http://[2002:a9fe:a9fe::1]/".to_string(),
        "http://2852039166/latest/meta-data/".to_string(),
        "http://0xa9.0xfe.0xa9.0xfe/".to_string(),
        "http://0251.0376.0251.0376/".to_string(),
        "http://169.254.43518/".to_string(),
        "http://192.168.1.1/admin".to_string(),
        "http://172.17.0.1:2375/containers/json".to_string(),
        "http://100.100.100.200/latest/meta-data/".to_string(),
        "http://[fd00:ec2::254]/latest/meta-data/".to_string(),
        "http://[fe80::1]/".to_string(),
        format!("http://0.0.0.0:{port}/logo.png"),
        format!("http://[::]:{port}/logo.png"),
        "file:///etc/passwd".to_string(),
        "gopher://127.0.0.1:6379/_FLUSHALL".to_string(),
        format!("http://user:pw@127.0.0.1:{port}/logo.png"),
    ];
    site.page("/logo.png", Page::ok("image/png", b"png".to_vec()));
    for (i, target) in targets.iter().enumerate() {
        site.page(&format!("/r{i}"), Page::redirect(target));
    }
    let fetcher = opted_in();
    for (i, target) in targets.iter().enumerate() {
        let url = site.url(&format!("/r{i}"));
        let before = site.hits().len();
        let (result, elapsed) = timed(&fetcher, &url).await;
        let message = expect_blocked(&format!("{url} -> {target}"), result);
        assert!(elapsed < PROMPTLY, "{target}: {elapsed:?}");
        assert_eq!(
            site.hits()[before..],
            [format!("/r{i}")],
            "{target}: only the first hop is fetched ({message})"
        );
    }

    // A chain: two good hops, then the metadata service. The last hop is never requested.
    site.page("/c1", Page::redirect("/c2"))
        .page(
            "/c2",
            Page::redirect(&format!("http://localhost:{port}/c3")),
        )
        .page(
            "/c3",
            Page::redirect("http://169.254.169.254/latest/meta-data/"),
        );
    let before = site.hits().len();
    expect_blocked("/c1", fetcher.get(&site.url("/c1")).await);
    assert_eq!(site.hits()[before..], ["/c1", "/c2", "/c3"]);
}

#[tokio::test]
async fn with_the_opt_in_redirects_within_loopback_are_followed_up_to_three() {
    let site = FixtureSite::start().await;
    let port = site.addr.port();
    site.page("/logo.png", Page::ok("image/png", b"the logo".to_vec()))
        .page("/abs", Page::redirect(&site.url("/logo.png")))
        .page("/rel", Page::redirect("logo.png"))
        .page(
            "/other-spelling",
            Page::redirect(&format!("http://localhost:{port}/logo.png")),
        )
        // Three redirects: the limit, followed.
        .page("/three", Page::redirect("/three-2"))
        .page("/three-2", Page::redirect("/three-3"))
        .page("/three-3", Page::redirect(&site.url("/logo.png")))
        // Four: one too many.
        .page("/four", Page::redirect("/four-2"))
        .page("/four-2", Page::redirect("/four-3"))
        .page("/four-3", Page::redirect("/four-4"))
        .page("/four-4", Page::redirect("/logo.png"))
        .page("/loop", Page::redirect("/loop"));
    let fetcher = opted_in();
    for path in ["/abs", "/rel", "/other-spelling", "/three"] {
        let fetched = fetcher
            .get(&site.url(path))
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(fetched.status, 200, "{path}");
        assert_eq!(fetched.body, b"the logo", "{path}");
        assert!(fetched.final_url.ends_with("/logo.png"), "{path}");
    }
    assert_eq!(
        site.hits()
            .iter()
            .filter(|h| h.starts_with("/three"))
            .count(),
        3
    );

    let logo_hits = site.hits().iter().filter(|h| *h == "/logo.png").count();
    for path in ["/four", "/loop"] {
        match fetcher.get(&site.url(path)).await {
            Err(e @ FetchError::TooManyRedirects { limit: 3, .. }) => {
                assert!(e.to_string().contains("more than 3"), "{e}")
            }
            other => panic!("{path}: expected TooManyRedirects, got {other:?}"),
        }
    }
    assert_eq!(
        site.hits()
            .iter()
            .filter(|h| h.starts_with("/four"))
            .count(),
        4,
        "four requests, the fourth redirect not followed: {:?}",
        site.hits()
    );
    assert_eq!(
        site.hits().iter().filter(|h| *h == "/logo.png").count(),
        logo_hits
    );
    assert_eq!(site.hits().iter().filter(|h| *h == "/loop").count(), 4);
}

#[tokio::test]
async fn the_user_agent_names_logofill() {
    let server = RawServer::start(|mut stream, _| async move {
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
            .await
    })
    .await;
    let fetched = opted_in().get(&server.url("/logo.png")).await.unwrap();
    assert_eq!(fetched.body, b"ok");
    let heads = server.heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 1);
    let user_agent = heads[0]
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("user-agent"))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no User-Agent in {:?}", heads[0]));
    assert!(user_agent.starts_with("logofill/"), "{user_agent}");
    assert!(
        heads[0].starts_with("GET /logo.png HTTP/1.1\r\n"),
        "{}",
        heads[0]
    );
}

/// A refresh sends the stored validators back; the server's 304 is an answer with no body,
/// not an error, and a changed source is a whole 200 as usual.
#[tokio::test]
async fn a_conditional_get_sends_the_validators_and_reads_a_304_as_unchanged() {
    let server = RawServer::start(|mut stream, _| async move {
        stream
            .write_all(b"HTTP/1.1 304 Not Modified\r\netag: \"v1\"\r\nconnection: close\r\n\r\n")
            .await
    })
    .await;
    let validators = logofill_core::Validators {
        etag: Some("\"v1\"".into()),
        last_modified: Some("Tue, 01 Dec 2026 10:00:00 GMT".into()),
    };
    let url = server.url("/logo.svg");
    let fetched = opted_in()
        .get_conditional(&url, &validators, BodyLimit::Whole(1024))
        .await
        .unwrap();
    assert_eq!(fetched.status, 304);
    assert!(fetched.body.is_empty());
    let head = server.heads.lock().unwrap()[0].to_ascii_lowercase();
    assert!(head.contains("if-none-match: \"v1\"\r\n"), "{head}");
    assert!(
        head.contains("if-modified-since: tue, 01 dec 2026 10:00:00 gmt\r\n"),
        "{head}"
    );
    // A plain GET of the same URL still calls a 304 what it is for a GET without validators.
    let plain = opted_in().get(&url).await;
    assert!(
        matches!(plain, Err(FetchError::Status { status: 304, .. })),
        "{plain:?}"
    );

    let changed = RawServer::start(|mut stream, _| async move {
        stream
            .write_all(b"HTTP/1.1 200 OK\r\netag: \"v2\"\r\ncontent-length: 3\r\nconnection: close\r\n\r\nnew")
            .await
    })
    .await;
    let fetched = opted_in()
        .get_conditional(&changed.url("/logo.svg"), &validators, BodyLimit::Whole(2))
        .await;
    assert!(
        matches!(fetched, Err(FetchError::TooLarge { limit_bytes: 2, .. })),
        "the limit holds for a changed source: {fetched:?}"
    );
}

// ---- bytes ----------------------------------------------------------------------------------

#[tokio::test]
async fn bodies_with_a_content_length_over_the_limit_are_refused() {
    let site = FixtureSite::start().await;
    site.page("/50mb.png", Page::ok("image/png", vec![0u8; FIFTY_MB]))
        .page("/limit.png", Page::ok("image/png", vec![7u8; LIMIT]))
        .page(
            "/limit-plus-one.png",
            Page::ok("image/png", vec![7u8; LIMIT + 1]),
        );
    let fetcher = opted_in();
    let url = site.url("/50mb.png");
    let (result, elapsed) = timed(&fetcher, &url).await;
    expect_too_large(&url, result);
    assert!(elapsed < PROMPTLY, "{elapsed:?}");

    let fetched = fetcher.get(&site.url("/limit.png")).await.unwrap();
    assert_eq!(fetched.body.len(), LIMIT, "exactly 10 MiB passes");
    let url = site.url("/limit-plus-one.png");
    expect_too_large(&url, fetcher.get(&url).await);
}

#[tokio::test]
async fn bodies_without_a_content_length_are_counted_while_streaming() {
    let fetcher = opted_in();

    let fifty = chunked_server(FIFTY_MB).await;
    let url = fifty.url("/50mb.png");
    let (result, elapsed) = timed(&fetcher, &url).await;
    expect_too_large(&url, result);
    assert!(elapsed < PROMPTLY, "{elapsed:?}");
    // The fetch stopped reading at the limit; the server could only fill the socket buffers.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        fifty.sent() < 30 * MIB as u64,
        "the client read on: the server wrote {} bytes",
        fifty.sent()
    );

    let exact = chunked_server(LIMIT).await;
    let fetched = fetcher.get(&exact.url("/limit.png")).await.unwrap();
    assert_eq!(fetched.body.len(), LIMIT, "exactly 10 MiB passes");

    let over = chunked_server(LIMIT + 1).await;
    let url = over.url("/limit-plus-one.png");
    expect_too_large(&url, fetcher.get(&url).await);
}

#[tokio::test]
async fn a_content_length_that_understates_the_body_bounds_what_is_read() {
    // Says 100 bytes, sends 50 MB: HTTP framing ends the body at 100 bytes; the rest is never
    // buffered.
    let server = RawServer::start(|mut stream, sent| async move {
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: image/png\r\ncontent-length: 100\r\n\r\n")
            .await?;
        send_raw(&mut stream, FIFTY_MB, &sent).await
    })
    .await;
    let url = server.url("/liar.png");
    let (result, elapsed) = timed(&opted_in(), &url).await;
    assert!(elapsed < PROMPTLY, "{elapsed:?}");
    match result {
        Ok(fetched) => assert_eq!(fetched.body.len(), 100),
        Err(e) => assert!(
            !matches!(e, FetchError::Blocked { .. }),
            "{url}: a refusal is fine, a guard decision is not: {e}"
        ),
    }
}

#[tokio::test]
async fn a_content_length_over_the_limit_is_refused_before_the_body_arrives() {
    // Says 50 MB, sends 10 bytes, then hangs: refused from the header, no waiting.
    let server = RawServer::start(|mut stream, _| async move {
        stream
            .write_all(
                format!("HTTP/1.1 200 OK\r\ncontent-type: image/png\r\ncontent-length: {FIFTY_MB}\r\n\r\n0123456789")
                    .as_bytes(),
            )
            .await?;
        hang().await
    })
    .await;
    let url = server.url("/declared-50mb.png");
    let (result, elapsed) = timed(&opted_in(), &url).await;
    expect_too_large(&url, result);
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
}

// ---- time -----------------------------------------------------------------------------------

#[tokio::test]
async fn a_body_shorter_than_its_content_length_hits_the_total_deadline() {
    let server = RawServer::start(|mut stream, _| async move {
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: image/png\r\ncontent-length: 5000\r\n\r\n0123456789")
            .await?;
        hang().await
    })
    .await;
    let url = server.url("/short.png");
    let (result, elapsed) = timed(&opted_in_with_deadline(Duration::from_secs(1)), &url).await;
    expect_timeout(&url, result, elapsed);
}

#[tokio::test]
async fn a_trickling_body_hits_the_total_deadline() {
    // One byte every 100 ms: never idle long enough for a read timeout, so only a total
    // deadline stops it.
    let server = RawServer::start(|mut stream, sent| async move {
        stream.write_all(CHUNKED_HEAD).await?;
        loop {
            stream.write_all(b"1\r\nx\r\n").await?;
            sent.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    let url = server.url("/trickle.png");
    let (result, elapsed) = timed(&opted_in_with_deadline(Duration::from_secs(1)), &url).await;
    expect_timeout(&url, result, elapsed);
    assert!(
        server.sent() >= 5,
        "the body did trickle: {}",
        server.sent()
    );
}

#[tokio::test]
async fn headers_that_never_come_hit_the_total_deadline() {
    let silent = RawServer::start(|stream, _| async move {
        let _open = stream;
        hang().await
    })
    .await;
    let url = silent.url("/silent.png");
    let (result, elapsed) = timed(&opted_in_with_deadline(Duration::from_secs(1)), &url).await;
    expect_timeout(&url, result, elapsed);
    assert_eq!(silent.accepted(), 1, "the connection itself succeeded");

    let slowloris = RawServer::start(|mut stream, _| async move {
        stream.write_all(b"HTTP/1.1 200 OK\r\n").await?;
        for i in 0.. {
            stream
                .write_all(format!("x-wait-{i}: 1\r\n").as_bytes())
                .await?;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    })
    .await;
    let url = slowloris.url("/slow-headers.png");
    let (result, elapsed) = timed(&opted_in_with_deadline(Duration::from_secs(1)), &url).await;
    expect_timeout(&url, result, elapsed);
}

#[tokio::test]
async fn the_deadline_covers_every_redirect_hop_together() {
    // Three hops of 400 ms each: each is well within 1 s, together they are not.
    let site = FixtureSite::start().await;
    site.page("/a", Page::redirect("/b").slow(Duration::from_millis(400)))
        .page("/b", Page::redirect("/c").slow(Duration::from_millis(400)))
        .page(
            "/c",
            Page::ok("image/png", b"late".to_vec()).slow(Duration::from_millis(400)),
        );
    let url = site.url("/a");
    let (result, elapsed) = timed(&opted_in_with_deadline(Duration::from_secs(1)), &url).await;
    expect_timeout(&url, result, elapsed);
}

// ---- 2001::/23, from a page -----------------------------------------------------------------

/// Takes whatever it is given; what matters here is what was fetched.
fn company(homepage: Option<String>, logo_url: Option<String>) -> CompanyRecord {
    CompanyRecord {
        id: logofill_core::CompanyId::parse("acme").unwrap(),
        name: "Acme".into(),
        homepage,
        logo_url,
    }
}

#[tokio::test]
async fn an_og_image_in_the_ietf_protocol_block_is_refused_without_connecting() {
    // The page is on loopback (opted in); its og:image and icons point into 2001::/23, by IP
    // and by names an injected resolver maps there. Nothing there is connected to: the
    // search ends with the blocked attempts and the conventional paths of the page.
    let site = FixtureSite::start().await;
    site.page(
        "/",
        Page::ok(
            "text/html",
            r#"<head><meta property="og:image" content="http://[2001:100::1]/og.png">
            <link rel="icon" sizes="512x512" href="http://[2001:4::1]/icon.png">
            <link rel="icon" sizes="256x256" href="http://teredo.test/icon.png">
            <link rel="icon" sizes="128x128" href="http://as112.test/icon.png"></head>"#,
        ),
    );
    let resolver = StaticResolver::new()
        .with("teredo.test", &["2001:4::1".parse().unwrap()])
        .with("as112.test", &["2001:100::1".parse().unwrap()]);
    let fetcher = GuardedFetcher::with_resolver(options(true), Arc::new(resolver)).unwrap();
    let started = Instant::now();
    let found = find_source(
        &fetcher,
        &company(Some(site.url("/")), None),
        &Default::default(),
        &TakeAnything,
    )
    .await;
    assert!(started.elapsed() < PROMPTLY, "{:?}", started.elapsed());
    let attempts = found.attempts;
    let outcome = found.outcome;
    assert!(
        matches!(outcome, SourceOutcome::NoneUsable { .. }),
        "expected NoneUsable, got {outcome:?}"
    );
    let blocked: Vec<&str> = attempts
        .iter()
        .filter(|a| a.result.contains("is blocked"))
        .map(|a| a.url.as_str())
        .collect();
    assert_eq!(
        blocked,
        [
            "http://[2001:4::1]/icon.png",
            "http://teredo.test/icon.png",
            "http://as112.test/icon.png",
            "http://[2001:100::1]/og.png"
        ],
        "{attempts:#?}"
    );
    assert!(
        attempts
            .iter()
            .any(|a| a.result.contains("IETF protocol assignments (2001::/23)")),
        "{attempts:#?}"
    );
    assert_eq!(site.hits(), ["/", "/apple-touch-icon.png", "/favicon.ico"]);
}

// ---- names that do not exist, lookups that fail ----------------------------------------------

#[tokio::test]
async fn nxdomain_is_permanent_and_a_failed_lookup_is_transient() {
    let site = FixtureSite::start().await;
    site.page("/logo.png", Page::ok("image/png", b"png".to_vec()));
    let port = site.addr.port();
    let resolver = StaticResolver::new()
        .with("acme.test", &[IpAddr::from([127, 0, 0, 1])])
        .failing("flaky.test", LookupError::Temporary("SERVFAIL".into()));
    let fetcher = GuardedFetcher::with_resolver(options(true), Arc::new(resolver)).unwrap();

    // The injected resolver is the one used: its name reaches the fixture site.
    let fetched = fetcher
        .get(&format!("http://acme.test:{port}/logo.png"))
        .await
        .unwrap();
    assert_eq!(fetched.body, b"png");

    let gone = format!("http://gone.test:{port}/logo.png");
    match fetcher.get(&gone).await {
        Err(e @ FetchError::NoSuchHost { .. }) => {
            assert!(!e.is_retryable(), "{e}");
            assert!(e.to_string().contains("gone.test"), "names the host: {e}");
        }
        other => panic!("{gone}: expected NoSuchHost, got {other:?}"),
    }
    let flaky = format!("http://flaky.test:{port}/logo.png");
    match fetcher.get(&flaky).await {
        Err(e @ FetchError::Connect { .. }) => {
            assert!(e.is_retryable(), "{e}");
            assert!(e.to_string().contains("SERVFAIL"), "{e}");
        }
        other => panic!("{flaky}: expected a transient Connect, got {other:?}"),
    }

    // Through discovery: a homepage that does not exist is no source (a placeholder); one
    // whose lookup failed is retried.
    let outcome = find_source(
        &fetcher,
        &company(Some(format!("http://gone.test:{port}/")), None),
        &Default::default(),
        &TakeAnything,
    )
    .await
    .outcome;
    assert!(
        matches!(&outcome, SourceOutcome::NoneUsable { reason, .. } if reason.contains("gone.test")),
        "{outcome:?}"
    );
    let outcome = find_source(
        &fetcher,
        &company(Some(format!("http://flaky.test:{port}/")), None),
        &Default::default(),
        &TakeAnything,
    )
    .await
    .outcome;
    assert!(
        matches!(&outcome, SourceOutcome::Transient { reason, .. } if reason.contains("SERVFAIL")),
        "{outcome:?}"
    );
}

// ---- loopback allowed for listed addresses only ------------------------------------------------

#[tokio::test]
async fn a_loopback_allow_list_reaches_its_addresses_and_no_other_port() {
    let site = FixtureSite::start().await;
    site.page("/logo.png", Page::ok("image/png", b"png".to_vec()));
    let tripwire = Tripwire::start().await;
    let fetcher = GuardedFetcher::new(FetchOptions {
        loopback: LoopbackAccess::only([site.addr]),
        ..options(false)
    })
    .unwrap();
    let port = site.addr.port();
    for url in [
        site.url("/logo.png"),
        format!("http://[::ffff:127.0.0.1]:{port}/logo.png"),
        format!("http://2130706433:{port}/logo.png"),
    ] {
        let fetched = fetcher
            .get(&url)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(fetched.body, b"png", "{url}");
    }
    for url in [
        format!("http://127.0.0.1:{}/logo.png", tripwire.port),
        format!("http://127.0.0.2:{}/logo.png", tripwire.port),
        format!("http://localhost:{}/logo.png", tripwire.port),
        // A name is refused even for the listed port: the resolver cannot see ports.
        format!("http://localhost:{port}/logo.png"),
        format!("http://[::1]:{}/logo.png", tripwire.port),
    ] {
        let message = expect_blocked(&url, fetcher.get(&url).await);
        assert!(message.contains("loopback"), "{url}: {message}");
    }
    // A redirect from the listed site to another local port is refused at that hop.
    site.page(
        "/away",
        Page::redirect(&format!("http://127.0.0.1:{}/", tripwire.port)),
    );
    let message = expect_blocked("/away", fetcher.get(&site.url("/away")).await);
    assert!(
        message.contains(&format!("only {} may be fetched", site.addr)),
        "{message}"
    );
    assert_eq!(
        tripwire.accepted(),
        0,
        "another loopback port was connected to"
    );
}

// ---- how much of a body a caller asks for -----------------------------------------------------

#[tokio::test]
async fn a_prefix_reads_only_the_first_bytes_and_a_whole_body_limit_refuses_more() {
    let site = FixtureSite::start().await;
    site.page("/big.html", Page::ok("text/html", vec![b'x'; 3 * MIB]))
        .page("/small.html", Page::ok("text/html", vec![b'y'; 1000]));
    let fetcher = opted_in();
    let big = fetcher
        .get_within(&site.url("/big.html"), BodyLimit::Prefix(MIB as u64))
        .await
        .unwrap();
    assert_eq!(big.body.len(), MIB);
    assert!(big.truncated);
    let small = fetcher
        .get_within(&site.url("/small.html"), BodyLimit::Prefix(MIB as u64))
        .await
        .unwrap();
    assert_eq!(small.body.len(), 1000);
    assert!(!small.truncated);
    match fetcher
        .get_within(&site.url("/big.html"), BodyLimit::Whole(256 * 1024))
        .await
    {
        Err(FetchError::TooLarge { limit_bytes, .. }) => assert_eq!(limit_bytes, 256 * 1024),
        other => panic!("expected TooLarge, got {other:?}"),
    }
    // The fetcher's own limit caps what a caller asks for.
    let chunked = chunked_server(LIMIT + MIB).await;
    let capped = fetcher
        .get_within(&chunked.url("/x"), BodyLimit::Prefix(u64::MAX))
        .await
        .unwrap();
    assert_eq!(capped.body.len(), LIMIT);
    assert!(capped.truncated);
    match fetcher
        .get_within(&site.url("/big.html"), BodyLimit::Whole(u64::MAX))
        .await
    {
        Ok(f) => assert_eq!(f.body.len(), 3 * MIB),
        other => panic!("{other:?}"),
    }
}

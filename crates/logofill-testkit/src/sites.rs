//! Fixture web sites on 127.0.0.1: company homepages, logos and directory APIs as canned
//! pages ([`FixtureSite`]), a listener that proves nothing connected ([`Tripwire`]), and the
//! labelled discovery corpus served by host name ([`corpus`]).

pub mod corpus;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::Router;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One canned answer of a [`FixtureSite`].
#[derive(Clone, Debug)]
pub struct Page {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// Wait this long before answering (slow sources).
    pub delay: Duration,
    /// Extra headers (`location` for redirects).
    pub headers: Vec<(&'static str, String)>,
}

impl Page {
    pub fn ok(content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Page {
            status: 200,
            content_type,
            body: body.into(),
            delay: Duration::ZERO,
            headers: Vec::new(),
        }
    }
    pub fn status(status: u16) -> Self {
        Page {
            status,
            content_type: "text/plain",
            body: format!("status {status}").into_bytes(),
            delay: Duration::ZERO,
            headers: Vec::new(),
        }
    }
    pub fn redirect(to: &str) -> Self {
        Page {
            status: 302,
            content_type: "text/plain",
            body: Vec::new(),
            delay: Duration::ZERO,
            headers: vec![("location", to.to_string())],
        }
    }
    pub fn slow(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// A web server on 127.0.0.1 serving fixed pages by path (company homepages, logos, a
/// directory API), counting the requests it gets. Unknown paths answer 404.
#[derive(Clone)]
pub struct FixtureSite {
    pages: Arc<Mutex<std::collections::HashMap<String, Page>>>,
    hits: Arc<Mutex<Vec<String>>>,
    pub addr: SocketAddr,
}

impl FixtureSite {
    /// Serve on the caller's tokio runtime.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fixture site");
        let site = FixtureSite::new(listener.local_addr().unwrap());
        let app = site.router();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        site
    }

    /// Serve from a thread and runtime of its own, for a synchronous test, and for one that
    /// measures what its own thread allocates (the site's buffers are not on that thread).
    pub fn start_on_own_thread() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind fixture site");
        listener.set_nonblocking(true).unwrap();
        let site = FixtureSite::new(listener.local_addr().unwrap());
        let app = site.router();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("the fixture site's runtime");
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener).unwrap();
                axum::serve(listener, app).await.unwrap()
            })
        });
        site
    }

    fn new(addr: SocketAddr) -> Self {
        FixtureSite {
            pages: Arc::default(),
            hits: Arc::default(),
            addr,
        }
    }

    fn router(&self) -> Router {
        Router::new().fallback(serve_page).with_state(self.clone())
    }

    /// `http://127.0.0.1:PORT{path}`
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn page(&self, path: &str, page: Page) -> &Self {
        self.pages.lock().unwrap().insert(path.to_string(), page);
        self
    }

    /// Paths requested so far, in order.
    pub fn hits(&self) -> Vec<String> {
        self.hits.lock().unwrap().clone()
    }
}

async fn serve_page(
    State(site): State<FixtureSite>,
    uri: axum::http::Uri,
) -> axum::response::Response {
    let path = uri.path().to_string();
    site.hits.lock().unwrap().push(path.clone());
    let page = site
        .pages
        .lock()
        .unwrap()
        .get(&path)
        .cloned()
        .unwrap_or_else(|| Page::status(404));
    if !page.delay.is_zero() {
        tokio::time::sleep(page.delay).await;
    }
    let mut response = (StatusCode::from_u16(page.status).unwrap(), page.body).into_response();
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static(page.content_type));
    for (name, value) in page.headers {
        response
            .headers_mut()
            .insert(name, HeaderValue::from_str(&value).unwrap());
    }
    response
}

/// A listener on 127.0.0.1 (and ::1 on the same port when the host has IPv6 loopback) that
/// answers 200 and counts every connection it accepts: a fetch that must be refused without
/// connecting points at it and must leave it at zero. The same URLs fetched where they are
/// allowed reach it, so a zero is not vacuous.
pub struct Tripwire {
    pub port: u16,
    accepted: Arc<AtomicUsize>,
}

impl Tripwire {
    pub async fn start() -> Self {
        let v4 = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = v4.local_addr().unwrap().port();
        let v6 = TcpListener::bind(("::1", port)).await.ok();
        let accepted = Arc::new(AtomicUsize::new(0));
        for listener in std::iter::once(v4).chain(v6) {
            let accepted = accepted.clone();
            tokio::spawn(async move {
                while let Ok((mut stream, _)) = listener.accept().await {
                    accepted.fetch_add(1, Ordering::SeqCst);
                    tokio::spawn(async move {
                        if read_head(&mut stream).await.is_some() {
                            let _ = stream
                                .write_all(
                                    b"HTTP/1.1 200 OK\r\ncontent-type: image/png\r\ncontent-length: 7\r\nconnection: close\r\n\r\ntripped",
                                )
                                .await;
                        }
                    });
                }
            });
        }
        Tripwire { port, accepted }
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// The head of an HTTP request, up to the blank line, for a raw server (bounded: a test client
/// never sends more than 64 KiB). `None` when the peer hangs up first.
pub async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 || head.len() > 64 * 1024 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

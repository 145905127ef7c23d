//! Hostile homepages and manifests, one input per class, served from 127.0.0.1 through the
//! real `GuardedFetcher` and discovered with `find_source`: each must end in the expected
//! verdict, promptly, within a bounded amount of memory.
//!
//! Memory is counted by this binary's global allocator, for the thread running discovery
//! only (the server runs on its own thread), as the peak of live bytes above the start. The
//! bounds are generous: they show the work is bounded by the 1 MiB homepage cap and the
//! candidate caps, not a speed or size target (the old DOM parser took 190-580 MB on these).

mod util;

#[path = "util/counting.rs"]
mod counting;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use counting::measured;
use logofill_core::directory::CompanyRecord;
use logofill_core::CompanyId;
use logofill_discover::{
    find_source, scan_homepage, CandidateKind, Checked, Discovery, DiscoveryOptions, Rejection,
    SourceCheck, SourceOutcome, TakeAnything, DEFAULT_MAX_HTML_BYTES,
};
use logofill_fetch::{FetchOptions, GuardedFetcher, LoopbackAccess};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use util::hostile::*;

// ---- the server ---------------------------------------------------------------------------

/// A content type and a body.
type Served = (&'static str, Arc<Vec<u8>>);

/// A raw HTTP/1.1 server on 127.0.0.1, on its own thread and runtime (so its buffers are not
/// counted), answering fixed bodies by path and 404 otherwise, recording the paths asked for.
struct Site {
    addr: SocketAddr,
    hits: Arc<Mutex<Vec<String>>>,
}

impl Site {
    fn start(pages: Vec<(&str, &'static str, Vec<u8>)>) -> Site {
        let pages: Arc<HashMap<String, Served>> = Arc::new(
            pages
                .into_iter()
                .map(|(p, t, b)| (p.to_string(), (t, Arc::new(b))))
                .collect(),
        );
        let hits: Arc<Mutex<Vec<String>>> = Arc::default();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let server_hits = hits.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                while let Ok((mut stream, _)) = listener.accept().await {
                    let (pages, hits) = (pages.clone(), server_hits.clone());
                    tokio::spawn(async move {
                        let mut head = Vec::new();
                        let mut buf = [0u8; 2048];
                        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                            match stream.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => head.extend_from_slice(&buf[..n]),
                            }
                        }
                        let head = String::from_utf8_lossy(&head).into_owned();
                        let path = head.split(' ').nth(1).unwrap_or("/").to_string();
                        hits.lock().unwrap().push(path.clone());
                        let (status, ctype, body) = match pages.get(&path) {
                            Some((t, b)) => ("200 OK", *t, b.clone()),
                            None => ("404 Not Found", "text/plain", Arc::new(b"no".to_vec())),
                        };
                        let head = format!(
                            "HTTP/1.1 {status}\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                            body.len()
                        );
                        if stream.write_all(head.as_bytes()).await.is_ok() {
                            for chunk in body.chunks(64 * 1024) {
                                if stream.write_all(chunk).await.is_err() {
                                    return;
                                }
                            }
                        }
                    });
                }
            });
        });
        Site { addr, hits }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn hits(&self) -> Vec<String> {
        self.hits.lock().unwrap().clone()
    }
}

// ---- discovery ----------------------------------------------------------------------------

/// Takes whatever answered 200: each class serves only the icon it must end with.
struct TakeKnown;

impl SourceCheck for TakeKnown {
    type Value = String;
    async fn check(
        &self,
        url: &str,
        kind: CandidateKind,
        body: Vec<u8>,
    ) -> Result<Checked<String>, Rejection> {
        let taken = TakeAnything.check(url, kind, body).await?;
        Ok(Checked {
            value: url.to_string(),
            facts: taken.facts,
        })
    }
}

/// Every hostile test holds this: the peak counter is per thread, but the time bound means
/// more with the machine to itself.
static SERIAL: Mutex<()> = Mutex::new(());

/// Peak bytes a homepage discovery may take: the 1 MiB page, the fetcher's buffers, the
/// tokenizer's, the kept candidates. Generous: the DOM parser took 190-580 MB.
const MEMORY_BOUND: usize = 24 * MIB;
/// A correctness bound (a debug build, two cores shared with other tests), not a target.
const TIME_BOUND: Duration = Duration::from_secs(10);

struct Run {
    outcome: Discovery<String>,
    peak: usize,
    elapsed: Duration,
}

fn discover(site: &Site) -> Run {
    let fetcher = GuardedFetcher::new(FetchOptions {
        loopback: LoopbackAccess::only([site.addr]),
        ..FetchOptions::default()
    })
    .unwrap();
    let record = CompanyRecord {
        id: CompanyId::parse("hostile").unwrap(),
        name: "Hostile".into(),
        homepage: Some(site.url("/")),
        logo_url: None,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let options = DiscoveryOptions::default();
    let (outcome, peak, elapsed) =
        measured(|| rt.block_on(find_source(&fetcher, &record, &options, &TakeKnown)));
    Run {
        outcome,
        peak,
        elapsed,
    }
}

#[track_caller]
fn expect_found(class: &str, run: &Run, url_ends: &str) {
    eprintln!(
        "{class}: {:?}, peak {:.1} MiB",
        run.elapsed,
        run.peak as f64 / MIB as f64
    );
    match &run.outcome.outcome {
        SourceOutcome::Found { url, .. } => {
            assert!(url.ends_with(url_ends), "{class}: found {url}");
            let attempts = &run.outcome.attempts;
            assert!(attempts.len() <= 12, "{class}: {} attempts", attempts.len());
        }
        other => panic!("{class}: expected Found {url_ends}, got {other:?}"),
    }
    assert!(run.elapsed < TIME_BOUND, "{class}: took {:?}", run.elapsed);
    assert!(
        run.peak < MEMORY_BOUND,
        "{class}: peaked at {} bytes",
        run.peak
    );
}

fn homepage(body: Vec<u8>) -> Site {
    Site::start(vec![
        ("/", "text/html", body),
        ("/logo.png", "image/png", b"png".to_vec()),
        ("/a.png", "image/png", b"png".to_vec()),
    ])
}

#[test]
fn ten_mib_of_tags_reads_one_mib_and_finds_no_icon() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let site = homepage(tags(10 * MIB));
    let run = discover(&site);
    eprintln!("10 MiB of tags: {:?}, peak {} bytes", run.elapsed, run.peak);
    // Nothing declared: the conventional paths are tried and are 404.
    assert!(
        matches!(&run.outcome.outcome, SourceOutcome::NoneUsable { .. }),
        "{:?}",
        run.outcome
    );
    assert_eq!(site.hits(), ["/", "/apple-touch-icon.png", "/favicon.ico"]);
    assert!(run.elapsed < TIME_BOUND, "{:?}", run.elapsed);
    assert!(run.peak < MEMORY_BOUND, "peaked at {} bytes", run.peak);
}

#[test]
fn ten_mib_of_nested_divs_keeps_the_icon_before_them() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let run = discover(&homepage(nested_divs(10 * MIB)));
    expect_found("10 MiB of nested divs", &run, "/logo.png");
}

#[test]
fn a_hundred_thousand_link_icons_are_counted_not_listed() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // None of the icons exists: eight are tried, the rest are one line.
    let site = homepage(link_icons(100_000));
    let run = discover(&site);
    eprintln!(
        "100,000 link icons: {:?}, peak {} bytes",
        run.elapsed, run.peak
    );
    let SourceOutcome::NoneUsable { .. } = &run.outcome.outcome else {
        panic!("{:?}", run.outcome);
    };
    let attempts = &run.outcome.attempts;
    assert_eq!(attempts.len(), 9, "{attempts:#?}");
    let last = &attempts[8];
    assert!(
        last.result.contains("nor 57 more")
            && last
                .result
                .contains("more sources declared and not considered"),
        "{last:?}"
    );
    // 64 kept (the ones declared under 32 px go last, not away), two conventional paths:
    // 8 tried, 58 not.
    assert_eq!(site.hits().len(), 1 + 8, "{:?}", site.hits());
    assert!(run.elapsed < TIME_BOUND, "{:?}", run.elapsed);
    assert!(run.peak < MEMORY_BOUND, "peaked at {} bytes", run.peak);
}

#[test]
fn a_huge_attribute_is_scanned_past_within_the_cap_and_cut_beyond_it() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // 900 KiB: within the 1 MiB read, so the icon after it is seen too.
    let page_url = url::Url::parse("https://acme.example/").unwrap();
    let scan = scan_homepage(&huge_attribute(900 * 1024), &page_url, 64);
    assert_eq!(scan.candidates.len(), 2, "{scan:?}");
    // 10 MiB: the read stops inside the attribute; the icon before it is used.
    let run = discover(&homepage(huge_attribute(10 * MIB)));
    expect_found("a 10 MiB attribute", &run, "/a.png");
}

#[test]
fn an_endless_comment_or_script_hides_what_is_inside_it() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for (class, body) in [
        ("a 10 MiB endless comment", endless_comment(10 * MIB)),
        ("a 10 MiB endless script", endless_script(10 * MIB)),
    ] {
        let page_url = url::Url::parse("https://acme.example/").unwrap();
        let prefix = &body[..DEFAULT_MAX_HTML_BYTES as usize];
        let scan = scan_homepage(prefix, &page_url, 64);
        let urls: Vec<String> = scan.candidates.iter().map(|c| c.source.label()).collect();
        assert_eq!(urls, ["https://acme.example/a.png"], "{class}");
        let run = discover(&homepage(body));
        expect_found(class, &run, "/a.png");
    }
}

#[test]
fn a_deeply_nested_manifest_gives_no_icons_and_costs_little() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let site = Site::start(vec![
        (
            "/",
            "text/html",
            b"<link rel=manifest href=/m.json><link rel=icon href=/a.png sizes=16x16>".to_vec(),
        ),
        (
            "/m.json",
            "application/manifest+json",
            deep_manifest(100_000),
        ),
        ("/a.png", "image/png", b"png".to_vec()),
    ]);
    let run = discover(&site);
    expect_found("a manifest nested 100,000 deep", &run, "/a.png");
    assert_eq!(site.hits(), ["/", "/m.json", "/a.png"]);
}

#[test]
fn a_huge_manifest_is_refused_at_its_own_cap() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let site = Site::start(vec![
        (
            "/",
            "text/html",
            b"<link rel=manifest href=/m.json><link rel=icon href=/a.png>".to_vec(),
        ),
        (
            "/m.json",
            "application/manifest+json",
            huge_manifest(10 * MIB),
        ),
        ("/a.png", "image/png", b"png".to_vec()),
    ]);
    let run = discover(&site);
    expect_found("a 10 MiB manifest", &run, "/a.png");
    let attempts = &run.outcome.attempts;
    assert!(
        attempts[0].kind == "manifest" && attempts[0].result.contains("256 KiB"),
        "{attempts:#?}"
    );
}

#[test]
fn a_manifest_of_many_icons_keeps_its_cap_within_256_kib() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let manifest = huge_manifest(250 * 1024);
    let site = Site::start(vec![
        (
            "/",
            "text/html",
            b"<link rel=manifest href=/m.json>".to_vec(),
        ),
        ("/m.json", "application/manifest+json", manifest),
    ]);
    let run = discover(&site);
    eprintln!(
        "a 250 KiB manifest of icons: {:?}, peak {} bytes",
        run.elapsed, run.peak
    );
    let SourceOutcome::NoneUsable { .. } = &run.outcome.outcome else {
        panic!("{:?}", run.outcome);
    };
    let attempts = &run.outcome.attempts;
    // Eight tried (all 404 here), the rest of the 32 kept and the thousands skipped counted.
    assert_eq!(attempts.len(), 9, "{attempts:#?}");
    assert!(
        attempts[8]
            .result
            .contains("more sources declared and not considered"),
        "{:?}",
        attempts[8]
    );
    assert!(run.elapsed < TIME_BOUND, "{:?}", run.elapsed);
    assert!(run.peak < MEMORY_BOUND, "peaked at {} bytes", run.peak);
}

#[test]
fn ten_mib_of_open_logo_wrappers_keeps_the_first_header_logos_and_costs_little() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let page_url = url::Url::parse("https://acme.example/").unwrap();
    let body = open_logo_wrappers(10 * MIB);
    let (scan, peak, elapsed) =
        measured(|| scan_homepage(&body[..DEFAULT_MAX_HTML_BYTES as usize], &page_url, 64));
    eprintln!("10 MiB of open logo wrappers: {elapsed:?}, peak {peak} bytes");
    // The icon and the first four header logos (the cap); the rest are not sources.
    assert_eq!(scan.candidates.len(), 5, "{scan:?}");
    assert!(elapsed < TIME_BOUND, "{elapsed:?}");
    assert!(peak < MEMORY_BOUND, "peaked at {peak} bytes");
    let run = discover(&homepage(body));
    expect_found("10 MiB of open logo wrappers", &run, "/a.png");
}

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

use std::sync::Mutex;
use std::time::Duration;

use counting::measured;
use logofill_core::directory::CompanyRecord;
use logofill_core::CompanyId;
use logofill_discover::{
    find_source, scan_homepage, CandidateKind, Checked, Discovery, DiscoveryOptions, Rejection,
    SourceCheck, SourceOutcome, TakeAnything, DEFAULT_MAX_HTML_BYTES,
};
use logofill_fetch::{FetchOptions, GuardedFetcher, LoopbackAccess};
use logofill_testkit::sites::{FixtureSite, Page};
use util::hostile::*;

// ---- the server ---------------------------------------------------------------------------

/// A fixture site answering `pages` (path, content type, body) and 404 otherwise, on its own
/// thread and runtime, so its buffers are not counted.
fn site(pages: Vec<(&str, &'static str, Vec<u8>)>) -> FixtureSite {
    let site = FixtureSite::start_on_own_thread();
    for (path, content_type, body) in pages {
        site.page(path, Page::ok(content_type, body));
    }
    site
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

fn discover(site: &FixtureSite) -> Run {
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

fn homepage(body: Vec<u8>) -> FixtureSite {
    site(vec![
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
    let site = site(vec![
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
    let site = site(vec![
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
    let site = site(vec![
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

//! Amplification benchmark: how much work one missing logo causes, end to end.
//!
//! A trace simulator drives the dev stack (the same report service and worker as the Lambdas,
//! with the in-process queue and a folder bucket) as many browsers would: 100,000 page views
//! over 5,000 companies with Zipf popularity, 10% of the companies missing a logo, 10 logos per
//! page, a share of page views from returning sessions (whose `sessionStorage` already holds
//! the ids they reported, as the page snippet keeps it). Logo sources are served by a fixture
//! site here, which counts every fetch; a fifth of the missing companies have a broken source
//! and get a placeholder.
//!
//! Printed: page views, report requests, messages enqueued, worker fetches, placeholders,
//! reports sent for a company after its set was stored, how long 404s go on per missing
//! company, and the time from a company's first 404 to its logo being served (p50/p95).
//! Targets: <= 1 report per page view, messages <= 1.1x the distinct missing companies,
//! fetches == distinct missing companies, 0 reports after stored, p95 404->served < 1 s.
//!
//! `cargo bench -p logofill-dev --bench amplification` (`make bench-amplification`);
//! `LOGOFILL_BENCH_PAGE_VIEWS` and `LOGOFILL_BENCH_BROWSERS` override the defaults.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use logofill_core::store::{LogoStore, StoredObject};
use logofill_dev::FolderStore;
use logofill_dev::{start, DevOptions};

const COMPANIES: usize = 5_000;
const MISSING_EVERY: usize = 10; // 10% of companies have no stored logo
const BROKEN_EVERY: usize = 5; // of those, a fifth have a source that 404s
const LOGOS_PER_PAGE: usize = 10;
const RETURNING_SHARE: f64 = 0.3;
const SESSION_BOUND: usize = 500; // as the snippet's sessionStorage bound
const ZIPF_S: f64 = 1.0;

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

struct Zipf {
    cdf: Vec<f64>,
}
impl Zipf {
    fn new(n: usize, s: f64) -> Self {
        let mut cdf = Vec::with_capacity(n);
        let mut total = 0.0;
        for k in 1..=n {
            total += 1.0 / (k as f64).powf(s);
            cdf.push(total);
        }
        for c in &mut cdf {
            *c /= total;
        }
        Zipf { cdf }
    }
    fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.cdf.partition_point(|&c| c < u).min(self.cdf.len() - 1)
    }
}

/// Popularity rank -> company index, shuffled so missing companies have every popularity.
fn permutation(n: usize, rng: &mut Rng) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        p.swap(i, (rng.next() % (i as u64 + 1)) as usize);
    }
    p
}

fn id(i: usize) -> String {
    format!("c{i:04}")
}

#[derive(Default)]
struct Trace {
    /// company -> (first 404 seen, last 404 seen)
    not_found: HashMap<String, (SystemTime, SystemTime)>,
    /// (report sent at, ids, 404 observed at)
    reports: Vec<(SystemTime, Vec<String>)>,
    max_reports_per_view: usize,
    /// 404 GETs started after the company's set was stored are checked at the end.
    gets_404: Vec<(String, SystemTime)>,
}

#[derive(Clone)]
struct Fixture {
    hits: Arc<Mutex<HashMap<String, u64>>>,
}

async fn source(State(f): State<Fixture>, UrlPath(file): UrlPath<String>) -> impl IntoResponse {
    let id = file.trim_end_matches(".svg").to_string();
    *f.hits.lock().unwrap().entry(id.clone()).or_default() += 1;
    let n: usize = id[1..].parse().unwrap_or(0);
    if (n / MISSING_EVERY) % BROKEN_EVERY == 0 {
        return (
            StatusCode::NOT_FOUND,
            [("content-type", "text/plain")],
            String::new(),
        );
    }
    let hue = (n * 47) % 360;
    (
        StatusCode::OK,
        [("content-type", "image/svg+xml")],
        format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 60"><rect width="120" height="60" rx="8" fill="hsl({hue},60%,45%)"/><circle cx="30" cy="30" r="18" fill="#fff"/></svg>"##
        ),
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let page_views: u64 = std::env::var("LOGOFILL_BENCH_PAGE_VIEWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let browsers: usize = std::env::var("LOGOFILL_BENCH_BROWSERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(page_views, browsers));
}

async fn run(page_views: u64, browsers: usize) {
    // The logo sources.
    let fixture = Fixture {
        hits: Arc::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let fixture_addr = listener.local_addr().unwrap();
    let fixture_origin = format!("http://{fixture_addr}");
    let app = Router::new()
        .route("/src/{file}", get(source))
        .with_state(fixture.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });

    // The directory and the bucket: 90% of the companies already have their set.
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let companies: String = (0..COMPANIES)
        .map(|i| {
            format!(
                "{{\"id\":\"{}\",\"name\":\"Company {i}\",\"logo_url\":\"{fixture_origin}/src/{}.svg\"}}\n",
                id(i),
                id(i)
            )
        })
        .collect();
    let bucket =
        std::env::temp_dir().join(format!("logofill-amplification-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&bucket);
    let store = FolderStore::new(&bucket);
    let missing: HashSet<String> = (0..COMPANIES)
        .filter(|i| i % MISSING_EVERY == 0)
        .map(id)
        .collect();
    for i in (0..COMPANIES).filter(|i| i % MISSING_EVERY != 0) {
        for key in ["128.webp", "256.png"] {
            let (size, ext) = key.split_once('.').unwrap();
            store
                .put(StoredObject {
                    key: format!("logos/{}/{size}.{ext}", id(i)),
                    bytes: b"seeded".to_vec(),
                    content_type: format!("image/{ext}"),
                    cache_control: "public, max-age=86400".into(),
                    metadata: BTreeMap::from([("kind".to_string(), "logo".to_string())]),
                })
                .await
                .unwrap();
        }
    }

    let dev = start(DevOptions {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        bucket_dir: bucket.clone(),
        companies: Some(companies),
        extra_loopback_sources: vec![fixture_addr],
        ..DevOptions::default()
    })
    .await
    .expect("dev stack starts");
    let origin = dev.origin.clone();

    let zipf = Arc::new(Zipf::new(COMPANIES, ZIPF_S));
    let ranked = Arc::new(permutation(COMPANIES, &mut rng));
    let trace = Arc::new(Mutex::new(Trace::default()));
    let sessions: Arc<Mutex<Vec<HashSet<String>>>> = Arc::default();
    let next_view = Arc::new(AtomicU64::new(0));
    let report_requests = Arc::new(AtomicU64::new(0));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(browsers)
        .build()
        .unwrap();

    let started = Instant::now();
    let mut tasks = Vec::new();
    for b in 0..browsers {
        let (zipf, ranked, trace, sessions, next_view, report_requests, client, origin) = (
            zipf.clone(),
            ranked.clone(),
            trace.clone(),
            sessions.clone(),
            next_view.clone(),
            report_requests.clone(),
            client.clone(),
            origin.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((b as u64 + 1) * 0x1000_0001));
            loop {
                let view = next_view.fetch_add(1, Ordering::Relaxed);
                if view >= page_views {
                    return;
                }
                // A returning session brings the ids it already reported.
                let returning = {
                    let s = sessions.lock().unwrap();
                    !s.is_empty() && rng.unit() < RETURNING_SHARE
                };
                let (slot, mut reported) = if returning {
                    let mut s = sessions.lock().unwrap();
                    let i = (rng.next() % s.len() as u64) as usize;
                    (Some(i), std::mem::take(&mut s[i]))
                } else {
                    (None, HashSet::new())
                };
                let mut page: Vec<usize> = Vec::with_capacity(LOGOS_PER_PAGE);
                while page.len() < LOGOS_PER_PAGE {
                    let c = ranked[zipf.sample(&mut rng)];
                    if !page.contains(&c) {
                        page.push(c);
                    }
                }
                let mut to_report = Vec::new();
                for c in page {
                    let company = id(c);
                    let asked = SystemTime::now();
                    let status = client
                        .get(format!("{origin}/logos/{company}/128.webp"))
                        .send()
                        .await
                        .expect("GET logo")
                        .status();
                    if status == reqwest::StatusCode::NOT_FOUND {
                        let mut t = trace.lock().unwrap();
                        let e = t.not_found.entry(company.clone()).or_insert((asked, asked));
                        e.1 = asked;
                        t.gets_404.push((company.clone(), asked));
                        drop(t);
                        if !reported.contains(&company) {
                            to_report.push(company);
                        }
                    }
                }
                if !to_report.is_empty() {
                    let sent = SystemTime::now();
                    let body = serde_json::json!({ "company_ids": to_report }).to_string();
                    let res = client
                        .post(format!("{origin}/logo-misses"))
                        .header("content-type", "text/plain;charset=UTF-8")
                        .header("origin", &origin)
                        .body(body)
                        .send()
                        .await
                        .expect("POST report");
                    assert_eq!(res.status(), reqwest::StatusCode::ACCEPTED);
                    report_requests.fetch_add(1, Ordering::Relaxed);
                    for company in &to_report {
                        if reported.len() < SESSION_BOUND {
                            reported.insert(company.clone());
                        }
                    }
                    let mut t = trace.lock().unwrap();
                    t.max_reports_per_view = t.max_reports_per_view.max(1);
                    t.reports.push((sent, to_report));
                }
                let mut s = sessions.lock().unwrap();
                match slot {
                    Some(i) => s[i] = reported,
                    None if s.len() < 20_000 => s.push(reported),
                    None => {
                        let i = (rng.next() % s.len() as u64) as usize;
                        s[i] = reported;
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let trace_elapsed = started.elapsed();

    // Let the worker finish what is queued.
    let queue = loop {
        let q: serde_json::Value = client
            .get(format!("{origin}/dev/queue"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let busy = q["queued"].as_array().unwrap().len() + q["in_flight"].as_array().unwrap().len();
        if busy == 0 {
            break q;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    dev.stop().await.unwrap();

    let trace = trace.lock().unwrap();
    let hits = fixture.hits.lock().unwrap();
    let distinct_missing = trace.not_found.len();
    let messages = queue["sent_total"].as_u64().unwrap();
    let dead_letter = queue["dead_letter"].as_array().unwrap().len();
    let fetches: u64 = hits.values().sum();
    let fetched_twice = hits.values().filter(|&&n| n > 1).count();
    let unexpected_fetches = hits.keys().filter(|k| !missing.contains(*k)).count();

    let mut stored_at: HashMap<&str, SystemTime> = HashMap::new();
    let mut placeholders = 0;
    let mut never_stored = 0;
    for company in trace.not_found.keys() {
        let key = format!("logos/{company}/256.png");
        match store.read(&key).unwrap() {
            Some((_, head)) => {
                if head.metadata.get("kind").map(String::as_str) == Some("placeholder") {
                    placeholders += 1;
                }
                let path = store.path_of(&key).unwrap();
                stored_at.insert(company, modified(&path));
            }
            None => never_stored += 1,
        }
    }
    let reports_after_stored = trace
        .reports
        .iter()
        .flat_map(|(sent, ids)| ids.iter().map(move |i| (sent, i)))
        .filter(|(sent, company)| {
            stored_at
                .get(company.as_str())
                .is_some_and(|stored| *sent > stored)
        })
        .count();
    let gets_404_after_stored = trace
        .gets_404
        .iter()
        .filter(|(company, asked)| {
            stored_at
                .get(company.as_str())
                .is_some_and(|stored| asked > stored)
        })
        .count();
    let mut to_served: Vec<Duration> = Vec::new();
    let mut until_404s_stop: Vec<Duration> = Vec::new();
    for (company, (first, last)) in &trace.not_found {
        if let Some(stored) = stored_at.get(company.as_str()) {
            to_served.push(stored.duration_since(*first).unwrap_or_default());
        }
        until_404s_stop.push(last.duration_since(*first).unwrap_or_default());
    }
    to_served.sort();
    until_404s_stop.sort();

    let views = page_views as f64;
    let reports = report_requests.load(Ordering::Relaxed);
    println!("amplification: logofill dev, {browsers} simulated browsers, {page_views} page views, {COMPANIES} companies (Zipf s={ZIPF_S}), {}% missing, {LOGOS_PER_PAGE} logos/page, {}% returning sessions", 100 / MISSING_EVERY, (RETURNING_SHARE * 100.0) as u32);
    println!(
        "  trace wall time                      {:.1} s ({:.0} page views/s, {:.0} logo GETs/s)",
        trace_elapsed.as_secs_f64(),
        views / trace_elapsed.as_secs_f64(),
        views * LOGOS_PER_PAGE as f64 / trace_elapsed.as_secs_f64()
    );
    println!(
        "  distinct missing companies seen      {distinct_missing} (of {} missing)",
        missing.len()
    );
    println!("  report requests                      {reports} ({:.4} per page view; max per view {}; target <= 1)", reports as f64 / views, trace.max_reports_per_view);
    println!("  messages enqueued                    {messages} ({:.3}x distinct missing; target <= 1.1x)", messages as f64 / distinct_missing.max(1) as f64);
    println!("  worker fetches                       {fetches} (companies fetched twice: {fetched_twice}; not missing but fetched: {unexpected_fetches}; target == distinct missing)");
    println!("  placeholders stored                  {placeholders} (broken sources); never stored: {never_stored}; dead-letter: {dead_letter}");
    println!("  reports for a company after its set was stored  {gets_404_after_stored} (target 0: no 404 was answered after the set was stored)");
    println!("  reports racing the store                         {reports_after_stored} (404 seen before the set was stored, report sent just after; the report cache drops them)");
    println!(
        "  404s go on after the first one       p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms",
        ms(percentile(&until_404s_stop, 0.5)),
        ms(percentile(&until_404s_stop, 0.95)),
        ms(percentile(&until_404s_stop, 1.0))
    );
    println!("  first 404 -> logo served             p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms (target p95 < 1000 ms)", ms(percentile(&to_served, 0.5)), ms(percentile(&to_served, 0.95)), ms(percentile(&to_served, 1.0)));
    let _ = std::fs::remove_dir_all(&bucket);
}

fn modified(path: &Path) -> SystemTime {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

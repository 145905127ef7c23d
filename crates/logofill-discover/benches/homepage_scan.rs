//! Time and peak allocation of scanning each hostile homepage class (tests/util/hostile.rs):
//! the whole input, and the 1 MiB prefix discovery actually reads. Numbers for the notes, not
//! a timed test: `cargo bench -p logofill-discover --bench homepage_scan`.

#[path = "../tests/util/hostile.rs"]
mod hostile;

#[path = "../tests/util/counting.rs"]
mod counting;

use std::time::Duration;

use logofill_discover::{scan_homepage, DEFAULT_MAX_CONSIDERED, DEFAULT_MAX_HTML_BYTES};

/// (candidates found, fastest of `rounds`, peak bytes allocated by the scan).
fn measure(html: &[u8], rounds: usize) -> (usize, Duration, usize) {
    let page = url::Url::parse("https://acme.example/").unwrap();
    let mut best = Duration::MAX;
    let mut found = 0;
    let mut peak = 0;
    for _ in 0..rounds {
        let (n, bytes, elapsed) = counting::measured(|| {
            let scan = scan_homepage(html, &page, DEFAULT_MAX_CONSIDERED);
            scan.candidates.len() + scan.not_considered
        });
        best = best.min(elapsed);
        found = n;
        peak = bytes;
    }
    (found, best, peak)
}

fn main() {
    let rounds = 3;
    println!("homepage_scan (lol_html), fastest of {rounds}, peak allocation above the input");
    println!(
        "{:<28} {:>10} {:>10} {:>10} | {:>10} {:>10}",
        "class", "bytes", "whole ms", "whole MiB", "1 MiB ms", "1 MiB MiB"
    );
    for (class, html) in hostile::homepage_classes() {
        let (_, whole_t, whole_m) = measure(&html, rounds);
        let prefix = &html[..html.len().min(DEFAULT_MAX_HTML_BYTES as usize)];
        let (found, pre_t, pre_m) = measure(prefix, rounds);
        println!(
            "{class:<28} {:>10} {:>10.1} {:>10.2} | {:>10.1} {:>10.2}   ({found} icons declared in the prefix)",
            html.len(),
            whole_t.as_secs_f64() * 1000.0,
            whole_m as f64 / (1024.0 * 1024.0),
            pre_t.as_secs_f64() * 1000.0,
            pre_m as f64 / (1024.0 * 1024.0),
        );
    }
}

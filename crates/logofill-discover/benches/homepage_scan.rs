//! Time and peak allocation of scanning each hostile homepage class (tests/util/hostile.rs):
//! the whole input, and the 1 MiB prefix discovery actually reads. Numbers for the notes, not
//! a timed test: `cargo bench -p logofill-fetch --bench homepage_scan`.

#[path = "../tests/util/hostile.rs"]
mod hostile;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use logofill_discover::{scan_homepage, DEFAULT_MAX_CONSIDERED, DEFAULT_MAX_HTML_BYTES};

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

fn track(delta: isize) {
    let now = LIVE.fetch_add(delta, Ordering::Relaxed) + delta;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            track(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        track(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            track(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// (candidates found, fastest of `rounds`, peak bytes above the input).
fn measure(html: &[u8], rounds: usize) -> (usize, Duration, isize) {
    let page = url::Url::parse("https://acme.example/").unwrap();
    let mut best = Duration::MAX;
    let mut found = 0;
    let mut peak = 0;
    for _ in 0..rounds {
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let started = Instant::now();
        let scan = scan_homepage(html, &page, DEFAULT_MAX_CONSIDERED);
        best = best.min(started.elapsed());
        found = scan.candidates.len() + scan.not_considered;
        drop(scan);
        peak = PEAK.load(Ordering::Relaxed) - base;
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

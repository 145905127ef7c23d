//! Homepage and manifest bytes -> candidates: any input must give a bounded list, never a
//! panic, a hang (libFuzzer's `-timeout` per input) or a large allocation (`-malloc_limit_mb`).
//!
//! Every input is read both ways, as the homepage it could be (scan, then order as discovery
//! does) and as a web app manifest, with small limits so the caps are hit often.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logofill_discover::search::order;
use logofill_discover::{
    scan_homepage, scan_manifest, Source, MAX_CANDIDATE_URL_BYTES, MAX_INLINE_SOURCE_BYTES,
};
use url::Url;

const CONSIDERED: usize = 16;
const MANIFEST_ICONS: usize = 8;

fuzz_target!(|data: &[u8]| {
    let page = Url::parse("https://acme.example/about/index.html").unwrap();
    let scan = scan_homepage(data, &page, CONSIDERED);
    assert!(scan.candidates.len() <= CONSIDERED);
    for c in &scan.candidates {
        match &c.source {
            // A kept URL is one the fetcher can be handed: parsed, and not absurdly long
            // (resolution against the page or <base> can add at most their length).
            Source::Url(url) => {
                assert!(Url::parse(url).is_ok(), "{url}");
                assert!(url.len() <= 7 * MAX_CANDIDATE_URL_BYTES, "{} bytes", url.len());
            }
            Source::Data { bytes, .. } | Source::InlineSvg(bytes) => {
                assert!(bytes.len() <= MAX_INLINE_SOURCE_BYTES + 64, "{} bytes", bytes.len());
            }
        }
    }
    let ordered = order(scan.candidates, Some(&page));
    assert!(ordered.len() <= CONSIDERED + 2);

    let manifest = Url::parse("https://acme.example/app/manifest.json").unwrap();
    let (icons, _skipped) = scan_manifest(data, &manifest, 256 * 1024, MANIFEST_ICONS);
    assert!(icons.len() <= MANIFEST_ICONS);
});

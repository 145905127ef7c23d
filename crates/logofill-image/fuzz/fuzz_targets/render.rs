//! Bytes -> variants: any input must give a set or an ImageError, never a panic, hang or
//! unbounded allocation.
//!
//! libFuzzer's panic hook aborts before `Pipeline::render` can catch an unwind, so every panic is
//! a crash here, with one exception: panics raised inside the `image-webp` decoder, which has
//! known out-of-bounds slicing on malformed animations (kept as regression tests in
//! `tests/fuzz_regressions.rs`, where `Pipeline::render` must turn them into a permanent error).
//! Those are let through to the pipeline's `catch_unwind`, so the fuzzer keeps searching for
//! anything else instead of stopping on the same known decoder bug.
#![no_main]

use std::sync::{Once, OnceLock};

use libfuzzer_sys::fuzz_target;
use logofill_image::{Pipeline, PipelineLimits, PipelineOptions, TrimOptions};

fn pipelines() -> &'static [Pipeline; 2] {
    static P: OnceLock<[Pipeline; 2]> = OnceLock::new();
    P.get_or_init(|| {
        // Default limits except pixels, so one execution stays fast; small sizes for the same
        // reason. The second pipeline exercises trim.
        let limits = PipelineLimits { max_pixels: 4_000_000, ..PipelineLimits::default() };
        let base = PipelineOptions { sizes: vec![16, 48], limits, ..PipelineOptions::default() };
        [
            Pipeline::new(base.clone()).unwrap(),
            Pipeline::new(PipelineOptions { trim: Some(TrimOptions::default()), ..base }).unwrap(),
        ]
    })
}

/// Source files whose panics `Pipeline::render` is trusted to contain (see the module comment).
const CONTAINED_PANIC_SOURCES: &[&str] = &["/image-webp-"];

fn contain_known_decoder_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let aborting = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let file = info.location().map(|l| l.file()).unwrap_or("");
            if CONTAINED_PANIC_SOURCES.iter().any(|s| file.contains(s)) {
                return;
            }
            aborting(info);
        }));
    });
}

fuzz_target!(|data: &[u8]| {
    contain_known_decoder_panics();
    let [plain, trim] = pipelines();
    let p = if data.first().is_some_and(|b| b & 1 == 1) && data.len() > 64 { trim } else { plain };
    if let Ok(set) = p.render("fuzz", data) {
        assert_eq!(set.variants.len(), 4);
    }
});

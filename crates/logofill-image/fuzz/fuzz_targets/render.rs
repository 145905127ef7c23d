//! Bytes -> variants: any input must give a set or an ImageError, never a panic, hang or
//! unbounded allocation. libFuzzer's panic hook aborts before `Pipeline::render` can catch the
//! unwind, so decoder panics are reported as crashes here.
#![no_main]

use std::sync::OnceLock;

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

fuzz_target!(|data: &[u8]| {
    let [plain, trim] = pipelines();
    let p = if data.first().is_some_and(|b| b & 1 == 1) && data.len() > 64 { trim } else { plain };
    if let Ok(set) = p.render("fuzz", data) {
        assert_eq!(set.variants.len(), 4);
    }
});

//! SVG source -> variants: any document must give a set or an ImageError within the per-input
//! timeout (`run.sh` passes `-timeout=10`), never a panic, a stack overflow or an unbounded
//! allocation. The `render` target sees SVG only among every other format; this one spends all
//! its time on the SVG checks (DTD entities, `<use>` fan-out, CSS, filters, text, embedded
//! rasters), starting from the seeds in `seeds-svg/`.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use logofill_image::{Pipeline, PipelineOptions};

fn pipeline() -> &'static Pipeline {
    static P: OnceLock<Pipeline> = OnceLock::new();
    // Default limits: they are what production runs with. Small sizes keep executions fast.
    P.get_or_init(|| {
        Pipeline::new(PipelineOptions { sizes: vec![16, 48], ..PipelineOptions::default() })
            .unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(set) = pipeline().render("fuzz.svg", data) {
        assert_eq!(set.variants.len(), 4);
    }
});

//! A decompression bomb is refused from its header, fast, without allocating the image. This
//! test binary counts allocations with its own global allocator, so it lives alone.

use std::sync::atomic::Ordering;
use std::time::Instant;

use logofill_image::{ImageError, Pipeline, PipelineOptions};

#[path = "util/bomb.rs"]
mod bomb_png;
use bomb_png::{deflate_zero_rows, png_bomb, png_rgb8};

#[path = "util/counting.rs"]
mod counting;
use counting::{CURRENT, PEAK};

#[test]
fn png_bomb_is_refused_from_its_header() {
    let bomb = png_bomb();
    assert!(bomb.len() < 8 * 1024 * 1024, "bomb is {} bytes", bomb.len());
    let pipeline = Pipeline::new(PipelineOptions::default()).unwrap();

    let before = CURRENT.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let start = Instant::now();
    let e = pipeline.render("logo.png", &bomb).unwrap_err();
    let elapsed = start.elapsed();
    let peak = PEAK.load(Ordering::SeqCst) - before;

    assert_eq!(
        e.to_string(),
        "logo.png is 20000x20000 = 400 megapixels, over the 16 megapixel limit"
    );
    assert!(matches!(e, ImageError::TooManyPixels { .. }) && !e.is_retryable());
    assert!(peak < 64 * 1024, "refusing the bomb allocated {peak} bytes");
    // Generous for debug builds on a busy machine; the release figure is in the bench report.
    assert!(elapsed.as_millis() < 50, "refusal took {elapsed:?}");
}

#[test]
fn bomb_stream_is_a_valid_png() {
    // The bomb must be a real image, not just a lying header: a small one built the same way
    // decodes to the declared size.
    let row = vec![0u8; 1 + 300 * 3];
    let png = png_rgb8(300, 200, &deflate_zero_rows(&row, 200));
    let img = image::load_from_memory(&png).expect("valid PNG");
    assert_eq!((img.width(), img.height()), (300, 200));
}

#[test]
fn webp_frame_larger_than_its_canvas_is_refused_without_allocating_it() {
    // 332 bytes found by the fuzz target: a 24x16 canvas, a VP8 frame header of 16383x16383.
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/fuzz-webp-vp8-larger-than-canvas.webp"
    ))
    .unwrap();
    let pipeline = Pipeline::new(PipelineOptions::default()).unwrap();
    let before = CURRENT.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let e = pipeline.render("oom.webp", &bytes).unwrap_err();
    let peak = PEAK.load(Ordering::SeqCst) - before;
    assert!(matches!(e, ImageError::Corrupt { .. }), "{e}");
    assert!(peak < 64 * 1024, "refusing it allocated {peak} bytes");
}

//! Inputs the fuzz target (`fuzz/`) found crashing, kept so they stay handled.

mod util;

use logofill_image::ImageError;
use util::*;

/// Renders a fixture the way the fuzz target does and returns its error, which must say the
/// WebP is corrupt and be permanent (the worker stores a placeholder, never retries).
#[track_caller]
fn corrupt_webp(fixture_name: &str, name: &str) -> String {
    let e = pipeline_with(&[16, 48])
        .render(name, &fixture(fixture_name))
        .unwrap_err();
    assert!(
        matches!(e, ImageError::Corrupt { format: "WebP", .. }),
        "{e:?}"
    );
    assert!(!e.is_retryable());
    e.to_string()
}

/// Animated WebP whose VP8 frame (84x12) is wider than its animation frame (20x12), so its
/// ALPH data is short for it: image-webp 0.2.4 indexes past the alpha buffer and panics
/// (decoder.rs:858). Now refused from its chunks before the decoder runs.
#[test]
fn webp_animation_with_short_alpha_is_corrupt_not_a_panic() {
    assert_eq!(
        corrupt_webp("fuzz-webp-anim-short-alpha.webp", "crash.webp"),
        "crash.webp is not a valid WebP: its VP8 frame declares 84x12, larger than its 20x12 \
         animation frame"
    );
}

/// Animated WebP frame whose VP8 data leaves the chroma planes empty: image-webp 0.2.4 slices
/// past them (yuv.rs:90) and panics. `Pipeline::render` must turn that into a permanent
/// "corrupt" error instead of unwinding into the worker.
#[test]
fn webp_animation_with_empty_chroma_is_corrupt_not_a_panic() {
    let e = corrupt_webp("fuzz-webp-anim-empty-chroma.webp", "crash2.webp");
    assert!(
        e.starts_with("crash2.webp is not a valid WebP: decoder failed"),
        "{e}"
    );
}

/// Extended WebP with a 24x16 canvas whose VP8 frame header declares 16383x16383 (332 bytes):
/// image-webp 0.2.4 allocates the frame's planes from that header, 256 MiB, before it compares
/// the frame with the canvas. It must be refused from its chunks, as a corrupt image.
#[test]
fn webp_frame_larger_than_its_canvas_is_refused_before_decoding() {
    assert_eq!(
        corrupt_webp("fuzz-webp-vp8-larger-than-canvas.webp", "oom.webp"),
        "oom.webp is not a valid WebP: its VP8 frame declares 16383x16383, larger than its \
         24x16 canvas"
    );
}

/// Animated WebP whose first frame has an ALPH chunk followed by a chunk named "VP0 " holding a
/// VP8 header of 16383x16383: image-webp 0.2.4 decodes whatever follows ALPH as VP8, so it
/// allocated 256 MiB for a 20x12 frame. Refused from its chunks.
#[test]
fn webp_frame_after_alpha_is_checked_whatever_its_chunk_name() {
    assert_eq!(
        corrupt_webp("fuzz-webp-anim-vp8-after-alpha.webp", "oom2.webp"),
        "oom2.webp is not a valid WebP: its VP8 frame declares 16383x16383, larger than its \
         20x12 animation frame"
    );
}

/// Documents the `svg` fuzz target found panicking (a DOCTYPE followed by multi-byte
/// characters made the entity scan slice inside a character). Each must now give a set or a
/// permanent error.
#[test]
fn svg_fuzz_findings_give_a_result_not_a_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz-svg");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let result =
            std::panic::catch_unwind(|| pipeline_with(&[16, 48]).render("fuzz.svg", &bytes));
        let result = result.unwrap_or_else(|_| panic!("{} panicked", path.display()));
        if let Err(e) = result {
            assert!(!e.is_retryable(), "{}: {e}", path.display());
            assert!(
                !e.to_string().contains("decoder failed"),
                "{}: {e}",
                path.display()
            );
        }
        n += 1;
    }
    assert!(n > 0);
}

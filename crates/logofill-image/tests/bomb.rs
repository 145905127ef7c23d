//! A decompression bomb is refused from its header, fast, without allocating the image. This
//! test binary counts allocations with its own global allocator, so it lives alone.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use logofill_image::{ImageError, Pipeline, PipelineOptions};

#[path = "util/bomb.rs"]
mod bomb_png;
use bomb_png::{chunk, deflate_zero_rows, png_bomb};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
        PEAK.fetch_max(now, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

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
    assert!(matches!(e, ImageError::TooManyPixels { .. }) && e.is_permanent());
    assert!(peak < 64 * 1024, "refusing the bomb allocated {peak} bytes");
    // Generous for debug builds on a busy machine; the release figure is in the bench report.
    assert!(elapsed.as_millis() < 50, "refusal took {elapsed:?}");
}

#[test]
fn bomb_stream_is_a_valid_png() {
    // The bomb must be a real image, not just a lying header: a small one built the same way
    // decodes to the declared size.
    let row = vec![0u8; 1 + 300 * 3];
    let z = deflate_zero_rows(&row, 200);
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&300u32.to_be_bytes());
    ihdr.extend_from_slice(&200u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &z);
    chunk(&mut png, b"IEND", &[]);
    let img = image::load_from_memory(&png).expect("valid PNG");
    assert_eq!((img.width(), img.height()), (300, 200));
}

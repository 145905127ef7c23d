//! Micro-benchmarks of one render per input kind (`cargo bench -p logofill-image`). The
//! side-by-side comparison with sharp over a whole corpus is `bench/run.sh`.

use criterion::{criterion_group, criterion_main, Criterion};
use logofill_image::{ImageError, Pipeline, PipelineOptions};

#[path = "../tests/util/bomb.rs"]
mod bomb;

fn png_logo(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |x, y| {
        let inside = (x as i64 - w as i64 / 2).pow(2) + (y as i64 - h as i64 / 2).pow(2)
            < (h as i64 / 3).pow(2);
        if inside {
            image::Rgba([20, 90, 200, 255])
        } else {
            image::Rgba([0, 0, 0, 0])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn bench(c: &mut Criterion) {
    let pipeline = Pipeline::new(PipelineOptions::default()).unwrap();
    let png = png_logo(512, 256);
    c.bench_function("render png 512x256 logo", |b| {
        b.iter(|| pipeline.render("logo.png", &png).unwrap())
    });
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100"><circle cx="50" cy="50" r="40" fill="teal"/><text x="100" y="60" font-size="30">Acme</text></svg>"#;
    c.bench_function("render svg logo", |b| {
        b.iter(|| pipeline.render("logo.svg", svg).unwrap())
    });
    c.bench_function("placeholder", |b| {
        b.iter(|| pipeline.placeholder("acme-1", "Acme").unwrap())
    });
    // Target: a 20000x20000 PNG of about 1.2 MB is refused in at most 3 ms.
    let bomb = bomb::png_bomb();
    c.bench_function("refuse 20000x20000 png bomb", |b| {
        b.iter(|| {
            let e = pipeline.render("bomb.png", &bomb).unwrap_err();
            assert!(matches!(e, ImageError::TooManyPixels { .. }), "{e}");
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

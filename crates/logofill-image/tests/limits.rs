//! Every limit at its boundary (exactly at the limit passes, one over is refused), and every kind
//! of unusable input refused with a message naming the input and the limit.

mod util;

use logofill_image::{ImageError, Pipeline, PipelineLimits, PipelineOptions};
use util::*;

fn with_limits(limits: PipelineLimits) -> Pipeline {
    Pipeline::new(PipelineOptions {
        sizes: vec![64],
        limits,
        ..PipelineOptions::default()
    })
    .unwrap()
}

fn red_png(w: u32, h: u32) -> Vec<u8> {
    png_rgba(&rgba_image(w, h, |_, _| [255, 0, 0, 255]))
}

#[test]
fn defaults_match_the_design() {
    let l = PipelineLimits::default();
    assert_eq!(l.max_input_bytes, 10 * 1024 * 1024);
    assert_eq!(l.max_pixels, 16_000_000);
    assert!(
        l.max_decode_alloc >= 16_000_000 * 4,
        "a 16 MP RGBA image must fit"
    );
    assert!(
        l.max_decode_alloc <= 96 * 1024 * 1024,
        "leave room in a 128 MB Lambda"
    );
}

#[test]
fn input_bytes_boundary() {
    let bytes = red_png(10, 10);
    let n = bytes.len() as u64;
    let at = with_limits(PipelineLimits {
        max_input_bytes: n,
        ..PipelineLimits::default()
    });
    at.render("logo.png", &bytes).unwrap();
    let over = with_limits(PipelineLimits {
        max_input_bytes: n - 1,
        ..PipelineLimits::default()
    });
    let e = over.render("logo.png", &bytes).unwrap_err();
    assert!(matches!(e, ImageError::InputTooLarge { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        format!(
            "logo.png is {n} bytes, over the {} bytes input limit",
            n - 1
        )
    );
    assert!(!e.is_retryable());
}

#[test]
fn input_bytes_message_at_default_scale() {
    let bytes = vec![0u8; 10 * 1024 * 1024 + 1];
    let e = pipeline_with(&[64])
        .render("https://x/y.png", &bytes)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "https://x/y.png is 10 MiB (10485761 bytes), over the 10 MiB input limit"
    );
}

#[test]
fn pixel_boundary() {
    let bytes = red_png(100, 50);
    let at = with_limits(PipelineLimits {
        max_pixels: 5000,
        ..PipelineLimits::default()
    });
    at.render("logo.png", &bytes).unwrap();
    let over = with_limits(PipelineLimits {
        max_pixels: 4999,
        ..PipelineLimits::default()
    });
    let e = over.render("logo.png", &bytes).unwrap_err();
    assert!(
        matches!(
            e,
            ImageError::TooManyPixels {
                width: 100,
                height: 50,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().starts_with("logo.png is 100x50 = "), "{e}");
    assert!(!e.is_retryable());
}

/// The pixel limit is checked from the header for every raster format, not only PNG.
#[test]
fn pixel_boundary_every_raster_format() {
    let img = rgba_image(40, 25, |_, _| [0, 0, 255, 255]);
    for format in [
        image::ImageFormat::Jpeg,
        image::ImageFormat::Gif,
        image::ImageFormat::WebP,
        image::ImageFormat::Bmp,
    ] {
        let bytes = encode_with(&img, format);
        with_limits(PipelineLimits {
            max_pixels: 1000,
            ..PipelineLimits::default()
        })
        .render("x", &bytes)
        .unwrap_or_else(|e| panic!("{format:?} at the limit: {e}"));
        let e = with_limits(PipelineLimits {
            max_pixels: 999,
            ..PipelineLimits::default()
        })
        .render("x", &bytes)
        .unwrap_err();
        assert!(
            matches!(e, ImageError::TooManyPixels { .. }),
            "{format:?}: {e}"
        );
    }
    let ico_bytes = ico(&[(40, 25, png_rgba(&img))]);
    with_limits(PipelineLimits {
        max_pixels: 1000,
        ..PipelineLimits::default()
    })
    .render("x", &ico_bytes)
    .unwrap();
    let e = with_limits(PipelineLimits {
        max_pixels: 999,
        ..PipelineLimits::default()
    })
    .render("x", &ico_bytes)
    .unwrap_err();
    assert!(matches!(e, ImageError::TooManyPixels { .. }), "ico: {e}");
}

#[test]
fn default_pixel_limit_is_16_megapixels() {
    // Header-only PNGs: refused (or accepted) before the image data is looked at.
    let at = png_header_only(4000, 4000);
    let e = pipeline_with(&[64]).render("big.png", &at).unwrap_err();
    assert!(
        !matches!(e, ImageError::TooManyPixels { .. }),
        "4000x4000 is at the limit: {e}"
    );
    let over = png_header_only(4000, 4001);
    let e = pipeline_with(&[64]).render("big.png", &over).unwrap_err();
    assert_eq!(
        e.to_string(),
        "big.png is 4000x4001 = 16.004 megapixels, over the 16 megapixel limit"
    );
}

/// Signature, IHDR and a tiny IDAT: the header of a big image without its data.
fn png_header_only(w: u32, h: u32) -> Vec<u8> {
    util::bomb::png_rgb8(w, h, &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])
}

#[test]
fn decode_allocation_boundary() {
    // 100x50 RGBA decodes to 20,000 bytes.
    let bytes = red_png(100, 50);
    with_limits(PipelineLimits {
        max_decode_alloc: 20_000,
        ..PipelineLimits::default()
    })
    .render("logo.png", &bytes)
    .unwrap();
    let e = with_limits(PipelineLimits {
        max_decode_alloc: 19_999,
        ..PipelineLimits::default()
    })
    .render("logo.png", &bytes)
    .unwrap_err();
    assert!(
        matches!(
            e,
            ImageError::AllocationTooLarge {
                needed: Some(20_000),
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "logo.png needs 19.5 KiB to decode, over the 19.5 KiB decoder allocation limit"
    );
    assert!(!e.is_retryable());

    // JPEG: 40x25 RGB is 3,000 bytes of output (baseline: no coefficient buffer).
    let jpeg = encode_with(
        &rgba_image(40, 25, |_, _| [0, 0, 255, 255]),
        image::ImageFormat::Jpeg,
    );
    with_limits(PipelineLimits {
        max_decode_alloc: 3000,
        ..PipelineLimits::default()
    })
    .render("x.jpg", &jpeg)
    .unwrap();
    let e = with_limits(PipelineLimits {
        max_decode_alloc: 2999,
        ..PipelineLimits::default()
    })
    .render("x.jpg", &jpeg)
    .unwrap_err();
    assert!(matches!(e, ImageError::AllocationTooLarge { .. }), "{e}");
}

#[test]
fn progressive_jpeg_counts_its_coefficients() {
    // 64x32 progressive 4:2:0: 6,144 bytes of RGB + 2 * (2048 + 512 + 512) coefficient bytes.
    let jpeg = fixture("progressive.jpg");
    with_limits(PipelineLimits {
        max_decode_alloc: 6144 + 6144,
        ..PipelineLimits::default()
    })
    .render("p.jpg", &jpeg)
    .unwrap();
    let e = with_limits(PipelineLimits {
        max_decode_alloc: 6144 + 6143,
        ..PipelineLimits::default()
    })
    .render("p.jpg", &jpeg)
    .unwrap_err();
    assert!(matches!(e, ImageError::AllocationTooLarge { .. }), "{e}");
}

/// A WebP encoded by libwebp: lossy (simple VP8, or VP8X + ALPH + VP8 when `rgba` has
/// transparency) or lossless (VP8L).
fn webp_of(rgba: &image::RgbaImage, lossless: bool) -> Vec<u8> {
    let enc = webp::Encoder::from_rgba(rgba.as_raw(), rgba.width(), rgba.height());
    if lossless {
        enc.encode_lossless().to_vec()
    } else {
        enc.encode(80.0).to_vec()
    }
}

#[test]
fn webp_decode_cost_boundaries() {
    // 40x25 = 1,000 pixels; VP8 planes are whole macroblocks: 48x32 luma + two 24x16 chroma.
    let opaque = rgba_image(40, 25, |x, _| [x as u8 * 6, 90, 200, 255]);
    let alpha = rgba_image(40, 25, |x, _| {
        [x as u8 * 6, 90, 200, if x < 20 { 0 } else { 255 }]
    });
    for (label, bytes, kind, cost) in [
        // Simple lossy: RGB output and the planes.
        (
            "lossy",
            webp_of(&opaque, false),
            &b"VP8 "[..],
            3_000 + 2_304,
        ),
        // Lossy with alpha: RGBA output, the planes, and the alpha plane decoded as RGBA and then
        // taken to one byte a pixel.
        (
            "lossy+alpha",
            webp_of(&alpha, false),
            &b"VP8X"[..],
            4_000 + 2_304 + 5_000,
        ),
        // Lossless with alpha: decoded straight into the RGBA output.
        ("lossless+alpha", webp_of(&alpha, true), &b"VP8L"[..], 4_000),
    ] {
        assert_eq!(&bytes[12..16], kind, "{label}: encoded as expected");
        with_limits(PipelineLimits {
            max_decode_alloc: cost,
            ..PipelineLimits::default()
        })
        .render("w.webp", &bytes)
        .unwrap_or_else(|e| panic!("{label} at its cost of {cost} bytes: {e}"));
        let e = with_limits(PipelineLimits {
            max_decode_alloc: cost - 1,
            ..PipelineLimits::default()
        })
        .render("w.webp", &bytes)
        .unwrap_err();
        assert!(
            matches!(e, ImageError::AllocationTooLarge { needed: Some(n), .. } if n == cost),
            "{label}: {e}"
        );
    }
}

#[test]
fn a_16_megapixel_lossy_webp_with_alpha_is_refused_from_its_chunks() {
    // A small lossy WebP with alpha whose VP8X canvas is set to 4000x4000: decoding that canvas
    // would hold 64 MB of output, 24 MB of planes and 80 MB for the alpha plane.
    let alpha = rgba_image(40, 25, |x, _| {
        [x as u8 * 6, 90, 200, if x < 20 { 0 } else { 255 }]
    });
    let mut webp = webp_of(&alpha, false);
    assert_eq!(&webp[12..16], b"VP8X");
    webp[24..27].copy_from_slice(&3999u32.to_le_bytes()[..3]);
    webp[27..30].copy_from_slice(&3999u32.to_le_bytes()[..3]);
    let e = with_limits(PipelineLimits::default())
        .render("big.webp", &webp)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "big.webp needs 160.2 MiB to decode, over the 80 MiB decoder allocation limit"
    );
}

#[test]
fn svg_size_and_node_boundaries() {
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="red"/><circle r="2"/></svg>"#;
    let n = svg.len() as u64;
    with_limits(PipelineLimits {
        max_svg_bytes: n,
        ..PipelineLimits::default()
    })
    .render("l.svg", svg)
    .unwrap();
    let e = with_limits(PipelineLimits {
        max_svg_bytes: n - 1,
        ..PipelineLimits::default()
    })
    .render("l.svg", svg)
    .unwrap_err();
    assert!(matches!(e, ImageError::SvgTooLarge { .. }), "{e}");
    assert!(
        e.to_string()
            .contains(&format!("over the {} bytes SVG source limit", n - 1)),
        "{e}"
    );

    // Nodes: the document root, <svg>, <rect>, <circle>.
    with_limits(PipelineLimits {
        max_svg_nodes: 4,
        ..PipelineLimits::default()
    })
    .render("l.svg", svg)
    .unwrap();
    let e = with_limits(PipelineLimits {
        max_svg_nodes: 3,
        ..PipelineLimits::default()
    })
    .render("l.svg", svg)
    .unwrap_err();
    assert!(
        matches!(e, ImageError::SvgTooManyNodes { limit: 3, .. }),
        "{e}"
    );
    assert!(!e.is_retryable());
}

#[test]
fn billion_laughs_stops_at_the_node_limit() {
    let mut svg = String::from("<?xml version=\"1.0\"?><!DOCTYPE svg [<!ENTITY a0 \"<g/>\">");
    for i in 1..10 {
        let prev = format!("&a{};", i - 1);
        svg.push_str(&format!("<!ENTITY a{i} \"{}\">", prev.repeat(10)));
    }
    svg.push_str("]><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1 1\">&a9;</svg>");
    let e = pipeline_with(&[64])
        .render("lol.svg", svg.as_bytes())
        .unwrap_err();
    assert!(!e.is_retryable(), "{e}");
}

#[test]
fn degenerate_inputs_have_clear_errors() {
    let p = pipeline_with(&[64]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.png", vec![], "empty.png is empty (0 bytes)"),
        (
            "page.png",
            b"<!doctype html><html><body>404</body></html>".to_vec(),
            "page.png is not an image (it is an HTML page)",
        ),
        (
            "notes.png",
            b"just some text".to_vec(),
            "notes.png is not an image (it is text, not an image)",
        ),
        (
            "scan.tif",
            b"II*\0\x08\0\0\0\0\0".to_vec(),
            "scan.tif is TIFF, which logofill does not read",
        ),
        (
            "zero.png",
            png_header_only(0, 0),
            "zero.png has no pixels (0x0)",
        ),
        (
            "zero.svg",
            br#"<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0"/>"#.to_vec(),
            "zero.svg has no pixels",
        ),
        (
            "noise.bin",
            vec![0x13, 0x37, 0, 1, 2, 3, 4, 5, 6],
            "noise.bin is not an image (no known signature; starts with 13 37 00 01 02 03 04 05)",
        ),
    ];
    for (name, bytes, want) in cases {
        let e = p.render(name, &bytes).unwrap_err();
        assert!(e.to_string().starts_with(want), "{name}: got {e:?} / {e}");
        assert!(!e.is_retryable(), "{name}");
    }
}

#[test]
fn truncated_inputs_are_refused_not_padded() {
    let p = pipeline_with(&[64]);
    let png = red_png(64, 64);
    let e = p.render("cut.png", &png[..png.len() / 2]).unwrap_err();
    assert!(
        matches!(e, ImageError::Truncated { .. } | ImageError::Corrupt { .. }),
        "{e}"
    );
    assert!(e.to_string().starts_with("cut.png is "), "{e}");
    let e = p.render("cut.png", &png[..20]).unwrap_err();
    assert!(!e.is_retryable(), "{e}");

    let gif = encode_with(
        &rgba_image(30, 30, |x, _| [x as u8 * 8, 0, 0, 255]),
        image::ImageFormat::Gif,
    );
    let e = p.render("cut.gif", &gif[..gif.len() / 2]).unwrap_err();
    assert!(
        !e.is_retryable() && e.to_string().starts_with("cut.gif is "),
        "{e}"
    );

    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" "#;
    let e = p.render("cut.svg", svg).unwrap_err();
    assert!(
        matches!(e, ImageError::Truncated { .. } | ImageError::Corrupt { .. }),
        "{e}"
    );
}

#[test]
fn invalid_options_are_not_permanent_source_errors() {
    for sizes in [vec![], vec![0], vec![64, 100_000]] {
        let e = Pipeline::new(PipelineOptions {
            sizes,
            ..PipelineOptions::default()
        })
        .unwrap_err();
        assert!(matches!(e, ImageError::InvalidOptions(_)), "{e}");
        assert!(e.is_retryable());
    }
    let p = Pipeline::new(PipelineOptions {
        sizes: vec![256, 64, 64, 128],
        ..PipelineOptions::default()
    })
    .unwrap();
    assert_eq!(p.options().sizes, vec![64, 128, 256]);
}

//! One test per input format and variant of it: the right pixels come out, at every size, as
//! PNG and WebP, with the provenance the metadata needs.

mod util;

use image::RgbaImage;
use logofill_image::{LogoKind, OutputFormat, SourceFormat, PIPELINE_VERSION};
use util::*;

const RED: [u8; 4] = [255, 0, 0, 255];
const GREEN: [u8; 4] = [0, 255, 0, 255];
const BLUE: [u8; 4] = [0, 0, 255, 255];
const CLEAR: [u8; 4] = [0, 0, 0, 0];

fn solid(w: u32, h: u32, c: [u8; 4]) -> RgbaImage {
    rgba_image(w, h, |_, _| c)
}

/// Renders at the default sizes and checks the whole set; returns the 64px PNG decoded.
fn check_set(bytes: &[u8], format: SourceFormat, dims: (u32, u32)) -> RgbaImage {
    let set = pipeline_with(&[64, 128, 256])
        .render("fixture", bytes)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(set.kind, LogoKind::Logo);
    let src = set.provenance.source.as_ref().unwrap();
    assert_eq!(src.format, format);
    assert_eq!((src.width, src.height), dims);
    assert_eq!(src.sha256.len(), 64);
    assert_eq!(set.provenance.pipeline_version, PIPELINE_VERSION);
    assert_default_variant_order(&set);
    for v in &set.variants {
        assert!(v.bytes.starts_with(match v.format {
            OutputFormat::Png => b"\x89PNG".as_slice(),
            OutputFormat::Webp => b"RIFF".as_slice(),
        }));
        let img = decode_output(&v.bytes);
        assert_eq!(
            (img.width(), img.height()),
            (v.size, v.size),
            "{:?}",
            v.format
        );
    }
    decode_output(variant(&set, 64, OutputFormat::Png))
}

#[test]
fn png_rgba_8bit() {
    let img = check_set(&png_rgba(&solid(40, 40, RED)), SourceFormat::Png, (40, 40));
    assert!(near(at(&img, 32, 32), RED, 0));
    assert!(near(at(&img, 0, 0), RED, 0));
}

#[test]
fn png_rgb_16bit() {
    // 16-bit samples 0xFFFF, 0x8080, 0x0000: stripped to 255, 128, 0.
    let data: Vec<u8> = (0..20 * 10)
        .flat_map(|_| [0xFF, 0xFF, 0x80, 0x80, 0, 0])
        .collect();
    let bytes = png_raw(
        20,
        10,
        png::ColorType::Rgb,
        png::BitDepth::Sixteen,
        &data,
        None,
        None,
    );
    let img = check_set(&bytes, SourceFormat::Png, (20, 10));
    assert!(
        near(at(&img, 32, 32), [255, 128, 0, 255], 1),
        "{:?}",
        at(&img, 32, 32)
    );
    assert_eq!(
        at(&img, 32, 4)[3],
        0,
        "2:1 image leaves transparent bands above and below"
    );
}

#[test]
fn png_rgba_16bit() {
    let data: Vec<u8> = (0..16 * 16)
        .flat_map(|_| [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF])
        .collect();
    let bytes = png_raw(
        16,
        16,
        png::ColorType::Rgba,
        png::BitDepth::Sixteen,
        &data,
        None,
        None,
    );
    let img = check_set(&bytes, SourceFormat::Png, (16, 16));
    assert!(near(at(&img, 10, 10), BLUE, 0));
}

#[test]
fn png_palette_with_transparency() {
    // 2-bit palette: index 0 transparent, 1 red; left half clear, right half red.
    let mut data = Vec::new();
    for _ in 0..8 {
        data.extend_from_slice(&[0b0000_0000, 0b0101_0101]); // 4 pixels index 0, 4 pixels index 1
    }
    let bytes = png_raw(
        8,
        8,
        png::ColorType::Indexed,
        png::BitDepth::Two,
        &data,
        Some(&[0, 0, 0, 255, 0, 0]),
        Some(&[0]),
    );
    let img = check_set(&bytes, SourceFormat::Png, (8, 8));
    assert_eq!(at(&img, 5, 32)[3], 0);
    assert!(near(at(&img, 58, 32), RED, 0), "{:?}", at(&img, 58, 32));
}

#[test]
fn png_grey_and_grey_alpha() {
    let grey = png_raw(
        4,
        4,
        png::ColorType::Grayscale,
        png::BitDepth::Eight,
        &[200; 16],
        None,
        None,
    );
    let img = check_set(&grey, SourceFormat::Png, (4, 4));
    assert!(near(at(&img, 32, 32), [200, 200, 200, 255], 0));

    let data: Vec<u8> = (0..16).flat_map(|_| [50u8, 255]).collect();
    let ga = png_raw(
        4,
        4,
        png::ColorType::GrayscaleAlpha,
        png::BitDepth::Eight,
        &data,
        None,
        None,
    );
    let img = check_set(&ga, SourceFormat::Png, (4, 4));
    assert!(near(at(&img, 32, 32), [50, 50, 50, 255], 0));

    // 1-bit grey.
    let bits = png_raw(
        8,
        1,
        png::ColorType::Grayscale,
        png::BitDepth::One,
        &[0b1111_0000],
        None,
        None,
    );
    let img = render_png(&bits, 64);
    assert!(near(at(&img, 4, 32), [255, 255, 255, 255], 2));
    assert!(near(at(&img, 60, 32), [0, 0, 0, 255], 2));
}

#[test]
fn jpeg_baseline() {
    let bytes = encode_with(&solid(50, 25, GREEN), image::ImageFormat::Jpeg);
    let img = check_set(&bytes, SourceFormat::Jpeg, (50, 25));
    assert!(near(at(&img, 32, 32), GREEN, 6), "{:?}", at(&img, 32, 32));
}

#[test]
fn jpeg_progressive() {
    let img = check_set(&fixture("progressive.jpg"), SourceFormat::Jpeg, (64, 32));
    assert!(near(at(&img, 10, 32), RED, 12), "{:?}", at(&img, 10, 32));
    assert!(near(at(&img, 54, 32), BLUE, 12), "{:?}", at(&img, 54, 32));
}

#[test]
fn jpeg_cmyk() {
    // C=0 M=50% Y=100% K=0 is orange, whatever inversion convention the file uses.
    let img = check_set(&fixture("cmyk.jpg"), SourceFormat::Jpeg, (32, 32));
    assert!(
        near(at(&img, 32, 32), [255, 128, 0, 255], 20),
        "{:?}",
        at(&img, 32, 32)
    );
}

/// EXIF orientation 1-8 on a 60x30 JPEG whose top-left quadrant is red and the rest blue:
/// where the red quadrant must appear once displayed, and whether the image becomes tall.
#[test]
fn jpeg_exif_orientations() {
    let src = rgba_image(60, 30, |x, y| if x < 30 && y < 15 { RED } else { BLUE });
    let jpeg = encode_with(&src, image::ImageFormat::Jpeg);
    // (orientation, red quadrant as (right?, bottom?), tall?)
    let cases = [
        (1, (false, false), false),
        (2, (true, false), false),
        (3, (true, true), false),
        (4, (false, true), false),
        (5, (false, false), true),
        (6, (true, false), true),
        (7, (true, true), true),
        (8, (false, true), true),
    ];
    for (orientation, (right, bottom), tall) in cases {
        let bytes = with_exif_orientation(&jpeg, orientation);
        let set = pipeline_with(&[64]).render("exif.jpg", &bytes).unwrap();
        let dims = set
            .provenance
            .source
            .as_ref()
            .map(|s| (s.width, s.height))
            .unwrap();
        assert_eq!(
            dims,
            if tall { (30, 60) } else { (60, 30) },
            "orientation {orientation}"
        );
        let img = decode_output(variant(&set, 64, OutputFormat::Png));
        // Content box: 64x32 centred (wide) or 32x64 centred (tall).
        let (x0, y0, w, h) = if tall {
            (16, 0, 32, 64)
        } else {
            (0, 16, 64, 32)
        };
        assert_eq!(
            at(&img, if tall { 4 } else { 32 }, if tall { 32 } else { 4 })[3],
            0,
            "padding, orientation {orientation}"
        );
        for (qx, qy) in [(false, false), (true, false), (false, true), (true, true)] {
            let x = x0 + if qx { 3 * w / 4 } else { w / 4 };
            let y = y0 + if qy { 3 * h / 4 } else { h / 4 };
            let want = if (qx, qy) == (right, bottom) {
                RED
            } else {
                BLUE
            };
            assert!(
                near(at(&img, x, y), want, 40),
                "orientation {orientation}: quadrant ({qx},{qy}) is {:?}",
                at(&img, x, y)
            );
        }
    }
}

#[test]
fn gif_static_and_animated_first_frame() {
    let bytes = encode_with(&solid(10, 10, BLUE), image::ImageFormat::Gif);
    let img = check_set(&bytes, SourceFormat::Gif, (10, 10));
    assert!(near(at(&img, 32, 32), BLUE, 0));

    let mut out = Vec::new();
    {
        let mut enc = image::codecs::gif::GifEncoder::new(&mut out);
        for c in [RED, GREEN, BLUE] {
            enc.encode_frame(image::Frame::new(solid(12, 12, c)))
                .unwrap();
        }
    }
    let img = check_set(&out, SourceFormat::Gif, (12, 12));
    assert!(
        near(at(&img, 32, 32), RED, 0),
        "first frame: {:?}",
        at(&img, 32, 32)
    );
}

#[test]
fn webp_lossless_lossy_alpha_and_animated() {
    let half = rgba_image(20, 20, |x, _| if x < 10 { CLEAR } else { RED });
    let lossless = encode_with(&half, image::ImageFormat::WebP);
    let img = check_set(&lossless, SourceFormat::WebP, (20, 20));
    assert_eq!(at(&img, 5, 32)[3], 0);
    assert!(near(at(&img, 58, 32), RED, 0));

    let lossy = webp::Encoder::from_rgba(half.as_raw(), 20, 20)
        .encode(90.0)
        .to_vec();
    let img = check_set(&lossy, SourceFormat::WebP, (20, 20));
    assert_eq!(at(&img, 5, 32)[3], 0);
    assert!(near(at(&img, 58, 32), RED, 30), "{:?}", at(&img, 58, 32));

    let img = check_set(&fixture("animated.webp"), SourceFormat::WebP, (32, 32));
    assert!(
        near(at(&img, 32, 32), RED, 0),
        "first frame: {:?}",
        at(&img, 32, 32)
    );
}

#[test]
fn bmp() {
    let bytes = encode_with(&solid(30, 10, GREEN), image::ImageFormat::Bmp);
    let img = check_set(&bytes, SourceFormat::Bmp, (30, 10));
    assert!(near(at(&img, 32, 32), GREEN, 0));
}

#[test]
fn ico_largest_entry_is_used_bmp_and_png_entries() {
    // The largest (48x48 blue, BMP-encoded) sits between a 16px BMP and a 32px PNG entry.
    let entries = vec![
        (16, 16, ico_bmp_entry(&solid(16, 16, RED))),
        (48, 48, ico_bmp_entry(&solid(48, 48, BLUE))),
        (32, 32, png_rgba(&solid(32, 32, GREEN))),
    ];
    let img = check_set(&ico(&entries), SourceFormat::Ico, (48, 48));
    assert!(near(at(&img, 32, 32), BLUE, 0), "{:?}", at(&img, 32, 32));

    // The largest as PNG, listed first, stored as 256 ("0" in the directory).
    let entries = vec![
        (256, 256, png_rgba(&solid(256, 256, GREEN))),
        (16, 16, ico_bmp_entry(&solid(16, 16, RED))),
    ];
    let img = check_set(&ico(&entries), SourceFormat::Ico, (256, 256));
    assert!(near(at(&img, 32, 32), GREEN, 0));
}

#[test]
fn ico_png_entries_of_every_colour_type_decode() {
    // Grey, grey+alpha, RGB and palette PNG entries, which the `image` ICO decoder refuses
    // ("The PNG is not in RGBA format!") though browsers show them.
    let grey = png_raw(
        32,
        32,
        png::ColorType::Grayscale,
        png::BitDepth::Eight,
        &[200u8; 32 * 32],
        None,
        None,
    );
    let grey_alpha = png_raw(
        32,
        32,
        png::ColorType::GrayscaleAlpha,
        png::BitDepth::Eight,
        &[200u8, 255].repeat(32 * 32),
        None,
        None,
    );
    let rgb = png_raw(
        48,
        48,
        png::ColorType::Rgb,
        png::BitDepth::Eight,
        &[0u8, 0, 255].repeat(48 * 48),
        None,
        None,
    );
    let palette = png_raw(
        40,
        40,
        png::ColorType::Indexed,
        png::BitDepth::Eight,
        &[0u8; 40 * 40],
        Some(&[255, 0, 0]),
        None,
    );
    for (entry, (w, h), want) in [
        (grey, (32, 32), [200, 200, 200, 255]),
        (grey_alpha, (32, 32), [200, 200, 200, 255]),
        (rgb, (48, 48), BLUE),
        (palette, (40, 40), RED),
    ] {
        // The directory claims 32 bits per pixel whatever the PNG holds, as many icon tools
        // write it; a small BMP entry sits before the PNG.
        let file = ico(&[
            (16, 16, ico_bmp_entry(&solid(16, 16, GREEN))),
            (w, h, entry),
        ]);
        let img = check_set(&file, SourceFormat::Ico, (w, h));
        assert!(near(at(&img, 32, 32), want, 1), "{:?}", at(&img, 32, 32));
    }
}

#[test]
fn one_by_one_pixel() {
    let img = check_set(&png_rgba(&solid(1, 1, RED)), SourceFormat::Png, (1, 1));
    assert!(near(at(&img, 0, 0), RED, 0));
    assert!(near(at(&img, 63, 63), RED, 0));
}

/// A 10:1 banner keeps its proportion: a readable band across the middle, not a sliver.
#[test]
fn banner_stays_legible() {
    let banner = rgba_image(
        2000,
        200,
        |x, _| if (x / 100) % 2 == 0 { RED } else { BLUE },
    );
    let img = render_png(&png_rgba(&banner), 256);
    // 256 x 26 band, centred: rows 115..141.
    assert_eq!(at(&img, 128, 113)[3], 0);
    assert_eq!(at(&img, 128, 142)[3], 0);
    for y in 116..140 {
        assert_eq!(at(&img, 6, y)[3], 255, "row {y}");
    }
    // Stripes still alternate (20 stripes over 256 px: about 12.8 px each).
    assert!(near(at(&img, 6, 128), RED, 30));
    assert!(near(at(&img, 19, 128), BLUE, 30), "{:?}", at(&img, 19, 128));

    let tall = rgba_image(10, 1000, |_, _| GREEN);
    let img = render_png(&png_rgba(&tall), 64);
    // 100:1 gives a 1 px column, never 0 px: at x = (64 - 1) / 2.
    assert_eq!(at(&img, 31, 32)[3], 255);
    assert_eq!(at(&img, 10, 32)[3], 0);
}

/// Transparent pixels with black colour must not darken the edges of a white logo, and stay
/// transparent away from it.
#[test]
fn alpha_edges_have_no_dark_halo() {
    let src = rgba_image(100, 100, |x, y| {
        if (30..70).contains(&x) && (30..70).contains(&y) {
            [255, 255, 255, 255]
        } else {
            CLEAR
        }
    });
    let img = render_png(&png_rgba(&src), 64);
    let mut edge_pixels = 0;
    for p in img.pixels() {
        let [r, g, b, a] = p.0;
        if a > 0 {
            assert!(
                r >= 250 && g >= 250 && b >= 250,
                "dark halo pixel {:?}",
                p.0
            );
            if a < 255 {
                edge_pixels += 1;
            }
        }
    }
    assert!(edge_pixels > 0, "the edge should be anti-aliased");
    for (x, y) in [(0, 0), (63, 63), (5, 32), (32, 5), (10, 10)] {
        assert_eq!(
            at(&img, x, y),
            CLEAR,
            "({x},{y}) must stay fully transparent"
        );
    }
}

#[test]
fn trim_removes_flat_margin_and_keeps_padding() {
    use logofill_image::{Pipeline, PipelineOptions, TrimOptions};
    // A small red mark in a big white canvas.
    let src = rgba_image(400, 400, |x, y| {
        if (180..220).contains(&x) && (190..210).contains(&y) {
            RED
        } else {
            [255, 255, 255, 255]
        }
    });
    let trimmed = Pipeline::new(PipelineOptions {
        sizes: vec![64],
        trim: Some(TrimOptions {
            tolerance: 16,
            padding: 0.05,
        }),
        ..PipelineOptions::default()
    })
    .unwrap()
    .render("t", &png_rgba(&src))
    .unwrap();
    let img = decode_output(variant(&trimmed, 64, OutputFormat::Png));
    // 2:1 mark fitted into 64 * 0.9 = 58 px: 58 x 29, centred.
    assert!(near(at(&img, 5, 32), RED, 10), "{:?}", at(&img, 5, 32));
    assert_eq!(at(&img, 1, 32)[3], 0, "padding stays transparent");
    assert_eq!(at(&img, 32, 10)[3], 0);

    let untrimmed = render_png(&png_rgba(&src), 64);
    assert!(
        near(at(&untrimmed, 5, 32), [255, 255, 255, 255], 0),
        "trim is off by default"
    );
}

#[test]
fn output_is_deterministic() {
    let bytes = encode_with(
        &rgba_image(37, 23, |x, y| [x as u8 * 6, y as u8 * 10, 90, 255]),
        image::ImageFormat::Png,
    );
    let a = pipeline_with(&[64, 128]).render("a", &bytes).unwrap();
    let b = pipeline_with(&[64, 128]).render("b", &bytes).unwrap();
    assert_eq!(a, b);
}

/// A big JPEG is decoded with a scaled IDCT (here 1/8): the provenance still gives the source
/// size, the picture is right, and orientation is applied after scaling.
#[test]
fn big_jpeg_is_scaled_while_decoding() {
    let src = rgba_image(
        2048,
        1024,
        |x, y| if x < 1024 && y < 512 { RED } else { BLUE },
    );
    let jpeg = encode_with(&src, image::ImageFormat::Jpeg);
    let set = pipeline_with(&[64]).render("big.jpg", &jpeg).unwrap();
    let s = set.provenance.source.as_ref().unwrap();
    assert_eq!((s.width, s.height), (2048, 1024));
    let img = decode_output(variant(&set, 64, OutputFormat::Png));
    assert!(near(at(&img, 16, 24), RED, 30), "{:?}", at(&img, 16, 24));
    assert!(near(at(&img, 48, 24), BLUE, 30));
    assert!(near(at(&img, 16, 40), BLUE, 30));

    let rotated = with_exif_orientation(&jpeg, 6);
    let set = pipeline_with(&[64]).render("big.jpg", &rotated).unwrap();
    let s = set.provenance.source.as_ref().unwrap();
    assert_eq!((s.width, s.height), (1024, 2048));
    let img = decode_output(variant(&set, 64, OutputFormat::Png));
    // Rotated 90° clockwise: the red quadrant is now top-right of a 32x64 column.
    assert!(near(at(&img, 40, 16), RED, 30), "{:?}", at(&img, 40, 16));
    assert!(near(at(&img, 24, 16), BLUE, 30));
    assert_eq!(at(&img, 8, 32)[3], 0);
}

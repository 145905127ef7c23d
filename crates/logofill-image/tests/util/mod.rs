//! Fixture builders and checks shared by the integration tests. Fixtures are made in code
//! wherever a Rust encoder can write them; the rest are small files in `fixtures/`.
#![allow(dead_code)]

pub mod bomb;
pub mod hostile;

use std::io::Cursor;
use std::path::PathBuf;

use image::{ImageEncoder, RgbaImage};
use logofill_image::{OutputFormat, Pipeline, PipelineOptions, RenderedSet};

pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

pub fn pipeline_with(sizes: &[u32]) -> Pipeline {
    Pipeline::new(PipelineOptions {
        sizes: sizes.to_vec(),
        ..PipelineOptions::default()
    })
    .unwrap()
}

/// Any PNG the `png` crate can write, palette included.
pub fn png_raw(
    w: u32,
    h: u32,
    color: png::ColorType,
    depth: png::BitDepth,
    data: &[u8],
    palette: Option<&[u8]>,
    trns: Option<&[u8]>,
) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(color);
        enc.set_depth(depth);
        if let Some(p) = palette {
            enc.set_palette(p.to_vec());
        }
        if let Some(t) = trns {
            enc.set_trns(t.to_vec());
        }
        let mut wr = enc.write_header().unwrap();
        wr.write_image_data(data).unwrap();
    }
    out
}

pub fn rgba_image(w: u32, h: u32, f: impl Fn(u32, u32) -> [u8; 4]) -> RgbaImage {
    RgbaImage::from_fn(w, h, |x, y| image::Rgba(f(x, y)))
}

pub fn png_rgba(img: &RgbaImage) -> Vec<u8> {
    png_raw(
        img.width(),
        img.height(),
        png::ColorType::Rgba,
        png::BitDepth::Eight,
        img.as_raw(),
        None,
        None,
    )
}

pub fn encode_with(img: &RgbaImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    match format {
        image::ImageFormat::Jpeg => {
            let rgb = image::DynamicImage::ImageRgba8(img.clone()).to_rgb8();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95)
                .write_image(
                    rgb.as_raw(),
                    img.width(),
                    img.height(),
                    image::ExtendedColorType::Rgb8,
                )
                .unwrap();
        }
        other => image::DynamicImage::ImageRgba8(img.clone())
            .write_to(&mut out, other)
            .unwrap(),
    }
    out.into_inner()
}

/// The variants of the default sizes in the stored order: ascending, PNG before WebP for each
/// size, so the largest is written last and its presence means the whole set is there.
#[track_caller]
pub fn assert_default_variant_order(set: &RenderedSet) {
    let order: Vec<(u32, OutputFormat)> = set.variants.iter().map(|v| (v.size, v.format)).collect();
    let want: Vec<(u32, OutputFormat)> = [64, 128, 256]
        .iter()
        .flat_map(|s| [(*s, OutputFormat::Png), (*s, OutputFormat::Webp)])
        .collect();
    assert_eq!(order, want, "ascending, so the largest is written last");
}

pub fn variant(set: &RenderedSet, size: u32, format: OutputFormat) -> &[u8] {
    &set.variants
        .iter()
        .find(|v| v.size == size && v.format == format)
        .unwrap_or_else(|| panic!("no {size} {format:?} variant"))
        .bytes
}

/// Decodes an output variant (PNG or WebP) to RGBA.
pub fn decode_output(bytes: &[u8]) -> RgbaImage {
    image::load_from_memory(bytes)
        .expect("output decodes")
        .to_rgba8()
}

/// Renders `bytes` at one size and returns the decoded PNG variant.
pub fn render_png(bytes: &[u8], size: u32) -> RgbaImage {
    let set = pipeline_with(&[size])
        .render("test", bytes)
        .unwrap_or_else(|e| panic!("{e}"));
    let img = decode_output(variant(&set, size, OutputFormat::Png));
    assert_eq!((img.width(), img.height()), (size, size));
    img
}

/// True when every channel of `px` is within `tol` of `want`.
pub fn near(px: [u8; 4], want: [u8; 4], tol: u8) -> bool {
    px.iter()
        .zip(want.iter())
        .all(|(a, b)| a.abs_diff(*b) <= tol)
}

pub fn at(img: &RgbaImage, x: u32, y: u32) -> [u8; 4] {
    img.get_pixel(x, y).0
}

/// Inserts an EXIF APP1 segment with the given orientation right after a JPEG's SOI.
pub fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    // TIFF, big-endian: header, IFD0 with one entry (0x0112 SHORT 1 = orientation), no next IFD.
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"MM\0\x2a\0\0\0\x08");
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&0x0112u16.to_be_bytes());
    tiff.extend_from_slice(&3u16.to_be_bytes());
    tiff.extend_from_slice(&1u32.to_be_bytes());
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// An ICO file from (width, height, payload) entries; a width or height of 256 is stored as 0.
pub fn ico(entries: &[(u32, u32, Vec<u8>)]) -> Vec<u8> {
    let mut out = vec![0, 0, 1, 0];
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    let mut offset = 6 + 16 * entries.len();
    let mut data = Vec::new();
    for (w, h, payload) in entries {
        out.push((*w % 256) as u8);
        out.push((*h % 256) as u8);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&32u16.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        out.extend_from_slice(&(offset as u32).to_le_bytes());
        offset += payload.len();
        data.extend_from_slice(payload);
    }
    out.extend_from_slice(&data);
    out
}

/// A 32-bit BMP (DIB without file header) as ICO stores it: height doubled, rows bottom-up,
/// then a 1-bit AND mask.
pub fn ico_bmp_entry(img: &RgbaImage) -> Vec<u8> {
    let (w, h) = (img.width(), img.height());
    let mut out = Vec::new();
    out.extend_from_slice(&40u32.to_le_bytes());
    out.extend_from_slice(&(w as i32).to_le_bytes());
    out.extend_from_slice(&((h * 2) as i32).to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&32u16.to_le_bytes());
    out.extend_from_slice(&[0u8; 24]);
    for y in (0..h).rev() {
        for x in 0..w {
            let [r, g, b, a] = img.get_pixel(x, y).0;
            out.extend_from_slice(&[b, g, r, a]);
        }
    }
    let mask_row = (w.div_ceil(32) * 4) as usize;
    out.extend(std::iter::repeat_n(0u8, mask_row * h as usize));
    out
}

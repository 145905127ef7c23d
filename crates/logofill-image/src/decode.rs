//! Raster decoding within limits. Every path reads the header first, checks pixels and the
//! allocation it implies against [`PipelineLimits`], and only then lets a decoder allocate.
//!
//! Output is always 8 bits per channel (grey, grey+alpha, RGB or RGBA), so a 16 MP image costs
//! at most 64 MiB; 16-bit PNG is reduced while decoding, row by row, not after.
//! JPEG is decoded with a scaled IDCT to the smallest of 1/1, 1/2, 1/4, 1/8 that still covers
//! the largest variant (libjpeg's and libvips' "shrink on load"): a 16 MP photo costs a 500x500
//! buffer, not 48 MB, and most of the IDCT work is skipped.
//! WebP's working set is read from its chunks first (`crate::webp_cost`): the decoder would
//! otherwise size a lossy frame from that frame's header alone.
//! EXIF orientation is returned, not applied: rotating the full-size image would double the
//! memory peak, so it is applied to the small resized variants instead.

use std::io::Cursor;

use image::codecs::{
    bmp::BmpDecoder, gif::GifDecoder, ico::IcoDecoder, jpeg::JpegDecoder, webp::WebPDecoder,
};
use image::metadata::Orientation;
use image::{DynamicImage, ImageBuffer, ImageDecoder};

use crate::webp_cost::webp_decode_cost;
use crate::{ImageError, PipelineLimits, SourceFormat};

/// A decoded raster image, 8 bits per channel, in stored (not yet oriented) order.
pub(crate) struct Raster {
    pub image: DynamicImage,
    pub orientation: Orientation,
    /// Size of the source as stored, before any decode-time scaling or orientation.
    pub stored_dims: (u32, u32),
}

impl Raster {
    /// Width and height as displayed, after orientation.
    pub fn display_dimensions(&self) -> (u32, u32) {
        let (w, h) = self.stored_dims;
        if swaps_axes(self.orientation) {
            (h, w)
        } else {
            (w, h)
        }
    }
}

pub(crate) fn swaps_axes(o: Orientation) -> bool {
    matches!(
        o,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// Checks declared dimensions against the pixel limit.
pub(crate) fn check_dimensions(
    name: &str,
    width: u32,
    height: u32,
    limits: &PipelineLimits,
) -> Result<(), ImageError> {
    if width == 0 || height == 0 {
        return Err(ImageError::ZeroSize {
            name: name.to_string(),
            width,
            height,
        });
    }
    if width as u64 * height as u64 > limits.max_pixels {
        return Err(ImageError::TooManyPixels {
            name: name.to_string(),
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    Ok(())
}

fn check_alloc(name: &str, needed: u64, limits: &PipelineLimits) -> Result<(), ImageError> {
    if needed > limits.max_decode_alloc {
        return Err(ImageError::AllocationTooLarge {
            name: name.to_string(),
            needed: Some(needed),
            limit: limits.max_decode_alloc,
        });
    }
    Ok(())
}

/// Decodes a raster format (everything but SVG). `scale_to`, when set, lets a decoder that can
/// (JPEG) return a smaller image whose fit into a `scale_to` square is still at full resolution.
pub(crate) fn decode_raster(
    name: &str,
    format: SourceFormat,
    bytes: &[u8],
    limits: &PipelineLimits,
    scale_to: Option<u32>,
) -> Result<Raster, ImageError> {
    match format {
        SourceFormat::Png => decode_png(name, bytes, limits),
        SourceFormat::Jpeg => {
            // zune-jpeg keeps every coefficient of a progressive JPEG until the last scan; count
            // that before the decoder does.
            if let Some(cost) = jpeg_decode_cost(bytes) {
                check_dimensions(name, cost.width, cost.height, limits)?;
                check_alloc(name, cost.bytes, limits)?;
            }
            // Each scan of a progressive JPEG is a pass over the whole coefficient buffer, and
            // jpeg-decoder takes as many as the file holds.
            let scans = jpeg_scan_count(bytes, limits.max_jpeg_scans);
            if scans > limits.max_jpeg_scans {
                return Err(ImageError::JpegTooManyScans {
                    name: name.to_string(),
                    scans,
                    limit: limits.max_jpeg_scans,
                });
            }
            if let Some(raster) = decode_jpeg_scaled(name, bytes, limits, scale_to)? {
                return Ok(raster);
            }
            let dec = JpegDecoder::new(Cursor::new(bytes))
                .map_err(|e| map_image_err(name, format, e, limits))?;
            decode_with(name, format, dec, limits)
        }
        SourceFormat::Gif => {
            let dec = GifDecoder::new(Cursor::new(bytes))
                .map_err(|e| map_image_err(name, format, e, limits))?;
            decode_with(name, format, dec, limits)
        }
        SourceFormat::WebP => {
            // image-webp sizes a lossy frame's buffers from the frame's own header and keeps
            // several planes per pixel; both are checked from the chunks first.
            if let Some(cost) = webp_decode_cost(name, bytes)? {
                check_dimensions(name, cost.width, cost.height, limits)?;
                check_alloc(name, cost.bytes, limits)?;
            }
            let dec = WebPDecoder::new(Cursor::new(bytes))
                .map_err(|e| map_image_err(name, format, e, limits))?;
            decode_with(name, format, dec, limits)
        }
        SourceFormat::Ico => {
            // A PNG entry is decoded by our PNG path, which takes every colour type and bit
            // depth: the `image` ICO decoder refuses grey, RGB and palette PNG entries, and
            // entries whose directory disagrees with the PNG, which browsers show.
            if let Some(png) = largest_ico_png_entry(bytes) {
                return decode_png(name, png, limits);
            }
            let dec = IcoDecoder::new(Cursor::new(bytes))
                .map_err(|e| map_image_err(name, format, e, limits))?;
            decode_with(name, format, dec, limits)
        }
        SourceFormat::Bmp => {
            let dec = BmpDecoder::new(Cursor::new(bytes))
                .map_err(|e| map_image_err(name, format, e, limits))?;
            decode_with(name, format, dec, limits)
        }
        SourceFormat::Svg => unreachable!("SVG is rendered by crate::svg, not decoded here"),
    }
}

/// The bytes of an ICO's largest entry (by area, then bit count, first listed on a tie) when
/// that entry is a PNG. The directory is read as browsers read it: an entry whose data runs past
/// the end of the file keeps what is there. `None` when the largest entry is a BMP, or the
/// directory is unreadable (the `image` decoder then says why).
fn largest_ico_png_entry(bytes: &[u8]) -> Option<&[u8]> {
    const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    let count = u16::from_le_bytes([*bytes.get(4)?, *bytes.get(5)?]) as usize;
    let mut best: Option<(u64, u16, usize, usize)> = None;
    for i in 0..count {
        let e = bytes.get(6 + 16 * i..6 + 16 * (i + 1))?;
        let edge = |b: u8| if b == 0 { 256u64 } else { b as u64 };
        let area = edge(e[0]) * edge(e[1]);
        let bits = u16::from_le_bytes([e[6], e[7]]);
        let size = u32::from_le_bytes([e[8], e[9], e[10], e[11]]) as usize;
        let offset = u32::from_le_bytes([e[12], e[13], e[14], e[15]]) as usize;
        if best.is_none_or(|(a, b, ..)| (area, bits) > (a, b)) {
            best = Some((area, bits, offset, size));
        }
    }
    let (_, _, offset, size) = best?;
    let data = bytes.get(offset..)?;
    let data = &data[..size.min(data.len())];
    data.starts_with(PNG_SIGNATURE).then_some(data)
}

/// The `image` crate path: header, limits, then the pixels (GIF and animated WebP give their first
/// frame, ICO its largest entry).
fn decode_with<D: ImageDecoder>(
    name: &str,
    format: SourceFormat,
    mut dec: D,
    limits: &PipelineLimits,
) -> Result<Raster, ImageError> {
    let (width, height) = dec.dimensions();
    check_dimensions(name, width, height, limits)?;
    check_alloc(name, dec.total_bytes(), limits)?;
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_alloc = Some(limits.max_decode_alloc);
    dec.set_limits(decoder_limits)
        .map_err(|e| map_image_err(name, format, e, limits))?;
    let orientation = dec.orientation().unwrap_or(Orientation::NoTransforms);
    let image =
        DynamicImage::from_decoder(dec).map_err(|e| map_image_err(name, format, e, limits))?;
    Ok(Raster {
        image: to_8bit(image),
        orientation,
        stored_dims: (width, height),
    })
}

/// Reduces anything wider than 8 bits per channel. Only reached for small images (an ICO entry
/// is at most 256x256): the large paths already decode to 8 bits.
fn to_8bit(image: DynamicImage) -> DynamicImage {
    match image {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_) => image,
        DynamicImage::ImageLuma16(_) => DynamicImage::ImageLuma8(image.to_luma8()),
        DynamicImage::ImageLumaA16(_) => DynamicImage::ImageLumaA8(image.to_luma_alpha8()),
        DynamicImage::ImageRgb16(_) | DynamicImage::ImageRgb32F(_) => {
            DynamicImage::ImageRgb8(image.to_rgb8())
        }
        _ => DynamicImage::ImageRgba8(image.to_rgba8()),
    }
}

/// PNG through the `png` crate directly: palette and low bit depths are expanded and 16-bit
/// samples stripped to 8 while decoding, so the buffer is never larger than 4 bytes per pixel.
/// APNG gives its default image, the first frame.
fn decode_png(name: &str, bytes: &[u8], limits: &PipelineLimits) -> Result<Raster, ImageError> {
    let format = SourceFormat::Png;
    // The IHDR chunk is always first: refuse from it before the decoder sees anything.
    if bytes.len() >= 24 && &bytes[12..16] == b"IHDR" {
        let width = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
        let height = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
        check_dimensions(name, width, height, limits)?;
    }
    let mut dec = png::Decoder::new_with_limits(
        Cursor::new(bytes),
        png::Limits {
            bytes: usize::try_from(limits.max_decode_alloc).unwrap_or(usize::MAX),
        },
    );
    dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    // Neither text nor the ICC profile is used. png 0.18 inflates an iCCP chunk while reading
    // the header, bounded only by the decoder's byte limit (80 MiB here): a 100 KB chunk could
    // make it allocate that much. Ignored chunks are skipped without being decompressed.
    dec.set_ignore_text_chunk(true);
    dec.set_ignore_iccp_chunk(true);
    let mut reader = dec.read_info().map_err(|e| map_png_err(name, e, limits))?;
    let (width, height) = (reader.info().width, reader.info().height);
    check_dimensions(name, width, height, limits)?;
    let (color, depth) = reader.output_color_type();
    debug_assert_eq!(depth, png::BitDepth::Eight);
    let channels = color.samples() as u64;
    check_alloc(name, width as u64 * height as u64 * channels, limits)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| ImageError::AllocationTooLarge {
            name: name.to_string(),
            needed: None,
            limit: limits.max_decode_alloc,
        })?;
    let mut buf = vec![0u8; size];
    let frame = reader
        .next_frame(&mut buf)
        .map_err(|e| map_png_err(name, e, limits))?;
    buf.truncate(frame.buffer_size());
    let corrupt = || ImageError::Corrupt {
        name: name.to_string(),
        format: format.label(),
        detail: "decoded buffer does not match its header".into(),
    };
    let image = match color {
        png::ColorType::Grayscale => {
            DynamicImage::ImageLuma8(ImageBuffer::from_raw(width, height, buf).ok_or_else(corrupt)?)
        }
        png::ColorType::GrayscaleAlpha => DynamicImage::ImageLumaA8(
            ImageBuffer::from_raw(width, height, buf).ok_or_else(corrupt)?,
        ),
        png::ColorType::Rgb => {
            DynamicImage::ImageRgb8(ImageBuffer::from_raw(width, height, buf).ok_or_else(corrupt)?)
        }
        png::ColorType::Rgba => {
            DynamicImage::ImageRgba8(ImageBuffer::from_raw(width, height, buf).ok_or_else(corrupt)?)
        }
        png::ColorType::Indexed => return Err(corrupt()),
    };
    Ok(Raster {
        image,
        orientation: Orientation::NoTransforms,
        stored_dims: (width, height),
    })
}

/// JPEG through `jpeg-decoder`, scaled while decoding. Returns `None` for the rare kinds it
/// does not turn into 8-bit output (12/16-bit lossless), which go to the `image` path instead.
fn decode_jpeg_scaled(
    name: &str,
    bytes: &[u8],
    limits: &PipelineLimits,
    scale_to: Option<u32>,
) -> Result<Option<Raster>, ImageError> {
    let err = |e: jpeg_decoder::Error| map_jpeg_err(name, e, limits);
    let mut dec = jpeg_decoder::Decoder::new(bytes);
    dec.set_max_decoding_buffer_size(
        usize::try_from(limits.max_decode_alloc).unwrap_or(usize::MAX),
    );
    dec.read_info().map_err(err)?;
    let info = dec.info().ok_or_else(|| ImageError::Corrupt {
        name: name.to_string(),
        format: "JPEG",
        detail: "no frame header".into(),
    })?;
    let stored_dims = (info.width as u32, info.height as u32);
    check_dimensions(name, stored_dims.0, stored_dims.1, limits)?;
    if info.pixel_format == jpeg_decoder::PixelFormat::L16 {
        return Ok(None);
    }
    if let Some(box_size) = scale_to {
        let (w, h) = crate::fit::fit_dims(info.width as u32, info.height as u32, box_size);
        dec.scale(w.min(u16::MAX as u32) as u16, h.min(u16::MAX as u32) as u16)
            .map_err(err)?;
    }
    let pixels = dec.decode().map_err(err)?;
    let info = dec.info().expect("decoded, so the frame is known");
    let (w, h) = (info.width as u32, info.height as u32);
    let corrupt = || ImageError::Corrupt {
        name: name.to_string(),
        format: "JPEG",
        detail: "decoded buffer does not match its header".into(),
    };
    let image = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => {
            DynamicImage::ImageLuma8(ImageBuffer::from_raw(w, h, pixels).ok_or_else(corrupt)?)
        }
        jpeg_decoder::PixelFormat::RGB24 => {
            DynamicImage::ImageRgb8(ImageBuffer::from_raw(w, h, pixels).ok_or_else(corrupt)?)
        }
        jpeg_decoder::PixelFormat::CMYK32 => {
            // jpeg-decoder has already undone Adobe's inversion and YCCK: plain CMYK here.
            let rgb: Vec<u8> = pixels
                .chunks_exact(4)
                .flat_map(|p| {
                    let k = 255 - p[3] as u16;
                    [p[0], p[1], p[2]].map(|c| ((255 - c as u16) * k / 255) as u8)
                })
                .collect();
            DynamicImage::ImageRgb8(ImageBuffer::from_raw(w, h, rgb).ok_or_else(corrupt)?)
        }
        jpeg_decoder::PixelFormat::L16 => return Ok(None),
    };
    let orientation = dec
        .exif_data()
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    Ok(Some(Raster {
        image,
        orientation,
        stored_dims,
    }))
}

fn map_jpeg_err(name: &str, e: jpeg_decoder::Error, limits: &PipelineLimits) -> ImageError {
    match e {
        jpeg_decoder::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            ImageError::Truncated {
                name: name.to_string(),
                format: "JPEG",
                detail: io.to_string(),
            }
        }
        jpeg_decoder::Error::Format(msg) if msg.contains("exceeds maximum allowed size") => {
            ImageError::AllocationTooLarge {
                name: name.to_string(),
                needed: None,
                limit: limits.max_decode_alloc,
            }
        }
        other => ImageError::Corrupt {
            name: name.to_string(),
            format: "JPEG",
            detail: other.to_string(),
        },
    }
}

fn map_png_err(name: &str, e: png::DecodingError, limits: &PipelineLimits) -> ImageError {
    match e {
        png::DecodingError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            ImageError::Truncated {
                name: name.to_string(),
                format: "PNG",
                detail: io.to_string(),
            }
        }
        png::DecodingError::LimitsExceeded => ImageError::AllocationTooLarge {
            name: name.to_string(),
            needed: None,
            limit: limits.max_decode_alloc,
        },
        other => ImageError::Corrupt {
            name: name.to_string(),
            format: "PNG",
            detail: other.to_string(),
        },
    }
}

pub(crate) fn map_image_err(
    name: &str,
    format: SourceFormat,
    e: image::ImageError,
    limits: &PipelineLimits,
) -> ImageError {
    let name = name.to_string();
    let label = format.label();
    match e {
        image::ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            ImageError::Truncated {
                name,
                format: label,
                detail: io.to_string(),
            }
        }
        image::ImageError::Limits(_) => ImageError::AllocationTooLarge {
            name,
            needed: None,
            limit: limits.max_decode_alloc,
        },
        other => {
            let detail = other.to_string();
            // Decoders report a short read in their own words.
            let lower = detail.to_ascii_lowercase();
            if lower.contains("eof")
                || lower.contains("end of file")
                || lower.contains("unexpected end")
                || lower.contains("not enough data")
            {
                ImageError::Truncated {
                    name,
                    format: label,
                    detail,
                }
            } else {
                ImageError::Corrupt {
                    name,
                    format: label,
                    detail,
                }
            }
        }
    }
}

/// What decoding a JPEG will cost, read from its start-of-frame marker.
struct JpegCost {
    width: u32,
    height: u32,
    bytes: u64,
}

/// Walks the JPEG markers up to the frame header. Returns `None` when there is none (the decoder
/// then reports the damage in its own words).
fn jpeg_decode_cost(bytes: &[u8]) -> Option<JpegCost> {
    let mut i = 2;
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            return None;
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1; // fill byte
            continue;
        }
        let len = u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]) as usize;
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            let seg = bytes.get(i + 4..i + 2 + len)?;
            let height = u16::from_be_bytes([*seg.get(1)?, *seg.get(2)?]) as u64;
            let width = u16::from_be_bytes([*seg.get(3)?, *seg.get(4)?]) as u64;
            let ncomp = *seg.get(5)? as usize;
            let mut max_h = 1u64;
            let mut max_v = 1u64;
            let mut factors = Vec::with_capacity(ncomp);
            for c in 0..ncomp {
                let s = *seg.get(6 + c * 3 + 1)?;
                let (h, v) = ((s >> 4).max(1) as u64, (s & 15).max(1) as u64);
                max_h = max_h.max(h);
                max_v = max_v.max(v);
                factors.push((h, v));
            }
            let pixels = width * height;
            // Output: RGB, or CMYK then converted to RGB.
            let out = pixels * if ncomp == 4 { 4 + 3 } else { 3 };
            // Component planes (upsampled working copies) or, for progressive JPEG, 16-bit
            // coefficients of every component kept for the whole image.
            let planes: u64 = factors
                .iter()
                .map(|(h, v)| pixels * h * v / (max_h * max_v))
                .sum();
            let progressive = matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE);
            let working = if progressive { planes * 2 } else { 0 };
            return Some(JpegCost {
                width: width as u32,
                height: height as u32,
                bytes: out + working,
            });
        }
        if marker == 0xD9 || marker == 0xDA {
            return None;
        }
        i += 2 + len;
    }
    None
}

/// Counts the scans (SOS markers) of a JPEG by walking its markers and skipping each scan's
/// entropy-coded data, stopping once the count is past `stop_after`. Linear in the input, with
/// no allocation. jpeg-decoder (0.3) has no scan limit of its own (zune-jpeg stops at 100): a
/// 1 MB file of a 4000x4000 progressive header and 100,000 empty scans kept it busy for more
/// than 40 s. libjpeg writes 10 scans for a progressive colour image and jpegtran scripts
/// rarely more than 20; 64 leaves room for those and still refuses the repetitions.
fn jpeg_scan_count(bytes: &[u8], stop_after: u64) -> u64 {
    let mut scans = 0u64;
    let mut i = 2;
    while i + 1 < bytes.len() {
        if bytes[i] != 0xFF {
            return scans;
        }
        let marker = bytes[i + 1];
        match marker {
            0xFF => {
                i += 1;
                continue;
            }
            0xD9 => return scans,
            0x01 | 0xD0..=0xD7 => {
                i += 2;
                continue;
            }
            _ => {}
        }
        let Some(len) = bytes
            .get(i + 2..i + 4)
            .map(|b| u16::from_be_bytes([b[0], b[1]]) as usize)
        else {
            return scans;
        };
        i += 2 + len;
        if marker == 0xDA {
            scans += 1;
            if scans > stop_after {
                return scans;
            }
            // Entropy-coded data ends at the first marker that is neither a stuffed zero nor a
            // restart marker.
            while i + 1 < bytes.len() {
                if bytes[i] == 0xFF
                    && bytes[i + 1] != 0x00
                    && !(0xD0..=0xD7).contains(&bytes[i + 1])
                {
                    break;
                }
                i += 1;
            }
        }
    }
    scans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_scans_are_counted_past_their_data() {
        // SOI, SOS (len 8) + data with a stuffed FF00 and RST0, SOS, EOI.
        let mut j = vec![0xFF, 0xD8];
        for _ in 0..2 {
            j.extend_from_slice(&[0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0]);
            j.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        }
        j.extend_from_slice(&[0xFF, 0xD9]);
        assert_eq!(jpeg_scan_count(&j, 64), 2);
        assert_eq!(jpeg_scan_count(&j, 0), 1, "stops once past the limit");
    }

    #[test]
    fn jpeg_cost_reads_the_frame_header() {
        // SOI, SOF2 (progressive) 4000x4000, 3 components 4:2:0.
        let mut j = vec![0xFF, 0xD8, 0xFF, 0xC2, 0, 17, 8, 0x0F, 0xA0, 0x0F, 0xA0, 3];
        j.extend_from_slice(&[1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        let c = jpeg_decode_cost(&j).unwrap();
        assert_eq!((c.width, c.height), (4000, 4000));
        assert_eq!(c.bytes, 16_000_000 * 3 + 16_000_000 * 3);
    }
}

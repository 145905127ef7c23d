//! Encoding a variant. PNG is lossless (zlib level 6 with adaptive filters, RGB when nothing is
//! transparent); WebP is lossy at the configured quality with lossless alpha, which keeps logo
//! edges clean at a fraction of the PNG size.
//!
//! Why level 6 and not 9: over the benchmark's logo corpus level 9 made the PNG variants 0.5%
//! smaller for twice the PNG encoding time, and encoding is most of a render's CPU. Level 6 is
//! also zlib's, libpng's and libvips' default.

use image::RgbaImage;

use crate::ImageError;

pub(crate) fn png(name: &str, img: &RgbaImage) -> Result<Vec<u8>, ImageError> {
    let fail = |detail: String| ImageError::Encode {
        name: name.to_string(),
        size: img.width(),
        format: "PNG",
        detail,
    };
    let opaque = img.as_raw().iter().skip(3).step_by(4).all(|a| *a == 255);
    let rgb: Vec<u8>;
    let (data, color) = if opaque {
        rgb = img
            .as_raw()
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        (rgb.as_slice(), png::ColorType::Rgb)
    } else {
        (img.as_raw().as_slice(), png::ColorType::Rgba)
    };
    let mut out = Vec::with_capacity(data.len() / 4);
    {
        let mut enc = png::Encoder::new(&mut out, img.width(), img.height());
        enc.set_color(color);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Balanced);
        let mut writer = enc.write_header().map_err(|e| fail(e.to_string()))?;
        writer
            .write_image_data(data)
            .map_err(|e| fail(e.to_string()))?;
        writer.finish().map_err(|e| fail(e.to_string()))?;
    }
    Ok(out)
}

pub(crate) fn webp(name: &str, img: &RgbaImage, quality: f32) -> Result<Vec<u8>, ImageError> {
    let fail = |detail: String| ImageError::Encode {
        name: name.to_string(),
        size: img.width(),
        format: "WebP",
        detail,
    };
    let mut config =
        webp::WebPConfig::new().map_err(|()| fail("libwebp rejected its default config".into()))?;
    config.lossless = 0;
    config.quality = quality;
    config.method = 4;
    config.alpha_compression = 1;
    config.alpha_quality = 100;
    let encoder = webp::Encoder::from_rgba(img.as_raw(), img.width(), img.height());
    let memory = encoder
        .encode_advanced(&config)
        .map_err(|e| fail(format!("{e:?}")))?;
    Ok(memory.to_vec())
}

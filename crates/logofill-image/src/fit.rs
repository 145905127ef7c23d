//! Fitting a decoded raster into square variants: optional trim, aspect-preserving resize with
//! a Lanczos3 filter on premultiplied alpha (so transparent pixels never bleed a dark fringe into
//! the edges), orientation, then centring on a transparent square.
//!
//! Memory: the full-size image is premultiplied in place and never copied. Each variant is
//! resized from the full-size image only for the largest size (or when the source is small);
//! smaller ones come from the next larger result, which with 2x steps loses nothing visible and
//! keeps a 16 MP source to one full-size pass.

use fast_image_resize as fr;
use image::metadata::Orientation;
use image::{DynamicImage, ImageBuffer, Rgba, RgbaImage};

use crate::decode::{swaps_axes, Raster};
use crate::TrimOptions;

/// A straight-alpha RGBA square, ready to encode.
pub(crate) struct Square {
    pub size: u32,
    pub rgba: RgbaImage,
}

/// Region of the source to use, in stored pixel coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Crop {
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
}

/// Width and height of a `src_w` x `src_h` image fitted inside a `box_size` square, at least 1.
pub(crate) fn fit_dims(src_w: u32, src_h: u32, box_size: u32) -> (u32, u32) {
    if src_w >= src_h {
        let h = (src_h as u64 * box_size as u64 + src_w as u64 / 2) / src_w as u64;
        (box_size, (h as u32).max(1))
    } else {
        let w = (src_w as u64 * box_size as u64 + src_h as u64 / 2) / src_h as u64;
        ((w as u32).max(1), box_size)
    }
}

fn pixel_type(image: &DynamicImage) -> fr::PixelType {
    match image {
        DynamicImage::ImageLuma8(_) => fr::PixelType::U8,
        DynamicImage::ImageLumaA8(_) => fr::PixelType::U8x2,
        DynamicImage::ImageRgb8(_) => fr::PixelType::U8x3,
        _ => fr::PixelType::U8x4,
    }
}

fn has_alpha_channel(image: &DynamicImage) -> bool {
    matches!(
        image,
        DynamicImage::ImageLumaA8(_) | DynamicImage::ImageRgba8(_)
    )
}

/// True when some pixel is not fully opaque.
fn any_transparency(image: &DynamicImage) -> bool {
    let (bytes, step) = match image {
        DynamicImage::ImageLumaA8(b) => (b.as_raw().as_slice(), 2),
        DynamicImage::ImageRgba8(b) => (b.as_raw().as_slice(), 4),
        _ => return false,
    };
    bytes.iter().skip(step - 1).step_by(step).any(|a| *a != 255)
}

/// Renders the variants for `sizes` (ascending) from a decoded raster. The raster's buffer is
/// premultiplied in place: it is consumed.
pub(crate) fn fit_raster(
    mut raster: Raster,
    sizes: &[u32],
    trim: Option<&TrimOptions>,
) -> Result<Vec<Square>, String> {
    let (full_w, full_h) = (raster.image.width(), raster.image.height());
    let crop = trim
        .and_then(|t| find_content(&raster.image, t.tolerance))
        .unwrap_or(Crop {
            left: 0,
            top: 0,
            width: full_w,
            height: full_h,
        });
    let padding = trim.map(|t| t.padding).unwrap_or(0.0);

    let pt = pixel_type(&raster.image);
    let premultiplied = has_alpha_channel(&raster.image) && any_transparency(&raster.image);
    let mul_div = fr::MulDiv::default();
    let buf: &mut [u8] = match &mut raster.image {
        DynamicImage::ImageLuma8(b) => b.as_mut(),
        DynamicImage::ImageLumaA8(b) => b.as_mut(),
        DynamicImage::ImageRgb8(b) => b.as_mut(),
        DynamicImage::ImageRgba8(b) => b.as_mut(),
        _ => unreachable!("decode always yields 8-bit images"),
    };
    if premultiplied {
        let mut view =
            fr::images::Image::from_slice_u8(full_w, full_h, buf, pt).map_err(|e| e.to_string())?;
        mul_div
            .multiply_alpha_inplace(&mut view)
            .map_err(|e| e.to_string())?;
    }
    let src = fr::images::ImageRef::new(full_w, full_h, buf, pt).map_err(|e| e.to_string())?;

    let orientation = raster.orientation;
    let swap = swaps_axes(orientation);
    let mut resizer = fr::Resizer::new();
    let filter = fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3);

    // Largest first, so smaller ones can start from it.
    let mut out: Vec<Square> = Vec::with_capacity(sizes.len());
    let mut previous: Option<fr::images::Image<'static>> = None;
    for &size in sizes.iter().rev() {
        let inner = ((size as f32) * (1.0 - 2.0 * padding)).round().max(1.0) as u32;
        // Fit in display orientation, then resize in stored orientation.
        let (disp_w, disp_h) = if swap {
            (crop.height, crop.width)
        } else {
            (crop.width, crop.height)
        };
        let (fw, fh) = fit_dims(disp_w, disp_h, inner);
        let (rw, rh) = if swap { (fh, fw) } else { (fw, fh) };
        let mut dst = fr::images::Image::new(rw, rh, pt);
        let from_previous = previous.as_ref().filter(|p| {
            p.width() >= 2 * rw
                && p.height() >= 2 * rh
                && (crop.width as u64 * crop.height as u64)
                    > 4 * (p.width() as u64 * p.height() as u64)
        });
        match from_previous {
            Some(prev) => {
                resizer
                    .resize(
                        prev,
                        &mut dst,
                        &fr::ResizeOptions::new().resize_alg(filter).use_alpha(false),
                    )
                    .map_err(|e| e.to_string())?;
            }
            None => {
                let opts = fr::ResizeOptions::new()
                    .resize_alg(filter)
                    .use_alpha(false)
                    .crop(
                        crop.left as f64,
                        crop.top as f64,
                        crop.width as f64,
                        crop.height as f64,
                    );
                resizer
                    .resize(&src, &mut dst, &opts)
                    .map_err(|e| e.to_string())?;
            }
        }
        let mut straight = dst.copy();
        if premultiplied {
            mul_div
                .divide_alpha_inplace(&mut straight)
                .map_err(|e| e.to_string())?;
        }
        let fitted = to_rgba(straight, pt);
        let oriented = orient(fitted, orientation);
        out.push(Square {
            size,
            rgba: centre(&oriented, size),
        });
        previous = Some(dst);
    }
    out.reverse();
    Ok(out)
}

/// The raster as straight RGBA, oriented, shrunk (aspect kept) so neither side is over
/// `max_edge`. Used for images embedded in an SVG, which keep their shape.
pub(crate) fn fit_within(raster: Raster, max_edge: u32) -> Result<RgbaImage, String> {
    let (w, h) = raster.display_dimensions();
    let (iw, ih) = (raster.image.width(), raster.image.height());
    if iw <= max_edge && ih <= max_edge {
        return Ok(orient(raster.image.to_rgba8(), raster.orientation));
    }
    // `fit_raster` centres the fitted image on a square; cut it back out.
    let (fw, fh) = fit_dims(w, h, max_edge);
    let square = fit_raster(raster, &[max_edge], None)?
        .pop()
        .expect("one size asked, one square made");
    let (x, y) = ((max_edge - fw) / 2, (max_edge - fh) / 2);
    Ok(image::imageops::crop_imm(&square.rgba, x, y, fw, fh).to_image())
}

/// Converts a small resized image of any 8-bit pixel type to straight RGBA.
fn to_rgba(img: fr::images::Image<'static>, pt: fr::PixelType) -> RgbaImage {
    let (w, h) = (img.width(), img.height());
    let bytes = img.into_vec();
    let rgba: Vec<u8> = match pt {
        fr::PixelType::U8 => bytes.iter().flat_map(|&l| [l, l, l, 255]).collect(),
        fr::PixelType::U8x2 => bytes
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect(),
        fr::PixelType::U8x3 => bytes
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        _ => bytes,
    };
    ImageBuffer::from_raw(w, h, rgba).expect("buffer length matches dimensions")
}

pub(crate) fn orient(img: RgbaImage, orientation: Orientation) -> RgbaImage {
    if orientation == Orientation::NoTransforms {
        return img;
    }
    let mut dynamic = DynamicImage::ImageRgba8(img);
    dynamic.apply_orientation(orientation);
    dynamic.into_rgba8()
}

/// Places `img` in the middle of a transparent `size` x `size` square.
pub(crate) fn centre(img: &RgbaImage, size: u32) -> RgbaImage {
    if img.width() == size && img.height() == size {
        return img.clone();
    }
    let mut square = RgbaImage::from_pixel(size, size, Rgba([0, 0, 0, 0]));
    let x = (size - img.width()) / 2;
    let y = (size - img.height()) / 2;
    image::imageops::replace(&mut square, img, x as i64, y as i64);
    square
}

/// Finds the content inside a uniform margin: pixels that differ from the border colour by more
/// than `tolerance` (or, on a transparent border, pixels with alpha above `tolerance`). Returns
/// `None` when there is no uniform border (the four corners disagree) or nothing but border.
pub(crate) fn find_content(image: &DynamicImage, tolerance: u8) -> Option<Crop> {
    let (w, h) = (image.width(), image.height());
    let px = |x: u32, y: u32| -> [u8; 4] {
        match image {
            DynamicImage::ImageLuma8(b) => {
                let l = b.get_pixel(x, y)[0];
                [l, l, l, 255]
            }
            DynamicImage::ImageLumaA8(b) => {
                let p = b.get_pixel(x, y);
                [p[0], p[0], p[0], p[1]]
            }
            DynamicImage::ImageRgb8(b) => {
                let p = b.get_pixel(x, y);
                [p[0], p[1], p[2], 255]
            }
            DynamicImage::ImageRgba8(b) => b.get_pixel(x, y).0,
            _ => [0, 0, 0, 0],
        }
    };
    let bg = px(0, 0);
    let transparent_bg = bg[3] <= tolerance;
    let is_margin = |p: [u8; 4]| -> bool {
        if transparent_bg {
            p[3] <= tolerance
        } else {
            p.iter()
                .zip(bg.iter())
                .all(|(a, b)| a.abs_diff(*b) <= tolerance)
        }
    };
    if ![px(w - 1, 0), px(0, h - 1), px(w - 1, h - 1)]
        .into_iter()
        .all(is_margin)
    {
        return None;
    }
    let row_has_content = |y: u32| (0..w).any(|x| !is_margin(px(x, y)));
    let col_has_content =
        |x: u32, top: u32, bottom: u32| (top..=bottom).any(|y| !is_margin(px(x, y)));
    let top = (0..h).find(|&y| row_has_content(y))?;
    let bottom = (top..h).rev().find(|&y| row_has_content(y))?;
    let left = (0..w).find(|&x| col_has_content(x, top, bottom))?;
    let right = (left..w).rev().find(|&x| col_has_content(x, top, bottom))?;
    Some(Crop {
        left,
        top,
        width: right - left + 1,
        height: bottom - top + 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_aspect() {
        assert_eq!(fit_dims(1000, 100, 256), (256, 26));
        assert_eq!(fit_dims(100, 1000, 64), (6, 64));
        assert_eq!(fit_dims(1, 1, 256), (256, 256));
        assert_eq!(fit_dims(10000, 1, 64), (64, 1));
    }

    #[test]
    fn trim_finds_content_on_flat_and_transparent_margins() {
        let mut white = RgbaImage::from_pixel(100, 50, Rgba([255, 255, 255, 255]));
        for x in 20..30 {
            for y in 10..15 {
                white.put_pixel(x, y, Rgba([0, 0, 0, 255]));
            }
        }
        white.put_pixel(0, 49, Rgba([250, 250, 250, 255])); // noise within tolerance
        let c = find_content(&DynamicImage::ImageRgba8(white), 16).unwrap();
        assert_eq!(
            c,
            Crop {
                left: 20,
                top: 10,
                width: 10,
                height: 5
            }
        );

        let mut clear = RgbaImage::from_pixel(40, 40, Rgba([0, 0, 0, 0]));
        clear.put_pixel(5, 7, Rgba([255, 0, 0, 255]));
        let c = find_content(&DynamicImage::ImageRgba8(clear), 16).unwrap();
        assert_eq!(
            c,
            Crop {
                left: 5,
                top: 7,
                width: 1,
                height: 1
            }
        );
    }

    #[test]
    fn trim_leaves_images_without_uniform_border() {
        let mut img = RgbaImage::from_pixel(10, 10, Rgba([255, 255, 255, 255]));
        img.put_pixel(9, 9, Rgba([0, 0, 0, 255]));
        assert_eq!(find_content(&DynamicImage::ImageRgba8(img), 16), None);
    }
}

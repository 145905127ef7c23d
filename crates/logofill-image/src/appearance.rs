//! What a rendered logo looks like, measured on its largest square before encoding: where its
//! ink is and whether it has more than one colour. Discovery ranks candidates on this (the
//! bytes, not what the page declared): a flat block or an empty image is not a logo, and a
//! one-colour silhouette on transparency (a Safari `mask-icon`, a white header logo meant for
//! a dark bar) may vanish on the page's background, so it is only used when nothing else is.
//!
//! Cost: one pass over the largest square (at most 1024 x 1024 pixels), no allocation.

use image::RgbaImage;

/// How many colours the visible part of an image has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Colouring {
    /// Nothing visible: every pixel (nearly) transparent.
    Empty,
    /// One colour covering its whole box: a solid block, not a mark.
    Flat,
    /// One colour with a shape, on transparency: a silhouette.
    OneColour,
    /// More than one colour (a mark on its own background counts: two colours).
    Colour,
}

impl Colouring {
    pub fn as_str(self) -> &'static str {
        match self {
            Colouring::Empty => "empty",
            Colouring::Flat => "flat",
            Colouring::OneColour => "one colour",
            Colouring::Colour => "colour",
        }
    }
}

/// The measured look of a rendered logo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Appearance {
    pub colouring: Colouring,
    /// The box of the visible pixels in the largest square, in pixels (0 x 0 when empty).
    pub content_width: u32,
    pub content_height: u32,
}

impl Appearance {
    /// Width over height of the visible part (1.0 when empty).
    pub fn aspect(&self) -> f32 {
        if self.content_width == 0 || self.content_height == 0 {
            return 1.0;
        }
        self.content_width as f32 / self.content_height as f32
    }
}

/// Alpha at or below which a pixel is not visible.
const INVISIBLE_ALPHA: u8 = 16;
/// Alpha from which a pixel's colour is trusted (edges below it are blends).
const SOLID_ALPHA: u8 = 160;
/// Largest per-channel distance between two pixels of "one colour".
const SAME_COLOUR: u8 = 40;
/// Share of solid pixels that may differ from the first colour and still count as one colour
/// (resampling noise, a stray pixel), in thousandths.
const OUTLIERS_PER_MILLE: u64 = 10;
/// Share of its box a one-colour image must cover to be a block rather than a shape.
const FLAT_COVER_PER_MILLE: u64 = 950;

/// Measures `square` (straight-alpha RGBA).
pub fn measure(square: &RgbaImage) -> Appearance {
    let (w, h) = square.dimensions();
    let (mut left, mut top, mut right, mut bottom) = (u32::MAX, u32::MAX, 0u32, 0u32);
    let mut reference: Option<[u8; 3]> = None;
    let (mut solid, mut differing, mut visible) = (0u64, 0u64, 0u64);
    for (x, y, p) in square.enumerate_pixels() {
        let [r, g, b, a] = p.0;
        if a <= INVISIBLE_ALPHA {
            continue;
        }
        visible += 1;
        left = left.min(x);
        right = right.max(x);
        top = top.min(y);
        bottom = bottom.max(y);
        if a >= SOLID_ALPHA {
            solid += 1;
            match reference {
                None => reference = Some([r, g, b]),
                Some(c) => {
                    if c[0].abs_diff(r) > SAME_COLOUR
                        || c[1].abs_diff(g) > SAME_COLOUR
                        || c[2].abs_diff(b) > SAME_COLOUR
                    {
                        differing += 1;
                    }
                }
            }
        }
    }
    if visible == 0 || w == 0 || h == 0 {
        return Appearance {
            colouring: Colouring::Empty,
            content_width: 0,
            content_height: 0,
        };
    }
    let (cw, ch) = (right - left + 1, bottom - top + 1);
    let one_colour = differing * 1000 <= solid * OUTLIERS_PER_MILLE;
    let colouring = if !one_colour {
        Colouring::Colour
    } else if visible * 1000 >= (cw as u64 * ch as u64) * FLAT_COVER_PER_MILLE {
        Colouring::Flat
    } else {
        Colouring::OneColour
    };
    Appearance {
        colouring,
        content_width: cw,
        content_height: ch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    fn canvas() -> RgbaImage {
        RgbaImage::from_pixel(64, 64, Rgba([0, 0, 0, 0]))
    }

    fn disc(img: &mut RgbaImage, cx: i32, cy: i32, r: i32, c: [u8; 4]) {
        for (x, y, p) in img.enumerate_pixels_mut() {
            let (dx, dy) = (x as i32 - cx, y as i32 - cy);
            if dx * dx + dy * dy <= r * r {
                *p = Rgba(c);
            }
        }
    }

    #[test]
    fn empty_flat_one_colour_and_colour_are_told_apart() {
        assert_eq!(measure(&canvas()).colouring, Colouring::Empty);

        let block = RgbaImage::from_pixel(64, 64, Rgba([200, 10, 10, 255]));
        let m = measure(&block);
        assert_eq!(m.colouring, Colouring::Flat);
        assert_eq!((m.content_width, m.content_height), (64, 64));

        let mut silhouette = canvas();
        disc(&mut silhouette, 32, 32, 20, [255, 255, 255, 255]);
        let m = measure(&silhouette);
        assert_eq!(m.colouring, Colouring::OneColour);
        assert_eq!((m.content_width, m.content_height), (41, 41));

        let mut mark = canvas();
        disc(&mut mark, 32, 32, 20, [10, 120, 200, 255]);
        disc(&mut mark, 32, 32, 8, [250, 200, 0, 255]);
        assert_eq!(measure(&mark).colouring, Colouring::Colour);

        // A white letter on a black tile is two colours: a logo tile, not a silhouette.
        let mut tile = RgbaImage::from_pixel(64, 64, Rgba([0, 0, 0, 255]));
        disc(&mut tile, 32, 32, 10, [255, 255, 255, 255]);
        assert_eq!(measure(&tile).colouring, Colouring::Colour);
    }

    #[test]
    fn a_wide_mark_measures_wide() {
        let mut img = RgbaImage::from_pixel(256, 256, Rgba([0, 0, 0, 0]));
        for y in 96..160 {
            for x in 0..256 {
                img.put_pixel(x, y, Rgba([x as u8, 40, 200, 255]));
            }
        }
        let m = measure(&img);
        assert_eq!((m.content_width, m.content_height), (256, 64));
        assert!((m.aspect() - 4.0).abs() < 0.01);
    }
}

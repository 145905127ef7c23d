//! The one error type of the crate. Each message names the input and, where one applies, the
//! limit, so a log line alone says what happened and what to change.

use std::fmt;

use logofill_core::units::{Bytes, ExactBytes};

/// Everything that can go wrong turning bytes into a variant set.
///
/// [`ImageError::is_retryable`] is false when the *source* is unusable (bad image, over a
/// limit): retrying the same bytes cannot help, so the worker stores a placeholder instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// The input has no bytes at all.
    #[error("{name} is empty (0 bytes)")]
    Empty { name: String },

    /// The bytes match no image signature logofill knows.
    #[error("{name} is not an image ({hint})")]
    NotAnImage { name: String, hint: String },

    /// A recognised image format that logofill does not decode (TIFF, AVIF, HEIC, ...).
    #[error("{name} is {format}, which logofill does not read (use PNG, JPEG, GIF, WebP, ICO, BMP or SVG)")]
    Unsupported { name: String, format: &'static str },

    /// More input bytes than `max_input_bytes`.
    #[error("{name} is {}, over the {} input limit", ExactBytes(*.bytes), Bytes(*.limit))]
    InputTooLarge {
        name: String,
        bytes: u64,
        limit: u64,
    },

    /// The header declares more pixels than `max_pixels`.
    #[error("{name} is {width}x{height} = {} megapixels, over the {} megapixel limit", Mp(*.width as u64 * *.height as u64), Mp(*.limit))]
    TooManyPixels {
        name: String,
        width: u32,
        height: u32,
        limit: u64,
    },

    /// The header declares a zero width or height.
    #[error("{name} has no pixels ({width}x{height})")]
    ZeroSize {
        name: String,
        width: u32,
        height: u32,
    },

    /// Decoding would need more memory than `max_decode_alloc`.
    #[error("{name} needs {} to decode, over the {} decoder allocation limit", Needed(*.needed), Bytes(*.limit))]
    AllocationTooLarge {
        name: String,
        needed: Option<u64>,
        limit: u64,
    },

    /// SVG source longer than `max_svg_bytes`.
    #[error("{name} is an SVG of {}, over the {} SVG source limit", ExactBytes(*.bytes), Bytes(*.limit))]
    SvgTooLarge {
        name: String,
        bytes: u64,
        limit: u64,
    },

    /// SVG with more XML nodes than `max_svg_nodes`.
    #[error("{name} is an SVG with {nodes} or more XML nodes, over the {limit} node limit")]
    SvgTooManyNodes {
        name: String,
        nodes: usize,
        limit: usize,
    },

    /// An SVG DTD that logofill does not expand (an entity referring to another, markup in an
    /// entity value, a declaration it does not read).
    #[error("{name} has a DTD logofill refuses: {detail}")]
    SvgEntityRefused { name: String, detail: String },

    /// DTD entity references that expand to more than `max_svg_entity_bytes`.
    #[error("{name} expands DTD entities to {bytes} bytes or more, over the {limit} byte entity expansion limit")]
    SvgEntityExpansion {
        name: String,
        bytes: u64,
        limit: u64,
    },

    /// Elements nested deeper than `max_svg_depth`, counting what `<use>` instantiates.
    #[error("{name} nests elements {depth} deep, over the {limit} nesting limit")]
    SvgTooDeep {
        name: String,
        depth: u64,
        limit: u32,
    },

    /// More nodes than `max_svg_instantiated_nodes` once `<use>` and other references are
    /// expanded.
    #[error("{name} instantiates {nodes} or more nodes through <use> and references, over the {limit} instantiated node limit")]
    SvgUseExpansion {
        name: String,
        nodes: u64,
        limit: u64,
    },

    /// A `<use>` (or `<tref>`) reference cycle: usvg would instantiate it until its own depth
    /// limit.
    #[error("{name} has a <use> reference cycle through #{id}")]
    SvgUseCycle { name: String, id: String },

    /// More characters of text than `max_svg_text_chars`.
    #[error(
        "{name} has {chars} or more characters of text, over the {limit} character text limit"
    )]
    SvgTooMuchText {
        name: String,
        chars: u64,
        limit: u64,
    },

    /// `<style>` elements and `style` attributes longer than `max_svg_style_bytes` in total.
    #[error("{name} has {bytes} bytes of CSS, over the {limit} byte style limit")]
    SvgStyleTooLarge {
        name: String,
        bytes: u64,
        limit: u64,
    },

    /// More CSS rules than `max_svg_css_rules`.
    #[error("{name} has {rules} CSS rules, over the {limit} CSS rule limit")]
    SvgTooManyCssRules {
        name: String,
        rules: u64,
        limit: u64,
    },

    /// CSS selectors whose matching against the document could take more than
    /// `max_svg_css_match_steps`.
    #[error("{name} has CSS selectors needing {} matching steps over its elements, over the {limit} step selector limit", Steps(*.steps))]
    SvgCssTooComplex {
        name: String,
        steps: u64,
        limit: u64,
    },

    /// A `<filter>` with more primitives than `max_svg_filter_primitives`.
    #[error("{name} has a filter with {primitives} primitives, over the {limit} primitive per filter limit")]
    SvgFilterTooLong {
        name: String,
        primitives: u64,
        limit: u64,
    },

    /// More filters applied in the drawing than `max_svg_filters`.
    #[error("{name} applies {filters} filters, over the {limit} filter limit")]
    SvgTooManyFilters {
        name: String,
        filters: u64,
        limit: u64,
    },

    /// A filter region larger than `max_svg_filter_area` times the drawing.
    #[error("{name} has a filter region {ratio:.1} times the size of the drawing, over the {limit} times filter region limit")]
    SvgFilterRegionTooLarge {
        name: String,
        ratio: f32,
        limit: f32,
    },

    /// A filter primitive parameter over its limit (feMorphology radius in pixels,
    /// feTurbulence numOctaves, feConvolveMatrix order).
    #[error("{name} has an {primitive} {parameter} of {value}{unit}, over the {limit}{unit} {parameter} limit")]
    SvgFilterParameter {
        name: String,
        primitive: &'static str,
        parameter: &'static str,
        value: u64,
        limit: u64,
        /// `" px"` for sizes measured at the largest rendered size, empty for counts.
        unit: &'static str,
    },

    /// More embedded raster images than `max_svg_images` (counting every instantiation).
    #[error("{name} draws {images} embedded images, over the {limit} embedded image limit")]
    SvgTooManyImages {
        name: String,
        images: u64,
        limit: u64,
    },

    /// Distinct embedded raster images whose pixels add up to more than
    /// `max_svg_image_pixels`.
    #[error("{name} embeds images of {} megapixels in total, over the {} megapixel embedded image limit", Mp(*.pixels), Mp(*.limit))]
    SvgImagePixels {
        name: String,
        pixels: u64,
        limit: u64,
    },

    /// A JPEG with more scans (SOS markers) than `max_jpeg_scans`.
    #[error("{name} has {scans} or more JPEG scans, over the {limit} scan limit")]
    JpegTooManyScans {
        name: String,
        scans: u64,
        limit: u64,
    },

    /// The bytes end before the image does.
    #[error("{name} is a truncated {format} ({detail})")]
    Truncated {
        name: String,
        format: &'static str,
        detail: String,
    },

    /// The bytes are damaged or use a variant of the format the decoder rejects.
    #[error("{name} is not a valid {format}: {detail}")]
    Corrupt {
        name: String,
        format: &'static str,
        detail: String,
    },

    /// `PipelineOptions` that cannot work (no sizes, size 0, ...). A configuration bug.
    #[error("invalid pipeline options: {0}")]
    InvalidOptions(String),

    /// Encoding a variant failed. Not caused by the source: a bug or resource problem.
    #[error("encoding the {size}px {format} variant of {name} failed: {detail}")]
    Encode {
        name: String,
        size: u32,
        format: &'static str,
        detail: String,
    },
}

impl ImageError {
    /// True for configuration and encoder failures, which say nothing about the source: the
    /// same bytes may render on another try. False when the source itself is unusable (retrying
    /// the same bytes cannot succeed), so the caller falls back to the next source or a
    /// placeholder.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ImageError::InvalidOptions(_) | ImageError::Encode { .. }
        )
    }

    /// A short stable name for logs and metrics (`"too_many_pixels"`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            ImageError::Empty { .. } => "empty",
            ImageError::NotAnImage { .. } => "not_an_image",
            ImageError::Unsupported { .. } => "unsupported_format",
            ImageError::InputTooLarge { .. } => "input_too_large",
            ImageError::TooManyPixels { .. } => "too_many_pixels",
            ImageError::ZeroSize { .. } => "zero_size",
            ImageError::AllocationTooLarge { .. } => "allocation_too_large",
            ImageError::SvgTooLarge { .. } => "svg_too_large",
            ImageError::SvgTooManyNodes { .. } => "svg_too_many_nodes",
            ImageError::SvgEntityRefused { .. } => "svg_entity_refused",
            ImageError::SvgEntityExpansion { .. } => "svg_entity_expansion",
            ImageError::SvgTooDeep { .. } => "svg_too_deep",
            ImageError::SvgUseExpansion { .. } => "svg_use_expansion",
            ImageError::SvgUseCycle { .. } => "svg_use_cycle",
            ImageError::SvgTooMuchText { .. } => "svg_too_much_text",
            ImageError::SvgStyleTooLarge { .. } => "svg_style_too_large",
            ImageError::SvgTooManyCssRules { .. } => "svg_too_many_css_rules",
            ImageError::SvgCssTooComplex { .. } => "svg_css_too_complex",
            ImageError::SvgFilterTooLong { .. } => "svg_filter_too_long",
            ImageError::SvgTooManyFilters { .. } => "svg_too_many_filters",
            ImageError::SvgFilterRegionTooLarge { .. } => "svg_filter_region_too_large",
            ImageError::SvgFilterParameter { .. } => "svg_filter_parameter",
            ImageError::SvgTooManyImages { .. } => "svg_too_many_images",
            ImageError::SvgImagePixels { .. } => "svg_image_pixels",
            ImageError::JpegTooManyScans { .. } => "jpeg_too_many_scans",
            ImageError::Truncated { .. } => "truncated",
            ImageError::Corrupt { .. } => "corrupt",
            ImageError::InvalidOptions(_) => "invalid_options",
            ImageError::Encode { .. } => "encode_failed",
        }
    }
}

/// Megapixels: "16" and "400" when whole, otherwise enough decimals to tell the value apart
/// from the whole number next to it ("16.000001", not "16.0", for one pixel over the limit).
struct Mp(u64);

impl fmt::Display for Mp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(1_000_000) {
            write!(f, "{}", self.0 / 1_000_000)
        } else {
            f.write_str(&format_mp_precise(self.0))
        }
    }
}

/// Enough decimals to tell the value apart from the whole number next to it.
fn format_mp_precise(pixels: u64) -> String {
    let whole = pixels / 1_000_000;
    let frac = format!("{:06}", pixels % 1_000_000);
    let frac = frac.trim_end_matches('0');
    // Up to the first non-zero digit and one more: short, and never rounds to the limit.
    let first_nz = frac.find(|c: char| c != '0').unwrap_or(0);
    let keep = &frac[..(first_nz + 2).min(frac.len())];
    format!("{whole}.{keep}")
}

/// "up to 2500000" for a count that was computed, "more than 10^12" for one that ran past
/// any meaningful number (the count saturates rather than overflows).
struct Steps(u64);

impl fmt::Display for Steps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HUGE: u64 = 1_000_000_000_000;
        if self.0 > HUGE {
            f.write_str("more than 10^12")
        } else {
            write!(f, "up to {}", self.0)
        }
    }
}

/// "96 MiB" when the decoder's need is known, "more memory" when it only said no.
struct Needed(Option<u64>);

impl fmt::Display for Needed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(n) => Bytes(n).fmt(f),
            None => f.write_str("more memory"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saturated_step_count_reads_as_a_bound() {
        let e = ImageError::SvgCssTooComplex {
            name: "x.svg".into(),
            steps: u64::MAX,
            limit: 2_000_000,
        };
        assert_eq!(
            e.to_string(),
            "x.svg has CSS selectors needing more than 10^12 matching steps over its elements, \
             over the 2000000 step selector limit"
        );
    }

    #[test]
    fn megapixels_read_naturally() {
        assert_eq!(Mp(400_000_000).to_string(), "400");
        assert_eq!(Mp(16_000_000).to_string(), "16");
        assert_eq!(Mp(16_000_001).to_string(), "16.000001");
        assert_eq!(Mp(24_500_000).to_string(), "24.5");
        assert_eq!(Mp(16_777_216).to_string(), "16.77");
        assert_eq!(Mp(250_000).to_string(), "0.25");
    }

    #[test]
    fn bomb_message_names_input_and_limit() {
        let e = ImageError::TooManyPixels {
            name: "logo.png".into(),
            width: 20000,
            height: 20000,
            limit: 16_000_000,
        };
        assert_eq!(
            e.to_string(),
            "logo.png is 20000x20000 = 400 megapixels, over the 16 megapixel limit"
        );
        assert!(!e.is_retryable());
    }
}

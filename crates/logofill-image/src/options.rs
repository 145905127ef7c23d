//! Pipeline configuration. Every limit is a named field with a default taken from design.md
//! ("Safety limits"), so the worker can read them from its config once and fail fast.

use crate::ImageError;

/// Sizes rendered when none are configured (design.md, "Object layout").
pub const DEFAULT_SIZES: [u32; 3] = [64, 128, 256];

/// Largest variant edge accepted in [`PipelineOptions::sizes`]. Bigger variants would make the
/// encoders, not the decoder, the memory peak.
pub const MAX_VARIANT_SIZE: u32 = 2048;

/// Limits checked before each expensive step. The defaults keep the whole worker within a
/// 128 MB Lambda: at most `max_decode_alloc` for the decoded image, plus the input itself, plus
/// a few small buffers for resizing and encoding.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineLimits {
    /// Largest input accepted, in bytes. Checked before anything is parsed.
    pub max_input_bytes: u64,
    /// Largest decoded image, in pixels (width x height), read from the header.
    pub max_pixels: u64,
    /// Largest working set a decoder may hold for one image, in bytes: the output buffer plus
    /// the decoder's own buffers (a progressive JPEG's coefficients, a lossy WebP's planes and
    /// alpha plane, an animation's canvas), estimated from the headers before decoding. Output
    /// is at most 8 bits per channel, so a 16 MP RGBA PNG needs 64 MiB.
    pub max_decode_alloc: u64,
    /// Largest SVG source, in bytes (an SVG is parsed into a tree several times its size).
    pub max_svg_bytes: u64,
    /// Most XML nodes (elements, text, ...) an SVG may have.
    pub max_svg_nodes: usize,
    /// Most bytes DTD entity references in an SVG may expand to, in total. Entities whose value
    /// refers to another entity are refused outright (`crate::svg_dtd`).
    pub max_svg_entity_bytes: u64,
    /// Deepest element nesting in an SVG, counting the groups `<use>` instantiates. usvg and
    /// resvg recurse once per level; 19,000 levels overflowed the stack.
    pub max_svg_depth: u32,
    /// Most nodes an SVG may instantiate once every `<use>`, `<tref>` and `url(#...)` reference
    /// (clip path, mask, marker, pattern, filter, gradient) is expanded where it is used.
    pub max_svg_instantiated_nodes: u64,
    /// Most characters of text inside `<text>` elements (after reference expansion); each is
    /// shaped and turned into a path.
    pub max_svg_text_chars: u64,
    /// Most bytes of CSS: all `<style>` elements and `style` attributes together.
    pub max_svg_style_bytes: u64,
    /// Most CSS rules (each selector of a comma-separated list is one rule). usvg matches every
    /// rule against every element.
    pub max_svg_css_rules: u64,
    /// Most selector matching steps the CSS may cost, counted as an upper bound: for each rule and
    /// element, the ancestors a descendant selector may try (`crate::svg_cost`).
    pub max_svg_css_match_steps: u64,
    /// Most primitives in one `<filter>`. resvg keeps every primitive's result, one filter-region
    /// pixmap each, until the filter is done.
    pub max_svg_filter_primitives: u64,
    /// Most filters applied in the whole drawing, counting every element they apply to.
    pub max_svg_filters: u64,
    /// Largest filter region, as a multiple of the drawing's area.
    pub max_svg_filter_area: f32,
    /// Largest feMorphology radius, in pixels at the largest size rendered (its cost per pixel
    /// grows with the square of the radius).
    pub max_svg_morphology_radius_px: u64,
    /// Largest feTurbulence `numOctaves` (its cost per pixel grows with it).
    pub max_svg_turbulence_octaves: u64,
    /// Largest feConvolveMatrix `order` on either axis (its cost per pixel is the product).
    pub max_svg_convolve_order: u64,
    /// Most embedded raster images (`<image href="data:...">`) drawn, counting each use.
    pub max_svg_images: u64,
    /// Most pixels of the distinct embedded raster images together, each decoded once.
    pub max_svg_image_pixels: u64,
    /// Most scans (SOS markers) in a JPEG; a progressive JPEG has about ten.
    pub max_jpeg_scans: u64,
}

impl Default for PipelineLimits {
    fn default() -> Self {
        Self {
            max_input_bytes: 10 * 1024 * 1024,
            max_pixels: 16_000_000,
            max_decode_alloc: 80 * 1024 * 1024,
            max_svg_bytes: 2 * 1024 * 1024,
            max_svg_nodes: 20_000,
            max_svg_entity_bytes: 64 * 1024,
            max_svg_depth: 128,
            max_svg_instantiated_nodes: 50_000,
            max_svg_text_chars: 10_000,
            max_svg_style_bytes: 256 * 1024,
            max_svg_css_rules: 2_000,
            max_svg_css_match_steps: 2_000_000,
            max_svg_filter_primitives: 16,
            max_svg_filters: 32,
            max_svg_filter_area: 4.0,
            max_svg_morphology_radius_px: 16,
            max_svg_turbulence_octaves: 10,
            max_svg_convolve_order: 9,
            max_svg_images: 64,
            max_svg_image_pixels: 32_000_000,
            max_jpeg_scans: 64,
        }
    }
}

/// Removing uniform margins before fitting, so a small logo on a big canvas fills its square.
#[derive(Debug, Clone, PartialEq)]
pub struct TrimOptions {
    /// Largest difference per channel (0-255) from the border colour still counted as margin.
    pub tolerance: u8,
    /// Margin kept around the trimmed content, as a fraction of its longer side (0.0-0.5).
    pub padding: f32,
}

impl Default for TrimOptions {
    fn default() -> Self {
        Self {
            tolerance: 16,
            padding: 0.04,
        }
    }
}

/// Everything a [`crate::Pipeline`] needs to know.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineOptions {
    /// Square edge of each variant in pixels. Variants come out in ascending order.
    pub sizes: Vec<u32>,
    /// Decoder and input limits.
    pub limits: PipelineLimits,
    /// Margin trimming; `None` (the default) keeps the source canvas as it is.
    pub trim: Option<TrimOptions>,
    /// WebP quality, 0-100. Variants are encoded lossy with lossless alpha edges kept exact.
    pub webp_quality: f32,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        Self {
            sizes: DEFAULT_SIZES.to_vec(),
            limits: PipelineLimits::default(),
            trim: None,
            webp_quality: 85.0,
        }
    }
}

impl PipelineOptions {
    /// Checks the options and returns them with sizes sorted ascending and deduplicated.
    pub(crate) fn validated(mut self) -> Result<Self, ImageError> {
        if self.sizes.is_empty() {
            return Err(ImageError::InvalidOptions(
                "at least one size is needed".into(),
            ));
        }
        if let Some(bad) = self
            .sizes
            .iter()
            .find(|s| **s == 0 || **s > MAX_VARIANT_SIZE)
        {
            return Err(ImageError::InvalidOptions(format!(
                "size {bad} is outside 1..={MAX_VARIANT_SIZE}"
            )));
        }
        self.sizes.sort_unstable();
        self.sizes.dedup();
        if !(0.0..=100.0).contains(&self.webp_quality) {
            return Err(ImageError::InvalidOptions(format!(
                "webp_quality {} is outside 0..=100",
                self.webp_quality
            )));
        }
        if let Some(trim) = &self.trim {
            if !(0.0..=0.5).contains(&trim.padding) {
                return Err(ImageError::InvalidOptions(format!(
                    "trim padding {} is outside 0.0..=0.5",
                    trim.padding
                )));
            }
        }
        let l = &self.limits;
        if l.max_input_bytes == 0 || l.max_pixels == 0 || l.max_decode_alloc == 0 {
            return Err(ImageError::InvalidOptions(
                "limits must be above zero".into(),
            ));
        }
        Ok(self)
    }
}

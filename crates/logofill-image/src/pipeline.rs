//! The public face of the crate: [`Pipeline`] turns bytes into a [`RenderedSet`].
//!
//! Order of work for one input, cheapest refusal first: byte count, format sniff, header
//! (dimensions, allocation), decode, fit, encode. The sha256 of the source is taken up front so
//! it is in the provenance of every set, including refusals logged by the caller.

use std::panic::{catch_unwind, AssertUnwindSafe};

use image::metadata::Orientation;
use image::DynamicImage;
use sha2::{Digest, Sha256};

use crate::appearance::{measure, Appearance};
use crate::decode::{decode_raster, Raster};
use crate::fit::{centre, fit_raster, Square};
use crate::format::sniff;
use crate::{
    encode, placeholder, svg, ImageError, PipelineOptions, SourceFormat, PIPELINE_VERSION,
};

/// Whether a set shows a real logo or a generated placeholder (`kind` metadata).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogoKind {
    Logo,
    Placeholder,
}

impl LogoKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LogoKind::Logo => "logo",
            LogoKind::Placeholder => "placeholder",
        }
    }
}

/// Encoding of one variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    Png,
    Webp,
}

impl OutputFormat {
    /// File extension, also the `{ext}` of the object key.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Png => "png",
            OutputFormat::Webp => "webp",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            OutputFormat::Png => "image/png",
            OutputFormat::Webp => "image/webp",
        }
    }
}

/// One encoded square image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// Edge in pixels: the image is `size` x `size`.
    pub size: u32,
    pub format: OutputFormat,
    pub bytes: Vec<u8>,
}

impl Variant {
    pub fn content_type(&self) -> &'static str {
        self.format.content_type()
    }

    /// `"{size}.{ext}"`, the last part of the object key `logos/{company_id}/{size}.{ext}`.
    pub fn file_name(&self) -> String {
        format!("{}.{}", self.size, self.format.extension())
    }
}

/// What the source was, for the `source-sha256` metadata and for logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    /// Lower-case hex sha256 of the source bytes.
    pub sha256: String,
    pub format: SourceFormat,
    /// Displayed size (after EXIF orientation; an SVG's nominal size).
    pub width: u32,
    pub height: u32,
    /// How the rendered logo looks (measured on the largest variant).
    pub appearance: Appearance,
}

/// Where a set came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// `None` for placeholders.
    pub source: Option<SourceInfo>,
    /// [`PIPELINE_VERSION`] of the code that rendered the set.
    pub pipeline_version: &'static str,
}

/// All variants of one logo or placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedSet {
    pub kind: LogoKind,
    /// Ascending by size, PNG before WebP for each size: writing them in this order puts the
    /// largest variant last, so its presence means the whole set is stored (design.md).
    pub variants: Vec<Variant>,
    pub provenance: Provenance,
}

impl RenderedSet {
    /// Object metadata owned by the pipeline: `kind`, `pipeline-version`, `phash`, and for a
    /// logo `source-sha256`, `source-format`, `source-width`, `source-height` and
    /// `content-aspect`. The caller adds `source-url` and its own entries.
    pub fn metadata(&self) -> Vec<(&'static str, String)> {
        let mut metadata = vec![
            ("kind", self.kind.as_str().to_string()),
            (
                "pipeline-version",
                self.provenance.pipeline_version.to_string(),
            ),
        ];
        if let Some(source) = &self.provenance.source {
            metadata.extend([
                ("source-sha256", source.sha256.clone()),
                ("source-format", source.format.as_str().to_string()),
                ("source-width", source.width.to_string()),
                ("source-height", source.height.to_string()),
                (
                    "content-aspect",
                    format!("{:.2}", source.appearance.aspect()),
                ),
            ]);
        }
        if let Some(hash) = self.perceptual_hash() {
            metadata.push(("phash", hash.to_hex()));
        }
        metadata
    }

    /// The perceptual hash of the largest PNG variant (`None` if the set has none).
    pub fn perceptual_hash(&self) -> Option<PerceptualHash> {
        let largest = self
            .variants
            .iter()
            .filter(|v| v.format == OutputFormat::Png)
            .max_by_key(|v| v.size)?;
        PerceptualHash::of_png(&largest.bytes)
    }
}

/// A perceptual hash: a 64-bit DCT hash of the shape (the image composited on white, in
/// luminance) and the mean colour. Two renders that a person would call the same logo differ in
/// a few shape bits and a few colour levels, whatever the encoder's bytes; a new mark or a new
/// brand colour does not (the shape hash alone cannot see a red mark turn green).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerceptualHash {
    shape: u64,
    colour: [u8; 3],
}

impl PerceptualHash {
    /// Shape bits that may differ for two renders to count as the same logo: another size or
    /// format of the same file, a new anti-aliasing stays within it (0 or 1 bit in the
    /// tests); another mark of the same colour and place does not (11).
    pub const SAME_LOGO_DISTANCE: u32 = 4;
    /// Levels (of 255) each channel of the mean colour may move for the same logo.
    pub const SAME_COLOUR_LEVELS: u8 = 12;

    /// Largest edge of a PNG that is hashed: the pipeline writes squares of at most its largest
    /// size; anything claiming more is not one of ours and is not decoded.
    pub const MAX_HASHED_EDGE: u32 = 2048;

    /// Hash a PNG this pipeline wrote. The decode is bounded all the same (edge and
    /// allocation), since the bytes come back from a render helper process.
    pub fn of_png(png: &[u8]) -> Option<Self> {
        let mut reader =
            image::ImageReader::with_format(std::io::Cursor::new(png), image::ImageFormat::Png);
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(Self::MAX_HASHED_EDGE);
        limits.max_image_height = Some(Self::MAX_HASHED_EDGE);
        limits.max_alloc = Some(32 << 20);
        reader.limits(limits);
        let decoded = reader.decode().ok()?;
        let mut rgba = decoded.to_rgba8();
        // Transparency reads as white, as on the page; the hasher would otherwise drop alpha
        // and see whatever colour the transparent pixels happen to carry.
        let mut sums = [0u64; 3];
        for pixel in rgba.pixels_mut() {
            let [r, g, b, a] = pixel.0;
            let blend = |c: u8| ((c as u32 * a as u32 + 255 * (255 - a as u32)) / 255) as u8;
            pixel.0 = [blend(r), blend(g), blend(b), 255];
            for (sum, c) in sums.iter_mut().zip(pixel.0) {
                *sum += c as u64;
            }
        }
        let pixels = (rgba.width() as u64 * rgba.height() as u64).max(1);
        let colour = sums.map(|sum| (sum / pixels) as u8);
        let hasher = image_hasher::HasherConfig::new()
            .hash_size(8, 8)
            .hash_alg(image_hasher::HashAlg::Mean)
            .preproc_dct()
            .to_hasher();
        let hash = hasher.hash_image(&image::DynamicImage::ImageRgba8(rgba));
        let bytes: [u8; 8] = hash.as_bytes().try_into().ok()?;
        Some(PerceptualHash {
            shape: u64::from_be_bytes(bytes),
            colour,
        })
    }

    /// 22 lower-case hex digits (the shape hash, then the mean colour as `rrggbb`), as stored
    /// in `phash` metadata.
    pub fn to_hex(self) -> String {
        let [r, g, b] = self.colour;
        format!("{:016x}{r:02x}{g:02x}{b:02x}", self.shape)
    }

    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 22 || !hex.is_ascii() {
            return None;
        }
        let shape = u64::from_str_radix(&hex[..16], 16).ok()?;
        let channel = |i: usize| u8::from_str_radix(&hex[16 + 2 * i..18 + 2 * i], 16).ok();
        Some(PerceptualHash {
            shape,
            colour: [channel(0)?, channel(1)?, channel(2)?],
        })
    }

    /// Shape bits that differ.
    pub fn distance(self, other: PerceptualHash) -> u32 {
        (self.shape ^ other.shape).count_ones()
    }

    /// Whether `other` shows the same logo: the shape within [`Self::SAME_LOGO_DISTANCE`] and
    /// every channel of the mean colour within [`Self::SAME_COLOUR_LEVELS`].
    pub fn same_logo(self, other: PerceptualHash) -> bool {
        self.distance(other) <= Self::SAME_LOGO_DISTANCE
            && self
                .colour
                .iter()
                .zip(other.colour)
                .all(|(a, b)| a.abs_diff(b) <= Self::SAME_COLOUR_LEVELS)
    }
}

/// The image pipeline. Build it once with the worker's config and share it: it is
/// `Send + Sync`, holds no per-call state, and every call is synchronous CPU work.
#[derive(Debug, Clone)]
pub struct Pipeline {
    options: PipelineOptions,
}

impl Pipeline {
    /// Checks the options (sizes sorted and deduplicated) and builds the pipeline.
    pub fn new(options: PipelineOptions) -> Result<Self, ImageError> {
        Ok(Self {
            options: options.validated()?,
        })
    }

    pub fn options(&self) -> &PipelineOptions {
        &self.options
    }

    /// Renders the variant set of a logo. `name` only appears in error messages (a URL or a
    /// file path). A decoder panic on hostile input is reported as a corrupt image, not
    /// propagated: the same bytes would panic again on every retry.
    pub fn render(&self, name: &str, bytes: &[u8]) -> Result<RenderedSet, ImageError> {
        match catch_unwind(AssertUnwindSafe(|| self.render_inner(name, bytes))) {
            Ok(result) => result,
            Err(panic) => {
                let detail = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "decoder panicked".into());
                Err(ImageError::Corrupt {
                    name: name.to_string(),
                    format: sniff(name, bytes).map(|f| f.label()).unwrap_or("image"),
                    detail: format!("decoder failed: {detail}"),
                })
            }
        }
    }

    fn render_inner(&self, name: &str, bytes: &[u8]) -> Result<RenderedSet, ImageError> {
        let limits = &self.options.limits;
        if bytes.is_empty() {
            return Err(ImageError::Empty {
                name: name.to_string(),
            });
        }
        if bytes.len() as u64 > limits.max_input_bytes {
            return Err(ImageError::InputTooLarge {
                name: name.to_string(),
                bytes: bytes.len() as u64,
                limit: limits.max_input_bytes,
            });
        }
        let format = sniff(name, bytes)?;
        let sizes = &self.options.sizes;
        let trim = self.options.trim.as_ref();
        let (squares, (width, height)) = if format == SourceFormat::Svg {
            let largest = *sizes.last().expect("validated: sizes not empty");
            let render_edge = match trim {
                None => largest,
                Some(_) => (largest * 2).min(2048),
            };
            let vector = svg::parse(name, bytes, limits, render_edge, largest * 2)?;
            let dims = vector.dimensions();
            let squares = match trim {
                None => sizes
                    .iter()
                    .map(|&s| Square {
                        size: s,
                        rgba: centre(&svg::render_fitted(&vector, s), s),
                    })
                    .collect(),
                Some(_) => {
                    // Trim works on pixels: render once at twice the largest size, then go the
                    // raster way.
                    let largest = *sizes.last().expect("validated: sizes not empty");
                    let image = svg::render_fitted(&vector, (largest * 2).min(2048));
                    let raster = Raster {
                        stored_dims: image.dimensions(),
                        image: DynamicImage::ImageRgba8(image),
                        orientation: Orientation::NoTransforms,
                    };
                    fit_raster(raster, sizes, trim).map_err(|e| resize_error(name, e))?
                }
            };
            (squares, dims)
        } else {
            // Trim needs the full resolution: the logo may be a small part of the canvas.
            let scale_to = if trim.is_some() {
                None
            } else {
                sizes.last().copied()
            };
            let raster = decode_raster(name, format, bytes, limits, scale_to)?;
            let dims = raster.display_dimensions();
            (
                fit_raster(raster, sizes, trim).map_err(|e| resize_error(name, e))?,
                dims,
            )
        };
        let appearance = measure(
            &squares
                .last()
                .expect("validated: sizes not empty, one square each")
                .rgba,
        );
        let variants = self.encode_all(name, &squares)?;
        Ok(RenderedSet {
            kind: LogoKind::Logo,
            variants,
            provenance: Provenance {
                source: Some(SourceInfo {
                    sha256: sha256_hex(bytes),
                    format,
                    width,
                    height,
                    appearance,
                }),
                pipeline_version: PIPELINE_VERSION,
            },
        })
    }

    /// Renders the placeholder set for a company without a usable logo: its initial on a colour
    /// derived from `company_id`. The same id and name always give the same bytes. Fails only if
    /// an encoder fails (not a permanent error).
    pub fn placeholder(
        &self,
        company_id: &str,
        company_name: &str,
    ) -> Result<RenderedSet, ImageError> {
        let design = placeholder::Design::new(company_id, company_name);
        let largest = *self
            .options
            .sizes
            .last()
            .expect("validated: sizes not empty");
        let vector = svg::parse(
            "placeholder",
            design.svg().as_bytes(),
            &crate::PipelineLimits::default(),
            largest,
            largest * 2,
        )
        .expect("the placeholder SVG is well-formed");
        let squares: Vec<Square> = self
            .options
            .sizes
            .iter()
            .map(|&s| Square {
                size: s,
                rgba: svg::render_fitted(&vector, s),
            })
            .collect();
        let variants = self.encode_all(&format!("placeholder for {company_id}"), &squares)?;
        Ok(RenderedSet {
            kind: LogoKind::Placeholder,
            variants,
            provenance: Provenance {
                source: None,
                pipeline_version: PIPELINE_VERSION,
            },
        })
    }

    fn encode_all(&self, name: &str, squares: &[Square]) -> Result<Vec<Variant>, ImageError> {
        let mut variants = Vec::with_capacity(squares.len() * 2);
        for sq in squares {
            variants.push(Variant {
                size: sq.size,
                format: OutputFormat::Png,
                bytes: encode::png(name, &sq.rgba)?,
            });
            variants.push(Variant {
                size: sq.size,
                format: OutputFormat::Webp,
                bytes: encode::webp(name, &sq.rgba, self.options.webp_quality)?,
            });
        }
        Ok(variants)
    }
}

fn resize_error(name: &str, detail: String) -> ImageError {
    ImageError::Encode {
        name: name.to_string(),
        size: 0,
        format: "resize",
        detail,
    }
}

/// Lower-case hex sha256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for b in digest {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipeline_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Pipeline>();
        check::<RenderedSet>();
        check::<ImageError>();
    }

    #[test]
    fn sha256_is_lower_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

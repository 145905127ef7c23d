//! logofill-image: the part of the logofill worker that turns the bytes of a logo into the
//! square variant set stored under `logos/{company_id}/{size}.{png,webp}`.
//!
//! Decisions encoded here:
//! - The format comes from the bytes (magic numbers), never from a file name or a Content-Type.
//! - Every limit ([`PipelineLimits`]) is checked from the header, before the decoder allocates
//!   the image, so a decompression bomb costs a header parse and nothing more.
//! - Errors say whether the source is unusable (not [`ImageError::is_retryable`]): the worker turns
//!   those into placeholders instead of retrying.
//! - CPU work is synchronous and [`Pipeline`] is `Send + Sync`; async callers use
//!   `spawn_blocking`.
//! - No AWS, no network, no file system: bytes in, bytes out. SVG never loads anything external.

mod appearance;
mod decode;
mod encode;
mod error;
mod fit;
mod font;
mod format;
mod options;
mod pipeline;
mod placeholder;
mod svg;
mod svg_cost;
mod svg_dtd;
mod svg_images;
mod webp_cost;

pub use appearance::{Appearance, Colouring};
pub use error::ImageError;
pub use format::SourceFormat;
pub use options::{PipelineLimits, PipelineOptions, TrimOptions, DEFAULT_SIZES};
pub use pipeline::{
    LogoKind, OutputFormat, PerceptualHash, Pipeline, Provenance, RenderedSet, SourceInfo, Variant,
};

/// Version of the rendering pipeline, stored as `pipeline-version` metadata on every object.
/// Bump it whenever the pixels or bytes produced for the same input change, so stale sets can be
/// found and re-rendered.
pub const PIPELINE_VERSION: &str = "3";

/// Size in bytes of the font embedded for placeholders and SVG text.
pub const EMBEDDED_FONT_BYTES: usize = font::FONT.len();

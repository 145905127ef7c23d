//! Raster images embedded in an SVG (`<image href="data:...">`), decoded by logofill, not by
//! resvg.
//!
//! Why: resvg decodes an embedded image each time it draws it, with its own decoder settings,
//! and usvg asks for it once per `<image>` it converts. A 16 MP PNG embedded once and drawn
//! fifty times was fifty full decodes at every variant size. Here each distinct image (keyed by
//! the sha256 of its bytes) goes through the same checks as a fetched raster (`decode_raster`:
//! bytes, pixels, working set, the JPEG and WebP cost walks), once; it is shrunk to at most
//! `max_edge` pixels (twice the largest variant: more is never visible) and handed to usvg as a
//! small PNG that logofill encoded itself. A shrunk image is wrapped in a one-image SVG of the
//! original size, so an `<image>` without `width`/`height` keeps its intrinsic size.
//! The distinct images' pixels are summed against `max_svg_image_pixels`.
//!
//! usvg's resolver cannot return an error, so a refusal is recorded here and returned by
//! [`EmbeddedImages::finish`] after conversion. An image that is over a limit refuses the whole
//! SVG (it is hostile); one that is merely broken or not a raster renders as nothing, as a
//! browser would show it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use resvg::usvg;
use sha2::{Digest, Sha256};

use crate::decode::decode_raster;
use crate::format::sniff;
use crate::{encode, fit, ImageError, PipelineLimits, SourceFormat};

#[derive(Default)]
struct State {
    decoded: HashMap<[u8; 32], Option<usvg::ImageKind>>,
    pixels: u64,
    refusal: Option<ImageError>,
}

/// The embedded images of one SVG, shared between usvg's resolver and the caller.
#[derive(Clone)]
pub(crate) struct EmbeddedImages {
    name: String,
    limits: PipelineLimits,
    max_edge: u32,
    state: Arc<Mutex<State>>,
}

impl EmbeddedImages {
    pub fn new(name: &str, limits: &PipelineLimits, max_edge: u32) -> Self {
        Self {
            name: name.to_string(),
            limits: limits.clone(),
            max_edge: max_edge.max(1),
            state: Arc::default(),
        }
    }

    /// usvg's `resolve_data`: the image to draw, or `None` to draw nothing.
    pub fn resolve(&self, data: &[u8]) -> Option<usvg::ImageKind> {
        let key: [u8; 32] = Sha256::digest(data).into();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.refusal.is_some() {
            return None;
        }
        if let Some(done) = state.decoded.get(&key) {
            return done.clone();
        }
        let n = state.decoded.len() + 1;
        let result = self.decode(n, data, &mut state);
        let kind = match result {
            Ok(kind) => kind,
            Err(e) => {
                if refuses_svg(&e) {
                    state.refusal = Some(e);
                }
                None
            }
        };
        state.decoded.insert(key, kind.clone());
        kind
    }

    fn decode(
        &self,
        n: usize,
        data: &[u8],
        state: &mut State,
    ) -> Result<Option<usvg::ImageKind>, ImageError> {
        let name = format!("{} (embedded image {n})", self.name);
        if data.len() as u64 > self.limits.max_input_bytes {
            return Err(ImageError::InputTooLarge {
                name,
                bytes: data.len() as u64,
                limit: self.limits.max_input_bytes,
            });
        }
        let format = sniff(&name, data)?;
        if !matches!(
            format,
            SourceFormat::Png | SourceFormat::Jpeg | SourceFormat::Gif | SourceFormat::WebP
        ) {
            return Ok(None);
        }
        let raster = decode_raster(&name, format, data, &self.limits, Some(self.max_edge))?;
        let (w, h) = raster.display_dimensions();
        state.pixels = state.pixels.saturating_add(w as u64 * h as u64);
        if state.pixels > self.limits.max_svg_image_pixels {
            return Err(ImageError::SvgImagePixels {
                name: self.name.clone(),
                pixels: state.pixels,
                limit: self.limits.max_svg_image_pixels,
            });
        }
        let rgba = fit::fit_within(raster, self.max_edge).map_err(|detail| ImageError::Encode {
            name: name.clone(),
            size: self.max_edge,
            format: "resize",
            detail,
        })?;
        let png = encode::png(&name, &rgba)?;
        if (rgba.width(), rgba.height()) == (w, h) {
            return Ok(Some(usvg::ImageKind::PNG(Arc::new(png))));
        }
        // Shrunk: keep the intrinsic size with a one-image SVG of the original dimensions.
        let b64 = base64::engine::general_purpose::STANDARD.encode(&png);
        let wrapper = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}"><image width="{w}" height="{h}" preserveAspectRatio="none" href="data:image/png;base64,{b64}"/></svg>"#
        );
        let tree = usvg::Tree::from_str(&wrapper, &usvg::Options::default()).map_err(|e| {
            ImageError::Encode {
                name,
                size: self.max_edge,
                format: "SVG wrapper",
                detail: e.to_string(),
            }
        })?;
        Ok(Some(usvg::ImageKind::SVG(tree)))
    }

    /// The refusal recorded while usvg converted the document, if any.
    pub fn finish(&self) -> Result<(), ImageError> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match state.refusal.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// Limits refuse the whole SVG; a broken or unknown embedded image only draws nothing.
fn refuses_svg(e: &ImageError) -> bool {
    !matches!(
        e,
        ImageError::NotAnImage { .. }
            | ImageError::Unsupported { .. }
            | ImageError::Corrupt { .. }
            | ImageError::Truncated { .. }
            | ImageError::Empty { .. }
            | ImageError::ZeroSize { .. }
    )
}

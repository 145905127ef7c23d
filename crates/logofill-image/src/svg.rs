//! SVG rendering with resvg, as a closed world: no file, URL or system font is ever read.
//! `<image href>` is honoured only for `data:` URIs holding a PNG, JPEG, GIF or WebP whose header
//! is within the pixel limit; every other reference (http:, file:, relative paths, nested SVG)
//! renders as nothing. `<use>` only ever resolves ids inside the document. Text uses the
//! embedded font whatever family the SVG asks for, so output does not depend on the machine.
//!
//! Limits, cheapest first: source bytes; DTD entities expanded by `crate::svg_dtd` within a byte
//! bound (roxmltree never sees a DTD); XML node count while the tree is built; then, on the
//! roxmltree document before usvg converts it, nesting depth, `<use>` and reference fan-out,
//! text, CSS and filter lengths (`crate::svg_cost`); embedded rasters are decoded once each by
//! logofill's own limited decoder (`crate::svg_images`); and on the converted tree, before
//! rendering, the filters' regions and per-pixel costs at the largest render size. The worker's
//! process budget (time and memory) stays the last line behind these.

use std::sync::Arc;

use image::RgbaImage;
use resvg::tiny_skia;
use resvg::usvg::{self, roxmltree};

use crate::svg_images::EmbeddedImages;
use crate::{font, svg_cost, svg_dtd, ImageError, PipelineLimits};

/// A parsed SVG and the region of user space that is the logo.
pub(crate) struct Vector {
    tree: usvg::Tree,
    region: (f32, f32, f32, f32),
}

impl Vector {
    /// Nominal width and height, rounded up, for provenance.
    pub fn dimensions(&self) -> (u32, u32) {
        (
            self.region.2.ceil().max(1.0) as u32,
            self.region.3.ceil().max(1.0) as u32,
        )
    }
}

/// Parses an SVG for rendering at most `render_edge` pixels square; embedded rasters are kept
/// at up to `image_edge` pixels.
pub(crate) fn parse(
    name: &str,
    bytes: &[u8],
    limits: &PipelineLimits,
    render_edge: u32,
    image_edge: u32,
) -> Result<Vector, ImageError> {
    if bytes.len() as u64 > limits.max_svg_bytes {
        return Err(ImageError::SvgTooLarge {
            name: name.to_string(),
            bytes: bytes.len() as u64,
            limit: limits.max_svg_bytes,
        });
    }
    let corrupt = |detail: String| ImageError::Corrupt {
        name: name.to_string(),
        format: "SVG",
        detail,
    };
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| corrupt(format!("not UTF-8: {e}")))?;
    let text = svg_dtd::expand_entities(name, text, limits.max_svg_entity_bytes)?;
    svg_cost::check_source_depth(name, &text, limits)?;
    let nodes_limit = u32::try_from(limits.max_svg_nodes).unwrap_or(u32::MAX);
    let doc = roxmltree::Document::parse_with_options(
        &text,
        roxmltree::ParsingOptions {
            allow_dtd: false,
            nodes_limit,
        },
    )
    .map_err(|e| match e {
        roxmltree::Error::NodesLimitReached => ImageError::SvgTooManyNodes {
            name: name.to_string(),
            nodes: limits.max_svg_nodes,
            limit: limits.max_svg_nodes,
        },
        roxmltree::Error::UnexpectedEndOfStream => ImageError::Truncated {
            name: name.to_string(),
            format: "SVG",
            detail: e.to_string(),
        },
        roxmltree::Error::DtdDetected => ImageError::SvgEntityRefused {
            name: name.to_string(),
            detail: "its DOCTYPE is not where XML puts it".into(),
        },
        other => corrupt(other.to_string()),
    })?;
    let root = doc.root_element();
    if root.tag_name().name() != "svg" {
        return Err(corrupt(format!(
            "the root element is <{}>, not <svg>",
            root.tag_name().name()
        )));
    }
    let sized = root.has_attribute("viewBox")
        || [root.attribute("width"), root.attribute("height")]
            .iter()
            .all(|v| v.is_some_and(|v| !v.trim_end().ends_with('%')));

    svg_cost::check_document(name, &doc, limits)?;

    let images = EmbeddedImages::new(name, limits, image_edge);
    let opts = options(&images);
    let tree = usvg::Tree::from_xmltree(&doc, &opts).map_err(|e| match e {
        usvg::Error::InvalidSize => ImageError::ZeroSize {
            name: name.to_string(),
            width: 0,
            height: 0,
        },
        other => corrupt(other.to_string()),
    })?;
    images.finish()?;
    let size = tree.size();
    let mut region = (0.0, 0.0, size.width(), size.height());
    if !sized {
        // No viewBox and no absolute size: usvg assumes 100x100, which may cut the drawing.
        // The drawing's own bounds are the logo.
        let bbox = tree.root().abs_stroke_bounding_box();
        if bbox.width() > 0.0 && bbox.height() > 0.0 {
            region = (bbox.x(), bbox.y(), bbox.width(), bbox.height());
        }
    }
    let (_, _, rw, rh) = region;
    let scale = render_edge as f32 / rw.max(rh);
    svg_cost::check_filters(name, &tree, scale, rw * rh, limits)?;
    Ok(Vector { tree, region })
}

/// usvg options for untrusted documents.
fn options(images: &EmbeddedImages) -> usvg::Options<'static> {
    let mut opts = usvg::Options {
        resources_dir: None,
        font_family: font::FAMILY.to_string(),
        fontdb: font::database(),
        ..usvg::Options::default()
    };
    let images = images.clone();
    opts.image_href_resolver = usvg::ImageHrefResolver {
        resolve_data: Box::new(move |_mime, data: Arc<Vec<u8>>, _| images.resolve(&data)),
        resolve_string: Box::new(|_, _| None),
    };
    opts.font_resolver = usvg::FontResolver {
        select_font: Box::new(|_, db| db.faces().next().map(|f| f.id)),
        select_fallback: Box::new(|_, _, _| None),
    };
    opts
}

/// Renders the logo fitted inside a `box_size` square, aspect kept, as straight-alpha RGBA of
/// the fitted size (not padded).
pub(crate) fn render_fitted(vector: &Vector, box_size: u32) -> RgbaImage {
    let (rx, ry, rw, rh) = vector.region;
    let scale = (box_size as f32 / rw).min(box_size as f32 / rh);
    let fw = ((rw * scale).round() as u32).clamp(1, box_size);
    let fh = ((rh * scale).round() as u32).clamp(1, box_size);
    let mut pixmap = tiny_skia::Pixmap::new(fw, fh).expect("fitted size is non-zero");
    let offset_x = (fw as f32 - rw * scale) / 2.0 - rx * scale;
    let offset_y = (fh as f32 - rh * scale) / 2.0 - ry * scale;
    let transform = tiny_skia::Transform::from_row(scale, 0.0, 0.0, scale, offset_x, offset_y);
    resvg::render(&vector.tree, transform, &mut pixmap.as_mut());
    let mut data = pixmap.take();
    demultiply(&mut data);
    RgbaImage::from_raw(fw, fh, data).expect("pixmap is w*h*4 bytes")
}

/// tiny-skia stores premultiplied alpha; PNG and WebP want straight alpha.
pub(crate) fn demultiply(rgba: &mut [u8]) {
    for px in rgba.chunks_exact_mut(4) {
        let a = px[3] as u32;
        if a == 0 {
            px[..3].fill(0);
        } else if a < 255 {
            for c in &mut px[..3] {
                *c = ((*c as u32 * 255 + a / 2) / a).min(255) as u8;
            }
        }
    }
}

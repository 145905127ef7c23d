//! The perceptual hash stored as `phash`: the same mark from another file (another size, another
//! format) is the same logo; another mark, or the same mark in another colour, is not.

mod util;

use logofill_image::{PerceptualHash, RenderedSet};
use util::*;

fn render(name: &str, bytes: &[u8]) -> RenderedSet {
    pipeline_with(&[64, 128, 256])
        .render(name, bytes)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn mark(size: u32, colour: &str, shape: &str) -> Vec<u8> {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 100 100">{}</svg>"#,
        shape.replace("COLOUR", colour)
    )
    .into_bytes()
}

const RING: &str = r#"<circle cx="50" cy="50" r="40" fill="none" stroke="COLOUR" stroke-width="14"/><rect x="44" y="10" width="12" height="40" fill="COLOUR"/>"#;
const BARS: &str = r#"<rect x="10" y="10" width="22" height="80" fill="COLOUR"/><rect x="68" y="10" width="22" height="80" fill="COLOUR"/><rect x="10" y="40" width="80" height="20" fill="COLOUR"/>"#;

#[test]
fn the_same_mark_from_another_file_is_near_and_another_mark_is_far() {
    let hash = |set: &RenderedSet| set.perceptual_hash().expect("a PNG variant");
    let ring = hash(&render("ring.svg", &mark(512, "#c03", RING)));
    let ring_small = hash(&render("ring-small.svg", &mark(96, "#c03", RING)));
    let ring_shifted = hash(&render("ring-shifted.svg", &mark(512, "#c13", RING)));
    let bars = hash(&render("bars.svg", &mark(512, "#c03", BARS)));
    // The same mark as a raster file: the stored PNG fed back in, as a site re-exporting it.
    let ring_png = render("ring.svg", &mark(512, "#c03", RING))
        .variants
        .into_iter()
        .filter(|v| v.format == logofill_image::OutputFormat::Png)
        .max_by_key(|v| v.size)
        .unwrap()
        .bytes;
    let ring_raster = hash(&render("ring.png", &ring_png));
    assert!(
        ring.distance(ring_raster) <= PerceptualHash::SAME_LOGO_DISTANCE,
        "same mark, as a PNG: {}",
        ring.distance(ring_raster)
    );
    assert!(
        ring.distance(ring_small) <= PerceptualHash::SAME_LOGO_DISTANCE,
        "same mark, another size: {}",
        ring.distance(ring_small)
    );
    assert!(
        ring.distance(ring_shifted) <= PerceptualHash::SAME_LOGO_DISTANCE,
        "same mark, colour a few levels off: {}",
        ring.distance(ring_shifted)
    );
    assert!(
        ring.distance(bars) > 2 * PerceptualHash::SAME_LOGO_DISTANCE,
        "another mark: {}",
        ring.distance(bars)
    );
    assert!(
        ring.same_logo(ring_small) && ring.same_logo(ring_shifted) && ring.same_logo(ring_raster)
    );
    assert!(!ring.same_logo(bars));
    let recoloured = hash(&render("ring-green.svg", &mark(512, "#093", RING)));
    assert!(
        !ring.same_logo(recoloured),
        "the same shape in a new brand colour is a new logo"
    );
}

#[test]
fn the_hash_is_stored_as_hex_digits_and_read_back() {
    let set = render("ring.svg", &mark(256, "#06c", RING));
    let metadata = set.metadata();
    let stored = &metadata
        .iter()
        .find(|(k, _)| *k == "phash")
        .expect("phash metadata")
        .1;
    assert_eq!(stored.len(), 22);
    assert_eq!(
        PerceptualHash::from_hex(stored),
        set.perceptual_hash(),
        "{stored}"
    );
    assert_eq!(PerceptualHash::from_hex("not-a-hash"), None);
    for (key, _) in &metadata {
        assert!(
            [
                "kind",
                "pipeline-version",
                "phash",
                "source-sha256",
                "source-format",
                "source-width",
                "source-height",
                "content-aspect"
            ]
            .contains(key),
            "{key}"
        );
    }
}

#[test]
fn a_png_larger_than_any_variant_is_not_decoded_for_hashing() {
    // 5000 x 1: tiny on the wire, wider than any square the pipeline writes.
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, 5000, 1);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&[0u8; 5000]).unwrap();
    }
    assert!(bytes.len() < 1000, "{}", bytes.len());
    assert_eq!(PerceptualHash::of_png(&bytes), None);
    assert_eq!(PerceptualHash::of_png(b"not a png"), None);
}

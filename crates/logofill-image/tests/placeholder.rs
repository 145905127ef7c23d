//! Placeholders: deterministic per company, the initial drawn with the embedded font (Latin,
//! Hangul, digits), a background colour from the id, every size and format, `kind=placeholder`.

mod util;

use image::RgbaImage;
use logofill_image::{LogoKind, OutputFormat, PIPELINE_VERSION};
use util::*;

fn render(id: &str, name: &str) -> logofill_image::RenderedSet {
    pipeline_with(&[64, 128, 256])
        .placeholder(id, name)
        .unwrap_or_else(|e| panic!("placeholder for {id}: {e}"))
}

/// Pixels that are (nearly) the white of the letter.
fn glyph_pixels(img: &RgbaImage) -> Vec<(u32, u32)> {
    img.enumerate_pixels()
        .filter(|(_, _, p)| p.0[0] > 240 && p.0[1] > 240 && p.0[2] > 240 && p.0[3] == 255)
        .map(|(x, y, _)| (x, y))
        .collect()
}

#[test]
fn same_company_same_bytes_and_every_variant() {
    let a = render("kakao-1", "카카오");
    let b = render("kakao-1", "카카오");
    assert_eq!(a, b, "the same company must get the same set");
    assert_eq!(a.kind, LogoKind::Placeholder);
    assert_eq!(a.kind.as_str(), "placeholder");
    assert!(a.provenance.source.is_none());
    assert_eq!(a.provenance.pipeline_version, PIPELINE_VERSION);
    let meta = a.metadata();
    assert!(
        meta.iter().any(|(k, v)| *k == "kind" && v == "placeholder"),
        "{meta:?}"
    );
    assert_default_variant_order(&a);
    for v in &a.variants {
        let img = decode_output(&v.bytes);
        assert_eq!((img.width(), img.height()), (v.size, v.size));
    }
}

/// A letter of each script the subset covers is drawn: white pixels near the centre, in a
/// shape that differs between letters, on the id's colour in the corners.
#[test]
fn latin_hangul_and_digit_initials_are_drawn() {
    let mut shapes = Vec::new();
    for (id, name) in [
        ("acme", "acme corp"),
        ("acme", "카카오"),
        ("acme", "3M"),
        ("acme", "한화"),
    ] {
        let set = render(id, name);
        let img = decode_output(variant(&set, 128, OutputFormat::Png));
        let corner = img.get_pixel(2, 2).0;
        assert_eq!(corner[3], 255, "{name}: the background is opaque");
        assert!(
            corner[..3].iter().any(|c| *c < 200),
            "{name}: the background is a colour, not white: {corner:?}"
        );
        let glyph = glyph_pixels(&img);
        assert!(
            glyph.len() > 300,
            "{name}: too few letter pixels ({}), the glyph is missing",
            glyph.len()
        );
        let (sx, sy) = glyph.iter().fold((0u64, 0u64), |(sx, sy), (x, y)| {
            (sx + *x as u64, sy + *y as u64)
        });
        let (cx, cy) = (sx / glyph.len() as u64, sy / glyph.len() as u64);
        assert!(
            (44..=84).contains(&cx) && (44..=84).contains(&cy),
            "{name}: the letter is not centred ({cx},{cy})"
        );
        shapes.push((name, glyph));
    }
    for i in 0..shapes.len() {
        for j in i + 1..shapes.len() {
            assert_ne!(
                shapes[i].1, shapes[j].1,
                "{} and {} drew the same shape",
                shapes[i].0, shapes[j].0
            );
        }
    }
}

#[test]
fn colour_comes_from_the_id_not_the_name() {
    let corner = |id: &str, name: &str| {
        decode_output(variant(&render(id, name), 64, OutputFormat::Png))
            .get_pixel(1, 1)
            .0
    };
    assert_eq!(corner("acme", "Acme"), corner("acme", "Another name"));
    assert_ne!(corner("acme", "Acme"), corner("acme-2", "Acme"));
}

/// A name the subset cannot draw falls back to the id's first letter, never to a blank tile.
#[test]
fn uncovered_name_falls_back_to_the_id() {
    let from_id = render("zeta", "株式会社");
    let latin = render("zeta", "Zeta");
    assert_eq!(from_id.variants, latin.variants);
    let img = decode_output(variant(&from_id, 128, OutputFormat::Png));
    assert!(glyph_pixels(&img).len() > 300);
}

//! Placeholders: deterministic per company, the initial drawn with the embedded font (Latin,
//! Hangul, digits, and the initial of a name in each other script the font covers), a background
//! colour from the id, every size and format, `kind=placeholder`.

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
    let from_id = render("zeta", "საქართველო");
    let latin = render("zeta", "Zeta");
    assert_eq!(from_id.variants, latin.variants);
    let img = decode_output(variant(&from_id, 128, OutputFormat::Png));
    assert!(glyph_pixels(&img).len() > 300);
}

/// Names in every script the font covers beyond Latin and Hangul, with what should be drawn.
const SCRIPT_NAMES: &[(&str, &str)] = &[
    ("東京電力", "東"),
    ("株式会社日立", "日"),
    ("电信", "电"),
    ("ソニー", "ソ"),
    ("Яндекс", "Я"),
    ("ООО Ромашка", "Р"),
    ("Ελληνικά", "Ε"),
    ("شركة", "ش"),
    ("עברית", "ע"),
    ("हिन्दी", "हि"),
    ("श्रीराम", "श्री"),
    ("ไทย", "ไท"),
    ("เซ็นทรัล", "เซ็"),
    ("émile", "É"),
];

/// The same drawing as a placeholder, through the SVG path, for any text: to compare a
/// placeholder with what the font draws for a character it lacks.
fn tile_svg(rgb: [u8; 3], text: &str) -> Vec<u8> {
    let [r, g, b] = rgb;
    format!(
        concat!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">"##,
            r##"<rect width="256" height="256" fill="#{:02x}{:02x}{:02x}"/>"##,
            r##"<text x="128" y="128" font-family="Logofill Placeholder" font-size="150" fill="#ffffff" "##,
            r##"text-anchor="middle" dominant-baseline="central">{}</text></svg>"##
        ),
        r, g, b, text
    )
    .into_bytes()
}

/// A character the font has no glyph for draws nothing at all (its .notdef is empty), so the
/// ink of a placeholder can only come from a real glyph; and the tile drawn through the SVG
/// path is the placeholder itself, so the comparison is like for like.
#[test]
fn a_character_without_a_glyph_draws_no_ink() {
    let set = render("acme", "東京電力");
    let placeholder = decode_output(variant(&set, 128, OutputFormat::Png));
    let rgb = {
        let p = placeholder.get_pixel(2, 2).0;
        [p[0], p[1], p[2]]
    };
    assert_eq!(
        render_png(&tile_svg(rgb, "東"), 128),
        placeholder,
        "the SVG tile reproduces the placeholder"
    );
    for missing in ["ა", "Ա", "த", "灣"] {
        let tofu = render_png(&tile_svg(rgb, missing), 128);
        assert_eq!(glyph_pixels(&tofu).len(), 0, "{missing} has no glyph");
        assert!(
            tofu.pixels().all(|p| p == placeholder.get_pixel(2, 2)),
            "{missing}"
        );
    }
}

/// The initial of a name in each script is drawn: enough white near the centre, a shape of its
/// own (not the id's fallback letter, not another script's), on the id's colour.
#[test]
fn initials_of_every_covered_script_are_drawn() {
    let fallback = glyph_pixels(&decode_output(variant(
        &render("acme", "საქართველო"),
        128,
        OutputFormat::Png,
    )));
    let mut shapes = Vec::new();
    for (name, initial) in SCRIPT_NAMES {
        let set = render("acme", name);
        let img = decode_output(variant(&set, 128, OutputFormat::Png));
        let glyph = glyph_pixels(&img);
        assert!(
            glyph.len() > 250,
            "{name} ({initial}): too few letter pixels ({}), the glyph is missing",
            glyph.len()
        );
        assert!(
            glyph.len() < 128 * 128 / 3,
            "{name} ({initial}): {} letter pixels, more than a letter covers",
            glyph.len()
        );
        let (sx, sy) = glyph.iter().fold((0u64, 0u64), |(sx, sy), (x, y)| {
            (sx + *x as u64, sy + *y as u64)
        });
        let (cx, cy) = (sx / glyph.len() as u64, sy / glyph.len() as u64);
        assert!(
            (44..=84).contains(&cx) && (44..=84).contains(&cy),
            "{name} ({initial}): the initial is not centred ({cx},{cy})"
        );
        let left = glyph.iter().map(|(x, _)| *x).min().unwrap();
        let right = glyph.iter().map(|(x, _)| *x).max().unwrap();
        assert!(
            (left + right).abs_diff(128) <= 10,
            "{name} ({initial}): the ink spans x {left}..{right}, off the centre"
        );
        assert_ne!(glyph, fallback, "{name} drew the id's letter");
        let tile = render_png(&tile_svg([0x30, 0x70, 0x90], initial), 128);
        assert!(
            glyph_pixels(&tile).len() > 250,
            "{initial} drawn on its own through the SVG path"
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

/// Devanagari and Thai initials are clusters: the vowel sign or mark is drawn with its letter,
/// so the cluster has more ink than the bare consonant and a different shape.
#[test]
fn cluster_initials_draw_their_marks() {
    for (cluster, bare) in [("हि", "ह"), ("श्री", "श"), ("เซ็", "ซ"), ("ไท", "ท")]
    {
        let with_marks = glyph_pixels(&render_png(&tile_svg([0x30, 0x70, 0x90], cluster), 128));
        let alone = glyph_pixels(&render_png(&tile_svg([0x30, 0x70, 0x90], bare), 128));
        assert!(
            with_marks.len() > alone.len() + 40,
            "{cluster}: {} letter pixels, {bare}: {}",
            with_marks.len(),
            alone.len()
        );
    }
}

//! Builders for the hostile corpus (`tests/hostile.rs`): each input is small, passes the
//! byte, pixel and node limits, and used to make a step run for tens of seconds, take a
//! gigabyte or abort the process.
#![allow(dead_code)]

use super::bomb::{chunk, deflate_zero_rows};

pub const SVG_OPEN: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 100 100">"#;

/// An SVG document: the opening tag, `body`, the closing tag.
pub fn svg(body: &str) -> Vec<u8> {
    format!("{SVG_OPEN}{body}</svg>").into_bytes()
}

/// `levels` nested `<g>` around a rectangle.
pub fn nested_groups(levels: usize) -> Vec<u8> {
    svg(&format!(
        "{}<rect width=\"10\" height=\"10\"/>{}",
        "<g>".repeat(levels),
        "</g>".repeat(levels)
    ))
}

/// An entity of `value_len` bytes referenced `refs` times in one attribute: plain text, so
/// only the expansion bound stops it.
pub fn entity_expansion(value_len: usize, refs: usize) -> Vec<u8> {
    format!(
        "<!DOCTYPE svg [<!ENTITY a \"{}\">]>{SVG_OPEN}<desc>{}</desc></svg>",
        "x".repeat(value_len),
        "&a;".repeat(refs)
    )
    .into_bytes()
}

/// The billion laughs: entities of ten references to the one before (about 8 KB).
pub fn billion_laughs() -> Vec<u8> {
    let mut dtd = String::from("<!ENTITY l0 \"lollollollollollollollollollollollollollollollol\">");
    for i in 1..10 {
        dtd.push_str(&format!(
            "<!ENTITY l{i} \"{}\">",
            format!("&l{};", i - 1).repeat(10)
        ));
    }
    format!(
        "<!DOCTYPE svg [{dtd}]>{SVG_OPEN}<text x=\"0\" y=\"10\" font-family=\"&l9;\">&l9;</text></svg>"
    )
    .into_bytes()
}

/// `<use>` fan-out: level i is a group of `width` uses of level i-1.
pub fn use_fan_out(levels: usize, width: usize) -> Vec<u8> {
    let mut defs = String::from("<g id=\"u0\"><rect width=\"1\" height=\"1\"/></g>");
    for i in 1..=levels {
        defs.push_str(&format!("<g id=\"u{i}\">"));
        for _ in 0..width {
            defs.push_str(&format!("<use href=\"#u{}\"/>", i - 1));
        }
        defs.push_str("</g>");
    }
    svg(&format!("<defs>{defs}</defs><use href=\"#u{levels}\"/>"))
}

/// One `<text>` holding `chars` characters.
pub fn text_run(chars: usize) -> Vec<u8> {
    svg(&format!(
        "<text x=\"0\" y=\"50\" font-size=\"10\">{}</text>",
        "W".repeat(chars)
    ))
}

/// A `<style>` of `rules` universal rules over a few elements.
pub fn universal_rules(rules: usize) -> Vec<u8> {
    svg(&format!(
        "<style>{}</style><rect width=\"10\" height=\"10\"/>",
        "*{opacity:1}".repeat(rules)
    ))
}

/// A `descendants`-combinator selector that never matches, over `depth` nested groups: simplecss
/// backtracks over every combination of ancestors.
pub fn descendant_selector(descendants: usize, depth: usize) -> Vec<u8> {
    let selector = format!(".nomatch{}", " g".repeat(descendants));
    svg(&format!(
        "<style>{selector} rect{{fill:red}}</style>{}<rect width=\"10\" height=\"10\"/>{}",
        "<g>".repeat(depth),
        "</g>".repeat(depth)
    ))
}

/// A rectangle drawn through a filter made of `primitives`.
pub fn filtered(primitives: &str) -> Vec<u8> {
    filtered_with("", primitives)
}

/// As [`filtered`], with attributes on the `<filter>` element.
pub fn filtered_with(filter_attrs: &str, primitives: &str) -> Vec<u8> {
    svg(&format!(
        "<filter id=\"f\" {filter_attrs}>{primitives}</filter>\
         <rect x=\"10\" y=\"10\" width=\"80\" height=\"80\" fill=\"blue\" filter=\"url(#f)\"/>"
    ))
}

/// `count` rectangles each drawn through the same small filter.
pub fn many_filtered(count: usize) -> Vec<u8> {
    let mut body = String::from("<filter id=\"f\"><feOffset dx=\"1\"/></filter>");
    for i in 0..count {
        body.push_str(&format!(
            "<rect x=\"{}\" width=\"1\" height=\"1\" filter=\"url(#f)\"/>",
            i % 100
        ));
    }
    svg(&body)
}

/// An SVG drawing `count` `<image>` elements, each holding `image` as a data: URI.
pub fn embedded(image: &[u8], mime: &str, count: usize) -> Vec<u8> {
    let b64 = base64(image);
    let mut body = String::new();
    for i in 0..count {
        body.push_str(&format!(
            "<image x=\"{}\" width=\"10\" height=\"10\" href=\"data:{mime};base64,{b64}\"/>",
            i % 90
        ));
    }
    svg(&body)
}

/// A JPEG with `extra` empty scans (SOS headers without data) inserted before its EOI.
pub fn jpeg_with_empty_scans(jpeg: &[u8], extra: usize) -> Vec<u8> {
    assert_eq!(&jpeg[jpeg.len() - 2..], &[0xFF, 0xD9]);
    let mut out = jpeg[..jpeg.len() - 2].to_vec();
    for _ in 0..extra {
        out.extend_from_slice(&[0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0]);
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

/// Number of scans (SOS markers) in a JPEG made by a real encoder: its markers up to the first
/// scan, then one scan per SOS the encoder wrote.
pub fn jpeg_scans(jpeg: &[u8]) -> usize {
    jpeg.windows(2).filter(|w| w == &[0xFF, 0xDA]).count()
}

/// A valid PNG (`png` from a real encoder) with an extra chunk inserted after IHDR.
pub fn png_with_chunk(png: &[u8], kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let ihdr_end = 8 + 8 + 13 + 4;
    let mut out = png[..ihdr_end].to_vec();
    chunk(&mut out, kind, data);
    out.extend_from_slice(&png[ihdr_end..]);
    out
}

/// A zlib stream of `bytes` zeros, about `bytes / 200` long.
pub fn zlib_zeros(bytes: usize) -> Vec<u8> {
    deflate_zero_rows(&vec![0u8; 1000], bytes / 1000)
}

/// An ICO whose directory lists `entries` entries, all pointing at the one `payload`.
pub fn ico_many_entries(payload: &[u8], size: u8, entries: u16) -> Vec<u8> {
    let mut out = vec![0, 0, 1, 0];
    out.extend_from_slice(&entries.to_le_bytes());
    let offset = 6 + 16 * entries as u32;
    for _ in 0..entries {
        out.extend_from_slice(&[size, size, 0, 0]);
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&32u16.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
    }
    out.extend_from_slice(payload);
    out
}

pub fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

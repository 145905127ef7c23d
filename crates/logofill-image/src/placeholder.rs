//! Placeholders for companies without a usable logo. Deterministic by construction: the letter
//! comes from the name, the colour from a hash of the id, and the drawing is an SVG rendered with
//! the embedded font only, so the same company gets the same bytes on every machine.

use sha2::{Digest, Sha256};

use crate::font;

/// The letter and colour of one company's placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Design {
    pub letter: char,
    pub rgb: [u8; 3],
}

impl Design {
    pub fn new(company_id: &str, company_name: &str) -> Self {
        Self {
            letter: initial(company_id, company_name),
            rgb: colour(company_id),
        }
    }

    /// The drawing, in a 256-unit square scaled to each size.
    pub fn svg(&self) -> String {
        let [r, g, b] = self.rgb;
        // `letter` is alphanumeric or '?', so it needs no XML escaping.
        format!(
            concat!(
                r##"<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">"##,
                r##"<rect width="256" height="256" fill="#{:02x}{:02x}{:02x}"/>"##,
                r##"<text x="128" y="128" font-family="{}" font-size="150" fill="#ffffff" "##,
                r##"text-anchor="middle" dominant-baseline="central">{}</text></svg>"##
            ),
            r,
            g,
            b,
            font::FAMILY,
            self.letter
        )
    }
}

/// First letter or digit of the name that the embedded font can draw (Latin upper-cased,
/// decomposed Hangul recomposed); else the first letter or digit of the id; else '?'.
pub(crate) fn initial(company_id: &str, company_name: &str) -> char {
    let chars: Vec<char> = company_name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() && !is_leading_jamo(c) {
            continue;
        }
        let c =
            compose_hangul(c, chars.get(i + 1).copied(), chars.get(i + 2).copied()).unwrap_or(c);
        let c = if c.is_ascii() {
            c.to_ascii_uppercase()
        } else {
            c
        };
        if font::covers(c) && c.is_alphanumeric() {
            return c;
        }
        // The first letter decides: a name starting with an uncovered script falls back to the
        // id rather than to a letter from the middle of the name.
        break;
    }
    company_id
        .chars()
        .find(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .unwrap_or('?')
}

fn is_leading_jamo(c: char) -> bool {
    ('\u{1100}'..='\u{1112}').contains(&c)
}

/// NFD Hangul (leading consonant + vowel [+ trailing consonant]) to its precomposed syllable.
fn compose_hangul(l: char, v: Option<char>, t: Option<char>) -> Option<char> {
    let l = (l as u32).checked_sub(0x1100).filter(|l| *l < 19)?;
    let v = (v? as u32).checked_sub(0x1161).filter(|v| *v < 21)?;
    let t = t
        .and_then(|t| (t as u32).checked_sub(0x11A7).filter(|t| *t > 0 && *t < 28))
        .unwrap_or(0);
    char::from_u32(0xAC00 + (l * 21 + v) * 28 + t)
}

/// A colour derived from the id: hue from its hash, saturation and lightness fixed so white text
/// stays readable on every hue.
pub(crate) fn colour(company_id: &str) -> [u8; 3] {
    let digest = Sha256::digest(company_id.as_bytes());
    let hue = u16::from_be_bytes([digest[0], digest[1]]) as f32 / 65536.0 * 360.0;
    hsl_to_rgb(hue, 0.55, 0.40)
}

fn hsl_to_rgb(h: f32, s: f32, l: f32) -> [u8; 3] {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let hp = h / 60.0;
    let x = c * (1.0 - (hp % 2.0 - 1.0).abs());
    let (r, g, b) = match hp as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = l - c / 2.0;
    let to = |v: f32| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    [to(r), to(g), to(b)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_picks_first_drawable_letter() {
        assert_eq!(initial("acme-1", "acme corp"), 'A');
        assert_eq!(initial("x", "  (주)카카오"), '주');
        assert_eq!(initial("x", "카카오"), '카');
        assert_eq!(initial("x", "3M"), '3');
        assert_eq!(initial("x", "\u{1112}\u{1161}\u{11AB}화"), '한');
        assert_eq!(initial("zeta", "株式会社"), 'Z');
        assert_eq!(initial("zeta", ""), 'Z');
        assert_eq!(initial("__", "!!"), '?');
        assert_eq!(
            initial("x", "émile"),
            'X',
            "é is outside the subset: falls back to the id"
        );
    }

    #[test]
    fn colour_is_stable_and_differs_between_ids() {
        assert_eq!(colour("acme"), colour("acme"));
        assert_ne!(colour("acme"), colour("acme2"));
    }
}

//! The one font logofill renders text with, made by `assets/make_font.sh` from SIL OFL fonts:
//! NanumSquare Bold for printable ASCII and the 11,172 Hangul syllables, Noto Sans Bold for
//! accented Latin, Greek and Cyrillic, Noto Sans Arabic, Hebrew, Devanagari and Thai Bold with
//! their shaping tables, and Noto Sans CJK Bold for kana and 5,009 common ideographs. Embedding it
//! means a placeholder or an SVG's `<text>` looks the same on every machine and no font is ever
//! read from the file system.
//!
//! It is one merged face rather than one file per script because the SVG font resolver picks the
//! first face of the database and has no fallback: a second face would never be used.

use std::sync::{Arc, OnceLock};

use resvg::usvg::fontdb;

/// The embedded TrueType font.
pub(crate) static FONT: &[u8] = include_bytes!("../assets/placeholder-font.ttf");

/// Family name given to the subset (the OFL reserves "Nanum" and "Noto" for unmodified fonts).
pub(crate) const FAMILY: &str = "Logofill Placeholder";

/// The CJK ideographs the font holds: the union of GB2312 level 1 and JIS X 0208 level 1, all
/// in U+4E00-9FFF, sorted, written by `make_font.sh` (lines of 50, no other text).
static IDEOGRAPHS: &str = include_str!("../assets/placeholder-ideographs.txt");

/// Every other code point the font holds, as `make_font.py` keeps them, in code point order.
const RANGES: &[(char, char)] = &[
    // Printable ASCII (NanumSquare).
    (' ', '~'),
    // Latin-1 Supplement letters (no × or ÷) and Latin Extended-A.
    ('\u{C0}', '\u{D6}'),
    ('\u{D8}', '\u{F6}'),
    ('\u{F8}', '\u{17F}'),
    // Monotonic Greek letters.
    ('\u{386}', '\u{386}'),
    ('\u{388}', '\u{38A}'),
    ('\u{38C}', '\u{38C}'),
    ('\u{38E}', '\u{3A1}'),
    ('\u{3A3}', '\u{3CE}'),
    // Cyrillic: the basic block and the extended letters (Ukrainian Ґ, Kazakh, Tatar, ...).
    ('\u{400}', '\u{45F}'),
    ('\u{48A}', '\u{4FF}'),
    // Hebrew points, letters and Yiddish ligatures.
    ('\u{5B0}', '\u{5BD}'),
    ('\u{5BF}', '\u{5BF}'),
    ('\u{5C1}', '\u{5C2}'),
    ('\u{5C4}', '\u{5C5}'),
    ('\u{5C7}', '\u{5C7}'),
    ('\u{5D0}', '\u{5EA}'),
    ('\u{5F0}', '\u{5F2}'),
    // Arabic letters, tatweel, harakat, Arabic-Indic digits, Persian and Urdu letters and digits.
    ('\u{621}', '\u{63A}'),
    ('\u{640}', '\u{669}'),
    ('\u{670}', '\u{6D3}'),
    ('\u{6F0}', '\u{6F9}'),
    // Devanagari, the whole block.
    ('\u{900}', '\u{97F}'),
    // Thai, every assigned code point.
    ('\u{E01}', '\u{E3A}'),
    ('\u{E3F}', '\u{E5B}'),
    // Hiragana and Katakana.
    ('\u{3041}', '\u{3096}'),
    ('\u{3099}', '\u{30FF}'),
    // Hangul syllables (NanumSquare).
    ('\u{AC00}', '\u{D7A3}'),
];

/// A font database holding only the embedded font, built once per process.
pub(crate) fn database() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        db.load_font_source(fontdb::Source::Binary(Arc::new(FONT)));
        Arc::new(db)
    })
    .clone()
}

/// True when the embedded font has a glyph for `c`: exactly the code points of its cmap.
pub(crate) fn covers(c: char) -> bool {
    if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
        return ideographs().binary_search(&c).is_ok();
    }
    RANGES
        .binary_search_by(|&(first, last)| {
            if last < c {
                std::cmp::Ordering::Less
            } else if first > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

fn ideographs() -> &'static [char] {
    static SET: OnceLock<Vec<char>> = OnceLock::new();
    SET.get_or_init(|| IDEOGRAPHS.chars().filter(|c| *c != '\n').collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `covers` and the font's cmap agree on every code point, both ways.
    #[test]
    fn covers_is_exactly_the_cmap() {
        let face = ttf_parser::Face::parse(FONT, 0).expect("the embedded font parses");
        let mut claimed = 0;
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let has_glyph = face.glyph_index(c).is_some_and(|g| g.0 != 0);
            assert_eq!(
                covers(c),
                has_glyph,
                "U+{:04X}: covers() and the cmap disagree",
                c as u32
            );
            claimed += usize::from(has_glyph);
        }
        assert_eq!(claimed, 17_381, "code points in the cmap");
    }

    #[test]
    fn ideograph_list_is_sorted_and_of_the_chosen_size() {
        let set = ideographs();
        assert_eq!(set.len(), 5_009, "GB2312 level 1 ∪ JIS X 0208 level 1");
        assert!(set.windows(2).all(|w| w[0] < w[1]));
        assert!(covers('東') && covers('株') && covers('电') && !covers('灣'));
    }

    #[test]
    fn the_merged_font_keeps_the_family_and_nanum_metrics() {
        let face = ttf_parser::Face::parse(FONT, 0).unwrap();
        assert_eq!((face.ascender(), face.descender()), (850, -255));
        assert_eq!(face.units_per_em(), 1000);
        let family = face
            .names()
            .into_iter()
            .find(|n| n.name_id == ttf_parser::name_id::FAMILY)
            .and_then(|n| n.to_string());
        assert_eq!(family.as_deref(), Some(FAMILY));
    }
}

//! The one font logofill renders text with: a subset of NanumSquare Bold (printable ASCII and
//! all 11,172 Hangul syllables, SIL OFL 1.1), made by `assets/make_font.sh`. Embedding it means
//! a placeholder or an SVG's `<text>` looks the same on every machine and no font is ever read
//! from the file system.

use std::sync::{Arc, OnceLock};

use resvg::usvg::fontdb;

/// The embedded TrueType font.
pub(crate) static FONT: &[u8] = include_bytes!("../assets/placeholder-font.ttf");

/// Family name given to the subset (the OFL reserves "Nanum" for unmodified fonts).
pub(crate) const FAMILY: &str = "Logofill Placeholder";

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

/// True when the embedded font has a glyph for `c`: exactly the ranges `make_font.sh` keeps.
pub(crate) fn covers(c: char) -> bool {
    matches!(c, ' '..='~' | '\u{AC00}'..='\u{D7A3}')
}

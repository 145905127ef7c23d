//! Placeholders for companies without a usable logo. Deterministic by construction: the letter
//! comes from the name, the colour from a hash of the id, and the drawing is an SVG rendered with
//! the embedded font only, so the same company gets the same bytes on every machine.

use resvg::usvg;
use sha2::{Digest, Sha256};

use crate::font;

/// The initial and colour of one company's placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Design {
    /// One letter, or one cluster where a script needs it (Devanagari "श्री", Thai "เซ็").
    pub letter: String,
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
        let letter = xml_text(&self.letter);
        // usvg 0.45 gives a cluster of several glyphs the advance of its widest glyph, so
        // text-anchor="middle" would push a Devanagari syllable whose vowel sign is a glyph of
        // its own ("हि", "श्री") to the right. Those are centred on their ink instead; every
        // other initial keeps the anchor, and so the bytes it always had.
        let (x, anchor) = if self.letter.chars().any(is_devanagari) {
            (ink_centred_x(&letter).unwrap_or(128.0), "start")
        } else {
            (128.0, "middle")
        };
        format!(
            concat!(
                r##"<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">"##,
                r##"<rect width="256" height="256" fill="#{:02x}{:02x}{:02x}"/>"##,
                r##"<text x="{}" y="128" font-family="{}" font-size="150" fill="#ffffff" "##,
                r##"text-anchor="{}" dominant-baseline="central">{}</text></svg>"##
            ),
            r,
            g,
            b,
            x,
            font::FAMILY,
            anchor,
            letter
        )
    }
}

/// The x at which `letter`, anchored at its start, has its ink centred in the tile.
fn ink_centred_x(letter: &str) -> Option<f32> {
    let svg = format!(
        concat!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">"##,
            r##"<text x="0" y="128" font-family="{}" font-size="150">{}</text></svg>"##
        ),
        font::FAMILY,
        letter
    );
    let options = usvg::Options {
        fontdb: font::database(),
        font_family: font::FAMILY.to_string(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(&svg, &options).ok()?;
    // The flattened glyph outlines: a text's own bounding box is its layout box, which has the
    // very error this works around.
    let ink = tree.root().children().iter().find_map(|node| match node {
        usvg::Node::Text(text) => Some(text.flattened().bounding_box()),
        _ => None,
    })?;
    (ink.width() > 0.0).then(|| 128.0 - (ink.x() + ink.width() / 2.0))
}

/// `text` as XML character data. An initial is letters and marks, so this changes nothing today;
/// it keeps the SVG well-formed if a rule ever lets another character through.
fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Most characters one initial may have: a Devanagari conjunct of three consonants with a vowel
/// sign and a mark ("स्त्रीं") is 7. A longer cluster is cut, so a name cannot make the initial
/// arbitrarily wide.
const MAX_INITIAL_CHARS: usize = 8;

/// Company forms written before the name itself, skipped so "(주)카카오" draws 카, not 주.
/// Written solid: Korean and Japanese put the name right after them, with or without a space.
const SOLID_FORMS: &[&str] = &["주식회사", "유한회사", "株式会社", "有限会社", "合同会社"];
/// Written in brackets, "(주)" or "（株）".
const BRACKETED_FORMS: &[&str] = &["주", "유", "株", "有"];
/// Whole words, skipped only when a space or punctuation follows ("ООО «Ромашка»", not "Аои").
const WORD_FORMS: &[&str] = &["ООО", "ОАО", "ЗАО", "ПАО", "АО", "ИП", "شركة"];

/// The placeholder's initial, from the first letter or digit of the name after any leading
/// punctuation and company form:
/// - Latin, Greek and Cyrillic upper-cased ("émile" → "É"), when the capital is one character
///   the font has ('ß' stays 'ß');
/// - Devanagari: the letter with its vowel signs and marks, and a conjunct's following
///   consonants ("हिन्दी" → "हि", "श्री" → "श्री"), an extended grapheme cluster of Unicode 15.1;
/// - Thai: the consonant with its vowel and tone marks, and a leading vowel written before it
///   ("เซ็นทรัล" → "เซ็", "ไทย" → "ไท"), so names sharing a leading vowel still differ;
/// - Arabic and Hebrew: the letter alone (shaped, a lone letter takes its isolated form);
/// - Hangul (decomposed jamo recomposed), kana and ideographs as they are.
///
/// The first letter decides: when the font cannot draw it, the initial is the id's first ASCII
/// letter or digit (upper-cased), else "?", never a letter from the middle of the name.
pub(crate) fn initial(company_id: &str, company_name: &str) -> String {
    let chars: Vec<char> = without_company_form(company_name).chars().collect();
    if let Some(start) = chars.iter().position(|&c| starts_initial(c)) {
        if let Some(cluster) = cluster_at(&chars, start) {
            return cluster;
        }
    }
    company_id
        .chars()
        .find(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .unwrap_or('?')
        .to_string()
}

/// The name after a leading company form, unless nothing drawable would be left ("株式会社"
/// alone keeps its 株).
fn without_company_form(name: &str) -> &str {
    let rest = name.trim_start_matches(|c: char| !c.is_alphanumeric());
    let opened = name[..name.len() - rest.len()].ends_with(['(', '（']);
    let after = SOLID_FORMS
        .iter()
        .find_map(|form| rest.strip_prefix(form))
        .or_else(|| {
            opened
                .then(|| {
                    BRACKETED_FORMS
                        .iter()
                        .find_map(|form| rest.strip_prefix(form)?.strip_prefix([')', '）']))
                })
                .flatten()
        })
        .or_else(|| {
            WORD_FORMS.iter().find_map(|form| {
                rest.strip_prefix(form)
                    .filter(|r| r.starts_with(|c: char| !c.is_alphanumeric()))
            })
        });
    match after {
        Some(after) if after.chars().any(starts_initial) => after,
        _ => name,
    }
}

/// A character an initial can start with: a letter or digit that is not a combining sign.
fn starts_initial(c: char) -> bool {
    (c.is_alphanumeric() && !is_sign(c)) || is_leading_jamo(c)
}

/// Combining signs that are alphabetic to Unicode but never begin a letter, and the Arabic
/// tatweel (a joining stroke).
fn is_sign(c: char) -> bool {
    is_devanagari_sign(c)
        || is_thai_sign(c)
        || matches!(c, '\u{0300}'..='\u{036F}' | '\u{05B0}'..='\u{05C7}' | '\u{0610}'..='\u{061A}'
            | '\u{0640}' | '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{3099}'..='\u{309A}')
}

/// The initial that starts at `chars[start]`, or None when the font cannot draw that letter.
fn cluster_at(chars: &[char], start: usize) -> Option<String> {
    let first = half_width(chars[start]);
    let next = |i: usize| chars.get(i).copied();
    if let Some(syllable) = compose_hangul(first, next(start + 1), next(start + 2)) {
        return Some(syllable.to_string());
    }
    if !font::covers(first) {
        return None;
    }
    let mut out = vec![upper_case(first)];
    let mut i = start + 1;
    if is_devanagari_letter(first) {
        while let Some(c) = next(i) {
            if c == DEVANAGARI_VIRAMA && next(i + 1).is_some_and(is_devanagari_consonant) {
                out.extend([c, chars[i + 1]]);
                i += 2;
            } else if is_devanagari_sign(c) {
                out.push(c);
                i += 1;
            } else {
                break;
            }
        }
    } else if is_thai_leading_vowel(first) || is_thai_consonant(first) {
        if is_thai_leading_vowel(first) {
            if let Some(c) = next(i).filter(|c| is_thai_consonant(*c)) {
                out.push(c);
                i += 1;
            }
        }
        while let Some(c) = next(i).filter(|c| is_thai_sign(*c)) {
            out.push(c);
            i += 1;
        }
    }
    out.truncate(MAX_INITIAL_CHARS);
    let drawable = out.iter().take_while(|c| font::covers(**c)).count();
    Some(out[..drawable].iter().collect())
}

/// Full-width Latin letters and digits ("ＮＴＴ", common in Japanese names) as ASCII.
fn half_width(c: char) -> char {
    match c {
        '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
            char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
        }
        _ => c,
    }
}

/// The capital of `c` when it is one character the font has (Latin, Greek, Cyrillic), else `c`.
fn upper_case(c: char) -> char {
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) if font::covers(u) => u,
        _ => c,
    }
}

const DEVANAGARI_VIRAMA: char = '\u{094D}';

fn is_devanagari(c: char) -> bool {
    ('\u{0900}'..='\u{097F}').contains(&c)
}

fn is_devanagari_letter(c: char) -> bool {
    matches!(c, '\u{0904}'..='\u{0939}' | '\u{093D}' | '\u{0950}' | '\u{0958}'..='\u{0961}'
        | '\u{0972}'..='\u{097F}')
}

fn is_devanagari_consonant(c: char) -> bool {
    matches!(c, '\u{0915}'..='\u{0939}' | '\u{0958}'..='\u{095F}' | '\u{0978}'..='\u{097F}')
}

/// Vowel signs, nukta, virama, candrabindu, anusvara, visarga and the other combining marks.
fn is_devanagari_sign(c: char) -> bool {
    matches!(c, '\u{0900}'..='\u{0903}' | '\u{093A}'..='\u{093C}' | '\u{093E}'..='\u{094F}'
        | '\u{0951}'..='\u{0957}' | '\u{0962}'..='\u{0963}')
}

fn is_thai_consonant(c: char) -> bool {
    ('\u{0E01}'..='\u{0E2E}').contains(&c)
}

/// เ แ โ ใ ไ: written before the consonant they follow in speech.
fn is_thai_leading_vowel(c: char) -> bool {
    ('\u{0E40}'..='\u{0E44}').contains(&c)
}

/// Above and below vowels and tone marks, drawn on the consonant before them.
fn is_thai_sign(c: char) -> bool {
    matches!(c, '\u{0E31}' | '\u{0E34}'..='\u{0E3A}' | '\u{0E47}'..='\u{0E4E}')
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

    fn init(name: &str) -> String {
        initial("fallback-id", name)
    }

    #[test]
    fn initial_picks_first_drawable_letter() {
        assert_eq!(initial("acme-1", "acme corp"), "A");
        assert_eq!(init("카카오"), "카");
        assert_eq!(init("3M"), "3");
        assert_eq!(init("\u{1112}\u{1161}\u{11AB}화"), "한");
        assert_eq!(initial("zeta", ""), "Z");
        assert_eq!(initial("__", "!!"), "?");
        assert_eq!(
            init("  \"Acme\""),
            "A",
            "leading punctuation and spaces are skipped"
        );
    }

    #[test]
    fn initial_in_each_covered_script() {
        for (name, want) in [
            ("東京電力", "東"),
            ("电信", "电"),
            ("ソニー", "ソ"),
            ("さくら銀行", "さ"),
            ("Яндекс", "Я"),
            ("яндекс", "Я"),
            ("Ελληνικά", "Ε"),
            ("άλφα", "Ά"),
            ("شركة", "ش"),
            ("عربي", "ع"),
            ("עברית", "ע"),
            ("हिन्दी", "हि"),
            ("श्रीराम", "श्री"),
            ("अंबुजा", "अं"),
            ("ไทย", "ไท"),
            ("เซ็นทรัล", "เซ็"),
            ("สิงห์", "สิ"),
            ("กรุงเทพ", "ก"),
            ("émile", "É"),
            ("Łódź", "Ł"),
            ("ßeta", "ß"),
            ("ＮＴＴドコモ", "N"),
            ("٣ نجوم", "٣"),
        ] {
            assert_eq!(init(name), want, "{name}");
        }
    }

    #[test]
    fn company_forms_before_the_name_are_skipped() {
        for (name, want) in [
            ("  (주)카카오", "카"),
            ("（주） 카카오", "카"),
            ("㈜카카오", "카"),
            ("주식회사 카카오", "카"),
            ("株式会社日立", "日"),
            ("(株)日立", "日"),
            ("ООО Ромашка", "Р"),
            ("ООО «Ромашка»", "Р"),
            ("АО Аэрофлот", "А"),
            ("Аои", "А"),
            ("شركة أرامكو", "أ"),
            ("株式会社", "株"),
            ("(주)", "주"),
        ] {
            assert_eq!(init(name), want, "{name}");
        }
    }

    #[test]
    fn an_undrawable_first_letter_falls_back_to_the_id() {
        for name in ["Ṭata", "საქართველო", "Հայաստան", "தமிழ்", "灣仔", "ｱｲ"]
        {
            assert_eq!(initial("zeta", name), "Z", "{name}");
        }
        assert_eq!(initial("_42", "Հայաստան"), "4");
        assert_eq!(initial("__", "Հայաստան"), "?");
        // A decomposed accent has no glyph (only precomposed letters do): the base letter alone.
        assert_eq!(init("e\u{0301}mile"), "E");
    }

    #[test]
    fn a_lone_sign_does_not_start_an_initial() {
        assert_eq!(init("\u{093F}हिन्दी"), "हि");
        assert_eq!(init("\u{0E34}ไทย"), "ไท");
        assert_eq!(init("\u{0640}عربي"), "ع");
    }

    #[test]
    fn a_cluster_is_cut_at_the_limit() {
        let long = "क्क्क्क्क्क्क्क्क्क";
        assert_eq!(init(long).chars().count(), MAX_INITIAL_CHARS);
        assert_eq!(
            init("เ"),
            "เ",
            "a leading vowel with no consonant is drawn alone"
        );
    }

    #[test]
    fn every_initial_is_drawable() {
        for name in [
            "東京",
            "हिन्दी",
            "เซ็น",
            "émile",
            "카카오",
            "Яндекс",
            "עברית",
            "شركة",
        ] {
            let got = init(name);
            assert!(got.chars().all(font::covers), "{name}: {got}");
        }
    }

    #[test]
    fn only_devanagari_leaves_the_middle_anchor() {
        let svg = |letter: &str| {
            Design {
                letter: letter.into(),
                rgb: [0, 0, 0],
            }
            .svg()
        };
        for letter in ["A", "카", "東", "เซ็", "ش"] {
            assert!(
                svg(letter).contains(r#"x="128" y="128""#) && svg(letter).contains("middle"),
                "{letter}"
            );
        }
        // "हि" is 864 units wide but usvg lays it out as 570 (its widest glyph): anchored at
        // the middle it would sit about 22 units right of the centre.
        let x = ink_centred_x("हि").expect("हि has ink");
        assert!((55.0..=75.0).contains(&x), "हि starts at {x}");
        assert!(svg("हि").contains(&format!(r#"x="{x}" y="128""#)));
        assert!(svg("हि").contains(r#"text-anchor="start""#));
    }

    #[test]
    fn svg_escapes_the_initial() {
        let design = Design {
            letter: "<&>".into(),
            rgb: [0, 0, 0],
        };
        assert!(design.svg().contains(">&lt;&amp;&gt;</text>"));
    }

    #[test]
    fn colour_is_stable_and_differs_between_ids() {
        assert_eq!(colour("acme"), colour("acme"));
        assert_ne!(colour("acme"), colour("acme2"));
    }
}

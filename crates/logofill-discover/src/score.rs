//! Scoring a candidate on what its bytes are. The rules and why each exists are in the crate
//! header; here are the numbers. A score is a sum of named parts, so `--explain` can say why
//! one candidate beat another.

use crate::CandidateKind;

/// How many colours the visible part has (measured on the rendered logo).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colouring {
    /// Nothing visible.
    Empty,
    /// One colour filling its box: a block, not a mark.
    Flat,
    /// One colour with a shape, on transparency.
    OneColour,
    Colour,
}

/// What a candidate's bytes turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    /// Displayed size of the source (an SVG's nominal size).
    pub width: u32,
    pub height: u32,
    pub vector: bool,
    /// `png`, `svg`, `ico`, ... for messages.
    pub format: &'static str,
    pub colouring: Colouring,
    /// Width over height of the visible content (after trimming margins).
    pub content_aspect: f32,
}

impl Facts {
    /// `"256x256 png, colour, 1.0:1"`.
    pub fn describe(&self) -> String {
        let colouring = match self.colouring {
            Colouring::Empty => "empty",
            Colouring::Flat => "flat",
            Colouring::OneColour => "one colour",
            Colouring::Colour => "colour",
        };
        format!(
            "{}x{} {}, {colouring}, {:.1}:1",
            self.width, self.height, self.format, self.content_aspect
        )
    }
}

/// A scored (or refused) candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Score {
    pub points: i32,
    /// The parts of the sum, in words.
    pub reasons: Vec<String>,
    /// Why the bytes are not a logo at all (then `points` is meaningless).
    pub refused: Option<String>,
}

/// Under this edge an image is not a logo.
pub const MIN_LOGO_PX: u32 = 16;
/// A square mark at least this large (or a vector) is "of useful size".
pub const USEFUL_SQUARE_PX: u32 = 48;
/// Width over height within which content counts as square (either way).
pub const SQUARE_ASPECT: f32 = 1.6;
/// Width over height within which an `og:image` may be a logo (either way).
pub const OG_IMAGE_ASPECT: f32 = 1.25;
/// A score at which the search stops: a square colour mark at full resolution.
pub const GOOD_ENOUGH: i32 = SQUARE_MARK + RESOLUTION;

const SQUARE_MARK: i32 = 1000;
const NAMED: i32 = 200;
const VECTOR: i32 = 300;
const RESOLUTION: i32 = 300;
const SILHOUETTE: i32 = -2000;
const PAGE_PICTURE: i32 = -100;

/// Scores a candidate of `kind` whose bytes are `facts`, for variants up to `largest` px.
pub fn score(kind: CandidateKind, monochrome_purpose: bool, facts: &Facts, largest: u32) -> Score {
    let refuse = |why: String| Score {
        points: i32::MIN,
        reasons: Vec::new(),
        refused: Some(why),
    };
    let (w, h) = (facts.width, facts.height);
    if !facts.vector && (w <= 1 || h <= 1) {
        return refuse(format!("a {w}x{h} pixel is not a logo"));
    }
    if !facts.vector && w.max(h) < MIN_LOGO_PX {
        return refuse(format!(
            "{w}x{h} is under {MIN_LOGO_PX} px: too small to be a logo"
        ));
    }
    match facts.colouring {
        Colouring::Empty => return refuse("nothing visible: an empty image".into()),
        Colouring::Flat => return refuse("a flat block of one colour, not a mark".into()),
        _ => {}
    }
    let source_aspect = w.max(1) as f32 / h.max(1) as f32;
    if kind == CandidateKind::OgImage
        && !(1.0 / OG_IMAGE_ASPECT..=OG_IMAGE_ASPECT).contains(&source_aspect)
    {
        return refuse(format!("og:image of {w}x{h}: a social card, not a logo"));
    }

    let mut points = 0;
    let mut reasons = Vec::new();
    let aspect = facts.content_aspect;
    let square = (1.0 / SQUARE_ASPECT..=SQUARE_ASPECT).contains(&aspect);
    let useful = facts.vector || w.min(h) >= USEFUL_SQUARE_PX;
    if square && useful {
        points += SQUARE_MARK;
        reasons.push(format!("+{SQUARE_MARK} square mark"));
    } else if !square {
        reasons.push(format!("+0 wide ({aspect:.1}:1)"));
    } else {
        reasons.push(format!("+0 small square (under {USEFUL_SQUARE_PX} px)"));
    }
    if kind.names_logo() {
        points += NAMED;
        reasons.push(format!("+{NAMED} named as the logo"));
    }
    if facts.vector {
        points += VECTOR + RESOLUTION;
        reasons.push(format!("+{} vector", VECTOR + RESOLUTION));
    } else {
        let edge = w.max(h).min(largest.max(1));
        let part = (RESOLUTION as i64 * edge as i64 / largest.max(1) as i64) as i32;
        points += part;
        if edge >= largest {
            reasons.push(format!("+{part} at least {largest} px"));
        } else {
            reasons.push(format!("+{part} {edge} of {largest} px"));
        }
    }
    if kind == CandidateKind::MaskIcon || monochrome_purpose {
        points += SILHOUETTE;
        reasons.push(format!("{SILHOUETTE} a mask icon"));
    } else if facts.colouring == Colouring::OneColour {
        points += SILHOUETTE;
        reasons.push(format!("{SILHOUETTE} one colour on transparency"));
    }
    if kind == CandidateKind::OgImage {
        points += PAGE_PICTURE;
        reasons.push(format!("{PAGE_PICTURE} a page picture"));
    }
    Score {
        points,
        reasons,
        refused: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(w: u32, h: u32, vector: bool, colouring: Colouring) -> Facts {
        Facts {
            width: w,
            height: h,
            vector,
            format: if vector { "svg" } else { "png" },
            colouring,
            content_aspect: w as f32 / h as f32,
        }
    }

    fn points(kind: CandidateKind, f: &Facts) -> i32 {
        let s = score(kind, false, f, 256);
        assert!(s.refused.is_none(), "{:?}", s.refused);
        s.points
    }

    #[test]
    fn pixels_tiny_and_flat_images_are_not_logos() {
        let c = Colouring::Colour;
        let refused = |kind, f: Facts| score(kind, false, &f, 256).refused.is_some();
        assert!(refused(CandidateKind::HeaderLogo, facts(1, 1, false, c)));
        assert!(refused(CandidateKind::LinkIcon, facts(12, 12, false, c)));
        assert!(refused(
            CandidateKind::LinkIcon,
            facts(64, 64, false, Colouring::Flat)
        ));
        assert!(refused(
            CandidateKind::LinkIcon,
            facts(64, 64, true, Colouring::Empty)
        ));
        assert!(refused(CandidateKind::OgImage, facts(1200, 630, false, c)));
        assert!(!refused(CandidateKind::OgImage, facts(400, 400, false, c)));
    }

    #[test]
    fn the_rules_order_candidates_as_a_person_would() {
        let c = Colouring::Colour;
        let wordmark_svg = points(CandidateKind::HeaderLogo, &facts(500, 100, true, c));
        let touch_180 = points(CandidateKind::AppleTouchIcon, &facts(180, 180, false, c));
        let favicon_16 = points(CandidateKind::Conventional, &facts(16, 16, false, c));
        let favicon_32 = points(CandidateKind::LinkIcon, &facts(32, 32, false, c));
        let big_icon = points(CandidateKind::Manifest, &facts(512, 512, false, c));
        let named_128 = points(CandidateKind::HeaderLogo, &facts(128, 128, false, c));
        let svg_icon = points(CandidateKind::LinkIcon, &facts(100, 100, true, c));
        let mask = score(
            CandidateKind::MaskIcon,
            false,
            &facts(16, 16, true, Colouring::OneColour),
            256,
        )
        .points;
        let white_logo = points(
            CandidateKind::HeaderLogo,
            &facts(200, 200, true, Colouring::OneColour),
        );

        assert!(touch_180 > wordmark_svg, "a square mark beats a wordmark");
        assert!(
            wordmark_svg > favicon_16 && wordmark_svg > favicon_32,
            "a wordmark beats a tiny favicon"
        );
        assert!(big_icon > touch_180, "real pixels beat fewer");
        assert!(named_128 > touch_180, "named beats an icon of similar size");
        assert!(big_icon > named_128 - 200 && big_icon < named_128 + 200);
        assert!(svg_icon > big_icon, "a vector beats a raster icon");
        assert!(
            touch_180 > mask && favicon_16 > mask,
            "a mask icon comes last"
        );
        assert!(
            favicon_16 > white_logo,
            "a one-colour silhouette comes last"
        );
        assert!(big_icon >= GOOD_ENOUGH && touch_180 < GOOD_ENOUGH);
    }
}

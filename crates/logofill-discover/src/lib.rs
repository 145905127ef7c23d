//! logofill-discover: finding a company's logo on the web as it is, and picking what a person
//! would pick.
//!
//! # Where a logo can be
//! In the order they are tried ([`search`]): the directory's explicit `logo_url`; what the
//! page names as its logo (JSON-LD `Organization`/`Corporation`/`Brand` `logo`, also inside
//! `@graph`; `itemprop="logo"`; `og:logo`; the `<img>` or inline `<svg>` of the page header
//! whose class, id, alt or src says "logo", or that sits in the header's home link); the icons
//! it declares (`<link rel=icon|apple-touch-icon|...>`, the web app manifest's `icons`);
//! `og:image`; the conventional paths `/apple-touch-icon.png` and `/favicon.ico`; and last the
//! Safari `mask-icon`. `data:` URIs and inline `<svg>` are sources too, without a fetch.
//! The page is read by a streaming tokenizer ([`page`]) as a browser reads it.
//!
//! # Why each ranking rule exists ([`mod@score`])
//! Declarations lie (a link that says 192x192 is a 16 px file; every SVG is not a mark), so
//! the decision is made on what the fetched bytes turn out to be, reported by the caller's
//! [`SourceCheck`] as [`Facts`]:
//! - **Not logos at all:** a 1x1 pixel (a tracker named `logo.gif`), anything under 16 px, a
//!   flat block of one colour, an empty image: refused, the next candidate is tried.
//! - **A square mark beats a wordmark** when the variants are square: a 5:1 wordmark squeezed
//!   into a 64 px square is an unreadable strip. A wordmark is used only when no square mark
//!   of useful size (48 px, or vector) exists, because a legible wordmark beats a blurry
//!   16 px favicon.
//! - **A logo-named source or a vector beats an icon** of the same shape: the page's own
//!   "this is our logo" is the best evidence of brand, and a vector renders sharp at every
//!   size.
//! - **Real pixels beat upscaled ones:** a raster at least as large as the largest variant
//!   beats a smaller one, in proportion.
//! - **One colour on transparency comes last** (a `mask-icon`, a white header logo made for
//!   a dark bar): drawn on the page's own background it may vanish.
//! - **`og:image` only when near-square:** it is usually a 1200x630 social card, a photo or a
//!   headline, and only sometimes the mark.
//!
//! # Budget
//! The homepage is read up to [`DEFAULT_MAX_HTML_BYTES`] (a prefix); at most
//! [`DEFAULT_MAX_CONSIDERED`] declared sources and [`DEFAULT_MAX_MANIFEST_ICONS`] manifest
//! icons are kept, and at most [`DEFAULT_MAX_CANDIDATES`] candidates fetched and checked,
//! whatever the page declares: the rest are counted in one attempt line. Inline sources are at
//! most [`MAX_INLINE_SOURCE_BYTES`] each. The search stops early once a candidate scores as a
//! full-resolution square colour mark ([`score::GOOD_ENOUGH`]).
//!
//! # Outcome
//! The best-scoring candidate wins ([`SourceOutcome::Found`]). Otherwise the result is
//! [`SourceOutcome::Blocked`] when a bot challenge or a 401/403/429 answered everything
//! (retried after a day, not "no logo"), [`SourceOutcome::Transient`] when a failure may pass
//! by itself (a timeout, a 5xx) and [`SourceOutcome::NoneUsable`] when every failure is a
//! property of the source (the worker stores a placeholder). A homepage on a shared platform
//! (a profile page on linktr.ee, a Google Drive folder) or a parked domain gives no page
//! candidates at all: their icons are the platform's, never the company's ([`site`]).

pub mod charref;
pub mod manifest;
pub mod page;
pub mod score;
pub mod search;
pub mod site;

mod data_uri;
mod jsonld;

use std::future::Future;

pub use charref::decode_char_refs;
pub use manifest::{candidates_from_manifest, scan_manifest};
pub use page::{candidates_from_html, scan_homepage, PageScan};
pub use score::{score, Colouring, Facts, Score};
pub use search::find_source;
pub use site::registrable_domain;

use url::Url;

/// Icons smaller than this are not worth declaring: skipped before any fetch when a larger
/// candidate is declared.
pub const MIN_USEFUL_ICON_PX: u32 = 32;
/// Most candidates fetched and checked for one company.
pub const DEFAULT_MAX_CANDIDATES: usize = 8;
/// Most sources kept from one homepage (links, metas, header logos, JSON-LD logos, in
/// document order); the rest are counted.
pub const DEFAULT_MAX_CONSIDERED: usize = 64;
/// Most icons kept from one web app manifest.
pub const DEFAULT_MAX_MANIFEST_ICONS: usize = 32;
/// Bytes of a homepage read: its first MiB is scanned and the rest never fetched (logos and
/// icons are in `<head>` and the page header), so a 10 MiB page costs what a 1 MiB one does.
pub const DEFAULT_MAX_HTML_BYTES: u64 = 1024 * 1024;
/// Largest web app manifest fetched and parsed; a larger one is refused (a cut JSON document
/// is useless).
pub const MAX_MANIFEST_BYTES: usize = 256 * 1024;
/// A declared URL longer than this is not a logo anyone meant to serve: skipped.
pub const MAX_CANDIDATE_URL_BYTES: usize = 8 * 1024;
/// Largest inline source (a decoded `data:` URI, an inline `<svg>`); a larger one is skipped.
pub const MAX_INLINE_SOURCE_BYTES: usize = 256 * 1024;

/// The limits of one discovery.
#[derive(Debug, Clone)]
pub struct DiscoveryOptions {
    /// Candidates fetched, the directory's `logo_url` included.
    pub max_candidates: usize,
    /// Sources kept from the homepage.
    pub max_considered: usize,
    /// Icons kept from the manifest.
    pub max_manifest_icons: usize,
    /// Bytes of the homepage read (a prefix: the rest is not fetched).
    pub max_html_bytes: u64,
    /// Bytes of the manifest read (whole, or refused).
    pub max_manifest_bytes: u64,
    /// Edge of the largest variant rendered: a raster at least this large has "real pixels".
    pub largest_variant: u32,
}

impl Default for DiscoveryOptions {
    fn default() -> Self {
        DiscoveryOptions {
            max_candidates: DEFAULT_MAX_CANDIDATES,
            max_considered: DEFAULT_MAX_CONSIDERED,
            max_manifest_icons: DEFAULT_MAX_MANIFEST_ICONS,
            max_html_bytes: DEFAULT_MAX_HTML_BYTES,
            max_manifest_bytes: MAX_MANIFEST_BYTES as u64,
            largest_variant: 256,
        }
    }
}

/// Where a candidate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CandidateKind {
    /// The directory's explicit `logo_url`.
    LogoUrl,
    /// JSON-LD `Organization`/`Corporation`/`Brand` `logo`.
    JsonLd,
    /// `itemprop="logo"`.
    ItempropLogo,
    /// `<meta property="og:logo">`.
    OgLogo,
    /// The page header's `<img>` or inline `<svg>` naming the logo.
    HeaderLogo,
    LinkIcon,
    AppleTouchIcon,
    Manifest,
    OgImage,
    /// `/apple-touch-icon.png` or `/favicon.ico`, tried whatever the page says.
    Conventional,
    /// Safari's pinned-tab icon: by definition a one-colour silhouette.
    MaskIcon,
}

impl CandidateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CandidateKind::LogoUrl => "logo_url",
            CandidateKind::JsonLd => "json-ld logo",
            CandidateKind::ItempropLogo => "itemprop=logo",
            CandidateKind::OgLogo => "og:logo",
            CandidateKind::HeaderLogo => "header logo",
            CandidateKind::LinkIcon => "link rel=icon",
            CandidateKind::AppleTouchIcon => "apple-touch-icon",
            CandidateKind::Manifest => "manifest icon",
            CandidateKind::OgImage => "og:image",
            CandidateKind::Conventional => "conventional path",
            CandidateKind::MaskIcon => "mask-icon",
        }
    }

    /// The page (or the directory) says this is the logo, not an icon.
    pub fn names_logo(self) -> bool {
        matches!(
            self,
            CandidateKind::LogoUrl
                | CandidateKind::JsonLd
                | CandidateKind::ItempropLogo
                | CandidateKind::OgLogo
                | CandidateKind::HeaderLogo
        )
    }

    /// The order candidates are tried in before anything is known of their bytes (lower
    /// first): what names the logo, then icons, then the page picture, then the guesses.
    fn prior(self) -> u8 {
        match self {
            CandidateKind::LogoUrl => 0,
            CandidateKind::JsonLd
            | CandidateKind::ItempropLogo
            | CandidateKind::OgLogo
            | CandidateKind::HeaderLogo => 1,
            CandidateKind::LinkIcon | CandidateKind::AppleTouchIcon | CandidateKind::Manifest => 2,
            CandidateKind::OgImage => 3,
            CandidateKind::Conventional => 4,
            CandidateKind::MaskIcon => 5,
        }
    }
}

/// What a candidate's bytes are fetched from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An http(s) URL, fetched through the guarded fetcher.
    Url(String),
    /// A `data:` URI, decoded (at most [`MAX_INLINE_SOURCE_BYTES`]).
    Data { media_type: String, bytes: Vec<u8> },
    /// An inline `<svg>` of the page, as written (namespace added when the page left it out).
    InlineSvg(Vec<u8>),
}

impl Source {
    /// The URL, or a short description of an inline source (never its bytes).
    pub fn label(&self) -> String {
        match self {
            Source::Url(url) => url.clone(),
            Source::Data { media_type, bytes } => {
                format!("data:{media_type} ({} bytes)", bytes.len())
            }
            Source::InlineSvg(bytes) => format!("inline <svg> ({} bytes)", bytes.len()),
        }
    }

    /// The URL, for an [`Source::Url`].
    pub fn url(&self) -> Option<&str> {
        match self {
            Source::Url(url) => Some(url),
            _ => None,
        }
    }

    /// Whether the declaration says SVG (a `type`, a `.svg` path, a data URI's media type).
    pub fn looks_svg(&self, mime: Option<&str>) -> bool {
        if mime.is_some_and(|m| m.trim().eq_ignore_ascii_case("image/svg+xml")) {
            return true;
        }
        match self {
            Source::Url(url) => url
                .split(['?', '#'])
                .next()
                .unwrap_or("")
                .to_ascii_lowercase()
                .ends_with(".svg"),
            Source::Data { media_type, .. } => media_type.eq_ignore_ascii_case("image/svg+xml"),
            Source::InlineSvg(_) => true,
        }
    }

    /// A key that is the same for the same source.
    fn key(&self) -> String {
        match self {
            Source::Url(url) => url.clone(),
            Source::Data { bytes, .. } | Source::InlineSvg(bytes) => {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                std::hash::Hash::hash(bytes, &mut h);
                format!("inline:{}:{}", bytes.len(), std::hash::Hasher::finish(&h))
            }
        }
    }
}

/// One place a logo may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub source: Source,
    pub kind: CandidateKind,
    /// Largest declared edge in pixels (`any` counts as very large); only orders the
    /// candidates before their bytes are seen.
    pub declared_size: Option<u32>,
    /// The declaration says SVG.
    pub declared_svg: bool,
    /// A manifest icon whose only `purpose` is `monochrome`: a silhouette, tried with the
    /// mask icons.
    pub purpose_monochrome: bool,
}

impl Candidate {
    pub fn new(source: Source, kind: CandidateKind) -> Self {
        Candidate {
            declared_svg: source.looks_svg(None),
            source,
            kind,
            declared_size: None,
            purpose_monochrome: false,
        }
    }

    /// `"180x180"`, `"any"`, `"svg"`, or empty: what the page declared.
    pub fn declared(&self) -> String {
        let mut parts = Vec::new();
        match self.declared_size {
            Some(s) if s >= u32::MAX / 2 => parts.push("any".to_string()),
            Some(s) => parts.push(format!("{s}x{s}")),
            None => {}
        }
        if self.declared_svg {
            parts.push("svg".into());
        }
        parts.join(" ")
    }
}

/// Parse `sizes="16x16 32x32"` / `"any"` / `"512x512"` into the largest edge.
pub fn parse_sizes(sizes: &str) -> Option<u32> {
    sizes
        .split_whitespace()
        .filter_map(|s| {
            if s.eq_ignore_ascii_case("any") {
                return Some(u32::MAX / 2);
            }
            let (w, h) = s.split_once(['x', 'X'])?;
            Some(w.parse::<u32>().ok()?.max(h.parse::<u32>().ok()?))
        })
        .max()
}

/// Whether `reference` starts with `data:` (any case). Compared as bytes: the fifth byte of a
/// hostile value may sit inside a multi-byte character.
pub(crate) fn is_data_uri(reference: &str) -> bool {
    reference
        .as_bytes()
        .get(..5)
        .is_some_and(|head| head.eq_ignore_ascii_case(b"data:"))
}

/// A declared reference resolved against `base`: a `data:` URI becomes an inline source
/// (decoded, within [`MAX_INLINE_SOURCE_BYTES`], images only); anything else an absolute URL.
pub(crate) fn resolve_source(base: &Url, reference: &str) -> Option<Source> {
    let trimmed = reference.trim_start();
    if is_data_uri(trimmed) {
        return data_uri::decode(trimmed);
    }
    if reference.len() > MAX_CANDIDATE_URL_BYTES {
        return None;
    }
    let url = base.join(reference).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| Source::Url(url.to_string()))
}

/// One tried (or counted) candidate and what became of it, for logs and `--explain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The URL, or the label of an inline source.
    pub url: String,
    pub kind: &'static str,
    /// What the page declared (`"192x192 svg"`), empty when nothing.
    pub declared: String,
    /// What the bytes turned out to be (`"256x256 png, colour, 1.0:1"`), empty when not
    /// decoded.
    pub decoded: String,
    /// The rank score, when the bytes were decoded and not refused.
    pub score: Option<i32>,
    /// `"used"` for the winner, else why it lost or failed.
    pub result: String,
}

impl Attempt {
    pub(crate) fn new(url: String, kind: &'static str, result: String) -> Self {
        Attempt {
            url,
            kind,
            declared: String::new(),
            decoded: String::new(),
            score: None,
            result,
        }
    }
}

/// What discovery concluded.
#[derive(Debug)]
pub enum SourceOutcome<T> {
    Found {
        /// The URL that answered (after redirects); for an inline source, the page's URL.
        url: String,
        kind: CandidateKind,
        value: T,
    },
    /// Nothing usable; every failure is a property of the source.
    NoneUsable { reason: String },
    /// A bot challenge or 401/403/429 answered instead of the site: try again in a while,
    /// and do not call it "no logo".
    Blocked { reason: String },
    /// Something may pass by itself (a timeout, a 5xx, a helper failure): retry the message.
    Transient { reason: String },
}

/// The outcome with everything tried on the way.
#[derive(Debug)]
pub struct Discovery<T> {
    pub outcome: SourceOutcome<T>,
    pub attempts: Vec<Attempt>,
    /// The homepage redirected to another registrable domain: `(asked, answered)`.
    pub redirect: Option<(String, String)>,
}

/// Why a fetched candidate was not taken, as the [`SourceCheck`] saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// The bytes are unusable as a logo (not an image, over a limit, over the render budget,
    /// a shared platform icon): the same bytes will never pass, so the next candidate is
    /// tried.
    Unusable(String),
    /// Something that may pass by itself (an encoder or helper-process failure, the store
    /// unreachable). The next candidate is still tried; if none is taken the message is
    /// retried rather than given a placeholder.
    Retryable(String),
}

impl Rejection {
    pub fn is_retryable(&self) -> bool {
        matches!(self, Rejection::Retryable(_))
    }

    pub fn reason(&self) -> &str {
        match self {
            Rejection::Unusable(r) | Rejection::Retryable(r) => r,
        }
    }
}

/// A candidate the check took, with what its bytes are.
#[derive(Debug)]
pub struct Checked<T> {
    pub value: T,
    pub facts: Facts,
}

/// Turns the bytes of a candidate into the caller's value (the worker renders them) and says
/// what they are, or says why not.
pub trait SourceCheck: Send + Sync {
    type Value: Send;
    /// `name` is the URL that answered (after redirects) or an inline source's label; it only
    /// appears in messages. `kind` says where the candidate came from.
    fn check(
        &self,
        name: &str,
        kind: CandidateKind,
        body: Vec<u8>,
    ) -> impl Future<Output = Result<Checked<Self::Value>, Rejection>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_sizes("16x16 32x32"), Some(32));
        assert_eq!(parse_sizes("512X512"), Some(512));
        assert_eq!(parse_sizes("any"), Some(u32::MAX / 2));
        assert_eq!(parse_sizes("big"), None);
        assert_eq!(parse_sizes(""), None);
    }

    #[test]
    fn sources_resolve_and_data_uris_are_decoded_without_a_fetch() {
        let base = Url::parse("https://acme.example/a/").unwrap();
        assert_eq!(
            resolve_source(&base, "logo.png"),
            Some(Source::Url("https://acme.example/a/logo.png".into()))
        );
        assert_eq!(resolve_source(&base, "javascript:alert(1)"), None);
        assert_eq!(resolve_source(&base, "ftp://acme.example/x.png"), None);
        // A multi-byte character across the fifth byte is no reason to panic.
        assert_eq!(
            resolve_source(&base, "dat\u{e9}x.png"),
            Some(Source::Url("https://acme.example/a/dat%C3%A9x.png".into()))
        );
        let Some(Source::Data { media_type, bytes }) =
            resolve_source(&base, "DATA:image/svg+xml,%3Csvg%2F%3E")
        else {
            panic!("a data URI is an inline source");
        };
        assert_eq!(media_type, "image/svg+xml");
        assert_eq!(bytes, b"<svg/>");
    }
}

/// A [`SourceCheck`] that takes every body and reports it as a 256 px square colour raster:
/// for tests of what is fetched, where what the bytes are does not matter. Its value is the
/// body's length.
#[derive(Debug, Clone, Copy, Default)]
pub struct TakeAnything;

impl SourceCheck for TakeAnything {
    type Value = usize;

    async fn check(
        &self,
        _name: &str,
        _kind: CandidateKind,
        body: Vec<u8>,
    ) -> Result<Checked<usize>, Rejection> {
        Ok(Checked {
            value: body.len(),
            facts: Facts {
                width: 256,
                height: 256,
                vector: false,
                format: "png",
                colouring: Colouring::Colour,
                content_aspect: 1.0,
            },
        })
    }
}

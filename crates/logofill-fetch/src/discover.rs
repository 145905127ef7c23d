//! Finding a company's logo: the candidates, their order, and trying them.
//!
//! Order: the directory's explicit `logo_url` first; then what the homepage declares
//! (`<link rel=icon|shortcut icon|apple-touch-icon|apple-touch-icon-precomposed|mask-icon>`
//! with `sizes`/`type`, `<meta property=og:image>`, and the web app manifest's `icons`),
//! ranked SVG first and then by declared size, largest first, with icons under 32 px dropped
//! when anything larger exists; `/favicon.ico` and `/apple-touch-icon.png` always come last.
//! Relative URLs resolve against the page's final URL, or its first `<base href>`.
//!
//! Budget: a homepage is hostile input, so everything about reading it is bounded before the
//! work is done. Only its first [`DEFAULT_MAX_HTML_BYTES`] are fetched (a prefix, not a
//! refusal: the icons are in `<head>`); it is read by a streaming tokenizer (`lol_html`)
//! whose buffers are capped at the page's size, with no tree built, so 10 MiB of nested
//! `<div>`s cost what 1 MiB of text does; at most [`DEFAULT_MAX_CONSIDERED`] icons are kept
//! and [`DEFAULT_MAX_CANDIDATES`] fetched, and the ones beyond are counted in one attempt
//! line instead of listed. The manifest is fetched whole within [`MAX_MANIFEST_BYTES`] and
//! its `icons` list read one entry at a time, keeping at most [`DEFAULT_MAX_MANIFEST_ICONS`].
//!
//! Outcome: the first candidate the caller accepts wins. If none does, the result is
//! `Transient` when any failure may pass by itself (a timeout, a 5xx) so the message is
//! retried later, and `NoneUsable` when every failure is a property of the source (404, not
//! an image, too big, blocked), so the worker stores a placeholder.

use logofill_core::directory::CompanyRecord;
use logofill_core::fetch::{BodyLimit, Fetcher};
use url::Url;

/// Icons smaller than this are skipped when a larger candidate exists.
pub const MIN_USEFUL_ICON_PX: u32 = 32;
/// Most candidates fetched for one company.
pub const DEFAULT_MAX_CANDIDATES: usize = 8;
/// Most icons kept from one homepage (`<link>` icons and `og:image`s, in document order);
/// the rest are counted.
pub const DEFAULT_MAX_CONSIDERED: usize = 64;
/// Most icons kept from one web app manifest.
pub const DEFAULT_MAX_MANIFEST_ICONS: usize = 32;
/// Bytes of a homepage read: its first MiB is scanned and the rest never fetched (the icons
/// are in `<head>`), so a 10 MiB page costs what a 1 MiB one does.
pub const DEFAULT_MAX_HTML_BYTES: u64 = 1024 * 1024;
/// Largest web app manifest fetched and parsed; a larger one is refused (a cut JSON document
/// is useless).
pub const MAX_MANIFEST_BYTES: usize = 256 * 1024;
/// A declared URL longer than this is not a logo anyone meant to serve: skipped.
pub const MAX_CANDIDATE_URL_BYTES: usize = 8 * 1024;
/// The tokenizer's memory floor; its limit grows with the page, up to twice
/// [`DEFAULT_MAX_HTML_BYTES`].
const TOKENIZER_MIN_MEMORY_BYTES: usize = 64 * 1024;
/// The slices a page is fed to the tokenizer in.
const TOKENIZER_SLICE_BYTES: usize = 16 * 1024;

/// The limits of one discovery.
#[derive(Debug, Clone)]
pub struct DiscoveryOptions {
    /// Candidates fetched, the directory's `logo_url` included.
    pub max_candidates: usize,
    /// Icons kept from the homepage.
    pub max_considered: usize,
    /// Icons kept from the manifest.
    pub max_manifest_icons: usize,
    /// Bytes of the homepage read (a prefix: the rest is not fetched).
    pub max_html_bytes: u64,
    /// Bytes of the manifest read (whole, or refused).
    pub max_manifest_bytes: u64,
}

impl Default for DiscoveryOptions {
    fn default() -> Self {
        DiscoveryOptions {
            max_candidates: DEFAULT_MAX_CANDIDATES,
            max_considered: DEFAULT_MAX_CONSIDERED,
            max_manifest_icons: DEFAULT_MAX_MANIFEST_ICONS,
            max_html_bytes: DEFAULT_MAX_HTML_BYTES,
            max_manifest_bytes: MAX_MANIFEST_BYTES as u64,
        }
    }
}

/// Where a candidate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandidateKind {
    LogoUrl,
    LinkIcon,
    AppleTouchIcon,
    MaskIcon,
    OgImage,
    Manifest,
    /// `/favicon.ico` or `/apple-touch-icon.png`, tried whatever the page says.
    Conventional,
}

impl CandidateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CandidateKind::LogoUrl => "logo_url",
            CandidateKind::LinkIcon => "link rel=icon",
            CandidateKind::AppleTouchIcon => "apple-touch-icon",
            CandidateKind::MaskIcon => "mask-icon",
            CandidateKind::OgImage => "og:image",
            CandidateKind::Manifest => "manifest icon",
            CandidateKind::Conventional => "conventional path",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub url: String,
    pub kind: CandidateKind,
    /// Largest declared edge in pixels (`any` counts as very large).
    pub declared_size: Option<u32>,
    pub svg: bool,
}

/// One tried URL and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub url: String,
    pub kind: &'static str,
    /// `"used"` for the winner, else why it lost.
    pub result: String,
}

#[derive(Debug)]
pub enum SourceOutcome<T> {
    Found {
        url: String,
        value: T,
        attempts: Vec<Attempt>,
    },
    NoneUsable {
        reason: String,
        attempts: Vec<Attempt>,
    },
    Transient {
        reason: String,
        attempts: Vec<Attempt>,
    },
}

/// Parse `sizes="16x16 32x32"` / `"any"` / `"512x512"` into the largest edge.
pub fn parse_sizes(sizes: &str) -> Option<u32> {
    sizes
        .split_whitespace()
        .filter_map(|s| {
            if s.eq_ignore_ascii_case("any") {
                return Some(u32::MAX / 2);
            }
            let (w, h) = s
                .to_ascii_lowercase()
                .split_once('x')
                .map(|(a, b)| (a.to_string(), b.to_string()))?;
            Some(w.parse::<u32>().ok()?.max(h.parse::<u32>().ok()?))
        })
        .max()
}

fn looks_svg(url: &str, mime: Option<&str>) -> bool {
    mime.is_some_and(|m| m.eq_ignore_ascii_case("image/svg+xml"))
        || url
            .split(['?', '#'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase()
            .ends_with(".svg")
}

/// What a homepage declares, within the limits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageScan {
    /// `<link>` icons and `og:image`s, in document order, at most the `considered` limit.
    pub candidates: Vec<Candidate>,
    /// The first `<link rel=manifest>`.
    pub manifest: Option<String>,
    /// Icons the page declared beyond the limit: counted, not kept.
    pub not_considered: usize,
    /// Why the tokenizer stopped before the end (its memory limit), if it did; what was
    /// found up to there is kept.
    pub stopped: Option<String>,
}

/// One declared icon as written, resolved once the whole page (and its `<base>`) is read.
struct Declared {
    kind: CandidateKind,
    href: String,
    mime: Option<String>,
    sizes: Option<String>,
}

/// What the tokenizer's handler collects.
#[derive(Default)]
struct Collected {
    base: Option<String>,
    manifest: Option<String>,
    declared: Vec<Declared>,
    not_considered: usize,
}

/// An attribute's value with character references decoded and ASCII whitespace trimmed;
/// `None` when absent, empty, or longer than any URL worth fetching.
fn attribute(el: &lol_html::html_content::Element<'_, '_>, name: &str) -> Option<String> {
    let raw = el.get_attribute(name)?;
    if raw.len() > 4 * MAX_CANDIDATE_URL_BYTES {
        return None;
    }
    let value = decode_char_refs(&raw);
    let value = value.trim_matches(|c: char| c.is_ascii_whitespace());
    (!value.is_empty() && value.len() <= MAX_CANDIDATE_URL_BYTES).then(|| value.to_string())
}

impl Collected {
    fn element(&mut self, el: &lol_html::html_content::Element<'_, '_>, limit: usize) {
        match el.tag_name().as_str() {
            "base" if self.base.is_none() => self.base = attribute(el, "href"),
            "link" => {
                let Some(rel) = attribute(el, "rel") else {
                    return;
                };
                let rel = rel.to_ascii_lowercase();
                let rels: Vec<&str> = rel.split_ascii_whitespace().collect();
                let kind = if rels.contains(&"manifest") {
                    if self.manifest.is_none() {
                        self.manifest = attribute(el, "href");
                    }
                    return;
                } else if rels.contains(&"mask-icon") {
                    CandidateKind::MaskIcon
                } else if rels.iter().any(|r| r.starts_with("apple-touch-icon")) {
                    CandidateKind::AppleTouchIcon
                } else if rels.contains(&"icon") {
                    CandidateKind::LinkIcon
                } else {
                    return;
                };
                let Some(href) = attribute(el, "href") else {
                    return;
                };
                self.declare(
                    limit,
                    Declared {
                        kind,
                        href,
                        mime: attribute(el, "type"),
                        sizes: attribute(el, "sizes"),
                    },
                );
            }
            "meta" => {
                let property = attribute(el, "property").or_else(|| attribute(el, "name"));
                if !property.is_some_and(|p| p.eq_ignore_ascii_case("og:image")) {
                    return;
                }
                if let Some(href) = attribute(el, "content") {
                    self.declare(
                        limit,
                        Declared {
                            kind: CandidateKind::OgImage,
                            href,
                            mime: None,
                            sizes: None,
                        },
                    );
                }
            }
            _ => {}
        }
    }

    fn declare(&mut self, limit: usize, declared: Declared) {
        if self.declared.len() < limit {
            self.declared.push(declared);
        } else {
            self.not_considered += 1;
        }
    }
}

/// The tokenizer's buffer limit for a page of `len` bytes: room for a tag as long as the page
/// (at most the homepage cap) while its buffer grows, so a page within the cap is read to its
/// end, and a tag longer than that stops the scan there.
fn tokenizer_memory_limit(len: usize) -> usize {
    2 * len.min(DEFAULT_MAX_HTML_BYTES as usize) + TOKENIZER_MIN_MEMORY_BYTES
}

/// Read a homepage with a streaming tokenizer (`lol_html`): no tree is built, its buffers are
/// capped at twice the page's own size (the page is at most [`DEFAULT_MAX_HTML_BYTES`]), and at
/// most `considered` icons are kept. Tag and attribute names are case-insensitive, unquoted
/// and valueless attributes parse as browsers parse them, character references in values are
/// decoded, and the first `<base href>` applies to every relative URL.
pub fn scan_homepage(html: &[u8], page_url: &Url, considered: usize) -> PageScan {
    let collected = std::cell::RefCell::new(Collected::default());
    let memory = lol_html::MemorySettings::new()
        .with_preallocated_parsing_buffer_size(1024)
        .with_max_allowed_memory_usage(tokenizer_memory_limit(html.len()));
    let settings = lol_html::Settings::new()
        .append_element_content_handler(lol_html::element!("link, meta, base", |el| {
            collected.borrow_mut().element(el, considered);
            Ok(())
        }))
        .with_memory_settings(memory)
        .with_strict(false);
    let mut rewriter = lol_html::HtmlRewriter::new(settings, |_: &[u8]| {});
    let mut stopped = None;
    // Fed in slices so a tag cut at a slice boundary is what the tokenizer buffers, within
    // its memory limit; a longer tag (a 1 MiB attribute) stops the scan there.
    let mut result = Ok(());
    for slice in html.chunks(TOKENIZER_SLICE_BYTES) {
        result = rewriter.write(slice);
        if result.is_err() {
            break;
        }
    }
    match result {
        Ok(()) => {
            if let Err(e) = rewriter.end() {
                stopped = Some(e.to_string());
            }
        }
        Err(e) => {
            drop(rewriter);
            stopped = Some(e.to_string());
        }
    }
    let collected = collected.into_inner();

    let base = collected
        .base
        .and_then(|b| page_url.join(&b).ok())
        .unwrap_or_else(|| page_url.clone());
    let manifest = collected
        .manifest
        .and_then(|m| base.join(&m).ok())
        .map(|u| u.to_string());
    let candidates = collected
        .declared
        .into_iter()
        .filter_map(|d| {
            let url = base.join(&d.href).ok()?;
            let svg =
                looks_svg(url.as_str(), d.mime.as_deref()) || d.kind == CandidateKind::MaskIcon;
            let mut declared_size = d.sizes.as_deref().and_then(parse_sizes);
            if d.kind == CandidateKind::AppleTouchIcon && declared_size.is_none() {
                declared_size = Some(180); // the platform's default size
            }
            Some(Candidate {
                url: url.to_string(),
                kind: d.kind,
                declared_size,
                svg,
            })
        })
        .collect();
    PageScan {
        candidates,
        manifest,
        not_considered: collected.not_considered,
        stopped,
    }
}

/// Candidates declared by a homepage (links, og:image), and the manifest URL if any, within
/// the default limits.
pub fn candidates_from_html(
    html: impl AsRef<[u8]>,
    page_url: &Url,
) -> (Vec<Candidate>, Option<String>) {
    let scan = scan_homepage(html.as_ref(), page_url, DEFAULT_MAX_CONSIDERED);
    (scan.candidates, scan.manifest)
}

/// Decode HTML character references in an attribute value: numeric ones (`&#47;`, `&#x2F;`,
/// with or without `;`) and the named ones a URL or a `rel`/`sizes`/`type` value plausibly
/// holds. Like a browser, a named reference without `;` is decoded only for the legacy four
/// (`&amp`, `&lt`, `&gt`, `&quot`) and not when a letter, digit or `=` follows; an unknown
/// name stays as written.
pub fn decode_char_refs(value: &str) -> std::borrow::Cow<'_, str> {
    if !value.contains('&') {
        return std::borrow::Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match decode_one(rest) {
            Some((ch, used)) => {
                out.push(ch);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// The character a reference at the start of `s` (which starts with `&`) stands for, and how
/// many bytes it takes.
fn decode_one(s: &str) -> Option<(char, usize)> {
    let bytes = s.as_bytes();
    if bytes.get(1) == Some(&b'#') {
        let (hex, digits_at) = match bytes.get(2) {
            Some(b'x' | b'X') => (true, 3),
            _ => (false, 2),
        };
        let digits = bytes[digits_at..]
            .iter()
            .take_while(|b| {
                if hex {
                    b.is_ascii_hexdigit()
                } else {
                    b.is_ascii_digit()
                }
            })
            .count();
        if digits == 0 {
            return None;
        }
        let text = &s[digits_at..digits_at + digits];
        let code = u32::from_str_radix(text, if hex { 16 } else { 10 }).unwrap_or(u32::MAX);
        let mut used = digits_at + digits;
        if bytes.get(used) == Some(&b';') {
            used += 1;
        }
        let ch = match code {
            0 => '\u{FFFD}',
            c => char::from_u32(c).unwrap_or('\u{FFFD}'),
        };
        return Some((ch, used));
    }
    let name_len = bytes[1..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    let name = &s[1..1 + name_len];
    if bytes.get(1 + name_len) == Some(&b';') {
        let ch = NAMED_REFERENCES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| *c)?;
        return Some((ch, name_len + 2));
    }
    // Legacy references without `;`: the longest known prefix, unless what follows it
    // continues a name or is `=` (then it is left alone, as in a browser's attribute).
    for (legacy, ch) in [("amp", '&'), ("lt", '<'), ("gt", '>'), ("quot", '"')] {
        if let Some(after) = name.strip_prefix(legacy) {
            if after.is_empty() && bytes.get(1 + name_len) != Some(&b'=') {
                return Some((ch, 1 + legacy.len()));
            }
            return None;
        }
    }
    None
}

/// Named character references that turn up in URLs and icon attributes.
const NAMED_REFERENCES: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", '\u{a0}'),
    ("sol", '/'),
    ("bsol", '\\'),
    ("colon", ':'),
    ("semi", ';'),
    ("period", '.'),
    ("comma", ','),
    ("quest", '?'),
    ("equals", '='),
    ("num", '#'),
    ("percnt", '%'),
    ("plus", '+'),
    ("minus", '\u{2212}'),
    ("lowbar", '_'),
    ("dash", '\u{2010}'),
    ("hyphen", '\u{2010}'),
    ("excl", '!'),
    ("commat", '@'),
    ("dollar", '$'),
    ("ast", '*'),
    ("lpar", '('),
    ("rpar", ')'),
    ("lsqb", '['),
    ("rsqb", ']'),
    ("lbrack", '['),
    ("rbrack", ']'),
    ("lcub", '{'),
    ("rcub", '}'),
    ("tilde", '~'),
    ("verbar", '|'),
    ("Hat", '^'),
    ("grave", '`'),
    ("Tab", '\t'),
    ("NewLine", '\n'),
];

/// Icons listed in a web app manifest, within the default limits.
pub fn candidates_from_manifest(json: &[u8], manifest_url: &Url) -> Vec<Candidate> {
    scan_manifest(
        json,
        manifest_url,
        MAX_MANIFEST_BYTES,
        DEFAULT_MAX_MANIFEST_ICONS,
    )
    .0
}

/// Icons listed in a web app manifest of at most `max_bytes` (larger is ignored), at most
/// `max_icons` of them; the count of the others is returned beside them. The `icons` array is
/// read one entry at a time and everything else is skipped without being kept, so a manifest
/// with 100,000 icons costs what `max_icons` do. JSON nested deeper than serde_json's limit
/// (128) is invalid: no icons.
pub fn scan_manifest(
    json: &[u8],
    manifest_url: &Url,
    max_bytes: usize,
    max_icons: usize,
) -> (Vec<Candidate>, usize) {
    if json.len() > max_bytes {
        return (Vec::new(), 0);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let seed = manifest::Top { max_icons };
    let Ok(icons) = serde::de::DeserializeSeed::deserialize(seed, &mut deserializer)
        .and_then(|icons| deserializer.end().map(|()| icons))
    else {
        return (Vec::new(), 0);
    };
    let skipped = icons.skipped;
    let candidates = icons
        .kept
        .into_iter()
        .filter_map(|icon| {
            let src = icon.src?;
            if src.trim().is_empty() || src.len() > MAX_CANDIDATE_URL_BYTES {
                return None;
            }
            let url = manifest_url.join(&src).ok()?;
            Some(Candidate {
                svg: looks_svg(url.as_str(), icon.mime.as_deref()),
                declared_size: icon.sizes.as_deref().and_then(parse_sizes),
                url: url.to_string(),
                kind: CandidateKind::Manifest,
            })
        })
        .collect();
    (candidates, skipped)
}

/// The bounded reading of a manifest: only `icons[*].{src,sizes,type}` are kept.
mod manifest {
    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

    pub(super) struct Icon {
        pub src: Option<String>,
        pub sizes: Option<String>,
        pub mime: Option<String>,
    }

    #[derive(Default)]
    pub(super) struct Icons {
        pub kept: Vec<Icon>,
        pub skipped: usize,
    }

    pub(super) struct Top {
        pub max_icons: usize,
    }

    impl<'de> DeserializeSeed<'de> for Top {
        type Value = Icons;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Icons, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Top {
        type Value = Icons;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a web app manifest")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Icons, A::Error> {
            let mut icons = Icons::default();
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if key == "icons" {
                    map.next_value_seed(List {
                        icons: &mut icons,
                        max_icons: self.max_icons,
                    })?;
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(icons)
        }
        // Any other JSON value is a manifest without icons.
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Icons, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Icons::default())
        }
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Icons, E> {
            Ok(Icons::default())
        }
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Icons, E> {
            Ok(Icons::default())
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Icons, E> {
            Ok(Icons::default())
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Icons, E> {
            Ok(Icons::default())
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Icons, E> {
            Ok(Icons::default())
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Icons, E> {
            Ok(Icons::default())
        }
    }

    struct List<'a> {
        icons: &'a mut Icons,
        max_icons: usize,
    }

    impl<'de> DeserializeSeed<'de> for List<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for List<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a list of icons")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            loop {
                if self.icons.kept.len() < self.max_icons {
                    let Some(value) = seq.next_element::<serde_json::Value>()? else {
                        return Ok(());
                    };
                    let text = |name: &str| value.get(name)?.as_str().map(str::to_string);
                    self.icons.kept.push(Icon {
                        src: text("src"),
                        sizes: text("sizes"),
                        mime: text("type"),
                    });
                } else {
                    if seq.next_element::<IgnoredAny>()?.is_none() {
                        return Ok(());
                    }
                    self.icons.skipped += 1;
                }
            }
        }
        // `"icons": null` or any other non-list: no icons.
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(())
        }
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
            Ok(())
        }
    }
}

/// Rank discovered candidates: SVG first, then larger declared sizes; undeclared sizes after
/// declared ones; tiny icons dropped when something larger exists; duplicates removed;
/// conventional paths last.
pub fn rank(mut discovered: Vec<Candidate>, page_url: &Url) -> Vec<Candidate> {
    let largest = discovered
        .iter()
        .filter_map(|c| c.declared_size)
        .max()
        .unwrap_or(0);
    let something_larger = largest >= MIN_USEFUL_ICON_PX || discovered.iter().any(|c| c.svg);
    if something_larger {
        discovered.retain(|c| c.svg || c.declared_size.is_none_or(|s| s >= MIN_USEFUL_ICON_PX));
    }
    // Stable sort keeps document order among equals.
    discovered.sort_by_key(|c| {
        let kind_rank = match c.kind {
            CandidateKind::OgImage => 1, // often a wide social card, not a logo
            _ => 0,
        };
        (
            !c.svg,
            kind_rank,
            std::cmp::Reverse(c.declared_size.unwrap_or(0)),
        )
    });
    for path in ["/favicon.ico", "/apple-touch-icon.png"] {
        if let Ok(url) = page_url.join(path) {
            discovered.push(Candidate {
                url: url.to_string(),
                kind: CandidateKind::Conventional,
                declared_size: None,
                svg: false,
            });
        }
    }
    let mut seen = std::collections::HashSet::new();
    discovered.retain(|c| seen.insert(c.url.clone()));
    discovered
}

/// Why a fetched candidate was not taken, as the [`SourceCheck`] saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// The bytes are unusable as a logo (not an image, over a limit, over the render budget):
    /// the same bytes will never pass, so the next candidate is tried.
    Unusable(String),
    /// Something that may pass by itself (an encoder or helper-process failure). The next
    /// candidate is still tried; if none is taken the message is retried rather than given a
    /// placeholder.
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

/// Turns the fetched bytes of a candidate into the caller's value (the worker renders them),
/// or says why not.
pub trait SourceCheck: Send + Sync {
    type Value: Send;
    /// `url` is the URL that answered (after redirects); it only appears in messages.
    fn check(
        &self,
        url: &str,
        body: Vec<u8>,
    ) -> impl std::future::Future<Output = Result<Self::Value, Rejection>> + Send;
}

/// Where the search stands: what was tried and the first failure that may pass by itself.
struct Search {
    attempts: Vec<Attempt>,
    transient: Option<String>,
}

impl Search {
    /// Fetch one candidate and check it; `Some` when it is taken.
    async fn try_candidate<F: Fetcher, C: SourceCheck>(
        &mut self,
        fetcher: &F,
        check: &C,
        candidate: Candidate,
    ) -> Option<(String, C::Value)> {
        let kind = candidate.kind.as_str();
        match fetcher.get(&candidate.url).await {
            Ok(response) => {
                let final_url = response.final_url;
                match check.check(&final_url, response.body).await {
                    Ok(value) => {
                        self.attempts.push(Attempt {
                            url: candidate.url,
                            kind,
                            result: "used".into(),
                        });
                        Some((final_url, value))
                    }
                    Err(rejection) => {
                        if rejection.is_retryable() && self.transient.is_none() {
                            self.transient = Some(rejection.reason().to_string());
                        }
                        self.attempts.push(Attempt {
                            url: candidate.url,
                            kind,
                            result: format!("not usable: {}", rejection.reason()),
                        });
                        None
                    }
                }
            }
            Err(e) => {
                if e.is_transient() && self.transient.is_none() {
                    self.transient = Some(e.to_string());
                }
                self.attempts.push(Attempt {
                    url: candidate.url,
                    kind,
                    result: e.to_string(),
                });
                None
            }
        }
    }
}

/// Try the record's sources in order until `check` takes one.
pub async fn find_source<F, C>(
    fetcher: &F,
    record: &CompanyRecord,
    options: &DiscoveryOptions,
    check: &C,
) -> SourceOutcome<C::Value>
where
    F: Fetcher,
    C: SourceCheck,
{
    let mut search = Search {
        attempts: Vec::new(),
        transient: None,
    };
    let mut tried = 0usize;

    if let Some(logo_url) = &record.logo_url {
        let candidate = Candidate {
            url: logo_url.clone(),
            kind: CandidateKind::LogoUrl,
            declared_size: None,
            svg: looks_svg(logo_url, None),
        };
        tried += 1;
        if let Some((url, value)) = search.try_candidate(fetcher, check, candidate).await {
            return SourceOutcome::Found {
                url,
                value,
                attempts: search.attempts,
            };
        }
    }

    if let Some(homepage) = &record.homepage {
        match fetcher
            .get_within(homepage, BodyLimit::Prefix(options.max_html_bytes))
            .await
        {
            Ok(page) => {
                let page_url = Url::parse(&page.final_url).or_else(|_| Url::parse(homepage));
                if let Ok(page_url) = page_url {
                    if page.truncated {
                        tracing::debug!(url = %page.final_url, limit = options.max_html_bytes, "homepage read up to the limit");
                    }
                    let scan = scan_homepage(&page.body, &page_url, options.max_considered);
                    drop(page);
                    if let Some(why) = &scan.stopped {
                        tracing::debug!(url = %page_url, reason = %why, "homepage scan stopped early");
                    }
                    let mut not_considered = scan.not_considered;
                    let mut discovered = scan.candidates;
                    if let Some(manifest_url) = scan.manifest {
                        match fetcher
                            .get_within(&manifest_url, BodyLimit::Whole(options.max_manifest_bytes))
                            .await
                        {
                            Ok(m) => {
                                let base =
                                    Url::parse(&m.final_url).unwrap_or_else(|_| page_url.clone());
                                let (icons, skipped) = scan_manifest(
                                    &m.body,
                                    &base,
                                    usize::try_from(options.max_manifest_bytes)
                                        .unwrap_or(usize::MAX),
                                    options.max_manifest_icons,
                                );
                                discovered.extend(icons);
                                not_considered += skipped;
                            }
                            Err(e) => search.attempts.push(Attempt {
                                url: manifest_url,
                                kind: "manifest",
                                result: e.to_string(),
                            }),
                        }
                    }
                    let mut not_tried: Option<(Candidate, usize)> = None;
                    for candidate in rank(discovered, &page_url) {
                        if tried >= options.max_candidates {
                            match &mut not_tried {
                                Some((_, more)) => *more += 1,
                                None => not_tried = Some((candidate, 0)),
                            }
                            continue;
                        }
                        tried += 1;
                        if let Some((url, value)) =
                            search.try_candidate(fetcher, check, candidate).await
                        {
                            return SourceOutcome::Found {
                                url,
                                value,
                                attempts: search.attempts,
                            };
                        }
                    }
                    // One line for everything beyond the caps, however much the page declared.
                    if not_tried.is_some() || not_considered > 0 {
                        let mut result = String::from("not tried");
                        let (url, kind) = match not_tried {
                            Some((first, more)) => {
                                if more > 0 {
                                    result.push_str(&format!(", nor {more} more after it"));
                                }
                                result.push_str(&format!(
                                    ": {} candidates at most",
                                    options.max_candidates
                                ));
                                (first.url, first.kind.as_str())
                            }
                            None => (page_url.to_string(), "homepage"),
                        };
                        if not_considered > 0 {
                            result.push_str(&format!(
                                "; {not_considered} more icons declared and not considered \
                                 ({} from the page, {} from the manifest at most)",
                                options.max_considered, options.max_manifest_icons
                            ));
                        }
                        search.attempts.push(Attempt { url, kind, result });
                    }
                }
            }
            Err(e) => {
                if e.is_transient() {
                    search.transient.get_or_insert_with(|| e.to_string());
                }
                search.attempts.push(Attempt {
                    url: homepage.clone(),
                    kind: "homepage",
                    result: e.to_string(),
                });
            }
        }
    }

    let attempts = search.attempts;
    if let Some(reason) = search.transient {
        return SourceOutcome::Transient { reason, attempts };
    }
    let reason = if record.logo_url.is_none() && record.homepage.is_none() {
        "the directory has no logo_url and no homepage".to_string()
    } else if attempts.is_empty() {
        "no candidate found".to_string()
    } else {
        format!(
            "no usable logo among {} candidates (last: {})",
            attempts.len(),
            attempts
                .last()
                .map(|a| a.result.clone())
                .unwrap_or_default()
        )
    };
    SourceOutcome::NoneUsable { reason, attempts }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("https://acme.example/about/index.html").unwrap()
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_sizes("16x16 32x32"), Some(32));
        assert_eq!(parse_sizes("512X512"), Some(512));
        assert_eq!(parse_sizes("any"), Some(u32::MAX / 2));
        assert_eq!(parse_sizes("big"), None);
        assert_eq!(parse_sizes(""), None);
    }

    #[test]
    fn links_meta_and_manifest_are_found_and_resolved() {
        let html = r##"<html><head>
            <link rel="icon" href="/favicon-16.png" sizes="16x16">
            <link rel="shortcut icon" href="icon.png" sizes="64x64">
            <link rel="apple-touch-icon" href="https://cdn.example/touch.png">
            <link rel="mask-icon" href="mask.svg" color="#000">
            <link rel="manifest" href="/site.webmanifest">
            <meta property="og:image" content="/og.png">
            <link rel="stylesheet" href="x.css">
        </head></html>"##;
        let (found, manifest) = candidates_from_html(html, &page());
        assert_eq!(
            manifest.as_deref(),
            Some("https://acme.example/site.webmanifest")
        );
        let urls: Vec<&str> = found.iter().map(|c| c.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://acme.example/favicon-16.png",
                "https://acme.example/about/icon.png",
                "https://cdn.example/touch.png",
                "https://acme.example/about/mask.svg",
                "https://acme.example/og.png"
            ]
        );
    }

    #[test]
    fn base_href_applies() {
        let html = r#"<head><base href="https://static.example/brand/"><link rel="icon" href="logo.svg"></head>"#;
        let (found, _) = candidates_from_html(html, &page());
        assert_eq!(found[0].url, "https://static.example/brand/logo.svg");
        assert!(found[0].svg);
    }

    #[test]
    fn ranking_prefers_svg_then_size_and_ends_with_conventional_paths() {
        let html = r#"<head>
            <link rel="icon" href="/16.png" sizes="16x16">
            <link rel="icon" href="/64.png" sizes="64x64">
            <link rel="apple-touch-icon" href="/touch.png">
            <link rel="icon" type="image/svg+xml" href="/logo">
            <link rel="icon" href="/favicon.ico">
        </head>"#;
        let (found, _) = candidates_from_html(html, &page());
        let ranked = rank(found, &page());
        let urls: Vec<&str> = ranked.iter().map(|c| c.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://acme.example/logo",
                "https://acme.example/touch.png",
                "https://acme.example/64.png",
                "https://acme.example/favicon.ico",
                "https://acme.example/apple-touch-icon.png"
            ],
            "16px dropped since larger exist; undeclared favicon after declared sizes; duplicates once"
        );
    }

    #[test]
    fn a_tiny_icon_is_kept_when_it_is_all_there_is() {
        let (found, _) =
            candidates_from_html(r#"<link rel="icon" href="/16.png" sizes="16x16">"#, &page());
        assert_eq!(rank(found, &page())[0].url, "https://acme.example/16.png");
    }

    #[test]
    fn manifest_icons() {
        let json = br#"{"icons": [{"src": "i/192.png", "sizes": "192x192", "type": "image/png"}, {"src": "/512.png", "sizes": "512x512"}, {"nosrc": 1}]}"#;
        let base = Url::parse("https://acme.example/app/manifest.json").unwrap();
        let found = candidates_from_manifest(json, &base);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].url, "https://acme.example/app/i/192.png");
        assert_eq!(found[1].declared_size, Some(512));
        assert!(candidates_from_manifest(b"not json", &base).is_empty());
    }

    #[test]
    fn names_are_case_insensitive_and_attributes_parse_as_browsers_parse_them() {
        let html = r#"<HTML><HEAD>
            <LINK REL=ICON HREF=/upper.png SIZES=48x48>
            <link rel=apple-touch-icon href=touch.png hidden>
            <Link Rel="Shortcut Icon" hRef='/quoted.png'>
            <META PROPERTY="OG:IMAGE" CONTENT="/og.png">
        </HEAD></HTML>"#;
        let (found, _) = candidates_from_html(html, &page());
        let urls: Vec<&str> = found.iter().map(|c| c.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://acme.example/upper.png",
                "https://acme.example/about/touch.png",
                "https://acme.example/quoted.png",
                "https://acme.example/og.png"
            ]
        );
        assert_eq!(found[0].declared_size, Some(48));
    }

    #[test]
    fn character_references_in_urls_are_decoded() {
        let html = r#"<link rel="icon" href="/i.png?a=1&amp;b=2&#38;c=3&#x26;d=4&sol;e">
            <link rel="icon" href="/j.png?x=&ampy&amp=z&unknown;">"#;
        let (found, _) = candidates_from_html(html, &page());
        assert_eq!(found[0].url, "https://acme.example/i.png?a=1&b=2&c=3&d=4/e");
        assert_eq!(
            found[1].url,
            "https://acme.example/j.png?x=&ampy&amp=z&unknown;"
        );
        assert_eq!(
            decode_char_refs("&#0;&#x110000;&#65&lt;"),
            "\u{FFFD}\u{FFFD}A<"
        );
        assert_eq!(decode_char_refs("a&b & &#;"), "a&b & &#;");
    }

    #[test]
    fn only_the_first_base_applies_and_empty_hrefs_are_ignored() {
        // The old parser resolved `href=""` to the page itself and fetched it as an icon.
        let html = r#"<head><base href="  "><base href="https://static.example/brand/">
            <base href="https://other.example/"><link rel="icon" href="">
            <link rel="icon" href="   "><link rel="icon" href="logo.svg">
            <meta property="og:image" content=""></head>"#;
        let (found, _) = candidates_from_html(html, &page());
        let urls: Vec<&str> = found.iter().map(|c| c.url.as_str()).collect();
        assert_eq!(urls, ["https://static.example/brand/logo.svg"]);
    }

    #[test]
    fn the_homepage_scan_keeps_at_most_the_considered_icons_and_counts_the_rest() {
        let mut html = String::from(r#"<link rel="manifest" href="/m.json">"#);
        for i in 0..100 {
            html.push_str(&format!(r#"<link rel="icon" href="/{i}.png">"#));
        }
        let scan = scan_homepage(html.as_bytes(), &page(), 10);
        assert_eq!(scan.candidates.len(), 10);
        assert_eq!(scan.candidates[9].url, "https://acme.example/9.png");
        assert_eq!(scan.not_considered, 90);
        assert_eq!(
            scan.manifest.as_deref(),
            Some("https://acme.example/m.json")
        );
        assert_eq!(scan.stopped, None);
    }

    #[test]
    fn a_url_longer_than_the_limit_is_skipped() {
        let long = "a".repeat(MAX_CANDIDATE_URL_BYTES + 1);
        let html = format!(r#"<link rel="icon" href="/{long}"><link rel="icon" href="/ok.png">"#);
        let (found, _) = candidates_from_html(&html, &page());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].url, "https://acme.example/ok.png");
    }

    #[test]
    fn a_manifest_keeps_at_most_its_icon_limit_and_skips_everything_else() {
        let base = Url::parse("https://acme.example/manifest.json").unwrap();
        let icons: Vec<String> = (0..50)
            .map(|i| format!(r#"{{"src": "/{i}.png", "sizes": "{i}x{i}"}}"#))
            .collect();
        let json = format!(
            r##"{{"name": "Acme", "other": [[[1, 2], {{"x": null}}]], "icons": [{}], "theme": "#fff"}}"##,
            icons.join(",")
        );
        let (found, skipped) = scan_manifest(json.as_bytes(), &base, MAX_MANIFEST_BYTES, 5);
        assert_eq!(found.len(), 5);
        assert_eq!(skipped, 45);
        assert_eq!(found[4].declared_size, Some(4));
        for odd in [
            &b"[]"[..],
            b"null",
            b"\"icons\"",
            br#"{"icons": null}"#,
            br#"{"icons": {"src": "/x.png"}}"#,
            br#"{"icons": [1, "x", {"src": 5}]} trailing"#,
        ] {
            assert!(
                candidates_from_manifest(odd, &base).is_empty(),
                "{}",
                String::from_utf8_lossy(odd)
            );
        }
        let too_big = vec![b' '; MAX_MANIFEST_BYTES + 1];
        assert_eq!(
            scan_manifest(&too_big, &base, MAX_MANIFEST_BYTES, 5),
            (Vec::new(), 0)
        );
    }
}

//! Reading a homepage as a browser reads it, within a budget.
//!
//! A streaming tokenizer (`lol_html`) sees every start tag once: no tree is built, its buffers
//! are capped at twice the page's size (the page is at most [`DEFAULT_MAX_HTML_BYTES`]), and at
//! most `considered` sources are kept. Tag and attribute names are case-insensitive, unquoted
//! and valueless attributes parse as browsers parse them, character references in values are
//! decoded, the first `<base href>` applies to every relative URL, and an empty `href` is no
//! source (it would resolve to the page itself).
//!
//! What is collected:
//! - `<link rel=icon|shortcut icon|apple-touch-icon[-precomposed]|mask-icon|manifest>`,
//!   `<meta property=og:image|og:logo>`, and `itemprop=logo` on `<img>`, `<link>`, `<meta>`;
//! - JSON-LD scripts (at most 128 KiB each, [`MAX_JSON_LD_TOTAL`] in all);
//! - the header logo: an `<img>` or inline `<svg>` inside `<header>`, `<nav>` or
//!   `role=banner` (not inside `<footer>`), whose own class, id, alt, aria-label or src names
//!   the logo, or that sits inside a home link (`<a href="/">`) or a logo-named wrapper of the
//!   header; outside a header, only one inside a home link that names the logo. Names that say
//!   "partner", "client", "customer", "sponsor", "award", "social" or "payment" logos are other
//!   companies' and are skipped. At most [`MAX_HEADER_LOGOS`];
//! - the `<title>` and the page's bytes for challenge and parking markers ([`crate::site`]).

use std::cell::RefCell;
use std::rc::Rc;

use url::Url;

use crate::jsonld::{self, MAX_JSON_LD_BYTES};
use crate::{
    decode_char_refs, is_data_uri, parse_sizes, resolve_source, Candidate, CandidateKind, Source,
    DEFAULT_MAX_CONSIDERED, DEFAULT_MAX_HTML_BYTES, MAX_CANDIDATE_URL_BYTES,
    MAX_INLINE_SOURCE_BYTES,
};

/// All JSON-LD text kept from one page.
pub const MAX_JSON_LD_TOTAL: usize = 256 * 1024;
/// Header logos kept from one page (the first is almost always the site's own).
pub const MAX_HEADER_LOGOS: usize = 4;
/// Bytes after its start tag during which a logo-named wrapper or home link still applies
/// when its end tag never comes (markup that leaves it open).
const WRAPPER_SPAN_BYTES: usize = 8 * 1024;
/// Logo wrappers and home links kept open at once: a page of unclosed ones keeps only the
/// innermost, so each element costs the same whatever came before it.
const MAX_OPEN_WRAPPERS: usize = 16;
/// Longest `<title>` kept.
const MAX_TITLE_BYTES: usize = 256;
/// The tokenizer's memory floor; its limit grows with the page, up to twice
/// [`DEFAULT_MAX_HTML_BYTES`].
const TOKENIZER_MIN_MEMORY_BYTES: usize = 64 * 1024;
/// The slices a page is fed to the tokenizer in.
const TOKENIZER_SLICE_BYTES: usize = 16 * 1024;

/// What a homepage declares and shows, within the limits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageScan {
    /// Sources in document order (JSON-LD logos after the markup's), at most the
    /// `considered` limit.
    pub candidates: Vec<Candidate>,
    /// The first `<link rel=manifest>`.
    pub manifest: Option<String>,
    /// Sources the page declared beyond the limit: counted, not kept.
    pub not_considered: usize,
    /// Why the tokenizer stopped before the end (its memory limit), if it did; what was
    /// found up to there is kept.
    pub stopped: Option<String>,
    /// The first `<title>`, whitespace collapsed.
    pub title: Option<String>,
}

/// One declared source as written, resolved once the whole page (and its `<base>`) is read.
struct Declared {
    kind: CandidateKind,
    reference: Reference,
    mime: Option<String>,
    sizes: Option<String>,
    /// For an inline `<svg>`: the offset of its start tag, until its markup is cut out.
    inline_at: Option<usize>,
}

enum Reference {
    Href(String),
    InlineSvg(Vec<u8>),
}

/// An open element that makes an `<img>` inside it a header logo.
struct Wrapper {
    started: usize,
    names_logo: bool,
    home_link: bool,
    /// A client wall, a partner strip: nothing inside is the site's own logo.
    others: bool,
}

#[derive(Default)]
struct Collected {
    base: Option<String>,
    manifest: Option<String>,
    declared: Vec<Declared>,
    not_considered: usize,
    header_depth: u32,
    footer_depth: u32,
    svg_depth: u32,
    wrappers: Vec<Wrapper>,
    header_logos: usize,
    json_ld: Vec<String>,
    json_ld_bytes: usize,
    script: Option<String>,
    title: Option<String>,
    in_title: bool,
}

/// An attribute's value with character references decoded and ASCII whitespace trimmed;
/// `None` when absent, empty, or longer than `max`.
fn attribute_within(
    el: &lol_html::html_content::Element<'_, '_>,
    name: &str,
    max: usize,
) -> Option<String> {
    let raw = el.get_attribute(name)?;
    if raw.len() > 4 * max {
        return None;
    }
    let value = decode_char_refs(&raw);
    let value = value.trim_matches(|c: char| c.is_ascii_whitespace());
    (!value.is_empty() && value.len() <= max).then(|| value.to_string())
}

fn attribute(el: &lol_html::html_content::Element<'_, '_>, name: &str) -> Option<String> {
    attribute_within(el, name, MAX_CANDIDATE_URL_BYTES)
}

/// A source reference: a URL (at most [`MAX_CANDIDATE_URL_BYTES`]) or a `data:` URI (at most
/// a base64 encoding of [`MAX_INLINE_SOURCE_BYTES`]).
fn reference(el: &lol_html::html_content::Element<'_, '_>, name: &str) -> Option<String> {
    let raw = el.get_attribute(name)?;
    let trimmed = raw.trim_start();
    let data = is_data_uri(trimmed);
    let max = if data {
        MAX_INLINE_SOURCE_BYTES / 3 * 4 + 1024
    } else {
        MAX_CANDIDATE_URL_BYTES
    };
    attribute_within(el, name, max)
}

/// Words in a class, id, alt or file name that mark another company's logo (a client wall,
/// a partner strip, an award, a payment badge).
const OTHER_COMPANIES: &[&str] = &[
    "partner",
    "partners",
    "client",
    "clients",
    "customer",
    "customers",
    "sponsor",
    "sponsors",
    "award",
    "awards",
    "badge",
    "badges",
    "social",
    "payment",
    "payments",
    "press",
    "featured",
    "logos",
    "trust",
    "certified",
    "certification",
    "appstore",
    "googleplay",
    "store-badge",
];

fn words(value: &str) -> Vec<String> {
    value
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether a class, id, alt, aria-label or file name says "logo" (or "brand") and not another
/// company's.
fn names_logo(value: &str) -> bool {
    let words = words(value);
    let logo = words
        .iter()
        .any(|w| w == "brand" || (w.contains("logo") && !w.ends_with("logos")));
    logo && !names_others(value)
}

/// Whether a class, id, alt or file name speaks of other companies' logos.
fn names_others(value: &str) -> bool {
    words(value)
        .iter()
        .any(|w| OTHER_COMPANIES.contains(&w.as_str()))
}

/// The last path segment of a URL-ish reference (for "does the file name say logo").
fn file_name(reference: &str) -> &str {
    if is_data_uri(reference) {
        return "";
    }
    let path = reference.split(['?', '#']).next().unwrap_or("");
    path.rsplit('/').next().unwrap_or("")
}

/// The best URL of an `<img>`: `src`, unless it is missing or a lazy-loading stand-in (a
/// `data:` GIF or a `blank`/`placeholder` image), then `data-src`/`data-lazy-src`, then the
/// largest `srcset` entry.
fn image_reference(el: &lol_html::html_content::Element<'_, '_>) -> Option<String> {
    let src = reference(el, "src");
    let stand_in = src.as_deref().is_none_or(|s| {
        let lower = s.to_ascii_lowercase();
        lower.starts_with("data:image/gif")
            || file_name(&lower).contains("blank")
            || file_name(&lower).contains("placeholder")
            || file_name(&lower).contains("spacer")
    });
    if !stand_in {
        return src;
    }
    attribute(el, "data-src")
        .or_else(|| attribute(el, "data-lazy-src"))
        .or_else(|| largest_srcset(&attribute(el, "srcset").unwrap_or_default()))
        .or(src)
}

/// The URL of the largest `srcset` candidate (`w` or `x` descriptors; none counts as `1x`).
fn largest_srcset(srcset: &str) -> Option<String> {
    srcset
        .split(',')
        .filter_map(|entry| {
            let mut parts = entry.split_ascii_whitespace();
            let url = parts.next()?;
            let weight = parts
                .next()
                .and_then(|d| {
                    if let Some(n) = d.strip_suffix('x') {
                        n.parse::<f32>().ok().map(|n| n * 1000.0)
                    } else {
                        d.strip_suffix('w')?.parse::<f32>().ok()
                    }
                })
                .filter(|w| w.is_finite())
                .unwrap_or(1000.0);
            Some((url.to_string(), weight))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(url, _)| url)
}

/// An `<a href>` that points at the site's root or the page itself (`/`, `./`, `index.htm`,
/// `/default.aspx`, the page's own URL).
fn is_home_link(href: &str, page: &Url) -> bool {
    let href = href.trim();
    if matches!(href, "/" | "./" | "#" | "/#" | "") {
        return true;
    }
    let Ok(target) = page.join(href) else {
        return false;
    };
    if target.host() != page.host() {
        return false;
    }
    let path = target.path();
    if path == "/" || path.is_empty() || path == page.path() {
        return true;
    }
    let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
    let page_dir = page.path().rsplit_once('/').map_or("", |(d, _)| d);
    let index = file.split('.').next().is_some_and(|stem| {
        matches!(
            stem.to_ascii_lowercase().as_str(),
            "index" | "default" | "home"
        )
    });
    index && (dir.is_empty() || dir == page_dir)
}

impl Collected {
    fn in_header(&self) -> bool {
        self.header_depth > 0 && self.footer_depth == 0
    }

    /// Wrappers still open at `offset` (expired ones dropped).
    fn live_wrappers(&mut self, offset: usize) -> &[Wrapper] {
        self.wrappers
            .retain(|w| offset.saturating_sub(w.started) <= WRAPPER_SPAN_BYTES);
        &self.wrappers
    }

    fn declare(&mut self, limit: usize, declared: Declared) {
        if self.declared.len() < limit {
            self.declared.push(declared);
        } else {
            self.not_considered += 1;
        }
    }

    /// Whether an `<img>`/`<svg>` whose own attributes do (`named`) or do not name the logo
    /// is the header logo, given where it is.
    fn is_header_logo(&mut self, named: bool, offset: usize) -> bool {
        if self.footer_depth > 0 || self.header_logos >= MAX_HEADER_LOGOS {
            return false;
        }
        let in_header = self.in_header();
        let wrappers = self.live_wrappers(offset);
        if wrappers.iter().any(|w| w.others) {
            return false;
        }
        let home = wrappers.iter().any(|w| w.home_link);
        let named_wrapper = wrappers.iter().any(|w| w.names_logo);
        if in_header {
            named || home || named_wrapper
        } else {
            home && (named || named_wrapper)
        }
    }

    fn own_names_logo(el: &lol_html::html_content::Element<'_, '_>, src: Option<&str>) -> bool {
        let mut values: Vec<String> = ["class", "id", "alt", "aria-label", "title"]
            .iter()
            .filter_map(|a| attribute(el, a))
            .collect();
        values.extend(src.map(|s| file_name(s).to_string()));
        !values.iter().any(|v| names_others(v)) && values.iter().any(|v| names_logo(v))
    }
}

/// The tokenizer's buffer limit for a page of `len` bytes: room for a tag as long as the page
/// (at most the homepage cap) while its buffer grows, so a page within the cap is read to its
/// end, and a tag longer than that stops the scan there.
fn tokenizer_memory_limit(len: usize) -> usize {
    2 * len.min(DEFAULT_MAX_HTML_BYTES as usize) + TOKENIZER_MIN_MEMORY_BYTES
}

/// Adds the SVG namespace (and xlink's, when used) to an inline `<svg>` that relies on the
/// HTML parser for it: an XML renderer would see no SVG without them.
fn standalone_svg(markup: &[u8]) -> Vec<u8> {
    let head_end = markup
        .iter()
        .position(|b| *b == b'>')
        .unwrap_or(markup.len());
    let head = String::from_utf8_lossy(&markup[..head_end]).to_ascii_lowercase();
    let mut extra = String::new();
    if !head.contains("xmlns=") {
        extra.push_str(r#" xmlns="http://www.w3.org/2000/svg""#);
    }
    if !head.contains("xmlns:xlink") && markup.windows(6).any(|w| w == b"xlink:") {
        extra.push_str(r#" xmlns:xlink="http://www.w3.org/1999/xlink""#);
    }
    if extra.is_empty() || markup.len() < 4 {
        return markup.to_vec();
    }
    let mut out = Vec::with_capacity(markup.len() + extra.len());
    out.extend_from_slice(&markup[..4]); // "<svg"
    out.extend_from_slice(extra.as_bytes());
    out.extend_from_slice(&markup[4..]);
    out
}

/// Read a homepage (see the module header); at most `considered` sources are kept.
pub fn scan_homepage(html: &[u8], page_url: &Url, considered: usize) -> PageScan {
    let collected = Rc::new(RefCell::new(Collected::default()));
    let memory = lol_html::MemorySettings::new()
        .with_preallocated_parsing_buffer_size(1024)
        .with_max_allowed_memory_usage(tokenizer_memory_limit(html.len()));
    let page = page_url.clone();
    let elements = collected.clone();
    let scripts = collected.clone();
    let titles = collected.clone();
    let html_len = html.len();
    // Inline <svg>s are cut out of the page by their byte range once their end tag is seen.
    let svg_ranges: Rc<RefCell<Vec<(usize, usize)>>> = Rc::default();
    let svg_sink = svg_ranges.clone();
    let settings = lol_html::Settings::new()
        .append_element_content_handler(lol_html::element!("*", move |el| {
            element(el, &elements, &svg_sink, &page, considered, html_len);
            Ok(())
        }))
        .append_element_content_handler(lol_html::text!("script", move |t| {
            let mut c = scripts.borrow_mut();
            let mut drop_script = false;
            let remaining = MAX_JSON_LD_TOTAL.saturating_sub(c.json_ld_bytes);
            if let Some(script) = c.script.as_mut() {
                if script.len() + t.as_str().len() > MAX_JSON_LD_BYTES.min(remaining) {
                    drop_script = true;
                } else {
                    script.push_str(t.as_str());
                }
            }
            if drop_script {
                c.script = None;
            }
            Ok(())
        }))
        .append_element_content_handler(lol_html::text!("title", move |t| {
            let mut c = titles.borrow_mut();
            if c.in_title {
                let title = c.title.get_or_insert_with(String::new);
                for ch in t.as_str().chars() {
                    if title.len() + ch.len_utf8() > MAX_TITLE_BYTES {
                        break;
                    }
                    title.push(ch);
                }
            }
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
    let collected = Rc::try_unwrap(collected)
        .map(RefCell::into_inner)
        .unwrap_or_else(|shared| std::mem::take(&mut *shared.borrow_mut()));
    let mut collected = collected;
    // Inline SVGs, now that their ends are known, in document order of their starts.
    for (start, end) in svg_ranges.borrow().iter().copied() {
        if let Some(markup) = html.get(start..end) {
            if let Some(d) = collected
                .declared
                .iter_mut()
                .find(|d| d.inline_at == Some(start))
            {
                d.reference = Reference::InlineSvg(standalone_svg(markup));
                d.inline_at = None;
            }
        }
    }
    // An inline <svg> whose end never came (or too long) is no source.
    collected.declared.retain(|d| d.inline_at.is_none());
    // JSON-LD logos come after the markup's sources in document order, within the same limit.
    for text in std::mem::take(&mut collected.json_ld) {
        for logo in jsonld::logos(&text) {
            collected.declare(
                considered,
                Declared {
                    kind: CandidateKind::JsonLd,
                    reference: Reference::Href(logo),
                    mime: None,
                    sizes: None,
                    inline_at: None,
                },
            );
        }
    }

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
            let source = match d.reference {
                Reference::Href(href) => resolve_source(&base, &href)?,
                Reference::InlineSvg(bytes) => {
                    if bytes.len() > MAX_INLINE_SOURCE_BYTES {
                        return None;
                    }
                    Source::InlineSvg(bytes)
                }
            };
            let declared_svg =
                source.looks_svg(d.mime.as_deref()) || d.kind == CandidateKind::MaskIcon;
            let mut declared_size = d.sizes.as_deref().and_then(parse_sizes);
            if d.kind == CandidateKind::AppleTouchIcon && declared_size.is_none() {
                declared_size = Some(180); // the platform's default size
            }
            Some(Candidate {
                source,
                kind: d.kind,
                declared_size,
                declared_svg,
                purpose_monochrome: false,
            })
        })
        .collect();
    PageScan {
        candidates,
        manifest,
        not_considered: collected.not_considered,
        stopped,
        title: collected
            .title
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|t| !t.is_empty()),
    }
}

/// The start-tag handler: every element of the page passes here once.
fn element(
    el: &mut lol_html::html_content::Element<'_, '_>,
    collected: &Rc<RefCell<Collected>>,
    svg_ranges: &Rc<RefCell<Vec<(usize, usize)>>>,
    page: &Url,
    considered: usize,
    page_len: usize,
) {
    let offset = el.source_location().bytes().start;
    let tag = el.tag_name();
    let mut c = collected.borrow_mut();
    // Inside an inline <svg> nothing is HTML: only its nesting is tracked.
    if c.svg_depth > 0 {
        if tag == "svg" && el.can_have_content() && !el.is_self_closing() {
            c.svg_depth += 1;
            drop(c);
            let shared = collected.clone();
            let _ = el.on_end_tag(lol_html::end_tag!(move |_| {
                let mut c = shared.borrow_mut();
                c.svg_depth = c.svg_depth.saturating_sub(1);
                Ok(())
            }));
        }
        return;
    }
    if let Some(itemprop) = attribute(el, "itemprop") {
        if itemprop
            .split_ascii_whitespace()
            .any(|p| p.eq_ignore_ascii_case("logo"))
        {
            let href = match tag.as_str() {
                "img" => image_reference(el),
                "link" => reference(el, "href"),
                "meta" => reference(el, "content"),
                _ => reference(el, "src").or_else(|| reference(el, "content")),
            };
            if let Some(href) = href {
                c.declare(
                    considered,
                    Declared {
                        kind: CandidateKind::ItempropLogo,
                        reference: Reference::Href(href),
                        mime: None,
                        sizes: None,
                        inline_at: None,
                    },
                );
                return;
            }
        }
    }
    match tag.as_str() {
        "base" => {
            if c.base.is_none() {
                c.base = attribute(el, "href");
            }
        }
        "link" => {
            let Some(rel) = attribute(el, "rel") else {
                return;
            };
            let rel = rel.to_ascii_lowercase();
            let rels: Vec<&str> = rel.split_ascii_whitespace().collect();
            let kind = if rels.contains(&"manifest") {
                if c.manifest.is_none() {
                    c.manifest = attribute(el, "href");
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
            let Some(href) = reference(el, "href") else {
                return;
            };
            c.declare(
                considered,
                Declared {
                    kind,
                    reference: Reference::Href(href),
                    mime: attribute(el, "type"),
                    sizes: attribute(el, "sizes"),
                    inline_at: None,
                },
            );
        }
        "meta" => {
            let property = attribute(el, "property").or_else(|| attribute(el, "name"));
            let kind = match property.map(|p| p.to_ascii_lowercase()).as_deref() {
                Some("og:image") | Some("og:image:url") | Some("og:image:secure_url") => {
                    CandidateKind::OgImage
                }
                Some("og:logo") => CandidateKind::OgLogo,
                _ => return,
            };
            if let Some(href) = reference(el, "content") {
                c.declare(
                    considered,
                    Declared {
                        kind,
                        reference: Reference::Href(href),
                        mime: None,
                        sizes: None,
                        inline_at: None,
                    },
                );
            }
        }
        "title" => {
            if c.title.is_none() {
                c.in_title = true;
                drop(c);
                let shared = collected.clone();
                let _ = el.on_end_tag(lol_html::end_tag!(move |_| {
                    shared.borrow_mut().in_title = false;
                    Ok(())
                }));
            }
        }
        "script" => {
            let json_ld = attribute(el, "type")
                .is_some_and(|t| t.eq_ignore_ascii_case("application/ld+json"));
            if json_ld && c.json_ld_bytes < MAX_JSON_LD_TOTAL {
                c.script = Some(String::new());
                drop(c);
                let shared = collected.clone();
                let _ = el.on_end_tag(lol_html::end_tag!(move |_| {
                    let mut c = shared.borrow_mut();
                    if let Some(script) = c.script.take() {
                        c.json_ld_bytes += script.len();
                        c.json_ld.push(script);
                    }
                    Ok(())
                }));
            }
        }
        "img" => {
            let Some(src) = image_reference(el) else {
                return;
            };
            let named = Collected::own_names_logo(el, Some(&src));
            if c.is_header_logo(named, offset) {
                c.header_logos += 1;
                c.declare(
                    considered,
                    Declared {
                        kind: CandidateKind::HeaderLogo,
                        reference: Reference::Href(src),
                        mime: None,
                        sizes: None,
                        inline_at: None,
                    },
                );
            }
        }
        "svg" => {
            let named = Collected::own_names_logo(el, None);
            let take = c.is_header_logo(named, offset);
            if el.is_self_closing() || !el.can_have_content() {
                return;
            }
            c.svg_depth = 1;
            if take {
                c.header_logos += 1;
                // Filled in with the markup once the end tag gives the range.
                c.declare(
                    considered,
                    Declared {
                        kind: CandidateKind::HeaderLogo,
                        reference: Reference::InlineSvg(Vec::new()),
                        mime: None,
                        sizes: None,
                        inline_at: Some(offset),
                    },
                );
            }
            drop(c);
            let shared = collected.clone();
            let ranges = svg_ranges.clone();
            let _ = el.on_end_tag(lol_html::end_tag!(move |end| {
                let mut c = shared.borrow_mut();
                c.svg_depth = c.svg_depth.saturating_sub(1);
                if take {
                    let stop = end.source_location().bytes().end.min(page_len);
                    if stop > offset && stop - offset <= MAX_INLINE_SOURCE_BYTES {
                        ranges.borrow_mut().push((offset, stop));
                    }
                }
                Ok(())
            }));
        }
        "header" | "nav" | "footer" => {
            let footer = tag == "footer";
            if footer {
                c.footer_depth += 1;
            } else {
                c.header_depth += 1;
            }
            drop(c);
            if el.can_have_content() && !el.is_self_closing() {
                let shared = collected.clone();
                let _ = el.on_end_tag(lol_html::end_tag!(move |_| {
                    let mut c = shared.borrow_mut();
                    if footer {
                        c.footer_depth = c.footer_depth.saturating_sub(1);
                    } else {
                        c.header_depth = c.header_depth.saturating_sub(1);
                    }
                    Ok(())
                }));
            }
        }
        _ => {
            let banner = attribute(el, "role").is_some_and(|r| r.eq_ignore_ascii_case("banner"));
            let values: Vec<String> = ["class", "id"]
                .iter()
                .filter_map(|a| attribute(el, a))
                .collect();
            let others = values.iter().any(|v| names_others(v));
            let names = !others && values.iter().any(|v| names_logo(v));
            let home_link =
                tag == "a" && attribute(el, "href").is_some_and(|h| is_home_link(&h, page));
            let wraps = names || home_link || others;
            if !(banner || wraps) || !el.can_have_content() || el.is_self_closing() {
                return;
            }
            if banner {
                c.header_depth += 1;
            }
            if wraps {
                c.live_wrappers(offset);
                if c.wrappers.len() >= MAX_OPEN_WRAPPERS {
                    c.wrappers.remove(0);
                }
                c.wrappers.push(Wrapper {
                    started: offset,
                    names_logo: names,
                    home_link,
                    others,
                });
            }
            drop(c);
            let shared = collected.clone();
            let _ = el.on_end_tag(lol_html::end_tag!(move |_| {
                let mut c = shared.borrow_mut();
                if banner {
                    c.header_depth = c.header_depth.saturating_sub(1);
                }
                if wraps {
                    if let Some(at) = c.wrappers.iter().rposition(|w| w.started == offset) {
                        c.wrappers.remove(at);
                    }
                }
                Ok(())
            }));
        }
    }
}

/// Candidates declared by a homepage, and the manifest URL if any, within the default limits.
pub fn candidates_from_html(
    html: impl AsRef<[u8]>,
    page_url: &Url,
) -> (Vec<Candidate>, Option<String>) {
    let scan = scan_homepage(html.as_ref(), page_url, DEFAULT_MAX_CONSIDERED);
    (scan.candidates, scan.manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("https://acme.example/about/index.html").unwrap()
    }

    fn labels(html: &str) -> Vec<(String, &'static str)> {
        candidates_from_html(html, &page())
            .0
            .into_iter()
            .map(|c| (c.source.label(), c.kind.as_str()))
            .collect()
    }

    fn urls(html: &str) -> Vec<String> {
        labels(html).into_iter().map(|(u, _)| u).collect()
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
            <meta property="og:logo" content="/og-logo.png">
            <link rel="stylesheet" href="x.css">
        </head></html>"##;
        let (found, manifest) = candidates_from_html(html, &page());
        assert_eq!(
            manifest.as_deref(),
            Some("https://acme.example/site.webmanifest")
        );
        let got: Vec<(String, &str)> = found
            .iter()
            .map(|c| (c.source.label(), c.kind.as_str()))
            .collect();
        let want = [
            ("https://acme.example/favicon-16.png", "link rel=icon"),
            ("https://acme.example/about/icon.png", "link rel=icon"),
            ("https://cdn.example/touch.png", "apple-touch-icon"),
            ("https://acme.example/about/mask.svg", "mask-icon"),
            ("https://acme.example/og.png", "og:image"),
            ("https://acme.example/og-logo.png", "og:logo"),
        ];
        assert_eq!(got, want.map(|(u, k)| (u.to_string(), k)).to_vec());
        assert_eq!(
            found[2].declared_size,
            Some(180),
            "the touch icon's default size"
        );
    }

    #[test]
    fn names_are_case_insensitive_and_attributes_parse_as_browsers_parse_them() {
        let html = r#"<HTML><HEAD><BASE HREF="/static/">
            <LINK REL="SHORTCUT ICON" HREF=/upper.png SIZES=48x48>
            <link rel=apple-touch-icon href=/apple-icon-180x180.png>
            <link rel="icon" sizes="any" mask href="logo.svg">
            <META PROPERTY="OG:IMAGE" CONTENT="og.png">
        </HEAD></HTML>"#;
        assert_eq!(
            urls(html),
            [
                "https://acme.example/upper.png",
                "https://acme.example/apple-icon-180x180.png",
                "https://acme.example/static/logo.svg",
                "https://acme.example/static/og.png"
            ]
        );
    }

    #[test]
    fn character_references_in_urls_are_decoded() {
        let html = r#"<link rel="icon" href="https&#x3A;&#x2F;&#x2F;cdn.example&#x2F;i.png?a=1&amp;b=2&#38;c=3">
            <link rel="icon" href="/j.png?x=&ampy&amp=z&unknown;">"#;
        assert_eq!(
            urls(html),
            [
                "https://cdn.example/i.png?a=1&b=2&c=3",
                "https://acme.example/j.png?x=&ampy&amp=z&unknown;"
            ]
        );
        assert_eq!(
            decode_char_refs("&#0;&#x110000;&#65&lt;"),
            "\u{FFFD}\u{FFFD}A<"
        );
        assert_eq!(decode_char_refs("a&b & &#;"), "a&b & &#;");
    }

    #[test]
    fn only_the_first_base_applies_and_empty_hrefs_are_ignored() {
        // An older parser resolved `href=""` to the page itself and fetched it as an icon.
        let html = r#"<head><base href="  "><base href="https://static.example/brand/">
            <base href="https://other.example/"><link rel="icon" href="">
            <link rel="icon" href="   "><link rel="icon" href="logo.svg">
            <meta property="og:image" content=""></head>"#;
        assert_eq!(urls(html), ["https://static.example/brand/logo.svg"]);
    }

    #[test]
    fn data_uris_are_inline_sources() {
        let html = r#"<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E">
            <link rel="icon" href="data:text/html,<b>x</b>">"#;
        let (found, _) = candidates_from_html(html, &page());
        assert_eq!(found.len(), 1);
        assert!(
            matches!(&found[0].source, Source::Data { media_type, bytes }
            if media_type == "image/svg+xml" && bytes.starts_with(b"<svg"))
        );
        assert!(found[0].declared_svg);
    }

    #[test]
    fn itemprop_and_json_ld_logos_are_sources() {
        let html = r#"<head><script type="application/ld+json">
            {"@context":"https://schema.org","@type":"Organization","logo":{"@type":"ImageObject","url":"/brand/ld.png"}}
            </script><script>var logo = "/not-a-source.png";</script></head>
            <body><div itemscope itemtype="https://schema.org/Organization">
            <img itemprop="logo" src="/brand/item.png" alt=""></div></body>"#;
        assert_eq!(
            labels(html),
            [
                (
                    "https://acme.example/brand/item.png".to_string(),
                    "itemprop=logo"
                ),
                (
                    "https://acme.example/brand/ld.png".to_string(),
                    "json-ld logo"
                ),
            ]
        );
    }

    #[test]
    fn the_header_logo_is_found_and_other_companies_logos_are_not() {
        let html = r#"<body>
            <header class="site-header"><div class="lang"><img src="/flags/de.png"></div>
              <a href="/" class="custom-logo-link"><img src="/uploads/acme-wordmark.png" alt="Acme"></a>
              <nav><img class="menu-icon" src="/i/menu.png"></nav></header>
            <section class="client-logos"><img src="/clients/globex-logo.png" alt="Globex logo"></section>
            <div class="partners"><a href="/"><img class="logo" src="/partner-logo.png"></a></div>
            <footer><a href="/"><img src="/footer-logo.png" alt="Acme logo"></a></footer>
            </body>"#;
        assert_eq!(
            labels(html),
            [(
                "https://acme.example/uploads/acme-wordmark.png".to_string(),
                "header logo"
            )]
        );
        // Without a <header>: only a home link that names the logo.
        let html = r#"<div class="top"><a href="https://acme.example/"><img src="/img/brand-logo.svg"></a></div>
            <a href="/pricing"><img class="logo" src="/x.png"></a>
            <TD CLASS=logo><A HREF=index.htm><IMG SRC="images/mark.gif" ALT="Acme Ltd"></A></TD>"#;
        assert_eq!(
            urls(html),
            [
                "https://acme.example/img/brand-logo.svg",
                "https://acme.example/about/images/mark.gif"
            ]
        );
    }

    #[test]
    fn a_lazy_loaded_header_logo_uses_its_real_source() {
        let html = r#"<header><img class="logo" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="/real-logo.png"></header>
            <header><img class="logo" srcset="/logo-1x.png 1x, /logo-2x.png 2x"></header>
            <header><img class="logo" srcset="/a.png 2×, /b.png 3w"></header>"#;
        assert_eq!(
            urls(html),
            [
                "https://acme.example/real-logo.png",
                "https://acme.example/logo-2x.png",
                "https://acme.example/a.png"
            ]
        );
    }

    #[test]
    fn an_inline_header_svg_is_cut_out_with_its_namespace() {
        let html = r##"<header><a href="/" aria-label="Acme home"><svg class="logo" viewBox="0 0 10 10"><svg x="1"><use xlink:href="#m"/></svg><circle r="4" fill="red"/></svg></a></header>
            <main><svg viewBox="0 0 1 1"><rect/></svg></main>"##;
        let (found, _) = candidates_from_html(html, &page());
        assert_eq!(found.len(), 1, "{found:?}");
        let Source::InlineSvg(bytes) = &found[0].source else {
            panic!("{found:?}");
        };
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" class="logo""#), "{text}");
        assert!(
            text.ends_with("</svg>") && text.contains(r#"<circle r="4" fill="red"/>"#),
            "{text}"
        );
        assert_eq!(found[0].kind, CandidateKind::HeaderLogo);
    }

    #[test]
    fn the_title_is_kept_for_challenge_detection() {
        let scan = scan_homepage(b"<title>Just a\n moment...</title>", &page(), 8);
        assert_eq!(scan.title.as_deref(), Some("Just a moment..."));
    }

    #[test]
    fn the_homepage_scan_keeps_at_most_the_considered_sources_and_counts_the_rest() {
        let mut html = String::from(r#"<link rel="manifest" href="/m.json">"#);
        for i in 0..100 {
            html.push_str(&format!(r#"<link rel="icon" href="/{i}.png">"#));
        }
        let scan = scan_homepage(html.as_bytes(), &page(), 10);
        assert_eq!(scan.candidates.len(), 10);
        assert_eq!(
            scan.candidates[9].source.label(),
            "https://acme.example/9.png"
        );
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
        assert_eq!(urls(&html), ["https://acme.example/ok.png"]);
    }
}

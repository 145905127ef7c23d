//! Finding a company's logo: the candidates, their order, and trying them.
//!
//! Order: the directory's explicit `logo_url` first; then what the homepage declares
//! (`<link rel=icon|shortcut icon|apple-touch-icon|apple-touch-icon-precomposed|mask-icon>`
//! with `sizes`/`type`, `<meta property=og:image>`, and the web app manifest's `icons`),
//! ranked SVG first and then by declared size, largest first, with icons under 32 px dropped
//! when anything larger exists; `/favicon.ico` and `/apple-touch-icon.png` always come last.
//! Relative URLs resolve against the page's final URL, or its `<base href>`.
//!
//! Outcome: the first candidate the caller accepts wins. If none does, the result is
//! `Transient` when any failure may pass by itself (a timeout, a 5xx) so the message is
//! retried later, and `NoneUsable` when every failure is a property of the source (404, not
//! an image, too big, blocked), so the worker stores a placeholder.

use logofill_core::directory::CompanyRecord;
use logofill_core::fetch::Fetcher;
use url::Url;

/// Icons smaller than this are skipped when a larger candidate exists.
pub const MIN_USEFUL_ICON_PX: u32 = 32;
/// Most candidates fetched for one company.
pub const DEFAULT_MAX_CANDIDATES: usize = 8;
/// Largest web app manifest parsed.
pub const MAX_MANIFEST_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone)]
pub struct DiscoveryOptions {
    pub max_candidates: usize,
}

impl Default for DiscoveryOptions {
    fn default() -> Self {
        DiscoveryOptions {
            max_candidates: DEFAULT_MAX_CANDIDATES,
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

/// Candidates declared by a homepage (links, og:image), and the manifest URL if any.
pub fn candidates_from_html(html: &str, page_url: &Url) -> (Vec<Candidate>, Option<String>) {
    let Ok(dom) = tl::parse(html, tl::ParserOptions::default()) else {
        return (Vec::new(), None);
    };
    let parser = dom.parser();
    let attr = |tag: &tl::HTMLTag, name: &str| -> Option<String> {
        tag.attributes()
            .get(name)
            .flatten()
            .map(|v| v.as_utf8_str().trim().to_string())
    };
    let mut base = page_url.clone();
    if let Some(tags) = dom.query_selector("base") {
        for handle in tags {
            if let Some(tag) = handle.get(parser).and_then(|n| n.as_tag()) {
                if let Some(href) = attr(tag, "href") {
                    if let Ok(b) = page_url.join(&href) {
                        base = b;
                    }
                    break;
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut manifest = None;
    if let Some(links) = dom.query_selector("link") {
        for handle in links {
            let Some(tag) = handle.get(parser).and_then(|n| n.as_tag()) else {
                continue;
            };
            let (Some(rel), Some(href)) = (attr(tag, "rel"), attr(tag, "href")) else {
                continue;
            };
            let rel = rel.to_ascii_lowercase();
            let rels: Vec<&str> = rel.split_whitespace().collect();
            let Ok(url) = base.join(&href) else { continue };
            if rels.contains(&"manifest") {
                manifest.get_or_insert(url.to_string());
                continue;
            }
            let kind = if rels.contains(&"mask-icon") {
                CandidateKind::MaskIcon
            } else if rels.iter().any(|r| r.starts_with("apple-touch-icon")) {
                CandidateKind::AppleTouchIcon
            } else if rels.contains(&"icon") {
                CandidateKind::LinkIcon
            } else {
                continue;
            };
            let mime = attr(tag, "type");
            let svg = looks_svg(url.as_str(), mime.as_deref()) || kind == CandidateKind::MaskIcon;
            let mut declared_size = attr(tag, "sizes").and_then(|s| parse_sizes(&s));
            if kind == CandidateKind::AppleTouchIcon && declared_size.is_none() {
                declared_size = Some(180); // the platform's default size
            }
            out.push(Candidate {
                url: url.to_string(),
                kind,
                declared_size,
                svg,
            });
        }
    }
    if let Some(metas) = dom.query_selector("meta") {
        for handle in metas {
            let Some(tag) = handle.get(parser).and_then(|n| n.as_tag()) else {
                continue;
            };
            let property = attr(tag, "property")
                .or_else(|| attr(tag, "name"))
                .unwrap_or_default();
            if !property.eq_ignore_ascii_case("og:image") {
                continue;
            }
            if let Some(Ok(url)) = attr(tag, "content").map(|c| base.join(&c)) {
                out.push(Candidate {
                    svg: looks_svg(url.as_str(), None),
                    url: url.to_string(),
                    kind: CandidateKind::OgImage,
                    declared_size: None,
                });
            }
        }
    }
    (out, manifest)
}

/// Icons listed in a web app manifest.
pub fn candidates_from_manifest(json: &[u8], manifest_url: &Url) -> Vec<Candidate> {
    if json.len() > MAX_MANIFEST_BYTES {
        return Vec::new();
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(json) else {
        return Vec::new();
    };
    let Some(icons) = value.get("icons").and_then(|i| i.as_array()) else {
        return Vec::new();
    };
    icons
        .iter()
        .filter_map(|icon| {
            let src = icon.get("src")?.as_str()?;
            let url = manifest_url.join(src).ok()?;
            let mime = icon.get("type").and_then(|t| t.as_str());
            Some(Candidate {
                svg: looks_svg(url.as_str(), mime),
                declared_size: icon
                    .get("sizes")
                    .and_then(|s| s.as_str())
                    .and_then(parse_sizes),
                url: url.to_string(),
                kind: CandidateKind::Manifest,
            })
        })
        .collect()
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
        match fetcher.get(homepage).await {
            Ok(page) => {
                let page_url = Url::parse(&page.final_url).or_else(|_| Url::parse(homepage));
                if let Ok(page_url) = page_url {
                    let html = String::from_utf8_lossy(&page.body);
                    let (mut discovered, manifest) = candidates_from_html(&html, &page_url);
                    if let Some(manifest_url) = manifest {
                        match fetcher.get(&manifest_url).await {
                            Ok(m) => {
                                let base =
                                    Url::parse(&m.final_url).unwrap_or_else(|_| page_url.clone());
                                discovered.extend(candidates_from_manifest(&m.body, &base));
                            }
                            Err(e) => search.attempts.push(Attempt {
                                url: manifest_url,
                                kind: "manifest",
                                result: e.to_string(),
                            }),
                        }
                    }
                    for candidate in rank(discovered, &page_url) {
                        if tried >= options.max_candidates {
                            search.attempts.push(Attempt {
                                url: candidate.url,
                                kind: candidate.kind.as_str(),
                                result: format!(
                                    "not tried: {} candidates at most",
                                    options.max_candidates
                                ),
                            });
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
}

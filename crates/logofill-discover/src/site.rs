//! What kind of site a homepage is, before anything on it is trusted as the company's.
//!
//! - **Registrable domain** (the Public Suffix List, compiled in by the `psl` crate): the unit
//!   of "the same site". `shop.acme.co.uk` and `www.acme.co.uk` are one site, `acme.github.io`
//!   and `other.github.io` are two (github.io is a public suffix in the list's private part).
//! - **Shared platforms** whose tenants live under a path (linktr.ee/acme, a Google Drive
//!   folder, a LinkedIn company page): every tenant's page carries the platform's icons, so a
//!   homepage there gives no page candidates. The list is short on purpose; platforms not on it
//!   are caught by the worker's shared-source index from their second company on.
//! - **Parked domains**: a registrar's "this domain is for sale" page carries the registrar's
//!   icon.
//! - **Bot challenges**: a Cloudflare/other challenge page answers instead of the site; the
//!   site is not "without a logo", it is blocked for now.
//! - **The www sibling**: `acme.com` that does not resolve is often `www.acme.com` that does,
//!   and the other way round.

use url::{Host, Url};

/// The registrable domain (eTLD+1) of a URL's host, lower case; the host itself for an IP
/// address or a name the list cannot split (a single label).
pub fn registrable_domain(url: &str) -> Option<String> {
    let url = Url::parse(url).ok()?;
    host_registrable_domain(&url)
}

pub(crate) fn host_registrable_domain(url: &Url) -> Option<String> {
    match url.host()? {
        Host::Domain(host) => {
            let host = host.trim_end_matches('.').to_ascii_lowercase();
            Some(psl::domain_str(&host).map(str::to_string).unwrap_or(host))
        }
        Host::Ipv4(ip) => Some(ip.to_string()),
        Host::Ipv6(ip) => Some(format!("[{ip}]")),
    }
}

/// The homepage's `www.`/apex sibling, tried when its host does not resolve or connect:
/// `acme.com` ↔ `www.acme.com` (port, path and query kept). `None` for an IP address, or a
/// host that is neither the registrable domain nor its `www.`.
pub fn sibling(url: &str) -> Option<String> {
    let mut parsed = Url::parse(url).ok()?;
    let Some(Host::Domain(host)) = parsed.host() else {
        return None;
    };
    let host = host.to_ascii_lowercase();
    let domain = psl::domain_str(&host)?.to_string();
    let other = if host == domain {
        format!("www.{domain}")
    } else if host == format!("www.{domain}") {
        domain
    } else {
        return None;
    };
    parsed.set_host(Some(&other)).ok()?;
    Some(parsed.to_string())
}

/// Registrable domains where companies get a page under a path, not a site of their own, and
/// every page carries the platform's icons.
const PATH_PLATFORMS: &[&str] = &[
    "linktr.ee",
    "google.com",
    "linkedin.com",
    "facebook.com",
    "fb.com",
    "instagram.com",
    "twitter.com",
    "x.com",
    "github.com",
    "gitlab.com",
    "medium.com",
    "youtube.com",
    "tiktok.com",
    "notion.so",
    "bit.ly",
    "dropbox.com",
    "crunchbase.com",
    "glassdoor.com",
    "indeed.com",
    "wellfound.com",
    "angel.co",
    "yelp.com",
    "t.me",
    "wa.me",
];

/// The platform a homepage is hosted on, if it is on the short list of path-tenant platforms.
pub fn shared_platform(url: &Url) -> Option<String> {
    let domain = host_registrable_domain(url)?;
    PATH_PLATFORMS.contains(&domain.as_str()).then_some(domain)
}

/// Page text that only a domain parking or sale page carries (lower case).
const PARKED_MARKERS: &[&str] = &[
    "this domain is for sale",
    "this domain may be for sale",
    "the domain name is for sale",
    "this domain name is for sale",
    "buy this domain",
    "this domain is parked",
    "parked free, courtesy of",
    "domain parking",
    "sedoparking.com",
    "parkingcrew.net",
    "bodis.com",
    "hugedomains.com",
    "afternic.com",
    "dan.com/buy-domain",
];

/// Pages longer than this are sites, not parking pages: not searched for parking markers.
const MAX_PARKED_PAGE_BYTES: usize = 128 * 1024;

/// The marker that makes `page` a parking page, if any.
pub fn parked(page: &[u8]) -> Option<&'static str> {
    if page.len() > MAX_PARKED_PAGE_BYTES {
        return None;
    }
    PARKED_MARKERS
        .iter()
        .copied()
        .find(|m| contains(page, m.as_bytes()))
}

/// Page content that only a bot challenge carries (lower case).
/// (Cloudflare's bot-management script `/cdn-cgi/challenge-platform/scripts/jsd/main.js` is
/// injected into ordinary pages too: only the challenge's orchestrator and options count.)
const CHALLENGE_MARKERS: &[&str] = &[
    "/cdn-cgi/challenge-platform/h/",
    "window._cf_chl_opt",
    "_incapsula_resource",
    "captcha-delivery.com",
    "sucuri_cloudproxy",
    "awswafintegration",
    "challenges.cloudflare.com/turnstile",
];

/// `<title>`s of challenge pages.
const CHALLENGE_TITLES: &[&str] = &[
    "just a moment...",
    "just a moment",
    "attention required! | cloudflare",
    "please wait... | cloudflare",
    "ddos-guard",
];

/// Why a response is a bot challenge rather than the site, if it is one: the
/// `cf-mitigated: challenge` header, a challenge title, or a challenge script.
pub fn challenge(
    status: u16,
    cf_mitigated: Option<&str>,
    title: Option<&str>,
    page: &[u8],
) -> Option<String> {
    if cf_mitigated.is_some_and(|v| v.trim().eq_ignore_ascii_case("challenge")) {
        return Some(format!("HTTP {status} with cf-mitigated: challenge"));
    }
    if let Some(t) = title {
        let t = t.trim().to_ascii_lowercase();
        if CHALLENGE_TITLES.contains(&t.as_str()) {
            return Some(format!("HTTP {status}, a challenge page titled {t:?}"));
        }
    }
    CHALLENGE_MARKERS
        .iter()
        .find(|m| contains(page, m.as_bytes()))
        .map(|m| format!("HTTP {status}, a challenge page ({m})"))
}

/// Whether `haystack` holds `needle` (lower case), ASCII case ignored, without a copy of the
/// page.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrable_domains_follow_the_public_suffix_list() {
        assert_eq!(
            registrable_domain("https://shop.acme.co.uk/x").as_deref(),
            Some("acme.co.uk")
        );
        assert_eq!(
            registrable_domain("https://WWW.Acme.com/").as_deref(),
            Some("acme.com")
        );
        assert_eq!(
            registrable_domain("https://acme.github.io/").as_deref(),
            Some("acme.github.io")
        );
        assert_eq!(
            registrable_domain("http://127.0.0.1:8080/").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(
            registrable_domain("http://localhost/").as_deref(),
            Some("localhost")
        );
        assert_eq!(registrable_domain("not a url"), None);
    }

    #[test]
    fn the_www_sibling_goes_both_ways_and_only_there() {
        assert_eq!(
            sibling("https://acme.com/jobs?x=1").as_deref(),
            Some("https://www.acme.com/jobs?x=1")
        );
        assert_eq!(
            sibling("http://www.acme.co.jp:8080/").as_deref(),
            Some("http://acme.co.jp:8080/")
        );
        assert_eq!(sibling("https://shop.acme.com/"), None);
        assert_eq!(sibling("http://127.0.0.1/"), None);
    }

    #[test]
    fn platforms_parking_and_challenges_are_recognised() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert_eq!(
            shared_platform(&url("https://linktr.ee/acme")).as_deref(),
            Some("linktr.ee")
        );
        assert_eq!(
            shared_platform(&url("https://drive.google.com/drive/folders/x")).as_deref(),
            Some("google.com")
        );
        assert_eq!(shared_platform(&url("https://acme.com/")), None);
        assert_eq!(shared_platform(&url("https://acme.github.io/")), None);

        assert!(parked(b"<html><h1>This domain is for sale!</h1></html>").is_some());
        assert!(parked(b"<html><h1>Acme Widgets</h1></html>").is_none());

        assert!(challenge(403, Some("challenge"), None, b"").is_some());
        assert!(challenge(503, None, Some("Just a moment..."), b"").is_some());
        assert!(challenge(
            200,
            None,
            None,
            b"<script src=\"/cdn-cgi/challenge-platform/h/b/orchestrate/jsch/v1\"></script>"
        )
        .is_some());
        assert!(challenge(403, None, Some("Forbidden"), b"<h1>Forbidden</h1>").is_none());
        // The bot-management script on an ordinary page is not a challenge.
        let page = b"<title>Acme</title><script src=\"/cdn-cgi/challenge-platform/scripts/jsd/main.js\"></script>";
        assert!(challenge(200, None, Some("Acme"), page).is_none());
    }
}

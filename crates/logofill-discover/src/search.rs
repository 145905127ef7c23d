//! The search: which candidates are fetched, in which order, and when it stops.
//!
//! 1. The directory's `logo_url`: taken as soon as its bytes are a logo at all (the directory
//!    is the operator's word), whatever its shape.
//! 2. The homepage, whatever it answers (a 403 page still says whether it is a challenge, a
//!    404 page still has a favicon at the root). When its host does not resolve or connect,
//!    the `www.`/apex sibling is fetched instead. A homepage on a shared platform or a parked
//!    domain ends the search with no page candidates ([`crate::site`]).
//! 3. The page's sources and the manifest's icons, ordered by what they claim (what names the
//!    logo, then icons with SVG and larger declared sizes first, then `og:image`), then the
//!    conventional paths, then the mask icons. Each is fetched and checked; the best score
//!    wins, and the search stops early at [`GOOD_ENOUGH`]. So the conventional paths are
//!    tried exactly when the page gave nothing usable or nothing good enough.
//!
//! At most `max_candidates` are fetched; the rest are counted in one attempt line.

use logofill_core::directory::CompanyRecord;
use logofill_core::fetch::{FetchError, Fetcher};
use url::Url;

use crate::page::scan_homepage;
use crate::score::{score, GOOD_ENOUGH};
use crate::site::{challenge, host_registrable_domain, parked, shared_platform, sibling};
use crate::{
    scan_manifest, Attempt, Candidate, CandidateKind, Discovery, DiscoveryOptions, Rejection,
    Source, SourceCheck, SourceOutcome,
};

/// The conventional paths, in the order tried (the touch icon is larger when it exists).
const CONVENTIONAL_PATHS: [&str; 2] = ["/apple-touch-icon.png", "/favicon.ico"];

/// The best candidate so far.
struct Best<T> {
    attempt: usize,
    points: i32,
    url: String,
    kind: CandidateKind,
    value: T,
}

/// Where the search stands.
struct Search<T> {
    attempts: Vec<Attempt>,
    /// The first failure that may pass by itself.
    transient: Option<String>,
    /// Fetches that failed, and how many of them with 401/403/429.
    failed: usize,
    refused_by_server: usize,
    /// The homepage is a bot challenge: why.
    challenge: Option<String>,
    best: Option<Best<T>>,
    tried: usize,
}

impl<T> Search<T> {
    fn fetch_failed(&mut self, e: &FetchError) {
        self.failed += 1;
        if let FetchError::Status { status, .. } = e {
            if matches!(status, 401 | 403 | 429) {
                self.refused_by_server += 1;
                return;
            }
        }
        if e.is_retryable() && self.transient.is_none() {
            self.transient = Some(e.to_string());
        }
    }

    /// Fetch (or read inline) one candidate, check and score it. Returns whether the search
    /// may stop.
    async fn try_candidate<F: Fetcher, C: SourceCheck<Value = T>>(
        &mut self,
        fetcher: &F,
        check: &C,
        candidate: Candidate,
        page_url: Option<&Url>,
        largest: u32,
    ) -> bool {
        self.tried += 1;
        let kind = candidate.kind;
        let mut attempt = Attempt::new(candidate.source.label(), kind.as_str(), String::new());
        attempt.declared = candidate.declared();
        let (name, url, body) = match &candidate.source {
            Source::Url(url) => match fetcher.get(url).await {
                Ok(response) => (
                    response.final_url.clone(),
                    response.final_url,
                    response.body,
                ),
                Err(e) => {
                    self.fetch_failed(&e);
                    attempt.result = e.to_string();
                    self.attempts.push(attempt);
                    return false;
                }
            },
            Source::Data { bytes, .. } | Source::InlineSvg(bytes) => (
                candidate.source.label(),
                page_url.map(Url::to_string).unwrap_or_default(),
                bytes.clone(),
            ),
        };
        match check.check(&name, kind, body).await {
            Ok(checked) => {
                attempt.decoded = checked.facts.describe();
                let scored = score(kind, candidate.purpose_monochrome, &checked.facts, largest);
                if let Some(why) = scored.refused {
                    attempt.result = format!("not a logo: {why}");
                    self.attempts.push(attempt);
                    return false;
                }
                attempt.score = Some(scored.points);
                attempt.result = scored.reasons.join(", ");
                self.attempts.push(attempt);
                let better = self.best.as_ref().is_none_or(|b| scored.points > b.points);
                if better {
                    self.best = Some(Best {
                        attempt: self.attempts.len() - 1,
                        points: scored.points,
                        url,
                        kind,
                        value: checked.value,
                    });
                }
                kind == CandidateKind::LogoUrl || scored.points >= GOOD_ENOUGH
            }
            Err(rejection) => {
                if let Rejection::Retryable(reason) = &rejection {
                    self.transient.get_or_insert_with(|| reason.clone());
                }
                attempt.result = format!("not usable: {}", rejection.reason());
                self.attempts.push(attempt);
                false
            }
        }
    }

    fn finish(
        mut self,
        record: &CompanyRecord,
        redirect: Option<(String, String)>,
    ) -> Discovery<T> {
        if let Some(best) = self.best.take() {
            let winner = best.attempt;
            for (i, a) in self.attempts.iter_mut().enumerate() {
                if i == winner {
                    a.result = format!("used ({})", a.result);
                } else if let Some(points) = a.score {
                    a.result = format!("lost: {points} < {} ({})", best.points, a.result);
                }
            }
            return Discovery {
                outcome: SourceOutcome::Found {
                    url: best.url,
                    kind: best.kind,
                    value: best.value,
                },
                attempts: self.attempts,
                redirect,
            };
        }
        let attempts = self.attempts;
        let outcome = if let Some(why) = self.challenge {
            SourceOutcome::Blocked {
                reason: format!("blocked by a bot challenge: {why}"),
            }
        } else if self.failed > 0 && self.refused_by_server == self.failed {
            SourceOutcome::Blocked {
                reason: format!(
                    "blocked: all {} fetches answered 401, 403 or 429",
                    self.failed
                ),
            }
        } else if let Some(reason) = self.transient {
            SourceOutcome::Transient { reason }
        } else {
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
            SourceOutcome::NoneUsable { reason }
        };
        Discovery {
            outcome,
            attempts,
            redirect,
        }
    }
}

/// Orders candidates before their bytes are known (see the module header) and removes
/// duplicates; the conventional paths of `page_url` go after everything declared, and mask
/// icons last.
pub fn order(mut discovered: Vec<Candidate>, page_url: Option<&Url>) -> Vec<Candidate> {
    if let Some(page_url) = page_url {
        for path in CONVENTIONAL_PATHS {
            if let Ok(url) = page_url.join(path) {
                discovered.push(Candidate::new(
                    Source::Url(url.to_string()),
                    CandidateKind::Conventional,
                ));
            }
        }
    }
    // A declared size under the useful size goes after every larger declaration of its class:
    // it is still tried (declarations lie), just later.
    let tiny = |c: &Candidate| {
        !c.declared_svg
            && c.declared_size
                .is_some_and(|s| s < crate::MIN_USEFUL_ICON_PX)
    };
    discovered.sort_by_key(|c| {
        let prior = if c.purpose_monochrome {
            CandidateKind::MaskIcon.prior()
        } else {
            c.kind.prior()
        };
        (
            prior,
            tiny(c),
            !c.declared_svg,
            std::cmp::Reverse(c.declared_size.unwrap_or(0)),
        )
    });
    let mut seen = std::collections::HashSet::new();
    discovered.retain(|c| seen.insert(c.source.key()));
    discovered
}

/// Find the record's logo: try its sources in order, keep the best, stop when good enough.
pub async fn find_source<F, C>(
    fetcher: &F,
    record: &CompanyRecord,
    options: &DiscoveryOptions,
    check: &C,
) -> Discovery<C::Value>
where
    F: Fetcher,
    C: SourceCheck,
{
    let mut search: Search<C::Value> = Search {
        attempts: Vec::new(),
        transient: None,
        failed: 0,
        refused_by_server: 0,
        challenge: None,
        best: None,
        tried: 0,
    };
    let largest = options.largest_variant;

    if let Some(logo_url) = &record.logo_url {
        let candidate = Candidate::new(Source::Url(logo_url.clone()), CandidateKind::LogoUrl);
        if search
            .try_candidate(fetcher, check, candidate, None, largest)
            .await
        {
            return search.finish(record, None);
        }
    }

    let Some(homepage) = &record.homepage else {
        return search.finish(record, None);
    };
    let mut page = fetcher.get_page(homepage, options.max_html_bytes).await;
    if let Err(e @ (FetchError::NoSuchHost { .. } | FetchError::Connect { .. })) = &page {
        if let Some(other) = sibling(homepage) {
            let first = e.clone();
            search
                .attempts
                .push(Attempt::new(homepage.clone(), "homepage", e.to_string()));
            tracing::debug!(from = %homepage, to = %other, "homepage unreachable; trying its sibling");
            page = fetcher.get_page(&other, options.max_html_bytes).await;
            if page.is_err() {
                // Neither answered: the first failure counts too (a lookup that may work later).
                search.fetch_failed(&first);
            }
        }
    }
    let page = match page {
        Ok(page) => page,
        Err(e) => {
            let url = match &e {
                FetchError::NoSuchHost { url, .. } | FetchError::Connect { url, .. } => url.clone(),
                _ => homepage.clone(),
            };
            search.fetch_failed(&e);
            search
                .attempts
                .push(Attempt::new(url, "homepage", e.to_string()));
            return search.finish(record, None);
        }
    };
    let Ok(page_url) = Url::parse(&page.final_url).or_else(|_| Url::parse(homepage)) else {
        return search.finish(record, None);
    };
    let asked = Url::parse(homepage).ok();
    let redirect = asked.as_ref().and_then(|asked| {
        let (from, to) = (
            host_registrable_domain(asked)?,
            host_registrable_domain(&page_url)?,
        );
        (from != to).then(|| (homepage.clone(), page_url.to_string()))
    });
    if let Some(platform) = shared_platform(&page_url) {
        search.attempts.push(Attempt::new(
            page_url.to_string(),
            "homepage",
            format!(
                "on {platform}, a shared platform: its icons are the platform's, not the company's"
            ),
        ));
        return search.finish(record, redirect);
    }
    if page.truncated {
        tracing::debug!(url = %page.final_url, limit = options.max_html_bytes, "homepage read up to the limit");
    }
    let scan = scan_homepage(&page.body, &page_url, options.max_considered);
    if let Some(why) = &scan.stopped {
        tracing::debug!(url = %page_url, reason = %why, "homepage scan stopped early");
    }
    let ok = (200..300).contains(&page.status);
    search.challenge = challenge(
        page.status,
        page.header("cf-mitigated"),
        scan.title.as_deref(),
        &page.body,
    );
    let status_note = if let Some(why) = &search.challenge {
        Some(format!("a bot challenge ({why})"))
    } else if !ok {
        let e = FetchError::Status {
            url: page_url.to_string(),
            status: page.status,
        };
        search.fetch_failed(&e);
        Some(format!("answered HTTP {}", page.status))
    } else if let Some(marker) = parked(&page.body) {
        search.attempts.push(Attempt::new(
            page_url.to_string(),
            "homepage",
            format!("a parked domain ({marker:?}): its icons are the parking service's"),
        ));
        return search.finish(record, redirect);
    } else {
        None
    };
    drop(page);
    if let Some(note) = status_note {
        search
            .attempts
            .push(Attempt::new(page_url.to_string(), "homepage", note));
    }

    let mut not_considered = scan.not_considered;
    // A challenge page's declarations are the challenge's, not the site's.
    let mut discovered = if search.challenge.is_some() {
        Vec::new()
    } else {
        scan.candidates
    };
    if let (Some(manifest_url), None) = (scan.manifest, &search.challenge) {
        match fetcher
            .get_within(
                &manifest_url,
                logofill_core::fetch::BodyLimit::Whole(options.max_manifest_bytes),
            )
            .await
        {
            Ok(m) => {
                let base = Url::parse(&m.final_url).unwrap_or_else(|_| page_url.clone());
                let (icons, skipped) = scan_manifest(
                    &m.body,
                    &base,
                    usize::try_from(options.max_manifest_bytes).unwrap_or(usize::MAX),
                    options.max_manifest_icons,
                );
                discovered.extend(icons);
                not_considered += skipped;
            }
            Err(e) => search
                .attempts
                .push(Attempt::new(manifest_url, "manifest", e.to_string())),
        }
    }

    let mut not_tried: Option<(Candidate, usize)> = None;
    for candidate in order(discovered, Some(&page_url)) {
        if search.tried >= options.max_candidates {
            match &mut not_tried {
                Some((_, more)) => *more += 1,
                None => not_tried = Some((candidate, 0)),
            }
            continue;
        }
        if search
            .try_candidate(fetcher, check, candidate, Some(&page_url), largest)
            .await
        {
            break;
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
                result.push_str(&format!(": {} candidates at most", options.max_candidates));
                (first.source.label(), first.kind.as_str())
            }
            None => (page_url.to_string(), "homepage"),
        };
        if not_considered > 0 {
            result.push_str(&format!(
                "; {not_considered} more sources declared and not considered \
                 ({} from the page, {} from the manifest at most)",
                options.max_considered, options.max_manifest_icons
            ));
        }
        search.attempts.push(Attempt::new(url, kind, result));
    }
    search.finish(record, redirect)
}

#[cfg(test)]
mod tests {
    use logofill_core::fetch::MemoryFetcher;
    use logofill_core::CompanyId;

    use super::*;
    use crate::{Checked, Colouring, Facts};

    /// Reads a fake image, `"WxH[ svg][ one|flat][ wide=A]"`, as the worker's render would.
    struct Described;

    impl SourceCheck for Described {
        type Value = String;
        async fn check(
            &self,
            name: &str,
            _kind: CandidateKind,
            body: Vec<u8>,
        ) -> Result<Checked<String>, Rejection> {
            let text = String::from_utf8(body).map_err(|_| Rejection::Unusable("binary".into()))?;
            let mut words = text.split_whitespace();
            let (w, h) = words
                .next()
                .and_then(|s| s.split_once('x'))
                .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
                .ok_or_else(|| Rejection::Unusable(format!("{name}: not an image")))?;
            let mut facts = Facts {
                width: w,
                height: h,
                vector: false,
                format: "png",
                colouring: Colouring::Colour,
                content_aspect: w as f32 / h as f32,
            };
            for word in words {
                match word {
                    "svg" => facts.vector = true,
                    "one" => facts.colouring = Colouring::OneColour,
                    "flat" => facts.colouring = Colouring::Flat,
                    _ => {}
                }
            }
            Ok(Checked {
                value: name.to_string(),
                facts,
            })
        }
    }

    fn record(homepage: &str) -> CompanyRecord {
        CompanyRecord {
            id: CompanyId::parse("acme").unwrap(),
            name: "Acme".into(),
            homepage: Some(homepage.into()),
            logo_url: None,
        }
    }

    async fn run(fetcher: &MemoryFetcher, homepage: &str) -> Discovery<String> {
        find_source(
            fetcher,
            &record(homepage),
            &DiscoveryOptions::default(),
            &Described,
        )
        .await
    }

    fn found(d: &Discovery<String>) -> &str {
        match &d.outcome {
            SourceOutcome::Found { url, .. } => url,
            other => panic!("{other:?}: {:#?}", d.attempts),
        }
    }

    const HOME: &str = "https://acme.example/";

    #[tokio::test]
    async fn the_real_pixels_decide_not_the_declared_sizes() {
        let f = MemoryFetcher::new();
        f.answer(
            HOME,
            200,
            r#"<link rel=icon sizes=192x192 href=/says-192.png>
            <link rel=icon sizes=32x32 href=/says-32.png>"#,
        )
        .answer("https://acme.example/says-192.png", 200, "16x16")
        .answer("https://acme.example/says-32.png", 200, "256x256");
        let d = run(&f, HOME).await;
        assert_eq!(found(&d), "https://acme.example/says-32.png");
        assert!(
            d.attempts[0].result.starts_with("lost"),
            "{:#?}",
            d.attempts
        );
    }

    #[tokio::test]
    async fn a_square_mark_beats_a_wordmark_which_beats_a_tiny_favicon() {
        let f = MemoryFetcher::new();
        f.answer(
            HOME,
            200,
            r#"<header><a href="/"><img src=/wordmark.svg></a></header>
            <link rel=apple-touch-icon href=/touch.png><link rel=mask-icon href=/mask.svg>"#,
        )
        .answer("https://acme.example/wordmark.svg", 200, "600x120 svg")
        .answer("https://acme.example/touch.png", 200, "180x180")
        .answer("https://acme.example/mask.svg", 200, "16x16 svg one");
        assert_eq!(
            found(&run(&f, HOME).await),
            "https://acme.example/touch.png"
        );

        let f = MemoryFetcher::new();
        f.answer(
            HOME,
            200,
            r#"<header><img class=logo src=/wordmark.svg></header>
            <link rel=icon href=/favicon.png sizes=16x16>"#,
        )
        .answer("https://acme.example/wordmark.svg", 200, "600x120 svg")
        .answer("https://acme.example/favicon.png", 200, "16x16");
        assert_eq!(
            found(&run(&f, HOME).await),
            "https://acme.example/wordmark.svg"
        );
    }

    #[tokio::test]
    async fn a_good_enough_candidate_ends_the_search() {
        let f = MemoryFetcher::new();
        f.answer(
            HOME,
            200,
            r#"<header><img class=logo src=/logo.svg></header>
            <link rel=icon href=/favicon.png>"#,
        )
        .answer("https://acme.example/logo.svg", 200, "100x100 svg");
        assert_eq!(found(&run(&f, HOME).await), "https://acme.example/logo.svg");
        assert_eq!(f.requests(), [HOME, "https://acme.example/logo.svg"]);
    }

    #[tokio::test]
    async fn og_image_cards_flat_blocks_and_pixels_are_not_logos() {
        let f = MemoryFetcher::new();
        f.answer(
            HOME,
            200,
            r#"<meta property=og:image content=/card.png>
            <header><img class=logo src=/pixel.gif></header><link rel=icon href=/block.png>"#,
        )
        .answer("https://acme.example/card.png", 200, "1200x630")
        .answer("https://acme.example/pixel.gif", 200, "1x1")
        .answer("https://acme.example/block.png", 200, "64x64 flat");
        let d = run(&f, HOME).await;
        assert!(
            matches!(d.outcome, SourceOutcome::NoneUsable { .. }),
            "{d:#?}"
        );
        let refused = d
            .attempts
            .iter()
            .filter(|a| a.result.starts_with("not a logo"))
            .count();
        assert_eq!(refused, 3, "{:#?}", d.attempts);
    }

    #[tokio::test]
    async fn a_4xx_homepage_still_gets_its_conventional_paths() {
        let f = MemoryFetcher::new();
        f.answer(HOME, 404, "<h1>NoSuchKey</h1>").answer(
            "https://acme.example/favicon.ico",
            200,
            "48x48",
        );
        let d = run(&f, HOME).await;
        assert_eq!(found(&d), "https://acme.example/favicon.ico");
    }

    #[tokio::test]
    async fn a_small_best_declared_icon_sends_the_search_to_the_conventional_paths() {
        let f = MemoryFetcher::new();
        f.answer(HOME, 200, r#"<link rel=icon href=/i/40.png sizes=40x40>"#)
            .answer("https://acme.example/i/40.png", 200, "40x40")
            .answer("https://acme.example/apple-touch-icon.png", 200, "180x180");
        assert_eq!(
            found(&run(&f, HOME).await),
            "https://acme.example/apple-touch-icon.png"
        );
    }

    #[tokio::test]
    async fn challenges_and_refusals_everywhere_are_blocked_not_missing() {
        let f = MemoryFetcher::new();
        f.answer_with(
            HOME,
            403,
            &[("cf-mitigated", "challenge")],
            "<html>...</html>",
        );
        let d = run(&f, HOME).await;
        assert!(
            matches!(&d.outcome, SourceOutcome::Blocked { reason } if reason.contains("cf-mitigated")),
            "{d:#?}"
        );

        let f = MemoryFetcher::new();
        f.answer(
            HOME,
            503,
            "<title>Just a moment...</title><link rel=icon href=/x.png>",
        )
        .answer("https://acme.example/x.png", 200, "64x64");
        let d = run(&f, HOME).await;
        assert!(matches!(d.outcome, SourceOutcome::Blocked { .. }), "{d:#?}");
        assert!(!f
            .requests()
            .contains(&"https://acme.example/x.png".to_string()));

        let f = MemoryFetcher::new();
        f.answer(HOME, 403, "Forbidden")
            .answer("https://acme.example/favicon.ico", 403, "")
            .answer("https://acme.example/apple-touch-icon.png", 429, "");
        let d = run(&f, HOME).await;
        assert!(
            matches!(&d.outcome, SourceOutcome::Blocked { reason } if reason.contains("401, 403 or 429")),
            "{d:#?}"
        );

        // A challenge page whose favicon still answers: the favicon is better than nothing.
        let f = MemoryFetcher::new();
        f.answer_with(HOME, 403, &[("cf-mitigated", "challenge")], "")
            .answer("https://acme.example/favicon.ico", 200, "32x32");
        assert_eq!(
            found(&run(&f, HOME).await),
            "https://acme.example/favicon.ico"
        );
    }

    #[tokio::test]
    async fn an_unresolvable_apex_falls_back_to_www() {
        let f = MemoryFetcher::new();
        f.answer(
            "https://www.acme.example/",
            200,
            "<link rel=icon href=/logo.svg>",
        )
        .answer("https://www.acme.example/logo.svg", 200, "64x64 svg");
        let d = run(&f, HOME).await;
        assert_eq!(found(&d), "https://www.acme.example/logo.svg");
        assert!(
            d.attempts[0].result.contains("NXDOMAIN"),
            "{:#?}",
            d.attempts
        );
    }

    #[tokio::test]
    async fn platform_and_parked_homepages_give_no_page_candidates() {
        let f = MemoryFetcher::new();
        f.answer(
            "https://linktr.ee/acme",
            200,
            "<link rel=icon href=/favicon.ico>",
        )
        .answer("https://linktr.ee/favicon.ico", 200, "256x256");
        let d = run(&f, "https://linktr.ee/acme").await;
        assert!(
            matches!(d.outcome, SourceOutcome::NoneUsable { .. }),
            "{d:#?}"
        );
        assert_eq!(f.requests(), ["https://linktr.ee/acme"]);

        let f = MemoryFetcher::new();
        f.answer(
            HOME,
            200,
            "<link rel=icon href=/f.png><h1>This domain is for sale!</h1>",
        )
        .answer("https://acme.example/f.png", 200, "256x256");
        let d = run(&f, HOME).await;
        assert!(
            matches!(d.outcome, SourceOutcome::NoneUsable { .. }),
            "{d:#?}"
        );
    }

    #[tokio::test]
    async fn a_redirect_to_another_site_is_reported_and_followed() {
        let f = MemoryFetcher::new();
        f.answer(
            "https://acme-new.example/",
            200,
            "<link rel=icon href=/logo.svg>",
        )
        .answer("https://acme-new.example/logo.svg", 200, "64x64 svg")
        .redirect(HOME, "https://acme-new.example/");
        let d = run(&f, HOME).await;
        assert_eq!(found(&d), "https://acme-new.example/logo.svg");
        assert_eq!(
            d.redirect,
            Some((HOME.to_string(), "https://acme-new.example/".to_string()))
        );
    }

    #[tokio::test]
    async fn the_directory_logo_url_is_taken_whatever_its_shape() {
        let f = MemoryFetcher::new();
        f.answer("https://cdn.example/wide.png", 200, "800x200");
        let mut r = record(HOME);
        r.logo_url = Some("https://cdn.example/wide.png".into());
        let d = find_source(&f, &r, &DiscoveryOptions::default(), &Described).await;
        assert_eq!(found(&d), "https://cdn.example/wide.png");
        assert_eq!(f.requests(), ["https://cdn.example/wide.png"]);
    }

    #[tokio::test]
    async fn inline_sources_are_checked_without_a_fetch() {
        let f = MemoryFetcher::new();
        f.answer(
            HOME,
            200,
            "<link rel=icon href='data:image/svg+xml,64x64 svg'>",
        );
        let d = run(&f, HOME).await;
        assert!(
            matches!(&d.outcome, SourceOutcome::Found { url, .. } if url == HOME),
            "{d:#?}"
        );
        assert_eq!(f.requests(), [HOME]);
    }
}

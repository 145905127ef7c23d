//! The worker's domain: one queue message in, one [`Outcome`] out.
//!
//! The order of checks is the cost order: parse the body (free), ask the directory (one
//! lookup), HEAD the set's sentinel object (one request), and only then fetch and render.
//! Permanent source problems (404, not an image, too big, blocked) become a placeholder so
//! the browser stops getting 404s; anything that may pass by itself becomes a retry.
//!
//! Rendering is synchronous CPU work done on the calling task: on a Lambda the runtime is
//! single-threaded and has a fraction of one vCPU, so overlapping renders would only add
//! memory; fetches of other records still overlap with it between renders.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use logofill_core::directory::{CompanyDirectory, CompanyRecord, DirectoryError};
use logofill_core::store::{object_key, LogoStore, StoreError, StoredObject};
use logofill_core::{CompanyId, Fetcher, QueueMessage};
use logofill_image::{LogoKind, RenderedSet};
use logofill_render::{RenderError, Renderer};

use crate::outcome::{Outcome, Timings};
use crate::shared_source::SharedSources;
use logofill_discover::{
    find_source, Attempt, CandidateKind, Checked, Colouring, DiscoveryOptions, Facts, Rejection,
    SourceCheck, SourceOutcome,
};

/// Everything the service needs besides its ports.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    pub sizes: Vec<u32>,
    pub cache_control: String,
    pub placeholder_refresh: Duration,
    /// Age after which a `reason=blocked` placeholder is replaced.
    pub blocked_retry: Duration,
    /// Render and store even if a set exists (the `process --company` command).
    pub force: bool,
    pub discovery: DiscoveryOptions,
}

/// What happened to one company, in detail (for `logofill process --company`).
#[derive(Debug, Clone)]
pub struct CompanyRun {
    pub record: Option<CompanyRecord>,
    pub attempts: Vec<Attempt>,
    pub outcome: Outcome,
    pub timings: Timings,
    /// Keys written, in order.
    pub written: Vec<String>,
    /// The homepage redirected to another registrable domain: `(asked, answered)`.
    pub redirect: Option<(String, String)>,
}

pub struct LogoWorker<D, S, F> {
    directory: D,
    store: S,
    fetcher: F,
    renderer: Renderer,
    options: ServiceOptions,
    /// Companies whose stored set this worker replaced, for the CDN invalidation.
    replaced: std::sync::Mutex<Vec<CompanyId>>,
}

impl<D: CompanyDirectory, S: LogoStore, F: Fetcher> LogoWorker<D, S, F> {
    pub fn new(
        directory: D,
        store: S,
        fetcher: F,
        renderer: Renderer,
        options: ServiceOptions,
    ) -> Self {
        LogoWorker {
            directory,
            store,
            fetcher,
            renderer,
            options,
            replaced: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// The companies whose stored set was replaced (a stale placeholder upgraded or renewed)
    /// since the last call: their CDN paths must be invalidated. A first store needs none.
    pub fn take_replaced(&self) -> Vec<CompanyId> {
        std::mem::take(&mut *self.replaced.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn renderer(&self) -> &Renderer {
        &self.renderer
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// The object whose presence means the whole set is stored: the largest PNG, written last.
    pub fn sentinel_key(&self, company: &CompanyId) -> String {
        let largest = self.options.sizes.iter().copied().max().unwrap_or(256);
        object_key(company, largest, "png")
    }

    /// Handle one message body.
    pub async fn process_body(&self, body: &str) -> (Outcome, Timings) {
        match QueueMessage::from_body(body) {
            Ok(message) => {
                let run = self.process_company(&message.company_id).await;
                (run.outcome, run.timings)
            }
            Err(e) => (
                Outcome::Poison {
                    reason: e.to_string(),
                },
                Timings::default(),
            ),
        }
    }

    /// Look the company up, check the store, find, render and store its logo set.
    pub async fn process_company(&self, company: &CompanyId) -> CompanyRun {
        let mut run = CompanyRun {
            record: None,
            attempts: Vec::new(),
            outcome: Outcome::UnknownCompany,
            timings: Timings::default(),
            written: Vec::new(),
            redirect: None,
        };
        let record = match self.directory.lookup(company).await {
            Ok(Some(record)) => record,
            Ok(None) => return run,
            Err(e @ DirectoryError::Malformed { .. }) => {
                run.outcome = Outcome::BadRecord {
                    reason: e.to_string(),
                };
                return run;
            }
            Err(e) => {
                run.outcome = Outcome::Retry {
                    reason: e.to_string(),
                };
                return run;
            }
        };
        run.record = Some(record.clone());

        let mut replacing = false;
        if !self.options.force {
            let started = Instant::now();
            let head = self.store.head(&self.sentinel_key(company)).await;
            run.timings.store += started.elapsed();
            match head {
                Ok(Some(head)) => {
                    let kind = head
                        .metadata
                        .get("kind")
                        .cloned()
                        .unwrap_or_else(|| "logo".into());
                    let age = head
                        .last_modified
                        .map(|t| (Utc::now() - t).to_std().unwrap_or(Duration::ZERO))
                        .unwrap_or(Duration::ZERO);
                    let blocked = head.metadata.get("reason").map(String::as_str)
                        == Some(PLACEHOLDER_BLOCKED);
                    let refresh_after = if blocked {
                        self.options.blocked_retry
                    } else {
                        self.options.placeholder_refresh
                    };
                    if kind != LogoKind::Placeholder.as_str() || age < refresh_after {
                        run.outcome = Outcome::AlreadyPresent { kind };
                        return run;
                    }
                    tracing::info!(
                        age_secs = age.as_secs(),
                        "stored placeholder is stale; looking for a logo again"
                    );
                    replacing = true;
                }
                Ok(None) => {}
                Err(e) => {
                    run.outcome = Outcome::Retry {
                        reason: e.to_string(),
                    };
                    return run;
                }
            }
        }

        let check = RenderCheck {
            renderer: &self.renderer,
            render_time: std::sync::Mutex::new(Duration::ZERO),
            shared: SharedSources::new(&self.store, company, &record),
        };
        let started = Instant::now();
        let found = find_source(&self.fetcher, &record, &self.options.discovery, &check).await;
        let render_time = check.render_time.into_inner().unwrap_or_default();
        run.timings.fetch += started.elapsed().saturating_sub(render_time);
        run.timings.render += render_time;
        run.attempts = found.attempts;
        run.redirect = found.redirect.clone();
        if let Some((from, to)) = &found.redirect {
            tracing::info!(company = %company, from = %from, to = %to, "homepage redirected to another registrable domain");
        }

        let mut placeholder_reason = PLACEHOLDER_NO_LOGO;
        let (set, source_url, outcome) = match found.outcome {
            SourceOutcome::Found { url, value, .. } => (
                value,
                url.clone(),
                Outcome::Stored {
                    source_url: url,
                    redirect: found.redirect.map(|(_, to)| to),
                },
            ),
            SourceOutcome::Transient { reason } => {
                run.outcome = Outcome::Retry { reason };
                return run;
            }
            reason @ (SourceOutcome::NoneUsable { .. } | SourceOutcome::Blocked { .. }) => {
                let outcome = match reason {
                    SourceOutcome::Blocked { reason } => {
                        placeholder_reason = PLACEHOLDER_BLOCKED;
                        Outcome::Blocked { reason }
                    }
                    SourceOutcome::NoneUsable { reason } => Outcome::Placeholder { reason },
                    _ => unreachable!("matched above"),
                };
                let t = Instant::now();
                let placeholder = self
                    .renderer
                    .pipeline()
                    .placeholder(company.as_str(), &record.name);
                run.timings.render += t.elapsed();
                match placeholder {
                    Ok(set) => (set, String::new(), outcome),
                    Err(e) => {
                        // Cannot happen for valid names; failing keeps the message visible.
                        run.outcome = Outcome::Retry {
                            reason: format!("placeholder could not be rendered: {e}"),
                        };
                        return run;
                    }
                }
            }
        };

        let started = Instant::now();
        let reason = (set.kind == LogoKind::Placeholder).then_some(placeholder_reason);
        let mut stored = self
            .store_set(company, &set, &source_url, reason, &mut run.written)
            .await;
        if stored.is_ok() && set.kind == LogoKind::Logo {
            // Recorded after the set, so an index entry always names a stored set.
            stored = check
                .shared
                .record(&set, &source_url, &mut run.written)
                .await;
        }
        run.timings.store += started.elapsed();
        run.outcome = match stored {
            Ok(()) => {
                if replacing {
                    let mut replaced = self.replaced.lock().unwrap_or_else(|e| e.into_inner());
                    replaced.push(company.clone());
                }
                outcome
            }
            Err(reason) => Outcome::Retry { reason },
        };
        run
    }

    /// Write every variant, the largest PNG last.
    async fn store_set(
        &self,
        company: &CompanyId,
        set: &RenderedSet,
        source_url: &str,
        reason: Option<&str>,
        written: &mut Vec<String>,
    ) -> Result<(), String> {
        let mut extra = BTreeMap::new();
        if let Some(reason) = reason {
            extra.insert("reason".to_string(), reason.to_string());
        }
        write_set(
            &self.store,
            company,
            set,
            source_url,
            extra,
            &self.options.cache_control,
            written,
        )
        .await
        .map_err(|e| e.to_string())
    }
}

/// Write a rendered set as the worker does (the largest PNG, the sentinel, last), with the
/// set's own metadata, the shown source URL and `extra` (a placeholder's `reason`; a manual
/// set's `kind` and `pinned`), which wins over the set's own.
pub async fn write_set<S: LogoStore>(
    store: &S,
    company: &CompanyId,
    set: &RenderedSet,
    source_url: &str,
    extra: BTreeMap<String, String>,
    cache_control: &str,
    written: &mut Vec<String>,
) -> Result<(), StoreError> {
    // Only what is known: a placeholder has no source, so no empty source-* entries.
    let mut metadata: BTreeMap<String, String> = set
        .metadata()
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let shown = shown_source_url(source_url);
    if !shown.is_empty() {
        metadata.insert("source-url".into(), shown);
    }
    metadata.extend(extra);
    let largest = set.variants.iter().map(|v| v.size).max().unwrap_or(0);
    let sentinel = object_key(company, largest, "png");
    let mut objects: Vec<StoredObject> = set
        .variants
        .iter()
        .map(|v| StoredObject {
            key: object_key(company, v.size, v.format.extension()),
            bytes: v.bytes.clone(),
            content_type: v.content_type().to_string(),
            cache_control: cache_control.to_string(),
            metadata: metadata.clone(),
        })
        .collect();
    objects.sort_by_key(|o| (o.key == sentinel, objects_size_rank(&o.key)));
    for object in objects {
        let key = object.key.clone();
        store.put(object).await?;
        written.push(key);
    }
    Ok(())
}

/// `kind` metadata of a set an operator stored (`logofill logo set`); stored with `pinned=true`,
/// it is never replaced by the worker.
pub const MANUAL_KIND: &str = "manual";

/// `reason` metadata of a placeholder stored because the site was blocked.
pub const PLACEHOLDER_BLOCKED: &str = "blocked";
/// `reason` metadata of a placeholder stored because no source was usable.
pub const PLACEHOLDER_NO_LOGO: &str = "no-logo";

/// Renders a fetched candidate and says what it looks like; an unusable source lets discovery
/// try the next one. The decision comes from the error's type: a render over its budget, a
/// refused image or a shared platform icon is the source's fault (next candidate, then a
/// placeholder), anything else is retried.
struct RenderCheck<'a, S> {
    renderer: &'a Renderer,
    render_time: std::sync::Mutex<Duration>,
    shared: SharedSources<'a, S>,
}

/// What discovery ranks on, from what the pipeline measured.
fn facts(set: &RenderedSet) -> Facts {
    let source = set.provenance.source.as_ref();
    let appearance = source.map(|s| s.appearance);
    Facts {
        width: source.map_or(0, |s| s.width),
        height: source.map_or(0, |s| s.height),
        vector: source.is_some_and(|s| s.format == logofill_image::SourceFormat::Svg),
        format: source.map_or("image", |s| s.format.as_str()),
        colouring: match appearance.map(|a| a.colouring) {
            Some(logofill_image::Colouring::Empty) | None => Colouring::Empty,
            Some(logofill_image::Colouring::Flat) => Colouring::Flat,
            Some(logofill_image::Colouring::OneColour) => Colouring::OneColour,
            Some(logofill_image::Colouring::Colour) => Colouring::Colour,
        },
        content_aspect: appearance.map_or(1.0, |a| a.aspect()),
    }
}

impl<S: LogoStore> SourceCheck for RenderCheck<'_, S> {
    type Value = RenderedSet;

    async fn check(
        &self,
        url: &str,
        kind: CandidateKind,
        body: Vec<u8>,
    ) -> Result<Checked<RenderedSet>, Rejection> {
        self.shared.check(kind, &body).await?;
        let t = Instant::now();
        let rendered = self.renderer.render(url, body).await;
        if let Ok(mut total) = self.render_time.lock() {
            *total += t.elapsed();
        }
        let rendered = rendered.map(|set| Checked {
            facts: facts(&set),
            value: set,
        });
        rendered.map_err(|e| {
            let reason = match &e {
                RenderError::BudgetExceeded { .. } => format!("budget_exceeded: {e}"),
                _ => e.to_string(),
            };
            if e.is_retryable() {
                Rejection::Retryable(reason)
            } else {
                Rejection::Unusable(reason)
            }
        })
    }
}

/// Sort key putting smaller sizes first (`logos/id/64.png` before `logos/id/256.webp`).
fn objects_size_rank(key: &str) -> u32 {
    key.rsplit('/')
        .next()
        .and_then(|file| file.split('.').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The source URL as it may be shown to anyone who fetches the logo (S3 metadata comes back as
/// `x-amz-meta-*` response headers through the CDN): no user info, query string or fragment,
/// which may carry tokens or signatures.
fn public_source_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            url.to_string()
        }
        // Not a URL (a file path from the CLI, or empty for a placeholder): no query to strip,
        // but never more than the part before any '?'.
        Err(_) => raw.split(['?', '#']).next().unwrap_or_default().to_string(),
    }
}

/// The source URL as stored in metadata: public part only, printable, bounded.
pub(crate) fn shown_source_url(raw: &str) -> String {
    metadata_safe(&public_source_url(raw))
}

/// S3 user metadata travels in HTTP headers: keep it printable ASCII and bounded.
fn metadata_safe(value: &str) -> String {
    const MAX_METADATA_VALUE: usize = 1024;
    value
        .chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control())
        .take(MAX_METADATA_VALUE)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_source_urls_carry_no_query_credentials_or_fragment() {
        assert_eq!(
            public_source_url(
                "https://user:pw@cdn.acme.example/logo.png?X-Amz-Signature=abc&t=1#top"
            ),
            "https://cdn.acme.example/logo.png"
        );
        assert_eq!(
            public_source_url("https://acme.example/logo.svg"),
            "https://acme.example/logo.svg"
        );
        assert_eq!(public_source_url(""), "");
        assert_eq!(public_source_url("/tmp/x.png?y"), "/tmp/x.png");
    }
}

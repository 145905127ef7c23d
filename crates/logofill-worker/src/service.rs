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

use chrono::{DateTime, NaiveDate, Utc};
use logofill_core::directory::{CompanyDirectory, CompanyRecord, DirectoryError};
use logofill_core::fetch::{BodyLimit, NOT_MODIFIED};
use logofill_core::logo_set::{is_rejected, last_look, meta, rejected_of};
use logofill_core::refresh::{parse_day, refile, RefreshPolicy, SetState};
use logofill_core::store::{object_key, LogoStore, ObjectHead, StoreError, StoredObject};
use logofill_core::{CompanyId, Fetcher, Origin, QueueMessage, Validators};
use logofill_image::{LogoKind, PerceptualHash, RenderedSet};
use logofill_render::{RenderError, Renderer};
use sha2::{Digest, Sha256};

use crate::outcome::{Outcome, Timings};
use crate::shared_source::SharedSources;
use crate::validators::ValidatorLog;
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
    /// Age after which the scheduled refresh looks at a stored logo again.
    pub logo_refresh: Duration,
    /// Look for a logo even if a set exists (the `process --company` command); a pinned set is
    /// still kept.
    pub force: bool,
    /// A refresh is done whatever day the set is due (`logofill logo refresh`).
    pub ignore_due: bool,
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

impl ServiceOptions {
    /// When stored sets come due for the scheduled refresh.
    pub fn refresh_policy(&self) -> RefreshPolicy {
        RefreshPolicy {
            logo_after: self.logo_refresh,
            blocked_retry: self.blocked_retry,
        }
    }
}

/// What the sentinel says about the set stored for a company.
#[derive(Debug, Clone)]
struct Stored {
    metadata: BTreeMap<String, String>,
    kind: String,
    pinned: bool,
    blocked: bool,
    attempts: u32,
    refresh_due: Option<NaiveDate>,
    /// When a worker last stored or re-checked the set.
    looked_at: Option<DateTime<Utc>>,
}

impl Stored {
    fn of(head: ObjectHead) -> Self {
        let value = |name: &str| head.metadata.get(name).filter(|v| !v.is_empty()).cloned();
        let kind = value(meta::KIND).unwrap_or_else(|| LogoKind::Logo.as_str().into());
        // An operator's set is pinned when stored; once unpinned it is refreshed as a logo.
        let pinned = value(meta::PINNED).as_deref() == Some("true");
        // The last look counts, not the first store: a placeholder re-checked yesterday is
        // a day old.
        let looked_at = last_look(&head.metadata, head.last_modified);
        Stored {
            blocked: value(meta::REASON).as_deref() == Some(PLACEHOLDER_BLOCKED),
            attempts: value(meta::ATTEMPTS)
                .and_then(|v| v.parse().ok())
                .unwrap_or(1),
            refresh_due: value(meta::REFRESH_DUE).as_deref().and_then(parse_day),
            kind,
            pinned,
            looked_at,
            metadata: head.metadata,
        }
    }

    fn is_placeholder(&self) -> bool {
        self.kind == LogoKind::Placeholder.as_str()
    }

    fn value(&self, name: &str) -> Option<&str> {
        self.metadata
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
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
                let run = self.process(&message.company_id, message.origin).await;
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

    /// A report of the company: look it up, check the store, find, render and store its set.
    pub async fn process_company(&self, company: &CompanyId) -> CompanyRun {
        self.process(company, Origin::Report).await
    }

    /// Handle one company for a message of `origin`:
    /// - a pinned set (an operator's) is kept whatever the origin;
    /// - a report leaves a stored logo alone and replaces a placeholder past its age;
    /// - a refresh re-checks the set: a logo's source is fetched again with its validators,
    ///   and an unchanged source (304, the same sha256) or a render that looks the same only
    ///   updates the sentinel's metadata; a placeholder looks for a logo again;
    /// - an operator's request (and `force`) looks for a logo again, whatever is stored.
    ///
    /// Whatever is stored or re-checked is filed in the refresh index under its next due day.
    pub async fn process(&self, company: &CompanyId, origin: Origin) -> CompanyRun {
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

        let started = Instant::now();
        let head = self.store.head(&self.sentinel_key(company)).await;
        run.timings.store += started.elapsed();
        let stored = match head {
            Ok(head) => head.map(Stored::of),
            Err(e) => {
                run.outcome = Outcome::Retry {
                    reason: e.to_string(),
                };
                return run;
            }
        };
        let now = Utc::now();
        let rediscover = self.options.force || origin == Origin::Operator;
        if let Some(stored) = &stored {
            if stored.pinned {
                run.outcome = Outcome::AlreadyPresent {
                    kind: stored.kind.clone(),
                };
                return run;
            }
            if origin == Origin::Refresh && !rediscover {
                let ahead = stored.refresh_due.is_some_and(|due| due > now.date_naive());
                if ahead && !self.options.ignore_due {
                    // An older index key that outlived its replacement: already re-checked.
                    run.outcome = Outcome::AlreadyPresent {
                        kind: stored.kind.clone(),
                    };
                    return run;
                }
                if !stored.is_placeholder() {
                    if let Some(validators) = self.revalidate(stored, &mut run).await {
                        let why = "the source is unchanged".to_string();
                        return self.recheck(company, stored, validators, why, run).await;
                    }
                }
            } else if !rediscover {
                let age = stored
                    .looked_at
                    .map(|t| (now - t).to_std().unwrap_or(Duration::ZERO))
                    .unwrap_or(Duration::ZERO);
                let refresh_after = if stored.blocked {
                    self.options.blocked_retry
                } else {
                    self.options.placeholder_refresh
                };
                if !stored.is_placeholder() || age < refresh_after {
                    run.outcome = Outcome::AlreadyPresent {
                        kind: stored.kind.clone(),
                    };
                    return run;
                }
                tracing::info!(
                    age_secs = age.as_secs(),
                    "stored placeholder is stale; looking for a logo again"
                );
            }
        }

        let rejected = stored
            .as_ref()
            .map(|s| rejected_of(&s.metadata))
            .unwrap_or_default();
        let fetcher = ValidatorLog::new(&self.fetcher);
        let check = RenderCheck {
            renderer: &self.renderer,
            render_time: std::sync::Mutex::new(Duration::ZERO),
            shared: SharedSources::new(&self.store, company, &record),
            rejected,
        };
        let started = Instant::now();
        let found = find_source(&fetcher, &record, &self.options.discovery, &check).await;
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
            SourceOutcome::Found { url, value, .. } => {
                if let Some(stored) = stored.as_ref().filter(|_| !rediscover) {
                    if let Some(why) = looks_the_same(stored, &value) {
                        let validators = fetcher.validators_of(&url);
                        let mut stored = stored.clone();
                        let shown = shown_source_url(&url);
                        let source = value.provenance.source.as_ref();
                        for (name, v) in [
                            (meta::SOURCE_URL, Some(shown)),
                            (meta::SOURCE_SHA256, source.map(|s| s.sha256.clone())),
                        ] {
                            if let Some(v) = v.filter(|v| !v.is_empty()) {
                                stored.metadata.insert(name.to_string(), v);
                            }
                        }
                        return self.recheck(company, &stored, validators, why, run).await;
                    }
                }
                (
                    value,
                    url.clone(),
                    Outcome::Stored {
                        source_url: url,
                        redirect: found.redirect.map(|(_, to)| to),
                    },
                )
            }
            SourceOutcome::Transient { reason } => {
                run.outcome = Outcome::Retry { reason };
                return run;
            }
            reason @ (SourceOutcome::NoneUsable { .. } | SourceOutcome::Blocked { .. }) => {
                let blocked = matches!(reason, SourceOutcome::Blocked { .. });
                let reason = match reason {
                    SourceOutcome::Blocked { reason } | SourceOutcome::NoneUsable { reason } => {
                        reason
                    }
                    _ => unreachable!("matched above"),
                };
                if let Some(stored) = stored.as_ref().filter(|_| !rediscover) {
                    // A refresh that finds nothing better keeps what is stored: a logo is not
                    // downgraded because its site is blocked today; a placeholder counts one
                    // more look and backs off.
                    let mut stored = stored.clone();
                    let why = if stored.is_placeholder() {
                        stored.attempts = stored.attempts.saturating_add(1);
                        let shown = if blocked {
                            PLACEHOLDER_BLOCKED
                        } else {
                            PLACEHOLDER_NO_LOGO
                        };
                        stored
                            .metadata
                            .insert(meta::REASON.to_string(), shown.to_string());
                        stored.blocked = blocked;
                        format!("still no logo ({reason}); look {}", stored.attempts)
                    } else {
                        format!("no better source found ({reason}); the stored logo is kept")
                    };
                    return self
                        .recheck(company, &stored, Validators::default(), why, run)
                        .await;
                }
                let outcome = if blocked {
                    placeholder_reason = PLACEHOLDER_BLOCKED;
                    Outcome::Blocked { reason }
                } else {
                    Outcome::Placeholder { reason }
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
        let validators = fetcher.validators_of(&source_url);
        let mut stored_result = self
            .store_set(
                company,
                &set,
                &source_url,
                reason,
                stored.as_ref(),
                &validators,
                now,
                &mut run.written,
            )
            .await;
        if stored_result.is_ok() && set.kind == LogoKind::Logo {
            // Recorded after the set, so an index entry always names a stored set.
            stored_result = check
                .shared
                .record(&set, &source_url, &mut run.written)
                .await;
        }
        run.timings.store += started.elapsed();
        run.outcome = match stored_result {
            Ok(()) => {
                if stored.is_some() {
                    let mut replaced = self.replaced.lock().unwrap_or_else(|e| e.into_inner());
                    replaced.push(company.clone());
                }
                outcome
            }
            Err(reason) => Outcome::Retry { reason },
        };
        run
    }

    /// A refresh's first step for a stored logo: fetch its source again, sending the stored
    /// validators. `Some` (the validators to keep) when the source is unchanged: a 304, or the
    /// same bytes.
    async fn revalidate(&self, stored: &Stored, run: &mut CompanyRun) -> Option<Validators> {
        let url = stored.value(meta::SOURCE_URL)?;
        let sha256 = stored.value(meta::SOURCE_SHA256)?;
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return None;
        }
        let sent = Validators {
            etag: stored.value(meta::SOURCE_ETAG).map(str::to_string),
            last_modified: stored.value(meta::SOURCE_LAST_MODIFIED).map(str::to_string),
        };
        let started = Instant::now();
        let answer = self
            .fetcher
            .get_conditional(url, &sent, BodyLimit::Whole(u64::MAX))
            .await;
        run.timings.fetch += started.elapsed();
        match answer {
            Ok(fetched) if fetched.status == NOT_MODIFIED => {
                let current = Validators::of(&fetched);
                Some(if current.is_empty() { sent } else { current })
            }
            Ok(fetched) => {
                let same = hex(&Sha256::digest(&fetched.body)) == sha256;
                same.then(|| Validators::of(&fetched))
            }
            Err(e) => {
                tracing::info!(source = %url, error = %e, "stored source could not be fetched again; looking for a logo");
                None
            }
        }
    }

    /// Nothing new to store: record the check on the sentinel (its metadata only: no new
    /// objects, no invalidation) and file the set under its next due day.
    async fn recheck(
        &self,
        company: &CompanyId,
        stored: &Stored,
        validators: Validators,
        why: String,
        mut run: CompanyRun,
    ) -> CompanyRun {
        let now = Utc::now();
        let mut metadata = stored.metadata.clone();
        let state = set_state(stored.is_placeholder(), stored.blocked, stored.attempts);
        let due = self.options.refresh_policy().next_due(state, now);
        refresh_metadata(
            &mut metadata,
            now,
            stored.is_placeholder().then_some(stored.attempts),
            due,
            &validators,
        );
        let started = Instant::now();
        let key = self.sentinel_key(company);
        let result = match self.store.replace_metadata(&key, metadata).await {
            Ok(()) => refile(&self.store, company, stored.refresh_due, due).await,
            Err(e) => Err(e),
        };
        run.timings.store += started.elapsed();
        run.outcome = match result {
            Ok(()) => Outcome::Unchanged {
                kind: stored.kind.clone(),
                why,
            },
            Err(e) => Outcome::Retry {
                reason: e.to_string(),
            },
        };
        run
    }

    /// Write every variant, the largest PNG last, with the refresh metadata; then file the set
    /// in the refresh index.
    #[allow(clippy::too_many_arguments)]
    async fn store_set(
        &self,
        company: &CompanyId,
        set: &RenderedSet,
        source_url: &str,
        reason: Option<&str>,
        previous: Option<&Stored>,
        validators: &Validators,
        now: DateTime<Utc>,
        written: &mut Vec<String>,
    ) -> Result<(), String> {
        let mut extra = BTreeMap::new();
        if let Some(reason) = reason {
            extra.insert(meta::REASON.to_string(), reason.to_string());
        }
        // An operator's rejections outlive every set stored after them.
        if let Some(rejected) = previous.and_then(|p| p.value(meta::REJECTED)) {
            extra.insert(meta::REJECTED.to_string(), rejected.to_string());
        }
        let placeholder = set.kind == LogoKind::Placeholder;
        let attempts = match previous {
            Some(p) if placeholder && p.is_placeholder() => p.attempts.saturating_add(1),
            _ => 1,
        };
        let blocked = reason == Some(PLACEHOLDER_BLOCKED);
        let due = self
            .options
            .refresh_policy()
            .next_due(set_state(placeholder, blocked, attempts), now);
        refresh_metadata(
            &mut extra,
            now,
            placeholder.then_some(attempts),
            due,
            validators,
        );
        extra.insert(meta::STORED_AT.to_string(), rfc3339(now));
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
        .map_err(|e| e.to_string())?;
        refile(
            &self.store,
            company,
            previous.and_then(|p| p.refresh_due),
            due,
        )
        .await
        .map_err(|e| e.to_string())
    }
}

/// The refresh state of a set.
fn set_state(placeholder: bool, blocked: bool, attempts: u32) -> SetState {
    match (placeholder, blocked) {
        (false, _) => SetState::Logo,
        (true, true) => SetState::Blocked,
        (true, false) => SetState::NoLogo { attempts },
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Validators longer than this are not kept: S3 allows 2 KB of user metadata in all, and the
/// source URL may take 1 KB of it.
const MAX_VALIDATOR_BYTES: usize = 128;

/// Set the entries a check of the set changes: when, how many looks, the next due day and the
/// source's validators (removed when the source sent none).
fn refresh_metadata(
    metadata: &mut BTreeMap<String, String>,
    now: DateTime<Utc>,
    attempts: Option<u32>,
    due: Option<NaiveDate>,
    validators: &Validators,
) {
    let mut set = |name: &str, value: Option<String>| match value {
        Some(v) => {
            metadata.insert(name.to_string(), v);
        }
        None => {
            metadata.remove(name);
        }
    };
    set(meta::CHECKED_AT, Some(rfc3339(now)));
    set(meta::ATTEMPTS, attempts.map(|a| a.to_string()));
    set(
        meta::REFRESH_DUE,
        due.map(|d| d.format("%Y-%m-%d").to_string()),
    );
    let kept = |v: &Option<String>| {
        v.as_deref()
            .map(metadata_safe)
            .filter(|v| !v.is_empty() && v.len() <= MAX_VALIDATOR_BYTES)
    };
    set(meta::SOURCE_ETAG, kept(&validators.etag));
    set(meta::SOURCE_LAST_MODIFIED, kept(&validators.last_modified));
}

/// Why a new render of a stored logo is the same logo (`None`: it is not): the same source
/// bytes, or a perceptual hash within [`PerceptualHash::SAME_LOGO_DISTANCE`].
fn looks_the_same(stored: &Stored, set: &RenderedSet) -> Option<String> {
    if stored.is_placeholder() || set.kind != LogoKind::Logo {
        return None;
    }
    let sha256 = set.provenance.source.as_ref().map(|s| s.sha256.as_str());
    if sha256.is_some() && sha256 == stored.value(meta::SOURCE_SHA256) {
        return Some("the source bytes are unchanged".into());
    }
    let before = PerceptualHash::from_hex(stored.value(meta::PHASH)?)?;
    let after = set.perceptual_hash()?;
    before.same_logo(after).then(|| {
        format!(
            "the new render looks the same (perceptual hash {} bits apart)",
            before.distance(after)
        )
    })
}

/// Lower-case hex.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
    metadata
        .entry(meta::STORED_AT.to_string())
        .or_insert_with(|| rfc3339(Utc::now()));
    fit_metadata(&mut metadata);
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

/// S3 allows 2 KB of user metadata per object (names and values); what is stored stays under
/// this, so a long source URL never makes a PUT fail.
pub const MAX_METADATA_BYTES: usize = 1900;

/// Drop what a set can do without (validators, then the end of the source URL) until the
/// metadata fits [`MAX_METADATA_BYTES`].
fn fit_metadata(metadata: &mut BTreeMap<String, String>) {
    let total =
        |m: &BTreeMap<String, String>| -> usize { m.iter().map(|(k, v)| k.len() + v.len()).sum() };
    for optional in [meta::SOURCE_ETAG, meta::SOURCE_LAST_MODIFIED] {
        if total(metadata) > MAX_METADATA_BYTES {
            metadata.remove(optional);
        }
    }
    let over = total(metadata).saturating_sub(MAX_METADATA_BYTES);
    if over > 0 {
        if let Some(url) = metadata.get_mut(meta::SOURCE_URL) {
            let keep = url.len().saturating_sub(over);
            url.truncate(keep);
        }
    }
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
    /// Sources an operator rejected for this company (sha256 prefixes).
    rejected: Vec<String>,
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
        if !self.rejected.is_empty() && is_rejected(&self.rejected, &hex(&Sha256::digest(&body))) {
            return Err(Rejection::Unusable(
                "rejected: an operator rejected this source for the company".into(),
            ));
        }
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

//! The review page: a contact sheet of the stored logo sets, for an operator to look over what
//! the worker stored and fix what is wrong (`logofill review`, `/dev/review`).
//!
//! Decisions:
//! - Generic over the store port, so S3, the folder bucket and the dev runner share one reading
//!   and one page; nothing here knows AWS.
//! - The work is bounded before it is done: at most `limit` companies (the listing stops at the
//!   first company past it, and the page says so), one HEAD per object as `logo show` reads a
//!   set, one GET per thumbnail (the smallest PNG) refused over [`THUMBNAIL_MAX_BYTES`], and
//!   [`READ_CONCURRENCY`] sets read at a time.
//! - Metadata is not ours: a source URL is whatever a company's website linked, and anyone who
//!   can write to the bucket writes the rest. Every value is HTML-escaped (and controls and
//!   bidi overrides shown as escapes), the source URL is text, never a link or an image source,
//!   and the page's Content-Security-Policy allows no request at all: styles and script are
//!   inline, thumbnails are `data:` URIs of bytes that start with the PNG signature. The page
//!   is one file that opens offline.
//! - A flag names something a person should look at, and each card prints the `logofill logo`
//!   commands that fix its set, with the bucket argument the page was made from.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use logofill_core::logo_set::{read_set, SetView};
use logofill_core::store::{object_key, LogoStore, StoreError, LOGO_PREFIX, MAX_LIST_KEYS};
use logofill_core::CompanyId;
use logofill_image::DEFAULT_SIZES;

/// Companies on a page unless asked otherwise.
pub const DEFAULT_LIMIT: usize = 2000;
/// Most companies one page may show: past this a page is too heavy for a browser to filter.
pub const MAX_LIMIT: usize = 10_000;
/// Largest thumbnail embedded: a 64 px PNG is a few KiB, so more is not a thumbnail.
pub const THUMBNAIL_MAX_BYTES: u64 = 64 * 1024;
/// Sets read from the store at the same time.
pub const READ_CONCURRENCY: usize = 16;
/// A mark this many times wider than tall (or taller than wide) is squeezed into a square.
pub const SQUEEZED_ASPECT: f32 = 3.0;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Something about a set a person should look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Flag {
    /// A placeholder: no usable logo was found.
    Placeholder,
    /// A placeholder because every candidate was a bot challenge or a WAF refusal.
    Blocked,
    /// A raster source smaller than the largest stored size.
    Upscaled,
    /// The same source is stored for another company on the page.
    SharedSource,
    /// A wide or tall mark squeezed into a square.
    Squeezed,
    /// An operator's pinned set.
    Manual,
    /// Objects but no sentinel.
    Incomplete,
}

impl Flag {
    pub const ALL: [Flag; 7] = [
        Flag::Placeholder,
        Flag::Blocked,
        Flag::Upscaled,
        Flag::SharedSource,
        Flag::Squeezed,
        Flag::Manual,
        Flag::Incomplete,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Flag::Placeholder => "placeholder",
            Flag::Blocked => "blocked",
            Flag::Upscaled => "upscaled",
            Flag::SharedSource => "shared-source",
            Flag::Squeezed => "squeezed",
            Flag::Manual => "manual",
            Flag::Incomplete => "incomplete",
        }
    }

    fn meaning(self) -> &'static str {
        match self {
            Flag::Placeholder => "a placeholder: no usable logo was found",
            Flag::Blocked => "a placeholder: every candidate was a bot challenge or WAF refusal",
            Flag::Upscaled => "a raster source smaller than the largest stored size",
            Flag::SharedSource => "the same source is stored for another company on this page",
            Flag::Squeezed => "a wide or tall mark (aspect 3:1 or more) squeezed into a square",
            Flag::Manual => "an operator's set, pinned: the worker never replaces it",
            Flag::Incomplete => "objects but no sentinel: a write that never finished",
        }
    }
}

/// The thumbnail of a card: the smallest PNG of the set, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Thumbnail {
    Png(Vec<u8>),
    Missing { key: String },
    TooLarge { key: String },
    NotPng { key: String },
}

/// One company's card.
#[derive(Debug, Clone)]
pub struct ReviewedSet {
    pub view: SetView,
    pub thumbnail: Thumbnail,
    /// In [`Flag::ALL`]'s order.
    pub flags: Vec<Flag>,
    /// The other companies on the page stored from the same source.
    pub shared_with: Vec<String>,
}

/// What a review page shows.
#[derive(Debug, Clone)]
pub struct Review {
    /// In key order.
    pub sets: Vec<ReviewedSet>,
    pub sizes: Vec<u32>,
    pub limit: usize,
    /// More companies are stored than `limit`: only the first `limit` are here.
    pub truncated: bool,
    /// Keys under `logos/` that do not name a company id, left out.
    pub odd_keys: usize,
    pub generated_at: DateTime<Utc>,
}

impl Review {
    /// Sets with `flag`.
    pub fn count(&self, flag: Flag) -> usize {
        self.sets.iter().filter(|s| s.flags.contains(&flag)).count()
    }

    /// `12 sets (3 placeholder, 1 blocked, ...)`.
    pub fn summary(&self) -> String {
        let counts: Vec<String> = Flag::ALL
            .iter()
            .map(|f| format!("{} {}", self.count(*f), f.name()))
            .collect();
        format!("{} sets ({})", self.sets.len(), counts.join(", "))
    }
}

/// Where the sets were read from, as the `logofill logo` commands on the page name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FixTarget {
    Bucket(String),
    BucketDir(PathBuf),
}

impl FixTarget {
    /// `s3://NAME` or the folder.
    pub fn name(&self) -> String {
        match self {
            FixTarget::Bucket(name) => format!("s3://{name}"),
            FixTarget::BucketDir(dir) => dir.display().to_string(),
        }
    }

    /// The bucket arguments of a command, quoted for a POSIX shell.
    fn args(&self) -> String {
        match self {
            FixTarget::Bucket(name) => format!("--bucket {}", shell_quote(name)),
            FixTarget::BucketDir(dir) => {
                format!("--bucket-dir {}", shell_quote(&dir.to_string_lossy()))
            }
        }
    }
}

/// Read at most `limit` companies' sets (the first in key order) and their thumbnails.
pub async fn collect<S: LogoStore + 'static>(
    store: Arc<S>,
    sizes: &[u32],
    limit: usize,
    now: DateTime<Utc>,
) -> Result<Review, StoreError> {
    let limit = limit.clamp(1, MAX_LIMIT);
    let mut sizes = sizes.to_vec();
    sizes.sort_unstable();
    sizes.dedup();
    let listed = list_companies(&*store, limit).await?;

    let permits = Arc::new(tokio::sync::Semaphore::new(READ_CONCURRENCY));
    let shared_sizes: Arc<[u32]> = sizes.clone().into();
    let mut reads = tokio::task::JoinSet::new();
    for (index, company) in listed.companies.into_iter().enumerate() {
        let (store, permits, sizes) = (store.clone(), permits.clone(), shared_sizes.clone());
        reads.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let read = async {
                let view = read_set(&*store, &company, &sizes).await?;
                let thumbnail = thumbnail(&*store, &company, &view, &sizes).await?;
                Ok::<_, StoreError>((view, thumbnail))
            };
            (index, read.await)
        });
    }
    let mut read = Vec::new();
    while let Some(joined) = reads.join_next().await {
        match joined {
            Ok((index, result)) => read.push((index, result?)),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => {
                return Err(StoreError::Unavailable {
                    action: "read",
                    key: LOGO_PREFIX.into(),
                    detail: e.to_string(),
                })
            }
        }
    }
    read.sort_by_key(|(index, _)| *index);

    // Companies by source, for the shared-source flag.
    let mut by_source: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (_, (view, _)) in &read {
        if let (true, Some(sha)) = (view.complete, view.source_sha256.as_deref()) {
            by_source.entry(sha).or_default().push(&view.company_id);
        }
    }
    let shared: BTreeMap<String, Vec<String>> = read
        .iter()
        .filter_map(|(_, (view, _))| {
            let sha = view.source_sha256.as_deref().filter(|_| view.complete)?;
            let others: Vec<String> = by_source[sha]
                .iter()
                .filter(|c| **c != view.company_id)
                .map(|c| c.to_string())
                .collect();
            (!others.is_empty()).then(|| (view.company_id.clone(), others))
        })
        .collect();

    let sets = read
        .into_iter()
        .map(|(_, (view, thumbnail))| {
            let shared_with = shared.get(&view.company_id).cloned().unwrap_or_default();
            let mut flags = own_flags(&view);
            if !shared_with.is_empty() {
                flags.push(Flag::SharedSource);
                flags.sort();
            }
            ReviewedSet {
                view,
                thumbnail,
                flags,
                shared_with,
            }
        })
        .collect();
    Ok(Review {
        sets,
        sizes,
        limit,
        truncated: listed.truncated,
        odd_keys: listed.odd_keys,
        generated_at: now,
    })
}

struct Listed {
    companies: Vec<CompanyId>,
    truncated: bool,
    odd_keys: usize,
}

/// The first `limit` company ids under `logos/`, in key order. A company's keys are adjacent
/// in key order (they share `logos/{id}/`), so a company is new when it differs from the last.
async fn list_companies<S: LogoStore>(store: &S, limit: usize) -> Result<Listed, StoreError> {
    let mut listed = Listed {
        companies: Vec::new(),
        truncated: false,
        odd_keys: 0,
    };
    let mut after: Option<String> = None;
    loop {
        let page = store
            .list(LOGO_PREFIX, after.as_deref(), MAX_LIST_KEYS)
            .await?;
        for key in &page.keys {
            let id = key
                .strip_prefix(LOGO_PREFIX)
                .and_then(|rest| rest.split_once('/'))
                .and_then(|(id, _)| CompanyId::parse(id).ok());
            let Some(id) = id else {
                listed.odd_keys += 1;
                continue;
            };
            if listed.companies.last() == Some(&id) {
                continue;
            }
            if listed.companies.len() == limit {
                listed.truncated = true;
                return Ok(listed);
            }
            listed.companies.push(id);
        }
        match page.next {
            Some(next) if !page.keys.is_empty() => after = Some(next),
            _ => return Ok(listed),
        }
    }
}

/// The smallest PNG of the set, read only when the HEAD saw it and at most
/// [`THUMBNAIL_MAX_BYTES`] of it.
async fn thumbnail<S: LogoStore>(
    store: &S,
    company: &CompanyId,
    view: &SetView,
    sizes: &[u32],
) -> Result<Thumbnail, StoreError> {
    let size = sizes.first().copied().unwrap_or(DEFAULT_SIZES[0]);
    let key = object_key(company, size, "png");
    let Some(object) = view.objects.iter().find(|o| o.key == key) else {
        return Ok(Thumbnail::Missing { key });
    };
    if object.bytes > THUMBNAIL_MAX_BYTES {
        return Ok(Thumbnail::TooLarge { key });
    }
    match store.get(&key, THUMBNAIL_MAX_BYTES).await {
        Ok(Some((bytes, _))) if bytes.starts_with(PNG_SIGNATURE) => Ok(Thumbnail::Png(bytes)),
        Ok(Some(_)) => Ok(Thumbnail::NotPng { key }),
        Ok(None) => Ok(Thumbnail::Missing { key }),
        Err(StoreError::Refused { code, .. }) if code == "TooLarge" => {
            Ok(Thumbnail::TooLarge { key })
        }
        Err(e) => Err(e),
    }
}

/// Every flag a set has on its own (all but shared-source).
fn own_flags(view: &SetView) -> Vec<Flag> {
    let mut flags = Vec::new();
    if !view.complete {
        if !view.objects.is_empty() {
            flags.push(Flag::Incomplete);
        }
        return flags;
    }
    let kind = view.kind.as_deref().unwrap_or("logo");
    if kind == "placeholder" {
        flags.push(if view.reason.as_deref() == Some("blocked") {
            Flag::Blocked
        } else {
            Flag::Placeholder
        });
    }
    let largest = view.objects.iter().map(|o| o.size).max().unwrap_or(0);
    let raster = view
        .source_format
        .as_deref()
        .is_some_and(|f| !f.eq_ignore_ascii_case("svg"));
    if let (true, Some(width), Some(height)) = (raster, view.source_width, view.source_height) {
        if width.max(height) < largest {
            flags.push(Flag::Upscaled);
        }
    }
    if view
        .content_aspect
        .is_some_and(|a| a >= SQUEEZED_ASPECT || a <= 1.0 / SQUEEZED_ASPECT)
    {
        flags.push(Flag::Squeezed);
    }
    if kind == "manual" || view.pinned {
        flags.push(Flag::Manual);
    }
    flags.sort();
    flags
}

/// The `logofill logo` commands that fix a set, most likely first.
pub fn fix_commands(set: &ReviewedSet, target: &FixTarget, sizes: &[u32]) -> Vec<String> {
    let company = &set.view.company_id;
    let mut tail = target.args();
    if sizes != DEFAULT_SIZES.as_slice() {
        let sizes: Vec<String> = sizes.iter().map(u32::to_string).collect();
        let _ = write!(tail, " --sizes {}", sizes.join(","));
    }
    let command = |action: &str, extra: &str| {
        format!("logofill logo {action} --company {company}{extra} {tail}")
    };
    let has = |flag| set.flags.contains(&flag);
    if has(Flag::Incomplete) {
        vec![command("refresh", ""), command("delete", "")]
    } else if has(Flag::Blocked) {
        vec![command("set", " --url URL"), command("set", " FILE")]
    } else if has(Flag::Placeholder) {
        vec![command("refresh", ""), command("set", " FILE")]
    } else if has(Flag::Manual) {
        vec![command("unpin", ""), command("set", " FILE")]
    } else {
        vec![command("reject", ""), command("set", " FILE")]
    }
}

/// The kinds the filter offers, and what a card's kind is filed under.
const KINDS: [&str; 3] = ["logo", "placeholder", "manual"];

fn kind_class(view: &SetView) -> &'static str {
    match view.kind.as_deref() {
        None => "none",
        Some(kind) => KINDS
            .iter()
            .find(|k| **k == kind)
            .copied()
            .unwrap_or("other"),
    }
}

/// The whole page: one HTML document with nothing outside it.
pub fn render_html(review: &Review, target: &FixTarget) -> String {
    let mut page = String::with_capacity(4096 + review.sets.len() * 4096);
    let bucket = html(&target.name()).into_owned();
    let _ = write!(
        page,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>logofill review: {bucket}</title>\n<style>{STYLE}</style></head>\n<body>\n<header>\n\
         <h1>logofill review <span class=\"bucket\">{bucket}</span></h1>\n"
    );
    let sizes: Vec<String> = review.sizes.iter().map(u32::to_string).collect();
    let _ = writeln!(
        page,
        "<p class=\"about\">{} sets, read {} (sizes {} px).</p>",
        review.sets.len(),
        review
            .generated_at
            .to_rfc3339_opts(SecondsFormat::Secs, true),
        sizes.join(", ")
    );
    if review.truncated {
        let _ = writeln!(
            page,
            "<p class=\"note\" id=\"limit-note\">More companies are stored: this page shows the \
             first {} in key order. Ask for more with a larger limit (<code>--limit N</code>, \
             <code>?limit=N</code> on <code>/dev/review</code>; at most {MAX_LIMIT}).</p>",
            review.limit
        );
    }
    if review.odd_keys > 0 {
        let _ = writeln!(
            page,
            "<p class=\"note\" id=\"odd-keys\">{} keys under <code>{LOGO_PREFIX}</code> do not \
             name a company id and are left out.</p>",
            review.odd_keys
        );
    }
    filters(&mut page, review);
    page.push_str("</header>\n<main id=\"sets\">\n");
    for set in &review.sets {
        card(&mut page, set, review, target);
    }
    if review.sets.is_empty() {
        page.push_str("<p class=\"empty\">No logo sets are stored.</p>\n");
    }
    let _ = write!(page, "</main>\n<script>{SCRIPT}</script>\n</body></html>\n");
    page
}

fn filters(page: &mut String, review: &Review) {
    page.push_str(
        "<form id=\"filters\" onsubmit=\"return false\">\n<fieldset><legend>kind</legend>",
    );
    let count_kind = |kind: &str| {
        review
            .sets
            .iter()
            .filter(|s| kind_class(&s.view) == kind)
            .count()
    };
    for kind in KINDS.iter().chain(&["other", "none"]) {
        let count = count_kind(kind);
        if count == 0 && !KINDS.contains(kind) {
            continue;
        }
        let label = match *kind {
            "none" => "no sentinel",
            other => other,
        };
        let _ = write!(
            page,
            "<label><input type=\"checkbox\" name=\"kind\" value=\"{kind}\" checked> {label} \
             <span class=\"count\">{count}</span></label>"
        );
    }
    page.push_str("</fieldset>\n<fieldset><legend>flags (any of)</legend>");
    for flag in Flag::ALL {
        let _ = write!(
            page,
            "<label title=\"{}\"><input type=\"checkbox\" name=\"flag\" value=\"{}\"> {} \
             <span class=\"count\">{}</span></label>",
            flag.meaning(),
            flag.name(),
            flag.name(),
            review.count(flag)
        );
    }
    let clean = review.sets.iter().filter(|s| s.flags.is_empty()).count();
    let _ = write!(
        page,
        "<label title=\"sets without any flag\"><input type=\"checkbox\" name=\"flag\" \
         value=\"none\"> no flag <span class=\"count\">{clean}</span></label></fieldset>\n\
         <label class=\"search\">company id <input type=\"search\" id=\"company-filter\" \
         autocomplete=\"off\" spellcheck=\"false\"></label> <output id=\"shown\"></output>\n\
         </form>\n"
    );
}

fn card(page: &mut String, set: &ReviewedSet, review: &Review, target: &FixTarget) {
    let view = &set.view;
    let id = html(&view.company_id);
    let flags: Vec<&str> = set.flags.iter().map(|f| f.name()).collect();
    let _ = write!(
        page,
        "<article class=\"set\" id=\"set-{id}\" data-id=\"{id}\" data-kind=\"{}\" \
         data-flags=\"{}\">\n<div class=\"thumb\">",
        kind_class(view),
        flags.join(" ")
    );
    match &set.thumbnail {
        Thumbnail::Png(bytes) => {
            let _ = write!(
                page,
                "<img src=\"data:image/png;base64,{}\" alt=\"{id}\" width=\"64\" height=\"64\">",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            );
        }
        Thumbnail::Missing { key } => {
            let _ = write!(page, "<p>no thumbnail: {} is not stored</p>", html(key));
        }
        Thumbnail::TooLarge { key } => {
            let _ = write!(
                page,
                "<p>no thumbnail: {} is over the {} KiB cap</p>",
                html(key),
                THUMBNAIL_MAX_BYTES / 1024
            );
        }
        Thumbnail::NotPng { key } => {
            let _ = write!(page, "<p>no thumbnail: {} is not a PNG</p>", html(key));
        }
    }
    let kind = view.kind.as_deref().unwrap_or("no sentinel");
    let _ = write!(
        page,
        "</div>\n<div class=\"facts\"><h2>{id}</h2>\n<p class=\"tags\"><span class=\"kind\">{}</span>",
        html(kind)
    );
    for flag in &set.flags {
        let _ = write!(
            page,
            " <span class=\"flag flag-{0}\" title=\"{1}\">{0}</span>",
            flag.name(),
            flag.meaning()
        );
    }
    page.push_str("</p>\n<dl>");
    let mut fact = |label: &str, value: String| {
        let _ = write!(page, "<dt>{label}</dt><dd>{value}</dd>");
    };
    if let Some(reason) = &view.reason {
        fact("reason", html(reason).into_owned());
    }
    if let Some(url) = &view.source_url {
        fact(
            "source",
            format!("<code class=\"url\">{}</code>", html(url)),
        );
    }
    if let Some(format) = &view.source_format {
        let mut source = html(format).into_owned();
        if let (Some(w), Some(h)) = (view.source_width, view.source_height) {
            let _ = write!(source, ", {w}\u{d7}{h} px");
        }
        fact("source file", source);
    }
    if let Some(aspect) = view.content_aspect {
        fact("mark aspect", format!("{aspect:.2}"));
    }
    if let Some(at) = view.stored_at {
        fact(
            "stored",
            format!(
                "<time datetime=\"{0}\" title=\"{0}\">{1}</time>",
                at.to_rfc3339_opts(SecondsFormat::Secs, true),
                age(review.generated_at, at)
            ),
        );
    }
    if let Some(version) = &view.pipeline_version {
        fact("pipeline", html(version).into_owned());
    }
    if !set.shared_with.is_empty() {
        const SHOWN: usize = 8;
        let mut others: Vec<String> = set
            .shared_with
            .iter()
            .take(SHOWN)
            .map(|c| html(c).into_owned())
            .collect();
        if set.shared_with.len() > SHOWN {
            others.push(format!("and {} more", set.shared_with.len() - SHOWN));
        }
        fact("same source as", others.join(", "));
    }
    if let Some(sha) = view.source_sha256.as_deref().filter(|_| view.complete) {
        let short: String = sha.chars().take(16).collect();
        fact("source sha256", format!("<code>{}</code>", html(&short)));
    }
    // One line per command; a line wraps only between words (each word is a nowrap span), so
    // `--bucket-dir` never breaks at its hyphen, and copying gives the command as printed.
    page.push_str("</dl>\n<div class=\"fix\">");
    for command in fix_commands(set, target, &review.sizes) {
        let words: Vec<String> = command
            .split(' ')
            .map(|word| format!("<span>{}</span>", html(word)))
            .collect();
        let _ = write!(page, "<code>{}</code>", words.join(" "));
    }
    page.push_str("</div></div>\n</article>\n");
}

/// How long ago `at` was, in the largest unit that keeps it a whole number worth reading.
fn age(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let seconds = (now - at).num_seconds();
    match seconds {
        s if s < 0 => "in the future".into(),
        s if s < 60 => "just now".into(),
        s if s < 3600 => format!("{} min ago", s / 60),
        s if s < 2 * 86_400 => format!("{} h ago", s / 3600),
        s => format!("{} d ago", s / 86_400),
    }
}

/// `s` safe in HTML text and in a quoted attribute. Control characters and bidi overrides,
/// which could hide or reorder what a reviewer reads, are shown as `\u{..}` escapes.
pub fn html(s: &str) -> Cow<'_, str> {
    let special = |c: char| {
        matches!(c, '&' | '<' | '>' | '"' | '\'')
            || c.is_control()
            || matches!(
                c,
                '\u{061C}'
                    | '\u{200E}'
                    | '\u{200F}'
                    | '\u{202A}'..='\u{202E}'
                    | '\u{2066}'..='\u{2069}'
                    | '\u{2028}'
                    | '\u{2029}'
            )
    };
    if !s.chars().any(special) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if special(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `s` as one POSIX shell word.
fn shell_quote(s: &str) -> Cow<'_, str> {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@,+%".contains(&b));
    if plain {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(format!("'{}'", s.replace('\'', r"'\''")))
    }
}

/// Nothing may be fetched: images are `data:` URIs, style and script are inline.
const CSP: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; \
                   script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

const STYLE: &str = r#"
:root { font: 14px/1.4 system-ui, sans-serif; color: #1d1d1f; background: #f4f4f6; }
body { margin: 0; }
header { position: sticky; top: 0; z-index: 1; background: #fff; border-bottom: 1px solid #ddd; padding: 8px 16px; }
h1 { font-size: 18px; margin: 0 0 4px; }
h1 .bucket { font-weight: normal; color: #555; font-family: ui-monospace, monospace; font-size: 14px; }
.about { margin: 0 0 4px; color: #555; }
.note { margin: 4px 0; padding: 4px 8px; background: #fff4d6; border: 1px solid #e8c468; border-radius: 4px; }
form { display: flex; flex-wrap: wrap; gap: 6px 16px; align-items: center; }
fieldset { border: 0; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 4px 10px; }
legend { float: left; font-weight: 600; margin-right: 6px; }
.count { color: #777; font-size: 12px; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 10px; padding: 12px 16px; }
[hidden] { display: none !important; }
.set { display: flex; gap: 10px; background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 10px; min-width: 0; }
.thumb { flex: 0 0 64px; width: 64px; height: 64px; background: repeating-conic-gradient(#eee 0 25%, #fff 0 50%) 0 0 / 16px 16px; border: 1px solid #ddd; }
.thumb img { display: block; width: 64px; height: 64px; }
.thumb p { margin: 0; padding: 2px; font-size: 10px; line-height: 1.2; color: #a00; overflow-wrap: anywhere; background: #fff; height: 60px; overflow: hidden; }
.facts { min-width: 0; flex: 1; }
h2 { font-size: 15px; margin: 0; font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
.tags { margin: 2px 0 4px; display: flex; flex-wrap: wrap; gap: 4px; }
.kind, .flag { font-size: 11px; padding: 0 6px; border-radius: 8px; background: #e6e6ea; }
.flag { background: #ffe0e0; color: #8a1010; }
.flag-manual { background: #e0ecff; color: #123f8a; }
.flag-shared-source, .flag-upscaled, .flag-squeezed { background: #fff0cc; color: #6b4a00; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0 8px; margin: 0 0 6px; font-size: 12px; }
dt { color: #666; }
dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
code { font-family: ui-monospace, monospace; font-size: 12px; }
.url { unicode-bidi: isolate; direction: ltr; }
.fix { padding: 4px 6px; background: #f6f6f8; border-radius: 4px; }
.fix code { display: block; font-size: 11px; padding-left: 2em; text-indent: -2em; }
.fix span { white-space: nowrap; }
.empty { grid-column: 1 / -1; color: #555; }
"#;

/// The filters: cards whose kind is ticked, with any ticked flag (all when none is), whose id
/// contains the text.
const SCRIPT: &str = r#"
(function () {
  var cards = Array.prototype.slice.call(document.querySelectorAll('article.set'));
  var form = document.getElementById('filters');
  var text = document.getElementById('company-filter');
  var shown = document.getElementById('shown');
  function ticked(name) {
    return Array.prototype.slice.call(form.querySelectorAll('input[name="' + name + '"]:checked'))
      .map(function (box) { return box.value; });
  }
  function apply() {
    var kinds = ticked('kind'), flags = ticked('flag'), wanted = text.value.trim().toLowerCase();
    var visible = 0;
    cards.forEach(function (card) {
      var own = card.dataset.flags ? card.dataset.flags.split(' ') : ['none'];
      var show = kinds.indexOf(card.dataset.kind) >= 0
        && (flags.length === 0 || flags.some(function (f) { return own.indexOf(f) >= 0; }))
        && card.dataset.id.toLowerCase().indexOf(wanted) >= 0;
      card.hidden = !show;
      if (show) visible += 1;
    });
    shown.textContent = 'showing ' + visible + ' of ' + cards.length;
  }
  form.addEventListener('input', apply);
  form.addEventListener('change', apply);
  apply();
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use logofill_core::store::{MemoryStore, StoredObject};

    const SIZES: [u32; 3] = [64, 128, 256];

    fn block<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-06-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    /// A 1x1 PNG: the signature is what the page checks.
    fn png() -> Vec<u8> {
        let mut bytes = PNG_SIGNATURE.to_vec();
        bytes.extend_from_slice(b"rest of a png");
        bytes
    }

    /// A whole set for `company` (the sentinel last) with `metadata` on the sentinel.
    fn store_set(store: &MemoryStore, company: &str, metadata: &[(&str, &str)]) {
        for size in SIZES {
            for format in ["webp", "png"] {
                let sentinel = size == 256 && format == "png";
                let object = StoredObject {
                    key: format!("logos/{company}/{size}.{format}"),
                    bytes: png(),
                    content_type: format!("image/{format}"),
                    cache_control: "public, max-age=86400".into(),
                    metadata: if sentinel {
                        metadata
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.to_string()))
                            .collect()
                    } else {
                        BTreeMap::new()
                    },
                };
                block(store.put(object)).unwrap();
            }
        }
    }

    fn logo(sha: &str) -> Vec<(&'static str, String)> {
        vec![
            ("kind", "logo".into()),
            ("source-url", "https://example.com/logo.svg".into()),
            ("source-sha256", sha.into()),
            ("source-format", "svg".into()),
            ("source-width", "100".into()),
            ("source-height", "100".into()),
            ("content-aspect", "1.00".into()),
            ("pipeline-version", "3".into()),
            ("stored-at", "2025-05-20T12:00:00Z".into()),
        ]
    }

    fn with(
        mut base: Vec<(&'static str, String)>,
        changes: &[(&'static str, &str)],
    ) -> Vec<(&'static str, String)> {
        for (name, value) in changes {
            base.retain(|(k, _)| k != name);
            base.push((name, value.to_string()));
        }
        base
    }

    fn put_set(store: &MemoryStore, company: &str, metadata: Vec<(&'static str, String)>) {
        let pairs: Vec<(&str, &str)> = metadata.iter().map(|(k, v)| (*k, v.as_str())).collect();
        store_set(store, company, &pairs);
    }

    /// A store with one set for every flag, and one with none.
    fn every_flag() -> Arc<MemoryStore> {
        let store = MemoryStore::new();
        put_set(&store, "clean", logo("aa01"));
        put_set(
            &store,
            "nologo",
            vec![("kind", "placeholder".into()), ("reason", "no-logo".into())],
        );
        put_set(
            &store,
            "walled",
            vec![("kind", "placeholder".into()), ("reason", "blocked".into())],
        );
        put_set(
            &store,
            "tiny",
            with(
                logo("aa02"),
                &[
                    ("source-format", "png"),
                    ("source-width", "32"),
                    ("source-height", "16"),
                ],
            ),
        );
        // A raster as large as the largest size is not upscaled; an SVG never is.
        put_set(
            &store,
            "bigraster",
            with(
                logo("aa03"),
                &[
                    ("source-format", "png"),
                    ("source-width", "256"),
                    ("source-height", "100"),
                ],
            ),
        );
        put_set(
            &store,
            "smallsvg",
            with(
                logo("aa04"),
                &[("source-width", "16"), ("source-height", "16")],
            ),
        );
        put_set(&store, "twin-a", logo("cafe"));
        put_set(&store, "twin-b", logo("cafe"));
        put_set(
            &store,
            "wide",
            with(logo("aa05"), &[("content-aspect", "3.00")]),
        );
        put_set(
            &store,
            "tall",
            with(logo("aa06"), &[("content-aspect", "0.33")]),
        );
        put_set(
            &store,
            "almost",
            with(logo("aa07"), &[("content-aspect", "2.99")]),
        );
        put_set(
            &store,
            "pinned",
            with(logo("aa08"), &[("kind", "manual"), ("pinned", "true")]),
        );
        // Half a set: no sentinel.
        block(store.put(StoredObject {
            key: "logos/half/64.png".into(),
            bytes: png(),
            content_type: "image/png".into(),
            cache_control: String::new(),
            metadata: BTreeMap::new(),
        }))
        .unwrap();
        Arc::new(store)
    }

    fn flags_of(review: &Review) -> BTreeMap<String, Vec<&'static str>> {
        review
            .sets
            .iter()
            .map(|s| {
                (
                    s.view.company_id.clone(),
                    s.flags.iter().map(|f| f.name()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn every_flag_is_computed_from_the_stored_metadata() {
        let review = block(collect(every_flag(), &SIZES, 100, now())).unwrap();
        let flags = flags_of(&review);
        let expected: BTreeMap<String, Vec<&str>> = [
            ("almost", vec![]),
            ("bigraster", vec![]),
            ("clean", vec![]),
            ("half", vec!["incomplete"]),
            ("nologo", vec!["placeholder"]),
            ("pinned", vec!["manual"]),
            ("smallsvg", vec![]),
            ("tall", vec!["squeezed"]),
            ("tiny", vec!["upscaled"]),
            ("twin-a", vec!["shared-source"]),
            ("twin-b", vec!["shared-source"]),
            ("walled", vec!["blocked"]),
            ("wide", vec!["squeezed"]),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(flags, expected);
        let ids: Vec<&str> = review
            .sets
            .iter()
            .map(|s| s.view.company_id.as_str())
            .collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted, "key order");
        let twin = review
            .sets
            .iter()
            .find(|s| s.view.company_id == "twin-a")
            .unwrap();
        assert_eq!(twin.shared_with, ["twin-b"]);
        assert!(!review.truncated);
        assert_eq!(
            review.summary(),
            "13 sets (1 placeholder, 1 blocked, 1 upscaled, 2 shared-source, 2 squeezed, 1 manual, 1 incomplete)"
        );
        for set in &review.sets {
            assert_eq!(
                set.thumbnail,
                Thumbnail::Png(png()),
                "{}",
                set.view.company_id
            );
        }
    }

    #[test]
    fn a_shared_source_counts_only_sets_on_the_page() {
        let store = MemoryStore::new();
        put_set(&store, "a-first", logo("beef"));
        put_set(&store, "b-second", logo("beef"));
        let store = Arc::new(store);
        let one = block(collect(store.clone(), &SIZES, 1, now())).unwrap();
        assert_eq!(one.sets.len(), 1);
        assert!(one.sets[0].flags.is_empty(), "its twin is not on the page");
        let both = block(collect(store, &SIZES, 2, now())).unwrap();
        assert_eq!(both.count(Flag::SharedSource), 2);
    }

    #[test]
    fn the_limit_stops_the_listing_and_the_page_says_so() {
        let store = MemoryStore::new();
        for i in 0..30 {
            put_set(&store, &format!("company-{i:02}"), logo(&format!("{i:04}")));
        }
        // Not a company id: counted and skipped.
        block(store.put(StoredObject {
            key: "logos/bad id/64.png".into(),
            bytes: png(),
            content_type: "image/png".into(),
            cache_control: String::new(),
            metadata: BTreeMap::new(),
        }))
        .unwrap();
        let store = Arc::new(store);
        let cut = block(collect(store.clone(), &SIZES, 12, now())).unwrap();
        assert_eq!(cut.sets.len(), 12);
        assert!(cut.truncated);
        assert_eq!(cut.sets[11].view.company_id, "company-11");
        let target = FixTarget::Bucket("logos".into());
        let page = render_html(&cut, &target);
        assert!(
            page.contains("id=\"limit-note\""),
            "the page says the list was cut"
        );
        assert!(page.contains("first 12 in key order"));
        assert_eq!(page.matches("<article ").count(), 12);

        // Exactly as many companies as the limit: nothing was cut.
        let exact = block(collect(store.clone(), &SIZES, 30, now())).unwrap();
        assert_eq!(exact.sets.len(), 30);
        assert!(!exact.truncated);
        assert_eq!(exact.odd_keys, 1);
        let page = render_html(&exact, &target);
        assert!(!page.contains("id=\"limit-note\""));
        assert!(page.contains("id=\"odd-keys\""));

        // The limit is clamped to what a page may hold.
        let zero = block(collect(store, &SIZES, 0, now())).unwrap();
        assert_eq!((zero.sets.len(), zero.limit), (1, 1));
        assert_eq!(
            block(collect(
                Arc::new(MemoryStore::new()),
                &SIZES,
                usize::MAX,
                now()
            ))
            .unwrap()
            .limit,
            MAX_LIMIT
        );
    }

    #[test]
    fn a_listing_of_many_pages_finds_every_company_once() {
        // 1,000 keys a page and 6 keys a set: companies span page boundaries.
        let store = MemoryStore::new();
        for i in 0..400 {
            put_set(
                &store,
                &format!("c{i:04}"),
                vec![("kind", "placeholder".into())],
            );
        }
        let review = block(collect(Arc::new(store), &SIZES, 2000, now())).unwrap();
        assert_eq!(review.sets.len(), 400);
        assert_eq!(review.count(Flag::Placeholder), 400);
        assert!(!review.truncated);
    }

    #[test]
    fn a_thumbnail_over_the_cap_or_not_a_png_is_not_embedded() {
        let store = MemoryStore::new();
        put_set(&store, "big", logo("01"));
        put_set(&store, "fake", logo("02"));
        put_set(&store, "edge", logo("03"));
        let object = |key: &str, bytes: Vec<u8>| StoredObject {
            key: key.into(),
            bytes,
            content_type: "image/png".into(),
            cache_control: String::new(),
            metadata: BTreeMap::new(),
        };
        let mut big = png();
        big.resize(THUMBNAIL_MAX_BYTES as usize + 1, 0);
        let mut edge = png();
        edge.resize(THUMBNAIL_MAX_BYTES as usize, 0);
        block(store.put(object("logos/big/64.png", big))).unwrap();
        block(store.put(object("logos/edge/64.png", edge.clone()))).unwrap();
        block(store.put(object(
            "logos/fake/64.png",
            b"<svg onload=alert(1)>".to_vec(),
        )))
        .unwrap();
        let review = block(collect(Arc::new(store), &SIZES, 10, now())).unwrap();
        let thumb = |id: &str| {
            review
                .sets
                .iter()
                .find(|s| s.view.company_id == id)
                .unwrap()
                .thumbnail
                .clone()
        };
        assert_eq!(
            thumb("big"),
            Thumbnail::TooLarge {
                key: "logos/big/64.png".into()
            }
        );
        assert_eq!(
            thumb("edge"),
            Thumbnail::Png(edge),
            "at the cap is embedded"
        );
        assert_eq!(
            thumb("fake"),
            Thumbnail::NotPng {
                key: "logos/fake/64.png".into()
            }
        );
        let page = render_html(&review, &FixTarget::Bucket("logos".into()));
        assert!(page.contains("no thumbnail: logos/big/64.png is over the 64 KiB cap"));
        assert!(page.contains("no thumbnail: logos/fake/64.png is not a PNG"));
        assert!(!page.contains("onload"));
    }

    #[test]
    fn hostile_metadata_is_escaped_and_the_source_is_never_a_link() {
        let store = MemoryStore::new();
        let hostile = "https://evil.example/x.png\"><script>alert(1)</script><img src=https://evil.example/t.gif onerror=alert(2)>";
        put_set(
            &store,
            "acme",
            with(
                logo("<b>sha</b>"),
                &[
                    ("source-url", hostile),
                    ("kind", "<script>kind</script>"),
                    ("reason", "'><iframe src=//evil.example>"),
                    ("source-format", "png\"onmouseover=\"x"),
                    ("pipeline-version", "3</dd><a href=https://evil.example>"),
                    ("stored-at", "not a time"),
                ],
            ),
        );
        put_set(
            &store,
            "bidi",
            with(
                logo("ff"),
                &[("source-url", "https://a.example/\u{202e}gpj.exe\u{1b}[2J")],
            ),
        );
        let review = block(collect(Arc::new(store), &SIZES, 10, now())).unwrap();
        let page = render_html(&review, &FixTarget::BucketDir("/tmp/it's <here>".into()));
        // The only markup is the page's own: one script element, no other element a value named.
        assert_eq!(page.matches("<script").count(), 1, "{page}");
        for needle in ["<iframe", "<img src=https", "<a ", "<b>", "onmouseover=\""] {
            assert!(!page.contains(needle), "{needle} in the page");
        }
        assert!(page
            .contains("https://evil.example/x.png&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("&lt;script&gt;kind&lt;/script&gt;"));
        assert!(page.contains("https://a.example/\\u{202e}gpj.exe\\u{1b}[2J"));
        // The only images are the thumbnails, as data: URIs.
        assert_eq!(page.matches("<img ").count(), 2);
        assert_eq!(page.matches("<img src=\"data:image/png;base64,").count(), 2);
        // A folder with a quote is one shell word, escaped for HTML.
        let words = page.replace("<span>", "").replace("</span>", "");
        assert!(
            words.contains("--bucket-dir &#39;/tmp/it&#39;\\&#39;&#39;s &lt;here&gt;&#39;</code>")
        );
        // A stored-at that is not a time falls back to the object's time, never shown raw.
        assert!(!page.contains("not a time"));
    }

    #[test]
    fn each_card_names_the_commands_that_fix_it_with_the_bucket_it_came_from() {
        let review = block(collect(every_flag(), &SIZES, 100, now())).unwrap();
        let set = |id: &str| {
            review
                .sets
                .iter()
                .find(|s| s.view.company_id == id)
                .unwrap()
        };
        let s3 = FixTarget::Bucket("my-logos".into());
        assert_eq!(
            fix_commands(set("nologo"), &s3, &review.sizes),
            [
                "logofill logo refresh --company nologo --bucket my-logos",
                "logofill logo set --company nologo FILE --bucket my-logos",
            ]
        );
        let dir = FixTarget::BucketDir(".logofill-dev/bucket".into());
        assert_eq!(
            fix_commands(set("walled"), &dir, &review.sizes)[0],
            "logofill logo set --company walled --url URL --bucket-dir .logofill-dev/bucket"
        );
        for id in ["tiny", "wide", "twin-a", "clean"] {
            assert_eq!(
                fix_commands(set(id), &s3, &review.sizes)[0],
                format!("logofill logo reject --company {id} --bucket my-logos")
            );
        }
        assert_eq!(
            fix_commands(set("pinned"), &s3, &review.sizes)[0],
            "logofill logo unpin --company pinned --bucket my-logos"
        );
        assert_eq!(
            fix_commands(set("half"), &s3, &[64, 128])[0],
            "logofill logo refresh --company half --bucket my-logos --sizes 64,128"
        );
        let page = render_html(&review, &s3);
        assert!(page.contains(
            "<code><span>logofill</span> <span>logo</span> <span>unpin</span> \
             <span>--company</span> <span>pinned</span> <span>--bucket</span> \
             <span>my-logos</span></code>"
        ));
        assert!(page.contains("data-flags=\"shared-source\""));
        assert!(
            page.contains("data-kind=\"none\""),
            "the half set has no kind"
        );
        assert!(page.contains("title=\"2025-05-20T12:00:00Z\">12 d ago</time>"));
    }

    #[test]
    fn the_page_asks_for_nothing_outside_itself() {
        let review = block(collect(every_flag(), &SIZES, 100, now())).unwrap();
        let page = render_html(&review, &FixTarget::Bucket("logos".into()));
        assert!(page.contains(&format!("content=\"{CSP}\"")));
        // Without the source URLs (text), nothing names a place outside the page.
        let mut rest = page.as_str();
        let mut outside_urls = String::new();
        while let Some(start) = rest.find("<code class=\"url\">") {
            outside_urls.push_str(&rest[..start]);
            let end = rest[start..].find("</code>").expect("closed") + start;
            rest = &rest[end..];
        }
        outside_urls.push_str(rest);
        for needle in [
            "http:", "https:", "<link", "<iframe", "url(", "@import", "href=",
        ] {
            assert!(!outside_urls.contains(needle), "{needle} in the page");
        }
        assert_eq!(page.matches("src=").count(), review.sets.len());
        assert_eq!(
            page.matches("<img src=\"data:image/png;base64,").count(),
            review.sets.len()
        );
    }

    #[test]
    fn ages_read_in_whole_units() {
        let at = |s: i64| now() - chrono::Duration::seconds(s);
        assert_eq!(age(now(), at(-5)), "in the future");
        assert_eq!(age(now(), at(59)), "just now");
        assert_eq!(age(now(), at(60)), "1 min ago");
        assert_eq!(age(now(), at(3600)), "1 h ago");
        assert_eq!(age(now(), at(2 * 86_400 - 1)), "47 h ago");
        assert_eq!(age(now(), at(2 * 86_400)), "2 d ago");
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_quote("my-logos.bucket"), "my-logos.bucket");
        assert_eq!(shell_quote("/tmp/a b"), "'/tmp/a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(shell_quote(""), "''");
    }
}

//! A stored logo set as an operator sees it, read through the store port: one HEAD per object
//! (`logos/{id}/{size}.{png,webp}`), the set's facts from the sentinel's metadata (the largest
//! PNG, written last, so its presence means the set is complete).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::company::CompanyId;
use crate::store::{object_key, LogoStore, StoreError};

/// The names of the sentinel's metadata entries (S3 user metadata, `x-amz-meta-*`). Every
/// object of a set carries the pipeline's entries; the refresh entries are on the sentinel.
pub mod meta {
    /// `logo`, `placeholder` or `manual`.
    pub const KIND: &str = "kind";
    /// A placeholder's reason: `no-logo` or `blocked`.
    pub const REASON: &str = "reason";
    pub const SOURCE_URL: &str = "source-url";
    pub const SOURCE_SHA256: &str = "source-sha256";
    pub const SOURCE_FORMAT: &str = "source-format";
    pub const SOURCE_WIDTH: &str = "source-width";
    pub const SOURCE_HEIGHT: &str = "source-height";
    /// Width over height of the visible mark, two decimals.
    pub const CONTENT_ASPECT: &str = "content-aspect";
    pub const PIPELINE_VERSION: &str = "pipeline-version";
    /// The perceptual hash of the largest PNG: 16 hex digits of shape, 6 of mean colour.
    pub const PHASH: &str = "phash";
    /// When the set's images were written (RFC 3339). A metadata update keeps it; the object's
    /// Last-Modified does not (S3 changes it on every copy).
    pub const STORED_AT: &str = "stored-at";
    /// When the set was last looked at by a worker (stored or re-checked), RFC 3339.
    pub const CHECKED_AT: &str = "checked-at";
    /// Looks for a logo that found none, since the placeholder was first stored.
    pub const ATTEMPTS: &str = "attempts";
    /// The day the set is filed under in the refresh index (`YYYY-MM-DD`); absent: not filed.
    pub const REFRESH_DUE: &str = "refresh-due";
    /// The source's validators, sent back on a refresh (`If-None-Match`, `If-Modified-Since`).
    pub const SOURCE_ETAG: &str = "source-etag";
    pub const SOURCE_LAST_MODIFIED: &str = "source-last-modified";
    /// Sources an operator rejected for this company: comma-separated 16-hex-digit prefixes of
    /// their sha256, newest last.
    pub const REJECTED: &str = "rejected";
    /// `true`: neither the worker nor a refresh replaces the set.
    pub const PINNED: &str = "pinned";
}

/// An RFC 3339 time in a sentinel's metadata (`stored-at`, `checked-at`); `None` when absent
/// or not a time.
pub fn time_of(metadata: &BTreeMap<String, String>, name: &str) -> Option<DateTime<Utc>> {
    let value = metadata.get(name)?;
    DateTime::parse_from_rfc3339(value)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// When a set was last looked at: `checked-at`, else `stored-at`, else the sentinel's
/// Last-Modified (sets written before those entries existed).
pub fn last_look(
    metadata: &BTreeMap<String, String>,
    last_modified: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    time_of(metadata, meta::CHECKED_AT)
        .or_else(|| time_of(metadata, meta::STORED_AT))
        .or(last_modified)
}

/// Rejected sources kept per company; the oldest is forgotten first.
pub const MAX_REJECTED: usize = 8;
/// Digits of a rejected source's sha256 that are kept (64 bits: no accidental match).
pub const REJECTED_PREFIX_LEN: usize = 16;

/// The rejected source prefixes of a sentinel's metadata.
pub fn rejected_of(metadata: &BTreeMap<String, String>) -> Vec<String> {
    metadata
        .get(meta::REJECTED)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|p| p.len() == REJECTED_PREFIX_LEN)
                .map(str::to_ascii_lowercase)
                .collect()
        })
        .unwrap_or_default()
}

/// `metadata` with `sha256` (a full hex digest) added to its rejected sources.
pub fn with_rejected(metadata: &BTreeMap<String, String>, sha256: &str) -> Vec<String> {
    let mut rejected = rejected_of(metadata);
    let prefix: String = sha256
        .chars()
        .take(REJECTED_PREFIX_LEN)
        .collect::<String>()
        .to_ascii_lowercase();
    rejected.retain(|p| *p != prefix);
    rejected.push(prefix);
    let excess = rejected.len().saturating_sub(MAX_REJECTED);
    rejected.drain(..excess);
    rejected
}

/// Whether `sha256` (a full hex digest) is one of `rejected`.
pub fn is_rejected(rejected: &[String], sha256: &str) -> bool {
    sha256.len() >= REJECTED_PREFIX_LEN
        && rejected
            .iter()
            .any(|p| p.eq_ignore_ascii_case(&sha256[..REJECTED_PREFIX_LEN]))
}

/// The formats every set is stored in.
pub const FORMATS: [&str; 2] = ["png", "webp"];

/// One object of a set that is present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetObject {
    pub key: String,
    pub size: u32,
    pub format: &'static str,
    pub bytes: u64,
}

/// What is stored for one company.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetView {
    pub company_id: String,
    /// `logo`, `placeholder` or `manual`, from the sentinel; `None` when no set is complete.
    pub kind: Option<String>,
    /// The sentinel is present: every object of the set was written.
    pub complete: bool,
    /// A placeholder's reason: `no-logo` or `blocked`.
    pub reason: Option<String>,
    pub source_url: Option<String>,
    pub source_sha256: Option<String>,
    pub pipeline_version: Option<String>,
    /// When the set's images were written (`stored-at`, else the sentinel's Last-Modified).
    pub stored_at: Option<DateTime<Utc>>,
    /// When a worker last stored or re-checked the set.
    pub checked_at: Option<DateTime<Utc>>,
    /// Neither the worker nor a refresh replaces a pinned set.
    pub pinned: bool,
    /// What the source file was: `svg`, `png`, ... and its size in pixels.
    pub source_format: Option<String>,
    pub source_width: Option<u32>,
    pub source_height: Option<u32>,
    /// Width over height of the visible mark.
    pub content_aspect: Option<f32>,
    pub phash: Option<String>,
    /// Looks for a logo that found none (placeholders).
    pub attempts: u32,
    /// The day the set is filed under in the refresh index.
    pub refresh_due: Option<String>,
    /// Sources rejected by an operator (sha256 prefixes).
    pub rejected: Vec<String>,
    /// The sentinel's whole metadata, as stored.
    pub metadata: BTreeMap<String, String>,
    /// The objects present, smallest first.
    pub objects: Vec<SetObject>,
}

impl SetView {
    /// Sizes with both formats present.
    pub fn whole_sizes(&self) -> Vec<u32> {
        let mut sizes: Vec<u32> = self.objects.iter().map(|o| o.size).collect();
        sizes.dedup();
        sizes
            .into_iter()
            .filter(|s| self.objects.iter().filter(|o| o.size == *s).count() == FORMATS.len())
            .collect()
    }
}

/// Read the set of `company` for the configured `sizes` (the worker's `LOGOFILL_SIZES`).
pub async fn read_set<S: LogoStore>(
    store: &S,
    company: &CompanyId,
    sizes: &[u32],
) -> Result<SetView, StoreError> {
    let mut sizes = sizes.to_vec();
    sizes.sort_unstable();
    sizes.dedup();
    let largest = sizes.last().copied().unwrap_or(256);
    let mut view = SetView {
        company_id: company.to_string(),
        kind: None,
        complete: false,
        reason: None,
        source_url: None,
        source_sha256: None,
        pipeline_version: None,
        stored_at: None,
        checked_at: None,
        pinned: false,
        source_format: None,
        source_width: None,
        source_height: None,
        content_aspect: None,
        phash: None,
        attempts: 0,
        refresh_due: None,
        rejected: Vec::new(),
        metadata: BTreeMap::new(),
        objects: Vec::new(),
    };
    for size in sizes {
        for format in FORMATS {
            let key = object_key(company, size, format);
            let Some(head) = store.head(&key).await? else {
                continue;
            };
            if size == largest && format == "png" {
                let value = |name: &str| head.metadata.get(name).filter(|v| !v.is_empty()).cloned();
                view.complete = true;
                view.kind = Some(value(meta::KIND).unwrap_or_else(|| "logo".into()));
                view.reason = value(meta::REASON);
                view.source_url = value(meta::SOURCE_URL);
                view.source_sha256 = value(meta::SOURCE_SHA256);
                view.pipeline_version = value(meta::PIPELINE_VERSION);
                view.pinned = value(meta::PINNED).as_deref() == Some("true");
                view.stored_at = time_of(&head.metadata, meta::STORED_AT).or(head.last_modified);
                view.checked_at = time_of(&head.metadata, meta::CHECKED_AT);
                view.source_format = value(meta::SOURCE_FORMAT);
                view.source_width = value(meta::SOURCE_WIDTH).and_then(|v| v.parse().ok());
                view.source_height = value(meta::SOURCE_HEIGHT).and_then(|v| v.parse().ok());
                view.content_aspect = value(meta::CONTENT_ASPECT)
                    .and_then(|v| v.parse().ok())
                    .filter(|a: &f32| a.is_finite() && *a > 0.0);
                view.phash = value(meta::PHASH);
                view.attempts = value(meta::ATTEMPTS)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                view.refresh_due = value(meta::REFRESH_DUE);
                view.rejected = rejected_of(&head.metadata);
                view.metadata = head.metadata.clone();
            }
            view.objects.push(SetObject {
                key,
                size,
                format,
                bytes: head.size,
            });
        }
    }
    Ok(view)
}

/// Delete the set of `company`: the sentinel first, so that from the first call on no reader
/// takes what is left for a complete set, then every other object. Returns the keys deleted.
pub async fn delete_set<S: LogoStore>(
    store: &S,
    company: &CompanyId,
    sizes: &[u32],
) -> Result<Vec<String>, StoreError> {
    let view = read_set(store, company, sizes).await?;
    let largest = view.objects.iter().map(|o| o.size).max();
    let mut keys: Vec<&SetObject> = view.objects.iter().collect();
    // The sentinel (largest PNG) first.
    keys.sort_by_key(|o| !(Some(o.size) == largest && o.format == "png"));
    let mut deleted = Vec::new();
    for object in keys {
        store.delete(&object.key).await?;
        deleted.push(object.key.clone());
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{MemoryStore, StoredObject};

    fn put(store: &MemoryStore, key: &str, metadata: &[(&str, &str)]) {
        let object = StoredObject {
            key: key.into(),
            bytes: b"img".to_vec(),
            content_type: "image/png".into(),
            cache_control: "public, max-age=86400".into(),
            metadata: metadata
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        block(store.put(object)).unwrap();
    }

    fn block<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn a_complete_set_reads_its_facts_from_the_sentinel() {
        let store = MemoryStore::new();
        let acme = CompanyId::parse("acme").unwrap();
        for size in [64, 128] {
            for format in FORMATS {
                put(&store, &object_key(&acme, size, format), &[]);
            }
        }
        put(&store, "logos/acme/256.webp", &[]);
        let partial = block(read_set(&store, &acme, &[64, 128, 256])).unwrap();
        assert!(!partial.complete, "no sentinel: not complete");
        assert_eq!(partial.kind, None);
        assert_eq!(partial.whole_sizes(), [64, 128]);
        put(
            &store,
            "logos/acme/256.png",
            &[
                ("kind", "placeholder"),
                ("reason", "blocked"),
                ("pipeline-version", "3"),
                ("source-url", ""),
            ],
        );
        let view = block(read_set(&store, &acme, &[256, 64, 128])).unwrap();
        assert!(view.complete);
        assert_eq!(view.kind.as_deref(), Some("placeholder"));
        assert_eq!(view.reason.as_deref(), Some("blocked"));
        assert_eq!(view.source_url, None, "empty metadata reads as absent");
        assert!(!view.pinned);
        assert_eq!(view.whole_sizes(), [64, 128, 256]);
        assert_eq!(view.objects.len(), 6);
        let deleted = block(delete_set(&store, &acme, &[64, 128, 256])).unwrap();
        assert_eq!(deleted[0], "logos/acme/256.png", "the sentinel goes first");
        assert_eq!(deleted.len(), 6);
        assert!(block(read_set(&store, &acme, &[64, 128, 256]))
            .unwrap()
            .objects
            .is_empty());
        let nobody = CompanyId::parse("nobody").unwrap();
        let none = block(read_set(&store, &nobody, &[256])).unwrap();
        assert!(!none.complete && none.objects.is_empty());
    }
}

//! A stored logo set as an operator sees it, read through the store port: one HEAD per object
//! (`logos/{id}/{size}.{png,webp}`), the set's facts from the sentinel's metadata (the largest
//! PNG, written last, so its presence means the set is complete).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::company::CompanyId;
use crate::store::{object_key, LogoStore, StoreError};

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// When the sentinel was written.
    pub stored_at: Option<DateTime<Utc>>,
    /// Neither the worker nor a refresh replaces a pinned set.
    pub pinned: bool,
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
        pinned: false,
        objects: Vec::new(),
    };
    for size in sizes {
        for format in FORMATS {
            let key = object_key(company, size, format);
            let Some(head) = store.head(&key).await? else {
                continue;
            };
            if size == largest && format == "png" {
                let meta = |name: &str| head.metadata.get(name).filter(|v| !v.is_empty()).cloned();
                view.complete = true;
                view.kind = Some(meta("kind").unwrap_or_else(|| "logo".into()));
                view.reason = meta("reason");
                view.source_url = meta("source-url");
                view.source_sha256 = meta("source-sha256");
                view.pipeline_version = meta("pipeline-version");
                view.pinned = meta("pinned").as_deref() == Some("true");
                view.stored_at = head.last_modified;
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

//! The logo store port: where rendered logo sets live (S3 in production, a folder in dev).
//!
//! Object layout (design contract): `logos/{company_id}/{size}.png` and `.webp` for each size,
//! each with `Content-Type`, `Cache-Control` and metadata `kind`, `pipeline-version`, and for a
//! logo `source-url` and `source-sha256`, for a placeholder `reason` (`no-logo`, `blocked`).
//! Beside them, `sources/{sha256}`: one empty object per stored source naming the first company
//! stored from it (the shared-source index). The largest variant's PNG is written last, so its
//! presence (one HEAD) means the whole set is there: that is the only existence check the
//! worker makes.

#[cfg(any(test, feature = "contract"))]
pub mod contract;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::company::CompanyId;

/// Every logo object lives under this prefix.
pub const LOGO_PREFIX: &str = "logos/";

/// `logos/{company_id}/{size}.{extension}`.
pub fn object_key(company: &CompanyId, size: u32, extension: &str) -> String {
    format!("{LOGO_PREFIX}{company}/{size}.{extension}")
}

/// One object to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub key: String,
    pub bytes: Vec<u8>,
    pub content_type: String,
    pub cache_control: String,
    /// User metadata (`kind`, `source-url`, ...), names in lower case.
    pub metadata: BTreeMap<String, String>,
}

/// What a HEAD tells about an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectHead {
    pub content_type: String,
    pub cache_control: String,
    pub metadata: BTreeMap<String, String>,
    pub last_modified: Option<DateTime<Utc>>,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Network trouble, throttling, a 5xx: retry later.
    #[error("logo store could not {action} {key}: {detail}")]
    Unavailable {
        action: &'static str,
        key: String,
        detail: String,
    },
    /// Access denied, no such bucket: an operator must act; the message is retried and ends
    /// in the dead-letter queue if nobody does.
    #[error("logo store refused to {action} {key} ({code}): {detail}")]
    Refused {
        action: &'static str,
        key: String,
        code: String,
        detail: String,
    },
}

impl StoreError {
    /// Network trouble, throttling, a 5xx may pass by itself; a refusal (access denied, no such
    /// bucket) needs an operator. Either way the message is not acknowledged: a retryable error
    /// is retried by SQS, a refusal ends in the dead-letter queue for a person.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Unavailable { .. })
    }
}

/// Read and write logo objects.
pub trait LogoStore: Send + Sync {
    /// `Ok(None)` when the object does not exist.
    fn head(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<ObjectHead>, StoreError>> + Send;
    fn put(&self, object: StoredObject) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Remove an object; removing one that is not there is not an error.
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
}

impl<S: LogoStore + ?Sized> LogoStore for std::sync::Arc<S> {
    fn head(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<ObjectHead>, StoreError>> + Send {
        (**self).head(key)
    }
    fn put(&self, object: StoredObject) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).put(object)
    }
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).delete(key)
    }
}

/// The in-memory twin, for tests: keeps objects and the order they were written in.
#[derive(Debug, Default)]
pub struct MemoryStore {
    objects: Mutex<HashMap<String, (StoredObject, DateTime<Utc>)>>,
    order: Mutex<Vec<String>>,
    unavailable: Mutex<bool>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set_unavailable(&self, unavailable: bool) {
        *self.unavailable.lock().unwrap() = unavailable;
    }

    pub fn get(&self, key: &str) -> Option<StoredObject> {
        self.objects
            .lock()
            .unwrap()
            .get(key)
            .map(|(o, _)| o.clone())
    }

    /// Keys in the order they were written.
    pub fn write_order(&self) -> Vec<String> {
        self.order.lock().unwrap().clone()
    }

    /// Pretend an object was written at `at` (to test refresh ages).
    pub fn backdate(&self, key: &str, at: DateTime<Utc>) {
        if let Some(entry) = self.objects.lock().unwrap().get_mut(key) {
            entry.1 = at;
        }
    }

    fn check(&self, action: &'static str, key: &str) -> Result<(), StoreError> {
        if *self.unavailable.lock().unwrap() {
            return Err(StoreError::Unavailable {
                action,
                key: key.to_string(),
                detail: "the in-memory store was told to be unavailable".into(),
            });
        }
        Ok(())
    }
}

impl LogoStore for MemoryStore {
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), StoreError>> + Send {
        let result = self.check("delete", key).map(|()| {
            self.objects.lock().unwrap().remove(key);
        });
        std::future::ready(result)
    }

    fn head(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<ObjectHead>, StoreError>> + Send {
        let result = self.check("read", key).map(|()| {
            self.objects
                .lock()
                .unwrap()
                .get(key)
                .map(|(o, at)| ObjectHead {
                    content_type: o.content_type.clone(),
                    cache_control: o.cache_control.clone(),
                    metadata: o.metadata.clone(),
                    last_modified: Some(*at),
                    size: o.bytes.len() as u64,
                })
        });
        std::future::ready(result)
    }

    fn put(&self, object: StoredObject) -> impl Future<Output = Result<(), StoreError>> + Send {
        let result = self.check("write", &object.key).map(|()| {
            self.order.lock().unwrap().push(object.key.clone());
            self.objects
                .lock()
                .unwrap()
                .insert(object.key.clone(), (object, Utc::now()));
        });
        std::future::ready(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(key: &str) -> StoredObject {
        StoredObject {
            key: key.into(),
            bytes: b"png".to_vec(),
            content_type: "image/png".into(),
            cache_control: "public, max-age=86400".into(),
            metadata: [("kind".to_string(), "logo".to_string())].into(),
        }
    }

    fn block<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn key_layout() {
        assert_eq!(
            object_key(&CompanyId::parse("acme").unwrap(), 256, "png"),
            "logos/acme/256.png"
        );
    }

    #[test]
    fn memory_store_keeps_write_order() {
        let store = MemoryStore::new();
        block(store.put(object("a"))).unwrap();
        block(store.put(object("b"))).unwrap();
        assert_eq!(store.write_order(), ["a", "b"]);
        store.set_unavailable(true);
        assert!(matches!(
            block(store.head("a")),
            Err(StoreError::Unavailable { .. })
        ));
    }
}

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

impl StoredObject {
    /// What a HEAD of this object, written at `at`, says.
    pub fn head(&self, at: DateTime<Utc>) -> ObjectHead {
        ObjectHead {
            content_type: self.content_type.clone(),
            cache_control: self.cache_control.clone(),
            metadata: self.metadata.clone(),
            last_modified: Some(at),
            size: self.bytes.len() as u64,
        }
    }
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

/// One page of keys under a prefix, in key order (S3's `ListObjectsV2` order: UTF-8 bytes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage {
    pub keys: Vec<String>,
    /// More keys may follow: pass this as `after` for the next page.
    pub next: Option<String>,
}

/// Most keys one [`LogoStore::list`] call returns (S3's page size).
pub const MAX_LIST_KEYS: usize = 1000;

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
    /// The bytes and head of an object, `Ok(None)` when it does not exist. An object of more
    /// than `max_bytes` is refused before its body is read.
    fn get(
        &self,
        key: &str,
        max_bytes: u64,
    ) -> impl Future<Output = Result<Option<(Vec<u8>, ObjectHead)>, StoreError>> + Send;
    /// At most `limit` (capped at [`MAX_LIST_KEYS`]) keys under `prefix` that sort after
    /// `after`, in key order: one request.
    fn list(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = Result<ListPage, StoreError>> + Send;
    /// Replace the user metadata of an existing object, keeping its bytes, content type and
    /// cache control (S3: a copy onto itself). A missing object is a `Refused` with code
    /// `NoSuchKey`.
    fn replace_metadata(
        &self,
        key: &str,
        metadata: BTreeMap<String, String>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Remove at most [`MAX_LIST_KEYS`] objects (S3: one `DeleteObjects` request); keys that
    /// are not there are not an error. The first key that could not be removed is the error.
    fn delete_many(&self, keys: &[String]) -> impl Future<Output = Result<(), StoreError>> + Send {
        async move {
            for key in keys.iter().take(MAX_LIST_KEYS) {
                self.delete(key).await?;
            }
            Ok(())
        }
    }
}

/// An object larger than a caller's `max_bytes`: refused, naming the key and the limit.
pub fn too_large(key: &str, size: u64, max_bytes: u64) -> StoreError {
    StoreError::Refused {
        action: "read",
        key: key.to_string(),
        code: "TooLarge".into(),
        detail: format!("the object is {size} bytes, over the limit of {max_bytes}"),
    }
}

/// A missing object where one must exist.
pub fn no_such_key(action: &'static str, key: &str) -> StoreError {
    StoreError::Refused {
        action,
        key: key.to_string(),
        code: "NoSuchKey".into(),
        detail: "the object does not exist".into(),
    }
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
    fn get(
        &self,
        key: &str,
        max_bytes: u64,
    ) -> impl Future<Output = Result<Option<(Vec<u8>, ObjectHead)>, StoreError>> + Send {
        (**self).get(key, max_bytes)
    }
    fn list(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = Result<ListPage, StoreError>> + Send {
        (**self).list(prefix, after, limit)
    }
    fn replace_metadata(
        &self,
        key: &str,
        metadata: BTreeMap<String, String>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).replace_metadata(key, metadata)
    }
    fn delete_many(&self, keys: &[String]) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).delete_many(keys)
    }
}

/// A page of `keys` (sorted, all under the prefix, after `after`) of at most `limit`.
pub fn page_of<'a>(
    keys: impl Iterator<Item = &'a str>,
    prefix: &str,
    after: Option<&str>,
    limit: usize,
) -> ListPage {
    let limit = limit.clamp(1, MAX_LIST_KEYS);
    let mut keys: Vec<String> = keys
        .filter(|k| k.starts_with(prefix) && after.is_none_or(|a| *k > a))
        .map(str::to_string)
        .collect();
    keys.sort();
    let next = (keys.len() > limit).then(|| keys[limit - 1].clone());
    keys.truncate(limit);
    ListPage { keys, next }
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
                .map(|(o, at)| o.head(*at))
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

    fn get(
        &self,
        key: &str,
        max_bytes: u64,
    ) -> impl Future<Output = Result<Option<(Vec<u8>, ObjectHead)>, StoreError>> + Send {
        let result = self.check("read", key).and_then(|()| {
            let objects = self.objects.lock().unwrap();
            let Some((o, at)) = objects.get(key) else {
                return Ok(None);
            };
            if o.bytes.len() as u64 > max_bytes {
                return Err(too_large(key, o.bytes.len() as u64, max_bytes));
            }
            Ok(Some((o.bytes.clone(), o.head(*at))))
        });
        std::future::ready(result)
    }

    fn list(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = Result<ListPage, StoreError>> + Send {
        let result = self.check("list", prefix).map(|()| {
            let objects = self.objects.lock().unwrap();
            page_of(objects.keys().map(String::as_str), prefix, after, limit)
        });
        std::future::ready(result)
    }

    fn replace_metadata(
        &self,
        key: &str,
        metadata: BTreeMap<String, String>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let result = self.check("write", key).and_then(|()| {
            let mut objects = self.objects.lock().unwrap();
            let (object, at) = objects
                .get_mut(key)
                .ok_or_else(|| no_such_key("update the metadata of", key))?;
            object.metadata = metadata;
            *at = Utc::now();
            self.order.lock().unwrap().push(key.to_string());
            Ok(())
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

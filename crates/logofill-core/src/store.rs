//! The logo store port: where rendered logo sets live (S3 in production, a folder in dev).
//!
//! Object layout (design contract): `logos/{company_id}/{size}.png` and `.webp` for each size,
//! each with `Content-Type`, `Cache-Control` and metadata `kind`, `pipeline-version`, and for a
//! logo `source-url` and `source-sha256`, for a placeholder `reason` (`no-logo`, `blocked`).
//! Beside them, `sources/{sha256}`: one empty object per stored source naming the first company
//! stored from it (the shared-source index). The largest variant's PNG is written last, so its
//! presence (one HEAD) means the whole set is there: that is the only existence check the
//! worker makes.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::{Path, PathBuf};
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

/// A folder as the bucket (the dev runner): `root/logos/acme/256.png` holds the bytes and
/// `root/logos/acme/256.png.meta.json` what S3 would keep beside them. Writes go to a
/// temporary file first and are renamed into place, so a reader never sees half a file.
#[derive(Debug, Clone)]
pub struct FolderStore {
    root: PathBuf,
}

const META_SUFFIX: &str = ".meta.json";

impl FolderStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FolderStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file for `key`, or `None` if the key could escape the folder.
    pub fn path_of(&self, key: &str) -> Option<PathBuf> {
        let safe = !key.is_empty()
            && key.split('/').all(|part| {
                !part.is_empty() && part != "." && part != ".." && !part.contains('\\')
            });
        safe.then(|| self.root.join(key))
    }

    /// Bytes and head of an object, for serving it.
    pub fn read(&self, key: &str) -> std::io::Result<Option<(Vec<u8>, ObjectHead)>> {
        let Some(path) = self.path_of(key) else {
            return Ok(None);
        };
        if key.ends_with(META_SUFFIX) {
            return Ok(None);
        }
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        match self.head_now(key)? {
            Some(head) => Ok(Some((bytes, head))),
            None => Ok(None),
        }
    }

    fn head_now(&self, key: &str) -> std::io::Result<Option<ObjectHead>> {
        let Some(path) = self.path_of(key) else {
            return Ok(None);
        };
        let meta_path = PathBuf::from(format!("{}{META_SUFFIX}", path.display()));
        match std::fs::read(&meta_path) {
            Ok(raw) => serde_json::from_slice(&raw).map(Some).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}: {e}", meta_path.display()),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn put_now(&self, object: &StoredObject) -> std::io::Result<()> {
        let path = self.path_of(&object.key).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("unsafe key {:?}", object.key),
            )
        })?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let head = ObjectHead {
            content_type: object.content_type.clone(),
            cache_control: object.cache_control.clone(),
            metadata: object.metadata.clone(),
            last_modified: Some(Utc::now()),
            size: object.bytes.len() as u64,
        };
        let meta_path = PathBuf::from(format!("{}{META_SUFFIX}", path.display()));
        write_atomically(&path, &object.bytes)?;
        write_atomically(&meta_path, serde_json::to_string_pretty(&head)?.as_bytes())
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = PathBuf::from(format!("{}.tmp-{}", path.display(), std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

impl LogoStore for FolderStore {
    fn head(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<ObjectHead>, StoreError>> + Send {
        let result = self.head_now(key).map_err(|e| StoreError::Unavailable {
            action: "read",
            key: key.to_string(),
            detail: e.to_string(),
        });
        std::future::ready(result)
    }

    fn put(&self, object: StoredObject) -> impl Future<Output = Result<(), StoreError>> + Send {
        let result = self.put_now(&object).map_err(|e| StoreError::Unavailable {
            action: "write",
            key: object.key.clone(),
            detail: e.to_string(),
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
    fn folder_store_round_trips_and_refuses_escaping_keys() {
        let dir = std::env::temp_dir().join(format!("logofill-folder-{}", std::process::id()));
        let store = FolderStore::new(&dir);
        assert_eq!(block(store.head("logos/acme/256.png")).unwrap(), None);
        block(store.put(object("logos/acme/256.png"))).unwrap();
        let head = block(store.head("logos/acme/256.png")).unwrap().unwrap();
        assert_eq!(head.content_type, "image/png");
        assert_eq!(head.metadata["kind"], "logo");
        let (bytes, _) = store.read("logos/acme/256.png").unwrap().unwrap();
        assert_eq!(bytes, b"png");
        assert!(store
            .read("logos/acme/256.png.meta.json")
            .unwrap()
            .is_none());
        for bad in [
            "../x",
            "logos/../../etc/passwd",
            "logos//a",
            "",
            "logos/./a",
        ] {
            assert!(store.path_of(bad).is_none(), "{bad}");
            assert!(block(store.put(object(bad))).is_err(), "{bad}");
        }
        std::fs::remove_dir_all(dir).unwrap();
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

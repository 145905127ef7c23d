//! A folder as the bucket: the store of `logofill dev` and `logofill process --company`, an
//! adapter of `logofill_core::store::LogoStore` for one machine.

use std::future::Future;
use std::path::{Path, PathBuf};

use chrono::Utc;
use logofill_core::store::{LogoStore, ObjectHead, StoreError, StoredObject};

/// A folder as the bucket: `root/logos/acme/256.png` holds the bytes and
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
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), StoreError>> + Send {
        let failed = |detail: String| StoreError::Unavailable {
            action: "delete",
            key: key.to_string(),
            detail,
        };
        let result = match self.path_of(key) {
            None => Err(failed("unsafe key".into())),
            Some(path) => {
                let meta_path = PathBuf::from(format!("{}{META_SUFFIX}", path.display()));
                [path, meta_path]
                    .iter()
                    .try_for_each(|p| match std::fs::remove_file(p) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                        _ => Ok(()),
                    })
                    .map_err(|e| failed(e.to_string()))
            }
        };
        std::future::ready(result)
    }

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
    fn the_folder_bucket_keeps_the_store_contract() {
        let dir = std::env::temp_dir().join(format!("logofill-contract-{}", std::process::id()));
        block(logofill_core::store::contract::run(
            &FolderStore::new(&dir),
            "",
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }
}

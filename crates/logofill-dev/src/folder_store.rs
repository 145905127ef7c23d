//! A folder as the bucket: the store of `logofill dev` and `logofill process --company`, an
//! adapter of `logofill_core::store::LogoStore` for one machine.

use std::future::Future;
use std::path::{Path, PathBuf};

use chrono::Utc;
use std::collections::BTreeMap;

use logofill_core::store::{
    no_such_key, page_of, too_large, ListPage, LogoStore, ObjectHead, StoreError, StoredObject,
};

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
        let head = object.head(Utc::now());
        let meta_path = PathBuf::from(format!("{}{META_SUFFIX}", path.display()));
        write_atomically(&path, &object.bytes)?;
        write_atomically(&meta_path, serde_json::to_string_pretty(&head)?.as_bytes())
    }
}

impl FolderStore {
    /// Every key under the folder that starts with `prefix` (the metadata files and
    /// half-written temporary files are not keys).
    fn keys_under(&self, prefix: &str) -> std::io::Result<Vec<String>> {
        // Walk only the folders the prefix names, so a list of `refresh/due/` does not read
        // `logos/`.
        let dir_part = prefix.rsplit_once('/').map_or("", |(dir, _)| dir);
        let start = if dir_part.is_empty() {
            self.root.clone()
        } else {
            match self.path_of(dir_part) {
                Some(path) => path,
                None => return Ok(Vec::new()),
            }
        };
        let mut keys = Vec::new();
        let mut pending = vec![start];
        while let Some(dir) = pending.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            for entry in entries {
                let entry = entry?;
                let path = entry.path();
                if entry.file_type()?.is_dir() {
                    pending.push(path);
                    continue;
                }
                let Ok(relative) = path.strip_prefix(&self.root) else {
                    continue;
                };
                let key = relative.to_string_lossy().replace('\\', "/");
                if key.ends_with(META_SUFFIX) || key.contains(".tmp-") || !key.starts_with(prefix) {
                    continue;
                }
                keys.push(key);
            }
        }
        Ok(keys)
    }

    /// The size is checked on the open file before a byte of it is read, and the read stops
    /// one byte past the limit, so a file that grows meanwhile is refused too.
    fn get_now(
        &self,
        key: &str,
        max_bytes: u64,
    ) -> Result<Option<(Vec<u8>, ObjectHead)>, StoreError> {
        use std::io::Read as _;
        let failed = |e: std::io::Error| StoreError::Unavailable {
            action: "read",
            key: key.to_string(),
            detail: e.to_string(),
        };
        let (Some(head), Some(path)) = (self.head_now(key).map_err(failed)?, self.path_of(key))
        else {
            return Ok(None);
        };
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(failed(e)),
        };
        let size = file.metadata().map_err(failed)?.len();
        if size > max_bytes {
            return Err(too_large(key, size, max_bytes));
        }
        let mut bytes = Vec::with_capacity(size as usize);
        file.take(max_bytes + 1)
            .read_to_end(&mut bytes)
            .map_err(failed)?;
        if bytes.len() as u64 > max_bytes {
            return Err(too_large(key, bytes.len() as u64, max_bytes));
        }
        Ok(Some((bytes, head)))
    }

    fn replace_metadata_now(
        &self,
        key: &str,
        metadata: BTreeMap<String, String>,
    ) -> Result<(), StoreError> {
        let failed = |e: std::io::Error| StoreError::Unavailable {
            action: "update the metadata of",
            key: key.to_string(),
            detail: e.to_string(),
        };
        let mut head = self
            .head_now(key)
            .map_err(failed)?
            .ok_or_else(|| no_such_key("update the metadata of", key))?;
        head.metadata = metadata;
        head.last_modified = Some(Utc::now());
        let path = self
            .path_of(key)
            .ok_or_else(|| no_such_key("update the metadata of", key))?;
        let meta_path = PathBuf::from(format!("{}{META_SUFFIX}", path.display()));
        let json = serde_json::to_string_pretty(&head).map_err(|e| failed(e.into()))?;
        write_atomically(&meta_path, json.as_bytes()).map_err(failed)
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

    fn get(
        &self,
        key: &str,
        max_bytes: u64,
    ) -> impl Future<Output = Result<Option<(Vec<u8>, ObjectHead)>, StoreError>> + Send {
        std::future::ready(self.get_now(key, max_bytes))
    }

    fn list(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = Result<ListPage, StoreError>> + Send {
        let result = self
            .keys_under(prefix)
            .map(|keys| page_of(keys.iter().map(String::as_str), prefix, after, limit))
            .map_err(|e| StoreError::Unavailable {
                action: "list",
                key: prefix.to_string(),
                detail: e.to_string(),
            });
        std::future::ready(result)
    }

    fn replace_metadata(
        &self,
        key: &str,
        metadata: BTreeMap<String, String>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        std::future::ready(self.replace_metadata_now(key, metadata))
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

//! The logo store port's contract: one suite for the twin ([`super::MemoryStore`]), the dev
//! runner's folder bucket and the S3 adapter against moto_server.
//!
//! What the worker relies on: HEAD of a missing key is `Ok(None)`, not an error; a put is read
//! back by HEAD with its content type, cache control, size and user metadata (names in lower
//! case, values as written); a second put replaces the first whole, metadata included; a delete removes the object, and
//! deleting a missing key is not an error. A get returns bytes and head, refuses an object over
//! its byte limit by its size; a list pages keys under a prefix in key order; replacing the
//! metadata keeps the bytes, content type and cache control, and is refused for a missing key.

use std::collections::BTreeMap;

use super::{LogoStore, StoreError, StoredObject};

fn object(key: &str, bytes: &[u8], metadata: &[(&str, &str)]) -> StoredObject {
    StoredObject {
        key: key.to_owned(),
        bytes: bytes.to_vec(),
        content_type: "image/png".into(),
        cache_control: "public, max-age=86400".into(),
        metadata: metadata
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

/// Run the contract against `store`, writing under `prefix` (which must be empty).
pub async fn run<S: LogoStore>(store: &S, prefix: &str) {
    let key = format!("{prefix}logos/contract/256.png");
    assert_eq!(
        store.head(&key).await.expect("HEAD of a missing key"),
        None,
        "a missing key is Ok(None)"
    );

    let first = object(
        &key,
        b"\x89PNG first",
        &[
            ("kind", "logo"),
            ("source-url", "https://acme.example/logo.svg"),
        ],
    );
    store.put(first.clone()).await.expect("put");
    let head = store.head(&key).await.expect("HEAD").expect("present");
    assert_eq!(head.content_type, first.content_type);
    assert_eq!(head.cache_control, first.cache_control);
    assert_eq!(head.size, first.bytes.len() as u64);
    assert_eq!(
        head.metadata, first.metadata,
        "metadata comes back as written"
    );

    let second = object(&key, b"\x89PNG second, longer", &[("kind", "placeholder")]);
    store.put(second.clone()).await.expect("put again");
    let head = store.head(&key).await.expect("HEAD").expect("present");
    assert_eq!(
        head.size,
        second.bytes.len() as u64,
        "a put replaces the bytes"
    );
    assert_eq!(
        head.metadata,
        BTreeMap::from([("kind".to_string(), "placeholder".to_string())]),
        "a put replaces the metadata whole"
    );

    let other = format!("{prefix}logos/contract/64.png");
    assert_eq!(
        store.head(&other).await.expect("HEAD"),
        None,
        "a put writes only its own key"
    );

    let (bytes, head) = store.get(&key, 1024).await.expect("get").expect("present");
    assert_eq!(bytes, second.bytes, "get returns the bytes written");
    assert_eq!(head.metadata, second.metadata);
    match store.get(&key, 4).await {
        Err(StoreError::Refused { code, .. }) => assert_eq!(code, "TooLarge"),
        other => panic!("an object over the limit is refused, got {other:?}"),
    }
    assert_eq!(store.get(&other, 1024).await.expect("get missing"), None);

    let replaced = BTreeMap::from([
        ("kind".to_string(), "placeholder".to_string()),
        ("attempts".to_string(), "2".to_string()),
    ]);
    store
        .replace_metadata(&key, replaced.clone())
        .await
        .expect("replace metadata");
    let head = store.head(&key).await.expect("HEAD").expect("present");
    assert_eq!(head.metadata, replaced, "the metadata is replaced whole");
    assert_eq!(head.content_type, second.content_type, "content type kept");
    assert_eq!(
        head.cache_control, second.cache_control,
        "cache control kept"
    );
    assert_eq!(head.size, second.bytes.len() as u64, "bytes kept");
    match store.replace_metadata(&other, replaced).await {
        Err(StoreError::Refused { code, .. }) => assert_eq!(code, "NoSuchKey"),
        other => panic!("replacing the metadata of a missing key is refused, got {other:?}"),
    }

    let listed = format!("{prefix}refresh/due/");
    for day in ["2026-01-03", "2026-01-01", "2026-01-02"] {
        for id in ["b", "a"] {
            store
                .put(object(&format!("{listed}{day}/{id}"), b"", &[]))
                .await
                .expect("put an index key");
        }
    }
    let first_page = store.list(&listed, None, 4).await.expect("list");
    let names = |keys: &[String]| -> Vec<String> {
        keys.iter().map(|k| k[listed.len()..].to_string()).collect()
    };
    assert_eq!(
        names(&first_page.keys),
        [
            "2026-01-01/a",
            "2026-01-01/b",
            "2026-01-02/a",
            "2026-01-02/b"
        ],
        "keys come in key order, at most the limit"
    );
    let after = first_page.next.as_deref().expect("more follow");
    let second_page = store.list(&listed, Some(after), 4).await.expect("list");
    assert_eq!(names(&second_page.keys), ["2026-01-03/a", "2026-01-03/b"]);
    assert_eq!(second_page.next, None, "the last page says so");
    let empty = store
        .list(&format!("{prefix}nothing/"), None, 10)
        .await
        .expect("list");
    assert!(empty.keys.is_empty() && empty.next.is_none());
    let mut listed_keys: Vec<String> = first_page
        .keys
        .iter()
        .chain(&second_page.keys)
        .cloned()
        .collect();
    listed_keys.push(format!("{listed}2026-01-09/never-stored"));
    store
        .delete_many(&listed_keys)
        .await
        .expect("delete many, one of them absent");
    assert!(
        store
            .list(&listed, None, 10)
            .await
            .expect("list")
            .keys
            .is_empty(),
        "delete_many removed every key"
    );
    store.delete_many(&[]).await.expect("delete nothing");

    store.delete(&key).await.expect("delete");
    assert_eq!(
        store.head(&key).await.expect("HEAD"),
        None,
        "deleted is gone"
    );
    store
        .delete(&key)
        .await
        .expect("deleting a missing key is not an error");
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn the_twin_keeps_the_contract() {
        super::run(&super::super::MemoryStore::new(), "").await;
    }
}

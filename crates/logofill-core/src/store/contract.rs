//! The logo store port's contract: one suite for the twin ([`super::MemoryStore`]), the dev
//! runner's folder bucket and the S3 adapter against moto_server.
//!
//! What the worker relies on: HEAD of a missing key is `Ok(None)`, not an error; a put is read
//! back by HEAD with its content type, cache control, size and user metadata (names in lower
//! case, values as written); a second put replaces the first whole, metadata included; a delete removes the object, and
//! deleting a missing key is not an error.

use std::collections::BTreeMap;

use super::{LogoStore, StoredObject};

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

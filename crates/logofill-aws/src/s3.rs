//! The S3 adapters: the logo store, and the company directory kept as one JSON object per
//! company (`s3://bucket/prefix/` → `prefix{id}.json`).
//!
//! Decisions: a custom endpoint (`AWS_ENDPOINT_URL`, a local S3-compatible server) switches to
//! path-style addressing, since `bucket.127.0.0.1` does not resolve; AWS itself keeps
//! virtual-hosted style. HEAD is the only existence check: S3 answers a missing key with a bare
//! 404 (no error code), which is read as "not there".

use std::collections::BTreeMap;

use aws_config::SdkConfig;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use logofill_core::directory::{CompanyDirectory, CompanyRecord, DirectoryError};
use logofill_core::store::{
    no_such_key, too_large, ListPage, LogoStore, ObjectHead, StoreError, StoredObject,
    MAX_LIST_KEYS,
};
use logofill_core::CompanyId;

use crate::error::{classify, Classified};

/// Largest directory object read; a company record is a few hundred bytes.
pub const MAX_DIRECTORY_OBJECT_BYTES: i64 = 64 * 1024;

/// An S3 client for `sdk`, path-style when a custom endpoint is configured.
pub fn s3_client(sdk: &SdkConfig) -> Client {
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(sdk.endpoint_url().is_some())
        .build();
    Client::from_conf(config)
}

fn store_error<E>(action: &'static str, key: &str, err: SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let Classified {
        retryable,
        code,
        detail,
    } = classify(&err);
    if retryable {
        StoreError::Unavailable {
            action,
            key: key.to_string(),
            detail: format!("{code}: {detail}"),
        }
    } else {
        StoreError::Refused {
            action,
            key: key.to_string(),
            code,
            detail,
        }
    }
}

/// Logo objects in one bucket.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
}

impl S3Store {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        S3Store {
            client,
            bucket: bucket.into(),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Whether the bucket is there and these credentials may use it. A HEAD of an object in a
    /// missing bucket is a bare 404, like a missing object, so an operator command checks the
    /// bucket first instead of reporting "nothing stored".
    pub async fn check_bucket(&self) -> Result<(), StoreError> {
        match self.client.head_bucket().bucket(&self.bucket).send().await {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if matches!(e.raw().status().as_u16(), 403 | 404) => {
                let status = e.raw().status().as_u16();
                Err(StoreError::Refused {
                    action: "use bucket",
                    key: self.bucket.clone(),
                    code: if status == 404 {
                        "NoSuchBucket"
                    } else {
                        "AccessDenied"
                    }
                    .into(),
                    detail: if status == 404 {
                        "the bucket does not exist (check the name and the region)".into()
                    } else {
                        "access denied (s3:ListBucket on the bucket is needed)".into()
                    },
                })
            }
            Err(e) => Err(store_error("use bucket", &self.bucket, e)),
        }
    }

    async fn head_now(&self, key: &str) -> Result<Option<ObjectHead>, StoreError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => Ok(Some(object_head(
                out.content_type(),
                out.cache_control(),
                out.metadata(),
                out.last_modified(),
                out.content_length(),
            ))),
            Err(SdkError::ServiceError(e)) if e.raw().status().as_u16() == 404 => Ok(None),
            Err(e) => Err(store_error(
                "read",
                &format!("s3://{}/{key}", self.bucket),
                e,
            )),
        }
    }

    async fn put_now(&self, object: StoredObject) -> Result<(), StoreError> {
        let key = object.key.clone();
        let metadata: std::collections::HashMap<String, String> =
            object.metadata.into_iter().collect();
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&object.key)
            .body(ByteStream::from(object.bytes))
            .content_type(object.content_type)
            .cache_control(object.cache_control)
            .set_metadata(Some(metadata))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| store_error("write", &format!("s3://{}/{key}", self.bucket), e))
    }

    /// One GET: the size is checked on `Content-Length` before the body is read, and the
    /// body is read chunk by chunk and refused as soon as it passes `max_bytes`, so a length
    /// the answer does not keep cannot make it read more.
    async fn get_now(
        &self,
        key: &str,
        max_bytes: u64,
    ) -> Result<Option<(Vec<u8>, ObjectHead)>, StoreError> {
        let location = format!("s3://{}/{key}", self.bucket);
        let mut out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(SdkError::ServiceError(e)) if e.raw().status().as_u16() == 404 => return Ok(None),
            Err(e) => return Err(store_error("read", &location, e)),
        };
        let head = object_head(
            out.content_type(),
            out.cache_control(),
            out.metadata(),
            out.last_modified(),
            out.content_length(),
        );
        if head.size > max_bytes {
            return Err(too_large(&location, head.size, max_bytes));
        }
        let mut bytes = Vec::with_capacity(head.size as usize);
        while let Some(chunk) = out.body.next().await {
            let chunk = chunk.map_err(|e| StoreError::Unavailable {
                action: "read",
                key: location.clone(),
                detail: e.to_string(),
            })?;
            if (bytes.len() + chunk.len()) as u64 > max_bytes {
                return Err(too_large(
                    &location,
                    (bytes.len() + chunk.len()) as u64,
                    max_bytes,
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Some((bytes, head)))
    }

    async fn list_now(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<ListPage, StoreError> {
        let limit = limit.clamp(1, MAX_LIST_KEYS);
        let out = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .set_start_after(after.map(str::to_string))
            .max_keys(limit as i32)
            .send()
            .await
            .map_err(|e| store_error("list", &format!("s3://{}/{prefix}", self.bucket), e))?;
        let keys: Vec<String> = out
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_string))
            .take(limit)
            .collect();
        let next = if out.is_truncated().unwrap_or(false) {
            keys.last().cloned()
        } else {
            None
        };
        Ok(ListPage { keys, next })
    }

    async fn replace_metadata_now(
        &self,
        key: &str,
        metadata: BTreeMap<String, String>,
    ) -> Result<(), StoreError> {
        let location = format!("s3://{}/{key}", self.bucket);
        let action = "update the metadata of";
        // A copy with REPLACE drops what is not given again: the content type and cache
        // control come from the object itself.
        let head = self
            .head_now(key)
            .await?
            .ok_or_else(|| no_such_key(action, &location))?;
        let source = format!("{}/{}", self.bucket, copy_source_key(key));
        self.client
            .copy_object()
            .bucket(&self.bucket)
            .key(key)
            .copy_source(source)
            .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
            .content_type(head.content_type)
            .cache_control(head.cache_control)
            .set_metadata(Some(metadata.into_iter().collect()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| store_error(action, &location, e))
    }

    /// Every object under `prefix` with its metadata (for tests and operators).
    pub async fn list_with_metadata(
        &self,
        prefix: &str,
    ) -> Result<BTreeMap<String, ObjectHead>, StoreError> {
        let mut out = BTreeMap::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| store_error("list", prefix, e))?;
            for object in page.contents() {
                if let Some(key) = object.key() {
                    if let Some(head) = self.head_now(key).await? {
                        out.insert(key.to_string(), head);
                    }
                }
            }
        }
        Ok(out)
    }
}

/// What HEAD and GET say about an object, in the store port's terms (metadata names in lower
/// case).
fn object_head(
    content_type: Option<&str>,
    cache_control: Option<&str>,
    metadata: Option<&std::collections::HashMap<String, String>>,
    last_modified: Option<&aws_sdk_s3::primitives::DateTime>,
    content_length: Option<i64>,
) -> ObjectHead {
    ObjectHead {
        content_type: content_type.unwrap_or_default().to_string(),
        cache_control: cache_control.unwrap_or_default().to_string(),
        metadata: metadata
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        last_modified: last_modified
            .and_then(|t| chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos())),
        size: content_length.unwrap_or(0).max(0) as u64,
    }
}

/// A key as CopyObject's `x-amz-copy-source` wants it: URL-encoded, `/` kept.
fn copy_source_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for byte in key.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

impl LogoStore for S3Store {
    fn head(
        &self,
        key: &str,
    ) -> impl std::future::Future<Output = Result<Option<ObjectHead>, StoreError>> + Send {
        self.head_now(key)
    }
    fn put(
        &self,
        object: StoredObject,
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send {
        self.put_now(object)
    }
    async fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        use aws_sdk_s3::types::{Delete, ObjectIdentifier};
        let keys = &keys[..keys.len().min(logofill_core::store::MAX_LIST_KEYS)];
        let Some(first) = keys.first() else {
            return Ok(());
        };
        let objects = keys
            .iter()
            .map(|k| ObjectIdentifier::builder().key(k).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::Refused {
                action: "delete",
                key: first.clone(),
                code: "InvalidRequest".into(),
                detail: e.to_string(),
            })?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| StoreError::Refused {
                action: "delete",
                key: first.clone(),
                code: "InvalidRequest".into(),
                detail: e.to_string(),
            })?;
        let out = self
            .client
            .delete_objects()
            .bucket(&self.bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|e| store_error("delete", first, e))?;
        // Quiet mode lists only the keys that were not removed.
        match out.errors().first() {
            None => Ok(()),
            Some(failed) => {
                let code = failed.code().unwrap_or("Unknown").to_string();
                let key = failed.key().unwrap_or(first).to_string();
                let detail = failed.message().unwrap_or_default().to_string();
                let retryable = matches!(
                    code.as_str(),
                    "InternalError" | "ServiceUnavailable" | "SlowDown" | "RequestTimeout"
                );
                Err(if retryable {
                    StoreError::Unavailable {
                        action: "delete",
                        key,
                        detail: format!("{code}: {detail}"),
                    }
                } else {
                    StoreError::Refused {
                        action: "delete",
                        key,
                        code,
                        detail,
                    }
                })
            }
        }
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| store_error("delete", key, e))
    }
    fn get(
        &self,
        key: &str,
        max_bytes: u64,
    ) -> impl std::future::Future<Output = Result<Option<(Vec<u8>, ObjectHead)>, StoreError>> + Send
    {
        self.get_now(key, max_bytes)
    }
    fn list(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> impl std::future::Future<Output = Result<ListPage, StoreError>> + Send {
        self.list_now(prefix, after, limit)
    }
    fn replace_metadata(
        &self,
        key: &str,
        metadata: BTreeMap<String, String>,
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send {
        self.replace_metadata_now(key, metadata)
    }
}

/// Company records as `s3://bucket/prefix{id}.json`, read on demand.
#[derive(Debug, Clone)]
pub struct S3Directory {
    client: Client,
    bucket: String,
    prefix: String,
}

impl S3Directory {
    /// From an `s3://bucket/prefix/` URI.
    pub fn from_uri(client: Client, uri: &str) -> Result<Self, DirectoryError> {
        let broken = |detail: &str| DirectoryError::Broken {
            directory: uri.to_string(),
            detail: detail.to_string(),
        };
        let rest = uri
            .strip_prefix("s3://")
            .ok_or_else(|| broken("expected s3://bucket/prefix/"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(broken("the bucket name is empty"));
        }
        Ok(S3Directory {
            client,
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }

    async fn lookup_now(&self, id: &CompanyId) -> Result<Option<CompanyRecord>, DirectoryError> {
        let key = format!("{}{id}.json", self.prefix);
        let location = format!("s3://{}/{key}", self.bucket);
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(SdkError::ServiceError(e)) if e.raw().status().as_u16() == 404 => return Ok(None),
            Err(e) => {
                let Classified {
                    retryable,
                    code,
                    detail,
                } = classify(&e);
                return Err(if retryable {
                    DirectoryError::Unavailable {
                        directory: location,
                        detail: format!("{code}: {detail}"),
                    }
                } else {
                    DirectoryError::Broken {
                        directory: location,
                        detail: format!("{code}: {detail}"),
                    }
                });
            }
        };
        if out.content_length().unwrap_or(0) > MAX_DIRECTORY_OBJECT_BYTES {
            return Err(DirectoryError::Malformed {
                id: id.to_string(),
                field: "(record)",
                reason: format!(
                    "{location} is {} bytes, over the {MAX_DIRECTORY_OBJECT_BYTES}-byte limit for a record",
                    out.content_length().unwrap_or(0)
                ),
            });
        }
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| DirectoryError::Unavailable {
                directory: location.clone(),
                detail: e.to_string(),
            })?
            .into_bytes();
        CompanyRecord::from_json(&bytes, Some(id)).map(Some)
    }
}

impl CompanyDirectory for S3Directory {
    fn lookup(
        &self,
        id: &CompanyId,
    ) -> impl std::future::Future<Output = Result<Option<CompanyRecord>, DirectoryError>> + Send
    {
        self.lookup_now(id)
    }
}

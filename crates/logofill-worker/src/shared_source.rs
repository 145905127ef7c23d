//! The generic-icon guard: the same source bytes stored for companies on different sites are
//! a platform's icon (a job board's, a site builder's, a parking service's), not a brand.
//!
//! Index: one empty object per stored source, `sources/{sha256}`, whose metadata names the
//! first company stored from those bytes (`company-id`), its site (`site`: the registrable
//! domain of its homepage, by the Public Suffix List) and the `source-url`. Before rendering a
//! candidate the worker takes the sha256 of its bytes and HEADs that key (one request, no
//! list, whatever the bucket holds): an entry for another company on another site refuses the
//! candidate, naming the first company, and discovery moves on to the next. After a set is
//! stored its entry is written if there was none, so the first company keeps its logo and the
//! second company on gets the next candidate or a placeholder.
//!
//! A company without a homepage is its own site (`company:{id}`): sharing a `logo_url`'s bytes
//! with another company is still refused.

use std::collections::BTreeMap;
use std::sync::Mutex;

use logofill_core::directory::CompanyRecord;
use logofill_core::store::{LogoStore, StoredObject};
use logofill_core::CompanyId;
use logofill_discover::{CandidateKind, Rejection};
use logofill_image::RenderedSet;
use sha2::{Digest, Sha256};

/// Prefix of the shared-source index.
pub const SOURCES_PREFIX: &str = "sources/";

/// `sources/{sha256}`.
pub fn source_key(sha256: &str) -> String {
    format!("{SOURCES_PREFIX}{sha256}")
}

/// The site a company is on, for the guard: its homepage's registrable domain.
pub fn company_site(company: &CompanyId, record: &CompanyRecord) -> String {
    record
        .homepage
        .as_deref()
        .and_then(logofill_discover::registrable_domain)
        .unwrap_or_else(|| format!("company:{}", company.as_str()))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The guard for one company's discovery.
pub struct SharedSources<'a, S> {
    store: &'a S,
    company: &'a CompanyId,
    site: String,
    /// Sources checked and found in no entry: the stored one gets an entry afterwards.
    unindexed: Mutex<Vec<String>>,
}

impl<'a, S: LogoStore> SharedSources<'a, S> {
    pub fn new(store: &'a S, company: &'a CompanyId, record: &CompanyRecord) -> Self {
        SharedSources {
            store,
            company,
            site: company_site(company, record),
            unindexed: Mutex::new(Vec::new()),
        }
    }

    /// Refuses `body` when the index holds it for another company on another site. The
    /// directory's own `logo_url` is the operator's word and is never refused (it is still
    /// recorded, so a platform icon found later for another company is).
    pub async fn check(&self, kind: CandidateKind, body: &[u8]) -> Result<(), Rejection> {
        let sha = sha256_hex(body);
        let key = source_key(&sha);
        match self.store.head(&key).await {
            Ok(None) => {
                if let Ok(mut list) = self.unindexed.lock() {
                    list.push(sha);
                }
                Ok(())
            }
            Ok(Some(head)) => {
                let first = head.metadata.get("company-id").cloned().unwrap_or_default();
                let site = head.metadata.get("site").cloned().unwrap_or_default();
                if first == self.company.as_str()
                    || site == self.site
                    || kind == CandidateKind::LogoUrl
                {
                    return Ok(());
                }
                Err(Rejection::Unusable(format!(
                    "shared_source: the same bytes (sha256 {}) are stored for company {first} on \
                     {site}: a platform's icon, not {}'s logo (index {key})",
                    &sha[..12],
                    self.company.as_str()
                )))
            }
            Err(e) => Err(Rejection::Retryable(format!(
                "the shared-source index could not be read: {e}"
            ))),
        }
    }

    /// Writes the index entry of a stored logo set, if its source had none.
    pub async fn record(
        &self,
        set: &RenderedSet,
        source_url: &str,
        written: &mut Vec<String>,
    ) -> Result<(), String> {
        let Some(sha) = set.provenance.source.as_ref().map(|s| s.sha256.clone()) else {
            return Ok(());
        };
        let new = self
            .unindexed
            .lock()
            .map(|list| list.contains(&sha))
            .unwrap_or(false);
        if !new {
            return Ok(());
        }
        let key = source_key(&sha);
        let metadata: BTreeMap<String, String> = [
            ("company-id".to_string(), self.company.as_str().to_string()),
            ("site".to_string(), self.site.clone()),
            (
                "source-url".to_string(),
                crate::service::shown_source_url(source_url),
            ),
        ]
        .into();
        self.store
            .put(StoredObject {
                key: key.clone(),
                bytes: Vec::new(),
                content_type: "application/octet-stream".into(),
                cache_control: "no-store".into(),
                metadata,
            })
            .await
            .map_err(|e| e.to_string())?;
        written.push(key);
        Ok(())
    }
}

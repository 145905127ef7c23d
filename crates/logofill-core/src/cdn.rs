//! The CDN port: telling the CDN (CloudFront in production) to drop its copies of a company's
//! logo set once the stored set was replaced or deleted.
//!
//! Logo URLs are built from the company id alone (`/logos/{company_id}/{size}.{ext}`), so a
//! replaced set keeps its URLs and the CDN would serve the old images until `max-age` ran out.
//! The worker collects the companies whose set changed during one invocation in an
//! [`InvalidationBatch`] and flushes it once, as one [`Invalidation`]:
//!
//! - one wildcard path per company, `/logos/{company_id}/*`, so every size and format goes, and
//!   the trailing `/` keeps `acme` from matching `acme2`;
//! - at most [`MAX_PATHS_PER_INVALIDATION`] paths in one call (CloudFront's own ceiling on
//!   wildcard paths in progress, [`MAX_WILDCARD_PATHS_IN_PROGRESS`]); a batch of more companies
//!   is sent as the one path [`ALL_LOGOS_PATH`] instead, which drops every cached logo (the
//!   CDN refetches them from the bucket as pages ask) but takes one slot of that ceiling, not
//!   sixteen or more. The deployed worker gets at most 10 messages per invocation, so this
//!   fallback is for larger callers (operator tools), not the normal path;
//! - a *caller reference* derived from the invocation id and the sorted paths: unique per call,
//!   and the same when the same call is retried, so a retry after a lost answer makes the CDN
//!   return the invalidation it already created instead of creating (and billing) a second.
//!
//! Without a configured distribution the worker uses [`NoCdn`], which sends nothing.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Mutex;

use crate::company::CompanyId;

/// Invalidation paths of logo sets start here (the object layout's `logos/`, as a URL path).
pub const LOGO_PATH_PREFIX: &str = "/logos/";

/// The one path that invalidates every logo set at once (the fallback for a large batch).
pub const ALL_LOGOS_PATH: &str = "/logos/*";

/// CloudFront allows invalidation requests for at most 15 paths with the `*` wildcard in
/// progress at one time per distribution (Amazon CloudFront Developer Guide, "Concurrent
/// invalidation request maximum",
/// <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/InvalidationLimits.html>).
/// Over it CloudFront answers `TooManyInvalidationsInProgress`, which passes once earlier
/// invalidations complete, so it is retryable. Every path logofill sends is a wildcard.
pub const MAX_WILDCARD_PATHS_IN_PROGRESS: usize = 15;

/// CloudFront allows invalidation requests for at most 3,000 individual files (paths without a
/// wildcard) in progress at one time per distribution, independently of the wildcard maximum
/// (same page as [`MAX_WILDCARD_PATHS_IN_PROGRESS`]). logofill sends no single-file paths, so
/// this one never binds; it is here so the choice of wildcards is made next to both numbers.
pub const MAX_FILE_PATHS_IN_PROGRESS: usize = 3_000;

/// Most paths one [`Invalidation`] carries: a call with more wildcard paths than CloudFront
/// allows in progress could never succeed, however long it waited.
pub const MAX_PATHS_PER_INVALIDATION: usize = MAX_WILDCARD_PATHS_IN_PROGRESS;

/// Longest part of the invocation id kept in a caller reference.
pub const MAX_INVOCATION_ID_LEN: usize = 64;

/// The IAM action a CloudFront invalidation needs, named in every refusal.
pub const INVALIDATE_ACTION: &str = "cloudfront:CreateInvalidation";

/// `/logos/{company_id}/*`: every object of one company's set.
pub fn company_path(company: &CompanyId) -> String {
    format!("{LOGO_PATH_PREFIX}{company}/*")
}

/// One invalidation call: the paths and the caller reference. Built by
/// [`InvalidationBatch::invalidation`], which keeps it within [`MAX_PATHS_PER_INVALIDATION`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalidation {
    paths: Vec<String>,
    caller_reference: String,
    companies: usize,
}

impl Invalidation {
    /// The paths, sorted: `/logos/{id}/*` each, or the one [`ALL_LOGOS_PATH`].
    pub fn paths(&self) -> &[String] {
        &self.paths
    }

    /// Unique per call, the same for a retry of the same call.
    pub fn caller_reference(&self) -> &str {
        &self.caller_reference
    }

    /// How many companies the call covers (more than the paths after the fallback).
    pub fn companies(&self) -> usize {
        self.companies
    }

    /// True when the batch was too large and every logo is invalidated.
    pub fn is_all_logos(&self) -> bool {
        self.paths.len() == 1 && self.paths[0] == ALL_LOGOS_PATH
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CdnError {
    /// Network trouble, throttling, a 5xx, too many invalidations in progress: retry later.
    #[error("CDN distribution {distribution} could not take an invalidation of {paths} path(s) ({INVALIDATE_ACTION}): {detail}")]
    Unavailable {
        distribution: String,
        paths: usize,
        detail: String,
    },
    /// Access denied, no such distribution, a request the CDN will never accept: an operator
    /// must act (grant the action on this distribution, or fix the configured id).
    #[error("CDN distribution {distribution} refused {INVALIDATE_ACTION} of {paths} path(s) ({code}): {detail}")]
    Refused {
        distribution: String,
        paths: usize,
        code: String,
        detail: String,
    },
}

impl CdnError {
    /// Throttling and a full in-progress budget pass by themselves; a refusal needs an
    /// operator. Either way the logo set is already stored: what goes stale is the CDN's copy,
    /// until its `max-age` ends.
    pub fn is_retryable(&self) -> bool {
        matches!(self, CdnError::Unavailable { .. })
    }
}

/// Drop the CDN's cached copies of some logo sets.
pub trait CdnInvalidator: Send + Sync {
    /// Submit one invalidation. `Ok` means the CDN accepted it (it completes on its own,
    /// usually within minutes); sending the same [`Invalidation`] again is harmless.
    fn invalidate(
        &self,
        invalidation: &Invalidation,
    ) -> impl Future<Output = Result<(), CdnError>> + Send;
}

impl<C: CdnInvalidator + ?Sized> CdnInvalidator for std::sync::Arc<C> {
    fn invalidate(
        &self,
        invalidation: &Invalidation,
    ) -> impl Future<Output = Result<(), CdnError>> + Send {
        (**self).invalidate(invalidation)
    }
}

/// No distribution configured (`LOGOFILL_CDN_DISTRIBUTION_ID` unset, the dev runner): nothing
/// to invalidate, every call succeeds at once.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCdn;

impl CdnInvalidator for NoCdn {
    fn invalidate(
        &self,
        _invalidation: &Invalidation,
    ) -> impl Future<Output = Result<(), CdnError>> + Send {
        std::future::ready(Ok(()))
    }
}

/// The companies whose logo set changed during one invocation, deduplicated, flushed once.
/// Shared by the records of a batch (`&self` everywhere; the records run as separate tasks).
#[derive(Debug)]
pub struct InvalidationBatch {
    invocation: String,
    companies: Mutex<BTreeSet<CompanyId>>,
}

impl InvalidationBatch {
    /// An empty batch for one invocation. `invocation` (the Lambda request id) makes the
    /// caller reference unique; only its first [`MAX_INVOCATION_ID_LEN`] characters of
    /// `[A-Za-z0-9_-]` are kept.
    pub fn new(invocation: &str) -> Self {
        InvalidationBatch {
            invocation: invocation
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .take(MAX_INVOCATION_ID_LEN)
                .collect(),
            companies: Mutex::new(BTreeSet::new()),
        }
    }

    /// Note that `company`'s set changed. `false` when it was noted already.
    pub fn add(&self, company: &CompanyId) -> bool {
        self.companies.lock().unwrap().insert(company.clone())
    }

    pub fn len(&self) -> usize {
        self.companies.lock().unwrap().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The call for what was noted so far; `None` when nothing was.
    pub fn invalidation(&self) -> Option<Invalidation> {
        let companies = self.companies.lock().unwrap();
        if companies.is_empty() {
            return None;
        }
        let paths: Vec<String> = if companies.len() > MAX_PATHS_PER_INVALIDATION {
            vec![ALL_LOGOS_PATH.to_string()]
        } else {
            companies.iter().map(company_path).collect()
        };
        let caller_reference = format!(
            "logofill-{}-{:016x}",
            if self.invocation.is_empty() {
                "unnamed"
            } else {
                &self.invocation
            },
            fnv1a64(&paths)
        );
        Some(Invalidation {
            paths,
            caller_reference,
            companies: companies.len(),
        })
    }

    /// Submit what was noted, once; nothing is sent when nothing was noted. Returns the call
    /// that was made. Calling it again after an error sends the same call (same reference).
    pub async fn flush<C: CdnInvalidator + ?Sized>(
        &self,
        cdn: &C,
    ) -> Result<Option<Invalidation>, CdnError> {
        let Some(invalidation) = self.invalidation() else {
            return Ok(None);
        };
        cdn.invalidate(&invalidation).await?;
        Ok(Some(invalidation))
    }
}

/// FNV-1a, 64 bits, over the paths with a newline after each: stable across builds and
/// platforms (unlike `std`'s hasher), which a retry by a redeployed worker needs.
fn fnv1a64(paths: &[String]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in paths.iter().flat_map(|p| p.bytes().chain([b'\n'])) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// How a [`MemoryCdn`] answers, for tests that need the CDN to misbehave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryCdnFault {
    /// Answer as CloudFront does while throttling: retryable.
    Unavailable,
    /// Answer as CloudFront does without the IAM grant: refused.
    Refused,
}

/// The in-memory twin: records every accepted invalidation, and treats a repeated caller
/// reference as CloudFront does (same paths: the earlier invalidation, nothing new; other
/// paths: refused with `InvalidationBatchAlreadyExists`).
#[derive(Debug)]
pub struct MemoryCdn {
    distribution: String,
    accepted: Mutex<Vec<Invalidation>>,
    calls: Mutex<usize>,
    fault: Mutex<Option<MemoryCdnFault>>,
}

impl Default for MemoryCdn {
    fn default() -> Self {
        Self::new("memory-cdn")
    }
}

impl MemoryCdn {
    pub fn new(distribution: impl Into<String>) -> Self {
        MemoryCdn {
            distribution: distribution.into(),
            accepted: Mutex::new(Vec::new()),
            calls: Mutex::new(0),
            fault: Mutex::new(None),
        }
    }

    /// Make every following call fail this way (or, with `None`, work again).
    pub fn fail_with(&self, fault: Option<MemoryCdnFault>) {
        *self.fault.lock().unwrap() = fault;
    }

    /// Every invalidation accepted so far, in order (a repeated call appears once).
    pub fn accepted(&self) -> Vec<Invalidation> {
        self.accepted.lock().unwrap().clone()
    }

    /// Every path of every accepted invalidation, in order.
    pub fn invalidated_paths(&self) -> Vec<String> {
        self.accepted
            .lock()
            .unwrap()
            .iter()
            .flat_map(|i| i.paths.iter().cloned())
            .collect()
    }

    /// Number of `invalidate` calls made, failed ones included.
    pub fn calls(&self) -> usize {
        *self.calls.lock().unwrap()
    }

    fn invalidate_now(&self, invalidation: &Invalidation) -> Result<(), CdnError> {
        *self.calls.lock().unwrap() += 1;
        let paths = invalidation.paths.len();
        match *self.fault.lock().unwrap() {
            Some(MemoryCdnFault::Unavailable) => {
                return Err(CdnError::Unavailable {
                    distribution: self.distribution.clone(),
                    paths,
                    detail: "Throttling: the in-memory CDN was told to be unavailable".into(),
                })
            }
            Some(MemoryCdnFault::Refused) => {
                return Err(CdnError::Refused {
                    distribution: self.distribution.clone(),
                    paths,
                    code: "AccessDenied".into(),
                    detail: "the in-memory CDN was told to refuse".into(),
                })
            }
            None => {}
        }
        let mut accepted = self.accepted.lock().unwrap();
        match accepted
            .iter()
            .find(|i| i.caller_reference == invalidation.caller_reference)
        {
            Some(earlier) if earlier.paths == invalidation.paths => Ok(()),
            Some(_) => Err(CdnError::Refused {
                distribution: self.distribution.clone(),
                paths,
                code: "InvalidationBatchAlreadyExists".into(),
                detail: format!(
                    "caller reference {} was used before with other paths",
                    invalidation.caller_reference
                ),
            }),
            None => {
                accepted.push(invalidation.clone());
                Ok(())
            }
        }
    }
}

impl CdnInvalidator for MemoryCdn {
    fn invalidate(
        &self,
        invalidation: &Invalidation,
    ) -> impl Future<Output = Result<(), CdnError>> + Send {
        std::future::ready(self.invalidate_now(invalidation))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(raw: &str) -> CompanyId {
        CompanyId::parse(raw).unwrap()
    }

    fn block<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn batch_of(invocation: &str, count: usize) -> InvalidationBatch {
        let batch = InvalidationBatch::new(invocation);
        for n in 0..count {
            batch.add(&id(&format!("company-{n:02}")));
        }
        batch
    }

    #[test]
    fn one_wildcard_path_per_company_sorted_and_deduplicated() {
        let batch = InvalidationBatch::new("req-1");
        assert!(batch.add(&id("zeta")));
        assert!(batch.add(&id("acme")));
        assert!(
            !batch.add(&id("zeta")),
            "a second note of zeta adds nothing"
        );
        let call = batch.invalidation().unwrap();
        assert_eq!(call.paths(), ["/logos/acme/*", "/logos/zeta/*"]);
        assert_eq!(call.companies(), 2);
        assert!(!call.is_all_logos());
    }

    #[test]
    fn an_empty_batch_sends_nothing() {
        let cdn = MemoryCdn::default();
        let batch = InvalidationBatch::new("req-1");
        assert!(batch.is_empty());
        assert_eq!(block(batch.flush(&cdn)).unwrap(), None);
        assert_eq!(cdn.calls(), 0);
    }

    #[test]
    fn at_the_path_limit_each_company_keeps_its_path() {
        let call = batch_of("req-1", MAX_PATHS_PER_INVALIDATION)
            .invalidation()
            .unwrap();
        assert_eq!(call.paths().len(), MAX_PATHS_PER_INVALIDATION);
        assert!(!call.is_all_logos());
    }

    #[test]
    fn one_over_the_path_limit_invalidates_every_logo_in_one_path() {
        let call = batch_of("req-1", MAX_PATHS_PER_INVALIDATION + 1)
            .invalidation()
            .unwrap();
        assert_eq!(call.paths(), [ALL_LOGOS_PATH]);
        assert_eq!(call.companies(), MAX_PATHS_PER_INVALIDATION + 1);
        assert!(call.is_all_logos());
    }

    #[test]
    fn the_caller_reference_is_stable_for_a_call_and_differs_between_calls() {
        let first = InvalidationBatch::new("req-1");
        first.add(&id("b"));
        first.add(&id("a"));
        let again = InvalidationBatch::new("req-1");
        again.add(&id("a"));
        again.add(&id("b"));
        let reference = first.invalidation().unwrap().caller_reference().to_string();
        assert_eq!(
            reference,
            again.invalidation().unwrap().caller_reference(),
            "the order of adding does not matter"
        );
        assert!(reference.starts_with("logofill-req-1-"), "{reference}");

        let other_invocation = InvalidationBatch::new("req-2");
        other_invocation.add(&id("a"));
        other_invocation.add(&id("b"));
        assert_ne!(
            reference,
            other_invocation.invalidation().unwrap().caller_reference()
        );
        first.add(&id("c"));
        assert_ne!(reference, first.invalidation().unwrap().caller_reference());
    }

    #[test]
    fn the_invocation_id_is_bounded_in_the_caller_reference() {
        let batch = InvalidationBatch::new(&format!("{}/\n{}", "x".repeat(100), "y"));
        batch.add(&id("a"));
        let call = batch.invalidation().unwrap();
        let invocation = call
            .caller_reference()
            .strip_prefix("logofill-")
            .and_then(|r| r.rsplit_once('-'))
            .map(|(invocation, _hash)| invocation)
            .unwrap();
        assert_eq!(invocation, "x".repeat(MAX_INVOCATION_ID_LEN));
    }

    #[test]
    fn a_retried_flush_is_one_invalidation() {
        let cdn = MemoryCdn::default();
        let batch = InvalidationBatch::new("req-1");
        batch.add(&id("acme"));
        cdn.fail_with(Some(MemoryCdnFault::Unavailable));
        let err = block(batch.flush(&cdn)).unwrap_err();
        assert!(err.is_retryable(), "{err}");
        cdn.fail_with(None);
        let sent = block(batch.flush(&cdn)).unwrap().unwrap();
        assert_eq!(sent.paths(), ["/logos/acme/*"]);
        block(batch.flush(&cdn)).unwrap();
        assert_eq!(cdn.calls(), 3);
        assert_eq!(
            cdn.accepted().len(),
            1,
            "the same reference is one invalidation"
        );
        assert_eq!(cdn.invalidated_paths(), ["/logos/acme/*"]);
    }

    #[test]
    fn a_reused_reference_with_other_paths_is_refused_as_cloudfront_does() {
        let cdn = MemoryCdn::default();
        let first = InvalidationBatch::new("req-1");
        first.add(&id("acme"));
        let mut call = first.invalidation().unwrap();
        block(cdn.invalidate(&call)).unwrap();
        call.paths = vec!["/logos/other/*".into()];
        let err = block(cdn.invalidate(&call)).unwrap_err();
        assert!(
            matches!(&err, CdnError::Refused { code, .. } if code == "InvalidationBatchAlreadyExists"),
            "{err}"
        );
    }

    #[test]
    fn a_refusal_names_the_distribution_the_paths_and_the_action() {
        let cdn = MemoryCdn::new("E2EXAMPLE");
        cdn.fail_with(Some(MemoryCdnFault::Refused));
        let err = block(batch_of("req-1", 3).flush(&cdn)).unwrap_err();
        assert!(!err.is_retryable());
        let text = err.to_string();
        for part in ["E2EXAMPLE", "3 path(s)", "cloudfront:CreateInvalidation"] {
            assert!(text.contains(part), "{part:?} missing from {text:?}");
        }
        assert!(cdn.accepted().is_empty());
    }

    #[test]
    fn no_cdn_accepts_everything_and_keeps_nothing() {
        let sent = block(batch_of("req-1", 2).flush(&NoCdn)).unwrap().unwrap();
        assert_eq!(sent.paths().len(), 2);
    }

    #[test]
    fn the_batch_is_filled_from_concurrent_tasks() {
        let batch = std::sync::Arc::new(InvalidationBatch::new("req-1"));
        let threads: Vec<_> = (0..4)
            .map(|n| {
                let batch = batch.clone();
                std::thread::spawn(move || {
                    batch.add(&id(&format!("c{}", n % 2)));
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(batch.len(), 2);
    }
}

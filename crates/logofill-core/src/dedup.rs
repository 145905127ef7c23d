//! The per-instance memory of recently enqueued company ids.
//!
//! One popular page with a missing logo is viewed thousands of times a minute; without this
//! cache every view would become an SQS message. The cache is bounded twice: by age (an id is
//! forgotten `ttl` after it was enqueued, so a company whose first job failed gets reported
//! again later) and by count (least recently seen ids go first), so a flood of distinct ids
//! cannot grow the Lambda's memory. Age runs from insertion, not from the last sighting:
//! a company that is still being reported after the TTL deserves another try.

use std::num::NonZeroUsize;
use std::time::Duration;

use lru::LruCache;

use crate::company::CompanyId;

/// Default age after which an enqueued id may be enqueued again.
pub const DEFAULT_DEDUP_TTL: Duration = Duration::from_secs(600);
/// Default number of ids remembered per instance.
pub const DEFAULT_DEDUP_CAPACITY: usize = 100_000;

#[derive(Debug)]
pub struct RecentIds {
    ttl: Duration,
    entries: LruCache<CompanyId, Duration>,
}

impl RecentIds {
    pub fn new(ttl: Duration, capacity: NonZeroUsize) -> Self {
        RecentIds {
            ttl,
            entries: LruCache::new(capacity),
        }
    }

    /// Whether `id` was enqueued less than `ttl` before `now`. A hit counts as use for the
    /// LRU order; an expired entry is dropped.
    pub fn seen_recently(&mut self, id: &CompanyId, now: Duration) -> bool {
        match self.entries.get(id) {
            Some(&at) if now.saturating_sub(at) < self.ttl => true,
            Some(_) => {
                self.entries.pop(id);
                false
            }
            None => false,
        }
    }

    /// Remember that `id` was accepted by the queue at `now`.
    pub fn remember(&mut self, id: CompanyId, now: Duration) {
        self.entries.put(id, now);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> CompanyId {
        CompanyId::parse(s).unwrap()
    }

    #[test]
    fn remembers_until_the_ttl_then_forgets() {
        let mut cache = RecentIds::new(Duration::from_secs(600), NonZeroUsize::new(10).unwrap());
        cache.remember(id("acme"), Duration::from_secs(100));
        assert!(cache.seen_recently(&id("acme"), Duration::from_secs(100)));
        assert!(cache.seen_recently(&id("acme"), Duration::from_millis(699_999)));
        assert!(!cache.seen_recently(&id("acme"), Duration::from_secs(700)));
        assert!(cache.is_empty(), "an expired entry is dropped");
    }

    #[test]
    fn a_hit_does_not_extend_the_ttl() {
        let mut cache = RecentIds::new(Duration::from_secs(10), NonZeroUsize::new(10).unwrap());
        cache.remember(id("acme"), Duration::ZERO);
        assert!(cache.seen_recently(&id("acme"), Duration::from_secs(9)));
        assert!(!cache.seen_recently(&id("acme"), Duration::from_secs(10)));
    }

    #[test]
    fn evicts_the_least_recently_used_at_capacity() {
        let mut cache = RecentIds::new(Duration::from_secs(600), NonZeroUsize::new(2).unwrap());
        cache.remember(id("a"), Duration::ZERO);
        cache.remember(id("b"), Duration::ZERO);
        assert!(cache.seen_recently(&id("a"), Duration::ZERO)); // a is now more recent than b
        cache.remember(id("c"), Duration::ZERO);
        assert_eq!(cache.len(), 2);
        assert!(cache.seen_recently(&id("a"), Duration::ZERO));
        assert!(
            !cache.seen_recently(&id("b"), Duration::ZERO),
            "b was least recently used"
        );
        assert!(cache.seen_recently(&id("c"), Duration::ZERO));
    }
}

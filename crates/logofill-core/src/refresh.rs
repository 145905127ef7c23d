//! The refresh index and the scheduled refresh job.
//!
//! Finding the sets that are due must cost O(due), not a HEAD per company. The index is one
//! empty object per filed set, named by the day it is due:
//!
//! ```text
//! refresh/due/{YYYY-MM-DD}/{company_id}
//! ```
//!
//! S3 lists keys in byte order, so the index reads oldest day first: a run lists from the
//! start of `refresh/due/` and stops at the first key of a day after today. It reads only
//! what is due (plus one page at most), one LIST per 1,000 due sets, sends them in batches of
//! ten with origin `refresh`, then removes the keys it sent with one `DeleteObjects` per page.
//! A key whose message the queue would not take stays, and the next run sends it again.
//!
//! The worker keeps the index: whenever it stores or re-checks a set it files the set under
//! its next due day ([`RefreshPolicy::next_due`]) and removes the key it supersedes (the day
//! in the sentinel's `refresh-due`). Pinned sets are never filed. A refresh message for a set
//! whose `refresh-due` is still ahead is a stale hint (an older key that outlived its
//! replacement) and the worker skips it.

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};

use crate::company::CompanyId;
use crate::message::Origin;
use crate::queue::{MessageQueue, MAX_BATCH_ENTRIES};
use crate::report::send_company_messages;
use crate::store::{LogoStore, StoreError, StoredObject, MAX_LIST_KEYS};

/// Where the index lives in the logo bucket.
pub const DUE_PREFIX: &str = "refresh/due/";

/// Days from one look for a logo that found none to the next, by the number of looks so far:
/// 1, 3, 7, then every 30 days.
pub const PLACEHOLDER_BACKOFF_DAYS: [u64; 4] = [1, 3, 7, 30];

/// The index key of `company` due on `day`.
pub fn due_key(day: NaiveDate, company: &CompanyId) -> String {
    format!("{DUE_PREFIX}{}/{company}", day.format("%Y-%m-%d"))
}

/// The day and company an index key names; `None` for a key the index never writes.
pub fn parse_due_key(key: &str) -> Option<(NaiveDate, CompanyId)> {
    let rest = key.strip_prefix(DUE_PREFIX)?;
    let (day, id) = rest.split_once('/')?;
    if day.len() != 10 {
        return None;
    }
    let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    Some((day, CompanyId::parse(id).ok()?))
}

/// A `refresh-due` metadata value (`YYYY-MM-DD`).
pub fn parse_day(value: &str) -> Option<NaiveDate> {
    (value.len() == 10)
        .then(|| NaiveDate::parse_from_str(value, "%Y-%m-%d").ok())
        .flatten()
}

/// What a stored set is, as far as its refresh goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetState {
    /// A logo the worker found.
    Logo,
    /// A placeholder after `attempts` looks that found nothing usable.
    NoLogo { attempts: u32 },
    /// A placeholder because the site answered with a bot challenge or refused every fetch.
    Blocked,
    /// An operator's set, or any set pinned: never refreshed.
    Pinned,
}

/// When sets are due again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// A logo's age at which it is looked at again (`LOGOFILL_LOGO_REFRESH_SECS`).
    pub logo_after: Duration,
    /// A blocked placeholder's (`LOGOFILL_BLOCKED_RETRY_SECS`).
    pub blocked_retry: Duration,
}

impl RefreshPolicy {
    /// The day a set in `state`, stored or checked at `now`, is due; `None`: never.
    pub fn next_due(&self, state: SetState, now: DateTime<Utc>) -> Option<NaiveDate> {
        let wait = match state {
            SetState::Pinned => return None,
            SetState::Logo => self.logo_after,
            SetState::Blocked => self.blocked_retry,
            SetState::NoLogo { attempts } => {
                let step = (attempts.max(1) as usize - 1).min(PLACEHOLDER_BACKOFF_DAYS.len() - 1);
                Duration::from_secs(PLACEHOLDER_BACKOFF_DAYS[step] * 86_400)
            }
        };
        let wait = chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::days(36_500));
        // At least the next day: a run sends what is due up to today, so a set checked today
        // and due today would be sent again by the same day's run.
        let due = now.checked_add_signed(wait).unwrap_or(now).date_naive();
        Some(due.max(now.date_naive() + chrono::Duration::days(1)))
    }
}

/// File `company` under `next` (or nowhere) and remove the key of `previous`, the day the
/// sentinel said before. The new key is written first: a crash between the two leaves an
/// extra key (a stale hint the worker skips), never a set that is filed nowhere.
pub async fn refile<S: LogoStore>(
    store: &S,
    company: &CompanyId,
    previous: Option<NaiveDate>,
    next: Option<NaiveDate>,
) -> Result<(), StoreError> {
    if previous == next {
        return Ok(());
    }
    if let Some(day) = next {
        store
            .put(StoredObject {
                key: due_key(day, company),
                bytes: Vec::new(),
                content_type: "application/octet-stream".into(),
                cache_control: "no-store".into(),
                metadata: Default::default(),
            })
            .await?;
    }
    if let Some(day) = previous {
        store.delete(&due_key(day, company)).await?;
    }
    Ok(())
}

/// How a run goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    /// Batches of ten sent at once.
    pub concurrency: usize,
    /// A run that has taken this long stops after the page it is on; the next run goes on
    /// from there (what was not sent is still in the index).
    pub time_limit: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            concurrency: 16,
            // A Lambda may run 900 s; leave room for the page in flight.
            time_limit: Duration::from_secs(780),
        }
    }
}

/// What one run did, and the requests it made.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RunReport {
    /// Sets sent with origin `refresh`.
    pub sent: u64,
    /// Sets the queue would not take (still filed; the next run sends them again).
    pub failed: u64,
    /// Keys under the prefix that the index never writes, removed.
    pub malformed: u64,
    /// Keys removed after their message was sent.
    pub removed: u64,
    /// Requests made: LIST, DeleteObjects, SendMessageBatch.
    pub list_requests: u64,
    pub delete_requests: u64,
    pub send_requests: u64,
    /// The run stopped at its time limit with due sets left.
    pub stopped_early: bool,
    /// The first due day seen, and the last.
    pub oldest_due: Option<NaiveDate>,
}

/// Why a run stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("the refresh index could not be read or updated: {0}")]
    Store(#[from] StoreError),
}

impl RunError {
    pub fn is_retryable(&self) -> bool {
        match self {
            RunError::Store(e) => e.is_retryable(),
        }
    }
}

/// Send every set due on or before `today`, oldest first, and remove their keys.
pub async fn run_due<S: LogoStore, Q: MessageQueue>(
    store: &S,
    queue: &Q,
    today: NaiveDate,
    reported_at: DateTime<Utc>,
    options: RunOptions,
) -> Result<RunReport, RunError> {
    let started = Instant::now();
    let reported_at = reported_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let concurrency = options.concurrency.max(1);
    let mut report = RunReport::default();
    let mut after: Option<String> = None;
    loop {
        if started.elapsed() >= options.time_limit {
            report.stopped_early = true;
            break;
        }
        let page = store
            .list(DUE_PREFIX, after.as_deref(), MAX_LIST_KEYS)
            .await?;
        report.list_requests += 1;
        let mut due: Vec<(String, CompanyId)> = Vec::with_capacity(page.keys.len());
        let mut malformed: Vec<String> = Vec::new();
        let mut reached_future = false;
        for key in &page.keys {
            match parse_due_key(key) {
                Some((day, _)) if day > today => {
                    reached_future = true;
                    break;
                }
                Some((day, company)) => {
                    report.oldest_due.get_or_insert(day);
                    due.push((key.clone(), company));
                }
                None => malformed.push(key.clone()),
            }
        }
        // Keys whose message was not taken stay; the next page starts after the last key read.
        after = page.keys.last().cloned();

        let ids: Vec<CompanyId> = due.iter().map(|(_, id)| id.clone()).collect();
        let mut sent: Vec<CompanyId> = Vec::with_capacity(ids.len());
        let chunks: Vec<&[CompanyId]> = ids.chunks(MAX_BATCH_ENTRIES).collect();
        for group in chunks.chunks(concurrency) {
            let results =
                futures_util::future::join_all(group.iter().map(|chunk| {
                    send_company_messages(queue, chunk, &reported_at, Origin::Refresh)
                }))
                .await;
            report.send_requests += group.len() as u64;
            for (ok, failed) in results {
                report.sent += ok.len() as u64;
                report.failed += failed.len() as u64;
                if !failed.is_empty() {
                    // One retry inside send_company_messages; each failure counts a request.
                    report.send_requests += 1;
                }
                sent.extend(ok);
            }
        }
        let sent: std::collections::HashSet<CompanyId> = sent.into_iter().collect();
        let mut remove: Vec<String> = due
            .into_iter()
            .filter(|(_, id)| sent.contains(id))
            .map(|(key, _)| key)
            .collect();
        report.malformed += malformed.len() as u64;
        remove.extend(malformed);
        if !remove.is_empty() {
            store.delete_many(&remove).await?;
            report.delete_requests += 1;
            report.removed += remove.len() as u64;
        }
        if reached_future || page.next.is_none() {
            break;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::MemoryQueue;
    use crate::store::MemoryStore;
    use crate::QueueMessage;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn id(s: &str) -> CompanyId {
        CompanyId::parse(s).unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn keys_name_the_day_then_the_company_and_read_back() {
        let key = due_key(day("2026-12-02"), &id("acme-1"));
        assert_eq!(key, "refresh/due/2026-12-02/acme-1");
        assert_eq!(parse_due_key(&key), Some((day("2026-12-02"), id("acme-1"))));
        for bad in [
            "refresh/due/2026-12-2/acme",
            "refresh/due/2026-13-01/acme",
            "refresh/due/2026-12-02/",
            "refresh/due/2026-12-02",
            "logos/acme/256.png",
            "refresh/due/2026-12-02/a/b",
        ] {
            assert_eq!(parse_due_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn placeholders_back_off_logos_wait_their_age_pinned_sets_never_come_due() {
        let policy = RefreshPolicy {
            logo_after: Duration::from_secs(30 * 86_400),
            blocked_retry: Duration::from_secs(86_400),
        };
        let now = at("2026-12-02T10:00:00Z");
        let due = |state| policy.next_due(state, now);
        assert_eq!(
            due(SetState::NoLogo { attempts: 1 }),
            Some(day("2026-12-03"))
        );
        assert_eq!(
            due(SetState::NoLogo { attempts: 2 }),
            Some(day("2026-12-05"))
        );
        assert_eq!(
            due(SetState::NoLogo { attempts: 3 }),
            Some(day("2026-12-09"))
        );
        assert_eq!(
            due(SetState::NoLogo { attempts: 4 }),
            Some(day("2027-01-01"))
        );
        assert_eq!(
            due(SetState::NoLogo { attempts: 40 }),
            Some(day("2027-01-01"))
        );
        assert_eq!(
            due(SetState::NoLogo { attempts: 0 }),
            Some(day("2026-12-03"))
        );
        assert_eq!(due(SetState::Blocked), Some(day("2026-12-03")));
        assert_eq!(due(SetState::Logo), Some(day("2027-01-01")));
        assert_eq!(due(SetState::Pinned), None);
        let hasty = RefreshPolicy {
            logo_after: Duration::from_secs(60),
            blocked_retry: Duration::ZERO,
        };
        assert_eq!(
            hasty.next_due(SetState::Logo, now),
            Some(day("2026-12-03")),
            "never due on the day it was checked"
        );
    }

    fn block<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn refiling_writes_the_new_key_and_removes_the_old() {
        let store = MemoryStore::new();
        let acme = id("acme");
        block(refile(&store, &acme, None, Some(day("2026-12-03")))).unwrap();
        assert!(store.get("refresh/due/2026-12-03/acme").is_some());
        block(refile(
            &store,
            &acme,
            Some(day("2026-12-03")),
            Some(day("2027-01-01")),
        ))
        .unwrap();
        assert!(store.get("refresh/due/2026-12-03/acme").is_none());
        assert!(store.get("refresh/due/2027-01-01/acme").is_some());
        block(refile(&store, &acme, Some(day("2027-01-01")), None)).unwrap();
        assert!(store.get("refresh/due/2027-01-01/acme").is_none());
    }

    #[test]
    fn a_run_sends_what_is_due_removes_it_and_leaves_the_rest() {
        let store = MemoryStore::new();
        let queue = MemoryQueue::new("refresh", false);
        let today = day("2026-12-02");
        let mut due_ids = Vec::new();
        for n in 0..2_345 {
            let d = ["2026-11-30", "2026-12-01", "2026-12-02"][n % 3];
            let company = id(&format!("c{n:05}"));
            block(refile(&store, &company, None, Some(day(d)))).unwrap();
            due_ids.push(company);
        }
        for n in 0..50 {
            block(refile(
                &store,
                &id(&format!("later{n}")),
                None,
                Some(day("2026-12-03")),
            ))
            .unwrap();
        }
        block(store.put(StoredObject {
            key: "refresh/due/2026-00-01/x".into(),
            bytes: Vec::new(),
            content_type: "application/octet-stream".into(),
            cache_control: "no-store".into(),
            metadata: Default::default(),
        }))
        .unwrap();
        let report = block(run_due(
            &store,
            &queue,
            today,
            at("2026-12-02T03:00:00Z"),
            RunOptions::default(),
        ))
        .unwrap();
        assert_eq!(report.sent, 2_345);
        assert_eq!(report.failed, 0);
        assert_eq!(report.removed, 2_346, "sent keys and the malformed one");
        assert_eq!(report.malformed, 1);
        assert_eq!(report.list_requests, 3, "2,396 keys: three pages");
        assert_eq!(report.send_requests, 235);
        assert_eq!(report.oldest_due, Some(day("2026-11-30")));
        let left = block(store.list(DUE_PREFIX, None, 1000)).unwrap();
        assert_eq!(left.keys.len(), 50, "only the sets due later are filed");
        assert!(left.keys.iter().all(|k| k.contains("2026-12-03")));
        let accepted = queue.accepted();
        assert_eq!(accepted.len(), 2_345);
        for message in accepted {
            let body = QueueMessage::from_body(&message.body).unwrap();
            assert_eq!(body.origin, Origin::Refresh);
            assert!(due_ids.contains(&body.company_id));
        }

        let again = block(run_due(
            &store,
            &queue,
            today,
            at("2026-12-02T04:00:00Z"),
            RunOptions::default(),
        ))
        .unwrap();
        assert_eq!(
            (again.sent, again.list_requests),
            (0, 1),
            "nothing is due twice"
        );
    }

    #[test]
    fn a_set_the_queue_refuses_stays_filed_for_the_next_run() {
        let store = MemoryStore::new();
        let queue = MemoryQueue::new("refresh", false);
        queue
            .service()
            .refuse_bodies_containing("\"c3\"", "InvalidParameterValue");
        for n in 0..5 {
            block(refile(
                &store,
                &id(&format!("c{n}")),
                None,
                Some(day("2026-12-01")),
            ))
            .unwrap();
        }
        let report = block(run_due(
            &store,
            &queue,
            day("2026-12-02"),
            at("2026-12-02T03:00:00Z"),
            RunOptions::default(),
        ))
        .unwrap();
        assert_eq!((report.sent, report.failed), (4, 1));
        let left = block(store.list(DUE_PREFIX, None, 10)).unwrap();
        assert_eq!(left.keys, ["refresh/due/2026-12-01/c3"]);
    }

    #[test]
    fn an_unavailable_index_stops_the_run_as_retryable() {
        let store = MemoryStore::new();
        store.set_unavailable(true);
        let queue = MemoryQueue::new("refresh", false);
        let err = block(run_due(
            &store,
            &queue,
            day("2026-12-02"),
            at("2026-12-02T03:00:00Z"),
            RunOptions::default(),
        ))
        .unwrap_err();
        assert!(err.is_retryable(), "{err}");
    }
}

//! The worker's side of the scheduled refresh and of operator requests, on the in-memory twins:
//! every set it stores or re-checks is filed in the refresh index; a refresh of an unchanged
//! source (304, the same bytes, or a render that looks the same) touches only the sentinel's
//! metadata, writes no image and invalidates nothing; a changed logo is replaced and
//! invalidated; placeholders back off; pinned sets are never touched; rejected sources are
//! never picked again.

mod common;

use std::sync::Arc;

use common::{id, settings};

use chrono::{Duration, Utc};
use logofill_core::directory::JsonlDirectory;
use logofill_core::fetch::MemoryFetcher;
use logofill_core::refresh::{due_key, DUE_PREFIX};
use logofill_core::store::{LogoStore as _, MemoryStore};
use logofill_core::Origin;
use logofill_render::Renderer;
use logofill_worker::wiring::{pipeline, service_options};
use logofill_worker::{LogoWorker, Outcome};

type Worker = LogoWorker<JsonlDirectory, MemoryStore, Arc<MemoryFetcher>>;

const HOME: &str = "https://acme.example/";
const LOGO: &str = "https://acme.example/logo.svg";
const SENTINEL: &str = "logos/acme/256.png";

fn worker(fetcher: Arc<MemoryFetcher>) -> Worker {
    let settings = settings();
    let record = serde_json::json!({"id": "acme", "name": "Acme", "homepage": HOME});
    LogoWorker::new(
        JsonlDirectory::parse("test", &record.to_string()),
        MemoryStore::new(),
        fetcher,
        Renderer::in_process(pipeline(&settings).unwrap()),
        service_options(&settings),
    )
}

/// A square two-colour mark; `extra` is markup that changes the bytes, not the pixels.
fn mark(fill: &str, extra: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 100 100">{extra}<rect width="100" height="100" fill="{fill}"/><circle cx="50" cy="50" r="30" fill="white"/><rect x="40" y="20" width="20" height="60" fill="{fill}"/></svg>"#
    )
}

fn site(fetcher: &MemoryFetcher, svg: &str, etag: &str) {
    fetcher.answer(
        HOME,
        200,
        format!(
            r#"<html><head><link rel="icon" type="image/svg+xml" href="{LOGO}"></head></html>"#
        ),
    );
    fetcher.answer_with(LOGO, 200, &[("ETag", etag)], svg.to_string());
}

fn metadata(w: &Worker) -> std::collections::BTreeMap<String, String> {
    w.store().get(SENTINEL).expect("a stored set").metadata
}

/// Make the set due today, as the index would after its wait.
async fn make_due(w: &Worker) {
    let mut meta = metadata(w);
    let old = meta["refresh-due"].clone();
    let today = Utc::now().date_naive();
    meta.insert("refresh-due".into(), today.format("%Y-%m-%d").to_string());
    w.store().replace_metadata(SENTINEL, meta).await.unwrap();
    w.store()
        .delete(&format!("{DUE_PREFIX}{old}/acme"))
        .await
        .unwrap();
}

fn filed(w: &Worker) -> Vec<String> {
    let mut keys: Vec<String> = w
        .store()
        .write_order()
        .into_iter()
        .filter(|k| k.starts_with(DUE_PREFIX) && w.store().get(k).is_some())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

fn image_writes(w: &Worker, since: usize) -> Vec<String> {
    w.store().write_order()[since..]
        .iter()
        .filter(|k| k.starts_with("logos/") && k.as_str() != SENTINEL)
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_stored_logo_is_filed_and_an_unchanged_source_only_touches_metadata() {
    let fetcher = Arc::new(MemoryFetcher::new());
    site(&fetcher, &mark("#c03", ""), "\"v1\"");
    let w = worker(fetcher.clone());
    let first = w.process(&id("acme"), Origin::Report).await;
    assert!(
        matches!(first.outcome, Outcome::Stored { .. }),
        "{:?}",
        first.outcome
    );
    let meta = metadata(&w);
    assert_eq!(meta["source-etag"], "\"v1\"");
    assert_eq!(meta["source-format"], "svg");
    assert_eq!(meta["phash"].len(), 22);
    assert!(meta.contains_key("stored-at") && meta.contains_key("checked-at"));
    let due = (Utc::now() + Duration::days(30)).date_naive();
    assert_eq!(meta["refresh-due"], due.format("%Y-%m-%d").to_string());
    assert_eq!(filed(&w), [due_key(due, &id("acme"))]);

    // A refresh before the day is a stale hint: nothing fetched.
    let asked = fetcher.requests().len();
    let early = w.process(&id("acme"), Origin::Refresh).await;
    assert!(
        matches!(early.outcome, Outcome::AlreadyPresent { .. }),
        "{:?}",
        early.outcome
    );
    assert_eq!(fetcher.requests().len(), asked);

    // Due: one conditional GET, a 304, metadata only.
    make_due(&w).await;
    let writes = w.store().write_order().len();
    let refresh = w.process(&id("acme"), Origin::Refresh).await;
    assert!(
        matches!(&refresh.outcome, Outcome::Unchanged { why, .. } if why.contains("unchanged")),
        "{:?}",
        refresh.outcome
    );
    assert_eq!(
        fetcher.requests()[asked..],
        [LOGO],
        "only the source, not the homepage"
    );
    assert!(refresh.written.is_empty());
    assert!(image_writes(&w, writes).is_empty(), "no image written");
    assert!(w.take_replaced().is_empty(), "nothing to invalidate");
    assert_eq!(
        filed(&w),
        [due_key(due, &id("acme"))],
        "filed again, 30 days on"
    );
}

#[tokio::test]
async fn new_bytes_that_look_the_same_are_not_churn_and_a_new_logo_replaces_the_set() {
    let fetcher = Arc::new(MemoryFetcher::new());
    site(&fetcher, &mark("#c03", ""), "\"v1\"");
    let w = worker(fetcher.clone());
    w.process(&id("acme"), Origin::Report).await;
    let stored_sha = metadata(&w)["source-sha256"].clone();

    // Re-exported with a comment: other bytes, other ETag, the same pixels.
    site(&fetcher, &mark("#c03", "<!-- exported again -->"), "\"v2\"");
    make_due(&w).await;
    let writes = w.store().write_order().len();
    let same = w.process(&id("acme"), Origin::Refresh).await;
    assert!(
        matches!(&same.outcome, Outcome::Unchanged { why, .. } if why.contains("looks the same")),
        "{:?}",
        same.outcome
    );
    assert!(image_writes(&w, writes).is_empty());
    assert!(w.take_replaced().is_empty());
    let meta = metadata(&w);
    assert_eq!(
        meta["source-etag"], "\"v2\"",
        "the next refresh sends the new validator"
    );
    assert_ne!(meta["source-sha256"], stored_sha);

    // A new mark: replaced, and the CDN is told.
    site(
        &fetcher,
        &mark("#093", "<circle cx='10' cy='10' r='8' fill='#000'/>"),
        "\"v3\"",
    );
    make_due(&w).await;
    let writes = w.store().write_order().len();
    let changed = w.process(&id("acme"), Origin::Refresh).await;
    assert!(
        matches!(changed.outcome, Outcome::Stored { .. }),
        "{:?}",
        changed.outcome
    );
    assert_eq!(
        image_writes(&w, writes).len(),
        5,
        "every variant but the sentinel, and it"
    );
    assert_eq!(w.take_replaced(), [id("acme")]);
}

#[tokio::test]
async fn a_placeholder_backs_off_and_a_refreshed_logo_is_kept_when_its_site_goes_dark() {
    let fetcher = Arc::new(MemoryFetcher::new());
    fetcher.answer(HOME, 200, "<h1>Acme</h1>");
    let w = worker(fetcher.clone());
    let first = w.process(&id("acme"), Origin::Report).await;
    assert!(
        matches!(first.outcome, Outcome::Placeholder { .. }),
        "{:?}",
        first.outcome
    );
    let today = Utc::now().date_naive();
    assert_eq!(metadata(&w)["attempts"], "1");
    assert_eq!(filed(&w), [due_key(today + Duration::days(1), &id("acme"))]);
    for (look, wait) in [(2, 3), (3, 7), (4, 30), (5, 30)] {
        make_due(&w).await;
        let again = w.process(&id("acme"), Origin::Refresh).await;
        assert!(
            matches!(again.outcome, Outcome::Unchanged { .. }),
            "{:?}",
            again.outcome
        );
        assert_eq!(metadata(&w)["attempts"], look.to_string());
        assert_eq!(
            filed(&w),
            [due_key(today + Duration::days(wait), &id("acme"))],
            "look {look}"
        );
    }
    assert!(w.take_replaced().is_empty());

    // A logo appears: the placeholder is replaced (and invalidated).
    site(&fetcher, &mark("#c03", ""), "\"v1\"");
    make_due(&w).await;
    let found = w.process(&id("acme"), Origin::Refresh).await;
    assert!(
        matches!(found.outcome, Outcome::Stored { .. }),
        "{:?}",
        found.outcome
    );
    assert_eq!(w.take_replaced(), [id("acme")]);
    assert!(!metadata(&w).contains_key("attempts"));

    // The site then blocks us and the source is gone: the logo stays.
    fetcher.answer_with(
        HOME,
        403,
        &[("cf-mitigated", "challenge")],
        "Just a moment...",
    );
    fetcher.answer(LOGO, 404, "");
    make_due(&w).await;
    let writes = w.store().write_order().len();
    let dark = w.process(&id("acme"), Origin::Refresh).await;
    assert!(
        matches!(&dark.outcome, Outcome::Unchanged { kind, .. } if kind == "logo"),
        "{:?}",
        dark.outcome
    );
    assert!(image_writes(&w, writes).is_empty());
    assert_eq!(metadata(&w)["kind"], "logo");
}

#[tokio::test]
async fn a_pinned_set_is_never_refreshed_and_a_rejected_source_is_never_picked_again() {
    let fetcher = Arc::new(MemoryFetcher::new());
    site(&fetcher, &mark("#c03", ""), "\"v1\"");
    let w = worker(fetcher.clone());
    w.process(&id("acme"), Origin::Report).await;

    // An operator rejects the source: the next look skips it (and finds nothing else).
    let mut meta = metadata(&w);
    let prefix: String = meta["source-sha256"].chars().take(16).collect();
    meta.insert("rejected".into(), prefix.clone());
    w.store().replace_metadata(SENTINEL, meta).await.unwrap();
    let operator = w.process(&id("acme"), Origin::Operator).await;
    assert!(
        matches!(operator.outcome, Outcome::Placeholder { .. }),
        "{:?}",
        operator.outcome
    );
    assert!(
        operator
            .attempts
            .iter()
            .any(|a| a.result.contains("rejected")),
        "{:#?}",
        operator.attempts
    );
    assert_eq!(metadata(&w)["rejected"], prefix, "kept on the new set");
    assert_eq!(w.take_replaced(), [id("acme")]);
    // Later looks skip it too.
    make_due(&w).await;
    let refresh = w.process(&id("acme"), Origin::Refresh).await;
    assert!(
        matches!(refresh.outcome, Outcome::Unchanged { .. }),
        "{:?}",
        refresh.outcome
    );
    assert_eq!(metadata(&w)["kind"], "placeholder");

    // Pinned: neither a refresh nor an operator's look touches it.
    let mut meta = metadata(&w);
    meta.insert("pinned".into(), "true".into());
    meta.insert("refresh-due".into(), "2020-01-01".into());
    w.store().replace_metadata(SENTINEL, meta).await.unwrap();
    let writes = w.store().write_order().len();
    let asked = fetcher.requests().len();
    for origin in [Origin::Refresh, Origin::Report, Origin::Operator] {
        let run = w.process(&id("acme"), origin).await;
        assert!(
            matches!(run.outcome, Outcome::AlreadyPresent { .. }),
            "{:?}",
            run.outcome
        );
    }
    assert_eq!(w.store().write_order().len(), writes);
    assert_eq!(fetcher.requests().len(), asked);
}

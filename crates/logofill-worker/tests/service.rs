//! The worker service on its in-memory twins (directory from text, fetcher, bucket, an
//! in-process renderer): the outcomes discovery adds, without moto or a network.

mod common;

use std::sync::Arc;

use common::{id, png, settings};

use chrono::Utc;
use logofill_core::directory::JsonlDirectory;
use logofill_core::fetch::MemoryFetcher;
use logofill_core::store::MemoryStore;
use logofill_render::Renderer;
use logofill_worker::shared_source::source_key;
use logofill_worker::wiring::{pipeline, service_options};
use logofill_worker::{LogoWorker, Outcome};

type Worker = LogoWorker<JsonlDirectory, MemoryStore, Arc<MemoryFetcher>>;

fn worker(companies: &[serde_json::Value], fetcher: Arc<MemoryFetcher>) -> Worker {
    let text: Vec<String> = companies.iter().map(|c| c.to_string()).collect();
    let settings = settings();
    LogoWorker::new(
        JsonlDirectory::parse("test", &text.join("\n")),
        MemoryStore::new(),
        fetcher,
        Renderer::in_process(pipeline(&settings).unwrap()),
        service_options(&settings),
    )
}

#[tokio::test]
async fn a_blocked_site_gets_a_blocked_placeholder_that_is_retried_after_a_day() {
    let fetcher = Arc::new(MemoryFetcher::new());
    fetcher.answer_with(
        "https://acme.example/",
        403,
        &[("cf-mitigated", "challenge")],
        "<title>Just a moment...</title>",
    );
    let w = worker(
        &[serde_json::json!({"id": "acme", "name": "Acme", "homepage": "https://acme.example/"})],
        fetcher.clone(),
    );
    let report = w.process_company(&id("acme")).await;
    assert!(
        matches!(&report.outcome, Outcome::Blocked { reason } if reason.contains("challenge")),
        "{:?}",
        report.outcome
    );
    assert_eq!(report.outcome.name(), "blocked");
    assert!(
        !report.outcome.is_failure(),
        "acknowledged, not retried by SQS"
    );
    let sentinel = w.store().get("logos/acme/256.png").unwrap();
    assert_eq!(sentinel.metadata["kind"], "placeholder");
    assert_eq!(sentinel.metadata["reason"], "blocked");
    assert!(!sentinel.metadata.contains_key("source-url"));
    assert!(!sentinel.metadata.contains_key("source-sha256"));
    assert!(
        w.take_replaced().is_empty(),
        "a first store needs no CDN invalidation"
    );

    // Within the day it stays; after it, the next report looks again.
    let again = w.process_company(&id("acme")).await;
    assert!(
        matches!(again.outcome, Outcome::AlreadyPresent { .. }),
        "{:?}",
        again.outcome
    );
    looked_at(
        &w,
        "logos/acme/256.png",
        Utc::now() - chrono::Duration::hours(25),
    )
    .await;
    let writes = w.store().write_order().len();
    let later = w.process_company(&id("acme")).await;
    assert!(
        matches!(&later.outcome, Outcome::Unchanged { why, .. } if why.contains("look 2")),
        "still blocked: the same placeholder, one more look: {:?}",
        later.outcome
    );
    let new_writes = w.store().write_order()[writes..].to_vec();
    assert_eq!(
        new_writes[0], "logos/acme/256.png",
        "the sentinel's metadata, and no image"
    );
    assert!(
        new_writes[1..]
            .iter()
            .all(|k| k.starts_with("refresh/due/")),
        "at most the index key besides: {new_writes:?}"
    );
    let sentinel = w.store().get("logos/acme/256.png").unwrap();
    assert_eq!(sentinel.metadata["attempts"], "2");
    assert!(
        w.take_replaced().is_empty(),
        "nothing replaced, nothing to invalidate"
    );

    // The site lets us in again: the logo replaces the placeholder, and the CDN is told.
    fetcher.answer(
        "https://acme.example/",
        200,
        r#"<link rel="icon" href="/logo.png">"#,
    );
    fetcher.answer("https://acme.example/logo.png", 200, png("acme"));
    looked_at(
        &w,
        "logos/acme/256.png",
        Utc::now() - chrono::Duration::hours(25),
    )
    .await;
    let logo = w.process_company(&id("acme")).await;
    assert!(
        matches!(logo.outcome, Outcome::Stored { .. }),
        "{:?}",
        logo.outcome
    );
    assert_eq!(
        w.take_replaced(),
        [id("acme")],
        "a stored set was replaced: its CDN paths are to be invalidated"
    );
    assert!(w.take_replaced().is_empty(), "taken once");
    let sentinel = w.store().get("logos/acme/256.png").unwrap();
    assert!(
        !sentinel.metadata.contains_key("attempts"),
        "{:?}",
        sentinel.metadata
    );
}

/// Make the set look last checked at `at`.
async fn looked_at(w: &Worker, key: &str, at: chrono::DateTime<Utc>) {
    use logofill_core::store::LogoStore as _;
    let mut metadata = w.store().get(key).unwrap().metadata;
    let at = at.to_rfc3339();
    metadata.insert("checked-at".into(), at.clone());
    metadata.insert("stored-at".into(), at);
    w.store().replace_metadata(key, metadata).await.unwrap();
}

#[tokio::test]
async fn a_no_logo_placeholder_waits_its_week_not_the_blocked_day() {
    let fetcher = Arc::new(MemoryFetcher::new());
    fetcher.answer("https://plain.example/", 200, "<h1>Plain</h1>");
    let w = worker(
        &[
            serde_json::json!({"id": "plain", "name": "Plain", "homepage": "https://plain.example/"}),
        ],
        fetcher,
    );
    let first = w.process_company(&id("plain")).await;
    assert!(
        matches!(first.outcome, Outcome::Placeholder { .. }),
        "{:?}",
        first.outcome
    );
    assert_eq!(
        w.store().get("logos/plain/256.png").unwrap().metadata["reason"],
        "no-logo"
    );
    looked_at(
        &w,
        "logos/plain/256.png",
        Utc::now() - chrono::Duration::hours(25),
    )
    .await;
    let again = w.process_company(&id("plain")).await;
    assert!(
        matches!(again.outcome, Outcome::AlreadyPresent { .. }),
        "{:?}",
        again.outcome
    );
}

#[tokio::test]
async fn the_same_icon_on_another_site_is_a_platform_icon_for_the_second_company() {
    let fetcher = Arc::new(MemoryFetcher::new());
    let shared = png("builder");
    for site in ["https://first.example/", "https://second.example/"] {
        fetcher
            .answer(site, 200, "<link rel=icon href=/favicon.png>")
            .answer(&format!("{site}favicon.png"), 200, shared.clone());
    }
    fetcher.answer("https://cdn.example/second.png", 200, shared.clone());
    let w = worker(
        &[
            serde_json::json!({"id": "first", "name": "First", "homepage": "https://first.example/"}),
            serde_json::json!({"id": "second", "name": "Second", "homepage": "https://second.example/"}),
            serde_json::json!({"id": "third", "name": "Third", "homepage": "https://second.example/", "logo_url": "https://cdn.example/second.png"}),
        ],
        fetcher,
    );
    let first = w.process_company(&id("first")).await;
    assert!(
        matches!(first.outcome, Outcome::Stored { .. }),
        "{:?}",
        first.outcome
    );
    let sha = w.store().get("logos/first/256.png").unwrap().metadata["source-sha256"].clone();
    let entry = w.store().get(&source_key(&sha)).expect("index entry");
    assert_eq!(entry.metadata["company-id"], "first");
    assert_eq!(entry.metadata["site"], "first.example");

    let second = w.process_company(&id("second")).await;
    assert!(
        matches!(second.outcome, Outcome::Placeholder { .. }),
        "{:?}",
        second.outcome
    );
    let refusal = second
        .attempts
        .iter()
        .find(|a| a.url == "https://second.example/favicon.png")
        .unwrap();
    assert!(
        refusal.result.contains("shared_source")
            && refusal.result.contains("company first on first.example"),
        "{refusal:?}"
    );

    // The directory's own logo_url is the operator's word.
    let third = w.process_company(&id("third")).await;
    assert!(
        matches!(third.outcome, Outcome::Stored { .. }),
        "{:?}",
        third.outcome
    );
}

#[test]
fn margins_are_trimmed_by_default() {
    let settings = settings();
    assert!(settings.trim);
    assert!(pipeline(&settings).unwrap().options().trim.is_some());
}

#[tokio::test]
async fn a_pinned_manual_set_is_kept_when_the_company_is_reported() {
    let fetcher = Arc::new(MemoryFetcher::new());
    fetcher.answer(
        "https://acme.example/",
        200,
        "<link rel=icon href=/favicon.png>",
    );
    fetcher.answer("https://acme.example/favicon.png", 200, png("acme"));
    let w = worker(
        &[serde_json::json!({"id": "acme", "name": "Acme", "homepage": "https://acme.example/"})],
        fetcher,
    );
    let manual = logofill_core::store::StoredObject {
        key: "logos/acme/256.png".into(),
        bytes: png("manual"),
        content_type: "image/png".into(),
        cache_control: "public, max-age=86400".into(),
        metadata: [
            (
                "kind".to_string(),
                logofill_worker::service::MANUAL_KIND.to_string(),
            ),
            ("pinned".to_string(), "true".to_string()),
        ]
        .into(),
    };
    use logofill_core::store::LogoStore as _;
    w.store().put(manual.clone()).await.unwrap();
    w.store().backdate(
        "logos/acme/256.png",
        Utc::now() - chrono::Duration::days(400),
    );
    let run = w.process_company(&id("acme")).await;
    assert!(
        matches!(&run.outcome, Outcome::AlreadyPresent { kind } if kind == "manual"),
        "{:?}",
        run.outcome
    );
    assert!(
        run.written.is_empty(),
        "nothing is written over a pinned set"
    );
    assert_eq!(
        w.store().get("logos/acme/256.png").unwrap().bytes,
        manual.bytes
    );
    assert!(w.take_replaced().is_empty());
}

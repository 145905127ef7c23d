//! Running the discovery corpus through the worker service: each case's company is looked up in
//! a directory made from the corpus, discovered through the real guarded fetcher (loopback
//! allowed only to the corpus server, names resolved by its table), rendered by the real
//! pipeline with the worker's defaults (margins trimmed) and stored in an in-memory bucket
//! shared by all cases, so the shared-source index sees every stored source as in production.
//!
//! A case is right when the outcome is the expected one and, for a logo, the winning source is
//! one of the accepted picks. A wrong-brand pick is a stored logo where a placeholder or
//! `blocked` was expected, or a pick from a registrable domain no accepted pick is on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use logofill_core::directory::JsonlDirectory;
use logofill_core::store::MemoryStore;
use logofill_core::CompanyId;
use logofill_discover::Attempt;
use logofill_fetch::{FetchOptions, GuardedFetcher, LoopbackAccess};
use logofill_render::Renderer;
use logofill_worker::wiring::{pipeline, service_options};
use logofill_worker::{DirectorySource, LogoWorker, Outcome, WorkerSettings};

use logofill_testkit::sites::corpus::{Case, CorpusServer, Expect};

/// What became of one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub case: String,
    pub category: String,
    pub right: bool,
    pub wrong_brand: bool,
    /// Why it is wrong, in a line; empty when right.
    pub cause: String,
    pub attempts: Vec<Attempt>,
    /// Candidates whose bytes were rendered.
    pub renders: usize,
    /// The corpus bench reports it; the test, which compiles this file too, does not.
    #[allow(dead_code)]
    pub elapsed: Duration,
}

/// The worker the corpus runs through.
pub type CorpusWorker = LogoWorker<JsonlDirectory, MemoryStore, Arc<GuardedFetcher>>;

/// A worker over the corpus: its directory, its resolver, an in-memory bucket.
pub fn corpus_worker(server: &CorpusServer) -> CorpusWorker {
    let lines: Vec<String> = server
        .cases()
        .iter()
        .map(|c| {
            serde_json::json!({
                "id": c.company.id,
                "name": c.company.name,
                "homepage": c.company.homepage,
                "logo_url": c.company.logo_url,
            })
            .to_string()
        })
        .collect();
    let directory = JsonlDirectory::parse("corpus", &lines.join("\n"));
    assert!(
        directory.problems().is_empty(),
        "{:?}",
        directory.problems()
    );
    let settings = WorkerSettings::with_defaults("corpus", DirectorySource::File("/unused".into()));
    let fetcher = GuardedFetcher::with_resolver(
        FetchOptions {
            // Every corpus name resolves to 127.0.0.1 by the corpus table; names resolving to
            // loopback need `Any` (the resolver does not see the port).
            loopback: LoopbackAccess::Any,
            total_timeout: Duration::from_secs(5),
            ..FetchOptions::default()
        },
        Arc::new(server.resolver()),
    )
    .expect("fetcher");
    LogoWorker::new(
        directory,
        MemoryStore::new(),
        Arc::new(fetcher),
        Renderer::in_process(pipeline(&settings).expect("pipeline")),
        service_options(&settings),
    )
}

fn registrable(url: &str) -> Option<String> {
    logofill_discover::registrable_domain(url)
}

/// Judges one report against its case.
fn judge(
    case: &Case,
    outcome: &Outcome,
    picked: Option<&str>,
    source_url: Option<&str>,
) -> (bool, bool, String) {
    let expected = case.expect.outcome();
    let name = outcome.name();
    match (&case.expect, outcome) {
        (Expect::Logo { accept }, Outcome::Stored { .. }) => {
            let candidates = [picked, source_url];
            if candidates.iter().flatten().any(|p| case.expect.accepts(p)) {
                return (true, false, String::new());
            }
            let picked_site = picked.and_then(registrable);
            let wrong_brand = picked_site.is_some()
                && !accept.iter().any(|a| registrable(a) == picked_site)
                && !accept.iter().all(|a| registrable(a).is_none());
            (
                false,
                wrong_brand,
                format!(
                    "picked {} (accepted: {})",
                    picked.unwrap_or("?"),
                    accept.join(", ")
                ),
            )
        }
        (Expect::Placeholder | Expect::Blocked, Outcome::Stored { .. }) => (
            false,
            true,
            format!("expected {expected}, stored {}", picked.unwrap_or("?")),
        ),
        _ if name == expected || (expected == "logo" && name == "stored") => {
            (true, false, String::new())
        }
        _ => (
            false,
            false,
            format!("expected {expected}, got {name}: {}", outcome.detail()),
        ),
    }
}

/// Runs every case of the server's corpus, in order.
pub async fn run_corpus(server: &CorpusServer) -> Vec<CaseResult> {
    let worker = corpus_worker(server);
    let mut results = Vec::new();
    for case in server.cases() {
        let id = CompanyId::parse(&case.company.id).expect("case id");
        let started = Instant::now();
        let report = worker.process_company(&id).await;
        let elapsed = started.elapsed();
        let winner = report
            .attempts
            .iter()
            .find(|a| a.result.starts_with("used"))
            .map(|a| a.url.clone());
        let source_url = match &report.outcome {
            Outcome::Stored { source_url, .. } => Some(source_url.clone()),
            _ => None,
        };
        let (right, wrong_brand, cause) = judge(
            case,
            &report.outcome,
            winner.as_deref(),
            source_url.as_deref(),
        );
        results.push(CaseResult {
            case: case.name.clone(),
            category: case.category.clone(),
            right,
            wrong_brand,
            cause,
            renders: report
                .attempts
                .iter()
                .filter(|a| !a.decoded.is_empty() || a.result.starts_with("not usable"))
                .count(),
            attempts: report.attempts,
            elapsed,
        });
    }
    results
}

/// The summary lines: share right, wrong-brand picks, and every miss with its cause and its
/// attempts.
pub fn summary(results: &[CaseResult]) -> String {
    let right = results.iter().filter(|r| r.right).count();
    let wrong_brand = results.iter().filter(|r| r.wrong_brand).count();
    let renders: usize = results.iter().map(|r| r.renders).sum();
    let mut out = format!(
        "discovery corpus: {right}/{} picked right ({:.1}%), {wrong_brand} wrong-brand picks, {:.2} renders per company\n",
        results.len(),
        100.0 * right as f64 / results.len().max(1) as f64,
        renders as f64 / results.len().max(1) as f64,
    );
    for r in results.iter().filter(|r| !r.right) {
        out.push_str(&format!(
            "  MISS {} [{}]{}: {}\n",
            r.case,
            r.category,
            if r.wrong_brand { " WRONG BRAND" } else { "" },
            r.cause
        ));
        for a in &r.attempts {
            out.push_str(&format!(
                "       {:<18} {} [{}] [{}] {}\n",
                a.kind, a.url, a.declared, a.decoded, a.result
            ));
        }
    }
    out
}

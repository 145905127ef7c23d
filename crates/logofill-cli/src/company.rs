//! `logofill process --company ID --directory URI`: the worker's whole path for one company
//! (directory, discovery, guarded fetch, pipeline, store) with a folder as the bucket, so an
//! operator can see why a logo came out the way it did without touching S3 or SQS.
//!
//! It runs the same `LogoWorker` as the Lambda with `force` on: an existing set in the folder
//! is re-rendered, because the point is to watch the pipeline work.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{anyhow, Context};
use logofill_aws::S3Directory;
use logofill_core::store::LogoStore;
use logofill_core::CompanyId;
use logofill_dev::FolderStore;
use logofill_fetch::GuardedFetcher;
use logofill_worker::wiring::{directory, fetcher, renderer, service_options, AnyDirectory};
use logofill_worker::{DirectorySource, LogoWorker, Outcome, ServiceOptions, WorkerSettings};
use serde_json::json;

use crate::terminal::{self, say};

/// The worker as the Lambda runs it (directory, guarded fetcher, render helpers), on `store`.
pub(crate) async fn inline_worker<S: LogoStore>(
    settings: &WorkerSettings,
    store: S,
    options: ServiceOptions,
) -> anyhow::Result<LogoWorker<AnyDirectory<S3Directory>, S, Arc<GuardedFetcher>>> {
    let s3 = match settings.directory {
        DirectorySource::S3(_) => Some(logofill_aws::s3_client(
            &logofill_aws::sdk_config(logofill_aws::AwsTimeouts::default()).await,
        )),
        _ => None,
    };
    let fetcher = fetcher(settings)?;
    let directory = directory(settings, fetcher.clone(), |uri| {
        S3Directory::from_uri(s3.expect("an S3 client for an s3:// directory"), uri)
    })?;
    Ok(LogoWorker::new(
        directory,
        store,
        fetcher,
        renderer(settings)?,
        options,
    ))
}

pub struct CompanyArgs<'a> {
    pub company: &'a str,
    pub directory: &'a str,
    pub out: &'a Path,
    pub sizes: &'a [u32],
    pub allow_loopback_sources: bool,
    pub json: bool,
    pub explain: bool,
}

pub fn run(args: CompanyArgs<'_>) -> anyhow::Result<ExitCode> {
    let company =
        CompanyId::parse(args.company).map_err(|e| anyhow!("--company {:?}: {e}", args.company))?;
    let source = DirectorySource::parse(args.directory).map_err(|e| anyhow!("--directory: {e}"))?;
    let mut settings = WorkerSettings::with_defaults("local-folder", source);
    if !args.sizes.is_empty() {
        settings.sizes = logofill_worker::config::parse_sizes(
            &args
                .sizes
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(","),
        )
        .map_err(|e| anyhow!("--sizes: {e}"))?;
    }
    settings.allow_loopback_sources = args.allow_loopback_sources;
    crate::output::ensure_dir(args.out)?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let run = runtime.block_on(async {
        let mut options = service_options(&settings);
        options.force = true;
        let worker = inline_worker(&settings, FolderStore::new(args.out), options).await?;
        anyhow::Ok(worker.process_company(&company).await)
    })?;

    let ok = matches!(
        run.outcome,
        Outcome::Stored { .. } | Outcome::Placeholder { .. } | Outcome::Blocked { .. }
    );
    if args.json {
        let attempts: Vec<_> = run
            .attempts
            .iter()
            .map(|a| {
                json!({
                    "url": a.url,
                    "kind": a.kind,
                    "declared": a.declared,
                    "decoded": a.decoded,
                    "score": a.score,
                    "won": a.result.starts_with("used"),
                    "result": a.result,
                })
            })
            .collect();
        terminal::out!(
            "{}",
            terminal::json(
                &json!({
                    "company_id": company.as_str(),
                    "ok": ok,
                    "outcome": run.outcome.name(),
                    "detail": run.outcome.detail(),
                    "attempts": attempts,
                    "redirect": run.redirect.as_ref().map(|(from, to)| json!({"from": from, "to": to})),
                    "written": run.written,
                    "ms": {
                        "fetch": run.timings.fetch.as_secs_f64() * 1000.0,
                        "render": run.timings.render.as_secs_f64() * 1000.0,
                        "store": run.timings.store.as_secs_f64() * 1000.0,
                    },
                }),
                false
            )?
        );
    } else {
        match &run.record {
            Some(r) => say!(
                "company  {} ({:?}) homepage={} logo_url={}",
                r.id.as_str(),
                r.name,
                r.homepage.as_deref().unwrap_or("-"),
                r.logo_url.as_deref().unwrap_or("-")
            ),
            None => say!("company  {} (no usable record)", company.as_str()),
        }
        if args.explain {
            explain_table(&run.attempts);
        } else {
            for (i, a) in run.attempts.iter().enumerate() {
                let mark = if a.result.starts_with("used") {
                    "WON "
                } else {
                    "lost"
                };
                say!(
                    "  {mark} #{:<2} {:<22} {}  -> {}",
                    i + 1,
                    a.kind,
                    a.url,
                    a.result
                );
            }
        }
        if let Some((from, to)) = &run.redirect {
            say!("redirect {from} -> {to} (another registrable domain)");
        }
        say!("outcome  {}: {}", run.outcome.name(), run.outcome.detail());
        for key in &run.written {
            say!("wrote    {}", args.out.join(key).display());
        }
        say!(
            "time     fetch {:.1} ms, render {:.1} ms, store {:.1} ms",
            run.timings.fetch.as_secs_f64() * 1000.0,
            run.timings.render.as_secs_f64() * 1000.0,
            run.timings.store.as_secs_f64() * 1000.0
        );
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Longest URL shown in a table cell; `--json` has them whole.
const TABLE_URL_CHARS: usize = 64;

/// Every candidate in one table: what it was, what it claimed, what it is, and its verdict.
fn explain_table(attempts: &[logofill_discover::Attempt]) {
    let cut = |text: &str, max: usize| -> String {
        if text.chars().count() <= max {
            text.to_string()
        } else {
            let head: String = text.chars().take(max - 1).collect();
            format!("{head}…")
        }
    };
    let rows: Vec<[String; 7]> = attempts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            [
                format!(
                    "{}{}",
                    i + 1,
                    if a.result.starts_with("used") {
                        "*"
                    } else {
                        ""
                    }
                ),
                a.kind.to_string(),
                cut(&a.url, TABLE_URL_CHARS),
                a.declared.clone(),
                a.decoded.clone(),
                a.score.map(|s| s.to_string()).unwrap_or_default(),
                a.result.clone(),
            ]
        })
        .collect();
    let header = [
        "#", "source", "url", "declared", "decoded", "score", "verdict",
    ];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row.iter()).take(6) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 7]| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i < 6 {
                out.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            } else {
                out.push_str(cell);
            }
        }
        out
    };
    say!("{}", line(header));
    for row in &rows {
        say!("{}", line(row.each_ref().map(String::as_str)));
    }
}

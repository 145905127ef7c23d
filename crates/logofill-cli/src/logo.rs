//! `logofill logo`: what is stored for a company, read from the bucket (S3 through the standard
//! AWS chain) or from the dev runner's folder bucket.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use logofill_aws::{s3_client, sdk_config, AwsTimeouts, CloudFrontInvalidator, S3Store};
use logofill_core::cdn::InvalidationBatch;
use logofill_core::logo_set::{delete_set, meta, read_set, with_rejected, SetView};
use logofill_core::refresh::{parse_day, refile};
use logofill_core::report::send_company_messages;
use logofill_core::store::{object_key, ListPage, LogoStore, ObjectHead, StoreError, StoredObject};
use logofill_core::{CompanyId, Fetcher as _, Origin};
use logofill_dev::FolderStore;
use logofill_worker::service::{write_set, MANUAL_KIND};
use logofill_worker::{wiring, WorkerSettings};

use crate::terminal::{out, say};

/// See and fix stored logo sets.
#[derive(Debug, Args)]
pub struct LogoArgs {
    #[command(subcommand)]
    action: LogoAction,
}

#[derive(Debug, Subcommand)]
enum LogoAction {
    Show(ShowArgs),
    Set(SetArgs),
    Reject(RejectArgs),
    Refresh(RefreshArgs),
    Unpin(UnpinArgs),
    Delete(DeleteArgs),
}

/// The set a command works on: the company, where the sets are, the sizes a set has.
#[derive(Debug, Args)]
struct SetTarget {
    /// The company id.
    #[arg(long, value_name = "ID")]
    company: String,
    #[command(flatten)]
    bucket: Bucket,
    /// The sizes the worker writes (its LOGOFILL_SIZES).
    #[arg(
        long,
        value_name = "PX,PX,...",
        default_value = "64,128,256",
        value_delimiter = ','
    )]
    sizes: Vec<u32>,
}

impl SetTarget {
    fn company(&self) -> anyhow::Result<CompanyId> {
        CompanyId::parse(&self.company)
            .map_err(|e| anyhow::anyhow!("--company {:?}: {e}", self.company))
    }
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Where the sets are: exactly one of the two.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct Bucket {
    /// The logo bucket on S3 (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL as for every AWS
    /// client). Reading a set needs s3:GetObject on `logos/*` (and s3:ListBucket, so that a
    /// missing object is a 404 rather than a 403).
    #[arg(long, value_name = "NAME")]
    bucket: Option<String>,
    /// The dev runner's folder bucket (`.logofill-dev/bucket` by default).
    #[arg(long, value_name = "DIR")]
    bucket_dir: Option<PathBuf>,
}

/// What is stored for a company: kind (logo, placeholder, manual), reason, source URL and
/// sha256, pipeline version, when it was stored, the sizes present, pinned or not.
///
/// Exit status: 0 a complete set is stored, 1 none is (or only part of one), 2 an error.
#[derive(Debug, Args)]
struct ShowArgs {
    #[command(flatten)]
    target: SetTarget,
    /// Print the set as one JSON object.
    #[arg(long)]
    json: bool,
}

impl LogoArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self.action {
            LogoAction::Show(args) => args.run(),
            LogoAction::Set(args) => args.run(),
            LogoAction::Reject(args) => args.run(),
            LogoAction::Refresh(args) => args.run(),
            LogoAction::Unpin(args) => args.run(),
            LogoAction::Delete(args) => args.run(),
        }
    }
}

/// The bucket named on the command line.
pub(crate) enum AnyStore {
    S3(S3Store),
    Folder(FolderStore),
}

impl Bucket {
    /// The store and its name for messages (`s3://bucket` or the folder); an S3 bucket is
    /// checked first, since a HEAD in a missing bucket reads like a missing object.
    pub(crate) async fn open(
        &self,
        sdk: &logofill_aws::SdkConfig,
    ) -> anyhow::Result<(AnyStore, String)> {
        match (&self.bucket, &self.bucket_dir) {
            (Some(bucket), _) => {
                let name = format!("s3://{bucket}");
                let store = S3Store::new(s3_client(sdk), bucket.clone());
                store.check_bucket().await.map_err(|e| explain(&name, e))?;
                Ok((AnyStore::S3(store), name))
            }
            (None, Some(dir)) => Ok((
                AnyStore::Folder(FolderStore::new(dir)),
                dir.display().to_string(),
            )),
            (None, None) => anyhow::bail!("give --bucket or --bucket-dir"),
        }
    }
}

impl LogoStore for AnyStore {
    async fn head(&self, key: &str) -> Result<Option<ObjectHead>, StoreError> {
        match self {
            AnyStore::S3(s) => s.head(key).await,
            AnyStore::Folder(s) => s.head(key).await,
        }
    }
    async fn put(&self, object: StoredObject) -> Result<(), StoreError> {
        match self {
            AnyStore::S3(s) => s.put(object).await,
            AnyStore::Folder(s) => s.put(object).await,
        }
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self {
            AnyStore::S3(s) => s.delete(key).await,
            AnyStore::Folder(s) => s.delete(key).await,
        }
    }
    async fn get(
        &self,
        key: &str,
        max_bytes: u64,
    ) -> Result<Option<(Vec<u8>, ObjectHead)>, StoreError> {
        match self {
            AnyStore::S3(s) => s.get(key, max_bytes).await,
            AnyStore::Folder(s) => s.get(key, max_bytes).await,
        }
    }
    async fn list(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<ListPage, StoreError> {
        match self {
            AnyStore::S3(s) => s.list(prefix, after, limit).await,
            AnyStore::Folder(s) => s.list(prefix, after, limit).await,
        }
    }
    async fn replace_metadata(
        &self,
        key: &str,
        metadata: BTreeMap<String, String>,
    ) -> Result<(), StoreError> {
        match self {
            AnyStore::S3(s) => s.replace_metadata(key, metadata).await,
            AnyStore::Folder(s) => s.replace_metadata(key, metadata).await,
        }
    }
    async fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        match self {
            AnyStore::S3(s) => s.delete_many(keys).await,
            AnyStore::Folder(s) => s.delete_many(keys).await,
        }
    }
}

/// One CloudFront invalidation of the company's paths, when a distribution is given.
async fn invalidate(
    sdk: &logofill_aws::SdkConfig,
    distribution: Option<&str>,
    company: &CompanyId,
    command: &str,
) -> anyhow::Result<Vec<String>> {
    let Some(distribution) = distribution else {
        return Ok(Vec::new());
    };
    let cdn = CloudFrontInvalidator::from_sdk_config(sdk, distribution);
    let batch = InvalidationBatch::new(&format!(
        "logo-{command}-{}",
        chrono::Utc::now().timestamp_millis()
    ));
    batch.add(company);
    let done = batch.flush(&cdn).await.map_err(|e| {
        anyhow::anyhow!("the store is changed, but the CDN was not invalidated: {e}")
    })?;
    Ok(done.map(|d| d.paths().to_vec()).unwrap_or_default())
}

/// A store error with the bucket and the IAM action that reading needs.
pub(crate) fn explain(bucket: &str, e: StoreError) -> anyhow::Error {
    let hint = if e.is_retryable() {
        "the store may answer again: re-run in a minute"
    } else {
        "reading a set needs s3:GetObject on logos/* (and s3:ListBucket for 404s) for the credentials in use"
    };
    anyhow::anyhow!("{bucket}: {e}; {hint}")
}

impl ShowArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let company = self.target.company()?;
        let runtime = runtime()?;
        let view = runtime.block_on(async {
            let sdk = sdk_config(AwsTimeouts::default()).await;
            let (store, name) = self.target.bucket.open(&sdk).await?;
            read_set(&store, &company, &self.target.sizes)
                .await
                .map_err(|e| explain(&name, e))
        })?;
        if self.json {
            out!("{}", serde_json::to_string(&view)?);
        } else {
            print_view(&view);
        }
        Ok(if view.complete {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}

/// Store an operator's logo for a company, from a file or a URL: rendered by the worker's
/// pipeline under its render budget (a helper process with memory, CPU and time limits; a URL
/// through the same SSRF-guarded fetcher), stored as a `manual` set and pinned: the worker
/// keeps it (a report finds it present) until `logofill logo delete`. With
/// `--cdn-distribution`, a set it replaces is invalidated on the CDN.
///
/// Exit status: 0 stored, 2 an error (nothing is stored when the source is refused).
#[derive(Debug, Args)]
struct SetArgs {
    #[command(flatten)]
    target: SetTarget,
    /// The logo file (SVG, PNG, JPEG, WebP, GIF, ICO).
    #[arg(
        value_name = "FILE",
        required_unless_present = "url",
        conflicts_with = "url"
    )]
    file: Option<PathBuf>,
    /// Fetch the logo from this URL instead.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// The CloudFront distribution in front of the bucket (LOGOFILL_CDN_DISTRIBUTION_ID).
    #[arg(long, value_name = "ID")]
    cdn_distribution: Option<String>,
    /// Print one JSON object: company_id, written (the keys), source_sha256, invalidated (paths).
    #[arg(long)]
    json: bool,
}

impl SetArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let company = self.target.company()?;
        let mut settings = WorkerSettings::with_defaults(
            "manual",
            logofill_worker::DirectorySource::File("/unused".into()),
        );
        settings.sizes = self.target.sizes.clone();
        let runtime = runtime()?;
        let (written, sha256, invalidated) = runtime.block_on(async {
            let (name, bytes, source_url) = match (&self.file, &self.url) {
                (Some(path), _) => (
                    path.display().to_string(),
                    crate::process::read_capped(path, settings.fetch_max_bytes)?,
                    String::new(),
                ),
                (None, Some(url)) => {
                    let fetched = wiring::fetcher(&settings)?
                        .get(url)
                        .await
                        .map_err(|e| anyhow::anyhow!("fetching {url}: {e}"))?;
                    if fetched.status != 200 {
                        anyhow::bail!("fetching {url}: HTTP {}", fetched.status);
                    }
                    (url.clone(), fetched.body, fetched.final_url)
                }
                (None, None) => anyhow::bail!("give a FILE or --url"),
            };
            let set = wiring::renderer(&settings)?
                .render(&name, bytes)
                .await
                .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            let sha256 = set
                .provenance
                .source
                .as_ref()
                .map(|s| s.sha256.clone())
                .unwrap_or_default();
            let sdk = sdk_config(AwsTimeouts::default()).await;
            let (store, store_name) = self.target.bucket.open(&sdk).await?;
            let before = read_set(&store, &company, &self.target.sizes)
                .await
                .map_err(|e| explain(&store_name, e))?;
            let replacing = before.complete;
            let mut extra = BTreeMap::from([
                (meta::KIND.to_string(), MANUAL_KIND.to_string()),
                (meta::PINNED.to_string(), "true".to_string()),
            ]);
            // Rejected sources stay rejected after an unpin.
            if let Some(rejected) = before.metadata.get(meta::REJECTED) {
                extra.insert(meta::REJECTED.to_string(), rejected.clone());
            }
            let mut written = Vec::new();
            write_set(
                &store,
                &company,
                &set,
                &source_url,
                extra,
                &settings.cache_control,
                &mut written,
            )
            .await
            .map_err(|e| explain(&store_name, e))?;
            // Pinned sets are never filed for the scheduled refresh.
            unfile(&store, &company, &before)
                .await
                .map_err(|e| explain(&store_name, e))?;
            let invalidated = if replacing {
                invalidate(&sdk, self.cdn_distribution.as_deref(), &company, "set").await?
            } else {
                Vec::new()
            };
            anyhow::Ok((written, sha256, invalidated))
        })?;
        if self.json {
            out!(
                "{}",
                serde_json::json!({
                    "company_id": company.as_str(),
                    "written": written,
                    "source_sha256": sha256,
                    "invalidated": invalidated,
                })
            );
        } else {
            say!(
                "{company}: manual set stored and pinned ({} objects)",
                written.len()
            );
            for path in &invalidated {
                say!("  invalidated {path}");
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Delete a company's stored set: the sentinel (the largest PNG) first, so that no partial set
/// is ever read as complete, then every other object; then, with `--cdn-distribution`, one
/// CloudFront invalidation of `/logos/{id}/*` (needs cloudfront:CreateInvalidation). The next
/// report of the company makes the worker look for a logo again.
///
/// Exit status: 0 deleted (or nothing was stored), 2 an error (what was deleted is listed).
#[derive(Debug, Args)]
struct DeleteArgs {
    #[command(flatten)]
    target: SetTarget,
    /// The CloudFront distribution in front of the bucket (the worker's
    /// LOGOFILL_CDN_DISTRIBUTION_ID), whose cached copies of the set are invalidated.
    #[arg(long, value_name = "ID")]
    cdn_distribution: Option<String>,
    /// Print one JSON object: company_id, deleted (the keys), invalidated (the CDN paths).
    #[arg(long)]
    json: bool,
}

impl DeleteArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let company = self.target.company()?;
        let runtime = runtime()?;
        let (deleted, invalidated) = runtime.block_on(async {
            let sdk = sdk_config(AwsTimeouts::default()).await;
            let (store, name) = self.target.bucket.open(&sdk).await?;
            let before = read_set(&store, &company, &self.target.sizes)
                .await
                .map_err(|e| explain(&name, e))?;
            let deleted = delete_set(&store, &company, &self.target.sizes)
                .await
                .map_err(|e| explain(&name, e))?;
            unfile(&store, &company, &before)
                .await
                .map_err(|e| explain(&name, e))?;
            let invalidated = if deleted.is_empty() {
                Vec::new()
            } else {
                invalidate(&sdk, self.cdn_distribution.as_deref(), &company, "delete").await?
            };
            anyhow::Ok((deleted, invalidated))
        })?;

        if self.json {
            out!(
                "{}",
                serde_json::json!({
                    "company_id": company.as_str(),
                    "deleted": deleted,
                    "invalidated": invalidated,
                })
            );
        } else if deleted.is_empty() {
            say!("{company}: no logo set stored; nothing deleted");
        } else {
            say!("{company}: deleted {} objects", deleted.len());
            for path in &invalidated {
                say!("  invalidated {path}");
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Remove a set's key from the refresh index (the day its sentinel's `refresh-due` names).
async fn unfile<S: LogoStore>(
    store: &S,
    company: &CompanyId,
    view: &SetView,
) -> Result<(), StoreError> {
    let previous = view.refresh_due.as_deref().and_then(parse_day);
    refile(store, company, previous, None).await
}

/// The worker's company directory, for commands that look for a logo now.
#[derive(Debug, Args)]
struct Inline {
    /// Allow sources on loopback addresses (a local fixture site; never in production).
    #[arg(long)]
    allow_loopback_sources: bool,
}

/// The worker, as the Lambda runs it, on `store`, with the given directory.
async fn worker_on(
    target: &SetTarget,
    directory: &str,
    inline: &Inline,
    store: AnyStore,
    ignore_due: bool,
) -> anyhow::Result<InlineWorker> {
    let source = logofill_worker::DirectorySource::parse(directory)
        .map_err(|e| anyhow::anyhow!("--directory: {e}"))?;
    let mut settings = WorkerSettings::with_defaults("operator", source);
    settings.sizes = target.sizes.clone();
    settings.allow_loopback_sources = inline.allow_loopback_sources;
    let mut options = wiring::service_options(&settings);
    options.ignore_due = ignore_due;
    crate::company::inline_worker(&settings, store, options).await
}

type InlineWorker = logofill_worker::LogoWorker<
    wiring::AnyDirectory<logofill_aws::S3Directory>,
    AnyStore,
    std::sync::Arc<logofill_fetch::GuardedFetcher>,
>;

/// Run the worker for `company` now, then invalidate its CDN paths if it replaced the set.
async fn look_now(
    worker: &InlineWorker,
    sdk: &logofill_aws::SdkConfig,
    distribution: Option<&str>,
    company: &CompanyId,
    origin: Origin,
    command: &str,
) -> anyhow::Result<(logofill_worker::CompanyRun, Vec<String>)> {
    let run = worker.process(company, origin).await;
    let invalidated = if worker.take_replaced().is_empty() {
        Vec::new()
    } else {
        invalidate(sdk, distribution, company, command).await?
    };
    Ok((run, invalidated))
}

/// What a look for a logo did, for the terminal or `--json`.
fn print_run(
    company: &CompanyId,
    action: &str,
    run: &logofill_worker::CompanyRun,
    invalidated: &[String],
    extra: serde_json::Value,
    json: bool,
) -> anyhow::Result<ExitCode> {
    use logofill_worker::Outcome;
    let ok = !run.outcome.is_failure() && run.outcome != Outcome::UnknownCompany;
    if json {
        let mut value = serde_json::json!({
            "company_id": company.as_str(),
            "outcome": run.outcome.name(),
            "detail": run.outcome.detail(),
            "written": run.written,
            "invalidated": invalidated,
        });
        if let (Some(value), serde_json::Value::Object(extra)) = (value.as_object_mut(), extra) {
            value.extend(extra);
        }
        out!("{value}");
    } else {
        say!(
            "{company}: {action}: {} ({})",
            run.outcome.name(),
            run.outcome.detail()
        );
        for path in invalidated {
            say!("  invalidated {path}");
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Reject the source of a company's stored logo: its sha256 is recorded on the set (at most 8
/// per company, the oldest forgotten first) and never picked again for this company, by the
/// worker or a refresh. Then the next best source is looked for: now, with `--directory`
/// (the replaced set is invalidated with `--cdn-distribution`), or by the worker, with
/// `--queue-url` (origin `operator`). A pinned set (`logo set`) or a placeholder has no source
/// to reject.
///
/// Exit status: 0 done, 1 the look failed and may be retried (the rejection is recorded), 2 an
/// error.
#[derive(Debug, Args)]
struct RejectArgs {
    #[command(flatten)]
    target: SetTarget,
    /// The worker's company directory (its LOGOFILL_DIRECTORY: a JSONL file, s3://bucket/prefix/
    /// or an https:// template): look for the next best source now.
    #[arg(
        long,
        value_name = "URI",
        required_unless_present = "queue_url",
        conflicts_with = "queue_url"
    )]
    directory: Option<String>,
    /// Instead, enqueue the company on the worker's queue (origin `operator`; needs
    /// sqs:SendMessage).
    #[arg(long, value_name = "URL")]
    queue_url: Option<String>,
    #[command(flatten)]
    inline: Inline,
    /// The CloudFront distribution in front of the bucket (LOGOFILL_CDN_DISTRIBUTION_ID).
    #[arg(long, value_name = "ID")]
    cdn_distribution: Option<String>,
    /// Print one JSON object: company_id, rejected (the sha256), outcome, detail, written,
    /// invalidated, enqueued.
    #[arg(long)]
    json: bool,
}

impl RejectArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let company = self.target.company()?;
        let runtime = runtime()?;
        runtime.block_on(async {
            let sdk = sdk_config(AwsTimeouts::default()).await;
            let (store, name) = self.target.bucket.open(&sdk).await?;
            let view = read_set(&store, &company, &self.target.sizes)
                .await
                .map_err(|e| explain(&name, e))?;
            if !view.complete {
                anyhow::bail!("{company}: no complete set is stored in {name}; nothing to reject");
            }
            if view.pinned {
                anyhow::bail!(
                    "{company}: the set is pinned (an operator's, kind {}): `logofill logo unpin` it first, or replace it with `logofill logo set`",
                    view.kind.as_deref().unwrap_or("manual")
                );
            }
            let Some(sha256) = view.source_sha256.clone().filter(|_| view.kind.as_deref() != Some("placeholder")) else {
                anyhow::bail!(
                    "{company}: a placeholder has no source to reject; `logofill logo refresh` looks again, `logofill logo set` stores a logo"
                );
            };
            let mut metadata = view.metadata.clone();
            metadata.insert(
                meta::REJECTED.to_string(),
                with_rejected(&view.metadata, &sha256).join(","),
            );
            let sentinel = sentinel_key(&company, &self.target.sizes);
            store
                .replace_metadata(&sentinel, metadata)
                .await
                .map_err(|e| explain_write(&name, e))?;
            if let Some(url) = &self.queue_url {
                let queue = logofill_aws::Sqs::new(aws_sdk_sqs::Client::new(&sdk)).queue(url.as_str());
                let reported_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                let (_, failed) = send_company_messages(&queue, std::slice::from_ref(&company), &reported_at, Origin::Operator).await;
                if let Some((_, reason)) = failed.first() {
                    anyhow::bail!(
                        "{company}: the rejection is recorded, but {url} did not take the message: {reason} (sqs:SendMessage is needed); re-run to try again"
                    );
                }
                if self.json {
                    out!("{}", serde_json::json!({"company_id": company.as_str(), "rejected": sha256, "enqueued": true}));
                } else {
                    say!("{company}: source {} rejected; enqueued for the worker (origin operator)", &sha256[..16.min(sha256.len())]);
                }
                return Ok(ExitCode::SUCCESS);
            }
            let directory = self.directory.as_deref().unwrap_or_default();
            let worker = worker_on(&self.target, directory, &self.inline, store, false).await?;
            let (run, invalidated) = look_now(
                &worker,
                &sdk,
                self.cdn_distribution.as_deref(),
                &company,
                Origin::Operator,
                "reject",
            )
            .await?;
            print_run(
                &company,
                &format!("source {} rejected", &sha256[..16.min(sha256.len())]),
                &run,
                &invalidated,
                serde_json::json!({"rejected": sha256, "enqueued": false}),
                self.json,
            )
        })
    }
}

/// Look at a company's set again now, as the scheduled refresh does, whatever day it is due:
/// a stored logo's source is fetched with its validators (If-None-Match, If-Modified-Since);
/// an unchanged source or a render that looks the same only updates the set's metadata (no new
/// objects, no invalidation); a changed logo replaces the set (invalidated with
/// `--cdn-distribution`); a placeholder looks for a logo again. A pinned set is kept.
///
/// Exit status: 0 done, 1 the look failed and may be retried, 2 an error.
#[derive(Debug, Args)]
struct RefreshArgs {
    #[command(flatten)]
    target: SetTarget,
    /// The worker's company directory (its LOGOFILL_DIRECTORY: a JSONL file, s3://bucket/prefix/
    /// or an https:// template).
    #[arg(long, value_name = "URI")]
    directory: String,
    #[command(flatten)]
    inline: Inline,
    /// The CloudFront distribution in front of the bucket (LOGOFILL_CDN_DISTRIBUTION_ID).
    #[arg(long, value_name = "ID")]
    cdn_distribution: Option<String>,
    /// Print one JSON object: company_id, outcome, detail, written, invalidated.
    #[arg(long)]
    json: bool,
}

impl RefreshArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let company = self.target.company()?;
        let runtime = runtime()?;
        runtime.block_on(async {
            let sdk = sdk_config(AwsTimeouts::default()).await;
            let (store, _) = self.target.bucket.open(&sdk).await?;
            let worker =
                worker_on(&self.target, &self.directory, &self.inline, store, true).await?;
            let (run, invalidated) = look_now(
                &worker,
                &sdk,
                self.cdn_distribution.as_deref(),
                &company,
                Origin::Refresh,
                "refresh",
            )
            .await?;
            print_run(
                &company,
                "refreshed",
                &run,
                &invalidated,
                serde_json::json!({}),
                self.json,
            )
        })
    }
}

/// Unpin a company's set (stored by `logofill logo set`): the worker and the scheduled refresh
/// may replace it again. It is filed for today's refresh, which looks for a logo and keeps the
/// set if what it finds looks the same.
///
/// Exit status: 0 unpinned (or not pinned), 2 an error.
#[derive(Debug, Args)]
struct UnpinArgs {
    #[command(flatten)]
    target: SetTarget,
    /// Print one JSON object: company_id, unpinned, refresh_due.
    #[arg(long)]
    json: bool,
}

impl UnpinArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let company = self.target.company()?;
        let runtime = runtime()?;
        let (unpinned, due) = runtime.block_on(async {
            let sdk = sdk_config(AwsTimeouts::default()).await;
            let (store, name) = self.target.bucket.open(&sdk).await?;
            let view = read_set(&store, &company, &self.target.sizes)
                .await
                .map_err(|e| explain(&name, e))?;
            if !view.complete {
                anyhow::bail!("{company}: no complete set is stored in {name}");
            }
            if !view.pinned {
                return anyhow::Ok((false, view.refresh_due.clone()));
            }
            let today = chrono::Utc::now().date_naive();
            let due = today.format("%Y-%m-%d").to_string();
            let mut metadata = view.metadata.clone();
            metadata.remove(meta::PINNED);
            metadata.insert(meta::REFRESH_DUE.to_string(), due.clone());
            store
                .replace_metadata(&sentinel_key(&company, &self.target.sizes), metadata)
                .await
                .map_err(|e| explain_write(&name, e))?;
            let previous = view.refresh_due.as_deref().and_then(parse_day);
            refile(&store, &company, previous, Some(today))
                .await
                .map_err(|e| explain_write(&name, e))?;
            anyhow::Ok((true, Some(due)))
        })?;
        if self.json {
            out!(
                "{}",
                serde_json::json!({"company_id": company.as_str(), "unpinned": unpinned, "refresh_due": due})
            );
        } else if unpinned {
            say!(
                "{company}: unpinned; filed for the refresh of {}; `logofill logo refresh` looks now",
                due.as_deref().unwrap_or("-")
            );
        } else {
            say!("{company}: the set is not pinned; nothing to do");
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// The sentinel of a set of `sizes`: its largest PNG.
fn sentinel_key(company: &CompanyId, sizes: &[u32]) -> String {
    object_key(company, sizes.iter().copied().max().unwrap_or(256), "png")
}

/// A store error on a write, with the bucket and the IAM action that writing needs.
fn explain_write(bucket: &str, e: StoreError) -> anyhow::Error {
    let hint = if e.is_retryable() {
        "the store may answer again: re-run in a minute"
    } else {
        "updating a set needs s3:GetObject and s3:PutObject on logos/* and s3:PutObject and s3:DeleteObject on refresh/due/* for the credentials in use"
    };
    anyhow::anyhow!("{bucket}: {e}; {hint}")
}

fn print_view(view: &SetView) {
    let Some(kind) = &view.kind else {
        if view.objects.is_empty() {
            say!("{}: no logo set stored", view.company_id);
        } else {
            say!(
                "{}: an incomplete set ({} objects, no sentinel): the worker rewrites it on the next report",
                view.company_id,
                view.objects.len()
            );
        }
        return;
    };
    say!("{}: {kind}", view.company_id);
    let stored_at = view.stored_at.map(|t| t.to_rfc3339());
    let checked_at = view.checked_at.map(|t| t.to_rfc3339());
    let source =
        view.source_format
            .as_ref()
            .map(|format| match (view.source_width, view.source_height) {
                (Some(w), Some(h)) => format!("{format}, {w}x{h}"),
                _ => format.clone(),
            });
    let attempts = (view.kind.as_deref() == Some("placeholder")).then(|| view.attempts.to_string());
    let rejected = (!view.rejected.is_empty()).then(|| view.rejected.join(", "));
    for (label, value) in [
        ("reason", &view.reason),
        ("source url", &view.source_url),
        ("source sha256", &view.source_sha256),
        ("source", &source),
        ("pipeline version", &view.pipeline_version),
        ("stored at", &stored_at),
        ("checked at", &checked_at),
        ("looks", &attempts),
        ("refresh due", &view.refresh_due),
        ("rejected", &rejected),
    ] {
        say!("  {label:<17} {}", value.as_deref().unwrap_or("-"));
    }
    let sizes: Vec<String> = view.whole_sizes().iter().map(u32::to_string).collect();
    say!("  sizes             {}", sizes.join(", "));
    say!(
        "  pinned            {}",
        if view.pinned { "yes" } else { "no" }
    );
}

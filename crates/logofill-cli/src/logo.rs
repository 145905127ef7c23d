//! `logofill logo`: what is stored for a company, read from the bucket (S3 through the standard
//! AWS chain) or from the dev runner's folder bucket.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use logofill_aws::{s3_client, sdk_config, AwsTimeouts, CloudFrontInvalidator, S3Store};
use logofill_core::cdn::InvalidationBatch;
use logofill_core::logo_set::{delete_set, read_set, SetView};
use logofill_core::store::{LogoStore, StoreError};
use logofill_core::CompanyId;
use logofill_dev::FolderStore;

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
    Delete(DeleteArgs),
}

/// Where the sets are: exactly one of the two.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
struct Bucket {
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
    /// Print the set as one JSON object.
    #[arg(long)]
    json: bool,
}

impl LogoArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self.action {
            LogoAction::Show(args) => args.run(),
            LogoAction::Delete(args) => args.run(),
        }
    }
}

/// A store error with the bucket and the IAM action that reading needs.
fn explain(bucket: &str, e: StoreError) -> anyhow::Error {
    let hint = if e.is_retryable() {
        "the store may answer again: re-run in a minute"
    } else {
        "reading a set needs s3:GetObject on logos/* (and s3:ListBucket for 404s) for the credentials in use"
    };
    anyhow::anyhow!("{bucket}: {e}; {hint}")
}

impl ShowArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let company = CompanyId::parse(&self.company)
            .map_err(|e| anyhow::anyhow!("--company {:?}: {e}", self.company))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        let view = runtime.block_on(async {
            match (&self.bucket.bucket, &self.bucket.bucket_dir) {
                (Some(bucket), _) => {
                    let s3 = s3_client(&sdk_config(AwsTimeouts::default()).await);
                    let store = S3Store::new(s3, bucket.clone());
                    store
                        .check_bucket()
                        .await
                        .map_err(|e| explain(&format!("s3://{bucket}"), e))?;
                    show(&store, &company, &self.sizes, &format!("s3://{bucket}")).await
                }
                (None, Some(dir)) => {
                    let store = FolderStore::new(dir);
                    show(&store, &company, &self.sizes, &dir.display().to_string()).await
                }
                (None, None) => unreachable!("clap requires one of --bucket and --bucket-dir"),
            }
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

/// Delete a company's stored set: the sentinel (the largest PNG) first, so that no partial set
/// is ever read as complete, then every other object; then, with `--cdn-distribution`, one
/// CloudFront invalidation of `/logos/{id}/*` (needs cloudfront:CreateInvalidation). The next
/// report of the company makes the worker look for a logo again.
///
/// Exit status: 0 deleted (or nothing was stored), 2 an error (what was deleted is listed).
#[derive(Debug, Args)]
struct DeleteArgs {
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
    /// The CloudFront distribution in front of the bucket (the worker's
    /// LOGOFILL_CDN_DISTRIBUTION_ID), whose cached copies of the set are invalidated.
    #[arg(long, value_name = "ID")]
    cdn_distribution: Option<String>,
    /// Print {"company_id","deleted":[keys],"invalidated":[paths]}.
    #[arg(long)]
    json: bool,
}

impl DeleteArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let company = CompanyId::parse(&self.company)
            .map_err(|e| anyhow::anyhow!("--company {:?}: {e}", self.company))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        let (deleted, invalidated) = runtime.block_on(async {
            let sdk = sdk_config(AwsTimeouts::default()).await;
            let deleted = match (&self.bucket.bucket, &self.bucket.bucket_dir) {
                (Some(bucket), _) => {
                    let store = S3Store::new(s3_client(&sdk), bucket.clone());
                    let name = format!("s3://{bucket}");
                    store.check_bucket().await.map_err(|e| explain(&name, e))?;
                    delete_set(&store, &company, &self.sizes)
                        .await
                        .map_err(|e| explain(&name, e))?
                }
                (None, Some(dir)) => delete_set(&FolderStore::new(dir), &company, &self.sizes)
                    .await
                    .map_err(|e| explain(&dir.display().to_string(), e))?,
                (None, None) => unreachable!("clap requires one of --bucket and --bucket-dir"),
            };
            let mut invalidated = Vec::new();
            if let (Some(distribution), false) = (&self.cdn_distribution, deleted.is_empty()) {
                let cdn = CloudFrontInvalidator::from_sdk_config(&sdk, distribution.clone());
                let batch = InvalidationBatch::new(&format!(
                    "logo-delete-{}",
                    chrono::Utc::now().timestamp_millis()
                ));
                batch.add(&company);
                if let Some(done) = batch.flush(&cdn).await.map_err(|e| {
                    anyhow::anyhow!("the set is deleted, but the CDN was not invalidated: {e}")
                })? {
                    invalidated = done.paths().to_vec();
                }
            }
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

async fn show<S: LogoStore>(
    store: &S,
    company: &CompanyId,
    sizes: &[u32],
    bucket: &str,
) -> anyhow::Result<SetView> {
    read_set(store, company, sizes)
        .await
        .map_err(|e| explain(bucket, e))
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
    let none = || "-".to_string();
    say!(
        "  reason            {}",
        view.reason.clone().unwrap_or_else(none)
    );
    say!(
        "  source url        {}",
        view.source_url.clone().unwrap_or_else(none)
    );
    say!(
        "  source sha256     {}",
        view.source_sha256.clone().unwrap_or_else(none)
    );
    say!(
        "  pipeline version  {}",
        view.pipeline_version.clone().unwrap_or_else(none)
    );
    say!(
        "  stored at         {}",
        view.stored_at.map(|t| t.to_rfc3339()).unwrap_or_else(none)
    );
    let sizes: Vec<String> = view.whole_sizes().iter().map(u32::to_string).collect();
    say!("  sizes             {}", sizes.join(", "));
    say!(
        "  pinned            {}",
        if view.pinned { "yes" } else { "no" }
    );
}

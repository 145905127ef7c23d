//! `logofill review`: the review page of a bucket's stored sets, written to a file. The reading
//! and the page are `logofill_dev::review`'s (shared with `/dev/review`); this is the entry
//! point that opens the bucket named on the command line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use logofill_aws::{sdk_config, AwsTimeouts};
use logofill_dev::review::{collect, render_html, FixTarget, DEFAULT_LIMIT, MAX_LIMIT};

use crate::logo::{explain, runtime, AnyStore, Bucket};
use crate::terminal::say;

/// Write one self-contained HTML page of every stored logo set (a contact sheet): each set's
/// 64 px thumbnail, company id, kind, reason, source URL, age and flags (placeholder, blocked,
/// upscaled, shared-source, squeezed, manual, incomplete), with the `logofill logo` commands
/// that fix it and filters by kind, flag and company id. The page loads nothing from anywhere:
/// it opens offline. Reading needs s3:ListBucket and s3:GetObject on `logos/*`.
///
/// Exit status: 0 the page is written, 2 an error (no page is written).
#[derive(Debug, Args)]
pub struct ReviewArgs {
    #[command(flatten)]
    bucket: Bucket,
    /// The HTML file to write (replaced if it exists).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The sizes the worker writes (its LOGOFILL_SIZES); the smallest PNG is the thumbnail.
    #[arg(
        long,
        value_name = "PX,PX,...",
        default_value = "64,128,256",
        value_delimiter = ',',
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    sizes: Vec<u32>,
    /// Companies on the page, the first in key order; the page says when more are stored.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_LIMIT, value_parser = limit)]
    limit: usize,
}

fn limit(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(format!("give a number of companies from 1 to {MAX_LIMIT}")),
    }
}

impl ReviewArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let runtime = runtime()?;
        let (review, target) = runtime.block_on(async {
            let sdk = sdk_config(AwsTimeouts::default()).await;
            let (store, name) = self.bucket.open(&sdk).await?;
            let target = match &store {
                AnyStore::S3(s3) => FixTarget::Bucket(s3.bucket().to_string()),
                AnyStore::Folder(folder) => FixTarget::BucketDir(folder.root().to_path_buf()),
            };
            let review = collect(Arc::new(store), &self.sizes, self.limit, chrono::Utc::now())
                .await
                .map_err(|e| explain(&name, e))?;
            anyhow::Ok((review, target))
        })?;
        std::fs::write(&self.out, render_html(&review, &target))
            .with_context(|| format!("writing {}", self.out.display()))?;
        let cut = if review.truncated {
            format!(
                "; --limit {} reached, more companies are stored",
                review.limit
            )
        } else {
            String::new()
        };
        say!("{}: {}{cut}", self.out.display(), review.summary());
        Ok(ExitCode::SUCCESS)
    }
}

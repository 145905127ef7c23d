//! `logofill process`: render local logo files, the worker's pipeline without the network.
//! With `--json` it prints one line per input, which the benchmark and scripts read.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use logofill_image::{Pipeline, TrimOptions};
use logofill_render::{HelperCommand, RenderBudget, RenderPool, Renderer};
use serde_json::json;

use crate::output;
use crate::terminal::{self, say, tell};

/// Render logo files into square PNG + WebP variants, or run the whole worker pipeline for one
/// company.
///
/// With FILE arguments: the format of each file is read from its bytes (PNG, JPEG, GIF, WebP,
/// ICO, BMP, SVG); its name does not matter. Each input FILE gives `<stem>_<size>.png` and
/// `<stem>_<size>.webp` in the output directory.
///
/// With `--company ID --directory URI`: look the company up, discover and fetch its logo through
/// the guarded fetcher, render it (or a placeholder) and write the set to the output directory
/// with the bucket's layout (`logos/ID/SIZE.png`, metadata in `.meta.json` files), printing which
/// candidate won and why the others lost. Nothing touches S3 or SQS (except reading an `s3://`
/// directory).
///
/// The exit status is 1 if any input (or the company) failed, 2 on a usage error.
#[derive(Debug, Args)]
pub struct ProcessArgs {
    /// Logo files to render.
    #[arg(value_name = "FILE", conflicts_with = "company")]
    pub files: Vec<PathBuf>,

    /// Run directory lookup, discovery, guarded fetch and the pipeline for this company id.
    #[arg(long, value_name = "ID", requires = "directory")]
    pub company: Option<String>,

    /// Company directory for `--company`: `file:///path/companies.jsonl`,
    /// `s3://bucket/prefix/` or `https://host/path/{id}` (as LOGOFILL_DIRECTORY).
    #[arg(long, value_name = "URI", requires = "company")]
    pub directory: Option<String>,

    /// Allow fetching from 127.0.0.0/8 and ::1 (a local test site). Never needed for real
    /// companies; every other private range stays blocked.
    #[arg(long, requires = "company")]
    pub allow_loopback_sources: bool,

    /// With `--company`: print every candidate discovery considered (source kind, URL, declared
    /// and decoded size, score, and why it won or lost) as a table; with `--json`, the same
    /// fields are in each attempt.
    #[arg(long, requires = "company")]
    pub explain: bool,

    /// Read more input paths from this file, one per line (blank lines and lines starting with
    /// `#` are skipped; `-` reads standard input).
    #[arg(long, value_name = "FILE")]
    pub list: Option<PathBuf>,

    /// Directory the variants are written to; created if missing.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Variant sizes in pixels, comma-separated.
    #[arg(
        long,
        value_name = "N,N,...",
        value_delimiter = ',',
        default_value = "64,128,256"
    )]
    pub sizes: Vec<u32>,

    /// Remove uniform margins (transparent or one flat colour) before fitting.
    #[arg(long)]
    pub trim: bool,

    /// Renders at the same time (helper processes); default: the CPUs this process may use.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,

    /// Wall-clock budget of one render in its helper process, in milliseconds (as the worker's
    /// LOGOFILL_RENDER_TIMEOUT_MS).
    #[arg(long, value_name = "MS", default_value_t = 3000)]
    pub render_timeout_ms: u64,

    /// Address space one render may add in its helper process, in MiB (as the worker's
    /// LOGOFILL_RENDER_MEMORY_MB off a Lambda).
    #[arg(long, value_name = "MIB", default_value_t = 160)]
    pub render_memory_mb: u64,

    /// Render in this process, without the helper's time and memory budget: only for inputs
    /// you trust (the benchmark uses it to measure the budget's overhead).
    #[arg(long)]
    pub no_sandbox: bool,

    /// Print one JSON object per input and line: {"in", "ok", "ms"} or {"in", "ok", "error"}.
    /// `ms` is the time spent from decoding to the encoded variants, file I/O excluded.
    #[arg(long)]
    pub json: bool,
}

impl ProcessArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        if let (Some(company), Some(directory)) = (&self.company, &self.directory) {
            return crate::company::run(crate::company::CompanyArgs {
                company,
                directory,
                out: &self.out,
                sizes: &self.sizes,
                allow_loopback_sources: self.allow_loopback_sources,
                json: self.json,
                explain: self.explain,
            });
        }
        let mut inputs: Vec<String> = self
            .files
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        if let Some(list) = &self.list {
            inputs.extend(read_list(list)?);
        }
        if inputs.is_empty() {
            bail!("no input files: give FILE arguments or --list FILE");
        }
        let mut options = output::options_with_sizes(&self.sizes);
        if self.trim {
            options.trim = Some(TrimOptions::default());
        }
        let pipeline = Arc::new(Pipeline::new(options)?);
        let max_bytes = pipeline.options().limits.max_input_bytes;
        output::ensure_dir(&self.out)?;
        let jobs = self
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        let renderer = if self.no_sandbox {
            Renderer::in_process(pipeline.clone())
        } else {
            let pool = RenderPool::new(
                HelperCommand::current_exe().context("finding the logofill binary")?,
                pipeline.options(),
                RenderBudget {
                    timeout: Duration::from_millis(self.render_timeout_ms),
                    memory_bytes: self.render_memory_mb << 20,
                },
                jobs,
            );
            Renderer::sandboxed(pipeline.clone(), pool)
        };

        // Stems are checked up front, in input order, so a clash is reported the same way
        // however the renders interleave.
        let mut stems = std::collections::HashMap::<String, String>::new();
        let planned: Vec<(String, anyhow::Result<String>)> = inputs
            .iter()
            .map(|input| (input.clone(), claim_stem(input, &mut stems)))
            .collect();

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        let out = self.out.clone();
        let json_lines = self.json;
        let failed = runtime.block_on(async move {
            let slots = Arc::new(tokio::sync::Semaphore::new(jobs));
            let mut window: VecDeque<(String, tokio::task::JoinHandle<anyhow::Result<f64>>)> =
                VecDeque::new();
            let mut failed = 0usize;
            let mut planned = planned.into_iter();
            loop {
                // Keep up to two inputs per render slot in flight: one rendering, one read.
                while window.len() < jobs * 2 {
                    let Some((input, stem)) = planned.next() else {
                        break;
                    };
                    let renderer = renderer.clone();
                    let slots = slots.clone();
                    let out = out.clone();
                    let name = input.clone();
                    window.push_back((
                        input,
                        tokio::spawn(async move {
                            let stem = stem?;
                            process_one(&renderer, &slots, &name, &out, max_bytes, &stem).await
                        }),
                    ));
                }
                let Some((input, task)) = window.pop_front() else {
                    break;
                };
                let result = task
                    .await
                    .unwrap_or_else(|e| Err(anyhow::anyhow!("the render task failed: {e}")));
                if result.is_err() {
                    failed += 1;
                }
                report_one(&input, &result, json_lines)?;
            }
            if let Some(pool) = renderer.pool() {
                pool.shutdown().await;
            }
            anyhow::Ok(failed)
        })?;
        if !self.json {
            tell!(
                "{} of {} inputs rendered into {}",
                inputs.len() - failed,
                inputs.len(),
                self.out.display()
            );
        }
        Ok(if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}

/// Prints the line of one input.
fn report_one(input: &str, result: &anyhow::Result<f64>, json_lines: bool) -> anyhow::Result<()> {
    match result {
        Ok(ms) if json_lines => terminal::out!(
            "{}",
            terminal::json(&json!({"in": input, "ok": true, "ms": round1(*ms)}), false)?
        ),
        Ok(ms) => say!("ok    {input} ({:.1} ms)", ms),
        Err(e) => {
            if json_lines {
                terminal::out!(
                    "{}",
                    terminal::json(
                        &json!({"in": input, "ok": false, "error": format!("{e:#}")}),
                        false
                    )?
                )
            } else {
                tell!("FAIL  {input}: {e:#}");
            }
        }
    }
    Ok(())
}

/// The output stem of `input`, unless another input already has it.
fn claim_stem(
    input: &str,
    stems: &mut std::collections::HashMap<String, String>,
) -> anyhow::Result<String> {
    let stem = Path::new(input)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .with_context(|| format!("{input} has no file name"))?;
    if let Some(first) = stems.get(&stem) {
        bail!("{input} would overwrite the outputs of {first} (same file stem {stem:?})");
    }
    stems.insert(stem.clone(), input.to_string());
    Ok(stem)
}

/// Reads, renders and writes one input; returns the render time in milliseconds (from the
/// moment a render slot was free to the encoded variants, file I/O excluded).
async fn process_one(
    renderer: &Renderer,
    slots: &tokio::sync::Semaphore,
    input: &str,
    out: &Path,
    max_bytes: u64,
    stem: &str,
) -> anyhow::Result<f64> {
    let bytes = read_capped(Path::new(input), max_bytes)?;
    let set = {
        let _slot = slots.acquire().await?;
        let start = Instant::now();
        let set = renderer.render(input, bytes).await?;
        (set, start.elapsed().as_secs_f64() * 1000.0)
    };
    output::write_set(out, stem, &set.0)?;
    Ok(set.1)
}

/// Reads at most `max + 1` bytes: enough for the pipeline to refuse an oversized file by its
/// limit, without reading all of it into memory.
pub(crate) fn read_capped(path: &Path, max: u64) -> anyhow::Result<Vec<u8>> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(bytes)
}

fn read_list(list: &Path) -> anyhow::Result<Vec<String>> {
    let reader: Box<dyn BufRead> = if list == Path::new("-") {
        Box::new(BufReader::new(io::stdin()))
    } else {
        Box::new(BufReader::new(
            File::open(list).with_context(|| format!("opening list {}", list.display()))?,
        ))
    };
    let mut paths = Vec::new();
    for line in reader.lines() {
        let line = line.with_context(|| format!("reading list {}", list.display()))?;
        let line = line.trim_end_matches('\r');
        if !line.trim().is_empty() && !line.starts_with('#') {
            paths.push(line.to_string());
        }
    }
    Ok(paths)
}

fn round1(ms: f64) -> f64 {
    (ms * 10.0).round() / 10.0
}

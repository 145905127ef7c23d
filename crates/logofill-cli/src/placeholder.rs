//! `logofill placeholder`: render the generated set a company gets when it has no usable logo.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::Args;
use logofill_image::Pipeline;

use crate::output;

/// Render the placeholder set of a company: its initial on a colour derived from its id.
///
/// The same id and name always give the same bytes. Writes `<id>_<size>.png` and
/// `<id>_<size>.webp` into the output directory.
#[derive(Debug, Args)]
pub struct PlaceholderArgs {
    /// Company id: 1 to 64 characters of A-Z, a-z, 0-9, `_` and `-`.
    #[arg(long)]
    pub id: String,

    /// Company name; its first letter (Latin, digit or Hangul) is drawn.
    #[arg(long)]
    pub name: String,

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
}

impl PlaceholderArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        // The company id contract (design.md); it also makes the id safe as a file name.
        let valid = (1..=64).contains(&self.id.len())
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid {
            bail!(
                "--id {:?} is not a company id (1-64 characters of A-Z a-z 0-9 _ -)",
                self.id
            );
        }
        let pipeline = Pipeline::new(output::options_with_sizes(&self.sizes))?;
        let set = pipeline.placeholder(&self.id, &self.name)?;
        output::ensure_dir(&self.out)?;
        for path in output::write_set(&self.out, &self.id, &set)? {
            crate::terminal::say!("{}", path.display());
        }
        Ok(ExitCode::SUCCESS)
    }
}

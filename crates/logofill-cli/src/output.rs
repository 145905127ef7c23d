//! Writing a rendered set to a local directory, shared by `process` and `placeholder`.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use logofill_image::{PipelineOptions, RenderedSet, DEFAULT_SIZES};

/// Writes every variant as `<stem>_<size>.<ext>` in `dir`, smallest first so the largest lands
/// last (as in the bucket). Returns the paths written.
pub fn write_set(dir: &Path, stem: &str, set: &RenderedSet) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = Vec::with_capacity(set.variants.len());
    for v in &set.variants {
        let path = dir.join(format!("{stem}_{}.{}", v.size, v.format.extension()));
        fs::write(&path, &v.bytes).with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// Creates `dir` (and parents) if missing.
pub fn ensure_dir(dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("creating output directory {}", dir.display()))
}

/// Pipeline options with the sizes given on the command line.
pub fn options_with_sizes(sizes: &[u32]) -> PipelineOptions {
    let sizes = if sizes.is_empty() {
        DEFAULT_SIZES.to_vec()
    } else {
        sizes.to_vec()
    };
    PipelineOptions {
        sizes,
        ..PipelineOptions::default()
    }
}

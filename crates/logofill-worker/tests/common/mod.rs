//! What the worker's in-memory tests share: settings, ids, a real PNG.

use logofill_core::CompanyId;
use logofill_worker::wiring::pipeline;
use logofill_worker::{DirectorySource, WorkerSettings};

pub fn settings() -> WorkerSettings {
    WorkerSettings::with_defaults("logos", DirectorySource::File("/unused".into()))
}

pub fn id(s: &str) -> CompanyId {
    CompanyId::parse(s).unwrap()
}

/// A real, colourful PNG, different for every `seed` (not every test file uses it).
#[allow(dead_code)]
pub fn png(seed: &str) -> Vec<u8> {
    let set = pipeline(&settings())
        .unwrap()
        .placeholder(seed, seed)
        .unwrap();
    set.variants
        .iter()
        .find(|v| v.size == 256 && v.format.extension() == "png")
        .unwrap()
        .bytes
        .clone()
}

//! The worker Lambda's library: the domain service that turns one queue message into a stored
//! logo set ([`service`]), the batch logic of the SQS trigger ([`batch`]), the outcomes
//! ([`outcome`]), configuration ([`config`]) and the
//! wiring of adapters from configuration ([`wiring`]). `main.rs` only starts the runtime.
//!
//! The dev runner and the `logofill` CLI use the same service with other adapters (a folder
//! as the bucket, the in-process queue), so every path runs the same logic.

pub mod batch;
pub mod budget;
pub mod config;
pub mod outcome;
pub mod refresh_job;
pub mod service;
pub mod shared_source;
pub mod validators;
pub mod wiring;

pub use batch::{process_batch, BatchSummary, RecordProcessor};
pub use config::{DirectorySource, WorkerSettings, WORKER_ENV_VARS};
pub use outcome::{Outcome, Timings};
pub use service::{CompanyRun, LogoWorker, ServiceOptions};

impl<D, S, F> RecordProcessor for LogoWorker<D, S, F>
where
    D: logofill_core::directory::CompanyDirectory + 'static,
    S: logofill_core::store::LogoStore + 'static,
    F: logofill_core::Fetcher + 'static,
{
    async fn process(&self, body: String) -> (Outcome, Timings) {
        self.process_body(&body).await
    }
}

//! `logofill dev`: the whole of logofill in one process on 127.0.0.1, with embedded defaults.
//!
//! Every production part runs with the same logic and a local twin in place of AWS:
//! - `POST /logo-misses`: the report service of the Lambda, writing to an in-process queue
//!   with SQS semantics (core's queue twin: visibility timeout, receive count,
//!   `maxReceiveCount`, dead-letter queue); `GET /dev/queue` shows it;
//! - the worker of the Lambda (directory, discovery, guarded fetch, pipeline, store,
//!   outcomes), fed from that queue in batches, with partial batch failures;
//! - a folder as the bucket (`.logofill-dev/bucket/`), served read-only at `/logos/...` with
//!   the keys, content types and cache headers the CDN gives, 404 for a missing logo;
//! - a demo postings page at `/` with the page snippet, and sample companies whose websites
//!   are served under `/sample-sites/`. The worker's fetcher may reach this server's own
//!   address on loopback and nothing else local ([`sample_site_fetcher`]): a directory line
//!   pointing at another local port is refused like any other blocked address.
//!
//! Modules by job: [`server`] (start, stop, the worker loop), `routes` (what the server
//! answers), `demo` (the postings page), [`sample`] (the sample companies and their sites),
//! [`review`] (the review page of the stored sets, also `logofill review`'s), and the
//! one-machine adapter [`folder_store`] (the bucket as a folder).

mod demo;
pub mod folder_store;
pub mod review;
mod routes;
pub mod sample;
pub mod server;

pub use folder_store::FolderStore;
pub use server::{run, sample_site_fetcher, start, DevError, DevOptions, RunningDev, SNIPPET};

//! logofill's core: the domain and the ports, with no AWS in sight.
//!
//! The report Lambda, the worker Lambda, the dev runner and the CLI are thin entry points
//! around what lives here. Anything that talks to the outside world (SQS, S3, HTTP) does so
//! through a narrow trait defined in this crate (a *port*); the AWS adapters live in
//! `logofill-aws`, and each port has an in-memory twin here for the dev runner and tests.
//!
//! Names used across the crates:
//! - a *report* is only the page's miss report (`POST /logo-misses`, [`report`]); what a run
//!   produced is a *summary* (`BatchSummary`, `MoveSummary`) or a *run* (`CompanyRun`);
//! - `*Settings` is what a binary reads from its environment, in its `config` module
//!   (`WorkerSettings`, `ReportSettings`; [`config`] holds the parsing);
//! - `*Options` is what a component is built with (`PipelineOptions`, `FetchOptions`,
//!   [`ReportOptions`], `DevOptions`), whoever fills them in.

pub mod cdn;
pub mod clock;
pub mod company;
pub mod config;
pub mod dedup;
pub mod directory;
pub mod fetch;
pub mod logo_set;
pub mod message;
pub mod metrics;
pub mod queue;
pub mod refresh;
pub mod report;
pub mod store;
pub mod units;

pub use clock::{Clock, ManualClock, SystemClock};
pub use company::{CompanyId, CompanyIdError};
pub use dedup::RecentIds;
pub use fetch::{FetchError, Fetched, Fetcher, MemoryFetcher, Validators};
pub use message::{MessageError, Origin, QueueMessage};
pub use queue::{
    BoundQueue, EntryFailure, MemoryQueue, MemoryQueues, MessageQueue, OutgoingMessage, QueueError,
    QueueService,
};
pub use report::{
    AllowedOrigins, HttpRequest, HttpResponse, ReportBody, ReportCounts, ReportLimits,
    ReportOptions, ReportService,
};
